import numpy as np
import pandas as pd
import pytest

from analysis.flags import recording_flags, set_flags, union_flags
from analysis.metrics import hop_metrics
from analysis.sets import check_contacts, group_flights, pair_contacts, set_summaries
from analysis.settings import AnalysisSettings


class TestGroupFlights:
    def test_long_ground_time_ends_a_set(self):
        takeoff = np.array([0.0, 0.5, 1.0, 5.0, 5.5])
        landing = takeoff + 0.15
        assert group_flights(takeoff, landing, set_gap_s=1.0).tolist() == [1, 1, 1, 2, 2]

    def test_unknown_takeoff_uses_the_landings(self):
        takeoff = np.array([0.0, np.nan, 0.9, np.nan])
        landing = np.array([0.15, 0.6, 1.05, 4.0])
        assert group_flights(takeoff, landing).tolist() == [1, 1, 1, 2]

    def test_empty_and_errors(self):
        assert len(group_flights(np.zeros(0), np.zeros(0))) == 0
        with pytest.raises(ValueError, match="set_gap_s"):
            group_flights(np.zeros(1), np.zeros(1), set_gap_s=0)
        with pytest.raises(ValueError, match="same length"):
            group_flights(np.zeros(2), np.zeros(1))


def test_pair_contacts_between_consecutive_flights_of_a_set():
    flights = pd.DataFrame(
        {
            "set": [1, 1, 1, 2],
            "takeoff_s": [0.0, 0.35, 0.70, 9.0],
            "landing_s": [0.15, 0.50, 0.85, 9.2],
            "impact_peak_g": [5.0, 6.0, 7.0, 8.0],
            "impact_clipped": [False, True, False, False],
        }
    )
    c = pair_contacts(flights)
    assert c["landing_s"].tolist() == [0.15, 0.50]
    assert c["takeoff_s"].tolist() == [0.35, 0.70]
    assert c["next_landing_s"].tolist() == [0.50, 0.85]
    assert c["impact_peak_g"].tolist() == [5.0, 6.0]


def _hops(contact_ms, period_s=0.33, set_no=1):
    n = len(contact_ms)
    landing = np.arange(n) * period_s
    ev = pd.DataFrame(
        {
            "set": set_no,
            "landing_s": landing,
            "takeoff_s": landing + np.asarray(contact_ms) / 1e3,
            "next_landing_s": landing + period_s,
            "impact_peak_g": 8.0,
            "impact_clipped": False,
        }
    )
    return hop_metrics(ev)


class TestSetSummaries:
    def test_set_rate_uses_landings_of_complete_contacts(self):
        hops = _hops([200.0] * 10, period_s=0.3)
        s = set_summaries(hops).iloc[0]
        assert s["hops"] == 10
        assert s["hop_hz"] == pytest.approx(9 / 2.7)
        assert s["contact_ms"] == pytest.approx(200.0)
        assert s["contact_iqr_ms"] == pytest.approx(0.0)
        assert s["contact_trend_ms_per_hop"] == pytest.approx(0.0, abs=1e-9)

    def test_fatigue_trend(self):
        hops = _hops(np.linspace(180, 225, 10))
        s = set_summaries(hops).iloc[0]
        assert s["contact_trend_ms_per_hop"] == pytest.approx(5.0)
        assert s["slow_share"] == pytest.approx(0.0)

    def test_single_hop_has_no_rate(self):
        assert np.isnan(set_summaries(_hops([200.0])).iloc[0]["hop_hz"])

    def test_empty(self):
        assert len(set_summaries(_hops([]))) == 0


class TestFlags:
    def _flags(self, contact_ms, period_s, **settings):
        hops = _hops(contact_ms, period_s=period_s)
        sets = set_summaries(hops, slow_contact_ms=settings.get("slow_contact_ms", 250.0))
        return set_flags(sets, hops, settings=AnalysisSettings(**settings))[0]

    def test_good_set_has_no_flag(self):
        assert self._flags([180.0] * 20, 1 / 3.2) == ()

    def test_below_target(self):
        assert self._flags([180.0] * 20, 1 / 2.8) == ("below_target_frequency",)

    def test_tolerance(self):
        assert self._flags([180.0] * 20, 1 / 2.97) == ()
        assert "below_target_frequency" in self._flags(
            [180.0] * 20, 1 / 2.97, target_tolerance_hz=0.0
        )

    def test_slow_median(self):
        assert self._flags([270.0] * 20, 1 / 3.0) == ("slow_rebound",)

    def test_slow_share(self):
        contact = [200.0] * 12 + [280.0] * 8  # median fast, 40 % slow
        assert self._flags(contact, 1 / 3.1) == ()
        assert self._flags(contact, 1 / 3.1, slow_share=0.3) == ("slow_rebound",)

    def test_too_few(self):
        assert self._flags([180.0] * 3, 1 / 3.2) == ("too_few_hops",)

    def test_gap_and_clipping_in_set(self):
        hops = _hops([180.0] * 10, period_s=0.3)
        hops.loc[3, "impact_clipped"] = True
        sets = set_summaries(hops)
        flags = set_flags(sets, hops, settings=AnalysisSettings(), gaps_s=[(1.0, 1.05)])[0]
        assert flags == ("clipping", "gaps")

    def test_gap_that_swallowed_the_end_of_a_set(self):
        # The set's last take-off at 2.88 s; a gap from 3.1 s, in the flight after it, may hide
        # the hops that followed: the set is marked, as for a gap within it. A gap a second on
        # (standing) is not the set's.
        hops = _hops([180.0] * 10, period_s=0.3)
        sets = set_summaries(hops)
        s = AnalysisSettings()
        assert set_flags(sets, hops, settings=s, gaps_s=[(3.1, 5.0)])[0] == ("gaps",)
        assert set_flags(sets, hops, settings=s, gaps_s=[(-0.4, -0.2)])[0] == ("gaps",)
        assert set_flags(sets, hops, settings=s, gaps_s=[(3.9, 5.0)])[0] == ()

    def test_hop_with_an_edge_lost_marks_its_set(self):
        hops = _hops([180.0] * 10, period_s=0.3)
        hops["edge_lost"] = ""
        hops.loc[9, ["takeoff_s", "edge_lost"]] = [np.nan, "takeoff"]
        sets = set_summaries(hops)
        assert set_flags(sets, hops, settings=AnalysisSettings())[0] == ("gaps",)

    def test_recording_flags(self):
        s = AnalysisSettings()
        q = {"effective_rate_hz": 52.0, "clipped_impacts": 0, "gaps": 0}
        assert recording_flags(q, settings=s) == ("low_sample_rate",)
        q = {
            "effective_rate_hz": 200.0,
            "clipped_impacts": 2,
            "gaps": 0,
            "lost_packets_reported": 3,
        }
        assert recording_flags(q, settings=s) == ("clipping", "gaps")

    def test_union_order(self):
        assert union_flags(("gaps",), ("slow_rebound", "gaps")) == ("slow_rebound", "gaps")


def test_check_contacts_reasons():
    landing = np.arange(12) * 0.33
    contact = np.full(12, 0.2)
    contact[4] = 0.05  # too short
    contact[8] = 0.10  # irregular against the running median
    nxt = landing + 0.33
    nxt[10] = landing[10] + 0.6  # a missed hop: the period doubles
    c = pd.DataFrame(
        {"set": 1, "landing_s": landing, "takeoff_s": landing + contact, "next_landing_s": nxt}
    )
    reasons = check_contacts(c, min_contact_ms=80, max_contact_ms=600)
    assert reasons[4] == "contact too short"
    assert reasons[8] == "irregular contact"
    assert reasons[10] == "irregular period"
    assert (reasons[[0, 1, 2, 3, 5, 6, 7, 9, 11]] == "").all()


def test_set_frequency_counts_periods_not_landings():
    from analysis.sets import set_frequency_hz

    landing = np.arange(20) / 3.0
    assert set_frequency_hz(landing) == pytest.approx(3.0)
    # a landing lost (gap or rejected contact) does not lower the rate
    assert set_frequency_hz(np.delete(landing, 7)) == pytest.approx(3.0)
    # an extra landing in the middle of a flight does not raise it
    assert set_frequency_hz(np.sort(np.r_[landing, 2.5])) == pytest.approx(3.0)
    assert np.isnan(set_frequency_hz(np.array([1.0])))
    # so many landings left out that the median interval spans two periods
    sparse = np.delete(landing, [1, 3, 5, 7, 9, 11, 13])
    assert set_frequency_hz(sparse) == pytest.approx(3.0)


def test_set_frequency_leaves_out_landings_off_the_rhythm():
    from analysis.sets import set_frequency_hz

    landing = np.arange(12) / 3.0
    # The last true landing not found and a heel touch 0.55 periods into the contact
    # before it taken for a landing: that landing is off the rhythm and left out.
    heel = np.r_[landing[:10], landing[10] + 0.55 / 3.0]
    assert set_frequency_hz(heel) == pytest.approx(3.0)
    # The same inside the set: 1.55 and 1.45 periods to its neighbours.
    inner = np.sort(np.r_[np.delete(landing, 6), landing[6] + 0.55 / 3.0])
    assert set_frequency_hz(inner) == pytest.approx(3.0)
    # Of two landings less than half a period apart at the start, the one on the rhythm
    # of the next landings is kept.
    early = np.r_[landing[0] - 0.07, landing]
    assert set_frequency_hz(early) == pytest.approx(3.0)


def test_set_frequency_follows_a_drifting_period():
    from analysis.sets import set_frequency_hz

    # Fatigue: the period grows from 0.30 s to 0.39 s; three landings in a row lost near
    # the end (an interval of four periods, 4.7 times the set's median period).
    period = np.linspace(0.30, 0.39, 24)
    landing = np.r_[0.0, np.cumsum(period)]
    truth = (len(landing) - 1) / (landing[-1] - landing[0])
    assert set_frequency_hz(np.delete(landing, [20, 21, 22])) == pytest.approx(truth)


def test_a_gap_is_not_a_pause():
    takeoff = np.array([0.0, 0.35, 1.9, 2.25])
    landing = takeoff + 0.15
    assert group_flights(takeoff, landing).tolist() == [1, 1, 2, 2]
    # 1.4 s of the 1.55 s "ground time" is lost data
    assert group_flights(takeoff, landing, gaps_s=[(0.55, 1.95)]).tolist() == [1, 1, 1, 1]


def test_gap_time_between_counts_each_moment_of_gap_once():
    from analysis.sets import gap_time_between

    rng = np.random.default_rng(8)
    for _ in range(500):
        starts = rng.uniform(0, 10, int(rng.integers(0, 6)))
        gaps = [(a, a + rng.uniform(-0.5, 2.0)) for a in starts]  # unsorted, may overlap
        a = rng.uniform(-1, 11, 7)
        b = a + rng.uniform(-2, 5, 7)
        a[rng.random(7) < 0.1] = np.nan
        b[rng.random(7) < 0.1] = np.nan
        # The plain way: the union of the gaps, then its overlap with each interval.
        union: list[list[float]] = []
        for g0, g1 in sorted(g for g in gaps if g[1] > g[0]):
            if union and g0 <= union[-1][1]:
                union[-1][1] = max(union[-1][1], g1)
            else:
                union.append([g0, g1])
        want = [
            sum(max(0.0, min(y, g1) - max(x, g0)) for g0, g1 in union) if y > x else 0.0
            for x, y in zip(a, b, strict=True)
        ]
        np.testing.assert_allclose(gap_time_between(a, b, gaps), want, atol=1e-12)


def test_set_gap_over_many_gaps_counts_only_ground_time():
    # A set whose ground times are each cut by a lost packet: the gaps are not pauses.
    landing = np.arange(1, 40) * 0.4
    takeoff = np.r_[0.0, landing[:-1] + 0.2]
    gaps = [(x + 0.05, x + 0.15) for x in landing[:-1]]
    assert group_flights(takeoff, landing, set_gap_s=0.12, gaps_s=gaps).tolist() == [1] * 39
    assert group_flights(takeoff, landing, set_gap_s=0.12).tolist() == list(range(1, 40))


def test_running_median_counts_only_hops_with_a_value():
    from analysis.sets import _running_median

    rng = np.random.default_rng(5)
    sets = np.repeat(np.arange(6), rng.integers(1, 15, 6))
    x = rng.normal(0.33, 0.03, len(sets))
    x[rng.random(len(x)) < 0.25] = np.nan
    got = _running_median(x, sets, 3)
    for i in range(len(x)):
        if np.isnan(x[i]):
            assert np.isnan(got[i])
            continue
        # The 7 values of the set nearest the row, among those with a value, the window
        # moved inward at the set's ends.
        rows = [j for j in range(len(x)) if sets[j] == sets[i] and np.isfinite(x[j])]
        at = rows.index(i)
        start = min(max(at - 3, 0), max(len(rows) - 7, 0))
        assert got[i] == np.median(x[rows[start : start + 7]])


def test_period_near_lost_periods_is_judged_by_the_set_rhythm():
    # A set at 0.33 s: the flights after two contacts end in a gap (no period), and limb
    # motion in the last flight but one is taken for a landing, which splits that flight's
    # period in two short ones. The short ones are irregular, and the last contact, in
    # rhythm, is not: its neighbours with a period are mostly from earlier in the set.
    landing = np.r_[np.arange(12) * 0.33, 11 * 0.33 + 0.16, 12 * 0.33]
    nxt = np.r_[landing[1:], landing[-1] + 0.33]
    nxt[[9, 10]] = np.nan  # next landing in a gap
    c = pd.DataFrame(
        {"set": 1, "landing_s": landing, "takeoff_s": landing + 0.14, "next_landing_s": nxt}
    )
    reasons = check_contacts(c, min_contact_ms=50, max_contact_ms=600)
    assert list(reasons[[11, 12]]) == ["irregular period", "irregular period"]
    assert reasons[13] == ""
    assert (reasons[:11] == "").all()


def _hop_set(rng, n, period, duty):
    """Landings and take-offs of a set with a little jitter (s)."""
    landing = np.r_[0.0, np.cumsum(rng.normal(period, 0.02 * period, n - 1))]
    takeoff = landing + duty * period * (1 + rng.normal(0, 0.03, n))
    return landing, takeoff


def test_set_frequency_halves_the_period_when_every_other_landing_was_missed():
    from analysis.sets import set_frequency_hz

    # Short flights at 52 Hz: most landings every other hop found, a few whole hops seen.
    rng = np.random.default_rng(3)
    landing, takeoff = _hop_set(rng, 14, 0.273, 0.69)
    truth = 13 / (landing[-1] - landing[0])
    found = [0, 2, 4, 6, 9, 10, 13]  # intervals of 2, 2, 2, 3, 1, 3 hops
    ld, t = landing[found], takeoff[found]
    assert set_frequency_hz(ld, takeoff_s=t) == pytest.approx(truth, abs=0.005)
    # Without the take-offs (or when the one whole hop has a contact cut short) the landings
    # alone cannot tell this set from one at half the rate with wrong landings.
    assert set_frequency_hz(ld) < 0.6 * truth
    cut = t.copy()
    cut[4] = ld[4] + 0.5 * (t[4] - ld[4])
    assert set_frequency_hz(ld, takeoff_s=cut) == set_frequency_hz(ld)
    with pytest.raises(ValueError, match="one take-off per landing"):
        set_frequency_hz(ld, takeoff_s=t[:-1])
    with pytest.raises(ValueError, match="one take-off per landing"):
        set_frequency_hz(np.arange(5) / 3.0, takeoff_s=np.zeros(4))  # a regular set too


def test_set_frequency_take_offs_do_not_halve_a_set_with_wrong_landings():
    from analysis.sets import set_frequency_hz

    # Wrong landings do not make a whole hop of the usual contact: limb motion in a flight
    # has a short "contact" (or none found), a heel touch cuts the contact it lies in short.
    # The take-offs never halve such a set's period; where the landings alone give half the
    # period, they give the set's own back.
    rng = np.random.default_rng(4)
    doubled = 0
    for _ in range(400):
        n = int(rng.integers(8, 40))
        period = rng.uniform(0.25, 0.45)
        landing, takeoff = _hop_set(rng, n, period, rng.uniform(0.35, 0.72))
        keep = np.ones(n, dtype=bool)
        keep[rng.choice(np.arange(1, n - 1), int(rng.integers(0, 4)), replace=False)] = False
        land, take = list(landing[keep]), list(takeoff[keep])
        for _ in range(int(rng.integers(1, 5))):
            i = int(rng.integers(0, len(land) - 1))
            if rng.random() < 0.5 and take[i] < land[i + 1]:  # limb motion in the flight
                w = take[i] + rng.uniform(0.2, 0.8) * (land[i + 1] - take[i])
                land.append(w)
                take.append(w + rng.uniform(0.015, 0.06) if rng.random() < 0.7 else np.nan)
            elif np.isfinite(take[i]):  # a heel touch: a fall into flight found before it
                w = land[i] + rng.uniform(0.2, 0.8) * (take[i] - land[i])
                land.append(w)
                take.append(take[i])
                take[i] = land[i] + rng.uniform(0.3, 0.9) * (w - land[i])
        order = np.argsort(land)
        ld, t = np.asarray(land)[order], np.asarray(take)[order]
        with_takeoffs, alone = set_frequency_hz(ld, takeoff_s=t), set_frequency_hz(ld)
        if with_takeoffs != alone:
            truth = (n - 1) / (landing[-1] - landing[0])
            assert with_takeoffs < alone
            assert abs(with_takeoffs - truth) < abs(alone - truth)
            doubled += abs(with_takeoffs - truth) <= 0.02
    assert doubled >= 5


def test_set_frequency_doubles_the_period_split_by_limb_motion():
    from analysis.sets import set_frequency_hz

    # At 64 Hz, limb motion right after the take-off held the magnitude up for 90 ms in the
    # first two flights of a set, and each time it was taken for a landing: the first
    # contact's take-off was found early, and the "contacts" of the limb motion were
    # 95-106 ms against the set's 140. Four intervals of 14 are then half a period, the
    # quartile of the intervals falls among them, and the landings alone give twice the
    # rate. One interval of half a period even looks like a whole hop; the one before it
    # does not.
    rng = np.random.default_rng(5)
    landing, takeoff = _hop_set(rng, 13, 0.33, 0.42)
    truth = 12 / (landing[-1] - landing[0])
    takeoff[0] = landing[0] + 0.098
    wrong = [takeoff[0] + 0.06, takeoff[1] + 0.02]
    ld = np.sort(np.r_[landing, wrong])
    t = np.r_[takeoff[0], wrong[0] + 0.095, takeoff[1], wrong[1] + 0.106, takeoff[2:]]
    t[5] = np.nan  # a take-off lost in a gap
    assert set_frequency_hz(ld) > 1.8 * truth
    assert set_frequency_hz(ld, takeoff_s=t) == pytest.approx(truth, abs=0.01)
    # The same landings with every contact timed and whole: the hops are at half the period.
    assert set_frequency_hz(ld, takeoff_s=ld + 0.08) > 1.8 * truth
    # With fewer than three contacts timed the take-offs cannot tell: the landings decide.
    few = np.full(len(ld), np.nan)
    few[[3, 9]] = t[[3, 9]]
    assert set_frequency_hz(ld, takeoff_s=few) == set_frequency_hz(ld)
