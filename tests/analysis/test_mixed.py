"""``exercise="auto"``: hop sets and rebound jumps in one recording, each judged as its drill."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisSettings, HopAnalysis, analyze, squad
from analysis.cli import main
from analysis.mixed import combine, hop_set_spans
from analysis.result import FLAG_BELOW_TARGET, FLAG_SLOW_REBOUND, SET_COLUMNS
from analysis.validation import match_hops
from imu.errors import HopscopeWarning
from imu.simulate import Artefacts, SetSpec, simulate_session
from tests.analysis.report.factory import FakeSet, make_result

HOPS_FAST = SetSpec(hops=16, hop_hz=3.3, duty_factor=0.5)
HOPS_SLOW = SetSpec(hops=16, hop_hz=2.6, duty_factor=0.6)


def _jumps(contact_ms: float, hops: int = 5) -> SetSpec:
    return SetSpec(
        exercise="rebound",
        hops=hops,
        contact_ms=contact_ms,
        flight_ms=430.0,
        box_height_m=0.4,
        jump_rest_s=5.0,
    )


def _analyze(sim, exercise: str) -> HopAnalysis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        return analyze(sim.recording(), settings=AnalysisSettings(exercise=exercise))


def _mixed(seed: int, rate_hz: float = 200.0, **changes):
    """Hop set, slow rebound jumps (700 ms, longer than the hop limit), hop set below target.

    Rests of 6 s: shorter than the 12 s that joins rebound jumps into a set.
    """
    sets = [HOPS_FAST, _jumps(700.0), HOPS_SLOW, _jumps(200.0, hops=6)]
    return simulate_session(
        seed, sample_rate_hz=rate_hz, sets=sets, rest_s=6.0, walking_s=3.0, **changes
    )


@pytest.mark.parametrize(
    ("seed", "rate_hz", "artefacts"),
    [(8101, 200.0, Artefacts()), (8102, 100.0, Artefacts.harsh()), (8103, 416.0, Artefacts())],
)
def test_each_set_found_as_its_drill(seed, rate_hz, artefacts):
    sim = _mixed(seed, rate_hz, artefacts=artefacts)
    result = _analyze(sim, "auto")
    truth_sets = sim.truth_sets
    assert result.sets["exercise"].tolist() == truth_sets["exercise"].tolist()
    assert list(result.sets.columns) == list(SET_COLUMNS)
    assert result.sets["set"].tolist() == [1, 2, 3, 4]
    # Every contact is found in the set of its drill and number, timed.
    ti, hi = match_hops(sim.truth, result.hops, tolerance_s=0.05)
    assert len(ti) >= 0.97 * len(sim.truth)
    assert len(hi) >= 0.97 * len(result.hops)
    assert (result.hops["set"].to_numpy()[hi] == sim.truth["set"].to_numpy()[ti]).all()
    err = result.hops["contact_ms"].to_numpy()[hi] - sim.truth["contact_ms"].to_numpy()[ti]
    assert np.nanmean(np.abs(err)) < 6.0
    # Hop numbers restart in every set.
    for _, group in result.hops.groupby("set"):
        assert group["hop"].tolist() == list(range(1, len(group) + 1))
    # Verdicts by drill: the rate target only for hop sets.
    verdicts = [set(f) & {FLAG_BELOW_TARGET, FLAG_SLOW_REBOUND} for f in result.sets["flags"]]
    assert verdicts == [set(), {FLAG_SLOW_REBOUND}, {FLAG_BELOW_TARGET}, set()]
    hop_sets = result.sets["exercise"] == "hops"
    err_hz = result.sets.loc[hop_sets, "hop_hz"].to_numpy() - truth_sets.loc[hop_sets, "hop_hz"]
    assert np.abs(err_hz).max() <= 0.02


def test_hop_sets_as_the_hop_analysis_has_them():
    """Hop sets exactly as the hop analysis finds them; jumps timed by the rebound rules."""
    sim = _mixed(8111)
    auto, hops, rebound = (_analyze(sim, e) for e in ("auto", "hops", "rebound"))
    cols = ["landing_s", "takeoff_s", "contact_ms", "flight_ms", "hop_hz"]
    sets = auto.sets.loc[auto.sets["exercise"] == "hops", "set"]
    part = auto.hops.loc[auto.hops["set"].isin(sets), cols].reset_index(drop=True)
    repeated = hops.sets.loc[hops.sets["hops"] >= 3]
    assert len(repeated) == 2
    own = hops.hops.loc[hops.hops["set"].isin(repeated["set"]), cols]
    pd.testing.assert_frame_equal(part, own.reset_index(drop=True))
    auto_hz = auto.sets.loc[auto.sets["exercise"] == "hops", "hop_hz"].to_numpy()
    assert np.array_equal(auto_hz, repeated["hop_hz"].to_numpy())
    # The rebound analysis alone joins the jumps and the hop set between them (rests under
    # 12 s); here they are apart, and the 700 ms contacts the hop analysis rejects are kept.
    assert len(rebound.sets) < len(auto.sets)
    jumps = auto.hops.loc[~auto.hops["set"].isin(sets)]
    truth = sim.truth.loc[sim.truth["exercise"] == "rebound"]
    ti, hi = match_hops(truth, jumps, tolerance_s=0.05)
    assert len(ti) == len(truth) == len(jumps)
    err = jumps["contact_ms"].to_numpy()[hi] - truth["contact_ms"].to_numpy()[ti]
    assert np.abs(err).max() < 10.0
    assert (jumps["contact_ms"] > 600).sum() == 5
    assert (hops.hops["contact_ms"] > 600).sum() == 0


def test_one_drill_gives_that_drills_analysis():
    hop_sim = simulate_session(8121, sample_rate_hz=200.0, sets=[HOPS_FAST, HOPS_SLOW], rest_s=8.0)
    auto, hops = _analyze(hop_sim, "auto"), _analyze(hop_sim, "hops")
    pd.testing.assert_frame_equal(auto.hops, hops.hops)
    pd.testing.assert_frame_equal(auto.sets, hops.sets)
    assert auto.flags == hops.flags
    assert auto.settings.exercise == "auto"
    jump_sim = simulate_session(8122, sample_rate_hz=200.0, sets=[_jumps(300.0)])
    auto, rebound = _analyze(jump_sim, "auto"), _analyze(jump_sim, "rebound")
    pd.testing.assert_frame_equal(auto.hops, rebound.hops)
    pd.testing.assert_frame_equal(
        auto.sets.drop(columns="exercise"), rebound.sets.drop(columns="exercise")
    )
    assert auto.sets["exercise"].tolist() == ["rebound"]


def test_hop_sessions_are_analysed_once(monkeypatch):
    """With every flight in a hop set the rebound analysis is skipped: it would find nothing."""
    from analysis import pipeline

    sim = simulate_session(8125, sample_rate_hz=200.0, sets=[HOPS_FAST, HOPS_SLOW], rest_s=8.0)
    recording = sim.recording()
    settings = AnalysisSettings(exercise="auto")
    signal = pipeline._signal(recording, settings, None)
    hops = pipeline._analyze(signal, settings.replace(exercise="hops"))
    spans = hop_set_spans(hops, margin_s=settings.set_gap_s)
    rebound = pipeline._analyze(signal, settings.replace(exercise="rebound"), skip_spans=spans)
    assert rebound.n_hops == 0
    full = combine(hops, rebound, settings)
    calls = []
    analyse_one = pipeline._analyze
    monkeypatch.setattr(
        pipeline, "_analyze", lambda *a, **k: calls.append(k) or analyse_one(*a, **k)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        auto = analyze(recording, settings=settings)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(auto.hops, full.hops)
    pd.testing.assert_frame_equal(auto.sets, full.sets)
    assert auto.flags == full.flags and auto.quality == full.quality


def test_nothing_found():
    sim = simulate_session(8131, sample_rate_hz=100.0, sets=[], walking_s=30.0)
    result = _analyze(sim, "auto")
    assert result.n_hops == 0 and len(result.sets) == 0
    assert list(result.sets.columns) == list(SET_COLUMNS)


def test_hop_set_spans_only_repeated_hops():
    sim = _mixed(8141)
    spans = hop_set_spans(_analyze(sim, "hops"), margin_s=0.0)
    truth = sim.truth_sets
    hop_truth = truth.loc[truth["exercise"] == "hops"]
    assert len(spans) == len(hop_truth)
    assert np.allclose(spans[:, 0], hop_truth["start_s"], atol=0.03)


def test_two_contacts_are_not_a_hop_set():
    """A rebound jump split in two by the hop analysis is not taken for a set of hops."""
    result = make_result(
        (FakeSet(hops=2), FakeSet(hops=2), FakeSet(hops=3), FakeSet(hops=16)), rest_s=5.0
    )
    spans = hop_set_spans(result, margin_s=0.0)
    sets = result.sets
    assert np.array_equal(spans[:, 0], sets["start_s"].to_numpy()[2:])
    assert np.array_equal(spans[:, 1], sets["end_s"].to_numpy()[2:])


def test_combine_keeps_the_settings_asked_for():
    sim = _mixed(8151)
    hops, rebound = _analyze(sim, "hops"), _analyze(sim, "rebound")
    settings = AnalysisSettings(exercise="auto", slow_contact_ms=800.0)
    result = combine(hops, rebound, settings)
    assert result.settings is settings
    # (The contact threshold of the settings given: no set is slow at 800 ms.)
    assert not any(FLAG_SLOW_REBOUND in f for f in result.sets["flags"])


def test_cli_json_and_report(tmp_path, capsys):
    sim = _mixed(8161)
    path = sim.write(tmp_path / "mixed.csv")
    js, html = tmp_path / "s.json", tmp_path / "r.html"
    hops_csv = tmp_path / "hops.csv"
    code = main(
        ["analyze", str(path), "--exercise", "auto", "--json", str(js), "--hops-csv", str(hops_csv)]
    )
    out = capsys.readouterr().out
    assert code == 0
    for line in ("1 hops", "2 jumps", "3 hops", "4 jumps", "target ≥2.95 for hop sets"):
        assert line in out
    assert "exercise auto" in out
    jumps = int((sim.truth["exercise"] == "rebound").sum())
    assert f"{len(sim.truth)} contacts in 4 set(s): {len(sim.truth) - jumps} hops, {jumps}" in out
    summary = json.loads(js.read_text())
    assert [s["exercise"] for s in summary["sets"]] == ["hops", "rebound", "hops", "rebound"]
    assert summary["settings"]["exercise"] == "auto"
    # Every row of the hops CSV names the drill of its set.
    rows = pd.read_csv(hops_csv)
    drill = {s["set"]: s["exercise"] for s in summary["sets"]}
    assert rows["exercise"].tolist() == [drill[k] for k in rows["set"]]
    assert set(rows["exercise"]) == {"hops", "rebound"}
    assert main(["report", str(path), "--exercise", "auto", "-o", str(html)]) == 0
    page = html.read_text()
    assert "Set 2 &middot; rebound jumps" in page
    assert "Set 3 &middot; repeated hops" in page
    assert "not judged for rebound jumps" in page


def test_batch_of_both_drills(tmp_path):
    """sessions.csv names each set's drill; the squad metrics come from the hop sets."""
    folder = tmp_path / "in"
    folder.mkdir()
    _mixed(8171).write(folder / "Ann_L_2026-11-02.csv")
    out = tmp_path / "out"
    code = main(
        ["batch", str(folder), "-o", str(out), "--exercise", "auto", "--workers", "1",
         "--no-progress"]
    )  # fmt: skip
    assert code == 0
    sessions = pd.read_csv(out / "sessions.csv")
    hops = pd.read_csv(out / "hops.csv")
    assert sessions["exercise"].tolist() == ["hops", "rebound", "hops", "rebound"]
    drill = dict(zip(sessions["set"], sessions["exercise"], strict=True))
    assert hops["exercise"].tolist() == [drill[k] for k in hops["set"]]
    summary = squad.session_summary(sessions, hops)
    (row,) = summary.itertuples(index=False)
    hop_sets = sessions.loc[sessions["exercise"] == "hops"]
    assert row.sets == 4 and row.hops == sessions["hops"].sum()
    rate = (hop_sets["hop_hz"] * hop_sets["hops"]).sum() / hop_sets["hops"].sum()
    assert row.hop_hz == pytest.approx(rate)
    contacts = hops.loc[hops["set"].isin(hop_sets["set"]), "contact_ms"]
    assert row.contact_ms == pytest.approx(contacts.median())
    assert row.contact_ms != pytest.approx(hops["contact_ms"].median())


def test_squad_summary_of_one_drill_uses_every_set():
    rows = pd.DataFrame(
        {
            "athlete": ["A", "A", "B"],
            "leg": ["L", "L", "R"],
            "date": ["2026-11-01"] * 3,
            "session": ["s1", "s1", "s2"],
            "status": ["ok"] * 3,
            "set": [1, 2, 1],
            "exercise": ["rebound", "rebound", "hops"],
            "hops": [5, 5, 20],
            "hop_hz": [0.15, 0.25, 3.1],
            "contact_ms": [300.0, 200.0, 160.0],
            "set_flags": ["", "", ""],
            "session_flags": ["", "", ""],
        }
    )
    summary = squad.session_summary(rows).set_index("session")
    assert summary.loc["s1", "hop_hz"] == pytest.approx(0.2)
    assert summary.loc["s1", "contact_ms"] == pytest.approx(250.0)
    assert summary.loc["s2", "hop_hz"] == pytest.approx(3.1)


def test_hops_summary_and_report_point_to_auto(tmp_path, capsys):
    sim = _mixed(8181)
    path = sim.write(tmp_path / "mixed.csv")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "analyse the recording with --exercise auto" in out
    # The HTML report gives the same advice; analysed with auto, neither gives any.
    html = tmp_path / "r.html"
    assert main(["report", str(path), "-o", str(html)]) == 0
    assert "analyse the recording with --exercise auto" in html.read_text()
    assert main(["report", str(path), "-o", str(html), "--exercise", "auto"]) == 0
    assert "analyse the recording with" not in html.read_text()
    assert main(["analyze", str(path), "--exercise", "auto"]) == 0
    assert "analyse" not in capsys.readouterr().out


def test_auto_finds_the_signal_once_and_warns_once_about_a_low_rate(monkeypatch):
    # The time base, magnitude and flights do not depend on the drill: both analyses of
    # a session of both drills start from one search of the signal, so one warning.
    import analysis.pipeline as pipeline

    calls = []
    real = pipeline._signal
    monkeypatch.setattr(pipeline, "_signal", lambda *a: calls.append(1) or real(*a))
    sim = _mixed(8104, 52.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = analyze(sim.recording(), settings=AnalysisSettings(exercise="auto"))
    assert len(calls) == 1
    assert len([w for w in caught if "sample rate" in str(w.message)]) == 1
    assert set(result.sets["exercise"]) == {"hops", "rebound"}
