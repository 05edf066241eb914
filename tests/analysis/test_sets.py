"""Set frequency against the plain formula and with wrong landings; set summaries against
their plain per-set formulations."""

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisSettings
from analysis.sets import rebound_set_hz, set_frequency_hz, set_summaries

# The plain per-set formulations the set summaries are checked against.


def _slope(y: np.ndarray) -> float:
    """Least-squares slope of ``y`` over its index, ignoring NaN; NaN with fewer than 3."""
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    x = np.arange(len(y), dtype=np.float64)[ok]
    yy = y[ok]
    dx = x - x.mean()
    return float((dx * (yy - yy.mean())).sum() / (dx * dx).sum())


def _cv(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if len(x) < 2 or x.mean() == 0:
        return float("nan")
    return float(x.std(ddof=1) / x.mean())


def _quantile(sorted_x: np.ndarray, q: float) -> float:
    """Quantile of sorted values with linear interpolation (numpy's default method)."""
    pos = q * (len(sorted_x) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_x) - 1)
    return float(sorted_x[lo] + (pos - lo) * (sorted_x[hi] - sorted_x[lo]))


def _iqr(x: np.ndarray) -> float:
    x = np.sort(x[np.isfinite(x)])
    if len(x) == 0:
        return float("nan")
    return _quantile(x, 0.75) - _quantile(x, 0.25)


def _median(x: np.ndarray) -> float:
    x = np.sort(x[np.isfinite(x)])
    return _quantile(x, 0.5) if len(x) else float("nan")


def _regular_landings(rng: np.random.Generator, n: int) -> np.ndarray:
    period = rng.uniform(0.25, 1.2)
    landing = np.cumsum(rng.normal(period, period * rng.choice([0.005, 0.02, 0.05]), n))
    return np.round(landing, 3) if rng.random() < 0.5 else landing


def test_set_frequency_of_a_regular_set_is_the_plain_formula():
    rng = np.random.default_rng(11)
    for n in rng.integers(5, 60, 400):
        landing = _regular_landings(rng, int(n))
        plain = (len(landing) - 1) / (landing[-1] - landing[0])
        assert set_frequency_hz(landing) == plain  # bit for bit


def test_set_frequency_ignores_lost_and_extra_landings_inside_the_set():
    rng = np.random.default_rng(12)
    for n in rng.integers(15, 60, 300):
        landing = _regular_landings(rng, int(n))
        want = (len(landing) - 1) / (landing[-1] - landing[0])
        period = (landing[-1] - landing[0]) / (len(landing) - 1)
        wrong = 2 if n >= 30 else 1  # (wrong ones stay well under a quarter of the set)
        # (Apart from each other: next to a lost landing, an extra one can be the nearer to
        # the rhythm, which no rule can tell.)
        inner = rng.choice(np.arange(3, len(landing) - 3, 4), 2 * wrong, replace=False)
        lost, extra_after = inner[:wrong], inner[wrong:]
        # A heel touch or push-off taken for a landing part-way through a contact.
        extra = landing[extra_after] + rng.uniform(0.35, 0.65, wrong) * period
        got = set_frequency_hz(np.sort(np.r_[np.delete(landing, lost), extra]))
        assert got == pytest.approx(want, rel=1e-9)


def test_set_frequency_even_and_odd_counts_and_ties():
    assert set_frequency_hz(np.array([0.0, 0.5])) == 2.0
    assert set_frequency_hz(np.array([0.0, 0.25, 0.5, 0.75])) == 3 / 0.75
    landing = np.array([0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8]) + 1e-9 * np.arange(7)
    assert set_frequency_hz(landing) == pytest.approx(1 / 0.3)


def _plain_summary(hops: pd.DataFrame, slow_contact_ms: float) -> pd.DataFrame:
    """One set at a time with the per-set helpers (the reference)."""
    rows = []
    for set_no, g in hops.groupby("set", sort=True):
        landing = g["landing_s"].to_numpy()
        takeoff = g["takeoff_s"].to_numpy()
        contact = g["contact_ms"].to_numpy()
        flight = g["flight_ms"].to_numpy()
        timed = landing[np.isfinite(landing)]
        span = timed[-1] - timed[0] if len(timed) else np.nan
        start, end = np.fmin(landing, takeoff), np.fmax(landing, takeoff)
        rows.append(
            {
                "set": set_no,
                "start_s": start[np.isfinite(start)][0],
                "end_s": end[np.isfinite(end)][-1],
                "hops": len(g),
                "hop_hz": (len(timed) - 1) / span if len(timed) > 1 and span > 0 else np.nan,
                "contact_ms": _median(contact),
                "contact_iqr_ms": _iqr(contact),
                "flight_ms": _median(flight),
                "flight_iqr_ms": _iqr(flight),
                "contact_cv": _cv(contact),
                "flight_cv": _cv(flight),
                "duty_factor": _median(g["duty_factor"].to_numpy()),
                "slow_share": (
                    np.mean(contact[np.isfinite(contact)] > slow_contact_ms)
                    if np.isfinite(contact).any()
                    else np.nan
                ),
                "contact_trend_ms_per_hop": _slope(contact),
                "hop_hz_trend_per_hop": _slope(g["hop_hz"].to_numpy()),
            }
        )
    return pd.DataFrame(rows).astype({"set": np.int64, "hops": np.int64})


def _random_hops(rng: np.random.Generator, n_sets: int) -> pd.DataFrame:
    parts = []
    for k in range(n_sets):
        m = int(rng.integers(1, 40))
        landing = 60.0 * k + np.cumsum(rng.normal(0.33, 0.02, m))
        contact = rng.normal(rng.choice([150.0, 245.0, 260.0]), 30.0, m)
        flight = rng.normal(150.0, 20.0, m)
        hop_hz = 1.0 / rng.normal(0.33, 0.02, m)
        takeoff = landing + contact / 1e3
        for values in (landing, contact, flight, hop_hz):
            if rng.random() < 0.3:  # edges lost in gaps, last hops without a flight
                values[rng.integers(0, m, 2)] = np.nan
        takeoff[~np.isfinite(landing)] = 60.0 * k + 0.5  # every hop keeps a timed edge
        parts.append(
            pd.DataFrame(
                {
                    "set": n_sets - k if k % 2 else k + 1,
                    "landing_s": landing,
                    "takeoff_s": takeoff,
                    "contact_ms": np.round(contact) if rng.random() < 0.5 else contact,
                    "flight_ms": flight,
                    "duty_factor": contact / (contact + flight),
                    "hop_hz": hop_hz,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("seed", range(40))
def test_set_summaries_equal_per_set_formulation(seed):
    rng = np.random.default_rng(seed)
    hops = _random_hops(rng, int(rng.integers(1, 7)))
    if seed % 3 == 0:  # hops not grouped by set in the table
        hops = hops.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    slow = float(rng.choice([200.0, 250.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (the reference's empty medians)
        expected = _plain_summary(hops, slow)
    got = set_summaries(hops, slow_contact_ms=slow)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_set_rates_given_replace_the_formula():
    hops = _random_hops(np.random.default_rng(1), 3)
    got = set_summaries(hops, set_hz={2: 3.05, 3: float("nan")})
    plain = set_summaries(hops)
    assert got["hop_hz"].iloc[1] == 3.05
    assert np.isnan(got["hop_hz"].iloc[2])
    assert got["hop_hz"].iloc[0] == plain["hop_hz"].iloc[0]


def test_empty_table_keeps_the_columns():
    hops = _random_hops(np.random.default_rng(2), 1).iloc[:0]
    out = set_summaries(hops)
    assert len(out) == 0
    assert out["set"].dtype == np.int64 and out["hops"].dtype == np.int64
    assert list(out.columns)[:5] == ["set", "start_s", "end_s", "hops", "hop_hz"]


@pytest.mark.parametrize("width", [1, 2, 7, 8])
def test_row_medians_equal_numpy_nanmedian(width):
    from analysis.sets import _nanmedian_rows

    rng = np.random.default_rng(width)
    values = np.round(rng.normal(0.3, 0.05, (400, width)), 3)  # ties too
    values[rng.random(values.shape) < 0.3] = np.nan
    values[:5] = np.nan  # rows without a value
    values[5, 0] = np.inf
    values[6, -1] = -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on the all-NaN rows
        expected = np.nanmedian(values, axis=1)
    got = _nanmedian_rows(values)
    np.testing.assert_array_equal(got, expected)  # bit for bit, NaN where numpy's is


def _jumps(landing_s, edge_lost=None):
    landing = np.asarray(landing_s, dtype=np.float64)
    return pd.DataFrame(
        {
            "set": 1,
            "landing_s": landing,
            "takeoff_s": landing + 0.3,
            "edge_lost": edge_lost or [""] * len(landing),
        }
    )


def test_rebound_rate_counts_a_jump_lost_whole_in_a_gap():
    settings = AnalysisSettings(exercise="rebound")
    jumps = _jumps([3.2, 9.3, 23.3, 29.4])
    # A gap where the third of five jumps would be: five landings over 26.2 s.
    assert rebound_set_hz(jumps, [(16.7, 17.6)], settings)[1] == pytest.approx(4 / 26.2)
    # A gap away from where a jump would be: the plain formula (the set is left out).
    assert rebound_set_hz(jumps, [(10.0, 11.0)], settings) == {}
    assert rebound_set_hz(jumps, [], settings) == {}


def test_rebound_rate_places_a_lost_landing_by_its_take_off():
    settings = AnalysisSettings(exercise="rebound")
    jumps = _jumps([3.2, 9.3, np.nan, 21.5], ["", "", "landing", ""])
    jumps.loc[2, "takeoff_s"] = 15.7
    # Put at 15.7 - 0.3 s; four landings over 18.3 s.
    assert rebound_set_hz(jumps, [(15.0, 15.5)], settings)[1] == pytest.approx(3 / 18.3)
