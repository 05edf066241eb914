import warnings

import numpy as np
import pytest

from imu._median import median

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-300, 5e-324])


def _same(a: float, b: float) -> bool:
    """Equal values (a zero of either sign), or both NaN."""
    return a == b or (np.isnan(a) and np.isnan(b))


def test_equals_numpy_median_on_random_arrays():
    rng = np.random.default_rng(11)
    for _ in range(5000):
        n = int(rng.integers(1, 80))
        values = np.round(rng.normal(size=n) * rng.choice([1.0, 1e-3, 1e300]), rng.integers(0, 6))
        special = rng.random(n) < rng.choice([0.0, 0.05, 0.5])
        values[special] = rng.choice(SPECIAL, int(special.sum()))
        if rng.random() < 0.3:  # runs of equal values
            values = np.repeat(values, rng.integers(1, 4, size=n))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy on inf - inf
            expected = float(np.median(values))
        got = median(values.copy(), overwrite_input=bool(rng.integers(2)))
        assert _same(got, expected), (values, got, expected)


@pytest.mark.parametrize("n", [199_999, 200_000])
def test_equals_numpy_median_on_a_long_array_of_steps(n):
    rng = np.random.default_rng(n)
    steps = 0.001 + np.round(rng.normal(0.0, 2e-5, size=n), 7)
    assert median(steps) == float(np.median(steps))


def test_odd_and_even_counts():
    assert median(np.array([3.0, 1.0, 2.0])) == 2.0
    assert median(np.array([4.0, 1.0, 3.0, 2.0])) == 2.5


def test_nan_anywhere_gives_nan():
    for position in range(7):
        values = np.arange(7, dtype=np.float64)
        values[position] = np.nan
        assert np.isnan(median(values))


def test_empty_gives_nan():
    assert np.isnan(median(np.zeros(0)))


def test_input_kept_unless_overwrite_allowed():
    values = np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    kept = values.copy()
    assert median(values) == 3.0
    np.testing.assert_array_equal(values, kept)
    assert median(values, overwrite_input=True) == 3.0
    assert sorted(values) == sorted(kept)  # reordered at most


def test_other_inputs_are_taken_as_float64():
    assert median([1, 2, 3, 4]) == 2.5
    assert median(np.array([[1, 9], [3, 4]], dtype=np.int32)) == 3.5
    read_only = np.array([2.0, 1.0, 3.0])
    read_only.flags.writeable = False
    assert median(read_only, overwrite_input=True) == 2.0
