"""Open the session report and the squad pages in a real headless Chromium.

Uses Debian's ``chromium`` through Playwright (``executable_path``; no browser download). The
test is skipped, saying why, only when chromium is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.report.squad import athlete_slug
from tests.analysis.report.recordings import simulate, write_hopscope

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name) or (
            f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
        )
        if path:
            return path
    pytest.skip("chromium is not installed (Debian package 'chromium'); .ci/run installs it")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright  # a test dependency: fail when missing

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def open_page(browser, path: Path, screenshot: Path):
    """Load a page from disk, block any network request, return (page, problems)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=str(screenshot), full_page=True)
    problems += [f"network request: {u}" for u in requests]
    return page, problems


def image_widths(page) -> list[int]:
    return page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")


def test_session_report_in_browser(browser, tmp_path):
    sim = simulate(
        21,
        hop_hz=2.8,
        contact_ms=260.0,
        athlete="<script>alert(1)</script>",
        leg="R",
        start_utc="2026-11-20T07:00:00Z",
    )
    rec = write_hopscope(tmp_path / "session.csv", sim)
    report = tmp_path / "report.html"
    assert main(["report", str(rec), "-o", str(report)]) == 0
    shot = tmp_path / "report.png"
    page, problems = open_page(browser, report, shot)
    assert problems == []
    widths = image_widths(page)
    assert len(widths) >= 5 and all(w > 0 for w in widths)
    # the athlete's name shows as text, and no script of it ran
    assert "<script>alert(1)</script>" in page.inner_text("header")
    assert page.evaluate("document.scripts.length") == 1
    # verdict cards are on the first screen
    box = page.locator("#verdict-set-1").bounding_box()
    assert box is not None and box["y"] < 900
    # the per-hop table is collapsed and opens
    assert not page.locator("#hops table").is_visible()
    page.click("#hops summary")
    assert page.locator("#hops table").is_visible()
    # a per-set plot zooms on click
    fig = page.locator("figure.zoom").first
    before = fig.bounding_box()["width"]
    fig.click()
    assert fig.bounding_box()["width"] > before * 1.5
    assert shot.stat().st_size > 10_000
    # printing to A4 works
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes()[:4] == b"%PDF"
    page.close()


def test_squad_pages_in_browser(browser, tmp_path):
    folder = tmp_path / "squad"
    folder.mkdir()
    for i, (name, hz) in enumerate([("Ann_L", 3.2), ("Ann_R", 2.7), ("Bob_L", 3.1)]):
        write_hopscope(
            folder / f"{name}_2026-11-0{i + 1}.csv", simulate(30 + i, hop_hz=hz), sidecar=False
        )
    (folder / "Broken_L_2026-11-05.csv").write_text("nothing here\n")
    out = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out), "--workers", "1", "--no-progress"]) == 1
    pages = [out / "index.html", *(out / "athletes").glob("*.html")]
    assert len(pages) == 3
    for i, path in enumerate(pages):
        page, problems = open_page(browser, path, tmp_path / f"squad{i}.png")
        assert problems == [], path.name
        widths = image_widths(page)
        assert widths and all(w > 0 for w in widths), path.name
        page.close()
    page, _ = open_page(browser, out / "index.html", tmp_path / "index.png")
    page.click(f'a[href="athletes/{athlete_slug("Ann")}.html"]')
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Ann"
    assert "Broken_L_2026-11-05.csv" in (out / "index.html").read_text(encoding="utf-8")
    page.close()
