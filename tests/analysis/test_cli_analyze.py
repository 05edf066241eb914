"""``hopscope analyze`` end to end: summaries, output files and every kind of bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.result import HOP_COLUMNS
from imu.recording import RecordingMeta
from imu.simulate import SetSpec, simulate_session


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "session.csv"
    sim = simulate_session(
        4001,
        sample_rate_hz=200.0,
        sets=[SetSpec(hops=12, hop_hz=3.3, duty_factor=0.5), SetSpec(hops=12, hop_hz=2.5)],
        rest_s=6.0,
        body_mass_kg=68.0,
    )
    sim.write(path)
    return path, sim


def test_summary_and_outputs(recording, tmp_path, capsys):
    path, sim = recording
    hops_csv, js, png = tmp_path / "hops.csv", tmp_path / "s.json", tmp_path / "p.png"
    code = main(
        ["analyze", str(path), "--hops-csv", str(hops_csv), "--json", str(js), "--plot", str(png)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "24 hops in 2 set(s)" in out
    assert "PASS" in out and "FAIL" in out
    assert "below_target_frequency" in out
    assert "Settings:" in out and "target 3 Hz" in out

    table = pd.read_csv(hops_csv)
    assert list(table.columns) == list(HOP_COLUMNS)
    assert len(table) == 24
    # the last hop of each set has a flight (the landing into standing follows)
    assert table["flight_ms"].notna().all()
    np.testing.assert_allclose(table["landing_s"], sim.truth["landing_s"], atol=0.01)

    summary = json.loads(js.read_text())
    assert summary["hops"] == 24
    assert [s["hops"] for s in summary["sets"]] == [12, 12]
    for key in ("set", "start_s", "end_s", "hops", "hop_hz", "contact_ms", "flight_ms", "flags"):
        assert key in summary["sets"][0]
    assert summary["sets"][1]["flags"] == ["below_target_frequency"]
    assert summary["settings"]["slow_contact_ms"] == 250.0
    assert summary["quality"]["effective_rate_hz"] == pytest.approx(200.0, rel=1e-3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_settings_from_the_command_line(recording, tmp_path, capsys):
    path, _ = recording
    js = tmp_path / "s.json"
    code = main(
        [
            "analyze",
            str(path),
            "--target-hz",
            "2.2",
            "--slow-contact-ms",
            "150",
            "--body-mass-kg",
            "80",
            "--json",
            str(js),
        ]
    )
    assert code == 0
    summary = json.loads(js.read_text())
    assert summary["settings"]["target_hz"] == 2.2
    assert summary["settings"]["body_mass_kg"] == 80.0
    assert all("below_target_frequency" not in s["flags"] for s in summary["sets"])
    assert all("slow_rebound" in s["flags"] for s in summary["sets"])
    assert "body mass 80 kg" in capsys.readouterr().out


def test_empty_cells_written_empty(tmp_path, capsys):
    # a recording that ends in flight: the last contact has no flight and no rate
    sim = simulate_session(4002, sample_rate_hz=200.0, sets=[SetSpec(hops=8)], end_standing_s=0.5)
    cut = sim.samples[sim.samples["time_s"] < sim.truth["takeoff_s"].iloc[-1] + 0.05]
    path = tmp_path / "cut.csv"
    cut.to_csv(path, index=False)
    out_csv = tmp_path / "hops.csv"
    assert main(["analyze", str(path), "--hops-csv", str(out_csv)]) == 0
    lines = out_csv.read_text().splitlines()
    last = lines[-1].split(",")
    assert last[HOP_COLUMNS.index("flight_ms")] == ""
    assert last[HOP_COLUMNS.index("hop_hz")] == ""
    capsys.readouterr()


@pytest.mark.parametrize("stiffness", ["none", "some", "all"])
def test_hops_csv_cells_as_formatted_one_by_one(tmp_path, stiffness):
    # Rows are formatted whole; the text must be that of formatting every cell on its own
    # (times with 6 decimals, other numbers with 6 significant digits, NaN empty).
    import dataclasses

    from analysis import analyze
    from analysis.cli.analyze import write_hops_csv

    t = np.arange(0, 2, 0.01)
    still = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": 1 + 0 * t})
    rng = np.random.default_rng(7)
    n = 40
    hops = pd.DataFrame({c: rng.normal(0, 300, n) for c in HOP_COLUMNS})
    hops["set"] = np.arange(n) // 10 + 1
    hops["hop"] = np.arange(n) % 10 + 1
    hops["impact_clipped"] = rng.random(n) < 0.3
    hops["edge_lost"] = np.where(rng.random(n) < 0.2, "landing", "")
    hops.loc[3, "contact_ms"] = np.inf
    hops.loc[4, "flight_ms"] = -0.0
    hops.loc[5, ["flight_ms", "hop_hz"]] = np.nan
    hops.loc[6, "landing_s"] = np.nan
    hops.loc[7, "duty_factor"] = 1e300
    hops["stiffness_kn_per_m"] = {"none": np.nan, "some": 12.5, "all": 30.0}[stiffness]
    if stiffness == "some":
        hops.loc[8, "stiffness_kn_per_m"] = np.nan
    result = dataclasses.replace(analyze(still), hops=hops)
    path = write_hops_csv(result, tmp_path / "hops.csv")

    def cell(name, v):
        if isinstance(v, float):
            return "" if v != v else format(v, ".6f" if name.endswith("_s") else ".6g")
        return str(v)

    rows = zip(*(hops[c].tolist() for c in HOP_COLUMNS), strict=True)
    expected = [",".join(HOP_COLUMNS)]
    expected += [",".join(cell(c, v) for c, v in zip(HOP_COLUMNS, r, strict=True)) for r in rows]
    assert path.read_text(encoding="utf-8") == "\n".join(expected) + "\n"


def test_no_hops_says_so_and_exits_0(tmp_path, capsys):
    sim = simulate_session(4003, sample_rate_hz=100.0, sets=[], walking_s=10.0)
    path = tmp_path / "walk.csv"
    sim.write(path)
    js = tmp_path / "s.json"
    assert main(["analyze", str(path), "--json", str(js)]) == 0
    assert "No hops found" in capsys.readouterr().out
    assert json.loads(js.read_text())["hops"] == 0


def test_low_rate_warning_is_one_line(tmp_path, capsys):
    sim = simulate_session(4004, sample_rate_hz=52.0, sets=[SetSpec(hops=6)])
    path = tmp_path / "slow.csv"
    sim.write(path)
    assert main(["analyze", str(path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    warnings = [line for line in err if "warning" in line]
    assert sum("52 Hz is below 100 Hz" in line for line in warnings) == 1
    assert not any("sample rate" in line and "52 Hz is below" not in line for line in warnings)
    assert all(line.startswith("hopscope: warning: ") for line in warnings)
    assert not any("HopscopeWarning" in line or "warnings.warn" in line for line in err)


GOOD = "time_s,ax_g,ay_g,az_g\n0.00,0,0,1\n0.01,0,0,1\n0.02,0,0,1\n"


@pytest.mark.parametrize(
    ("name", "text", "expect"),
    [
        ("missing", None, "file not found"),
        ("empty", "", "empty"),
        ("columns", "t,ax_g,ay_g,az_g\n0,0,0,1\n", "column"),
        ("missing_column", "time_s,ax_g,ay_g\n0,0,0\n", "time_s,ax_g,ay_g"),
        ("text", GOOD + "0.03,0,abc,1\n", "line 5"),
        ("backwards", GOOD + "0.015,0,0,1\n", "backwards"),
        ("repeats", GOOD + "0.02,0,0,1\n", "repeats"),
        ("nan", GOOD + "0.03,0,NaN,1\n", "line 5"),
        ("header_only", "time_s,ax_g,ay_g,az_g\n", "no samples"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, name, text, expect):
    path = tmp_path / f"{name}.csv"
    if text is not None:
        path.write_text(text)
    code = main(["analyze", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert str(path) in err
    assert expect in err
    assert "Traceback" not in err


def test_unknown_format_and_bad_options(tmp_path, capsys):
    path = tmp_path / "ok.csv"
    path.write_text(GOOD)
    assert main(["analyze", str(path), "--format", "nonsense"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nonsense" in err
    assert main(["analyze", str(path), "--acc-cols", "a,b"]) == 2
    assert "--acc-cols" in capsys.readouterr().err
    assert main(["analyze", str(path), "--target-hz", "-1"]) == 2
    assert "target_hz" in capsys.readouterr().err
    assert main(["analyze", str(path), "--json", str(tmp_path / "no" / "dir" / "s.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_script_end_to_end(recording, tmp_path):
    path, _ = recording
    exe = Path(sys.executable).with_name("hopscope")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "analysis.cli"]
    ok = subprocess.run([*cmd, "analyze", str(path)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "24 hops" in ok.stdout
    bad = subprocess.run(
        [*cmd, "analyze", str(tmp_path / "nope.csv")], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "nope.csv" in bad.stderr


def test_metadata_body_mass_reaches_stiffness(recording, tmp_path):
    path, _ = recording
    out_csv = tmp_path / "h.csv"
    assert main(["analyze", str(path), "--hops-csv", str(out_csv)]) == 0
    assert pd.read_csv(out_csv)["stiffness_kn_per_m"].notna().all()
    assert RecordingMeta.from_dict(json.loads(path.with_suffix(".json").read_text())).body_mass_kg


def test_loader_options_for_a_generic_table(recording, tmp_path, capsys):
    path, _ = recording
    df = pd.read_csv(path)
    generic = pd.DataFrame(
        {
            "stamp_ms": df["time_s"] * 1000,
            "X": df["ax_g"] * 1000,
            "Y": df["ay_g"] * 1000,
            "Z": df["az_g"] * 1000,
        }
    )
    other = tmp_path / "generic.csv"
    generic.to_csv(other, index=False)
    args = ["--format", "csv", "--time-col", "stamp_ms", "--acc-cols", "X,Y,Z", "--units", "mg"]
    code = main(["analyze", str(other), *args, "--time-units", "ms"])
    assert code == 0
    assert "24 hops in 2 set(s)" in capsys.readouterr().out


def test_hops_with_an_edge_lost_in_a_gap_are_counted_and_left_untimed(tmp_path, capsys):
    from imu.recording import write_recording
    from imu.simulate import Artefacts

    sim = simulate_session(
        4002,
        sample_rate_hz=200.0,
        sets=[SetSpec(hops=14, hop_hz=3.0, duty_factor=0.55, variability=0.02)],
        artefacts=Artefacts(),
    )
    hop = sim.truth.iloc[6]
    t = sim.samples["time_s"].to_numpy()
    lost = (t > hop["landing_s"] - 0.005) & (t < hop["landing_s"] + 0.04)
    path = write_recording(
        tmp_path / "gappy.csv", sim.samples.loc[~lost].reset_index(drop=True), sim.meta
    )
    hops_csv = tmp_path / "hops.csv"
    assert main(["analyze", str(path), "--hops-csv", str(hops_csv)]) == 0
    out = capsys.readouterr().out
    assert f"{len(sim.truth)} hops in 1 set(s)" in out
    assert "1 hop(s) with a landing or take-off lost in a gap" in " ".join(out.split())
    table = pd.read_csv(hops_csv, keep_default_na=False)
    lost_rows = table.loc[table["edge_lost"] == "landing"]
    assert len(lost_rows) == 1
    assert lost_rows["landing_s"].iloc[0] == "" and lost_rows["contact_ms"].iloc[0] == ""
    assert float(lost_rows["takeoff_s"].iloc[0]) == pytest.approx(hop["takeoff_s"], abs=0.01)


@pytest.fixture(scope="module")
def rebound_recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("rebound") / "jumps.csv"
    spec = SetSpec(exercise="rebound", hops=4, contact_ms=220.0, flight_ms=420.0, jump_rest_s=4.0)
    simulate_session(3411, sample_rate_hz=200.0, sets=[spec], rest_s=10.0).write(path)
    return path


def test_rebound_jumps_analysed_as_hops_get_a_hint(rebound_recording, capsys):
    assert main(["analyze", str(rebound_recording)]) == 0
    out = capsys.readouterr().out
    assert "4 hops in 4 set(s)" in out  # the rest between jumps ends each "set"
    assert "4 sets hold a single contact between two flights (sets 1-4)" in out
    assert "analyse them with --exercise rebound." in out and "auto" not in out
    # One hop a set: no rate to judge, quick contacts; the verdict is marked as uncertain.
    assert out.count("PASS?") == 4 and "FAIL" not in out
    assert "?: fewer than 5 hops, the verdict is uncertain" in out


def test_rebound_summary_names_its_own_rules(rebound_recording, capsys):
    assert main(["analyze", str(rebound_recording), "--exercise", "rebound"]) == 0
    out = capsys.readouterr().out
    assert "4 hops in 1 set(s)" in out
    assert "--exercise rebound" not in out and "--exercise hops" not in out
    assert "Hz: jumps per second over the set" in out
    assert "jumps less than 12 s apart form a set" in out
    # No hop-rate target for rebound jumps: neither in the table head nor in the settings.
    assert "Hz (≥" not in out and "target 3 Hz" not in out


def test_repeated_hops_get_no_rebound_hint(recording, capsys):
    path, _ = recording
    assert main(["analyze", str(path)]) == 0
    assert "--exercise rebound" not in capsys.readouterr().out


def test_rebound_jumps_among_hop_sets_are_named(tmp_path, capsys):
    # A session of both drills: hop sets either side of four rebound jumps.
    path = tmp_path / "both.csv"
    jumps = SetSpec(exercise="rebound", hops=4, contact_ms=220.0, flight_ms=420.0, jump_rest_s=5.0)
    sets = [SetSpec(hops=15, hop_hz=3.1), jumps, SetSpec(hops=15, hop_hz=2.7)]
    simulate_session(3601, sample_rate_hz=200.0, sets=sets, rest_s=20.0).write(path)
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 sets hold a single contact between two flights (sets 2-5)" in out
    assert "analyse the recording with --exercise auto" in out
    # Analysed as rebound jumps, the hop sets are named, and auto is the way to both.
    assert main(["analyze", str(path), "--exercise", "rebound"]) == 0
    out = capsys.readouterr().out
    assert "Sets 1, 3: contacts less than 1 s apart" in out
    assert "--exercise auto" in out


def test_set_list_is_short():
    from analysis.mixed import _set_list

    assert _set_list([2, 3, 4, 7]) == "2-4, 7"
    assert _set_list([1]) == "1"
    assert _set_list([1, 3, 4]) == "1, 3-4"


def test_repeated_hops_analysed_as_rebound_jumps_get_a_hint(recording, capsys):
    path, _ = recording
    assert main(["analyze", str(path), "--exercise", "rebound"]) == 0
    out = capsys.readouterr().out
    # The two hop sets, 6 s apart, are one "set" of rebound jumps.
    assert "24 hops in 1 set(s)" in out
    assert "Set 1: contacts less than 1 s apart, like repeated hops" in out
    assert "--exercise hops for hop sets" in out and "auto" not in out


@pytest.mark.parametrize("which", ["recording", "rebound_recording"])
@pytest.mark.filterwarnings("ignore::imu.errors.HopscopeWarning")
def test_terminal_verdicts_are_the_reports(which, request, capsys):
    # Pass, fail, and too few hops (the rebound jumps as hops): the terminal's mark of each
    # set is the HTML report's verdict.
    from analysis import analyze_file
    from analysis.report import set_verdicts

    path = request.getfixturevalue(which)
    path = path[0] if isinstance(path, tuple) else path
    assert main(["analyze", str(path)]) == 0
    cells = [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("│") and line.split("│")[1].strip().isdigit()
    ]
    marks = {int(c[0]): c[5] for c in cells}
    result = analyze_file(path)
    expected = {
        v.set: ("PASS" if v.passed else "FAIL") + ("?" if "too_few_hops" in v.flags else "")
        for v in set_verdicts(result)
    }
    assert marks == expected
    assert set(marks.values()) == ({"PASS?"} if which == "rebound_recording" else {"PASS", "FAIL"})
