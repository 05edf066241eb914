from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from analysis.batch import (
    HOPS_COLUMNS,
    SESSIONS_COLUMNS,
    compile_pattern,
    find_recordings,
    run_batch,
)
from analysis.cli import main
from analysis.report.squad import athlete_slug
from tests.analysis.report.recordings import (
    simulate,
    write_hopscope,
    write_polar_acc,
    write_sensor_logger,
)


@pytest.fixture(scope="module")
def squad_dir(tmp_path_factory):
    """A folder mixing formats, athletes, legs, labels from metadata and names, a corrupt file."""
    root = tmp_path_factory.mktemp("squad")
    sub = root / "week2"
    sub.mkdir()
    write_hopscope(
        root / "Ann_L_2026-11-01.csv",
        simulate(1, athlete="Ann", leg="L", start_utc="2026-11-01T07:00:00Z"),
    )
    # labels from the file name only (no sidecar)
    write_hopscope(
        root / "Ann_R_2026-11-01.csv", simulate(2, hop_hz=2.7, contact_ms=265.0), sidecar=False
    )
    # metadata wins over the file name
    write_hopscope(
        sub / "Someone_R_2026-01-01.csv",
        simulate(3, athlete="Ann", leg="L", start_utc="2026-11-08T07:00:00Z"),
    )
    write_polar_acc(root / "Bob_R_2026-11-02.txt", simulate(4), start=datetime(2026, 11, 2, 8))
    write_sensor_logger(
        sub / "Cy_L_2026-11-03_TotalAcceleration.csv",
        simulate(5, hop_hz=2.8),
        start=datetime(2026, 11, 3, 9),
    )
    (root / "Bad_L_2026-11-04.csv").write_text("time_s,ax_g,ay_g,az_g\n0.0,0,0,1\n0.01,0,zero,1\n")
    (root / ".hidden.csv").write_text("not a recording")
    (root / "README.md").write_text("notes")
    return root


@pytest.fixture(scope="module")
def batch_out(squad_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    code = main(["batch", str(squad_dir), "-o", str(out), "--workers", "2", "--no-progress"])
    return code, out


def test_find_recordings_skips_sidecars_hidden_and_docs(squad_dir):
    names = [p.name for p in find_recordings([squad_dir])]
    assert len(names) == 6
    assert set(names) == {
        "Ann_L_2026-11-01.csv",
        "Ann_R_2026-11-01.csv",
        "Someone_R_2026-01-01.csv",
        "Bob_R_2026-11-02.txt",
        "Cy_L_2026-11-03_TotalAcceleration.csv",
        "Bad_L_2026-11-04.csv",
    }
    with pytest.raises(FileNotFoundError, match="nowhere"):
        find_recordings([squad_dir / "nowhere"])


def test_exit_code_and_outputs(batch_out, capsys):
    code, out = batch_out
    assert code == 1  # one file failed
    for name in ("sessions.csv", "hops.csv", "sessions.parquet", "hops.parquet", "index.html"):
        assert (out / name).is_file(), name


def test_sessions_table(batch_out):
    _, out = batch_out
    sessions = pd.read_csv(out / "sessions.csv", keep_default_na=False, na_values=[""])
    assert tuple(sessions.columns) == SESSIONS_COLUMNS
    bad = sessions[sessions["status"] == "error"]
    assert len(bad) == 1
    assert bad["file"].iloc[0].endswith("Bad_L_2026-11-04.csv")
    assert "zero" in bad["error"].iloc[0] and "line 3" in bad["error"].iloc[0]
    ok = sessions[sessions["status"] == "ok"]
    labels = set(zip(ok["athlete"], ok["leg"], ok["date"], strict=True))
    assert labels == {
        ("Ann", "L", "2026-11-01"),
        ("Ann", "R", "2026-11-01"),
        ("Ann", "L", "2026-11-08"),
        ("Bob", "R", "2026-11-02"),
        ("Cy", "L", "2026-11-03"),
    }
    formats = set(ok["source_format"])
    assert {"polar_sensor_logger", "sensor_logger"} <= formats
    # one row per session and set, each set with its hops and verdict flags
    assert (ok.groupby("session")["set"].nunique() >= 1).all()
    assert (ok["hops"] > 0).all()
    ann_r = ok[(ok["athlete"] == "Ann") & (ok["leg"] == "R")]
    assert ann_r["set_flags"].str.contains("below_target_frequency").all()


def test_hops_table_and_parquet_match(batch_out):
    _, out = batch_out
    hops = pd.read_csv(out / "hops.csv")
    assert tuple(hops.columns) == HOPS_COLUMNS
    assert set(hops["athlete"]) == {"Ann", "Bob", "Cy"}
    assert (hops["takeoff_s"] > hops["landing_s"]).all()
    sessions = pd.read_csv(out / "sessions.csv")
    per_session = hops.groupby(["session", "set"]).size()
    declared = sessions.dropna(subset=["set"]).set_index(["session", "set"])["hops"]
    assert per_session.sort_index().tolist() == declared.sort_index().astype(int).tolist()
    pq = pd.read_parquet(out / "hops.parquet")
    assert len(pq) == len(hops)
    pd.testing.assert_series_equal(
        pq["contact_ms"].reset_index(drop=True), hops["contact_ms"], check_exact=False, rtol=1e-5
    )
    assert len(pd.read_parquet(out / "sessions.parquet")) == len(sessions)


def test_index_and_athlete_pages(batch_out):
    _, out = batch_out
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "1 file(s) could not be analysed" in index
    assert "Bad_L_2026-11-04.csv" in index
    for athlete in ("Ann", "Bob", "Cy"):
        page = out / "athletes" / f"{athlete_slug(athlete)}.html"
        assert page.is_file()
        assert f'href="athletes/{athlete_slug(athlete)}.html"' in index
    ann = (out / "athletes" / f"{athlete_slug('Ann')}.html").read_text(encoding="utf-8")
    assert "Left / right symmetry" in ann and "2026-11-01" in ann
    assert "asymmetry" in ann  # 2.7 Hz right against 3.2 Hz left


def test_summary_lists_failure(squad_dir, tmp_path, capsys):
    code = main(["batch", str(squad_dir), "-o", str(tmp_path), "--workers", "1", "--no-progress"])
    assert code == 1
    stdout = capsys.readouterr().out
    assert "5 of 6 recordings analysed (3 athletes)" in stdout
    assert "failed:" in stdout and "Bad_L_2026-11-04.csv" in stdout


def test_serial_and_parallel_agree(squad_dir):
    a = run_batch([squad_dir], workers=1)
    b = run_batch([squad_dir], workers=2)
    pd.testing.assert_frame_equal(a.sessions, b.sessions)
    pd.testing.assert_frame_equal(a.hops, b.hops)
    assert a.failures == b.failures and len(a.failures) == 1


def test_all_good_exits_zero(squad_dir, tmp_path):
    code = main(
        ["batch", str(squad_dir / "Ann_L_2026-11-01.csv"), "-o", str(tmp_path), "--no-progress"]
    )
    assert code == 0


class TestPattern:
    def test_fields(self):
        m = compile_pattern("{athlete}_{leg}_{date}").match("Mary_Ann_r_20261105_extra")
        assert m["athlete"] == "Mary_Ann" and m["leg"] == "r" and m["date"] == "20261105"

    def test_other_order_and_wildcard(self):
        m = compile_pattern("{date}-{*}-{athlete}-{leg}").match("2026-11-05-morning-Li-L")
        assert m["athlete"] == "Li" and m["date"] == "2026-11-05"

    def test_errors(self):
        with pytest.raises(ValueError, match="unknown field"):
            compile_pattern("{athlete}_{foot}")
        with pytest.raises(ValueError, match="twice"):
            compile_pattern("{athlete}_{athlete}")
        with pytest.raises(ValueError, match="no field"):
            compile_pattern("plain")

    def test_cli_bad_pattern_and_no_files(self, tmp_path, capsys):
        assert main(["batch", str(tmp_path), "-o", str(tmp_path / "o"), "--pattern", "{x}"]) == 2
        assert "unknown field" in capsys.readouterr().err
        assert main(["batch", str(tmp_path), "-o", str(tmp_path / "o")]) == 2
        assert "no recordings found" in capsys.readouterr().err
        assert main(["batch", str(tmp_path / "missing"), "-o", str(tmp_path / "o")]) == 2


def test_file_name_labels_missing_become_unknown(tmp_path):
    write_hopscope(tmp_path / "session1.csv", simulate(8), sidecar=False)
    result = run_batch([tmp_path], workers=1)
    row = result.sessions.iloc[0]
    assert row["athlete"] == "unknown" and row["leg"] == "" and row["date"] == ""
    assert row["session"] == "session1"


def test_reports_option_writes_and_links_session_reports(squad_dir, tmp_path):
    ann = squad_dir / "Ann_L_2026-11-01.csv"
    bad = squad_dir / "Bad_L_2026-11-04.csv"
    code = main(
        [
            "batch",
            str(ann),
            str(bad),
            "-o",
            str(tmp_path),
            "--reports",
            "--no-progress",
            "--workers",
            "1",
        ]
    )
    assert code == 1
    sessions = pd.read_csv(tmp_path / "sessions.csv", keep_default_na=False)
    ok = sessions[sessions["status"] == "ok"]
    (report,) = set(ok["report"])
    assert report.startswith("sessions/") and report.endswith(".html")
    html = (tmp_path / report).read_text(encoding="utf-8")
    assert "Ann" in html and 'id="verdict-set-1"' in html
    assert sessions.loc[sessions["status"] == "error", "report"].tolist() == [""]
    page = (tmp_path / "athletes" / f"{athlete_slug('Ann')}.html").read_text(encoding="utf-8")
    assert f'href="../{report}"' in page
    assert f'href="{report}"' in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_squad_pages_escape_names_and_errors(tmp_path):
    from tests.analysis.report.test_session_report import EVIL, external_references

    folder = tmp_path / "in"
    folder.mkdir()
    write_hopscope(
        folder / "a.csv", simulate(40, athlete=EVIL, leg="L", start_utc="2026-11-01T07:00:00Z")
    )
    (folder / "<b>bad<i>_L_2026-11-02.csv").write_text("<script>alert(2)</script>\n")
    out = tmp_path / "out"
    assert main(["batch", str(folder), "-o", str(out), "--workers", "1", "--no-progress"]) == 1
    pages = [out / "index.html", *(out / "athletes").glob("*.html")]
    assert len(pages) == 2  # the failed file has no analysed session, so no athlete page
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert EVIL not in html and "<script>alert(2)" not in html and "<b>bad<i>" not in html
        assert html.count("<script>") == 1
        assert external_references(html) == []
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "&lt;b&gt;bad&lt;i&gt;_L_2026-11-02.csv" in index


def test_output_folder_inside_input_is_not_analysed(tmp_path):
    write_hopscope(tmp_path / "Ann_L_2026-11-01.csv", simulate(50), sidecar=False)
    out = tmp_path / "out"
    for _ in range(2):  # the second run must not read the first run's tables
        assert main(["batch", str(tmp_path), "-o", str(out), "--no-progress"]) == 0
    sessions = pd.read_csv(out / "sessions.csv")
    assert set(sessions["file"]) == {str(tmp_path / "Ann_L_2026-11-01.csv")}
