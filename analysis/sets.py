"""Grouping flights into sets, pairing them into complete contacts, and set summaries."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.settings import AnalysisSettings

#: Columns of the contact-event table made by :func:`pair_contacts`.
CONTACT_EVENT_COLUMNS = (
    "set",
    "landing_s",
    "takeoff_s",
    "next_landing_s",
    "impact_peak_g",
    "impact_clipped",
    "landing_gap",
    "next_landing_gap",
    "takeoff_gap",
)


def group_flights(
    takeoff_s: np.ndarray,
    landing_s: np.ndarray,
    *,
    set_gap_s: float = 1.0,
    gaps_s: Sequence[tuple[float, float]] = (),
) -> np.ndarray:
    """Assign each flight to a set: a ground time longer than ``set_gap_s`` ends a set.

    When a flight's take-off is unknown (NaN), its landing starts a new set only when it comes
    more than ``set_gap_s`` after the previous landing. Time lost in a gap of the recording is
    not counted as ground time: a gap is missing data, not a pause.

    Parameters
    ----------
    takeoff_s, landing_s : numpy.ndarray
        Start and end of each flight, in s, sorted by time. ``landing_s`` may be NaN for a
        flight the recording ends in.
    set_gap_s : float
        Longest time on the ground, from a landing to the next take-off, within a set, in s.
    gaps_s : sequence of (start_s, end_s)
        Gaps of the recording (:meth:`analysis.clean.TimeBase.gaps_s`).

    Returns
    -------
    numpy.ndarray of int
        1-based set number of each flight.

    Raises
    ------
    ValueError
        The arrays differ in length or ``set_gap_s`` is not positive.
    """
    takeoff_s = np.asarray(takeoff_s, dtype=np.float64)
    landing_s = np.asarray(landing_s, dtype=np.float64)
    if takeoff_s.shape != landing_s.shape:
        raise ValueError("`takeoff_s` and `landing_s` must have the same length")
    if not set_gap_s > 0:
        raise ValueError(f"`set_gap_s` must be greater than 0, got {set_gap_s!r}")
    if len(takeoff_s) == 0:
        return np.zeros(0, dtype=np.int64)
    ground = takeoff_s[1:] - landing_s[:-1]
    # A flight whose take-off was not found still shows a flight: then the landings decide.
    between = landing_s[1:] - landing_s[:-1]
    if len(gaps_s):
        ground = ground - gap_time_between(landing_s[:-1], takeoff_s[1:], gaps_s)
        between = between - gap_time_between(landing_s[:-1], landing_s[1:], gaps_s)
    apart = np.where(np.isnan(ground), between > set_gap_s, ~(ground <= set_gap_s))
    new_set = np.r_[True, apart]
    return np.cumsum(new_set).astype(np.int64)


def gap_time_between(
    start_s: np.ndarray, end_s: np.ndarray, gaps_s: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Return the time within the gaps between each ``start_s`` and ``end_s``, in s.

    Parameters
    ----------
    start_s, end_s : numpy.ndarray
        Ends of each interval, in s. An interval that ends before it starts, or has a NaN
        end, holds no gap time (0).
    gaps_s : sequence of (start_s, end_s)
        Gaps of the recording, in s, in any order; where they overlap, the time is counted
        once.

    Returns
    -------
    numpy.ndarray
        Gap time within each interval, in s.

    Notes
    -----
    One lookup per interval end in the running total of gap time, whatever the number of
    gaps (a long recording with many lost packets has thousands).
    """
    start = np.asarray(start_s, dtype=np.float64)
    end = np.asarray(end_s, dtype=np.float64)
    g = np.asarray(gaps_s, dtype=np.float64).reshape(-1, 2)
    g = g[g[:, 1] > g[:, 0]]
    if not len(g):
        return np.zeros(np.broadcast(start, end).shape)
    g = g[np.argsort(g[:, 0], kind="stable")]
    # Overlapping gaps joined: a new one starts after every gap before it has ended.
    reach = np.maximum.accumulate(g[:, 1])
    first = np.flatnonzero(np.r_[True, g[1:, 0] > reach[:-1]])
    g0 = g[first, 0]
    g1 = reach[np.r_[first[1:] - 1, len(g) - 1]]
    before = np.r_[0.0, np.cumsum(g1 - g0)]

    def gap_time_to(x: np.ndarray) -> np.ndarray:
        """Gap time before ``x`` (NaN stays NaN)."""
        k = np.searchsorted(g0, x, side="right") - 1
        kk = np.maximum(k, 0)
        inside = np.clip(x - g0[kk], 0.0, g1[kk] - g0[kk])
        return np.where(k >= 0, before[kk] + inside, np.where(np.isnan(x), np.nan, 0.0))

    lost = gap_time_to(end) - gap_time_to(start)
    return np.where(lost > 0, lost, 0.0)


def pair_contacts(flights: pd.DataFrame) -> pd.DataFrame:
    """Turn a table of flights into complete contacts.

    A complete contact lies between two consecutive flights of the same set: it starts at the
    landing of the first and ends at the take-off of the second. Its flight is the second
    flight, ending at ``next_landing_s`` (NaN when the recording ends in flight).

    Parameters
    ----------
    flights : pandas.DataFrame
        Columns ``set``, ``takeoff_s``, ``landing_s`` (s), ``impact_peak_g`` (g) and
        ``impact_clipped`` (the impact at the end of the flight), sorted by time; optional
        ``landing_gap`` (the landing touches a gap and is not timed) and ``takeoff_gap``
        (the take-off was lost in a gap); False when absent.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONTACT_EVENT_COLUMNS`, one row per complete contact;
        ``landing_gap`` and ``next_landing_gap`` say whether its landing or the next one
        touches a gap, ``takeoff_gap`` whether its take-off was lost in one.
    """
    sets = flights["set"].to_numpy(dtype=np.int64)
    same = sets[1:] == sets[:-1]
    first = np.flatnonzero(same)
    second = first + 1
    take = flights["takeoff_s"].to_numpy(dtype=np.float64)
    land = flights["landing_s"].to_numpy(dtype=np.float64)
    peak = flights["impact_peak_g"].to_numpy(dtype=np.float64)
    clipped = flights["impact_clipped"].to_numpy(dtype=bool)

    def flag(name: str) -> np.ndarray:
        if name in flights:
            return flights[name].to_numpy(dtype=bool)
        return np.zeros(len(flights), dtype=bool)

    at_gap = flag("landing_gap")
    takeoff_gap = flag("takeoff_gap")
    return pd.DataFrame(
        {
            "set": sets[first],
            "landing_s": land[first],
            "takeoff_s": take[second],
            "next_landing_s": land[second],
            "impact_peak_g": peak[first],
            "impact_clipped": clipped[first],
            "landing_gap": at_gap[first],
            "next_landing_gap": at_gap[second],
            "takeoff_gap": takeoff_gap[second],
        }
    )


def _group_quantile(
    sorted_x: np.ndarray, start: np.ndarray, count: np.ndarray, q: float
) -> np.ndarray:
    """Quantile of many groups of sorted values at once, linear interpolation (NaN when empty).

    Group ``g`` is ``sorted_x[start[g] : start[g] + count[g]]``, sorted; the quantile is
    ``x[lo] + (pos - lo) (x[hi] - x[lo])`` at ``pos = q (n - 1)`` (numpy's default method).
    """
    out = np.full(len(start), np.nan)
    have = count > 0
    if not have.any():
        return out
    first, n = start[have], count[have]
    pos = q * (n - 1).astype(np.float64)
    lo = pos.astype(np.int64)  # (int() of a non-negative float)
    hi = np.minimum(lo + 1, n - 1)
    low, high = sorted_x[first + lo], sorted_x[first + hi]
    out[have] = low + (pos - lo) * (high - low)
    return out


def _numpy_percentile(sorted_x: np.ndarray, q: float) -> float:
    """``numpy.percentile(x, 100 * q)`` (method "linear") from the sorted finite values.

    The same arithmetic as numpy's: the virtual index ``q (n − 1)`` and numpy's
    interpolation ``a + (b − a) g``, taken from ``b`` for ``g`` >= 0.5.
    """
    n = len(sorted_x)
    pos = (n - 1) * q
    lo = int(np.floor(pos))
    if lo >= n - 1:
        return float(sorted_x[-1])
    gamma = pos - lo
    a, b = sorted_x[lo], sorted_x[lo + 1]
    if gamma >= 0.5:
        return float(b - (b - a) * (1 - gamma))
    return float(a + (b - a) * gamma)


def _numpy_median(sorted_x: np.ndarray) -> float:
    """``numpy.median(x)`` from the sorted finite values (the mean of the middle two)."""
    half = len(sorted_x) // 2
    if len(sorted_x) % 2:
        return float(sorted_x[half])
    return float((sorted_x[half - 1] + sorted_x[half]) / 2)


def set_frequency_hz(
    landing_s: np.ndarray,
    *,
    takeoff_s: np.ndarray | None = None,
    rhythm_tolerance: float = 0.3,
    contact_tolerance: float = 0.25,
) -> float:
    """Return the hop frequency of a set from its landings, robust to missing and wrong ones.

    ``(n − 1) / (last − first)`` counts the hop periods between the first and the last landing
    as ``n − 1``; here each interval between landings counts as the whole number of hop
    periods closest to it (at least one), so a landing lost in a gap changes nothing. The hop
    period is the median of the intervals shorter than 1.5 times their lower quartile (single
    periods), robust to several lost landings.

    A wrong landing (a heel touch, the push-off or limb motion taken for an impact) lies
    inside a contact, off the set's rhythm. Of two landings less than half a period apart,
    the one kept is the one nearer a whole number of periods from the landing kept before
    them (at the start of the set: from the landing after them). Then a landing is left out
    when its intervals to both neighbours are off the rhythm or, at either end of the set,
    when its interval to its only neighbour is off the rhythm and that neighbour's other
    interval is not; one at a time, the one furthest off first. An interval of about ``k``
    periods is off the rhythm when it is more than ``rhythm_tolerance * sqrt(k)`` periods
    from ``k`` (the spread of ``k`` independent hop periods grows as the square root of
    ``k``), each interval measured against the local period (the median of the single
    periods among the seven intervals around it: the period drifts with fatigue).

    The landings alone cannot always tell the period from half of it, and the take-offs
    decide. At a low sample rate a short flight can hide in limb motion, so that the landing
    of every other hop is missed: most intervals are then two hop periods and the median
    single one is wrong. Limb motion right after a take-off can be taken for a landing in
    several flights of a set: each such flight is split in two short intervals, and when they
    are a quarter of the intervals or more, the period taken is half the true one. The set's
    hops come at a period when every interval is a whole number of periods, each interval of
    a single period whose contacts are both timed is a whole hop, and there is one at least:
    a contact of the set's usual length (within ``contact_tolerance`` of the median contact),
    a flight, and the next landing, whose contact is of the usual length too. A wrong landing
    does not make such hops: its own contact, or the one before it, is cut short. The rhythm
    is taken to be half the period when the period leaves out two landings or more and the
    hops come at half of it. It is taken to be twice the period when the period makes two intervals or
    more, and more than half of them, span several periods, the hops do not come at the
    period, and twice the period leaves fewer landings out or lost (the landings left out,
    and one for each interval of several periods).

    Parameters
    ----------
    landing_s : numpy.ndarray
        Landings of the set's complete contacts, in s, increasing.
    takeoff_s : numpy.ndarray, optional
        The take-off that ends each landing's contact, in s (NaN where it is not known).
        Without it, or with fewer than three contacts timed, the period is never halved or
        doubled.
    rhythm_tolerance : float
        Largest distance of a one-period interval from one period, in periods (0.3, as
        ``period_tolerance`` of :func:`check_contacts`).
    contact_tolerance : float
        Largest relative distance of a contact from the set's median contact in a whole hop.

    Returns
    -------
    float
        Frequency in Hz; NaN with fewer than two landings.

    Raises
    ------
    ValueError
        ``takeoff_s`` does not have one value per landing.

    Notes
    -----
    Quartile and median are taken from the sorted intervals with numpy's arithmetic (the
    values of :func:`numpy.percentile` and :func:`numpy.median`), without their per-call
    overhead: the function runs once per set. When every interval is within
    ``rhythm_tolerance`` of one period (the usual case) nothing is left out and the result
    is ``(n − 1) / (last − first)`` at once.

    Examples
    --------
    >>> round(set_frequency_hz(np.array([0.0, 0.3, 0.6, 1.2, 1.5])), 6)  # 0.9 missing
    3.333333
    >>> round(set_frequency_hz(np.array([0.0, 0.3, 0.6, 0.9, 1.2, 1.38])), 6)  # 1.38 extra
    3.333333
    """
    landing_s = np.asarray(landing_s, dtype=np.float64)
    if takeoff_s is not None:
        takeoff_s = np.asarray(takeoff_s, dtype=np.float64)
        if takeoff_s.shape != landing_s.shape:
            raise ValueError("`takeoff_s` must have one take-off per landing")
    if len(landing_s) < 2:
        return float("nan")
    step = np.diff(landing_s)
    # The hop period: the median of the single-period intervals, those shorter than 1.5 times
    # the lower quartile (an interval over a lost landing is two periods or more, and when
    # several landings are left out the plain median would be such an interval).
    if np.isfinite(step).all():
        ordered = np.sort(step)
        quartile = _numpy_percentile(ordered, 0.25)
        # The single intervals are the sorted ones below the limit.
        n_single = int(np.searchsorted(ordered, 1.5 * quartile, side="left"))
        period = _numpy_median(ordered[:n_single] if n_single else ordered)
    else:  # (NaN landings: numpy's own NaN rules)
        quartile = float(np.percentile(step, 25))
        single = step[step < 1.5 * quartile]
        period = float(np.median(single)) if len(single) else float(np.median(step))
    if not period > 0:
        return float("nan")
    span = float(landing_s[-1] - landing_s[0])
    if (np.abs(step / period - 1.0) <= rhythm_tolerance).all():
        # Every interval is one period on the rhythm: nothing lost, nothing extra.
        return float((len(landing_s) - 1) / span) if span > 0 else float("nan")
    # Each interval is a whole number of periods: 1, or more where landings were lost.
    kept, periods = _drop_off_rhythm(
        _drop_close_landings(landing_s, period), period, rhythm_tolerance
    )
    if takeoff_s is not None:
        kept, periods = _rhythm_of_contacts(
            landing_s, takeoff_s, period, (kept, periods), rhythm_tolerance, contact_tolerance
        )
    if len(kept) < 2:
        return float("nan")
    span = float(kept[-1] - kept[0])
    return float(periods.sum() / span) if span > 0 else float("nan")


def _rhythm_of_contacts(
    landing_s: np.ndarray,
    takeoff_s: np.ndarray,
    period: float,
    on_period: tuple[np.ndarray, np.ndarray],
    rhythm_tolerance: float,
    contact_tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the set's landings and intervals in periods, at half or twice ``period`` if shown.

    See :func:`set_frequency_hz`. ``on_period`` are the landings kept on the rhythm of
    ``period`` and their intervals in whole periods (:func:`_drop_off_rhythm`). Half the
    period is taken when ``period`` leaves out two landings or more and the set's hops come
    at half of it (:func:`_whole_hops_at`). Twice the period is taken when ``period`` makes
    two intervals or more, and more than half of them, span several periods (a lost landing
    each), the hops do not come at ``period``, and twice it leaves fewer landings out or lost.
    With fewer than three contacts timed, ``on_period`` is returned.
    """
    kept, periods = on_period
    if np.count_nonzero(np.isfinite(takeoff_s - landing_s)) < 3:
        return on_period  # too few contacts timed to tell
    dropped = len(landing_s) - len(kept)
    if dropped >= 2:
        half = period / 2
        if _whole_hops_at(landing_s, takeoff_s, half, rhythm_tolerance, contact_tolerance):
            # Every other landing missed: nothing is wrong.
            return landing_s, _whole_periods(landing_s, half, rhythm_tolerance)
    lost = int(np.count_nonzero(periods >= 2))
    if lost < 2 or 2 * lost <= len(periods):
        return on_period
    if _whole_hops_at(landing_s, takeoff_s, period, rhythm_tolerance, contact_tolerance):
        return on_period
    longer = 2 * period
    kept_longer, periods_longer = _drop_off_rhythm(
        _drop_close_landings(landing_s, longer), longer, rhythm_tolerance
    )
    if len(kept_longer) < 2:
        return on_period
    unexplained = len(landing_s) - len(kept_longer) + np.count_nonzero(periods_longer >= 2)
    if unexplained < dropped + lost:  # wrong landings split hops in two
        return kept_longer, periods_longer
    return on_period


def _whole_hops_at(
    landing_s: np.ndarray,
    takeoff_s: np.ndarray,
    period: float,
    rhythm_tolerance: float,
    contact_tolerance: float,
) -> bool:
    """Whether the set's hops come at ``period``: every landing a true one.

    Every interval must be on the rhythm of ``period`` (:func:`_off_rhythm`), at least one
    interval of a single period must be a whole hop, and so must every interval of a single
    period whose two contacts are timed: both contacts within ``contact_tolerance`` of the
    median contact, and the first one's take-off before the second landing. A wrong landing
    (limb motion in a flight, a heel touch in a contact) makes an interval of a single period
    that is not a whole hop: its own contact, or the one before it, is cut short. The caller
    makes sure that three contacts at least are timed (:func:`_rhythm_of_contacts`).
    """
    k, off = _off_rhythm(np.diff(landing_s) / period, rhythm_tolerance)
    if not (off <= 1.0).all():  # (NaN: not on it)
        return False
    contact = takeoff_s - landing_s
    timed = np.isfinite(contact)
    median = float(np.median(contact[timed]))
    usual = np.abs(contact - median) <= contact_tolerance * median  # (False for NaN)
    single = k == 1
    whole_hop = single & usual[:-1] & usual[1:] & (takeoff_s[:-1] < landing_s[1:])
    both_timed = single & timed[:-1] & timed[1:]
    return bool(whole_hop.any()) and bool(np.all(whole_hop | ~both_timed))


def _off_rhythm(r: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Each interval's whole number ``k`` of periods and its distance from it, in tolerances.

    ``r`` are intervals in periods; ``k`` is the nearest whole number, at least 1, and the
    distance ``|r − k|`` is given in units of ``tolerance * sqrt(k)`` (over 1: off the rhythm).
    """
    k = np.maximum(np.rint(r), 1.0)
    return k, np.abs(r - k) / (tolerance * np.sqrt(k))


def _off_grid(a: float, b: float, period: float) -> float:
    """Distance of ``b - a`` from the nearest whole number (at least 1) of periods, in periods."""
    r = abs(b - a) / period
    return abs(r - max(round(r), 1))


def _drop_close_landings(landing_s: np.ndarray, period: float) -> np.ndarray:
    """Of two landings less than half a period apart keep the one nearer the rhythm.

    The rhythm is that of the landing kept before them, or at the start of the set of the
    landing after them.
    """
    x = landing_s.tolist()
    kept = [x[0]]
    for i, t in enumerate(x[1:], start=1):
        if t - kept[-1] >= 0.5 * period:
            kept.append(t)
            continue
        if len(kept) >= 2:
            ref = kept[-2]
        elif i + 1 < len(x):
            ref = x[i + 1]
        else:
            continue
        if _off_grid(ref, t, period) < _off_grid(ref, kept[-1], period):
            kept[-1] = t
    return np.asarray(kept)


def _running_median(x: np.ndarray, sets: np.ndarray, half: int) -> np.ndarray:
    """Per row with a finite value, the median of the ``2 * half + 1`` nearest of its set.

    Only the rows with a finite value are counted: the window is centred on the row among
    them, and moved inward at the ends of its set, so that a row near the set's first or last
    hop, or near hops without a value, still has a window's worth of its neighbours' values
    (fewer only when the set has fewer). Rows of a set are consecutive. NaN for a row
    without a value.
    """
    out = np.full(len(x), np.nan)
    valued = np.flatnonzero(np.isfinite(x))
    if not len(valued):
        return out
    values, of_set = x[valued], sets[valued]
    new_set = np.r_[True, of_set[1:] != of_set[:-1]]
    starts = np.flatnonzero(new_set)
    group = np.cumsum(new_set) - 1
    first, last = starts[group], np.r_[starts[1:], len(valued)][group] - 1
    start = np.clip(np.arange(len(valued)) - half, first, np.maximum(first, last - 2 * half))
    near = start[:, None] + np.arange(2 * half + 1)[None, :]
    window = np.where(near <= last[:, None], values[np.minimum(near, len(valued) - 1)], np.nan)
    out[valued] = _nanmedian_rows(window)
    return out


def _nanmedian_rows(values: np.ndarray) -> np.ndarray:
    """``numpy.nanmedian(values, axis=1)`` of a 2-D array (NaN for a row without values).

    The same arithmetic as numpy's (the mean ``(low + high) / 2`` of the middle two of the
    sorted values that are not NaN, the middle one twice for an odd count), without the
    masked arrays numpy uses for short rows (four times faster on the running medians of
    :func:`check_contacts`), and without numpy's warning for a row of NaN.
    """
    ordered = np.sort(values, axis=1)  # NaN last
    count = np.count_nonzero(~np.isnan(ordered), axis=1)
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    rows = np.arange(len(ordered))
    last = ordered.shape[1] - 1
    out = (ordered[rows, np.clip(low, 0, last)] + ordered[rows, np.minimum(high, last)]) / 2.0
    out[count == 0] = np.nan
    return out


def _local_periods(landing_s: np.ndarray, period: float, tolerance: float) -> np.ndarray:
    """Per interval, the median of the single periods among the seven intervals around it.

    An interval is a single period when it is within ``tolerance`` of ``period``; where
    there is none nearby, ``period``.
    """
    d = np.diff(landing_s)
    single = np.where(np.abs(d / period - 1.0) <= tolerance, d, np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(single, 3, constant_values=np.nan), 7)
    has = np.isfinite(windows).any(axis=1)
    out = np.full(len(d), period)
    if has.any():
        out[has] = _nanmedian_rows(windows[has])
    return out


def _whole_periods(landing_s: np.ndarray, period: float, tolerance: float) -> np.ndarray:
    """Each interval between ``landing_s`` as the nearest whole number of local periods (≥ 1)."""
    if len(landing_s) < 2:
        return np.zeros(0)
    return _off_rhythm(
        np.diff(landing_s) / _local_periods(landing_s, period, tolerance), tolerance
    )[0]


def _drop_off_rhythm(
    landing_s: np.ndarray, period: float, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Leave out landings off the set's rhythm, one at a time, the furthest off first.

    See :func:`set_frequency_hz`: inside the set both intervals must be off the rhythm; at
    an end, the only interval off and the neighbour's other interval on it. Returns the
    landings kept and each interval between them in whole local periods (at least 1).
    """
    kept = landing_s
    while len(kept) > 2:
        k, off = _off_rhythm(np.diff(kept) / _local_periods(kept, period, tolerance), tolerance)
        bad = off > 1.0
        score = np.full(len(kept), -1.0)
        score[1:-1] = np.where(bad[:-1] & bad[1:], np.minimum(off[:-1], off[1:]), -1.0)
        if bad[0] and not bad[1]:
            score[0] = off[0]
        if bad[-1] and not bad[-2]:
            score[-1] = off[-1]
        worst = int(np.argmax(score))
        if score[worst] < 0:
            return kept, k
        kept = np.delete(kept, worst)
    return kept, _whole_periods(kept, period, tolerance)


def _set_cv(x: np.ndarray) -> float:
    """Coefficient of variation of the finite values of one set (NaN below two).

    The value of ``x.std(ddof=1) / x.mean()`` (the same sums in the same order), without the
    per-call overhead of those methods: it runs for every set.
    """
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        return float("nan")
    mean = np.add.reduce(x) / n
    if mean == 0:
        return float("nan")
    dev = x - mean
    return float(np.sqrt(np.add.reduce(dev * dev) / (n - 1)) / mean)


def _set_slope(y: np.ndarray) -> float:
    """Least-squares slope of ``y`` over its index, ignoring NaN; NaN with fewer than 3.

    Plain numpy reductions, without the per-call overhead of ``ndarray.mean``: it runs for
    every set.
    """
    ok = np.isfinite(y)
    yy = y[ok]
    n = len(yy)
    if n < 3:
        return float("nan")
    x = np.flatnonzero(ok).astype(np.float64)
    dx = x - np.add.reduce(x) / n
    return float(np.add.reduce(dx * (yy - np.add.reduce(yy) / n)) / np.add.reduce(dx * dx))


#: Columns of :func:`set_summaries`' table.
_SUMMARY_COLUMNS = (
    "set",
    "start_s",
    "end_s",
    "hops",
    "hop_hz",
    "contact_ms",
    "contact_iqr_ms",
    "flight_ms",
    "flight_iqr_ms",
    "contact_cv",
    "flight_cv",
    "duty_factor",
    "slow_share",
    "contact_trend_ms_per_hop",
    "hop_hz_trend_per_hop",
)


def set_summaries(
    hops: pd.DataFrame,
    *,
    slow_contact_ms: float = 250.0,
    set_hz: Mapping[int, float] | None = None,
) -> pd.DataFrame:
    """Summarise each set of a per-hop table.

    Parameters
    ----------
    hops : pandas.DataFrame
        Per-hop table (:data:`analysis.result.HOP_COLUMNS`).
    slow_contact_ms : float
        Contact time above which a hop counts as slow, in ms.
    set_hz : mapping of int to float, optional
        Set frequency (Hz) by set number, when known better than from the table (e.g. from
        every landing of the set with :func:`set_frequency_hz`); used instead of the formula.

    Returns
    -------
    pandas.DataFrame
        One row per set with every column of :data:`analysis.result.SET_COLUMNS` except
        ``flags`` (added by :func:`analysis.flags.set_flags`). ``hop_hz`` is
        ``(n − 1) / (last landing − first landing)`` over the set's timed landings (NaN
        for a single one); medians, IQRs, CVs and ``slow_share`` ignore NaN contacts and
        flights (an edge lost in a gap of the data); ``hops`` counts every contact.
        ``start_s`` and ``end_s`` are the first and last timed edge of the set.

    Raises
    ------
    ValueError
        ``slow_contact_ms`` is not positive.

    Notes
    -----
    All sets are summarised at once: the hops are grouped by set (in their order) and the
    medians and quartiles taken from the values sorted within each set; only the sums of the
    coefficients of variation and trends are taken set by set, so that they add up in
    numpy's order (the values of ``x.std(ddof=1) / x.mean()`` and of the least-squares
    slope).
    """
    if not slow_contact_ms > 0:
        raise ValueError(f"`slow_contact_ms` must be greater than 0, got {slow_contact_ms!r}")
    set_ids = hops["set"].to_numpy(dtype=np.int64)
    if not len(set_ids):
        empty = pd.DataFrame([], columns=list(_SUMMARY_COLUMNS))
        return empty.astype({"set": np.int64, "hops": np.int64})
    order = np.argsort(set_ids, kind="stable")
    set_ids = set_ids[order]
    # Each column grouped by set (stable: the hops of a set keep their order).
    cols = {
        c: hops[c].to_numpy(dtype=np.float64)[order]
        for c in ("landing_s", "takeoff_s", "contact_ms", "flight_ms", "duty_factor", "hop_hz")
    }
    first = np.flatnonzero(np.r_[True, set_ids[1:] != set_ids[:-1]])
    bounds = np.r_[first, len(order)]
    group = np.repeat(np.arange(len(first)), np.diff(bounds))
    out: dict[str, np.ndarray] = {"set": set_ids[first], "hops": np.diff(bounds)}

    def first_last(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last finite value of each set (NaN when it has none)."""
        at = np.flatnonzero(np.isfinite(values))
        lo = np.searchsorted(at, bounds[:-1])
        hi = np.searchsorted(at, bounds[1:]) - 1
        ok = hi >= lo
        pick = values[at[np.where(ok, lo, 0)]] if len(at) else np.full(len(lo), np.nan)
        end = values[at[np.where(ok, hi, 0)]] if len(at) else pick
        return np.where(ok, pick, np.nan), np.where(ok, end, np.nan), hi - lo + 1

    # (A landing or take-off lost in a gap of the data is NaN; every hop has a timed edge.)
    landing, takeoff = cols["landing_s"], cols["takeoff_s"]
    out["start_s"] = first_last(np.fmin(landing, takeoff))[0]
    out["end_s"] = first_last(np.fmax(landing, takeoff))[1]
    land_first, land_last, n_timed = first_last(landing)
    span = land_last - land_first
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where((n_timed > 1) & (span > 0), (n_timed - 1) / span, np.nan)
    if set_hz:
        given = np.array([int(k) in set_hz for k in out["set"]], dtype=bool)
        known = np.array([set_hz.get(int(k), np.nan) for k in out["set"]], dtype=np.float64)
        rate = np.where(given, known, rate)
    out["hop_hz"] = rate

    def sorted_groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the finite values sorted within each set, and each set's start and count."""
        ok = np.isfinite(values)
        count = np.bincount(group[ok], minlength=len(first))
        start = np.cumsum(count) - count
        g, v = group[ok], values[ok]
        return v[np.lexsort((v, g))], start, count

    for name, column in (("contact", "contact_ms"), ("flight", "flight_ms")):
        ordered, start, count = sorted_groups(cols[column])
        out[column] = _group_quantile(ordered, start, count, 0.5)
        out[f"{name}_iqr_ms"] = _group_quantile(ordered, start, count, 0.75) - _group_quantile(
            ordered, start, count, 0.25
        )
    out["duty_factor"] = _group_quantile(*sorted_groups(cols["duty_factor"]), 0.5)
    contact = cols["contact_ms"]
    timed = np.isfinite(contact)
    n_contact = np.bincount(group[timed], minlength=len(first))
    slow = np.bincount(group[timed & (contact > slow_contact_ms)], minlength=len(first))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["slow_share"] = np.where(n_contact > 0, slow / n_contact, np.nan)
    # Sums set by set, in numpy's order.
    for key, column, fn in (
        ("contact_cv", "contact_ms", _set_cv),
        ("flight_cv", "flight_ms", _set_cv),
        ("contact_trend_ms_per_hop", "contact_ms", _set_slope),
        ("hop_hz_trend_per_hop", "hop_hz", _set_slope),
    ):
        values = cols[column]
        out[key] = np.array(
            [fn(values[a:b]) for a, b in itertools.pairwise(bounds.tolist())],
            dtype=np.float64,
        )
    # (Built with its dtypes, in column order: an astype or reindex of the frame copies it.)
    for c in ("set", "hops"):
        out[c] = out[c].astype(np.int64, copy=False)
    return pd.DataFrame({c: out[c] for c in _SUMMARY_COLUMNS})


def check_contacts(
    contacts: pd.DataFrame,
    *,
    min_contact_ms: float,
    max_contact_ms: float,
    period_tolerance: float = 0.3,
    contact_tolerance: float = 0.4,
    window_hops: int = 7,
) -> np.ndarray:
    """Return why each contact is implausible (empty string when it is plausible).

    Parameters
    ----------
    contacts : pandas.DataFrame
        Columns ``set``, ``landing_s``, ``takeoff_s``, ``next_landing_s`` (s).
    min_contact_ms, max_contact_ms : float
        Plausible contact times, in ms.
    period_tolerance : float
        Largest relative difference between a hop's period and the running median period of
        its set (over the ``window_hops`` hops of the set nearest it that have a period,
        centred, moved inward at the set's ends).
    contact_tolerance : float
        Largest relative difference between a contact time and the running median contact of
        its set (a take-off taken from the wrong edge).
    window_hops : int
        Length of the running medians, in hops with a value.

    Returns
    -------
    numpy.ndarray of str
        ``""``, ``"contact too short"``, ``"contact too long"``, ``"irregular period"``,
        ``"irregular contact"`` or ``"take-off not found"``.
    """
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    contact_ms = (contacts["takeoff_s"].to_numpy(dtype=np.float64) - landing) * 1e3
    period = contacts["next_landing_s"].to_numpy(dtype=np.float64) - landing

    sets = contacts["set"].to_numpy()
    half = window_hops // 2
    with np.errstate(invalid="ignore", divide="ignore"):
        off = np.abs(period / _running_median(period, sets, half) - 1.0)
        off_contact = np.abs(contact_ms / _running_median(contact_ms, sets, half) - 1.0)
    reason = np.full(len(contacts), "", dtype=object)
    reason[np.isnan(contact_ms)] = "take-off not found"
    reason[off_contact > contact_tolerance] = "irregular contact"
    reason[off > period_tolerance] = "irregular period"
    reason[contact_ms > max_contact_ms] = "contact too long"
    reason[contact_ms < min_contact_ms] = "contact too short"
    return reason


def jumps_lost_in_gaps(
    at_s: np.ndarray,
    part: np.ndarray,
    intervals: np.ndarray,
    gaps: Sequence[tuple[float, float]],
    settings: AnalysisSettings,
) -> np.ndarray:
    """Tell which intervals between rebound jumps held a jump lost whole in a gap.

    Interval ``i`` (from ``at_s[i]`` to ``at_s[i + 1]``) held one when it is two of its set's
    intervals and a gap that can hold a contact lies where the jump would be. The set's
    intervals are those beside it: from ``at_s[i]`` back (and from ``at_s[i + 1]`` on) to the
    nearest jump of the same ``part`` at least a whole jump away (the contact limit and
    ``max_flight_ms``: nearer contacts may not be jumps of their own). The interval must be
    within ``period_tolerance`` of twice each of them, and a gap of at least
    ``min_contact_ms`` must overlap the span from ``(1 - period_tolerance) d`` after the
    first jump to as long before the second, ``d`` their mean.

    Parameters
    ----------
    at_s : numpy.ndarray
        Times of the jumps in order, in s (landing, or take-off where it was lost).
    part : numpy.ndarray
        The set (or part of one) of each jump: intervals beside are taken within it.
    intervals : numpy.ndarray
        Indices ``i`` of the intervals to check.
    gaps : sequence of (float, float)
        Gaps of the recording, (start_s, end_s).
    settings : AnalysisSettings
        ``period_tolerance``, ``min_contact_ms``, the contact limit, ``max_flight_ms``.

    Returns
    -------
    numpy.ndarray of bool
        One per index in ``intervals``: True where a jump was lost in that interval.
    """
    out = np.zeros(len(intervals), dtype=bool)
    if not len(gaps) or not len(intervals):
        return out
    bounds = np.asarray(gaps, dtype=np.float64).reshape(-1, 2)
    wide = bounds[bounds[:, 1] - bounds[:, 0] >= settings.min_contact_ms / 1e3]
    if not len(wide):
        return out
    jump_s = (settings.contact_limit_ms + settings.detection.max_flight_ms) / 1e3
    tolerance = settings.period_tolerance
    for n, i in enumerate(np.asarray(intervals).tolist()):
        before = np.flatnonzero((part == part[i]) & (at_s <= at_s[i] - jump_s))
        after = np.flatnonzero((part == part[i + 1]) & (at_s >= at_s[i + 1] + jump_s))
        beside = [at_s[i] - at_s[before[-1]]] if len(before) else []
        beside += [at_s[after[0]] - at_s[i + 1]] if len(after) else []
        if not beside:
            continue
        width = at_s[i + 1] - at_s[i]
        if any(abs(width - 2 * d) > tolerance * 2 * d for d in beside):
            continue
        d = float(np.mean(beside))
        lo, hi = at_s[i] + (1 - tolerance) * d, at_s[i + 1] - (1 - tolerance) * d
        out[n] = bool(((wide[:, 0] < hi) & (wide[:, 1] > lo)).any())
    return out


def rebound_set_hz(
    contacts: pd.DataFrame, gaps: Sequence[tuple[float, float]], settings: AnalysisSettings
) -> dict[int, float]:
    """Return the jump rate of each rebound set with a jump lost in a gap.

    ``(n − 1) / (last − first)`` over the set's landings, with two kinds of lost jump:

    - a jump whose landing was lost is put at its take-off less the median contact of the
      set's timed jumps (rebound jumps come seconds apart, so the spread of contact times
      barely moves the rate);
    - a jump lost whole in a gap (:func:`jumps_lost_in_gaps`) counts as one more landing.

    Sets without such a jump, or without a timed jump, are left to the formula over the
    timed landings.

    Parameters
    ----------
    contacts : pandas.DataFrame
        Contacts or hops with ``set``, ``landing_s``, ``takeoff_s`` (s, NaN where lost) and
        ``edge_lost``.
    gaps : sequence of (float, float)
        Gaps of the recording, (start_s, end_s).
    settings : AnalysisSettings
        As :func:`jumps_lost_in_gaps` uses them.

    Returns
    -------
    dict of int to float
        Jump rate (Hz) by set number, for the sets with a lost jump only.
    """
    out: dict[int, float] = {}
    if not len(contacts):
        return out
    lost = contacts["edge_lost"].to_numpy() == "landing"
    set_of = contacts["set"].to_numpy()
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    timed = contacts["edge_lost"].to_numpy() == ""
    for k in np.unique(set_of).tolist():
        of_set = set_of == k
        if not (timed & of_set).any():
            continue
        placed = landing[of_set]
        if (lost & of_set).any():
            contact_s = float(np.median((takeoff - landing)[timed & of_set]))
            placed = np.where(lost[of_set], takeoff[of_set] - contact_s, placed)
        placed = np.sort(placed[np.isfinite(placed)])
        if len(placed) < 2 or not placed[-1] > placed[0]:
            continue
        whole = jumps_lost_in_gaps(
            placed, np.zeros(len(placed)), np.arange(len(placed) - 1), gaps, settings
        )
        if whole.any() or (lost & of_set).any():
            out[int(k)] = (len(placed) - 1 + int(whole.sum())) / float(placed[-1] - placed[0])
    return out
