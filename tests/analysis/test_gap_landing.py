"""A landing whose impact is lost in a gap must not be timed, nor end the set frequency."""

import dataclasses
import warnings

import numpy as np
import pytest

from analysis import AnalysisSettings, analyze
from imu.errors import HopscopeWarning
from imu.simulate import Artefacts, SetSpec, simulate_session


@pytest.mark.parametrize(
    ("seed", "rate_hz", "cut_after_ms"), [(11, 100.0, 5.0), (12, 52.0, 20.0), (14, 100.0, 20.0)]
)
def test_gap_over_the_first_landing_gives_the_right_set_frequency(seed, rate_hz, cut_after_ms):
    # Heel mounting: the heel drop after the impact is a second bump that looks like one.
    sim = simulate_session(
        seed,
        sample_rate_hz=rate_hz,
        placement="heel",
        sets=[SetSpec(hops=16, hop_hz=3.1, duty_factor=0.55, variability=0.02, fatigue=0.1)],
        artefacts=Artefacts(),
    )
    first = float(sim.truth["landing_s"].iloc[0])
    t = sim.samples["time_s"].to_numpy()
    # Packets lost from the end of the flight to just after the impact: what follows the gap
    # is the impact's decay and ringing.
    lost = (t > first - 0.06) & (t < first + cut_after_ms / 1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)  # 52 Hz: coarse timing
        result = analyze(sim.samples.loc[~lost].reset_index(drop=True), meta=sim.meta)

    true_hz = float(sim.truth_sets["hop_hz"].iloc[0])
    assert len(result.sets) == 1
    assert abs(result.sets["hop_hz"].iloc[0] - true_hz) <= 0.02
    # Every reported landing is a true one (none taken from the ringing after the gap); a
    # contact kept with its landing lost in the gap has none (NaN).
    hops = result.hops
    assert (hops.loc[hops["landing_s"].isna(), "edge_lost"] == "landing").all()
    landings = hops["landing_s"].dropna().to_numpy()
    true = sim.truth["landing_s"].to_numpy()
    assert len(landings) >= len(true) - 3
    tolerance_s = 0.015 if rate_hz >= 100 else 0.03
    assert np.abs(landings[:, None] - true[None, :]).min(axis=1).max() <= tolerance_s
    assert first not in landings


def _set_with_lost_packets(seed, rate_hz, where):
    """A 3 Hz set with the packets around one contact's landing or take-off removed.

    ``where`` is ``"landing"`` (from 5 ms before the landing to 15 ms after the impact's
    rise) or ``"takeoff"`` (25 ms either side of the take-off); the contact is the 8th.
    """
    sim = simulate_session(
        seed,
        sample_rate_hz=rate_hz,
        sets=[SetSpec(hops=16, hop_hz=3.0, duty_factor=0.55, variability=0.02)],
        artefacts=Artefacts(),
    )
    hop = sim.truth.iloc[7]
    t = sim.samples["time_s"].to_numpy()
    if where == "landing":
        lost = (t > hop["landing_s"] - 0.005) & (t < hop["landing_s"] + 0.04)
    else:
        lost = (t > hop["takeoff_s"] - 0.025) & (t < hop["takeoff_s"] + 0.025)
    samples = sim.samples.loc[~lost].reset_index(drop=True)
    return sim, hop, analyze(samples, meta=sim.meta)


def _the_one_lost(sim, hops, edge):
    """Every true contact is counted; exactly one has ``edge`` lost, untimed (NaN)."""
    assert len(hops) == len(sim.truth)
    lost = hops.loc[hops["edge_lost"] == edge]
    assert len(lost) == 1
    row = lost.iloc[0]
    assert np.isnan(row[f"{edge}_s"]) and np.isnan(row["contact_ms"])
    return lost, row


@pytest.mark.parametrize("rate_hz", [100.0, 200.0, 800.0])
def test_a_contact_whose_landing_is_lost_is_counted_with_its_take_off(rate_hz):
    sim, hop, result = _set_with_lost_packets(21, rate_hz, "landing")
    hops = result.hops
    lost, row = _the_one_lost(sim, hops, "landing")
    assert abs(row["takeoff_s"] - hop["takeoff_s"]) <= 0.01
    # Its flight (take-off to the next landing) is measured; the hop before has none.
    assert abs(row["flight_ms"] - hop["flight_ms"]) <= 10
    before = hops.iloc[hops.index.get_loc(lost.index[0]) - 1]
    assert np.isnan(before["flight_ms"]) and np.isfinite(before["contact_ms"])
    assert (hops.loc[hops["edge_lost"] == "", ["landing_s", "takeoff_s"]].notna()).all().all()
    assert result.sets["hops"].iloc[0] == len(sim.truth)
    assert abs(result.sets["hop_hz"].iloc[0] - sim.truth_sets["hop_hz"].iloc[0]) <= 0.02


@pytest.mark.parametrize("rate_hz", [100.0, 200.0])
def test_a_contact_whose_take_off_is_lost_is_counted_with_its_landing(rate_hz):
    sim, hop, result = _set_with_lost_packets(22, rate_hz, "takeoff")
    hops = result.hops
    _, row = _the_one_lost(sim, hops, "takeoff")
    assert np.isnan(row["flight_ms"])
    assert abs(row["landing_s"] - hop["landing_s"]) <= 0.01
    # The set's median contact comes from the timed contacts only.
    timed = hops["contact_ms"].dropna()
    assert result.sets["contact_ms"].iloc[0] == pytest.approx(timed.median())


@pytest.mark.parametrize("seed", [23, 24, 25])
def test_a_gap_inside_flights_adds_no_contact(seed):
    # Packets lost in the middle of several flights: nothing to recover, nothing invented.
    sim = simulate_session(
        seed,
        sample_rate_hz=800.0,
        sets=[SetSpec(hops=16, hop_hz=2.8, duty_factor=0.5, variability=0.02)],
        artefacts=Artefacts(messy_flight=0.8, pre_landing=0.5),
    )
    truth = sim.truth
    t = sim.samples["time_s"].to_numpy()
    lost = np.zeros(len(t), dtype=bool)
    for _, hop in truth.iloc[2:14:3].iterrows():
        middle = hop["takeoff_s"] + hop["flight_ms"] / 2e3
        lost |= (t > middle - 0.007) & (t < middle + 0.007)
    result = analyze(sim.samples.loc[~lost].reset_index(drop=True), meta=sim.meta)
    assert len(result.hops) == len(truth)
    assert (result.hops["edge_lost"] == "").all()


def _rebound_set(seed, rate_hz, contact_ms=260.0, jump_rest_s=4.0):
    """Five clean drop jumps (``contact_ms`` contacts, 420 ms flights) and their magnitude (g)."""
    sim = simulate_session(
        seed,
        sample_rate_hz=rate_hz,
        sets=[
            SetSpec(
                exercise="rebound",
                hops=5,
                contact_ms=contact_ms,
                flight_ms=420.0,
                variability=0.03,
                box_height_m=0.4,
                jump_rest_s=jump_rest_s,
            )
        ],
        artefacts=Artefacts(),
        rest_s=10.0,
    )
    s = sim.samples
    magnitude = np.sqrt(s["ax_g"] ** 2 + s["ay_g"] ** 2 + s["az_g"] ** 2).to_numpy()
    return sim, magnitude


def _middle_jump(sim):
    """The set's third jump (truth row), its final landing (s) and the sample times (s)."""
    jump = sim.truth.iloc[2]
    return jump, jump["takeoff_s"] + jump["flight_ms"] / 1e3, sim.samples["time_s"].to_numpy()


def _rebound_analysis(sim, lost):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)  # 52 Hz: coarse timing
        return analyze(
            sim.samples.loc[~lost].reset_index(drop=True),
            meta=sim.meta,
            settings=AnalysisSettings(exercise="rebound"),
        )


@pytest.mark.parametrize(("seed", "rate_hz"), [(24, 52.0), (3, 100.0), (10, 200.0)])
def test_a_landing_cut_short_by_a_gap_on_its_rise_is_still_a_landing(seed, rate_hz):
    # The packets after the first sample of the final landing's rise are lost: that sample
    # is the peak left, far weaker than the other impacts of the set.
    sim, m = _rebound_set(seed, rate_hz)
    jump, final_s, t = _middle_jump(sim)
    cut = int(np.flatnonzero((t > final_s - 0.01) & (m >= 1.6))[0])
    peaks = [m[(t >= la) & (t < la + 0.03)].max() for la in sim.truth["landing_s"]]
    assert m[cut] < 0.3 * np.median(peaks)  # (the case looked at)
    result = _rebound_analysis(sim, (t > t[cut]) & (t < t[cut] + 0.1))

    hops = result.hops
    row = hops.loc[(hops["landing_s"] - jump["landing_s"]).abs() < 1.5 / rate_hz]
    assert len(row) == 1
    # The jump's flight ends at that landing.
    assert abs(row["flight_ms"].iloc[0] - jump["flight_ms"]) < 1.5e3 / rate_hz
    assert len(hops) == len(sim.truth)


@pytest.mark.parametrize(("seed", "rate_hz"), [(24, 52.0), (3, 100.0), (10, 200.0)])
def test_limb_motion_cut_short_by_a_gap_just_before_the_impact_is_not_a_landing(seed, rate_hz):
    # The drop's flight: a 1.7 g bump of limb motion on the last sample before a gap that
    # ends 20 ms before the landing, whose impact comes right after the gap.
    sim, _ = _rebound_set(seed, rate_hz)
    jump, _, t = _middle_jump(sim)
    lost = (t > jump["landing_s"] - 0.2) & (t < jump["landing_s"] - 0.02)
    bump = int(np.flatnonzero(lost)[0]) - 1
    samples = sim.samples.copy()
    samples.loc[bump, ["ax_g", "ay_g", "az_g"]] = [0.0, 0.0, 1.7]
    sim = dataclasses.replace(sim, samples=samples)
    result = _rebound_analysis(sim, lost)

    hops = result.hops
    assert len(hops) == len(sim.truth)
    assert np.abs(hops["landing_s"].to_numpy() - sim.truth["landing_s"].to_numpy()).max() < (
        1.5 / rate_hz
    )


@pytest.mark.parametrize(("seed", "rate_hz"), [(31, 64.0), (32, 100.0), (33, 200.0)])
def test_a_jump_whose_drop_and_final_landings_are_lost_is_counted_with_its_take_off(seed, rate_hz):
    # Both landings of the middle jump fall in gaps; its contact after the first gap and
    # its take-off were recorded.
    sim, _ = _rebound_set(seed, rate_hz)
    jump, final_s, t = _middle_jump(sim)
    lost = (t > jump["landing_s"] - 0.12) & (t < jump["landing_s"] + 0.03)
    lost |= (t > final_s - 0.03) & (t < final_s + 0.15)
    result = _rebound_analysis(sim, lost)

    hops = result.hops
    assert len(hops) == len(sim.truth)
    row = hops.loc[hops["edge_lost"] != ""]
    assert row["edge_lost"].tolist() == ["landing"]
    assert np.isnan(row["flight_ms"].iloc[0])
    assert abs(row["takeoff_s"].iloc[0] - jump["takeoff_s"]) < 1.5 / rate_hz
    # One set, its rate over all five jumps.
    assert len(result.sets) == 1
    assert abs(result.sets["hop_hz"].iloc[0] - sim.truth_sets["hop_hz"].iloc[0]) <= 0.02


@pytest.mark.parametrize("seed", [3, 26, 38])
def test_limb_motion_rising_into_a_gap_after_a_take_off_is_not_a_landing(seed):
    # 100 Hz. Right after the middle jump's take-off, limb motion lifts the magnitude in a
    # rise that rounds off (0.12, 0.67, 1.50, 1.92 g: its steepest step is not its last),
    # a gap of 100 ms cuts it, and after the gap the motion holds it at 1.8 g for 70 ms
    # before the flight goes on.
    sim, _ = _rebound_set(seed, 100.0)
    jump, final_s, t = _middle_jump(sim)
    first = int(np.searchsorted(t, jump["takeoff_s"] + 0.008))
    lost = np.zeros(len(t), dtype=bool)
    lost[first + 4 : first + 14] = True
    samples = sim.samples.copy()
    rise = [0.12, 0.67, 1.50, 1.92]
    held = [1.8] * 7 + [1.3, 0.8, 0.3]
    rows = np.r_[first : first + 4, first + 14 : first + 24]
    samples.loc[rows, ["ax_g", "ay_g"]] = 0.0
    samples.loc[rows, "az_g"] = rise + held
    sim = dataclasses.replace(sim, samples=samples)
    result = _rebound_analysis(sim, lost)

    hops = result.hops
    assert len(hops) == len(sim.truth)
    row = hops.loc[(hops["landing_s"] - jump["landing_s"]).abs() < 0.015]
    assert len(row) == 1
    assert abs(row["takeoff_s"].iloc[0] - jump["takeoff_s"]) < 0.015
    # No landing in the flight (a flight with a gap inside is not measured).
    landings = hops["landing_s"].to_numpy()
    assert not ((landings > jump["takeoff_s"]) & (landings < final_s - 0.01)).any()


@pytest.mark.parametrize(("seed", "rate_hz"), [(31, 64.0), (32, 100.0), (33, 200.0)])
def test_a_jump_lost_whole_in_a_gap_does_not_split_its_set(seed, rate_hz):
    # Slow rebounds (300 ms) with about 8 s from jump to jump: the whole third jump is lost,
    # so the jumps either side of it are more than rebound_set_gap_s (12 s) apart.
    sim, _ = _rebound_set(seed, rate_hz, contact_ms=300.0, jump_rest_s=7.0)
    jump, final_s, t = _middle_jump(sim)
    landings = sim.truth["landing_s"].to_numpy()
    assert landings[3] - landings[1] > AnalysisSettings().rebound_set_gap_s  # (the case)
    result = _rebound_analysis(sim, (t > jump["landing_s"] - 0.8) & (t < final_s + 0.3))

    assert len(result.sets) == 1
    assert result.sets["hops"].iloc[0] == len(sim.truth) - 1
    # The jump rate counts the jump lost.
    assert abs(result.sets["hop_hz"].iloc[0] - sim.truth_sets["hop_hz"].iloc[0]) <= 0.02
    assert "slow_rebound" in result.sets["flags"].iloc[0]
    assert "gaps" in result.flags
