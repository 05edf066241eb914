import numpy as np
import pytest

from analysis.detect import (
    FLIGHT_COLUMNS,
    detect_flights,
    retime_takeoffs,
    takeoffs_after_stance_dips,
    takeoffs_before_limb_motion,
)
from analysis.settings import DetectionSettings
from tests.analysis.signals import hop_table


def _run(rate_hz, **kw):
    samples, truth = hop_table(rate_hz=rate_hz, **kw)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy()
    flights, rejected = detect_flights(t, m, sampling_rate_hz=rate_hz)
    return flights, rejected, truth


@pytest.mark.parametrize("rate_hz", [52.0, 100.0, 200.0, 800.0])
def test_flights_of_a_clean_hop_sequence(rate_hz):
    flights, _, truth = _run(rate_hz)
    # 13 flights: from standing into the first landing, one per hop
    assert len(flights) == len(truth) + 1
    assert list(flights.columns) == list(FLIGHT_COLUMNS)
    landing = flights["landing_s"].to_numpy()
    expected = np.r_[truth["landing_s"], truth["next_landing_s"].iloc[-1]]
    # the half-way crossing of a 3 ms linear rise is 1.5 ms in; the landing correction
    # subtracts 3 ms: within one sample period of the truth at every rate
    assert np.abs(landing - expected).max() <= 1e3 / rate_hz / 1e3 + 0.002
    takeoff = flights["takeoff_s"].to_numpy()[1:]
    assert np.abs(takeoff - truth["takeoff_s"].to_numpy()).max() <= 1 / rate_hz + 0.003
    assert (flights["flight_min_g"] < 0.25).all()


def test_standing_has_no_flight():
    t = np.arange(0, 10, 0.005)
    m = 1.0 + 0.02 * np.sin(2 * np.pi * 1.3 * t)
    flights, rejected = detect_flights(t, m, sampling_rate_hz=200.0)
    assert len(flights) == 0
    assert len(rejected) == 0


def test_impacts_without_flight_are_rejected_with_a_reason():
    # heel strikes of walking: 3 g spikes on ~1 g, never near free fall
    t = np.arange(0, 6, 0.005)
    m = np.ones_like(t)
    for k in np.arange(0.5, 5.5, 1.0):
        m += 2.0 * np.exp(-np.maximum(t - k, 0) / 0.01) * (t >= k)
    flights, rejected = detect_flights(t, m, sampling_rate_hz=200.0)
    assert len(flights) == 0
    assert len(rejected) == 5
    assert set(rejected["reason"]) == {"no flight before the impact"}


def test_empty_and_short_input():
    flights, rejected = detect_flights(np.zeros(0), np.zeros(0), sampling_rate_hz=100.0)
    assert len(flights) == 0 and len(rejected) == 0
    flights, _ = detect_flights(np.arange(5.0), np.ones(5), sampling_rate_hz=1.0)
    assert len(flights) == 0


def test_errors():
    with pytest.raises(ValueError, match="same length"):
        detect_flights(np.zeros(10), np.zeros(9), sampling_rate_hz=100.0)
    with pytest.raises(ValueError, match="sampling_rate_hz"):
        detect_flights(np.zeros(10), np.zeros(10), sampling_rate_hz=0)


def test_edge_across_a_gap_is_not_timed():
    samples, truth = hop_table(rate_hz=200.0)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy()
    # remove 30 ms around the 5th take-off
    to = truth["takeoff_s"].iloc[4]
    keep = (t < to - 0.015) | (t > to + 0.015)
    t, m = t[keep], m[keep]
    gap = np.flatnonzero(np.diff(t) > 0.0125)
    flights, _ = detect_flights(t, m, sampling_rate_hz=200.0, gap_index=gap)
    found = flights["takeoff_s"].to_numpy()
    assert not np.any(np.abs(found - to) < 0.02)


def test_retime_takeoffs_finds_the_fall_near_the_expected_contact():
    samples, truth = hop_table(rate_hz=200.0)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy()
    got = retime_takeoffs(
        t,
        m,
        sampling_rate_hz=200.0,
        landing_s=truth["landing_s"].to_numpy(),
        expected_contact_ms=np.full(len(truth), 170.0),
        next_landing_s=truth["next_landing_s"].to_numpy(),
    )
    np.testing.assert_allclose(got, truth["takeoff_s"], atol=0.008)
    with pytest.raises(ValueError, match="must match"):
        retime_takeoffs(
            t,
            m,
            sampling_rate_hz=200.0,
            landing_s=np.zeros(2),
            expected_contact_ms=np.zeros(1),
            next_landing_s=np.zeros(2),
        )


@pytest.mark.parametrize(
    "before_fall",
    [
        # A heel touch's dip (1.8 -> 0.8 g) late in the stance, back up to 1.45 g, then the
        # push-off's fall into flight: the dip is steeper than the fall.
        [1.8, 0.8, 1.45, 0.9],
        # A push-off peak at 2.8 g, a shoulder at 1.35-1.4 g, then the fall into flight.
        [2.8, 1.35, 1.4, 0.8],
    ],
)
def test_retime_takeoffs_times_the_fall_found_not_a_steeper_one_just_before_it(before_fall):
    # 52 Hz: a landing at sample 20, a stance at 1.6 g, then ``before_fall`` and flight
    # from sample 31; expected contact 190 ms (the take-off near sample 30).
    rate_hz = 52.0
    m = np.r_[np.full(20, 1.0), 3.5, np.full(6, 1.6), before_fall, np.full(6, 0.05)]
    m = np.r_[m, 3.0, np.full(20, 1.2)]
    t = np.arange(len(m)) / rate_hz
    got = retime_takeoffs(
        t,
        m,
        sampling_rate_hz=rate_hz,
        landing_s=np.array([t[20] - 0.005]),
        expected_contact_ms=np.array([190.0]),
        next_landing_s=np.array([t[38] - 0.005]),
    )
    # The fall into flight runs from t[29] (through t[30]) to t[31]: the take-off is timed
    # in its last step, not in the steeper one two samples before.
    assert t[30] <= got[0] <= t[31] + 0.006


@pytest.mark.parametrize("range_g", [8.0, 16.0])
def test_impact_peaks_equal_find_peaks(range_g):
    from scipy.signal import find_peaks

    from analysis.clean import magnitude_g
    from analysis.detect import impact_peaks
    from imu.simulate import simulate_session

    sim = simulate_session(5100, sample_rate_hz=400.0, range_g=range_g)
    m = magnitude_g(sim.samples)
    kw = {"height": 1.5, "prominence": 0.5, "distance": 20, "wlen": 641}
    _, props = find_peaks(m, plateau_size=1, **kw)
    got = impact_peaks(m, height_g=1.5, prominence_g=0.5, distance=20, wlen=641)
    np.testing.assert_array_equal(got, props["left_edges"])
    assert len(got) > 50
    assert len(impact_peaks(np.ones(100), height_g=1.5, prominence_g=0.5, distance=5)) == 0
    with pytest.raises(ValueError, match="distance"):
        impact_peaks(m, height_g=1.5, prominence_g=0.5, distance=0)


def test_an_impact_before_a_gap_is_not_lost_to_a_higher_bump_after_it():
    from analysis.detect import impact_peaks

    # Two bumps 62 samples apart in time, 37 in samples (25 lost in a gap between them);
    # the second (a heel drop) is higher. Peaks 50 samples apart stand.
    m = np.ones(200)
    m[60], m[61], m[62] = 3.0, 6.0, 3.0
    m[121], m[122], m[123] = 3.0, 6.5, 3.0
    keep = np.r_[np.arange(0, 75), np.arange(100, 200)]
    mg = m[keep]
    gap_at, lost = np.array([74]), np.array([25])
    kw = {"height_g": 1.5, "prominence_g": 0.5, "distance": 50}
    assert impact_peaks(mg, **kw).tolist() == [97]  # (by samples: the higher one only)
    assert impact_peaks(mg, **kw, gaps=(gap_at, lost)).tolist() == [61, 97]
    # Less than 50 sample periods apart in time, or the first the higher: as without gaps.
    assert impact_peaks(mg, **kw, gaps=(gap_at, np.array([10]))).tolist() == [97]
    mg2 = mg.copy()
    mg2[61] = 7.0
    assert impact_peaks(mg2, **kw, gaps=(gap_at, lost)).tolist() == [61]


def _plain_peaks_before_gaps(m, at, left, gap_at, lost, *, height_g, distance):
    """The rule of ``_peaks_before_gaps`` gap by gap, as plainly as it reads (the reference)."""
    n, add, drop = len(m), [], np.zeros(len(at), dtype=bool)
    for g, k in zip(gap_at.tolist(), lost.tolist(), strict=True):
        j = int(np.searchsorted(at, g, side="right"))
        if g < 2 or j == len(at) or at[j] - g >= distance:
            continue  # no peak less than `distance` samples after the gap
        p = int(at[j])
        lo, hi = max(p - distance + 1, 1), min(g - 1, p + k - distance, n - 2)
        if hi < lo:
            continue
        c = lo + int(np.argmax(m[lo : hi + 1]))
        top = m[c]
        if not (height_g <= top < m[p] and m[c - 1] < top >= m[c + 1]):
            continue
        if j > 0 and c - at[j - 1] < distance and m[at[j - 1]] >= top:
            continue
        add.append(c)
        drop |= (at > c - distance) & (at < c) & (m[at] < top)
    if not add:
        return at, left
    new = np.setdiff1d(np.array(add, dtype=np.int64), at)
    at, left = np.r_[at[~drop], new], np.r_[left[~drop], new]
    order = np.argsort(at, kind="stable")
    return at[order], left[order]


def test_peaks_before_gaps_equal_the_rule_taken_gap_by_gap():
    from scipy.signal import find_peaks

    from analysis.detect import _peaks_before_gaps

    rng = np.random.default_rng(7)
    changed = 0
    for _ in range(3000):
        n = int(rng.integers(20, 400))
        m = np.abs(rng.normal(1.0, 1.5, n)).round(int(rng.integers(0, 3)))  # (equal values)
        distance = int(rng.integers(1, 30))
        at = find_peaks(m, distance=distance)[0]
        left = at - rng.integers(0, 3, len(at))
        gap_at = np.unique(rng.integers(0, n - 1, int(rng.integers(0, 12))))
        lost = rng.integers(0, 40, len(gap_at))
        kw = {"height_g": float(rng.uniform(0.0, 3.0)), "distance": distance}
        got = _peaks_before_gaps(m, at, left, gap_at, lost, **kw)
        want = _plain_peaks_before_gaps(m, at, left, gap_at, lost, **kw)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
        changed += got[0].tolist() != at.tolist()
    assert changed > 500  # the rule did put peaks back (and drop others) in many cases


@pytest.mark.parametrize("rate_hz", [200.0, 416.0])
@pytest.mark.parametrize("k", [6, 13])
def test_landing_before_a_gap_and_a_higher_heel_drop_is_timed(rate_hz, k):
    from tests.analysis.signals import hop_signal

    t, m, landings, _ = hop_signal(
        rate_hz, first_landing_s=1.15, period_s=0.33, contact_s=0.17, landings=15
    )
    # Contact k: a heel drop 62 ms after the impact, higher than it, and packets lost
    # between the two.
    rel = t - (landings[k] + 0.062)
    bump = (rel >= 0) & (rel < 0.03)
    m[bump] += np.where(
        rel[bump] < 0.003, 3000 * rel[bump], 9 * np.exp(-(rel[bump] - 0.003) / 0.01)
    )
    kept = ~((t > landings[k] + 0.03) & (t < landings[k] + 0.055))
    t, m = t[kept], m[kept]
    gap_index = np.flatnonzero(np.diff(t) > 1.5 / rate_hz)
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, gap_index=gap_index)
    landing = flights["landing_s"].to_numpy()
    assert len(landing) == len(landings)
    assert np.isfinite(landing).all() and not flights["landing_gap"].any()
    assert np.abs(landing - landings).max() < 2 / rate_hz


def _assert_landings_and_no_bump(flights, truth, *, atol):  # type: ignore[no-untyped-def]
    """Every true landing found within ``atol`` (s), and no other landing (one flight more)."""
    landing = flights["landing_s"].to_numpy()
    expected = truth["next_landing_s"].to_numpy()
    found = np.abs(landing[:, None] - expected[None, :]).min(axis=0)
    assert (found <= atol).all()
    assert len(flights) == len(expected) + 1  # no bump taken for a landing


def test_limb_motion_bump_late_in_a_flight_is_not_the_landing():
    # 100 Hz: 60 ms before each landing a sharp 2.2 g bump of limb motion; the magnitude
    # falls back to flight level, then leg extension lifts it before the real, stronger
    # impact. The bump's guard (40 ms, for an impact's ringing) hides the return to flight
    # level, so the real impact shows no flight before it unless the bump is recognised.
    rate_hz = 100.0
    samples, truth = hop_table(rate_hz=rate_hz, flight_s=0.16)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    shape = {-6: 2.2, -5: 1.0, -4: 0.05, -3: 0.05, -2: 0.6, -1: 0.9}
    for landing in truth["next_landing_s"].to_numpy():
        at = int(np.searchsorted(t, landing))
        for k, value in shape.items():
            m[at + k] = value
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz)
    _assert_landings_and_no_bump(flights, truth, atol=1 / rate_hz + 0.002)


@pytest.mark.parametrize(
    ("rate_hz", "before", "bump_g"),
    [
        # 52 Hz: 70 ms are 3.6 samples; the bump peaks 4 samples (77 ms) before the impact.
        (52.0, 4, 1.8),
        # A device whose real rate is a little under 100 Hz: 70 ms are 6.97 of its samples,
        # and the bump peaks 7 samples before the impact (a candidate must rise at 0.2 g/ms
        # at this rate).
        (99.5, 7, 3.0),
    ],
)
def test_limb_motion_bump_a_sample_past_the_stance_check_is_not_the_landing(
    rate_hz, before, bump_g
):
    # A sharp bump of limb motion late in each flight, a dip to 0.28 g (flight level, but
    # above stance_g, so the bump passes the stance check), then the stronger impact. The
    # sample grid puts the two peaks up to a sample period further apart than they are.
    samples, truth = hop_table(rate_hz=rate_hz, n=10, flight_s=0.22)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    for landing in truth["next_landing_s"].to_numpy():
        at = int(np.searchsorted(t, landing))
        peak = at + int(np.argmax(m[at : at + 3]))
        m[peak - before] = bump_g
        m[peak - before + 1 : peak - 1] = 0.28
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz)
    _assert_landings_and_no_bump(flights, truth, atol=1 / rate_hz + 0.003)


def test_a_landing_before_a_gap_is_no_limb_motion_bump_of_the_next_one():
    # 50 Hz: a landing's impact peaks on the last sample before a gap of 220 ms; after the
    # gap come two flight samples (0.28 g: flight level, above stance_g), the landing's
    # sample and the next, stronger impact's peak: 4 samples after the first in index, 300 ms
    # in time. The first is no bump of limb motion before that impact.
    rate_hz = 50.0
    samples, truth = hop_table(rate_hz=rate_hz, n=8, contact_s=0.12, flight_s=0.16)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    landing, next_landing = truth["landing_s"].iloc[4], truth["next_landing_s"].iloc[4]
    first = int(np.searchsorted(t, landing))
    m[first] = 1.8  # a soft impact, weaker than the next one
    nxt = int(np.searchsorted(t, next_landing))
    m[nxt - 2 : nxt] = 0.28
    keep = np.r_[np.arange(first + 1), np.arange(nxt - 2, len(t))]
    t, m = t[keep], m[keep]
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, gap_index=np.array([first]))
    found = flights["landing_s"].to_numpy()
    assert np.nanmin(np.abs(found - landing)) <= 1 / rate_hz
    assert np.nanmin(np.abs(found - next_landing)) <= 1 / rate_hz


def test_a_gap_does_not_move_the_stance_check_past_the_flight():
    # 200 Hz: 75 ms before each landing, a sharp 3 g bump of limb motion, a sample at flight
    # level, then 50 ms of the flight lost in a gap, then flight level up to the landing.
    # Counted in samples, the stance check after the bump (40-70 ms) would fall 50 ms late,
    # inside the contact, and pass: the bump would be taken for the landing. In time it sees
    # the flight after the gap.
    rate_hz = 200.0
    samples, truth = hop_table(rate_hz=rate_hz, n=10, flight_s=0.25)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    lost = []
    for landing in truth["next_landing_s"].to_numpy():
        bump = int(np.searchsorted(t, landing - 0.075))
        m[bump] = 3.0
        lost.append(np.arange(bump + 2, bump + 12))
    keep = np.setdiff1d(np.arange(len(t)), np.concatenate(lost))
    gap_index = np.flatnonzero(np.diff(keep) > 1)
    t, m = t[keep], m[keep]
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, gap_index=gap_index)
    _assert_landings_and_no_bump(flights, truth, atol=1 / rate_hz + 0.003)


def test_takeoff_bottom_rises_with_the_sample_period():
    s = DetectionSettings()
    assert s.takeoff_bottom_at(200.0) == s.takeoff_bottom_at(100.0) == s.takeoff_bottom_g
    assert s.takeoff_bottom_at(50.0) == s.takeoff_bottom_at(25.0) == s.takeoff_bottom_coarse_g
    mid = s.takeoff_bottom_at(1e3 / 15.0)
    assert mid == pytest.approx((s.takeoff_bottom_g + s.takeoff_bottom_coarse_g) / 2)


def test_take_off_into_a_held_up_flight_is_found_at_a_low_rate():
    # At 52 Hz the dip into every flight only reaches 0.6 g (the on-device low-pass fills it
    # in) before limb motion holds the magnitude at 1.1 g for 100 ms; then flight level.
    rate_hz = 52.0
    samples, truth = hop_table(n=12, rate_hz=rate_hz, contact_s=0.18, flight_s=0.2)
    t = samples["time_s"].to_numpy()
    m = samples["az_g"].to_numpy().copy()
    for to in truth["takeoff_s"]:
        after = t - to
        m[(after >= 0) & (after < 0.02)] = 0.6
        m[(after >= 0.02) & (after < 0.1)] = 1.1
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz)
    found = flights["takeoff_s"].to_numpy()[1:]
    assert len(found) == len(truth)
    np.testing.assert_allclose(found, truth["takeoff_s"], atol=0.01 + 1.0 / rate_hz)


def test_recording_that_starts_in_its_only_dip_has_no_flight():
    # The only samples below the take-off level are the first ones: no fall leads into them.
    t = np.arange(0, 2, 0.005)
    m = np.ones_like(t)
    m[:3] = 0.05
    m[200] = 4.0  # an impact-like peak with no flight before it
    flights, _ = detect_flights(t, m, sampling_rate_hz=200.0)
    assert len(flights) == 0


def test_landing_before_a_gap_with_no_take_off_fall_anywhere():
    # A flight-level start, one impact, stance, then a gap: the signal never falls into a
    # flight, so there is no take-off to look for before the gap (and no IndexError).
    rate_hz = 200.0
    t = np.arange(0, 3, 1 / rate_hz)
    m = np.full(t.size, 0.1)
    i = int(0.5 * rate_hz)
    m[i : i + 3] = [4.0, 8.0, 3.0]
    m[i + 3 :] = 1.0
    cut = int(1.0 * rate_hz)
    t = np.r_[t[:cut], t[cut:] + 2.0]
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, gap_index=np.array([cut - 1]))
    assert len(flights) == 1
    assert np.isnan(flights["takeoff_s"].iloc[0])
    assert flights["landing_s"].iloc[0] == pytest.approx(0.5, abs=0.01)


def _long_contact(rate_hz, after_takeoff):  # type: ignore[no-untyped-def]
    """A rebound contact at ``rate_hz``: landing at 1.0 s, a stance dip to 0.4 g at 1.2-1.3 s,
    push-off to 2.5 g, take-off at 1.5 s; ``after_takeoff(tau)`` gives the flight (g)."""
    t = np.arange(0, 2.5, 1 / rate_hz)
    m = np.full(t.size, 0.05)
    stance = (t >= 1.0) & (t < 1.5)
    m[stance] = 1.0
    m[(t >= 1.0) & (t < 1.03)] = 8.0  # impact
    m[(t >= 1.2) & (t < 1.3)] = 0.4  # the heel drops after a heel touch
    m[(t >= 1.19) & (t < 1.2)] = 2.2  # the heel touch
    m[(t >= 1.45) & (t < 1.5)] = 2.5  # push-off
    flight = (t >= 1.5) & (t < 2.0)
    m[flight] = after_takeoff(t[flight] - 1.5)
    m[t >= 2.0] = 1.0
    m[(t >= 2.0) & (t < 2.03)] = 8.0  # the next landing
    return t, m


@pytest.mark.parametrize("rate_hz", [52.0, 100.0])
def test_a_stance_dip_taken_for_the_take_off_gives_way_to_the_push_off(rate_hz):
    t, m = _long_contact(rate_hz, lambda tau: 0.05 + 0 * tau)
    found = takeoffs_after_stance_dips(
        t,
        m,
        sampling_rate_hz=rate_hz,
        takeoff_s=np.array([1.2]),  # the dip
        next_landing_s=np.array([2.0]),
    )
    assert found[0] == pytest.approx(1.5, abs=1.5 / rate_hz)


def test_a_flight_held_up_by_limb_motion_keeps_its_take_off():
    # After the take-off the magnitude is held at 1.8 g for 250 ms, then falls to flight
    # level: the end of that hold is no push-off (no rise just before it).
    rate_hz = 52.0
    t, m = _long_contact(rate_hz, lambda tau: np.where(tau < 0.25, 1.8, 0.05))
    m[(t >= 1.5) & (t < 1.52)] = 0.6  # the low-passed dip into the flight
    found = takeoffs_after_stance_dips(
        t,
        m,
        sampling_rate_hz=rate_hz,
        takeoff_s=np.array([1.5]),
        next_landing_s=np.array([2.0]),
    )
    assert np.isnan(found[0])


def test_stance_dips_are_not_sought_without_a_next_landing_or_across_a_gap():
    rate_hz = 52.0
    t, m = _long_contact(rate_hz, lambda tau: 0.05 + 0 * tau)
    kw = {"sampling_rate_hz": rate_hz, "takeoff_s": np.array([1.2])}
    assert np.isnan(takeoffs_after_stance_dips(t, m, next_landing_s=np.array([np.nan]), **kw)[0])
    gap = np.array([int(np.searchsorted(t, 1.4))])
    found = takeoffs_after_stance_dips(t, m, next_landing_s=np.array([2.0]), gap_index=gap, **kw)
    assert np.isnan(found[0])
    with pytest.raises(ValueError, match="must match"):
        takeoffs_after_stance_dips(t, m, next_landing_s=np.array([2.0, 3.0]), **kw)


def _held_flight(rate_hz, *, push_off=True):  # type: ignore[no-untyped-def]
    """A rebound contact (landing 1.0 s, take-off 1.5 s) whose flight limb motion holds at
    1.8 g for 250 ms; the low-pass fills in the dip between push-off and hold (1.2 g)."""
    t, m = _long_contact(rate_hz, lambda tau: np.where(tau < 0.25, 1.8, 0.05))
    m[(t >= 1.5) & (t < 1.52)] = 1.2
    if not push_off:
        m[(t >= 1.19) & (t < 1.5)] = 1.0  # a flat stance: no heel touch, no push-off
    return t, m


@pytest.mark.parametrize("rate_hz", [52.0, 100.0])
def test_the_end_of_limb_motion_taken_for_the_take_off_gives_way_to_the_push_off(rate_hz):
    t, m = _held_flight(rate_hz)
    found = takeoffs_before_limb_motion(
        t,
        m,
        sampling_rate_hz=rate_hz,
        landing_s=np.array([1.0]),
        takeoff_s=np.array([1.75]),  # the end of the hold
    )
    # The last push-off (not the heel touch at 1.19 s, which falls too).
    assert found[0] == pytest.approx(1.5, abs=1.5 / rate_hz)


@pytest.mark.parametrize("rate_hz", [52.0, 64.0])
def test_a_short_hold_of_limb_motion_after_the_take_off_gives_way_to_the_push_off(rate_hz):
    # Limb motion holds the flight at 1.5 g for 100 ms only, after a dip to 0.85 g at the
    # take-off: looked at over 60 ms, the rise out of the dip hid the plateau.
    t, m = _long_contact(rate_hz, lambda tau: np.where(tau < 0.12, 1.5, 0.05))
    m[(t >= 1.5) & (t < 1.52)] = 0.85
    found = takeoffs_before_limb_motion(
        t,
        m,
        sampling_rate_hz=rate_hz,
        landing_s=np.array([1.0]),
        takeoff_s=np.array([1.62]),  # the end of the hold
    )
    assert found[0] == pytest.approx(1.5, abs=1.5 / rate_hz)


def test_a_take_off_after_a_push_off_or_without_one_before_it_stands():
    rate_hz = 52.0
    t, m = _held_flight(rate_hz)
    kw = {"sampling_rate_hz": rate_hz, "landing_s": np.array([1.0])}
    # The push-off's own fall (a rise just before it) is a take-off.
    assert np.isnan(takeoffs_before_limb_motion(t, m, takeoff_s=np.array([1.5]), **kw)[0])
    # A fall from a plateau with no push-off earlier in the contact has nothing to give way to.
    t, m = _held_flight(rate_hz, push_off=False)
    assert np.isnan(takeoffs_before_limb_motion(t, m, takeoff_s=np.array([1.75]), **kw)[0])


def _hop_held_after_push_off(rate_hz):  # type: ignore[no-untyped-def]
    """A hop contact (landing 1.0 s, push-off to 3 g, take-off 1.2 s) whose dip into flight
    the low-pass filled in (0.73 g) before limb motion at 1 g until 1.3 s; landing at 1.4 s."""
    t = np.arange(0, 2.0, 1 / rate_hz)
    m = np.full(t.size, 0.05)
    m[(t >= 1.0) & (t < 1.2)] = 1.5  # stance
    m[(t >= 1.0) & (t < 1.03)] = 8.0  # impact
    m[(t >= 1.14) & (t < 1.2)] = 3.0  # push-off
    m[(t >= 1.2) & (t < 1.22)] = 0.73  # the dip, filled in
    m[(t >= 1.22) & (t < 1.3)] = 1.0  # limb motion
    m[t >= 1.4] = 1.0
    m[(t >= 1.4) & (t < 1.43)] = 8.0  # the next landing
    return t, m


def test_a_fall_with_no_push_off_before_it_gives_way_to_the_push_off_for_hops():
    from analysis.detect import PUSH_OFF_MS, PUSH_OFF_RISE_G

    rate_hz = 52.0
    t, m = _hop_held_after_push_off(rate_hz)
    kw = {
        "sampling_rate_hz": rate_hz,
        "landing_s": np.array([1.0]),
        "takeoff_s": np.array([1.3]),  # the end of the limb motion
    }
    # The motion rises from the filled-in dip by more than PLATEAU_RISE_G (0.27 g): not a
    # plateau by the rebound criterion, but no push-off either (under PUSH_OFF_RISE_G).
    assert np.isnan(takeoffs_before_limb_motion(t, m, **kw)[0])
    hops = {"plateau_rise_g": PUSH_OFF_RISE_G, "plateau_ms": PUSH_OFF_MS}
    found = takeoffs_before_limb_motion(t, m, **hops, **kw)
    assert found[0] == pytest.approx(1.2, abs=1.5 / rate_hz)


def test_a_heel_touch_mid_stance_is_not_taken_for_a_hop_push_off():
    from analysis.detect import PUSH_OFF_MS, PUSH_OFF_RISE_G, UNLOADED_G

    # Heel-mounted: a heel touch (2.9 g) mid-stance falls back to body weight (1.3 g); the
    # take-off falls from that plateau without a push-off the heel sensor would see.
    rate_hz = 64.0
    t = np.arange(0, 2.0, 1 / rate_hz)
    m = np.full(t.size, 0.05)
    m[(t >= 1.0) & (t < 1.2)] = 1.3
    m[(t >= 1.0) & (t < 1.03)] = 6.0  # impact
    m[(t >= 1.10) & (t < 1.12)] = 2.9  # heel touch
    m[(t >= 1.4) & (t < 1.43)] = 6.0  # the next landing
    kw = {
        "sampling_rate_hz": rate_hz,
        "landing_s": np.array([1.0]),
        "takeoff_s": np.array([1.2]),
        "plateau_rise_g": PUSH_OFF_RISE_G,
        "plateau_ms": PUSH_OFF_MS,
    }
    moved = takeoffs_before_limb_motion(t, m, **kw)[0]
    assert moved < 1.15  # without the level, the heel touch's fall is taken for a push-off
    assert np.isnan(takeoffs_before_limb_motion(t, m, push_off_below_g=UNLOADED_G, **kw)[0])


def _plain_takeoffs_before_limb_motion(
    t, m, landing, takeoff, gaps, fs, plateau, hold_ms, below, weak
):
    """The check of ``takeoffs_before_limb_motion`` contact by contact (the reference).

    The push-offs are judged sample by sample here; only the timing of the fall chosen is
    the detector's (``_time_fall``).
    """
    from analysis.detect import (
        LIMB_MOTION_FALL_SHARE,
        PUSH_OFF_RISE_G,
        UNLOADED_G,
        WEAK_PUSH_OFF_RISE_SHARE,
        _push_off_spans,
        _time_fall,
    )
    from analysis.settings import DetectionSettings

    s, n, out = DetectionSettings(), len(m), np.full(len(takeoff), np.nan)
    span, rise = _push_off_spans(s, fs)
    guard = int(np.ceil(s.impact_guard_ms * fs / 1e3))
    weak_fall = LIMB_MOTION_FALL_SHARE * s.takeoff_fall_g if weak else np.inf
    for i in range(len(takeoff)):
        if not (np.isfinite(landing[i]) and np.isfinite(takeoff[i])):
            continue
        a = int(np.searchsorted(t, landing[i])) + guard
        b = int(np.searchsorted(t, takeoff[i], side="right")) - 1
        if b <= a:
            continue
        lo = max(b - span, 0)
        top = lo + int(np.argmax(m[lo : b + 1]))
        if top - rise <= a or top + span >= n:
            continue
        hold = max(2, int(np.ceil(hold_ms * fs / 1e3)))
        if m[top] - m[top - hold : top + 1].min() >= plateau:
            continue
        if np.searchsorted(gaps, top + span) > np.searchsorted(gaps, a):
            continue
        last = None
        for k in range(a + 1, top - 1):
            after = m[k + 1 : k + span + 1].min()
            fall = m[k] - after
            level = min(below, UNLOADED_G) if k < a + rise else below  # an early peak
            weak_fall_ok = fall >= weak_fall and after < UNLOADED_G
            # A weak push-off needs half the rise when the samples under UNLOADED_G up to
            # the fall taken are one run (its dip) and the magnitude is back before the fall.
            under = np.r_[False, m[k + 1 : top] < UNLOADED_G]
            one_dip = int((under[1:] & ~under[:-1]).sum()) == 1 and not under[-1]
            need = PUSH_OFF_RISE_G * (WEAK_PUSH_OFF_RISE_SHARE if weak_fall_ok and one_dip else 1)
            if (
                m[k] >= m[k + 1]
                and m[k] >= 1.0
                and m[k] - m[max(k - rise, a) : k + 1].min() >= need
                and ((fall >= s.takeoff_fall_g and after < level) or weak_fall_ok)
            ):
                last = k
        if last is not None:
            found, _, _ = _time_fall(
                t,
                m,
                np.array([last]),
                np.array([max(last - span, a)]),
                np.array([top]),
                span=span,
                s=s,
            )
            out[i] = found[0]
    return out


def test_take_offs_before_limb_motion_equal_the_check_taken_contact_by_contact():
    from analysis.detect import PLATEAU_MS, PLATEAU_RISE_G, PUSH_OFF_MS, PUSH_OFF_RISE_G, UNLOADED_G

    rng = np.random.default_rng(3)
    moved = 0
    for _ in range(1000):
        fs = float(rng.choice([50.0, 52.0, 64.0, 100.0, 200.0]))
        n = int(rng.integers(30, 400))
        t = np.arange(n) / fs
        m = np.abs(rng.normal(1.0, 1.0, n)).round(int(rng.integers(0, 3)))  # (equal values)
        k = int(rng.integers(1, 8))
        landing = np.sort(rng.uniform(-0.1, t[-1] + 0.1, k))
        takeoff = landing + rng.uniform(-0.05, 0.6, k)
        takeoff[rng.random(k) < 0.1] = np.nan
        gaps = np.unique(rng.integers(0, n - 1, int(rng.integers(0, 3))))
        for plateau, hold_ms, below, weak in (
            (PLATEAU_RISE_G, PLATEAU_MS, np.inf, False),
            (PLATEAU_RISE_G, PLATEAU_MS, np.inf, True),  # rebound jumps
            (PUSH_OFF_RISE_G, PUSH_OFF_MS, UNLOADED_G, False),  # repeated hops
        ):
            got = takeoffs_before_limb_motion(
                t,
                m,
                sampling_rate_hz=fs,
                landing_s=landing,
                takeoff_s=takeoff,
                gap_index=gaps,
                plateau_rise_g=plateau,
                plateau_ms=hold_ms,
                push_off_below_g=below,
                weak_push_off=weak,
            )
            want = _plain_takeoffs_before_limb_motion(
                t, m, landing, takeoff, gaps, fs, plateau, hold_ms, below, weak
            )
            np.testing.assert_array_equal(got, want)
            moved += int(np.isfinite(got).sum())
    assert moved > 50  # the check did move take-offs


def test_limb_motion_is_not_looked_into_without_both_edges_or_across_a_gap():
    rate_hz = 52.0
    t, m = _held_flight(rate_hz)
    kw = {"sampling_rate_hz": rate_hz, "takeoff_s": np.array([1.75])}
    found = takeoffs_before_limb_motion(t, m, landing_s=np.array([np.nan]), **kw)
    assert np.isnan(found[0])
    gap = np.array([int(np.searchsorted(t, 1.6))])
    found = takeoffs_before_limb_motion(t, m, landing_s=np.array([1.0]), gap_index=gap, **kw)
    assert np.isnan(found[0])
    # A take-off before its landing, or before the signal starts: nothing to look into.
    found = takeoffs_before_limb_motion(
        t,
        m,
        sampling_rate_hz=rate_hz,
        landing_s=np.array([1.0, -0.5]),
        takeoff_s=np.array([0.8, -0.4]),
    )
    assert np.isnan(found).all()
    with pytest.raises(ValueError, match="must match"):
        takeoffs_before_limb_motion(t, m, landing_s=np.array([1.0, 3.0]), **kw)


def test_walking_again_from_a_lost_onset_equals_a_whole_walk():
    from analysis.detect import _bound_flights

    rng = np.random.default_rng(11)
    for _ in range(300):
        n = 4000
        k = int(rng.integers(1, 60))
        peaks = np.sort(rng.choice(np.arange(50, n - 50), k, replace=False))
        foot = peaks - rng.integers(1, 6, k)
        q_idx = np.sort(rng.choice(n, int(rng.integers(0, 200)), replace=False))
        low_idx = np.sort(rng.choice(n, int(rng.integers(0, 1500)), replace=False))
        stance_idx = np.sort(rng.choice(n, int(rng.integers(0, 100)), replace=False))
        bound = {
            "n": n,
            "max_flight": int(rng.integers(20, 400)),
            "guard": 5,
            "need": int(rng.integers(1, 6)),
            "stance": 30,
            "stance_idx": stance_idx,
        }
        ok_onset = rng.random(k) < 0.8
        _, accept, walk = _bound_flights(peaks, foot, ok_onset, q_idx, low_idx, **bound)
        fewer = ok_onset & ~(rng.random(k) < 0.2)
        whole = _bound_flights(peaks, foot, fewer, q_idx, low_idx, **bound)
        again = _bound_flights(peaks, foot, fewer, q_idx, low_idx, **bound, again=(walk, accept))
        np.testing.assert_array_equal(again[1], whole[1])
        np.testing.assert_array_equal(again[0], whole[0])


@pytest.mark.parametrize("long_ranges", [False, True])
def test_range_extremes_equal_plain_reductions(long_ranges):
    from analysis.detect import _range_max, _range_min

    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 300))
        m = rng.normal(size=n)
        k = int(rng.integers(0, 10))
        first = rng.integers(0, n + 5, k)
        last = first + rng.integers(-3, 400 if long_ranges else 20, k)
        f, g = np.minimum(first, n - 1), np.minimum(last, n - 1)
        low = [m[a : b + 1].min() if b >= a else np.inf for a, b in zip(f, g, strict=True)]
        high = [m[a : b + 1].max() if b >= a else -np.inf for a, b in zip(f, g, strict=True)]
        np.testing.assert_array_equal(_range_min(m, first, last), np.array(low))
        np.testing.assert_array_equal(_range_max(m, first, last), np.array(high))


def test_lowest_after_repeats_the_last_sample_past_the_end():
    from analysis.detect import _lowest_after

    m = np.array([3.0, 1.0, 2.0, 0.5, 4.0, 2.5])
    k = np.array([[0, 1], [3, 5]])
    # The lowest of the next two samples (the last one repeating at the end).
    np.testing.assert_array_equal(_lowest_after(m, k, 2), [[1.0, 0.5], [2.5, 2.5]])


def test_retime_takeoffs_at_the_start_of_the_signal():
    # A recording that starts in the contact: the search window begins at the first
    # sample, and the fall from it is found (a sample before the signal does not count).
    rate = 200.0
    t = np.arange(40) / rate
    m = np.full(40, 0.05)
    m[:2] = [2.4, 1.2]
    m[30:] = 1.0
    got = retime_takeoffs(
        t,
        m,
        sampling_rate_hz=rate,
        landing_s=np.array([-0.02]),
        expected_contact_ms=np.array([25.0]),
        next_landing_s=np.array([t[30]]),
    )
    assert t[0] < got[0] < t[2]


@pytest.mark.parametrize("rate_hz", [50.0, 52.0, 64.0])
def test_a_weak_push_off_soon_after_the_landing_gives_way_before_limb_motion(rate_hz):
    # A 165 ms rebound contact: the impact, a sagging stance, and a weak push-off to 1.45 g
    # whose fall stops at 0.85 g (0.6 g, under takeoff_fall_g) when limb motion takes over and
    # holds the flight at 1.55 g for 230 ms; the push-off comes before a whole push-off's rise
    # time has passed after the impact guard.
    knots = [
        (0.0, 0.05),
        (0.99, 0.05),
        (1.0, 0.5),
        (1.02, 8.0),
        (1.04, 1.7),
        (1.06, 0.65),
        (1.1, 0.8),
        (1.115, 1.0),
        (1.13, 1.45),
        (1.15, 1.45),
        (1.165, 0.95),
        (1.185, 0.85),
        (1.205, 1.55),
        (1.4, 1.55),
        (1.43, 1.2),
        (1.46, 0.1),
        (1.8, 0.05),
        (1.81, 8.0),
        (1.84, 1.0),
        (3.0, 1.0),
    ]
    t = np.arange(0.0, 3.0, 1 / rate_hz)
    m = np.interp(t, *zip(*knots, strict=True))
    kw = {
        "sampling_rate_hz": rate_hz,
        "landing_s": np.array([1.0]),
        "takeoff_s": np.array([1.44]),  # the end of the hold
    }
    found = takeoffs_before_limb_motion(t, m, weak_push_off=True, **kw)
    assert found[0] == pytest.approx(1.165, abs=1.5 / rate_hz)
    # A whole take-off fall is asked for unless told otherwise (repeated hops).
    assert np.isnan(takeoffs_before_limb_motion(t, m, **kw)[0])


def test_a_weak_push_off_needs_its_dip_before_the_fall_taken():
    # 200 Hz (a fall's span of three samples). A bump of 0.35 g from a 0.8 g stance falls by
    # 0.45 g: a weak push-off, whose half rise counts only when its dip under 1 g comes before
    # the fall taken (``stop``) and the magnitude is back at 1 g or above up to it.
    from analysis.detect import _last_push_off
    from analysis.settings import DetectionSettings

    t = np.arange(40) / 200.0
    kw = {"first": 0, "span": 3, "rise": 12, "s": DetectionSettings(), "weak_fall_g": 0.4}
    m = np.full(40, 0.8)
    m[10:16] = [1.15, 0.7, 1.3, 1.3, 1.3, 0.5]
    m[16:] = 0.1
    assert np.isfinite(_last_push_off(t, m, np.array([10]), stop=14, **kw))
    # Its only fall under 1 g is past the fall taken: no dip, the whole rise is asked.
    m[10:14] = [1.15, 1.1, 1.2, 0.5]
    m[14:] = 0.1
    assert np.isnan(_last_push_off(t, m, np.array([10]), stop=12, **kw))


@pytest.mark.parametrize("rate_hz", [50.0, 52.0, 64.0])
@pytest.mark.parametrize("held", [True, False])
def test_a_weak_push_off_with_a_small_rise_counts_when_limb_motion_holds_on_from_its_dip(
    rate_hz, held
):
    # A 540 ms rebound contact: the impact, a stance at 0.7-0.8 g, and a weak push-off rising
    # by 0.45 g to 1.17 g (under PUSH_OFF_RISE_G) whose fall stops at 0.5 g; limb motion then
    # holds the flight at 1.95 g for 370 ms. When the stance comes back after the dip and
    # sags under 1 g again instead, the bump is no push-off.
    after_dip = (
        [(1.58, 1.95)]
        if held
        else [(1.6, 1.1), (1.64, 1.1), (1.68, 0.8), (1.72, 0.8), (1.76, 1.95)]
    )
    knots = [
        (0.0, 0.05),
        (0.99, 0.05),
        (1.0, 0.5),
        (1.02, 9.0),
        (1.05, 1.6),
        (1.08, 0.8),
        (1.3, 0.7),
        (1.45, 0.72),
        (1.5, 1.17),
        (1.52, 1.17),
        (1.56, 0.5),
        *after_dip,
        (1.95, 1.95),
        (1.98, 1.2),
        (2.01, 0.1),
        (2.3, 0.05),
        (2.31, 8.0),
        (2.34, 1.0),
        (3.5, 1.0),
    ]
    t = np.arange(0.0, 3.5, 1 / rate_hz)
    m = np.interp(t, *zip(*knots, strict=True))
    found = takeoffs_before_limb_motion(
        t,
        m,
        sampling_rate_hz=rate_hz,
        landing_s=np.array([1.0]),
        takeoff_s=np.array([1.99]),  # the end of the hold
        weak_push_off=True,
    )
    if held:
        assert found[0] == pytest.approx(1.54, abs=1.5 / rate_hz)
    else:
        assert np.isnan(found[0])


def _slow_step_off_into_a_gap(level_g, rate_hz=200.0):
    """A landing at 0.8 s, standing, a slow fall (25 ms) to ``level_g`` held into a gap.

    After the gap (1.99-2.06 s) the foot stands at 1.1 g, pushes off at 2.35 s and lands at
    2.65 s. Returns the flights found and the time of the middle of the slow fall.
    """
    t = np.arange(0.0, 4.0, 1 / rate_hz)
    m = np.full(len(t), 1.0)
    for at in (0.8, 2.65):
        on = t >= at
        m[on] += 8.0 * np.exp(-(t[on] - at) / 0.01)
    m[(t >= 0.5) & (t < 0.8)] = 0.05
    ramp = (t >= 1.705) & (t < 1.73)
    m[ramp] = 1.0 + (level_g - 1.0) * (t[ramp] - 1.705) / 0.025
    m[(t >= 1.73) & (t < 2.0)] = level_g
    m[(t >= 2.05) & (t < 2.35)] = 1.1
    m[(t >= 2.33) & (t < 2.35)] = 2.5
    m[(t >= 2.35) & (t < 2.65)] = 0.05
    keep = ~((t > 1.99) & (t < 2.06))
    t, m = t[keep], m[keep]
    gap_index = np.flatnonzero(np.diff(t) > 1.5 / rate_hz)
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, gap_index=gap_index)
    return flights


def test_a_slow_step_off_into_a_gap_is_a_flight_with_its_landing_lost():
    # A step off a box falls into flight over 25 ms, slower than a push-off's fall_span_ms.
    flights = _slow_step_off_into_a_gap(0.05)
    into = flights.loc[flights["landing_gap"].to_numpy(dtype=bool)]
    assert len(flights) == 3 and len(into) == 1
    assert 1.705 < into["takeoff_s"].iloc[0] < 1.73
    assert np.isnan(into["landing_s"].iloc[0])


@pytest.mark.parametrize("level_g", [0.2, 0.27])
def test_a_slow_fall_short_of_free_fall_into_a_gap_is_no_flight(level_g):
    # The same fall stopping at 0.2 g (below flight_g) or 0.27 g: a dip of the stance.
    flights = _slow_step_off_into_a_gap(level_g)
    assert len(flights) == 2 and not flights["landing_gap"].to_numpy(dtype=bool).any()


def _soft_landing_hop(rate_hz, limb_motion):  # type: ignore[no-untyped-def]
    """A hop whose landing at 0.62 s rises softly (over 55 ms, to 1.9 g), sampled at ``rate_hz``.

    A push-off at 0.49 s leads into 120 ms of flight; after the soft rise the stance dips to
    0.9 g, a steep heel drop peaks at 2.8 g 105 ms after the landing, and the foot pushes off
    again at 0.86 s into a flight ending in a sharp 4 g impact at 1.0 s. ``limb_motion``
    replaces the soft rise: ``"plateau"`` puts the same rise one sample after the push-off
    (limb motion at 1.6 g for 80 ms, then flight again), ``"bump"`` lets it fall back to
    0.35 g within 25 ms (above ``stance_g``: the stance check passes), and leg extension lift
    it to 0.7 g before the impact. Returns the flights found.
    """
    soft = [(0.62, 0.05), (0.675, 1.9), (0.70, 0.9), (0.715, 0.9), (0.725, 2.8), (0.745, 1.2)]
    knots = {
        None: soft,
        "plateau": [(0.51, 0.05), (0.56, 1.6), (0.64, 1.6), (0.66, 0.1), (0.745, 0.05)],
        "bump": [(0.62, 0.05), (0.675, 1.6), (0.70, 0.35), (0.715, 0.35), (0.735, 0.7)],
    }[limb_motion]
    if limb_motion is not None:  # the hop lands at 0.745 s instead, with a sharp impact
        knots = [*knots, (0.745, 0.7 if limb_motion == "bump" else 0.05), (0.75, 3.5)]
        knots.append((0.77, 1.2))
    points = [(0.0, 1.0), (0.45, 1.0), (0.49, 2.5), (0.50, 0.05), *knots]
    points += [(0.85, 1.2), (0.86, 2.5), (0.87, 0.05), (0.995, 0.05), (1.0, 4.0)]
    points += [(1.03, 1.2), (1.2, 1.0), (2.0, 1.0)]
    knot_t, knot_g = np.array(points).T
    t = np.arange(0.003, 2.0, 1 / rate_hz)
    m = np.interp(t, knot_t, knot_g)
    flights, _ = detect_flights(t, m, sampling_rate_hz=rate_hz)
    return flights


@pytest.mark.parametrize("rate_hz", [52.0, 64.0, 100.0])
def test_a_soft_landing_with_no_steep_step_is_the_landing(rate_hz):
    # No step of the soft rise reaches onset_step_g (0.8 g), so before, the heel drop 105 ms
    # on was taken for the landing.
    flights = _soft_landing_hop(rate_hz, None)
    landing = flights["landing_s"].to_numpy()
    assert len(flights) == 2
    assert 0.62 < landing[0] < 0.655
    assert abs(landing[1] - 1.0) < 1 / rate_hz
    assert abs(flights["takeoff_s"].iloc[1] - 0.865) < 1 / rate_hz


@pytest.mark.parametrize("rate_hz", [52.0, 64.0, 100.0])
@pytest.mark.parametrize("limb_motion", ["plateau", "bump"])
def test_limb_motion_rising_as_softly_is_no_landing(rate_hz, limb_motion):
    # Right after a push-off (no flight before it) or falling back towards flight level (no
    # stance after it), a soft rise is limb motion: the hop lands at 0.745 s.
    flights = _soft_landing_hop(rate_hz, limb_motion)
    landing = flights["landing_s"].to_numpy()
    assert len(flights) == 2
    assert abs(landing[0] - 0.745) < 1 / rate_hz
