from __future__ import annotations

import base64
import dataclasses
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from analysis.cli import main
from analysis.report import render_session_report, set_verdicts, write_session_report
from analysis.result import FLAG_CLIPPING, FLAG_LOW_SAMPLE_RATE
from analysis.settings import AnalysisSettings
from imu.recording import RecordingMeta
from tests.analysis.report.factory import FakeSet, make_result
from tests.analysis.report.recordings import simulate, write_hopscope

EVIL = "<script>alert(1)</script>"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collector:
    c = _Collector()
    c.feed(html)
    return c


def external_references(html: str) -> list[str]:
    """Every reference that would make the browser fetch something outside the file."""
    found = re.findall(
        r"""(?:src|href|action|poster)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", html, re.I
    )
    found += re.findall(r"url\(\s*['\"]?\s*((?:https?:)?//[^)'\"]*)", html, re.I)
    found += re.findall(r"@import[^;]*", html, re.I)
    found += re.findall(r"<link\b[^>]*>", html, re.I)
    found += re.findall(r"<script\b[^>]*\bsrc\s*=", html, re.I)
    return found


@pytest.fixture(scope="module")
def result():
    return make_result(
        (FakeSet(hops=20), FakeSet(hops=18, hop_hz=2.7, contact_ms=275.0)), gap=(8.0, 8.3)
    )


@pytest.fixture(scope="module")
def html(result):
    return render_session_report(result, athlete="Ann", leg="R", source="ann_r.csv")


class TestParts:
    def test_header(self, html):
        text = " ".join(parse(html).text)
        for label in ("Athlete:", "Date:", "Leg:", "Device:", "Sample rate:", "Placement:"):
            assert label in text
        assert "Ann" in text and "R (right)" in text and "2026-11-20 07:31 UTC" in text
        assert "Simulated IMU" in text and "200 Hz" in text and "laces" in text

    def test_verdict_cards_first_with_marks_thresholds_and_reasons(self, html):
        cards = re.findall(r'<div class="card (pass|fail)" id="verdict-set-(\d)">', html)
        assert cards == [("pass", "1"), ("fail", "2")]
        # the verdicts come before any plot
        assert html.index('id="verdict-set-1"') < html.index("<img")
        card2 = html[html.index('id="verdict-set-2"') : html.index('id="plots"')]
        assert "2.70 Hz" in card2 and "target 3 Hz (passes from 2.95 Hz)" in card2
        assert "below the 3 Hz target" in card2
        assert "longer than 250 ms" in card2 and "slow rebound" in card2
        assert card2.count("&#10008; fail") == 2
        card1 = html[html.index('id="verdict-set-1"') : html.index('id="verdict-set-2"')]
        assert card1.count("&#10004; pass") == 2
        assert 'class="reason"' not in card1
        assert "1 of 2 sets fell short: set 2 (hop rate too low and contacts too long)" in html

    def test_plots_embedded(self, html, result):
        imgs = [a for t, a in parse(html).tags if t == "img"]
        # whole recording, one per set, contact/flight, hop rate, fatigue
        assert len(imgs) == 1 + len(result.sets) + 3
        for attrs in imgs:
            src = attrs["src"]
            assert src.startswith("data:image/png;base64,")
            png = base64.b64decode(src.split(",", 1)[1])
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert attrs["alt"]

    def test_tables_and_sections(self, html, result):
        assert '<section id="sets">' in html
        hop_table = html[html.index('<details id="hops">') : html.index("</details>")]
        assert f"Every hop ({result.n_hops} hops" in hop_table
        assert hop_table.count("<tr>") == result.n_hops + 1
        for section in ("quality", "definitions"):
            assert f'<section id="{section}">' in html
        for term in ("contact (ms)", "flight (ms)", "duty factor", "reactive strength index"):
            assert term in html
        assert "Settings used" in html and "slow_contact_ms" in html and "250.0" in html
        assert "@media print" in html and "size: A4" in html

    def test_data_quality_explains_gaps(self, html):
        quality = html[
            html.index('<section id="quality">') : html.index('<section id="definitions">')
        ]
        assert "Gaps and packet loss" in quality
        assert "1 gap(s) in the time axis" in quality
        assert "Nothing is invented to fill a gap" in quality
        assert 'See <a href="#quality">' in html  # warning banner on the first screen

    def test_low_rate_and_clipping_explained(self, result):
        flagged = dataclasses.replace(
            result,
            flags=(*result.flags, FLAG_LOW_SAMPLE_RATE, FLAG_CLIPPING),
            quality={**result.quality, "effective_rate_hz": 52.0, "clipped_impacts": 7},
        )
        html = render_session_report(flagged)
        assert "52.0 Hz: one sample every 19.2 ms" in html
        assert "7 impacts reached the sensor&#x27;s full scale (±16 g)" in html


class TestEscaping:
    def test_athlete_and_file_texts_escaped(self, result):
        meta = dataclasses.replace(result.meta, device=EVIL, placement=None, notes=EVIL)
        html = render_session_report(
            dataclasses.replace(result, meta=meta), athlete=EVIL, title=EVIL, source=f"{EVIL}.csv"
        )
        assert EVIL not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        scripts = [t for t, _ in parse(html).tags if t == "script"]
        assert len(scripts) == 1  # only the report's own zoom script

    def test_athlete_from_metadata_escaped(self, result):
        meta = dataclasses.replace(result.meta, athlete=EVIL)
        assert EVIL not in render_session_report(dataclasses.replace(result, meta=meta))


def test_no_external_references(html):
    assert external_references(html) == []
    assert "http://" not in html and "https://" not in html


def test_no_hops_says_so(result):
    empty = dataclasses.replace(result, hops=result.hops.iloc[:0], sets=result.sets.iloc[:0])
    html = render_session_report(empty)
    assert "No hops were found in this recording" in html
    assert "No hops." in html


def test_all_pass_banner():
    html = render_session_report(make_result((FakeSet(), FakeSet(hops=15))))
    assert "All 2 sets met the hop-rate target (3 Hz) and the contact-time limit (250 ms)" in html


def test_settings_used_are_the_results(result):
    custom = dataclasses.replace(
        result, settings=AnalysisSettings(target_hz=3.5, slow_contact_ms=220.0)
    )
    html = render_session_report(custom)
    assert "target 3.5 Hz" in html
    assert "median at most 220 ms" in html


def test_write_returns_path(tmp_path, result):
    path = write_session_report(result, tmp_path / "r.html", athlete="Ann")
    assert path == tmp_path / "r.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_errors(result):
    with pytest.raises(ValueError, match="leg"):
        render_session_report(result, leg="X")
    with pytest.raises(TypeError, match="result"):
        render_session_report({"hops": []})


class TestVerdicts:
    def test_reasons(self, result):
        v1, v2 = set_verdicts(result)
        assert v1.passed and not v1.rate_reason and not v1.contact_reason
        assert not v2.passed and not v2.rate_pass and not v2.contact_pass
        assert "10 % too slow" in v2.rate_reason
        assert "Median contact" in v2.contact_reason

    def test_slow_share_reason(self):
        r = make_result((FakeSet(hops=10, contact_ms=200.0),))
        sets = r.sets.assign(slow_share=0.6, flags=[("slow_rebound",)])
        (v,) = set_verdicts(dataclasses.replace(r, sets=sets))
        assert v.rate_pass and not v.contact_pass
        assert v.contact_reason.startswith("60% of the hops had contacts longer than 250 ms")

    def test_too_few_hops_note(self):
        (v,) = set_verdicts(make_result((FakeSet(hops=3),)))
        assert any("Only 3 hops" in n for n in v.notes)

    def test_set_without_a_hop_rate_is_not_judged_on_it(self):
        r = make_result((FakeSet(hops=2, contact_ms=200.0),))
        # A set without a rate (as one of a single hop): nothing to compare with the target,
        # so no below_target_frequency flag.
        r = dataclasses.replace(
            r, sets=r.sets.assign(hop_hz=np.nan, flags=[("too_few_hops",)]), flags=()
        )
        (v,) = set_verdicts(r)
        assert v.rate_pass is None and v.passed
        assert "not judged" in v.rate_rule
        assert any("Only 2 hops" in n for n in v.notes)
        html = render_session_report(r)
        assert "The set met the contact-time limit (250 ms)" in html
        assert "met the hop-rate target" not in html

    def test_empty(self, result):
        empty = dataclasses.replace(result, sets=result.sets.iloc[:0])
        assert set_verdicts(empty) == []


class TestReportCommand:
    def test_end_to_end(self, tmp_path, capsys):
        sim = simulate(
            11,
            hop_hz=2.7,
            contact_ms=270.0,
            athlete="Zoe",
            leg="L",
            start_utc="2026-11-20T07:00:00Z",
        )
        rec = write_hopscope(tmp_path / "zoe.csv", sim)
        out = tmp_path / "zoe.html"
        code = main(
            [
                "report",
                str(rec),
                "-o",
                str(out),
                "--athlete",
                EVIL,
                "--leg",
                "r",
                "--body-mass-kg",
                "60",
                "--target-hz",
                "3.0",
            ]
        )
        assert code == 0
        html = out.read_text(encoding="utf-8")
        assert EVIL not in html and "R (right)" in html and "zoe.csv" in html
        assert 'id="verdict-set-1"' in html
        assert "stiffness (kN/m)" in html  # body mass given
        assert "zoe.html" in capsys.readouterr().out

    def test_missing_file(self, tmp_path, capsys):
        code = main(["report", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "x.html")])
        assert code == 2
        err = capsys.readouterr().err
        assert "nope.csv" in err and "Traceback" not in err

    def test_bad_output_folder(self, tmp_path, capsys):
        sim = simulate(12)
        rec = write_hopscope(tmp_path / "a.csv", sim)
        code = main(["report", str(rec), "-o", str(tmp_path / "no" / "x.html")])
        assert code == 2
        assert "does not exist" in capsys.readouterr().err

    def test_bad_setting(self, tmp_path, capsys):
        rec = write_hopscope(tmp_path / "a.csv", simulate(13))
        code = main(["report", str(rec), "-o", str(tmp_path / "x.html"), "--target-hz", "-1"])
        assert code == 2
        assert "target_hz" in capsys.readouterr().err


def test_meta_without_labels_still_renders():
    r = make_result(meta=RecordingMeta())
    html = render_session_report(r)
    assert "not given" in html and "not recorded" in html


def test_rebound_rate_not_judged():
    r = make_result(
        (FakeSet(hops=6, hop_hz=0.2, contact_ms=220.0),),
        settings=AnalysisSettings(exercise="rebound"),
    )
    # the engine does not flag the rate of rebound jumps
    r = dataclasses.replace(r, sets=r.sets.assign(flags=[()]), flags=())
    (v,) = set_verdicts(r)
    assert v.rate_pass is None and v.passed
    assert "not judged for rebound jumps" in v.rate_rule
    html = render_session_report(r)
    assert "The set met the contact-time limit (250 ms)" in html
    assert "hop-rate target" not in html
    assert "hop rate over each set" not in html


def test_an_edge_lost_in_a_gap_is_named_in_the_hop_table(result):
    hops = result.hops.copy()
    hops.loc[3, ["landing_s", "contact_ms"]] = float("nan")
    hops.loc[3, "edge_lost"] = "landing"
    hops.loc[7, ["takeoff_s", "contact_ms", "flight_ms"]] = float("nan")
    hops.loc[7, "edge_lost"] = "takeoff"
    page = render_session_report(dataclasses.replace(result, hops=hops))
    table = page[page.index('<details id="hops">') :]
    assert table.count("lost in gap</span>") == 2
