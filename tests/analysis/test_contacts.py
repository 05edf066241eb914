"""Contacts the magnitude alone misses: what gaps and the hop rhythm reveal (analysis.contacts)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisSettings, analyze
from analysis.contacts import (
    REASON_LANDING_GAP,
    REASON_SPLIT,
    _dip_in_rhythm,
    _dip_split_contacts,
    _group_rebounds,
    _lost_edges,
    _rebound_dip_splits,
    _rebound_jump_flights,
)
from analysis.validation import match_hops
from imu.errors import HopscopeWarning
from imu.simulate import SetSpec, simulate_session
from tests.analysis.signals import hop_magnitude, hop_signal, hop_table

AXES = ["ax_g", "ay_g", "az_g"]


@pytest.fixture(scope="module")
def sim():
    return simulate_session(
        4321, sample_rate_hz=200.0, sets=[SetSpec(hops=20, hop_hz=3.0, duty_factor=0.55)]
    )


def _scaled(samples, start_s, end_s, magnitude_g):
    """Samples with the magnitude set to ``magnitude_g`` in [start_s, end_s) (same direction)."""
    out = samples.copy()
    t = out["time_s"].to_numpy()
    sel = (t >= start_s) & (t < end_s)
    acc = out.loc[sel, AXES].to_numpy()
    norm = np.linalg.norm(acc, axis=1, keepdims=True)
    out.loc[sel, AXES] = acc / np.maximum(norm, 1e-9) * magnitude_g
    return out


def _rebound_sim(seed, rate_hz, *, hops, contact_ms, flight_ms):
    """A session of one rebound set, 4 s between jumps."""
    spec = SetSpec(
        exercise="rebound", hops=hops, contact_ms=contact_ms, flight_ms=flight_ms, jump_rest_s=4.0
    )
    return simulate_session(seed, sample_rate_hz=rate_hz, sets=[spec])


def _analyze(samples, exercise="hops"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        return analyze(samples, settings=AnalysisSettings(exercise=exercise))


def test_contact_without_a_trace_leaves_its_neighbours_timed(sim):
    truth = sim.truth
    k = 10
    hidden = truth.iloc[k]
    # The whole contact at flight level, as if the foot had never touched the ground.
    samples = _scaled(sim.samples, hidden["landing_s"] - 0.01, hidden["takeoff_s"] + 0.01, 0.1)
    result = _analyze(samples)
    ti, hi = match_hops(truth, result.hops, tolerance_s=0.05)
    assert len(result.hops) == len(truth) - 1
    assert sorted(set(range(len(truth))) - set(ti.tolist())) == [k]
    before = result.hops.iloc[hi[ti == k - 1][0]]
    # The contact before the hidden one is timed; its flight (over the hidden contact) is not.
    assert abs(before["contact_ms"] - truth.iloc[k - 1]["contact_ms"]) < 10
    assert np.isnan(before["flight_ms"]) and np.isnan(before["hop_hz"])
    # The set's rate counts the hidden hop's period.
    assert abs(result.sets["hop_hz"].iloc[0] - sim.truth_sets["hop_hz"].iloc[0]) < 0.02


def test_dip_and_push_off_peak_inside_a_contact_do_not_split_it():
    samples, truth = hop_table(n=16)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    k = 8
    land = truth["landing_s"].iloc[k]

    def level(start_s: float, end_s: float, value_g: float) -> None:
        m[(t >= land + start_s - 1e-9) & (t < land + end_s - 1e-9)] = value_g

    # Mid-stance the magnitude dips to flight level for 25 ms and comes back with a 5 g
    # peak; limb motion then holds it up for 45 ms after the take-off (truth: 180 ms).
    level(0.085, 0.110, 0.05)
    level(0.110, 0.115, 2.5)
    level(0.115, 0.120, 5.0)
    level(0.120, 0.140, 1.1)
    level(0.180, 0.185, 0.3)
    level(0.185, 0.230, 1.2)
    result = _analyze(samples.assign(az_g=m))
    ti, hi = match_hops(truth, result.hops, tolerance_s=0.05)
    assert len(result.hops) == len(truth) == len(ti)
    got = result.hops.iloc[hi[ti == k][0]]
    assert abs(got["contact_ms"] - 180.0) < 5
    assert abs(got["flight_ms"] - 150.0) < 5
    rejected = result.info["rejected_contacts"]
    split = rejected.loc[rejected["reason"] == REASON_SPLIT, "landing_s"].to_numpy()
    assert len(split) == 1 and land + 0.1 < split[0] < land + 0.13


@pytest.mark.parametrize("rate_hz", [52.0, 100.0, 200.0])
def test_gap_over_a_whole_flight_leaves_two_contacts(rate_hz):
    samples, truth = hop_table(n=16, rate_hz=rate_hz)
    k = 8
    t = samples["time_s"].to_numpy()
    # Lost packets from the end of contact k to just after the next landing.
    lost = (t > truth["takeoff_s"].iloc[k] - 0.03) & (t < truth["landing_s"].iloc[k + 1] + 0.02)
    result = _analyze(samples.loc[~lost].reset_index(drop=True))
    hops = result.hops
    assert len(hops) == len(truth)
    before, after = hops.iloc[k], hops.iloc[k + 1]
    period = 1.0 / rate_hz
    assert before["edge_lost"] == "takeoff" and np.isnan(before["takeoff_s"])
    assert abs(before["landing_s"] - truth["landing_s"].iloc[k]) < period
    assert np.isnan(before["contact_ms"]) and np.isnan(before["flight_ms"])
    assert after["edge_lost"] == "landing" and np.isnan(after["landing_s"])
    assert abs(after["takeoff_s"] - truth["takeoff_s"].iloc[k + 1]) < period
    assert abs(after["flight_ms"] - 150.0) < 1e3 * period
    assert (hops["edge_lost"] == "").sum() == len(truth) - 2


@pytest.mark.parametrize("rate_hz", [52.0, 200.0])
def test_landing_after_a_flight_held_up_by_limb_motion_is_found_in_rhythm(rate_hz):
    samples, truth = hop_table(n=16, rate_hz=rate_hz)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    k = 8
    # Limb motion holds the whole flight before landing k at 0.4 g: no flight-level sample.
    m[(t >= truth["takeoff_s"].iloc[k - 1]) & (t < truth["landing_s"].iloc[k])] = 0.4
    result = _analyze(samples.assign(az_g=m))
    hops = result.hops
    period = 1.0 / rate_hz
    assert len(hops) == len(truth)
    assert (hops["edge_lost"] == "").all()
    np.testing.assert_allclose(hops["landing_s"], truth["landing_s"], atol=period)
    np.testing.assert_allclose(hops["takeoff_s"], truth["takeoff_s"], atol=period)
    # The flight before it is measured again.
    assert abs(hops["flight_ms"].iloc[k - 1] - 150.0) < 1e3 * period


@pytest.mark.parametrize("rate_hz", [52.0, 200.0])
def test_landing_lost_in_a_gap_is_found_in_rhythm_when_its_take_off_is_slow(rate_hz):
    samples, truth = hop_table(n=16, rate_hz=rate_hz)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    k = 8
    land, takeoff = truth["landing_s"].iloc[k], truth["takeoff_s"].iloc[k]
    # A slow fall into flight (1.5 g to flight level over 30 ms) ...
    before = takeoff - t
    falling = (before > 0) & (before < 0.03)
    m[falling] = 0.05 + 1.45 * before[falling] / 0.03
    m[(before >= 0.03) & (before < 0.07)] = 1.5
    # ... after a landing lost in a gap.
    lost = (t > land - 0.03) & (t < land + 0.04)
    result = _analyze(samples.assign(az_g=m).loc[~lost].reset_index(drop=True))
    hops = result.hops
    period = 1.0 / rate_hz
    assert len(hops) == len(truth)
    found = hops.iloc[k]
    assert found["edge_lost"] == "landing" and np.isnan(found["landing_s"])
    assert abs(found["takeoff_s"] - takeoff) < 0.015 + period
    assert abs(found["flight_ms"] - 150.0) < 15 + 1e3 * period
    # The flight before the gap is not measured.
    assert np.isnan(hops["flight_ms"].iloc[k - 1])
    assert (hops["edge_lost"] == "").sum() == len(truth) - 1


@pytest.mark.parametrize("rate_hz", [52.0, 200.0])
def test_last_contact_is_kept_when_the_landing_into_standing_is_lost(rate_hz):
    samples, truth = hop_table(n=12, rate_hz=rate_hz)
    t = samples["time_s"].to_numpy()
    final = truth["next_landing_s"].iloc[-1]
    lost = (t > final - 0.03) & (t < final + 0.03)
    hops = _analyze(samples.loc[~lost].reset_index(drop=True)).hops
    period = 1.0 / rate_hz
    assert len(hops) == len(truth)
    np.testing.assert_allclose(hops["landing_s"], truth["landing_s"], atol=period)
    np.testing.assert_allclose(hops["takeoff_s"], truth["takeoff_s"], atol=period)
    assert (hops["edge_lost"] == "").all()
    # The last flight ends in the gap: not measured.
    assert np.isnan(hops["flight_ms"].iloc[-1]) and hops["flight_ms"].iloc[:-1].notna().all()


def test_standing_after_a_gap_in_standing_adds_no_flight():
    samples, truth = hop_table(n=12, rate_hz=100.0)
    t = samples["time_s"].to_numpy()
    # A gap in the standing after the set, long after the final landing.
    lost = (t > truth["next_landing_s"].iloc[-1] + 0.6) & (
        t < truth["next_landing_s"].iloc[-1] + 0.9
    )
    result = _analyze(samples.loc[~lost].reset_index(drop=True))
    assert len(result.hops) == len(truth)
    assert result.info["flights"]["landing_s"].isna().sum() == 0


def test_rebound_jump_whose_final_landing_is_lost_is_kept_and_standing_is_no_contact():
    spec = SetSpec(exercise="rebound", hops=4, contact_ms=420.0, flight_ms=420.0, jump_rest_s=4.0)
    sim = simulate_session(3402, sample_rate_hz=200.0, sets=[spec])
    truth = sim.truth
    k = 1
    final = truth["takeoff_s"].iloc[k] + truth["flight_ms"].iloc[k] / 1e3
    t = sim.samples["time_s"].to_numpy()
    lost = (t > final - 0.03) & (t < final + 0.03)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        result = analyze(
            sim.samples.loc[~lost].reset_index(drop=True),
            settings=AnalysisSettings(exercise="rebound"),
        )
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.05)
    # Every jump, and nothing for the standing and the step off the box after the gap.
    assert len(hops) == len(truth) == len(ti)
    assert (hops["edge_lost"] == "").all()
    jump = hops.iloc[hi[ti == k][0]]
    assert abs(jump["contact_ms"] - truth["contact_ms"].iloc[k]) < 8
    assert np.isnan(jump["flight_ms"])


@pytest.mark.parametrize(("after_gap_s", "kept"), [(0.4, True), (1.2, False)])
def test_lost_landing_contact_lasts_no_longer_than_the_contact_limit(after_gap_s, kept):
    # Rebound jumps: the second contact's landing touches the gap (10.0-10.1 s); its
    # take-off comes after_gap_s after the gap (a step off a box after standing, when
    # longer than the 1000 ms rebound contact limit).
    takeoff = 10.1 + after_gap_s
    contacts = pd.DataFrame(
        {
            "set": [1, 1, 1],
            "landing_s": [8.0, 10.05, takeoff + 0.45],
            "takeoff_s": [8.4, takeoff, takeoff + 0.85],
            "next_landing_s": [8.85, takeoff + 0.45, np.nan],
            "next_landing_gap": [False, False, False],
            "takeoff_gap": [False, False, False],
        }
    )
    reasons = np.array(["", "landing at a gap", ""], dtype=object)
    at_gap = np.array([False, True, False])
    edge = _lost_edges(
        contacts,
        reasons,
        at_gap,
        [(10.0, 10.1)],
        contacts["next_landing_s"].to_numpy(),
        AnalysisSettings(exercise="rebound"),
    )
    assert edge.tolist() == ["", "landing" if kept else "", ""]


@pytest.mark.parametrize(
    ("landing_s", "takeoff_s", "gap", "kept"),
    [
        # The landing found 0.2 s after a gap over the flight before it (a landing flagged as
        # at a gap when limb motion after the gap looks like the end of an impact).
        (1.17, 1.34, (0.57, 0.97), True),
        # Lost in a long gap that reaches one period before the next landing.
        (np.nan, 1.34, (0.10, 1.10), True),
        # A fall from standing into a short gap less than 0.7 periods before the next
        # landing (the flight after the take-off short, but within the tolerance of the
        # set's flights): no landing of this set can lie in it.
        (np.nan, 1.43, (1.34, 1.36), False),
    ],
)
def test_first_contact_with_its_landing_at_a_gap_is_kept_in_rhythm(landing_s, takeoff_s, gap, kept):
    # Repeated hops: the first contact of set 2 (next landing at 1.57 s), then contacts of
    # 0.17 s every 0.40 s.
    after = 1.57 + 0.40 * np.arange(5)
    contacts = pd.DataFrame(
        {
            "set": [1, 2, 2, 2, 2, 2, 2],
            "landing_s": [-5.0, landing_s, *after],
            "takeoff_s": [-4.83, takeoff_s, *(after + 0.17)],
            "next_landing_s": [np.nan, 1.57, *(after + 0.40)],
            "takeoff_gap": [False] * 7,
        }
    )
    reasons = np.array(["", "landing at a gap", "", "", "", "", ""], dtype=object)
    at_gap = np.arange(7) == 1
    edge = _lost_edges(
        contacts,
        reasons,
        at_gap,
        [gap],
        contacts["next_landing_s"].to_numpy(),
        AnalysisSettings(),
    )
    assert edge[1] == ("landing" if kept else "")
    assert (edge[np.arange(7) != 1] == "").all()


def test_landing_lost_at_the_end_of_a_set_still_ends_the_set():
    first, truth1 = hop_table(n=12, rate_hz=100.0)
    second, truth2 = hop_table(n=10, rate_hz=100.0, offset_s=first["time_s"].iloc[-1] + 6.0)
    samples = pd.concat([first, second], ignore_index=True)
    t = samples["time_s"].to_numpy()
    final = truth1["next_landing_s"].iloc[-1]
    samples = samples.loc[~((t > final - 0.03) & (t < final + 0.03))].reset_index(drop=True)
    result = _analyze(samples)
    assert result.sets["hops"].tolist() == [12, 10]
    truth = pd.concat([truth1, truth2], ignore_index=True)
    assert abs(result.sets["hop_hz"].iloc[0] - 1 / 0.33) < 0.02
    assert len(match_hops(truth, result.hops, tolerance_s=0.05)[0]) == len(truth)


def test_rebound_jump_with_a_lost_landing_is_grouped_by_its_take_off():
    contacts = pd.DataFrame(
        {
            "set": [1, 1, 1, 1, 1],
            "landing_s": [3.5, 10.2, np.nan, 74.8, 81.1],
            "takeoff_s": [4.2, 10.9, 17.9, 75.0, 81.4],
        }
    )
    grouped = _group_rebounds(contacts, [], AnalysisSettings(exercise="rebound"))
    assert grouped["set"].tolist() == [1, 1, 1, 2, 2]


@pytest.mark.parametrize(
    ("landing_s", "gaps", "sets"),
    [
        # Jumps 6.1 s apart, then 14 s: a gap that may hold a whole jump lies where the
        # missing jump would be, so the interval is two of the set's, and it stays one set.
        ([3.2, 9.3, 23.3, 29.4], [(16.7, 17.6)], [1, 1, 1, 1]),
        # Only one interval beside it to go by, from the jump before a contact too near to
        # be a jump of its own (not yet checked).
        ([3.2, 9.3, 9.9, 23.3], [(15.5, 16.4)], [1, 1, 1, 1]),
        # No interval beside it: two jumps 14 s apart are two sets.
        ([9.3, 23.3], [(16.7, 17.6)], [1, 2]),
        # The gap is too short to hold a contact (under min_contact_ms).
        ([3.2, 9.3, 23.3, 29.4], [(16.7, 16.75)], [1, 1, 2, 2]),
        # The gap is too near a jump for the lost one to be there.
        ([3.2, 9.3, 23.3, 29.4], [(10.0, 11.0)], [1, 1, 2, 2]),
        # A gap outside the interval changes nothing.
        ([3.2, 9.3, 23.3, 29.4], [(30.0, 31.0)], [1, 1, 2, 2]),
        # 24 s is rest, not two intervals of 6.1 s, even with a gap in its middle.
        ([3.2, 9.3, 33.3, 39.4], [(21.0, 22.0)], [1, 1, 2, 2]),
        # 25.2 s is near twice the mean of the intervals beside it (8.2 and 11.5 s), but
        # not twice each: rest.
        ([78.4, 86.6, 111.8, 123.3], [(101.7, 101.9)], [1, 1, 2, 2]),
    ],
)
def test_a_jump_lost_in_a_gap_does_not_split_its_set(landing_s, gaps, sets):
    landing = np.asarray(landing_s)
    contacts = pd.DataFrame({"set": 1, "landing_s": landing, "takeoff_s": landing + 0.3})
    grouped = _group_rebounds(contacts, gaps, AnalysisSettings(exercise="rebound"))
    assert grouped["set"].tolist() == sets


def test_no_jump_is_taken_to_be_lost_across_a_hop_set():
    # Both drills: the hop set between two rebound jumps was left out of the rebound
    # analysis, so the time it spans is not a stretch a jump was lost in.
    landing = np.array([3.2, 9.3, 23.3, 29.4])
    contacts = pd.DataFrame({"set": 1, "landing_s": landing, "takeoff_s": landing + 0.3})
    settings = AnalysisSettings(exercise="rebound")
    gaps = [(16.7, 17.6)]
    assert _group_rebounds(contacts, gaps, settings)["set"].tolist() == [1, 1, 1, 1]
    hop_set = np.array([[14.0, 19.5]])
    grouped = _group_rebounds(contacts, gaps, settings, skip_spans=hop_set)
    assert grouped["set"].tolist() == [1, 1, 2, 2]


def test_rebound_flight_without_a_found_take_off_stays_with_the_landing_before():
    flights = pd.DataFrame(
        {
            "takeoff_s": [3.0, np.nan, 20.0, np.nan],
            "landing_s": [3.5, 4.9, 20.5, 22.6],
        }
    )
    settings = AnalysisSettings(exercise="rebound")
    # Landing to landing: 1.4 s (a 1 s contact and a 0.4 s flight), then 2.1 s.
    joined = _rebound_jump_flights(flights, np.array([1, 2, 3, 4]), settings)
    assert joined.tolist() == [1, 1, 2, 3]


def test_rebound_flight_with_a_late_take_off_stays_with_the_landing_before():
    # Limb motion held the magnitude up after the take-off: the fall found is 1.05 s after
    # the landing (more than set_gap_s of "ground"), the next landing 0.2 s later. The jump
    # after it, 7 s later, starts a set of its own here (the rebound sets are formed later).
    flights = pd.DataFrame(
        {"takeoff_s": [3.0, 4.55, 11.4], "landing_s": [3.5, 4.75, 11.9]},
    )
    joined = _rebound_jump_flights(
        flights, np.array([1, 2, 3]), AnalysisSettings(exercise="rebound")
    )
    assert joined.tolist() == [1, 1, 2]


@pytest.mark.parametrize("rate_hz", [52.0, 100.0, 200.0])
@pytest.mark.parametrize("swallowed", [1, 3])
def test_gap_over_whole_hops_leaves_the_contacts_at_its_edges(rate_hz, swallowed):
    samples, truth = hop_table(n=18, rate_hz=rate_hz)
    k = 6
    t = samples["time_s"].to_numpy()
    # Lost packets from the end of contact k over `swallowed` whole hops to just after the
    # landing of contact k + swallowed + 1.
    last = k + swallowed + 1
    lost = (t > truth["takeoff_s"].iloc[k] - 0.03) & (t < truth["landing_s"].iloc[last] + 0.02)
    result = _analyze(samples.loc[~lost].reset_index(drop=True))
    hops = result.hops
    period = 1.0 / rate_hz
    # The hops wholly in the gap are not invented; the two at its edges are kept.
    assert len(hops) == len(truth) - swallowed
    before, after = hops.iloc[k], hops.iloc[k + 1]
    assert before["edge_lost"] == "takeoff" and np.isnan(before["takeoff_s"])
    assert abs(before["landing_s"] - truth["landing_s"].iloc[k]) < period
    assert after["edge_lost"] == "landing" and np.isnan(after["landing_s"])
    assert abs(after["takeoff_s"] - truth["takeoff_s"].iloc[last]) < period
    assert (hops["edge_lost"] == "").sum() == len(truth) - swallowed - 2
    # The set's rate still counts the periods of the hops lost in the gap.
    true_hz = (len(truth) - 1) / (truth["landing_s"].iloc[-1] - truth["landing_s"].iloc[0])
    assert abs(result.sets["hop_hz"].iloc[0] - true_hz) < 0.02


def _fatigued_set(first_period_s, last_period_s, contacts):
    """A 200 Hz set whose hop period grows linearly (fatigue); 0.17 s contacts."""
    periods = np.linspace(first_period_s, last_period_s, contacts)
    landings = 1.15 + np.r_[0.0, np.cumsum(periods)]
    takeoffs = np.r_[1.0, landings[:-1] + 0.17]
    t = np.arange(0.0, landings[-1] + 1.5, 0.005)
    m = hop_magnitude(t, takeoffs, landings)
    samples = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": m})
    return samples, t, landings, takeoffs


def test_last_hops_lost_in_a_gap_still_end_the_set_at_its_last_landing():
    # Fatigue: the hop period grows from 0.30 s to 0.36 s over the set.
    samples, t, landings, takeoffs = _fatigued_set(0.30, 0.36, 16)
    # Lost packets from the take-off of contact 11 to just after the landing of contact 15
    # (the set's last): three whole hops and that landing.
    lost = (t > takeoffs[12] - 0.03) & (t < landings[15] + 0.02)
    result = _analyze(samples.loc[~lost].reset_index(drop=True))
    hops = result.hops
    assert len(hops) == 16 - 3
    assert hops["edge_lost"].iloc[-2] == "takeoff" and hops["edge_lost"].iloc[-1] == "landing"
    true_hz = 15 / (landings[15] - landings[0])
    assert abs(result.sets["hop_hz"].iloc[0] - true_hz) < 0.02


def test_set_rate_counts_a_last_landing_lost_in_a_gap():
    # Fatigue: the hop period grows from 0.30 s to 0.38 s over the set.
    samples, t, landings, _ = _fatigued_set(0.30, 0.38, 14)
    # The last contact's landing (not its take-off) falls in lost packets.
    last = landings[-2]
    samples = samples.loc[~((t > last - 0.03) & (t < last + 0.04))].reset_index(drop=True)
    result = _analyze(samples)
    hops = result.hops
    assert len(hops) == 14 and hops["edge_lost"].iloc[-1] == "landing"
    true_hz = 13 / (landings[-2] - landings[0])
    assert abs(result.sets["hop_hz"].iloc[0] - true_hz) < 0.01


@pytest.mark.parametrize("k", [0, 5])
@pytest.mark.parametrize("cut_before_takeoff_s", [0.0, 0.01])
def test_take_off_lost_in_a_gap_over_whole_hops_keeps_its_landing(k, cut_before_takeoff_s):
    # Fatigue: the hop period grows from 0.30 s to 0.38 s over the set.
    samples, t, landings, takeoffs = _fatigued_set(0.30, 0.38, 14)
    # Lost packets from the take-off of contact k (its fall runs into the gap) over the two
    # hops after it, to the flight before the landing of contact k + 3.
    lost = (t > takeoffs[k + 1] - cut_before_takeoff_s) & (t < landings[k + 3] - 0.06)
    result = _analyze(samples.loc[~lost].reset_index(drop=True))
    hops = result.hops
    # The two hops wholly in the gap are not invented; contact k is kept, untimed.
    assert len(hops) == 14 - 2
    row = hops.iloc[k]
    assert row["edge_lost"] == "takeoff" and np.isnan(row["takeoff_s"])
    assert np.isnan(row["contact_ms"]) and np.isnan(row["flight_ms"])
    assert abs(row["landing_s"] - landings[k]) < 0.005
    # Its landing counts for the set's rate (at k = 0 the set's first).
    true_hz = 13 / (landings[13] - landings[0])
    assert abs(result.sets["hop_hz"].iloc[0] - true_hz) < 0.01


@pytest.mark.parametrize("k", [0, 4])
def test_take_off_not_found_before_a_gap_over_whole_hops_keeps_its_landing(k):
    rate_hz = 64.0
    t, m, landings, takeoffs = hop_signal(
        rate_hz, first_landing_s=1.12, period_s=0.357, contact_s=0.24, landings=10
    )
    # Two gaps: one from just before the take-off of contact k over the flight and the
    # landing of contact k + 1, and one from the middle of contact k + 1 to the flight before
    # the landing of contact k + 2. The ground seen between them (0.8 g) falls too little
    # into the second gap for a take-off, so none is found for contact k.
    first = (t > takeoffs[k + 1] - 0.011) & (t < landings[k + 1] + 0.044)
    second = (t > takeoffs[k + 2] - 0.057) & (t < landings[k + 2] - 0.025)
    m = np.where((t >= landings[k + 1] + 0.044) & (t <= takeoffs[k + 2] - 0.057), 0.8, m)
    samples = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": m})
    result = _analyze(samples.loc[~(first | second)].reset_index(drop=True))
    hops = result.hops
    # Contact k is kept with its take-off lost; contact k + 1, both edges lost, is not made up.
    assert len(hops) == len(landings) - 2
    row = hops.iloc[k]
    assert row["edge_lost"] == "takeoff" and np.isnan(row["takeoff_s"])
    assert abs(row["landing_s"] - landings[k]) < 1 / rate_hz
    # Its landing is one of the set's: at k = 0 the set starts there.
    assert result.sets["start_s"].iloc[0] == hops["landing_s"].iloc[0]
    assert abs(hops["landing_s"].iloc[0] - landings[0]) < 1 / rate_hz


@pytest.mark.parametrize("rate_hz", [200.0, 416.0])
@pytest.mark.parametrize(("fall_s", "gap_ms"), [(0.88, 26.0), (0.9, 20.0), (0.87, 40.0)])
def test_no_first_hop_is_made_up_from_a_fall_into_a_gap_before_the_set(rate_hz, fall_s, gap_ms):
    # A set of 0.38 s periods whose lead-in jump (0.12 s of flight) takes off at 1.0 s.
    t, m, landings, _ = hop_signal(
        rate_hz, first_landing_s=1.12, period_s=0.38, contact_s=0.19, landings=15
    )
    # Standing before it: a push and a fall to flight level, like a take-off, running into
    # lost packets; ground level after them. The gap is less than 0.7 hop periods before
    # the first landing: no landing in it starts a hop of this set.
    m = np.where((t >= fall_s - 0.04) & (t < fall_s), 2.5, m)
    falling = (t >= fall_s - 0.008) & (t < fall_s)
    m[falling] = 0.05 + 2.45 * (fall_s - t[falling]) / 0.008
    m = np.where((t >= fall_s) & (t < fall_s + 0.01), 0.05, m)
    lost = (t >= fall_s + 0.004) & (t < fall_s + 0.004 + gap_ms / 1e3)
    samples = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": m})
    result = _analyze(samples.loc[~lost].reset_index(drop=True))
    hops = result.hops
    assert len(hops) == 14
    assert (hops["edge_lost"] == "").all()
    assert np.abs(hops["landing_s"].to_numpy() - landings[:14]).max() < 2 / rate_hz
    assert abs(result.sets["hop_hz"].iloc[0] - 13 / (landings[13] - landings[0])) < 0.005


@pytest.mark.parametrize("rate_hz", [100.0, 200.0])
@pytest.mark.parametrize("k", [5, 10])
def test_early_take_off_before_a_missed_soft_landing_is_looked_for_again(rate_hz, k):
    # 12 contacts of 0.19 s, 0.32 s apart; contact k + 1 lands softly (no impact), and a
    # push and a 20 ms dip to flight level in contact k's stance look like a take-off.
    t, m, landings, takeoffs = hop_signal(
        rate_hz, first_landing_s=1.12, period_s=0.32, contact_s=0.19, landings=13
    )
    soft = hop_magnitude(t, takeoffs, landings, impact_g=0.4)
    near = (t >= landings[k + 1] - 0.01) & (t < landings[k + 1] + 0.08)
    m[near] = soft[near]
    dip_s = landings[k] + 0.09
    m = np.where((t >= dip_s - 0.03) & (t < dip_s), 2.5, m)
    m = np.where((t >= dip_s) & (t < dip_s + 0.02), 0.1, m)
    result = _analyze(pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": m}))
    hops = result.hops
    # The soft landing's contact is not invented; contact k keeps its landing and gets its
    # take-off from the fall into flight, not from the dip (its period spans two hops).
    assert len(hops) == 11
    row = hops.iloc[k]
    assert abs(row["landing_s"] - landings[k]) < 1 / rate_hz
    assert abs(row["takeoff_s"] - takeoffs[k + 1]) < 1 / rate_hz
    assert np.isnan(row["flight_ms"])
    assert len(result.info["rejected_contacts"]) == 0


def test_rebound_drop_landing_lost_in_a_gap_after_leg_extension_is_kept():
    spec = SetSpec(exercise="rebound", hops=5, contact_ms=300.0, flight_ms=400.0, jump_rest_s=4.0)
    sim = simulate_session(3411, sample_rate_hz=200.0, sets=[spec])
    truth = sim.truth
    k = 2
    land = truth["landing_s"].iloc[k]
    # Leg extension lifts the magnitude to 0.7 g over the last 35 ms of the drop; the impact
    # and the first 50 ms of the contact fall in lost packets.
    samples = _scaled(sim.samples, land - 0.04, land - 0.005, 0.7)
    t = samples["time_s"].to_numpy()
    samples = samples.loc[~((t > land - 0.005) & (t < land + 0.05))].reset_index(drop=True)
    result = _analyze(samples, exercise="rebound")
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.05)
    assert len(hops) == len(truth) == len(ti)
    jump = hops.iloc[hi[ti == k][0]]
    assert jump["edge_lost"] == "landing" and np.isnan(jump["contact_ms"])
    assert abs(jump["takeoff_s"] - truth["takeoff_s"].iloc[k]) < 0.01
    # The set's jump rate counts the jump: its landing is put back from its take-off.
    assert len(result.sets) == 1
    assert abs(result.sets["hop_hz"].iloc[0] - sim.truth_sets["hop_hz"].iloc[0]) < 0.002


def _drop(samples, start_s, end_s):
    """Samples with those in (start_s, end_s) lost."""
    t = samples["time_s"].to_numpy()
    return samples.loc[~((t > start_s) & (t < end_s))].reset_index(drop=True)


@pytest.mark.parametrize("rate_hz", [200.0, 416.0])
def test_rebound_landing_lost_in_a_gap_after_a_slow_step_off_is_kept(rate_hz):
    # The third jump's step off the box falls from 1 g into free fall over 30 ms, slower
    # than a push-off, and its landing falls in lost packets.
    sim = _rebound_sim(3461, rate_hz, hops=5, contact_ms=300.0, flight_ms=400.0)
    truth, events = sim.truth, sim.truth_events
    k = 2
    land = truth["landing_s"].iloc[k]
    step_s = events.loc[(events["contact"] == "step_off") & (events["time_s"] < land), "time_s"]
    step_s = float(step_s.iloc[-1])
    samples = sim.samples
    for j, level_g in enumerate(np.linspace(1.0, 0.1, 6)):
        samples = _scaled(samples, step_s - 0.03 + 0.005 * j, step_s - 0.025 + 0.005 * j, level_g)
    samples = _drop(samples, land - 0.03, land + 0.03)
    result = _analyze(samples, exercise="rebound")
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.05)
    assert len(hops) == len(truth) == len(ti)
    jump = hops.iloc[hi[ti == k][0]]
    assert jump["edge_lost"] == "landing"
    assert abs(jump["takeoff_s"] - truth["takeoff_s"].iloc[k]) < 0.01
    assert abs(result.sets["hop_hz"].iloc[0] - sim.truth_sets["hop_hz"].iloc[0]) < 0.002


def test_a_gap_in_the_standing_after_a_final_landing_is_no_lost_take_off():
    # A jump whose landing was lost in a gap (kept, its take-off timed), its final landing at
    # 17.897 s, and a gap in the standing after it: the final landing starts no jump whose
    # take-off was lost. A jump's own landing, after a step-off flight, still may.
    contacts = pd.DataFrame(
        {
            "set": [1, 1, 1],
            "landing_s": [10.30, 17.354, 17.897],
            "takeoff_s": [10.51, 17.564, 23.668],
            "next_landing_s": [10.84, 17.897, 24.1],
            "next_landing_gap": False,
            "takeoff_gap": False,
        }
    )
    reasons = np.array(["", REASON_LANDING_GAP, "contact too long"], dtype=object)
    at_gap = np.array([False, True, False])
    gaps = [(17.31, 17.36), (18.05, 18.105)]
    settings = AnalysisSettings(exercise="rebound")
    nxt = contacts["next_landing_s"].to_numpy()
    assert _lost_edges(contacts, reasons, at_gap, gaps, nxt, settings).tolist() == [
        "",
        "landing",
        "",
    ]
    after_step_off = contacts.assign(landing_s=[10.30, 17.354, 17.95])
    out = _lost_edges(after_step_off, reasons, at_gap, gaps, nxt, settings)
    assert out.tolist() == ["", "landing", "takeoff"]


def _soft_first_landing(rate_hz, *, stance_g):
    """Hops whose first landing has no impact: a slow rise to ``stance_g`` (g)."""
    landings = 1.15 + np.arange(13) * 0.33
    takeoffs = np.r_[1.0, landings[:-1] + 0.18]
    t = np.arange(0.0, landings[-1] + 1.5, 1.0 / rate_hz)
    m = hop_magnitude(t, takeoffs, landings)
    first = (t >= landings[0]) & (t < takeoffs[1] - 0.04)
    rel = t[first] - landings[0]
    m[first] = 0.05 + (stance_g - 0.05) * np.minimum(rel / 0.02, 1.0)
    samples = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": m})
    return samples, landings, takeoffs


@pytest.mark.parametrize("rate_hz", [64.0, 100.0, 200.0])
def test_soft_first_landing_of_a_set_is_found_in_the_flight_into_the_set(rate_hz):
    samples, landings, takeoffs = _soft_first_landing(rate_hz, stance_g=1.3)
    result = _analyze(samples)
    hops = result.hops
    period = 1.0 / rate_hz
    assert len(hops) == 12
    assert abs(hops["landing_s"].iloc[0] - landings[0]) < max(period, 0.005) + 0.003
    assert abs(hops["takeoff_s"].iloc[0] - takeoffs[1]) < max(period, 0.005)
    assert abs(hops["flight_ms"].iloc[0] - 150.0) < 1e3 * max(period, 0.005)
    assert abs(result.sets["hop_hz"].iloc[0] - 1 / 0.33) < 0.02


def test_limb_motion_in_the_flight_into_a_set_is_no_contact():
    # The same signal with the "stance" at 0.6 g: over a contact the shoe's specific force
    # averages more than 1 g, so this is limb motion in a long first flight, and the set
    # starts at the second landing.
    samples, landings, _ = _soft_first_landing(200.0, stance_g=0.6)
    hops = _analyze(samples).hops
    assert len(hops) == 11
    assert abs(hops["landing_s"].iloc[0] - landings[1]) < 0.005


def _soft_final_landing(rate_hz, *, stance_g, flight_g=0.05):
    """Hops whose final landing (after the last take-off) has no impact: a rise to
    ``stance_g`` (g) over 20 ms, then standing at ``stance_g``; the last flight at
    ``flight_g``."""
    landings = 1.15 + np.arange(13) * 0.33
    takeoffs = np.r_[1.0, landings[:-1] + 0.18]
    t = np.arange(0.0, landings[-1] + 1.5, 1.0 / rate_hz)
    m = hop_magnitude(t, takeoffs, landings)
    last = t >= landings[-1]
    rel = t[last] - landings[-1]
    m[last] = flight_g + (stance_g - flight_g) * np.minimum(rel / 0.02, 1.0)
    m[(t >= takeoffs[-1]) & (t < landings[-1])] = flight_g
    samples = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": m})
    return samples, landings, takeoffs


@pytest.mark.parametrize("rate_hz", [52.0, 100.0, 200.0])
def test_soft_final_landing_keeps_the_last_hop_of_a_set(rate_hz):
    # 12 hops, then a take-off into a flight that ends softly on the ground: the detector
    # sees no flight after the 12th landing, and the hop from it is found again.
    samples, landings, takeoffs = _soft_final_landing(rate_hz, stance_g=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        hops = _analyze(samples).hops
    period = 1.0 / rate_hz
    assert len(hops) == 12
    last = hops.iloc[-1]
    assert abs(last["landing_s"] - landings[-2]) < period + 0.003
    assert abs(last["takeoff_s"] - takeoffs[-1]) < period + 0.003
    assert abs(last["flight_ms"] - 150.0) < 1e3 * period + 5.0


def test_a_set_that_ends_standing_gets_no_extra_hop():
    # The same hops with the last flight at 0.6 g (no flight-level sample): nothing shows a
    # flight after the last landing found, so the set keeps its 11 hops.
    samples, landings, _ = _soft_final_landing(200.0, stance_g=1.0, flight_g=0.6)
    hops = _analyze(samples).hops
    assert len(hops) == 11
    assert abs(hops["landing_s"].iloc[-1] - landings[-3]) < 0.005


def test_no_last_hop_is_made_up_across_a_gap():
    samples, _, takeoffs = _soft_final_landing(200.0, stance_g=1.0)
    t = samples["time_s"].to_numpy()
    # The final flight's middle is lost.
    cut = (t > takeoffs[-1] + 0.05) & (t < takeoffs[-1] + 0.1)
    hops = _analyze(samples.loc[~cut].reset_index(drop=True)).hops
    assert len(hops) == 11


def test_the_last_hop_search_reads_only_the_stretch_after_the_set(monkeypatch):
    # The take-off search behind the lead-out (and the lead-in) gets the stretch of signal it
    # reads, not the whole recording: on a long recording it runs once per set.
    import analysis.rhythm as rhythm

    samples, _, _ = _soft_final_landing(200.0, stance_g=1.0)
    # Two minutes of standing after the set.
    t = samples["time_s"].to_numpy()
    rest_t = t[-1] + np.arange(1, 24001) / 200.0
    rest = pd.DataFrame({"time_s": rest_t, "ax_g": 0.0, "ay_g": 0.0, "az_g": 1.0})
    samples = pd.concat([samples, rest], ignore_index=True)
    seen = []
    original = rhythm.retime_takeoffs

    def spy(time_s, *args, **kwargs):
        seen.append(len(time_s))
        return original(time_s, *args, **kwargs)

    monkeypatch.setattr(rhythm, "retime_takeoffs", spy)
    hops = _analyze(samples).hops
    assert len(hops) == 12
    assert seen and max(seen) < 0.1 * len(samples)


def _heel_dip_jump(rate_hz, *, dip_g):
    """A rebound set whose third jump's stance dips to ``dip_g`` before a heel touch."""
    spec = SetSpec(exercise="rebound", hops=5, contact_ms=350.0, flight_ms=400.0, jump_rest_s=4.0)
    sim = simulate_session(3423, sample_rate_hz=rate_hz, sets=[spec])
    land = sim.truth["landing_s"].iloc[2]
    # 80 ms after the forefoot landing the stance eases to just below flight level for
    # 40 ms, then the heel comes down (a 5 g spike) and the stance goes on.
    samples = _scaled(sim.samples, land + 0.08, land + 0.12, dip_g)
    samples = _scaled(samples, land + 0.12, land + 0.125, 5.0)
    result = _analyze(samples, exercise="rebound")
    return sim.truth, result


@pytest.mark.parametrize("rate_hz", [100.0, 200.0, 416.0])
def test_heel_touch_after_a_stance_dip_does_not_split_a_rebound_contact(rate_hz):
    truth, result = _heel_dip_jump(rate_hz, dip_g=0.27)
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.02)
    assert len(hops) == len(truth) == len(ti)
    jump = hops.iloc[hi[ti == 2][0]]
    assert abs(jump["contact_ms"] - truth["contact_ms"].iloc[2]) < 8
    rejected = result.info["rejected_contacts"]
    split = rejected.loc[rejected["reason"] == REASON_SPLIT, "landing_s"].to_numpy()
    land = truth["landing_s"].iloc[2]
    assert len(split) == 1 and land + 0.11 < split[0] < land + 0.13


def test_a_real_flight_between_rebound_contacts_is_not_joined():
    # The same dip at free-fall level is a flight: the contacts either side stay apart.
    _, result = _heel_dip_jump(416.0, dip_g=0.02)
    rejected = result.info["rejected_contacts"]
    assert (rejected["reason"] != REASON_SPLIT).all()


@pytest.mark.parametrize(("peaks_g", "joined"), [((12.0, 5.0), True), ((2.0, 11.0), False)])
def test_rebound_contacts_are_joined_only_when_the_second_impact_is_weaker(peaks_g, joined):
    # A first "landing" with no take-off, then 0.25 s later a second one whose contact is
    # plausible; the magnitude never comes near free fall between them. A heel touch after
    # the forefoot impact is weaker; a landing after limb motion in the flight is stronger.
    t = np.arange(0.0, 3.0, 0.002)
    m = np.full(len(t), 1.0)
    m[(t >= 1.0) & (t < 1.01)] = peaks_g[0]
    m[(t >= 1.2) & (t < 1.25)] = 0.25
    m[(t >= 1.25) & (t < 1.26)] = peaks_g[1]
    contacts = pd.DataFrame(
        {
            "set": [1, 1],
            "landing_s": [1.0, 1.25],
            "takeoff_s": [np.nan, 1.55],
            "next_landing_s": [1.25, 1.9],
            "impact_peak_g": list(peaks_g),
            "next_landing_gap": [False, False],
        }
    )
    reasons = np.array(["take-off not found", ""], dtype=object)
    out = _dip_split_contacts(
        contacts, reasons, np.zeros(2, dtype=bool), t, m, AnalysisSettings(exercise="rebound")
    )
    assert out.tolist() == [False, joined]


@pytest.mark.parametrize("rate_hz", [52.0, 64.0])
def test_stance_dip_before_a_push_off_into_limb_motion_leaves_one_rebound_contact(rate_hz):
    # A set of three slow rebounds. Late in the second one's stance the magnitude dips to
    # 0.27 g for 50 ms, then the push-off peaks at 3.1 g and the leg swings in flight (1.15 g
    # for 155 ms). The dip is taken for a flight and the push-off peak for a landing; the
    # first part is no shorter than a jump's contact may be, so it is plausible on its own.
    sim = _rebound_sim(3452, rate_hz, hops=3, contact_ms=300.0, flight_ms=300.0)
    truth = sim.truth
    take = truth["takeoff_s"].iloc[1]
    samples = _scaled(sim.samples, take - 0.14, take - 0.09, 0.27)
    samples = _scaled(samples, take - 0.04, take - 0.005, 3.1)
    samples = _scaled(samples, take + 0.015, take + 0.17, 1.15)
    result = _analyze(samples, exercise="rebound")
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.03)
    assert len(hops) == len(truth) == len(ti)
    err_ms = hops["contact_ms"].to_numpy()[hi] - truth["contact_ms"].to_numpy()[ti]
    assert np.abs(err_ms).max() < 15
    assert "slow_rebound" in result.sets["flags"].iloc[0]
    rejected = result.info["rejected_contacts"]
    split = rejected.loc[rejected["reason"] == REASON_SPLIT, "landing_s"].to_numpy()
    assert len(split) == 1 and take - 0.1 < split[0] < take


def _dip_pair(*, dip_g=0.3, peaks_g=(12.0, 3.0), takeoff_s=(1.2, 1.45), gap_next=False):
    """Two rebound contacts 0.3 s apart (landings at 1.0 and 1.3 s) and a 2 ms signal.

    The first "flight" (its take-off to the second landing) holds ``dip_g``; the second
    ends in free fall at its take-off.
    """
    t = np.arange(0.0, 3.0, 0.002)
    m = np.full(len(t), 1.0)
    m[(t >= 1.0) & (t < 1.01)] = peaks_g[0]
    m[(t >= takeoff_s[0]) & (t < 1.3)] = dip_g
    m[(t >= 1.3) & (t < 1.31)] = peaks_g[1]
    m[(t >= 1.45) & (t < 1.9)] = 0.02
    contacts = pd.DataFrame(
        {
            "set": [1, 1],
            "landing_s": [1.0, 1.3],
            "takeoff_s": list(takeoff_s),
            "next_landing_s": [1.3, 1.9],
            "impact_peak_g": list(peaks_g),
            "next_landing_gap": [False, False],
        }
    )
    gap = np.array([gap_next, False])
    return _rebound_dip_splits(
        contacts, np.zeros(2, dtype=bool), gap, t, m, AnalysisSettings(exercise="rebound")
    )


@pytest.mark.parametrize(
    ("case", "joined"),
    [
        ({}, True),  # a plausible first contact and no flight: one contact
        ({"dip_g": 0.05}, False),  # a flight near free fall
        ({"peaks_g": (3.0, 12.0)}, False),  # the second impact is the harder: a landing
        ({"takeoff_s": (np.nan, 1.45)}, False),  # no take-off (joined later, if implausible)
        ({"takeoff_s": (1.2, 2.4)}, False),  # joined, longer than the contact limit
        ({"gap_next": True}, False),  # a gap in the "flight"
    ],
)
def test_rebound_contacts_split_by_a_stance_dip_are_joined(case, joined):
    assert _dip_pair(**case).tolist() == [False, joined]


def test_push_off_peak_after_a_stance_dip_does_not_split_a_rebound_contact():
    # At 52 Hz the stance check after a candidate impact spans no sample past the guard.
    spec = SetSpec(exercise="rebound", hops=5, contact_ms=450.0, flight_ms=400.0, jump_rest_s=4.0)
    sim = simulate_session(3431, sample_rate_hz=52.0, sets=[spec])
    truth = sim.truth
    take = truth["takeoff_s"].iloc[2]
    # Late in the stance the magnitude eases to just below flight level, then the push-off
    # rises to a 3.5 g peak and falls into flight: the peak is taken for a landing, and the
    # take-off right after it is too close to be sought from it.
    samples = sim.samples
    for j, level_g in enumerate(np.linspace(0.95, 0.35, 6)):  # easing over 120 ms
        samples = _scaled(samples, take - 0.2 + 0.02 * j, take - 0.18 + 0.02 * j, level_g)
    samples = _scaled(samples, take - 0.08, take - 0.04, 0.27)
    samples = _scaled(samples, take - 0.04, take - 0.02, 2.0)
    samples = _scaled(samples, take - 0.02, take, 3.5)
    result = _analyze(samples, exercise="rebound")
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.03)
    assert len(hops) == len(truth) == len(ti)
    jump = hops.iloc[hi[ti == 2][0]]
    assert abs(jump["contact_ms"] - truth["contact_ms"].iloc[2]) < 10


@pytest.mark.parametrize("rate_hz", [200.0, 416.0])
def test_heel_touch_after_a_stance_dip_does_not_split_a_hop_contact(rate_hz):
    spec = SetSpec(hops=16, hop_hz=2.8, duty_factor=0.6)
    sim = simulate_session(3441, sample_rate_hz=rate_hz, sets=[spec])
    truth = sim.truth
    k = 7
    land = truth["landing_s"].iloc[k]
    # After the impact the stance eases to just below flight level (no fall into flight),
    # then the heel comes down (a 5 g spike) 100 ms after the landing.
    samples = sim.samples
    for j, level_g in enumerate(np.linspace(0.9, 0.35, 6)):  # easing over 30 ms
        samples = _scaled(samples, land + 0.04 + 0.005 * j, land + 0.045 + 0.005 * j, level_g)
    samples = _scaled(samples, land + 0.07, land + 0.1, 0.27)
    samples = _scaled(samples, land + 0.1, land + 0.105, 5.0)
    result = _analyze(samples)
    hops = result.hops
    ti, hi = match_hops(truth, hops, tolerance_s=0.02)
    assert len(hops) == len(truth) == len(ti)
    got = hops.iloc[hi[ti == k][0]]
    assert abs(got["landing_s"] - land) < 0.005
    assert abs(got["contact_ms"] - truth["contact_ms"].iloc[k]) < 8
    rejected = result.info["rejected_contacts"]
    split = rejected.loc[rejected["reason"] == REASON_SPLIT, "landing_s"].to_numpy()
    assert len(split) == 1 and land + 0.09 < split[0] < land + 0.11


def test_a_dip_split_of_repeated_hops_must_keep_the_rhythm():
    # Hops every 0.35 s; the third contact split at 1.0 s + 0.1 s. Joined, it lasts one period
    # when the first part has no take-off, and not when its "flight" was a real one (a
    # take-off found) or when the joined contact would span two periods.
    landing = [0.3, 0.65, 1.0, 1.1, 1.4, 1.75]
    takeoff = [0.5, 0.85, np.nan, 1.2, 1.6, 1.95]
    nxt = [*landing[1:], 2.1]
    contacts = pd.DataFrame(
        {"set": 1, "landing_s": landing, "takeoff_s": takeoff, "next_landing_s": nxt}
    )
    reasons = np.array(["", "", "irregular period", "", "", ""], dtype=object)
    settings = AnalysisSettings()
    assert (
        _dip_in_rhythm(contacts, reasons, settings).tolist() == [False] * 3 + [True] + [False] * 2
    )
    found = contacts.assign(takeoff_s=[0.5, 0.85, 1.05, 1.2, 1.6, 1.95])
    assert not _dip_in_rhythm(found, reasons, settings).any()
    longer = contacts.assign(next_landing_s=[*landing[1:3], 1.1, 1.75, 1.75, 2.1])
    assert not _dip_in_rhythm(longer, reasons, settings)[3]


def test_set_median_equals_a_pandas_group_median():
    from analysis.contacts import _set_median

    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(0, 40))
        values = rng.normal(0.3, 0.05, n)
        values[rng.random(n) < 0.1] = np.nan
        sets = np.sort(rng.integers(1, 6, n))
        ok = rng.random(n) < 0.7
        per_set = pd.Series(values[ok]).groupby(sets[ok]).median()
        want = pd.Series(sets, dtype=np.int64).map(per_set).to_numpy(dtype=np.float64)
        np.testing.assert_array_equal(_set_median(values, ok, sets), want)


@pytest.mark.parametrize("rate_hz", [64.0, 200.0])
def test_rebound_take_off_lost_in_a_gap_is_not_timed_at_the_end_of_limb_motion(rate_hz):
    # Two timed jumps in the set (as when the others' edges fell in gaps too), so that the
    # set's median contact is the mean of the right one and the wrong one.
    spec = SetSpec(exercise="rebound", hops=2, contact_ms=200.0, flight_ms=420.0, jump_rest_s=4.0)
    sim = simulate_session(3455, sample_rate_hz=rate_hz, sets=[spec])
    truth = sim.truth
    off = truth["takeoff_s"].iloc[1]
    # Lost packets from 40 ms before the second take-off to 110 ms after it; limb motion then
    # holds the flight at 1.8 g for 90 ms, and its end falls like a take-off 200 ms late.
    samples = _scaled(sim.samples, off + 0.11, off + 0.2, 1.8)
    t = samples["time_s"].to_numpy()
    samples = samples.loc[~((t > off - 0.04) & (t < off + 0.11))].reset_index(drop=True)
    result = _analyze(samples, exercise="rebound")
    hops = result.hops
    ti, _ = match_hops(truth, hops, tolerance_s=0.05)
    assert len(hops) == len(truth) == len(ti) == 2
    # The second jump's take-off is lost, not timed 200 ms late; the first keeps its own
    # (it is not sought again near the mean of the two).
    assert hops["edge_lost"].tolist() == ["", "takeoff"]
    assert np.isnan(hops["contact_ms"].iloc[1])
    assert abs(hops["contact_ms"].iloc[0] - truth["contact_ms"].iloc[0]) < 15
    assert result.sets["contact_ms"].iloc[0] < 250


@pytest.mark.parametrize(("peak_g", "held_up"), [(1.8, True), (1.4, False)])
def test_soft_landing_whose_push_off_was_taken_for_the_landing_is_put_back(peak_g, held_up):
    # Hops at 3.33 Hz, 52 Hz. The seventh hop lands softly (a slow rise to peak_g, no impact
    # onset) and its stance sags before a sharp push-off peak of 2.7 g: the detector takes
    # that peak for the landing, 140 ms late. The contact before then reads 1.5 periods long
    # and the late one short; the soft landing is put back half-way between. At 1.8 g it is
    # an impact candidate set aside (the flight before it held up at 0.3 g by limb motion);
    # at 1.4 g it is none, and is timed where the magnitude rises out of flight.
    rate_hz = 52.0
    t, m, landing, _ = hop_signal(
        rate_hz, first_landing_s=1.2, period_s=0.3, contact_s=0.17, landings=16
    )
    k = 6
    start, end = landing[k], landing[k] + 0.19
    # The contact as 52 Hz samples from its landing to just after its take-off (g).
    shape = [peak_g - 0.8, peak_g, 0.95, 0.65, 0.75, 1.05, 1.35, 1.5, 1.4, 1.2, 2.7, 0.5, 0.05]
    inside = (t >= start) & (t <= end)
    m[inside] = np.interp(t[inside], np.linspace(start, end, len(shape)), shape)
    if held_up:
        before = (t > start - 0.08) & (t < start)
        m[before] = np.maximum(m[before], 0.3)
    samples = pd.DataFrame({"time_s": t, "ax_g": 0.0, "ay_g": 0.0, "az_g": m})
    hops = _analyze(samples).hops
    found = hops["landing_s"].to_numpy()
    # Every contact of the set, the soft one at its landing, and nothing at the push-off.
    assert len(hops) == len(landing) - 1
    assert np.abs(found - landing[: len(found)]).max() < 1.5 / rate_hz
    soft = hops.iloc[k]
    assert abs(soft["takeoff_s"] - (landing[k] + 0.17)) < 1.5 / rate_hz
    assert abs(hops["flight_ms"].iloc[k - 1] - 130.0) < 30.0
