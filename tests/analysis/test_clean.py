import numpy as np
import pandas as pd
import pytest

from analysis.clean import clipped_samples, magnitude_g, time_base


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
