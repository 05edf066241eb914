"""From parsed columns to a :class:`~imu.recording.Recording`: units, time base and quality.

Every reader ends in :func:`finish`, which converts acceleration to g, puts time in seconds
from the first sample, drops (and counts) rows without acceleration, rebuilds sample times
when stamps repeat or arrive in bursts, measures rate, jitter, gaps and clipping, checks that
gravity is in the signal and issues :class:`~imu.errors.HopscopeWarning` for what degrades a
result. Everything is vectorised.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from imu._median import median
from imu.errors import HopscopeWarning
from imu.formats import _threads
from imu.formats._source import Source
from imu.formats._table import Chunked, Table
from imu.formats._threads import submit
from imu.recording import (
    ACC_COLUMNS,
    TIME_COLUMN,
    Recording,
    RecordingMeta,
    pooled_array,
    step_blocks,
    step_range,
)

#: Standard gravity, m/s² per g.
G0 = 9.80665
#: A sample within this fraction of the full scale counts as clipped.
CLIP_FRACTION = 0.98
#: A median magnitude below this (g) in the quietest second means gravity was removed.
GRAVITY_MISSING_G = 0.3

GRAVITY_EXPLANATION = (
    "hop analysis needs acceleration with gravity included: flight shows as free fall "
    "(|a| near 0 g), which gravity-removed ('linear', 'user' or 'free') acceleration cannot show"
)


@dataclass
class Skips:
    """Rows left out while reading, by reason (every one is reported)."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, reason: str, n: int, example: str | None = None) -> None:
        """Count ``n`` rows skipped for ``reason``."""
        if n <= 0:
            return
        self.counts[reason] = self.counts.get(reason, 0) + int(n)
        if example is not None and reason not in self.examples:
            self.examples[reason] = example[:80]

    @property
    def total(self) -> int:
        """All skipped rows."""
        return sum(self.counts.values())

    def add_table(self, table: Any, first_line: int) -> None:
        """Count a parsed table's rows with a wrong field count."""
        self.add(
            "wrong number of fields (e.g. a line cut short)",
            table.bad_rows,
            table.bad_row_example or None,
        )


def relative_seconds(clock: np.ndarray, ticks_per_second: float) -> np.ndarray:
    """Seconds from the first value of an integer clock (difference taken in int64).

    Parameters
    ----------
    clock : numpy.ndarray
        Integer clock values (int64).
    ticks_per_second : float
        Clock ticks per second (1e9 for ns, 1e6 for µs, 1e3 for ms).
    """
    if clock.size == 0:
        return clock.astype(np.float64)
    seconds = (clock - clock[0]).astype(np.float64)
    seconds /= ticks_per_second
    return seconds


def clock_seconds_or_nan(
    clock: np.ndarray, missing: np.ndarray, ticks_per_second: float
) -> np.ndarray:
    """Seconds from the first valid value of an integer clock, NaN where a value is missing."""
    if not missing.any():
        return relative_seconds(clock, ticks_per_second)
    t = np.full(clock.size, np.nan)
    good = np.flatnonzero(~missing)
    if good.size:
        t[good] = relative_seconds(clock[good], ticks_per_second)
    return t


def repeat_runs(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``numpy.repeat(values, counts)`` for counts of at least 1, in pooled memory.

    When the runs between the first and the last are all as long, the values are broadcast
    over them; otherwise each row's run is numbered by a running sum of run starts and the
    values are gathered by that number. Either gives the values of ``numpy.repeat``, without
    fresh pages.
    """
    counts = np.asarray(counts)
    if counts.size == 0 or counts.min() < 1:
        return np.repeat(values, counts)
    values = np.asarray(values)
    n = int(counts.sum())
    inner = counts[1:-1]
    if inner.size == 0 or (inner == inner[0]).all():
        # Runs all as long but the first and the last (packets of one size, the last one
        # perhaps cut short): one broadcast copy.
        out = pooled_array(n, values.dtype)
        first, last = int(counts[0]), int(counts[-1])
        out[:first] = values[0]
        if counts.size > 1:
            out[n - last :] = values[-1]
        if inner.size:
            out[first : n - last].reshape(inner.size, -1)[:] = values[1:-1, None]
        return out
    run = pooled_array(n, np.int64)
    run.fill(0)
    run[np.cumsum(counts[:-1])] = 1
    np.cumsum(run, out=run)
    return np.take(values, run, out=pooled_array(n, values.dtype))


@dataclass(frozen=True)
class ClockTicks:
    """An integer clock column still to be turned into seconds from its first value.

    :func:`finish` converts it while filling the recording's time column (the same values as
    :func:`relative_seconds`), without an intermediate array.

    Parameters
    ----------
    parts : Chunked
        The clock's values (int64), in pieces; none missing.
    ticks_per_second : float
        Clock ticks per second (1e9 for ns, 1e3 for ms).
    """

    parts: Chunked
    ticks_per_second: float

    def seconds(self, out: np.ndarray | None = None) -> np.ndarray:
        """Seconds from the first value (into ``out`` when given)."""
        if out is None:
            out = pooled_array(self.parts.size)
        origin = next((part[0] for part in self.parts if part.size), None)
        pos = 0
        for part in self.parts:
            dst = out[pos : pos + part.size]
            # The difference is taken in int64 (exact) and only then converted to float.
            np.subtract(part, origin, out=dst, casting="unsafe")
            np.divide(dst, self.ticks_per_second, out=dst)
            pos += part.size
        return out


@dataclass(frozen=True)
class PacketTimes:
    """Times given per packet: each row takes the stamp of the packet it belongs to.

    :func:`finish` rebuilds the sample times of bursty packet stamps from the packets alone
    (the same times as from the rows, see :func:`grid_time`), without a time for every row
    first. Packet ``k`` holds the rows from ``starts[k]`` to ``starts[k + 1]``.

    Parameters
    ----------
    stamps : numpy.ndarray
        Each packet's stamp (float64, s).
    starts : numpy.ndarray
        Each packet's first row (int64, increasing, the first 0).
    rows : int
        The number of rows.
    """

    stamps: np.ndarray
    starts: np.ndarray
    rows: int

    def expand(self) -> np.ndarray:
        """Return every row's time (its packet's stamp)."""
        return repeat_runs(self.stamps, np.diff(self.starts, append=self.rows))

    def regular(self, *, bursty: bool, stamp_at: str) -> bool:
        """Whether the times may be rebuilt from the packets alone.

        That is, bursts stamped at their first row, at least 3 rows, finite stamps and the
        first one 0 (the times need no shift and no repair).
        """
        stamps = self.stamps
        return (
            bursty
            and stamp_at == "start"
            and self.rows >= 3
            and stamps.size > 0
            and self.starts.size == stamps.size
            and int(self.starts[0]) == 0
            and bool(np.isfinite(stamps).all())
            and stamps[0] == 0.0
            and not np.signbit(stamps[0])
        )


def table_clock_seconds(
    table: Table, name: str, ticks_per_second: float
) -> np.ndarray | ClockTicks:
    """Return an integer clock column of a table as seconds from its first valid value.

    Returns a :class:`ClockTicks` for :func:`finish` to convert when no value is missing,
    otherwise the seconds with NaN where a value is missing (:func:`clock_seconds_or_nan`).
    """
    if table.has_missing(name):
        return clock_seconds_or_nan(table.int(name), table.missing[name], ticks_per_second)
    return ClockTicks(table.parts(name), ticks_per_second)


def unwrap_counter(counter: np.ndarray, bits: int) -> np.ndarray:
    """Unwrap an unsigned counter that wraps at ``2**bits`` (adds ``2**bits`` at each wrap).

    A step backwards by more than half the range is a wrap; smaller steps are kept as they are.
    """
    c = counter.astype(np.int64, copy=False)
    if c.size < 2:
        return c.copy()
    span = np.int64(1) << bits
    back = np.diff(c) < -(span // 2)
    if not back.any():  # nothing wrapped
        return c.copy() if c is counter else c
    wraps = np.concatenate([[0], np.cumsum(back)])
    return c + wraps * span


def estimate_rate(time_s: np.ndarray) -> float | None:
    """Rate from the span of the stamps and the sample count, or None when undefined."""
    if time_s.size < 2:
        return None
    span = float(time_s[-1] - time_s[0])
    if not np.isfinite(span) or span <= 0:
        return None
    return (time_s.size - 1) / span


def _anchors(time_s: np.ndarray, stamp_at: str, step: np.ndarray | None = None) -> np.ndarray:
    """Rows a burst's stamp belongs to: the last row of each run of equal stamps, or the first."""
    if step is None:
        step = np.diff(time_s)
    changes = np.flatnonzero(step != 0)  # NaN included
    out = pooled_array(changes.size + 1, np.int64)
    if stamp_at == "start":
        out[0] = 0
        np.add(changes, 1, out=out[1:])
    else:
        out[:-1] = changes
        out[-1] = time_s.size - 1
    return out


def grid_time(
    time_s: np.ndarray,
    rate_hz: float,
    *,
    stamp_at: str = "end",
    anchors: np.ndarray | None = None,
    out: np.ndarray | None = None,
    anchor_times: np.ndarray | None = None,
    rows: int | None = None,
    index: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rebuild sample times on a uniform grid from the sample index, keeping real gaps.

    Parameters
    ----------
    time_s : numpy.ndarray
        Raw stamps in s (may repeat, arrive in bursts or step back).
    rate_hz : float
        The sample rate, in Hz.
    stamp_at : {"end", "start"}
        Whether a burst's stamp belongs to its last row (reception time) or its first (a
        packet stamped with its first sample).
    anchors : numpy.ndarray, optional
        The anchor rows, when known already (see :func:`fitted_rate`).
    out : numpy.ndarray, optional
        Where to write the times (``time_s`` itself may be given: it is read before).
    anchor_times, rows : numpy.ndarray and int, optional
        ``time_s[anchors]`` and ``time_s.size``, when known already (with ``anchors``):
        ``time_s`` may then be None.
    index : bool
        Whether the grid index is wanted too (without it, no array of it is made).

    Returns
    -------
    time_s : numpy.ndarray
        ``(index + samples lost before it) / rate``.
    grid_index : numpy.ndarray or None
        ``index + samples lost before it`` for every row (None unless ``index``).

    Notes
    -----
    Rows sharing a stamp form a burst. For the anchor row ``e`` of each burst,
    ``stamp / period - e`` (relative to the first bursts) counts the samples lost before it,
    up to the stamp latency. A running median over 9 bursts removes the latency jitter of
    reception stamps (device packet stamps need none), rounding
    gives whole samples and a running maximum keeps the count from falling (stamps that step
    back lose nothing). Each row takes the count of its burst, so gaps fall between bursts.
    """
    from scipy.ndimage import median_filter

    n = time_s.size if rows is None else rows
    p = 1.0 / rate_hz
    if n < 3:
        index = np.arange(n, dtype=np.float64)
        return np.multiply(index, p, out=out), index
    if anchors is None:
        anchors = _anchors(time_s, stamp_at)
    if anchor_times is None:
        anchor_times = time_s[anchors]
    if anchor_times.dtype == np.float64:  # the formula below, step for step, in one array
        excess = np.subtract(anchor_times, anchor_times[0], out=pooled_array(anchors.size))
        np.divide(excess, p, out=excess)
        np.subtract(excess, anchors - anchors[0], out=excess)
    else:
        excess = (anchor_times - anchor_times[0]) / p - (anchors - anchors[0])
    if stamp_at == "end":  # reception stamps carry latency jitter: smooth it out
        smooth = median_filter(excess, size=min(9, excess.size), mode="nearest")
    else:  # packet stamps from the device clock are exact up to their rounding
        smooth = excess
    base = float(np.median(smooth[: min(9, smooth.size)]))
    lost = np.subtract(smooth, base, out=pooled_array(smooth.size))
    np.round(lost, out=lost)
    np.maximum(lost, 0.0, out=lost)
    _running_max(lost)
    lost -= lost[0]
    whole = anchors[0] == 0 if stamp_at == "start" else anchors[-1] == n - 1
    if out is None:
        out = pooled_array(n)
    if lost[-1] == 0.0 and whole:
        # Nothing lost (the counts never fall, from 0): every row sits at its own index.
        if not index:
            out.fill(0.0)  # (each row's index then added and scaled, block by block)
            _add_row_index(out, scale=p, out=out)
            return out, None
        grid = np.arange(n, dtype=np.float64)
        return np.multiply(grid, p, out=out), grid
    # Each row takes its burst's count: the bursts are the runs between anchors.
    if stamp_at == "start":
        length = np.diff(np.append(anchors, n))
    else:
        length = np.diff(anchors, prepend=-1)
    grid = repeat_runs(lost, length)
    if not index:
        # The grid index itself is not kept: each block is turned into times in the cache.
        _add_row_index(grid, scale=p, out=out)
        return out, None
    _add_row_index(grid)
    return np.multiply(grid, p, out=out), grid


def _running_max(a: np.ndarray) -> None:
    """Replace each value by the largest up to it (``numpy.maximum.accumulate``), in place.

    The running maximum is one slow pass, value after value; counts that never fall (the
    usual case) are their own running maximum, which one vectorised comparison shows. (A
    zero may then keep its sign where the running pass would give the other zero; adding
    the row index to the counts makes every zero positive alike.)
    """
    if a.size > 1 and not bool(np.greater_equal(a[1:], a[:-1]).all()):
        np.maximum.accumulate(a, out=a)


#: Rows indexed at a time by :func:`_add_row_index` (a block that stays in the CPU cache).
_ROW_BLOCK = 1 << 14


def _add_row_index(
    a: np.ndarray, *, scale: float | None = None, out: np.ndarray | None = None
) -> None:
    """Add each row's index to a float array in place (``a += arange(a.size)``).

    Done block by block with one small index array, so that no array of all the indices
    is made; each row gets the same single addition. With ``scale``, each block is then
    also multiplied by it into ``out`` (``out = (a + arange(a.size)) * scale``) while it
    is in the cache.
    """
    base = np.arange(min(_ROW_BLOCK, a.size), dtype=np.float64)
    index = np.empty_like(base)
    for start in range(0, a.size, _ROW_BLOCK):
        block = a[start : start + _ROW_BLOCK]
        rows = np.add(base[: block.size], start, out=index[: block.size])  # whole numbers
        block += rows
        if scale is not None:
            np.multiply(block, scale, out=out[start : start + block.size])


#: Up to this many gap-free stretches, their means are taken stretch by stretch.
_FEW_STRETCHES = 64


def fitted_rate(
    time_s: np.ndarray | None,
    *,
    stamp_at: str = "end",
    anchors: np.ndarray | None = None,
    anchor_times: np.ndarray | None = None,
) -> float | None:
    """Sample rate from burst stamps by a least-squares fit within gap-free stretches.

    Parameters
    ----------
    time_s : numpy.ndarray
        Raw stamps in s (bursts of equal stamps, jitter, gaps).
    stamp_at : {"end", "start"}
        Whether a burst's stamp belongs to its last or its first row.
    anchors : numpy.ndarray, optional
        The row each burst's stamp belongs to, when known already.
    anchor_times : numpy.ndarray, optional
        The stamps of those rows (``time_s[anchors]``), when known already; ``time_s`` may
        then be None.

    Returns
    -------
    float or None
        Rate in Hz, or None when the stamps do not define one.

    Notes
    -----
    Each burst's stamp is paired with the row it belongs to. Steps between bursts that run
    ahead of the median period by more than one period and four times the robust spread of
    the steps are gaps (lost samples) and split the recording, as do steps back. Within the
    stretches, stamp against row index is fitted by one common slope (each stretch its own
    offset): latency jitter and stamp rounding average out over the whole recording, gaps
    do not bias it.
    """
    if anchors is None:
        anchors = _anchors(time_s, stamp_at)
    if anchors.size < 3:
        return None
    # The arithmetic is the plain formula's, step for step, with fewer temporary arrays.
    m = anchors.size
    x = pooled_array(m)
    np.copyto(x, anchors, casting="unsafe")
    y = pooled_array(m)
    if anchor_times is None:
        np.take(time_s, anchors, out=y)
    else:
        np.copyto(y, anchor_times)
    dx = np.subtract(x[1:], x[:-1], out=pooled_array(m - 1))
    dy = np.subtract(y[1:], y[:-1], out=pooled_array(m - 1))
    local = np.divide(dy, dx, out=pooled_array(m - 1))
    up = local > 0
    count = int(np.count_nonzero(up))
    if count == 0:
        return None
    # Every step forward (the usual case): the slopes themselves, reordered by the median
    # (``local`` is only written to after it).
    positive = local if count == up.size else np.compress(up, local, out=pooled_array(count))
    period = median(positive, overwrite_input=True)
    excess = np.multiply(dx, period, out=pooled_array(m - 1))
    np.subtract(dy, excess, out=excess)
    if float(excess.max()) <= period:
        # No step runs a period ahead, so none is beyond the threshold whatever the spread:
        # only steps back split (the medians of the spread would change nothing).
        split = dy <= 0
    else:
        np.copyto(local, excess)  # a copy for the median to reorder (``excess`` is kept)
        deviation = np.subtract(excess, median(local, overwrite_input=True), out=local)
        np.abs(deviation, out=deviation)
        spread = 1.4826 * median(deviation, overwrite_input=True)
        split = (excess > max(period, 4.0 * spread)) | (dy <= 0)
    starts = np.flatnonzero(split) + 1
    if starts.size <= _FEW_STRETCHES:
        bounds = [0, *starts.tolist(), m]
        _centre_rows(x, anchors, bounds)
        _centre_stretches(y, bounds)
    else:
        seg = pooled_array(m, np.int64)
        seg[0] = 0
        np.cumsum(split, out=seg[1:])
        counts = np.bincount(seg).astype(np.float64)
        for values in (x, y):  # each stretch centred on its own mean
            means = np.bincount(seg, values) / counts
            np.subtract(values, means[seg], out=values)
    product = np.multiply(x, x, out=pooled_array(m))
    denom = float(product.sum())  # not np.dot: BLAS threads stall on a busy machine
    if denom <= 0:
        return 1.0 / period
    slope = float(np.multiply(x, y, out=product).sum()) / denom
    return 1.0 / slope if slope > 0 and np.isfinite(slope) else None


def _centre_rows(x: np.ndarray, rows: np.ndarray, bounds: list[int]) -> None:
    """Centre each stretch of ``x`` (``rows`` as float64) on its mean, in place.

    The mean is that of a running sum from the stretch's first value (see
    :func:`fitted_rate`). Row numbers are whole: while every running sum stays below
    2**53 each one is exact, so the integer sum gives the same bits in one quick pass.
    """
    if (
        rows.dtype.kind not in "iu"
        or not rows.size
        or x.size * max(abs(float(x.min())), abs(float(x.max()))) >= 2.0**53
    ):
        _centre_stretches(x, bounds)
        return
    for a, b in pairwise(bounds):
        total = np.float64(int(rows[a:b].sum()))
        np.subtract(x[a:b], total / np.float64(b - a), out=x[a:b])


def _centre_stretches(values: np.ndarray, bounds: list[int]) -> None:
    """Centre each stretch of ``values`` (``bounds[k]`` to ``bounds[k + 1]``) on its mean.

    Each stretch's sum is added up value by value from its first (as ``numpy.bincount``
    does, the same bits), by a running sum into one scratch buffer.
    """
    scratch = pooled_array(values.size)
    for a, b in pairwise(bounds):
        total = np.add.accumulate(values[a:b], out=scratch[: b - a])[-1]
        np.subtract(values[a:b], total / np.float64(b - a), out=values[a:b])


def time_stats(
    time_s: np.ndarray, *, step: np.ndarray | None = None, longest_step: float | None = None
) -> dict[str, Any]:
    """Effective rate, jitter and gaps of strictly increasing sample times.

    Parameters
    ----------
    time_s : numpy.ndarray
        Sample times in s.
    step : numpy.ndarray, optional
        ``numpy.diff(time_s)``, when computed already.
    longest_step : float, optional
        The longest step, when known: without ``step``, the steps are then only computed when
        there are gaps.

    Returns
    -------
    dict
        ``effective_rate_hz`` (1 / median step), ``median_period_s``, ``jitter_ms`` (1.4826 x
        median absolute deviation of the steps), ``gap_count`` (steps longer than twice the
        median), ``gap_total_s``, ``gap_lost_samples`` (estimated from the gap lengths),
        ``duration_s``. Median and spread come from at most 20,000 evenly spaced steps.

    Raises
    ------
    ValueError
        A gap is too long to count its lost samples (a step of more than about 1e308 times
        the median step: a broken clock, not a gap).
    """
    if time_s.size < 2:
        return {"duration_s": 0.0, "gap_count": 0, "gap_total_s": 0.0, "gap_lost_samples": 0}
    stride = max(1, (time_s.size - 1) // 20000)
    if step is None and longest_step is not None:
        # The sampled steps alone, from the times (the same values as ``np.diff``'s).
        count = len(range(0, time_s.size - 1, stride))
        sample = time_s[1::stride][:count] - time_s[0:-1:stride][:count]
    else:
        if step is None:
            step = np.diff(time_s)
        sample = step[::stride]
        if longest_step is None:
            longest_step = float(step.max())
    # Median and spread from at most 20,000 evenly spaced steps (exact for regular sampling).
    work = np.array(sample)  # one copy, reordered by each median in turn
    med = median(work, overwrite_input=True)
    np.subtract(sample, med, out=work)
    np.abs(work, out=work)
    jitter = float(1.4826 * median(work, overwrite_input=True)) * 1e3
    if longest_step > 2.0 * med:
        gap_step = _gap_steps(time_s, step, 2.0 * med)
        with np.errstate(over="ignore"):
            periods = gap_step / med
        if not np.isfinite(periods).all():
            raise ValueError(
                f"a step of {float(np.max(gap_step)):.3g} s between times that are usually"
                f" {med:.3g} s apart"
            )
        lost = int(np.sum(np.round(periods) - 1))
        gap_count, gap_total = len(gap_step), float(np.sum(gap_step))
    else:  # no gap: nothing to select
        lost, gap_count, gap_total = 0, 0, 0.0
    return {
        "effective_rate_hz": round(1.0 / med, 4),
        "median_period_s": med,
        "jitter_ms": round(jitter, 4),
        "gap_count": gap_count,
        "gap_total_s": round(gap_total, 6),
        "gap_lost_samples": lost,
        "duration_s": float(time_s[-1] - time_s[0]),
    }


def _gap_steps(time_s: np.ndarray, step: np.ndarray | None, limit: float) -> np.ndarray:
    """Return the steps of ``time_s`` longer than ``limit``, in order.

    From ``step`` (``numpy.diff(time_s)``) when it is given, else block by block from the
    times (:func:`imu.recording.step_blocks`), without an array of all the steps.
    """
    if step is not None:
        return step[step > limit]
    return np.concatenate([block[block > limit] for block in step_blocks(time_s)])


def checked_time_stats(
    src: Source,
    time_s: np.ndarray,
    *,
    step: np.ndarray | None = None,
    longest_step: float | None = None,
) -> dict[str, Any]:
    """:func:`time_stats`, with a clock too broken to measure refused for ``src``.

    Raises
    ------
    InvalidRecordingError
        A step too long to count the samples lost in it.
    """
    try:
        return time_stats(time_s, step=step, longest_step=longest_step)
    except ValueError as exc:
        raise src.error(f"timestamps out of range: {exc}; expected times of one clock") from None


def clipped_samples(
    acc_g: tuple[np.ndarray, ...],
    range_g: float | None,
    *,
    extremes: list[tuple[float, float]] | None = None,
) -> tuple[int, str]:
    """Count samples at the sensor's limits.

    With a known full scale, a sample is clipped when any axis is within 2 % of it. Without
    one, runs of at least 3 equal samples at an axis's extreme (beyond 1.5 g) count as flat
    tops. Returns the count and the method used. ``extremes`` may give each axis's
    ``(max, min)`` when they are known already.
    """
    n = acc_g[0].size
    if n == 0:
        return 0, "none"
    if extremes is None:
        extremes = [(a.max(), a.min()) for a in acc_g]
    if range_g is not None:
        limit = CLIP_FRACTION * range_g
        rule = f"within 2 % of ±{range_g:g} g"
        # Only the sides that reach the limit are searched; a sample clipped on several axes
        # counts once.
        at: list[np.ndarray] = []
        for a, (high, low) in zip(acc_g, extremes, strict=True):
            if high >= limit:
                at.append(np.flatnonzero(a >= limit))
            if low <= -limit:
                at.append(np.flatnonzero(a <= -limit))
        if not at:
            return 0, rule
        if len(at) == 1:
            return int(at[0].size), rule
        return int(np.unique(np.concatenate(at)).size), rule
    # Each long run adds +1 at its start and -1 after its end; a running sum above zero marks
    # the samples inside any run (of any axis), so overlapping runs count once.
    delta: np.ndarray | None = None
    for a, pair in zip(acc_g, extremes, strict=True):
        for extreme in pair:
            if abs(extreme) < 1.5:
                continue
            # One contiguous comparison: about twice as fast as comparing every third sample
            # (a strided pass reads every cache line all the same).
            at = np.flatnonzero(a == extreme)
            if at.size < 3:
                continue
            # Runs of consecutive indices among the samples at the extreme.
            new_run = np.concatenate([[True], np.diff(at) != 1])
            run_start = at[new_run]
            run_end = np.concatenate([at[np.flatnonzero(new_run)[1:] - 1], at[-1:]]) + 1
            long_runs = (run_end - run_start) >= 3
            if not long_runs.any():
                continue
            if delta is None:
                delta = np.zeros(n + 1, dtype=np.int32)
            np.add.at(delta, run_start[long_runs], 1)
            np.add.at(delta, run_end[long_runs], -1)
    count = 0 if delta is None else int(np.count_nonzero(np.cumsum(delta[:-1])))
    return count, "flat tops of 3 or more samples at an axis extreme"


def quiet_magnitude(acc_g: tuple[np.ndarray, ...], rate_hz: float, scale: float = 1.0) -> float:
    """Median |a| (g) in the quietest one-second block (smallest range of |a|).

    ``scale`` converts the values to g first (only the samples looked at are scaled: the
    same values as scaling every one).
    """
    # About 25 samples per second are plenty to find the quietest second.
    step = max(1, int(rate_hz // 25)) if np.isfinite(rate_hz) and rate_hz > 0 else 1
    ax, ay, az = (a[::step] for a in acc_g)
    if scale != 1.0:
        ax, ay, az = ax * scale, ay * scale, az * scale
    mag = ax * ax  # |a| summed in place, in the order ax² + ay² + az²
    square = ay * ay
    mag += square
    np.multiply(az, az, out=square)
    mag += square
    np.sqrt(mag, out=mag)
    rate_hz = rate_hz / step
    block = max(1, round(rate_hz)) if np.isfinite(rate_hz) and rate_hz > 0 else mag.size
    count = mag.size // block
    if count < 1:
        return float(np.median(mag))
    blocks = mag[: count * block].reshape(count, block)
    # The range of every block, from a copy with each block's k-th sample in row k: the
    # maxima and minima are then taken over long rows instead of one short row at a time
    # (the same values as ``numpy.ptp(blocks, axis=1)``, in a third of the time).
    across = np.ascontiguousarray(blocks.T)
    spread = across.max(axis=0)
    spread -= across.min(axis=0)
    quiet = int(np.argmin(spread))
    return float(np.median(blocks[quiet]))


def check_gravity(src: Source, magnitude_g: float, *, unit_note: str) -> str | None:
    """Refuse data without gravity or in the wrong unit; return a warning text or None.

    Raises
    ------
    InvalidRecordingError
        Gravity is missing (median |a| < 0.3 g at rest) or the values are about 9.8 or 1000
        times off (wrong unit).
    """
    if not np.isfinite(magnitude_g):
        raise src.error("expected finite acceleration values")
    if magnitude_g < GRAVITY_MISSING_G:
        raise src.error(
            f"the acceleration has gravity removed (|a| at rest is {magnitude_g:.2f} g, "
            f"expected about 1 g): {GRAVITY_EXPLANATION}"
        )
    if 6.0 <= magnitude_g <= 14.0:
        raise src.error(
            f"|a| at rest is {magnitude_g:.2f} after conversion to g, expected about 1 g: "
            f"the values look like m/s², not {unit_note}"
        )
    if 600.0 <= magnitude_g <= 1400.0:
        raise src.error(
            f"|a| at rest is {magnitude_g:.1f} after conversion to g, expected about 1 g: "
            f"the values look like mg, not {unit_note}"
        )
    if not 0.6 <= magnitude_g <= 1.6:
        return (
            f"|a| in the quietest second is {magnitude_g:.2f} g, far from 1 g: check the units "
            f"(read as {unit_note}) and that the sensor was still at some point"
        )
    return None


#: The sample table's columns (an Index is immutable: every table may share it).
_SAMPLE_COLUMNS = pd.Index([TIME_COLUMN, *ACC_COLUMNS])

#: Below this magnitude on every axis, the sum of three axes cannot overflow.
_SAFE_SUM = 1e307


def _scaled(
    acc: tuple[np.ndarray | Chunked, ...],
    scale: float,
    time_s: object,
    private: bool,
    out: list[np.ndarray] | None = None,
) -> tuple[tuple[np.ndarray, ...], list[tuple[float, float]] | None]:
    """Acceleration as float64 times ``scale``, and each axis's (max, min) when known.

    Columns in the parser's pieces are scaled piece by piece into an array of their own (or
    into ``out``), and each piece's extremes are taken while it is in the cache. When the
    reader says the arrays are its own (``private``), those that really are (own their
    memory, writable, distinct from each other and from the time column) are scaled in
    place, which saves an allocation per axis.
    """
    if all(isinstance(a, Chunked) for a in acc):
        axes, extremes = [], []
        for i, column in enumerate(acc):
            dest = pooled_array(column.size) if out is None else out[i]
            highs, lows = [], []
            pos = 0
            for part in column:
                if not part.size:
                    continue
                dst = dest[pos : pos + part.size]
                if scale == 1.0:
                    np.copyto(dst, part, casting="unsafe")
                else:
                    np.multiply(part, scale, out=dst)
                highs.append(dst.max())
                lows.append(dst.min())
                pos += part.size
            axes.append(dest)
            # np.max / np.min keep a NaN of any piece (the builtins would drop it).
            extremes.append((np.max(highs), np.min(lows)) if highs else (0.0, 0.0))
        return tuple(axes), extremes
    arrays = [a.join() if isinstance(a, Chunked) else np.asarray(a, dtype=np.float64) for a in acc]
    if scale == 1.0:
        return tuple(arrays), None
    ids = {id(a) for a in arrays} | {id(time_s)}
    private = (
        private
        and len(ids) == 4
        and all(a.flags.owndata and a.flags.writeable and a.base is None for a in arrays)
    )
    if not private:
        return tuple(a * scale for a in arrays), None
    for a in arrays:
        np.multiply(a, scale, out=a)
    return tuple(arrays), None


def _new_block(time_s: object, acc: tuple[object, ...]) -> np.ndarray | None:
    """Return a new (4, n) block for time and the axes, when the axes come in pieces."""
    if not all(isinstance(a, Chunked) for a in acc):
        return None
    if isinstance(time_s, ClockTicks):
        n = time_s.parts.size
    elif isinstance(time_s, PacketTimes):
        n = time_s.rows
    elif isinstance(time_s, Chunked):
        n = time_s.size
    else:
        n = np.asarray(time_s).size
    if any(a.size != n for a in acc):  # type: ignore[attr-defined]
        return None
    return pooled_array(4 * n).reshape(4, n)


def _joined(parts: Chunked, out: np.ndarray | None = None) -> np.ndarray:
    """Pieces of a column joined into one float64 array (``out`` when given)."""
    if out is None:
        out = pooled_array(parts.size)
    pos = 0
    for part in parts:
        np.copyto(out[pos : pos + part.size], part, casting="unsafe")
        pos += part.size
    return out


def _steps(t: np.ndarray) -> np.ndarray:
    """Return the steps between consecutive times (``numpy.diff``), in pooled memory."""
    if t.size < 2:
        return np.zeros(0)
    return np.subtract(t[1:], t[:-1], out=pooled_array(t.size - 1))


@np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")
def finish(
    src: Source,
    *,
    fmt: str,
    time_s: np.ndarray | Chunked | ClockTicks | PacketTimes,
    acc: tuple[np.ndarray | Chunked, np.ndarray | Chunked, np.ndarray | Chunked],
    scale_to_g: float,
    unit: str,
    skips: Skips,
    time_source: str,
    nominal_rate_hz: float | None = None,
    bursty: bool = False,
    range_g: float | None = None,
    meta: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    notes: list[str] | None = None,
    sparse_time: bool = False,
    stamp_at: str = "end",
    private_acc: bool = False,
) -> Recording:
    """Normalise parsed columns into a checked recording and report on its quality.

    Parameters
    ----------
    src : Source
        Where the data came from (for messages).
    fmt : str
        Format name (``RecordingMeta.source_format``).
    time_s : numpy.ndarray, Chunked, ClockTicks or PacketTimes
        Sample times in s on any origin; NaN where a stamp is missing or unreadable. Or an
        integer clock to convert (:class:`ClockTicks`), a column in the parser's pieces, or
        one stamp per packet of rows (:class:`PacketTimes`).
    acc : tuple of numpy.ndarray or Chunked
        Acceleration x, y, z in the source unit; NaN where missing. Columns in the parser's
        pieces are scaled straight into the recording's arrays.
    scale_to_g : float
        Factor from the source unit to g.
    unit : str
        The source unit, for messages and metadata.
    skips : Skips
        Rows already skipped while parsing.
    time_source : str
        Which column or rule gave the times (metadata).
    nominal_rate_hz : float, optional
        The configured rate, when the file states it (Hz).
    bursty : bool
        Whether the stamps are reception times that arrive in bursts: then times are rebuilt
        from the sample index.
    range_g : float, optional
        The accelerometer full scale (± g), when known.
    meta : dict, optional
        Further :class:`RecordingMeta` fields.
    extra : dict, optional
        Further metadata for ``RecordingMeta.extra``.
    notes : list of str, optional
        Warnings found by the reader, issued and recorded with the others.
    sparse_time : bool
        Stamps are missing by design (only packet starts are stamped): interpolating them is
        normal and not warned about.
    stamp_at : {"end", "start"}
        For bursty stamps: whether a stamp belongs to the last row of its burst (reception
        time, the default) or the first (a packet stamped with its first sample).

    private_acc : bool
        The acceleration arrays belong to this call alone (made by the parser for it): they
        may then be scaled in place. (Pieces are never changed.)

    Returns
    -------
    Recording

    Raises
    ------
    InvalidRecordingError
        No usable sample, gravity missing or acceleration in the wrong unit.
    """
    recording = None
    if _parallel(time_s, acc):
        recording = _finish_parallel(
            src,
            fmt=fmt,
            time_s=time_s,
            acc=acc,
            scale_to_g=scale_to_g,
            unit=unit,
            skips=skips,
            time_source=time_source,
            nominal_rate_hz=nominal_rate_hz,
            bursty=bursty,
            range_g=range_g,
            meta=meta,
            extra=extra,
            notes=notes,
            sparse_time=sparse_time,
            stamp_at=stamp_at,
        )
    if recording is None:
        recording = _finish_serial(
            src,
            fmt=fmt,
            time_s=time_s,
            acc=acc,
            scale_to_g=scale_to_g,
            unit=unit,
            skips=skips,
            time_source=time_source,
            nominal_rate_hz=nominal_rate_hz,
            bursty=bursty,
            range_g=range_g,
            meta=meta,
            extra=extra,
            notes=notes,
            sparse_time=sparse_time,
            stamp_at=stamp_at,
            private_acc=private_acc,
        )
    for message in recording.meta.extra["warnings"]:
        warnings.warn(f"{src.name}: {message}", HopscopeWarning, stacklevel=4)
    return recording


#: From this many rows on, acceleration is scaled and checked in a worker thread while the
#: time base is worked out (below, the thread costs more than it saves).
PARALLEL_ROWS = 40_000


def _parallel(time_s: object, acc: tuple[object, ...]) -> bool:
    """Whether :func:`finish` may work on the axes and the times side by side."""
    if _threads.cores() < 2 or not all(isinstance(a, Chunked) for a in acc):
        return False
    return acc[0].size >= PARALLEL_ROWS  # type: ignore[attr-defined]


def _scale_and_clip(
    acc: tuple[Chunked, Chunked, Chunked],
    scale: float,
    time_s: object,
    out: list[np.ndarray],
    range_g: float | None,
) -> tuple[tuple[np.ndarray, ...], list[tuple[float, float]] | None, tuple[int, str] | None]:
    """Scale the axes into ``out`` and count clipped samples; no count if a row is unusable."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        axes, extremes = _scaled(acc, scale, time_s, False, out=out)
        if extremes is None:
            extremes = [(a.max(), a.min()) if a.size else (0.0, 0.0) for a in axes]
        bound = np.abs(np.asarray(extremes, dtype=np.float64))
        if not (bool(np.isfinite(bound).all()) and bool((bound < _SAFE_SUM).all())):
            return axes, extremes, None
        return axes, extremes, clipped_samples(axes, range_g, extremes=extremes)


def _finish_parallel(
    src: Source,
    *,
    fmt: str,
    time_s: np.ndarray | Chunked | ClockTicks | PacketTimes,
    acc: tuple[Chunked, Chunked, Chunked],
    scale_to_g: float,
    unit: str,
    skips: Skips,
    time_source: str,
    nominal_rate_hz: float | None,
    bursty: bool,
    range_g: float | None,
    meta: dict[str, Any] | None,
    extra: dict[str, Any] | None,
    notes: list[str] | None,
    sparse_time: bool,
    stamp_at: str,
) -> Recording | None:
    """:func:`finish` with the axes scaled and checked in a worker thread.

    The time base is worked out here meanwhile, on every row. Returns None when a row has
    no usable acceleration (then :func:`finish` starts again step by step, leaving those
    rows out first) or the block of rows cannot be made.
    """
    block = _new_block(time_s, acc)
    if block is None:
        return None
    rows = [block[i] for i in range(4)]
    job = submit(_scale_and_clip, acc, scale_to_g, time_s, rows[1:], range_g)
    if job is None:
        return None
    messages = list(notes or [])
    extra = dict(extra or {})
    try:
        if isinstance(time_s, ClockTicks):
            t, own_t = time_s.seconds(out=rows[0]), True
        elif isinstance(time_s, Chunked):
            t, own_t = _joined(time_s, out=rows[0]), True
        elif isinstance(time_s, PacketTimes):
            t, own_t = time_s, False  # type: ignore[assignment]
        else:
            t, own_t = np.asarray(time_s, dtype=np.float64), False
        timing: tuple[np.ndarray, dict[str, Any]] | BaseException = _time_base(
            src,
            t,
            own_t,
            rows,
            messages,
            extra,
            time_source=time_source,
            nominal_rate_hz=nominal_rate_hz,
            bursty=bursty,
            sparse_time=sparse_time,
            stamp_at=stamp_at,
        )
    except BaseException as exc:  # raised only once every row is known to be usable
        timing = exc
    axes, extremes, clip = job.result()
    if clip is None:
        return None
    if isinstance(timing, BaseException):
        raise timing
    t, stats = timing
    return _complete(
        src,
        t,
        axes,  # type: ignore[arg-type]
        extremes,
        clip,
        stats,
        block,
        rows,
        messages,
        extra,
        fmt=fmt,
        unit=unit,
        skips=skips,
        nominal_rate_hz=nominal_rate_hz,
        range_g=range_g,
        meta=meta,
    )


def _finish_serial(
    src: Source,
    *,
    fmt: str,
    time_s: np.ndarray | Chunked | ClockTicks | PacketTimes,
    acc: tuple[np.ndarray | Chunked, np.ndarray | Chunked, np.ndarray | Chunked],
    scale_to_g: float,
    unit: str,
    skips: Skips,
    time_source: str,
    nominal_rate_hz: float | None = None,
    bursty: bool = False,
    range_g: float | None = None,
    meta: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    notes: list[str] | None = None,
    sparse_time: bool = False,
    stamp_at: str = "end",
    private_acc: bool = False,
) -> Recording:
    """:func:`finish` step by step (see there)."""
    messages = list(notes or [])
    extra = dict(extra or {})
    # Time and acceleration all in pieces (or a clock) go straight into the rows of one
    # block, which becomes the sample table as it is.
    block = _new_block(time_s, acc)
    rows = None if block is None else [block[i] for i in range(4)]
    (ax, ay, az), extremes = _scaled(
        acc, scale_to_g, time_s, private_acc, out=None if rows is None else rows[1:]
    )
    # Times converted or joined here are this call's own: they may be shifted in place.
    own_t = isinstance(time_s, (ClockTicks, Chunked))
    if isinstance(time_s, ClockTicks):
        t = time_s.seconds(out=None if rows is None else rows[0])
    elif isinstance(time_s, Chunked):
        t = _joined(time_s, out=None if rows is None else rows[0])
    elif isinstance(time_s, PacketTimes):
        t = time_s.expand()
    else:
        t = np.asarray(time_s, dtype=np.float64)
    n_rows = t.size
    # Each axis's extremes (reused for clipping) show in one pass without temporary arrays
    # whether every row is usable; only otherwise is the row mask built.
    if extremes is None:
        extremes = [(a.max(), a.min()) if a.size else (0.0, 0.0) for a in (ax, ay, az)]
    bound = np.abs(np.asarray(extremes, dtype=np.float64))
    if bool(np.isfinite(bound).all()) and bool((bound < _SAFE_SUM).all()):
        bad_acc = None
    else:
        bad_acc = ~np.isfinite(ax + ay + az)  # NaN or inf on any axis (or absurdly large values)
        extremes = None
    if bad_acc is not None and bad_acc.any():
        first = int(np.flatnonzero(bad_acc)[0])
        skips.add(
            "empty, NaN or unreadable acceleration", int(bad_acc.sum()), f"data row {first + 1}"
        )
        keep = ~bad_acc
        ax, ay, az, t = ax[keep], ay[keep], az[keep], t[keep]
        own_t = True
    if t.size == 0:
        raise src.error(
            f"no samples with acceleration: expected data rows after the header ({n_rows} rows read)"
        )
    t, stats = _time_base(
        src,
        t,
        own_t,
        rows,
        messages,
        extra,
        time_source=time_source,
        nominal_rate_hz=nominal_rate_hz,
        bursty=bursty,
        sparse_time=sparse_time,
        stamp_at=stamp_at,
    )
    return _complete(
        src,
        t,
        (ax, ay, az),
        extremes,
        None,
        stats,
        block,
        rows,
        messages,
        extra,
        fmt=fmt,
        unit=unit,
        skips=skips,
        nominal_rate_hz=nominal_rate_hz,
        range_g=range_g,
        meta=meta,
    )


def _time_base(
    src: Source,
    t: np.ndarray | PacketTimes,
    own_t: bool,
    rows: list[np.ndarray] | None,
    messages: list[str],
    extra: dict[str, Any],
    *,
    time_source: str,
    nominal_rate_hz: float | None,
    bursty: bool,
    sparse_time: bool,
    stamp_at: str,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Work out the times from the first sample (rebuilt or repaired if needed) and their stats.

    Part of :func:`finish`: appends its warnings to ``messages`` and its metadata to
    ``extra``; returns the times and :func:`time_stats`.
    """
    if isinstance(t, PacketTimes):
        if t.regular(bursty=bursty, stamp_at=stamp_at):
            # What the rows' times would give, from the packets alone: the bursts start
            # where a packet's stamp differs from the one before.
            differs = t.stamps[1:] != t.stamps[:-1]
            steps = np.subtract(t.stamps[1:], t.stamps[:-1])
            if differs.all():  # every packet with a stamp of its own: nothing to select
                anchors, anchor_times, burst_steps = t.starts, t.stamps, steps
            else:
                anchors = np.concatenate([t.starts[:1], t.starts[1:][differs]])
                anchor_times = np.concatenate([t.stamps[:1], t.stamps[1:][differs]])
                burst_steps = steps[differs]
            grid = _rebuild(
                src,
                rows,
                messages,
                extra,
                n=t.rows,
                anchors=anchors,
                anchor_times=anchor_times,
                burst_steps=burst_steps,
                nominal_rate_hz=nominal_rate_hz,
                bursty=bursty,
                stamp_at=stamp_at,
            )
            return _time_tail(src, grid, extra, True, None, np.nan, False, time_source)
        t = t.expand()
    bad_t = None if np.isfinite(t.sum()) else ~np.isfinite(t)
    if bad_t is not None and bad_t.any():
        good = np.flatnonzero(~bad_t)
        if good.size == 0:
            raise src.error("no readable timestamps: expected a time value in at least one row")
        idx = np.arange(t.size, dtype=np.float64)
        if good.size >= 2:
            slope = float(np.median(np.diff(t[good]) / np.diff(good)))
        else:
            slope = 1.0 / nominal_rate_hz if nominal_rate_hz else 0.0
        filled = np.interp(idx, good, t[good])
        before = idx < good[0]
        after = idx > good[-1]
        filled[before] = t[good[0]] - (good[0] - idx[before]) * slope
        filled[after] = t[good[-1]] + (idx[after] - good[-1]) * slope
        t, own_t = filled, True
        if not sparse_time:
            messages.append(
                f"{int(bad_t.sum())} missing or unreadable timestamps were interpolated from "
                "their neighbours"
            )
        extra["interpolated_timestamps"] = int(bad_t.sum())
    if t[0] != 0.0 or np.signbit(t[0]):  # times from a clock difference start at 0 already
        if own_t:
            np.subtract(t, t[0], out=t)
        else:
            t = t - t[0]
    # The steps themselves are only made when something needs them.
    step = None
    shortest, longest = step_range(t)
    # The extremes of the steps are NaN or infinite when any step is.
    finite = t.size < 2 or bool(np.isfinite(shortest) and np.isfinite(longest))
    if not np.isfinite(t[-1]) or not finite:
        raise src.error("timestamps out of range: expected times that differ by a finite amount")
    rebuilt = False
    increasing = t.size < 2 or bool(shortest > 0)
    if not bursty and not increasing and t.size > 2:
        # A regular clock with a few repeated or backward stamps: treat those stamps as
        # unreadable and interpolate them; many of them mean the clock is bursty.
        step = _steps(t)
        bad = np.concatenate([[False], step <= 0])
        if bad.sum() <= max(1, 0.01 * t.size):
            good = np.flatnonzero(~bad)
            fixed = np.interp(np.arange(t.size), good, t[good])
            fixed_step = np.diff(fixed)
            if (fixed_step > 0).all():
                messages.append(
                    f"{int(bad.sum())} timestamps repeat or go backwards: they were interpolated "
                    "from their neighbours"
                )
                extra["repaired_stamps"] = int(bad.sum())
                t, step, increasing = fixed, fixed_step, True
                longest = float(step.max())
    if t.size > 1 and (bursty or not increasing):
        if step is None:
            step = _steps(t)
        anchors = _anchors(t, stamp_at, step)
        # Every step that is not zero (or is NaN) starts a burst: the other steps repeat a
        # stamp, and only the bursts' first steps can go backwards.
        changes = anchors[1:] - 1 if stamp_at == "start" else anchors[:-1]
        t = _rebuild(
            src,
            rows,
            messages,
            extra,
            n=t.size,
            anchors=anchors,
            anchor_times=np.take(t, anchors),
            burst_steps=step[changes],
            nominal_rate_hz=nominal_rate_hz,
            bursty=bursty,
            stamp_at=stamp_at,
        )
        rebuilt = True
    return _time_tail(src, t, extra, rebuilt, step, longest, increasing, time_source)


def _rebuild(
    src: Source,
    rows: list[np.ndarray] | None,
    messages: list[str],
    extra: dict[str, Any],
    *,
    n: int,
    anchors: np.ndarray,
    anchor_times: np.ndarray,
    burst_steps: np.ndarray,
    nominal_rate_hz: float | None,
    bursty: bool,
    stamp_at: str,
) -> np.ndarray:
    """Sample times rebuilt on a grid fitted to the bursts' stamps (part of :func:`finish`).

    ``anchors`` are the rows the bursts' stamps belong to, ``anchor_times`` those stamps and
    ``burst_steps`` the steps into each burst after the first.
    """
    rate = fitted_rate(None, stamp_at=stamp_at, anchors=anchors, anchor_times=anchor_times)
    rate_source = "fitted to the stamps"
    if rate is None:
        rate, rate_source = nominal_rate_hz, "nominal"
    if rate is None:
        raise src.error(
            "timestamps do not advance: expected increasing time or a known sample rate"
        )
    repeats = n - anchors.size
    backwards = int(np.count_nonzero(burst_steps < 0))
    # Rebuilt times go straight into the block's time row when the rows are all kept.
    into = rows[0] if rows is not None and rows[0].size == n else None
    t, _ = grid_time(
        None,  # type: ignore[arg-type]
        rate,
        stamp_at=stamp_at,
        anchors=anchors,
        out=into,
        anchor_times=anchor_times,
        rows=n,
        index=False,
    )
    extra["rebuilt_rate_hz"] = round(rate, 6)
    why = (
        "arrive in bursts"
        if bursty
        else f"repeat ({repeats} times) or go backwards ({backwards} times)"
    )
    note = (
        f"timestamps {why}: sample times were rebuilt from the sample index at {rate:.4f} Hz "
        f"({rate_source})"
    )
    if not bursty:
        messages.append(note)
    extra["time_note"] = note
    extra.update(repeated_stamps=repeats, backward_stamps=backwards)
    return t


def _time_tail(
    src: Source,
    t: np.ndarray,
    extra: dict[str, Any],
    rebuilt: bool,
    step: np.ndarray | None,
    longest: float,
    increasing: bool,
    time_source: str,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Check that the times increase and measure them (the end of :func:`_time_base`)."""
    if rebuilt:
        step = None
        shortest, longest = step_range(t)
        increasing = t.size < 2 or bool(shortest > 0)
    if t.size > 1 and not increasing:
        raise src.error(
            "timestamps cannot be turned into strictly increasing times (values too large or "
            "too far apart for their resolution)"
        )
    stats = checked_time_stats(src, t, step=step, longest_step=longest)
    extra.update(stats)
    extra["time_rebuilt"] = rebuilt
    extra["time_source"] = time_source
    return t, stats


def _complete(
    src: Source,
    t: np.ndarray,
    acc_g: tuple[np.ndarray, np.ndarray, np.ndarray],
    extremes: list[tuple[float, float]] | None,
    clip: tuple[int, str] | None,
    stats: dict[str, Any],
    block: np.ndarray | None,
    rows: list[np.ndarray] | None,
    messages: list[str],
    extra: dict[str, Any],
    *,
    fmt: str,
    unit: str,
    skips: Skips,
    nominal_rate_hz: float | None,
    range_g: float | None,
    meta: dict[str, Any] | None,
) -> Recording:
    """Clipping, gravity check, metadata and the sample table (the end of :func:`finish`).

    ``clip`` is the result of :func:`clipped_samples` when known already.
    """
    ax, ay, az = acc_g
    effective = stats.get("effective_rate_hz")
    if clip is None:
        if extremes is None:
            extremes = [(a.max(), a.min()) for a in (ax, ay, az)]
        clip = clipped_samples((ax, ay, az), range_g, extremes=extremes)
    clipped, method = clip
    extra.update(
        clipped_samples=clipped,
        clipped_share=round(clipped / ax.size, 6),
        clipping_rule=method,
    )
    if clipped:
        messages.append(
            f"{clipped} samples ({100 * clipped / ax.size:.2f} %) are clipped ({method}): impact "
            "peaks are unreliable, contact timing usually survives"
        )
    rate_for_quiet = effective if effective is not None else (nominal_rate_hz or 1.0)
    magnitude = quiet_magnitude((ax, ay, az), rate_for_quiet)
    extra["rest_magnitude_g"] = round(magnitude, 4)
    unit_warning = check_gravity(src, magnitude, unit_note=unit)
    if unit_warning:
        messages.append(unit_warning)
    if skips.total:
        detail = "; ".join(f"{reason}: {count}" for reason, count in skips.counts.items())
        messages.append(f"{skips.total} rows skipped ({detail})")
    extra["skipped_rows"] = skips.total
    if skips.counts:
        extra["skipped_by_reason"] = dict(skips.counts)
    extra["source_unit"] = unit
    extra["rows_read"] = int(ax.size)
    extra["warnings"] = messages
    fields = dict(meta or {})
    if nominal_rate_hz is not None:
        fields.setdefault("sample_rate_hz", float(nominal_rate_hz))
    elif effective is not None and effective > 0:
        fields.setdefault("sample_rate_hz", float(effective))
    if range_g is not None:
        fields.setdefault("range_g", float(range_g))
    lost = stats.get("gap_lost_samples", 0)
    if lost and "lost_samples" not in fields:
        fields["lost_samples"] = int(lost)
    fields = {k: v for k, v in fields.items() if v is not None}
    record = RecordingMeta(source_format=fmt, **fields, extra=extra)
    if rows is not None and all(a is r for a, r in zip((ax, ay, az), rows[1:], strict=True)):
        if t is not rows[0]:  # times made apart (given, repaired or rebuilt): copied in
            np.copyto(rows[0], t)
        samples = pd.DataFrame(block.T, columns=_SAMPLE_COLUMNS, copy=False)
    else:
        samples = pd.DataFrame(
            {TIME_COLUMN: t, ACC_COLUMNS[0]: ax, ACC_COLUMNS[1]: ay, ACC_COLUMNS[2]: az},
            copy=False,
        )
    return Recording(samples, record, source=src.name)
