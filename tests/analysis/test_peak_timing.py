import numpy as np
import pytest
from scipy.signal import butter, lfilter

from analysis.detect import detect_flights
from analysis.peak_timing import peak_refined_landings, peak_vertex_s
from analysis.settings import DetectionSettings
from tests.analysis.signals import hop_magnitude

OFF = DetectionSettings(peak_timing_min_period_ms=1000.0)


def _filtered_hops(rate_hz: float, *, n: int = 30, seed: int = 3):
    """Hops drawn at 10 kHz, low-passed like a device (2nd order, 0.4 x the rate), sampled.

    The hop period varies a little, so the impacts fall at every sampling phase.
    """
    rng = np.random.default_rng(seed)
    period = 0.33 + rng.uniform(-0.01, 0.01, n + 1)
    landings = 1.15 + np.cumsum(period) - period[0]
    takeoffs = np.r_[1.0, landings[:-1] + 0.18]
    fine = np.arange(0, landings[-1] + 1.5, 1e-4)
    b, a = butter(2, 0.4 * rate_hz / 5e3)
    m_fine = lfilter(b, a, hop_magnitude(fine, takeoffs, landings) - 1.0) + 1.0
    t = np.arange(0, fine[-1], 1 / rate_hz) + 0.0037
    return t, np.interp(t, fine, m_fine), landings


def test_vertex_of_a_sampled_parabola():
    t = np.arange(0, 1, 0.02)
    m = 5 - 100 * (t - 0.507) ** 2
    top = int(np.argmax(m))
    assert peak_vertex_s(t, m, np.array([top]))[0] == pytest.approx(0.507, abs=1e-9)
    m = 5 - 100 * (t - 0.493) ** 2  # the vertex before the top sample
    assert peak_vertex_s(t, m, np.array([int(np.argmax(m))]))[0] == pytest.approx(0.493, abs=1e-9)


def test_vertex_is_nan_at_the_ends_and_on_a_flat_top():
    t = np.arange(10) * 0.01
    m = np.array([3.0, 1, 1, 2, 2, 2, 1, 1, 1, 4])
    out = peak_vertex_s(t, m, np.array([0, 4, 9]))
    assert np.isnan(out).all()


@pytest.mark.parametrize("rate_hz", [52.0, 64.0, 100.0])
def test_refined_landings_follow_the_sampling_phase(rate_hz):
    t, m, truth = _filtered_hops(rate_hz)
    edge, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, settings=OFF)
    refined, _ = detect_flights(t, m, sampling_rate_hz=rate_hz)
    assert len(edge) == len(refined) == len(truth)
    err_edge = edge["landing_s"].to_numpy() - truth
    err_refined = refined["landing_s"].to_numpy() - truth
    # The spread around the truth shrinks (by about a quarter at 52 and 64 Hz and 40 % at
    # 100 Hz here), the level stays (the recording's timing still comes from the edges), and
    # no landing moves more than half a sample period.
    assert err_refined.std() < 0.85 * err_edge.std()
    assert abs(np.median(err_refined) - np.median(err_edge)) < 0.25 / rate_hz
    moved = np.abs(refined["landing_s"].to_numpy() - edge["landing_s"].to_numpy())
    assert moved.max() <= 0.5 / rate_hz + 1e-12
    assert (moved > 0).sum() > len(truth) // 2


def test_no_refinement_at_short_sample_periods():
    t, m, _ = _filtered_hops(200.0)
    edge, _ = detect_flights(t, m, sampling_rate_hz=200.0, settings=OFF)
    default, _ = detect_flights(t, m, sampling_rate_hz=200.0)
    np.testing.assert_array_equal(default["landing_s"], edge["landing_s"])


def _inputs(rate_hz=52.0):
    t, m, _ = _filtered_hops(rate_hz)
    edge, _ = detect_flights(t, m, sampling_rate_hz=rate_hz, settings=OFF)
    landing = edge["landing_s"].to_numpy()
    # The top sample of each impact: the highest within 60 ms after its landing.
    peak = np.array(
        [np.searchsorted(t, x) + int(np.argmax(m[(t >= x) & (t < x + 0.06)])) for x in landing]
    )
    return t, m, landing, peak, peak - 1  # edges taken as single steps


def test_too_few_landings_are_left_as_they_are():
    t, m, landing, peak, start = _inputs()
    use = np.zeros(len(landing), dtype=bool)
    use[:9] = True
    out = peak_refined_landings(t, m, landing, peak, start, usable=use, sampling_rate_hz=52.0)
    np.testing.assert_array_equal(out, landing)
    use[9] = True  # ten: the default minimum
    out = peak_refined_landings(t, m, landing, peak, start, usable=use, sampling_rate_hz=52.0)
    assert (out[:10] != landing[:10]).any()
    np.testing.assert_array_equal(out[10:], landing[10:])


def test_clipped_peaks_and_peaks_at_a_gap_are_left_as_they_are():
    t, m, landing, peak, start = _inputs()
    use = np.ones(len(landing), dtype=bool)
    clipped = np.zeros(len(t), dtype=bool)
    clipped[peak[3]] = True
    clipped[peak[5] + 1] = True
    gaps = np.array([peak[7] - 1, peak[9]])
    out = peak_refined_landings(
        t,
        m,
        landing,
        peak,
        start,
        usable=use,
        sampling_rate_hz=52.0,
        clipped=clipped,
        gap_index=gaps,
    )
    free = peak_refined_landings(t, m, landing, peak, start, usable=use, sampling_rate_hz=52.0)
    kept = [3, 5, 7, 9]
    np.testing.assert_array_equal(out[kept], landing[kept])
    assert (out != landing).sum() >= (free != landing).sum() - len(kept)


def test_edges_of_more_than_one_step_are_left_as_they_are():
    # An edge with samples on it is interpolated between them: only single-step edges move.
    t, m, landing, peak, start = _inputs()
    use = np.ones(len(landing), dtype=bool)
    start = start.copy()
    start[::2] -= 1  # every other edge: two steps
    out = peak_refined_landings(t, m, landing, peak, start, usable=use, sampling_rate_hz=52.0)
    np.testing.assert_array_equal(out[::2], landing[::2])
    # (The landing at the median offset stays where it is by construction.)
    assert (out[1::2] != landing[1::2]).sum() >= len(landing[1::2]) - 1


def test_landings_not_usable_or_not_timed_stay():
    t, m, landing, peak, start = _inputs()
    landing = landing.copy()
    landing[2] = np.nan
    use = np.ones(len(landing), dtype=bool)
    use[4] = False
    out = peak_refined_landings(t, m, landing, peak, start, usable=use, sampling_rate_hz=52.0)
    assert np.isnan(out[2])
    assert out[4] == landing[4]


def test_bad_arguments():
    t, m, landing, peak, start = _inputs()
    use = np.ones(len(landing), dtype=bool)
    with pytest.raises(ValueError, match="same length"):
        peak_refined_landings(t, m[:-1], landing, peak, start, usable=use, sampling_rate_hz=52.0)
    with pytest.raises(ValueError, match="same length"):
        peak_refined_landings(t, m, landing, peak[:-1], start, usable=use, sampling_rate_hz=52.0)
    with pytest.raises(ValueError, match="same length"):
        peak_refined_landings(t, m, landing, peak, start[:-1], usable=use, sampling_rate_hz=52.0)
    with pytest.raises(ValueError, match="greater than 0"):
        peak_refined_landings(t, m, landing, peak, start, usable=use, sampling_rate_hz=0.0)
