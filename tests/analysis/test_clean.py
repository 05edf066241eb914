import numpy as np
import pandas as pd
import pytest

from analysis.clean import (
    _magnitude_top,
    clipped_samples,
    magnitude_g,
    time_base,
)


class TestTimeBase:
    def test_regular_axis(self):
        tb = time_base(np.arange(1000) / 200.0)
        assert tb.effective_rate_hz == pytest.approx(200.0)
        assert tb.lost_samples == 0
        assert len(tb.gap_index) == 0
        assert tb.duration_s == pytest.approx(999 / 200.0)

    def test_gap_found_and_samples_counted(self):
        t = np.r_[np.arange(100), np.arange(110, 200)] / 100.0
        tb = time_base(t)
        assert tb.gap_index.tolist() == [99]
        assert tb.lost_samples == 10
        assert tb.gaps_s(t) == [(0.99, 1.1)]

    def test_real_rate_differs_from_nominal(self):
        # A device that really samples at 52.3 Hz: the rate comes from the timestamps.
        tb = time_base(np.arange(5000) / 52.3)
        assert tb.effective_rate_hz == pytest.approx(52.3, rel=1e-9)

    def test_short_step_is_not_a_gap_but_two_lost_samples_are(self):
        t = np.r_[np.arange(50), np.arange(51.2, 100)] / 100.0  # a 2.2-period step
        assert time_base(t, max_gap_samples=2.5).lost_samples == 0
        t = np.r_[np.arange(50), np.arange(52, 100)] / 100.0  # samples 50 and 51 lost
        tb = time_base(t, max_gap_samples=2.5)
        assert tb.lost_samples == 2
        assert tb.gap_index.tolist() == [49]

    def test_jitter(self):
        rng = np.random.default_rng(0)
        t = np.arange(2000) / 100.0 + rng.normal(0, 0.0005, 2000)
        tb = time_base(np.sort(t))
        assert 0.3 < tb.jitter_ms < 1.5

    @pytest.mark.parametrize("bad", [np.array([1.0]), np.array([0.0, 0.0]), np.array([0, np.nan])])
    def test_errors(self, bad):
        with pytest.raises(ValueError, match="time_s"):
            time_base(bad)

    def test_max_gap_samples_checked(self):
        with pytest.raises(ValueError, match="max_gap_samples"):
            time_base(np.arange(10.0), max_gap_samples=1.0)


def test_magnitude_is_orientation_free():
    df = pd.DataFrame({"ax_g": [1.0, 0.0, 0.6], "ay_g": [0.0, 0.0, 0.8], "az_g": [0.0, -2.0, 0.0]})
    np.testing.assert_allclose(magnitude_g(df), [1.0, 2.0, 1.0])
    assert list(df.columns) == ["ax_g", "ay_g", "az_g"]  # not mutated


class TestClipped:
    def test_with_known_range(self):
        df = pd.DataFrame({"ax_g": [0.0, 7.99, -8.0, 3.0], "ay_g": 0.0, "az_g": 1.0})
        assert clipped_samples(df, range_g=8.0).tolist() == [False, True, True, False]

    def test_flat_top_without_range(self):
        a = np.array([1.0, 5.0, 12.0, 12.0, 12.0, 4.0, 1.0])
        df = pd.DataFrame({"ax_g": 0.0, "ay_g": 0.0, "az_g": a})
        assert clipped_samples(df).tolist() == [False, False, True, True, True, False, False]

    def test_single_high_peak_is_not_clipping(self):
        a = np.array([1.0, 5.0, 12.0, 11.0, 4.0])
        df = pd.DataFrame({"ax_g": 0.0, "ay_g": 0.0, "az_g": a})
        assert not clipped_samples(df).any()

    def test_empty(self):
        df = pd.DataFrame({"ax_g": [], "ay_g": [], "az_g": []})
        assert clipped_samples(df).shape == (0,)

    def test_range_checked(self):
        df = pd.DataFrame({"ax_g": [0.0], "ay_g": [0.0], "az_g": [1.0]})
        with pytest.raises(ValueError, match="range_g"):
            clipped_samples(df, range_g=0)


def _plain_time_base(time_s: np.ndarray, max_gap_samples: float = 2.5) -> tuple:
    """The time base from the plain whole-array expressions (the reference)."""
    step = np.diff(time_s)
    sub = step[:: max(1, len(step) // 200_000)]
    period = float(np.median(sub))
    gap_index = np.flatnonzero(step > max_gap_samples * period)
    n_regular = len(step) - len(gap_index)
    effective = (float(time_s[-1] - time_s[0]) - float(step[gap_index].sum())) / n_regular
    sub = sub[sub <= max_gap_samples * period]
    mad = float(np.median(np.abs(sub - period)))
    lost = int(np.maximum(np.rint(step[gap_index] / effective) - 1, 0).sum())
    return 1.0 / effective, period, 1.4826 * mad * 1e3, gap_index.tolist(), lost


class TestBlockedPasses:
    """The blocked, threaded passes give exactly what the plain expressions give."""

    @pytest.mark.parametrize(
        ("n", "rate_hz", "jitter", "gaps"),
        [
            (2, 100.0, 0.0, 0),
            (129, 52.3, 0.1, 0),
            (40_000, 100.0, 0.1, 3),
            (300_001, 1000.0, 0.0, 0),  # long enough for the threads
            (700_000, 416.0, 0.2, 5),
        ],
    )
    def test_time_base_equals_plain_expressions(self, n, rate_hz, jitter, gaps):
        rng = np.random.default_rng(n)
        t = np.arange(n) / rate_hz + rng.normal(0, jitter / rate_hz, n)
        t.sort()
        for i in rng.integers(1, n, gaps) if n > 2 else []:
            t[i:] += rng.uniform(3, 40) / rate_hz
        tb = time_base(t)
        got = (tb.effective_rate_hz, tb.median_period_s, tb.jitter_ms, tb.gap_index.tolist())
        assert (*got, tb.lost_samples) == _plain_time_base(t)  # bit for bit
        assert tb.gap_index.dtype == np.intp

    @pytest.mark.parametrize("start_factor", [3.0, 1.3, 0.5, 0.1])
    def test_gaps_found_whatever_rate_the_first_steps_have(self, start_factor):
        # The gaps are gathered in the first pass beyond a limit set by the first steps:
        # a slower start (that limit above the final one: the blocks are looked at again)
        # and a faster start (more steps gathered) give the plain expressions' gaps too.
        rng = np.random.default_rng(int(start_factor * 10))
        step = np.full(400_000, 1e-3) + rng.normal(0, 2e-5, 400_000)
        step[:5000] *= start_factor
        for i in rng.integers(6000, 400_000, 40):
            step[i] = rng.uniform(2.0, 30.0) * 1e-3
        t = np.r_[0.0, np.cumsum(step)]
        tb = time_base(t)
        got = (tb.effective_rate_hz, tb.median_period_s, tb.jitter_ms, tb.gap_index.tolist())
        assert (*got, tb.lost_samples) == _plain_time_base(t)
        assert len(tb.gap_index) >= 30

    @pytest.mark.parametrize("where", [5, 150_000, 299_998])
    def test_time_going_back_found_in_any_block(self, where):
        t = np.arange(300_000) / 1000.0
        t[where] = t[where - 1]
        with pytest.raises(ValueError, match="strictly increasing"):
            time_base(t)
        t[where] = np.nan
        with pytest.raises(ValueError, match="finite"):
            time_base(t)

    @pytest.mark.parametrize("n", [0, 3, 70_000, 300_001])
    def test_magnitude_equals_plain_expression(self, n):
        rng = np.random.default_rng(n)
        df = pd.DataFrame({c: rng.normal(0, 4, n) for c in ("ax_g", "ay_g", "az_g")})
        ax, ay, az = (df[c].to_numpy() for c in ("ax_g", "ay_g", "az_g"))
        plain = np.sqrt(ax * ax + ay * ay + az * az)
        mag, top = _magnitude_top(df)
        assert np.array_equal(mag, plain)
        assert np.array_equal(magnitude_g(df), plain)
        if not n:
            assert np.isnan(top)
            return
        assert top == plain.max()
        df.iloc[n // 2, 1] = np.nan  # NaN anywhere makes the largest NaN
        assert np.isnan(_magnitude_top(df)[1])


@pytest.mark.parametrize("n", [0, 7, 300_001])
def test_clipped_with_range_equals_plain_comparison(n):
    rng = np.random.default_rng(n)
    df = pd.DataFrame(
        {c: np.clip(rng.normal(0, 5, n), -8.0, 8.0) for c in ("ax_g", "ay_g", "az_g")}
    )
    ax, ay, az = (np.abs(df[c].to_numpy()) for c in ("ax_g", "ay_g", "az_g"))
    plain = (ax >= 0.995 * 8.0) | (ay >= 0.995 * 8.0) | (az >= 0.995 * 8.0)
    assert np.array_equal(clipped_samples(df, range_g=8.0), plain)
    assert np.array_equal(clipped_samples(df, range_g=8.0, magnitude=magnitude_g(df)), plain)


def test_time_base_survives_a_clock_jump_that_dwarfs_the_recording():
    # The other steps vanish in span - gap (1e25 s): they are measured stretch by stretch.
    tb = time_base(np.array([0.0, 0.005, 0.010, 0.015, 1e25]))
    assert tb.effective_rate_hz == pytest.approx(200.0)
    assert tb.gap_index.tolist() == [3]
