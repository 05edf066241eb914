import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import analyze
from analysis.validation import (
    DEFAULT_TOLERANCE_S,
    agreement,
    compare_hops,
    detection_scores,
    match_hops,
    match_landings,
)
from imu.errors import HopscopeWarning
from imu.simulate import Artefacts, SetSpec, simulate_session


def _pairs(ri, di):
    return list(zip(ri.tolist(), di.tolist(), strict=True))


def test_match_pairs_each_event_with_its_closest_detection():
    ri, di = match_landings([1.0, 2.0, 3.0], [2.01, 0.98, 3.3])
    assert _pairs(ri, di) == [(0, 1), (1, 0)]  # 3.3 s is 300 ms from 3.0 s: no match


def test_match_is_one_to_one_and_closest_first():
    # Both detections are within tolerance of both references: the closest pairs win.
    ri, di = match_landings([0.0, 0.08], [0.03, 0.05], tolerance_s=0.05)
    assert _pairs(ri, di) == [(0, 0), (1, 1)]
    # Two detections near one reference: only the closer is paired.
    ri, di = match_landings([1.0], [0.99, 1.03])
    assert _pairs(ri, di) == [(0, 0)]


def test_match_respects_tolerance_exactly():
    ri, _ = match_landings([1.0], [1.04], tolerance_s=0.05)
    assert len(ri) == 1
    ri, _ = match_landings([1.0], [1.06], tolerance_s=0.05)
    assert len(ri) == 0


def test_match_empty_inputs():
    for ref, det in (([], [1.0]), ([1.0], []), ([], [])):
        ri, di = match_landings(ref, det)
        assert ri.dtype.kind == "i" and len(ri) == 0 and len(di) == 0


@pytest.mark.parametrize("tol", [0, -0.1, math.nan, "0.05"])
def test_match_rejects_bad_tolerance(tol):
    with pytest.raises(ValueError, match="tolerance_s"):
        match_landings([1.0], [1.0], tolerance_s=tol)


def test_match_rejects_non_finite_times():
    with pytest.raises(ValueError, match="detected_s"):
        match_landings([1.0], [np.nan])


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(0.2, 0.6), min_size=1, max_size=40),
    data=st.data(),
)
def test_match_recovers_known_pairs(gaps, data):
    ref = np.cumsum(gaps)
    n = len(ref)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    noise = np.array(data.draw(st.lists(st.floats(-0.04, 0.04), min_size=n, max_size=n)))
    det = (ref + noise)[keep]
    perm = np.array(data.draw(st.permutations(range(len(det)))), dtype=int)
    shuffled = det[perm] if len(det) else det
    ri, di = match_landings(ref, shuffled)
    assert ri.tolist() == np.flatnonzero(keep).tolist()
    np.testing.assert_array_equal(shuffled[di], det)


def test_detection_scores():
    s = detection_scores(100, 98, 95)
    assert s == {"sensitivity": 0.95, "precision": 95 / 98, "missed": 5, "extra": 3}
    s = detection_scores(0, 0, 0)
    assert math.isnan(s["sensitivity"]) and math.isnan(s["precision"])


@pytest.mark.parametrize(
    "args", [(-1, 0, 0), (5, 5, 6), (5, 2, 3), (1.5, 1, 1), (True, 1, 1)], ids=str
)
def test_detection_scores_rejects_bad_counts(args):
    with pytest.raises(ValueError):
        detection_scores(*args)


def test_agreement_known_values():
    a = agreement([11.0, 12.0, 13.0, 14.0], [10.0, 10.0, 10.0, 10.0])
    sd = float(np.std([1, 2, 3, 4], ddof=1))
    assert a["n"] == 4
    assert a["bias"] == pytest.approx(2.5)
    assert a["sd"] == pytest.approx(sd)
    assert a["loa_low"] == pytest.approx(2.5 - 1.96 * sd)
    assert a["loa_high"] == pytest.approx(2.5 + 1.96 * sd)
    assert a["mae"] == pytest.approx(2.5)
    assert a["median"] == pytest.approx(2.5)
    assert a["iqr"] == pytest.approx(1.5)


def test_agreement_mae_is_not_the_bias_when_errors_cancel():
    a = agreement([9.0, 11.0], [10.0, 10.0])
    assert a["bias"] == pytest.approx(0.0)
    assert a["mae"] == pytest.approx(1.0)


def test_agreement_drops_pairs_with_nan():
    a = agreement([1.0, np.nan, 3.0], [0.0, 0.0, np.nan])
    assert a["n"] == 1 and a["bias"] == 1.0 and math.isnan(a["sd"])


def test_agreement_empty_and_bad_lengths():
    a = agreement([], [])
    assert a["n"] == 0 and math.isnan(a["bias"])
    with pytest.raises(ValueError, match="same length"):
        agreement([1.0, 2.0], [1.0])


def _analysed(seed=4242, rate=200.0):
    sim = simulate_session(
        seed,
        sample_rate_hz=rate,
        sets=[SetSpec(hops=15, hop_hz=3.1, duty_factor=0.5)],
        artefacts=Artefacts(),
        rest_s=5.0,
        walking_s=2.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        result = analyze(sim.recording())
    return sim, result


def test_compare_hops_on_a_simulated_session():
    sim, result = _analysed()
    truth_before = sim.truth.copy()
    hops_before = result.hops.copy()
    cmp = compare_hops(sim.truth, result.hops)
    pd.testing.assert_frame_equal(sim.truth, truth_before)
    pd.testing.assert_frame_equal(result.hops, hops_before)
    assert cmp.n_reference == len(sim.truth) == 15
    assert cmp.n_detected == len(result.hops)
    p = cmp.pairs
    assert cmp.n_matched == len(p) > 0
    np.testing.assert_allclose(p["contact_ms_error"], p["contact_ms"] - p["contact_ms_ref"])
    np.testing.assert_allclose(p["landing_error_ms"], (p["landing_s"] - p["landing_s_ref"]) * 1e3)
    assert (p["landing_error_ms"].abs() <= DEFAULT_TOLERANCE_S * 1e3).all()
    assert {"set_ref", "hop_ref", "set", "hop"} <= set(p.columns)
    assert cmp.n_matched + len(cmp.missed) == cmp.n_reference
    assert cmp.n_matched + len(cmp.extra) == cmp.n_detected
    s = cmp.scores()
    assert s["sensitivity"] == cmp.n_matched / 15


def test_compare_hops_reports_missed_and_extra():
    sim, result = _analysed()
    hops = result.hops.drop(index=result.hops.index[3])
    fake = hops.iloc[[0]].copy()
    fake[["landing_s", "takeoff_s"]] = [0.5, 0.65]  # during standing: no true contact there
    hops = pd.concat([hops, fake], ignore_index=True)
    full = compare_hops(sim.truth, result.hops)
    cmp = compare_hops(sim.truth, hops)
    assert cmp.n_matched == full.n_matched - 1
    assert len(cmp.extra) == len(full.extra) + 1
    assert 0.5 in cmp.extra["landing_s"].to_list()
    assert len(cmp.missed) == len(full.missed) + 1


def test_compare_hops_keeps_nan_flight():
    ref = pd.DataFrame(
        {"landing_s": [1.0], "takeoff_s": [1.2], "contact_ms": [200.0], "flight_ms": [100.0]}
    )
    det = ref.assign(flight_ms=[np.nan], contact_ms=[205.0])
    p = compare_hops(ref, det).pairs
    assert math.isnan(p.loc[0, "flight_ms_error"])
    assert p.loc[0, "contact_ms_error"] == 5.0
    assert agreement(p["flight_ms"], p["flight_ms_ref"])["n"] == 0


def test_compare_hops_names_missing_columns():
    ref = pd.DataFrame({"landing_s": [1.0], "takeoff_s": [1.2], "contact_ms": [200.0]})
    with pytest.raises(ValueError, match=r"reference.*flight_ms"):
        compare_hops(ref, ref)


def test_match_hops_pairs_a_lost_landing_by_its_take_off():
    ref = pd.DataFrame({"landing_s": [1.0, 1.33, 1.66, 2.0], "takeoff_s": [1.15, 1.48, 1.81, 2.15]})
    det = pd.DataFrame(
        {
            "landing_s": [1.004, np.nan, 1.663, np.nan],
            "takeoff_s": [1.151, 1.482, np.nan, 5.0],
        }
    )
    ri, di = match_hops(ref, det, tolerance_s=0.05)
    # The second detection has no landing: paired by take-off; the last matches nothing.
    assert ri.tolist() == [0, 1, 2]
    assert di.tolist() == [0, 1, 2]


def test_match_hops_refuses_a_contact_without_any_edge():
    ref = pd.DataFrame({"landing_s": [1.0], "takeoff_s": [1.15]})
    det = pd.DataFrame({"landing_s": [np.nan], "takeoff_s": [np.nan]})
    with pytest.raises(ValueError, match="landing_s or takeoff_s"):
        match_hops(ref, det)
