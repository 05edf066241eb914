"""The time base and the raw signal: effective sample rate, gaps, clipping, magnitude.

Everything here is vectorised; nothing loops over samples. The whole-array passes of long
recordings go block by block (each block stays in the CPU cache while it is worked on) and
share the blocks out to a small pool of threads (numpy releases the interpreter lock in its
loops); the results are the same as those of the plain whole-array expressions.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from imu._median import median
from imu.recording import pooled_array

logger = logging.getLogger(__name__)

#: Fraction of the full scale from which a sample counts as clipped.
CLIP_FRACTION = 0.995

#: Largest block of the blocked passes, in samples (a block and its temporaries stay in the
#: CPU cache).
_BLOCK = 1 << 15

#: Steps at the start of a recording whose median sets the provisional gap limit of
#: :func:`_time_base`, and that limit's share of the final one's estimate.
_PROVISIONAL_STEPS = 4096
_PROVISIONAL_SHARE = 0.8

#: Threads for the passes over long recordings.
_WORKERS = max(1, min(2, os.cpu_count() or 1))

#: Recordings shorter than this (samples) are worked on in the calling thread alone.
_PARALLEL_MIN = 1 << 18

_T = TypeVar("_T")


def _in_parallel(tasks: Sequence[Callable[[], _T]]) -> list[_T]:
    """Run tasks on up to :data:`_WORKERS` threads; return their results in task order.

    The calling thread and a pool that lives only as long as the call (no thread outlives
    it) take the tasks one at a time, in order, from a shared counter: a thread that gets
    little CPU time on a busy machine simply runs fewer. An exception of a task is raised
    here (after the other threads have stopped).
    """
    n_threads = min(_WORKERS, len(tasks))
    if n_threads < 2:
        return [task() for task in tasks]
    results: list[_T | None] = [None] * len(tasks)
    counter = iter(range(len(tasks)))
    lock = threading.Lock()

    def run() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            results[i] = tasks[i]()

    with ThreadPoolExecutor(max_workers=n_threads - 1) as pool:
        others = [pool.submit(run) for _ in range(n_threads - 1)]
        try:
            run()
        finally:
            for future in others:
                future.result()
    return results  # type: ignore[return-value]


def _each_block(n_blocks: int, n_samples: int, work: Callable[[int, np.ndarray], None]) -> None:
    """Call ``work(j, buffer)`` for every block number ``j`` in ``0..n_blocks-1``.

    For a long recording the blocks are taken one at a time by :data:`_WORKERS` threads
    (:func:`_in_parallel`), so a thread that gets little CPU time (a busy machine) simply
    does fewer blocks; each thread passes its own float64 ``buffer`` of :data:`_BLOCK`
    values. ``work`` stores its results by block number.
    """
    if n_samples < _PARALLEL_MIN or n_blocks < 2:
        buffer = np.empty(_BLOCK, dtype=np.float64)
        for j in range(n_blocks):
            work(j, buffer)
        return
    buffers = threading.local()

    def task(j: int) -> None:
        if not hasattr(buffers, "value"):
            buffers.value = np.empty(_BLOCK, dtype=np.float64)
        work(j, buffers.value)

    _in_parallel([lambda j=j: task(j) for j in range(n_blocks)])


@dataclass(frozen=True)
class TimeBase:
    """What the timestamps of a recording say about its sampling.

    Parameters
    ----------
    effective_rate_hz : float
        Mean sample rate over the gap-free stretches, in Hz.
    median_period_s : float
        Median time step, in s.
    jitter_ms : float
        Robust spread of the time steps (1.4826 x median absolute deviation), in ms.
    gap_index : numpy.ndarray
        Index ``i`` of every gap: the step from sample ``i`` to ``i + 1`` is a gap.
    lost_samples : int
        Samples missing in the gaps, estimated from their length.
    duration_s : float
        Last time minus first time, in s.
    """

    effective_rate_hz: float
    median_period_s: float
    jitter_ms: float
    gap_index: np.ndarray = field(repr=False)
    lost_samples: int
    duration_s: float

    def gaps_s(self, time_s: np.ndarray) -> list[tuple[float, float]]:
        """Return the gaps as ``(start_s, end_s)`` pairs: the samples either side of each gap."""
        index = np.asarray(self.gap_index, dtype=np.intp)
        t = np.asarray(time_s, dtype=np.float64)
        return list(zip(t[index].tolist(), t[index + 1].tolist(), strict=True))


def time_base(time_s: np.ndarray, *, max_gap_samples: float = 2.5) -> TimeBase:
    """Estimate the real sample rate and find the gaps of a time axis.

    Parameters
    ----------
    time_s : numpy.ndarray
        Strictly increasing sample times, in s.
    max_gap_samples : float
        A step longer than this many median periods is a gap.

    Returns
    -------
    TimeBase
        Effective rate, jitter, gaps and lost samples.

    Raises
    ------
    ValueError
        ``time_s`` has fewer than two samples, is not finite or does not strictly increase,
        or ``max_gap_samples`` is not above 1; a gap too long to count its lost samples
        (more than about 1e308 sample periods: a broken clock).

    Notes
    -----
    The effective rate is the number of steps divided by the time they span, over the steps
    that are not gaps; it follows a device whose clock or real rate differs from the nominal
    one. A gap's lost samples are ``round(step / period) - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.r_[np.arange(100), np.arange(110, 200)] / 100.0
    >>> tb = time_base(t)
    >>> round(tb.effective_rate_hz), tb.lost_samples, tb.gap_index.tolist()
    (100, 10, [99])
    """
    return _time_base(time_s, max_gap_samples=max_gap_samples)


def _time_base(
    time_s: np.ndarray, *, max_gap_samples: float, scratch: np.ndarray | None = None
) -> TimeBase:
    """:func:`time_base`, in one blocked pass over the times without an array of steps.

    The steps are taken block by block, each block's smallest and largest and its steps
    beyond a provisional gap limit while it is in the CPU cache, the blocks shared out to
    threads for a long recording; only when the final limit is below the provisional one
    are the blocks holding a gap looked at again. The steps' sum is the time spanned,
    ``time_s[-1] - time_s[0]``. ``scratch`` is not needed any more and ignored (callers
    that pass it need not change).
    """
    time_s = np.asarray(time_s, dtype=np.float64)
    if time_s.ndim != 1 or len(time_s) < 2:
        raise ValueError(f"`time_s` must be 1-D with at least 2 samples, got shape {time_s.shape}")
    if not max_gap_samples > 1:
        raise ValueError(f"`max_gap_samples` must be greater than 1, got {max_gap_samples!r}")
    n_steps = len(time_s) - 1
    n_blocks = -(-n_steps // _BLOCK)

    # Smallest and largest step of each block (rows 0, 1).
    found = np.empty((2, n_blocks), dtype=np.float64)
    # Medians from at most ~200 000 evenly spread steps (every stride-th: the values of
    # ``time_s[1::stride] - time_s[:-1:stride]``): as good, and fast on long recordings. They
    # are copied out of each block's steps, which saves a second pass over the times (a
    # strided read touches as much memory as a full one).
    stride = max(1, n_steps // 200_000)
    sub = pooled_array(len(range(0, n_steps, stride)))
    # The gaps are sought in the same pass, beyond a provisional limit from the first steps'
    # median (a little below the limit it gives): the steps beyond the final limit are among
    # them whenever the final limit is not below the provisional one, else the blocks are
    # looked at again. (Infinite when the first steps give no positive period, as for times
    # that are not finite or do not increase, refused below: nothing is then kept.)
    first_steps = np.diff(time_s[: _PROVISIONAL_STEPS + 1])
    provisional = _PROVISIONAL_SHARE * max_gap_samples * median(first_steps, overwrite_input=True)
    if not provisional > 0:
        provisional = np.inf
    beyond: list[np.ndarray] = [np.zeros(0, dtype=np.intp)] * n_blocks

    def scan(j: int, buffer: np.ndarray) -> None:
        a, b = j * _BLOCK, min((j + 1) * _BLOCK, n_steps)
        step = np.subtract(time_s[a + 1 : b + 1], time_s[a:b], out=buffer[: b - a])
        found[0, j] = np.minimum.reduce(step)
        found[1, j] = top = np.maximum.reduce(step)
        first = -(-a // stride)  # the first sampled step of the block is first * stride
        sub[first : -(-b // stride)] = step[first * stride - a :: stride]
        if top > provisional:
            beyond[j] = a + np.flatnonzero(step > provisional)

    _each_block(n_blocks, n_steps, scan)
    # The smallest step is NaN when any is (a NaN time makes its steps NaN) and must be
    # positive; the largest must be finite.
    shortest, longest = float(found[0].min()), float(found[1].max())
    if not (shortest > 0 and np.isfinite(longest)):
        raise ValueError("`time_s` must be finite and strictly increasing")
    # (Each median reorders its own array in place, which saves a copy: a median does not
    # depend on the order of the values.)
    period = median(sub, overwrite_input=True)
    limit = max_gap_samples * period
    if longest > limit and provisional <= limit:
        # The gaps are among the steps beyond the provisional limit.
        gap_index = np.concatenate(beyond)
        gap_index = gap_index[time_s[gap_index + 1] - time_s[gap_index] > limit]
    elif longest > limit:
        # Only the blocks whose largest step is a gap are looked at again (shared out to
        # threads too: with steady packet loss, that is every block).
        again = np.flatnonzero(found[1] > limit).tolist()
        parts: list[np.ndarray] = [np.zeros(0, dtype=np.intp)] * len(again)

        def look_again(i: int, buffer: np.ndarray) -> None:
            a, b = again[i] * _BLOCK, min((again[i] + 1) * _BLOCK, n_steps)
            step = np.subtract(time_s[a + 1 : b + 1], time_s[a:b], out=buffer[: b - a])
            parts[i] = a + np.flatnonzero(step > limit)

        _each_block(len(again), len(again) * _BLOCK, look_again)
        gap_index = np.concatenate(parts)
    else:  # no gap
        gap_index = np.zeros(0, dtype=np.intp)
    gap_step = time_s[gap_index + 1] - time_s[gap_index]
    n_regular = n_steps - len(gap_index)
    span = float(time_s[-1] - time_s[0])  # the sum of all the steps
    effective_period = (span - float(gap_step.sum())) / n_regular if n_regular else period
    if not effective_period > 0:
        # A gap so long that the other steps vanish in the difference (a clock that jumps by
        # years): the stretches between the gaps, each measured on its own.
        starts, ends = np.r_[0, gap_index + 1], np.r_[gap_index, n_steps]
        effective_period = float((time_s[ends] - time_s[starts]).sum()) / n_regular
    regular = sub <= limit
    sub = np.compress(regular, sub, out=pooled_array(int(np.count_nonzero(regular))))
    np.subtract(sub, period, out=sub)
    mad = median(np.abs(sub, out=sub), overwrite_input=True) if len(sub) else 0.0
    with np.errstate(over="ignore"):
        periods = gap_step / effective_period
    if not np.isfinite(periods).all():
        raise ValueError(
            f"timestamps out of range: a step of {float(gap_step.max()):.3g} s between times that"
            f" are usually {period:.3g} s apart; expected times of one clock"
        )
    lost = int(np.maximum(np.rint(periods) - 1, 0).sum())
    return TimeBase(
        effective_rate_hz=1.0 / effective_period,
        median_period_s=period,
        jitter_ms=1.4826 * mad * 1e3,
        gap_index=gap_index,
        lost_samples=lost,
        duration_s=float(time_s[-1] - time_s[0]),
    )


def magnitude_g(samples: pd.DataFrame) -> np.ndarray:
    """Return the acceleration magnitude ``sqrt(ax² + ay² + az²)`` of a sample table, in g.

    Parameters
    ----------
    samples : pandas.DataFrame
        Columns ``ax_g``, ``ay_g``, ``az_g`` in g.

    Returns
    -------
    numpy.ndarray
        Magnitude per sample, in g (float64). Independent of how the sensor is mounted.
    """
    return _magnitude_into(samples)


def _magnitude_into(samples: pd.DataFrame, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`magnitude_g`, written into ``out`` (float64, one per sample) when given."""
    return _magnitude_top(samples, out)[0]


def _magnitude_top(
    samples: pd.DataFrame, out: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """:func:`magnitude_g` and its largest value (NaN if any value is NaN).

    Written into ``out`` when it is given, else into memory from pyarrow's pool (reused
    memory: a fresh large array would be faulted in page by page as it is written).
    """
    ax = samples["ax_g"].to_numpy(dtype=np.float64)
    ay = samples["ay_g"].to_numpy(dtype=np.float64)
    az = samples["az_g"].to_numpy(dtype=np.float64)
    n = len(ax)
    if out is None:
        out = pooled_array(n)
    if n == 0:
        return out, float("nan")
    n_blocks = -(-n // _BLOCK)
    top = np.empty(n_blocks, dtype=np.float64)

    def fill(j: int, square: np.ndarray) -> None:
        # Block by block into the one output array, so that each block's squares stay in the
        # CPU cache: the same operations in the same order (the same values) as
        # ``sqrt(ax * ax + ay * ay + az * az)``, with one pass over memory instead of five.
        start, stop = j * _BLOCK, min((j + 1) * _BLOCK, n)
        o, sq = out[start:stop], square[: stop - start]
        # (Values of 1e154 g or more overflow to infinity, quietly: the caller refuses them.)
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(ax[start:stop], ax[start:stop], out=o)
            np.multiply(ay[start:stop], ay[start:stop], out=sq)
            np.add(o, sq, out=o)
            np.multiply(az[start:stop], az[start:stop], out=sq)
            np.add(o, sq, out=o)
            np.sqrt(o, out=o)
        top[j] = np.maximum.reduce(o)

    _each_block(n_blocks, n, fill)
    # (The largest is NaN when any block's is: the maximum propagates NaN.)
    return out, float(np.maximum.reduce(top))


def _at_or_above(values: np.ndarray, level: float) -> np.ndarray:
    """``numpy.flatnonzero(values >= level)``, looking only into blocks that get there.

    A block's largest value is taken first; only the blocks that reach ``level`` are
    compared value by value, so no boolean array of the whole length is made (a fresh large
    array costs a page fault per page). The blocks of a long array are shared out to
    threads (:func:`_each_block`). Meant for a level that few values reach (the full scale of a sensor).
    """
    n = len(values)
    n_blocks = -(-n // _BLOCK)
    found: list[np.ndarray | None] = [None] * n_blocks

    def scan(j: int, _buffer: np.ndarray) -> None:
        block = values[j * _BLOCK : (j + 1) * _BLOCK]
        # (NaN, never at the level, is passed over: fmax, slower than maximum, is needed only
        # when the block holds one.)
        top = np.maximum.reduce(block)
        if top >= level or (top != top and np.fmax.reduce(block) >= level):
            found[j] = j * _BLOCK + np.flatnonzero(block >= level)

    _each_block(n_blocks, n, scan)
    parts = [part for part in found if part is not None]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)


def clipped_samples(
    samples: pd.DataFrame,
    *,
    range_g: float | None = None,
    magnitude: np.ndarray | None = None,
) -> np.ndarray:
    """Mark samples where any axis sits at the sensor's full scale.

    Parameters
    ----------
    samples : pandas.DataFrame
        Columns ``ax_g``, ``ay_g``, ``az_g`` in g.
    range_g : float, optional
        Full scale of the accelerometer, ± g. When not known, an axis is taken as clipped at
        its largest absolute value if that value (at least 4 g) is reached by two or more
        consecutive samples, the flat top a saturated sensor leaves.
    magnitude : numpy.ndarray, optional
        The magnitude of the samples in g (:func:`magnitude_g`), when already computed.

    Returns
    -------
    numpy.ndarray of bool
        True where a sample is clipped.

    Raises
    ------
    ValueError
        ``range_g`` is given and not positive.
    """
    if range_g is not None and not range_g > 0:
        raise ValueError(f"`range_g` must be greater than 0, got {range_g!r}")
    n = len(samples)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    axes = [samples[c].to_numpy(dtype=np.float64) for c in ("ax_g", "ay_g", "az_g")]
    if range_g is not None:
        # An axis at full scale makes the magnitude at least that large: check only there.
        level = CLIP_FRACTION * range_g
        mag = magnitude_g(samples) if magnitude is None else magnitude
        near = _at_or_above(mag, level)
        if len(near):
            hit = np.zeros(len(near), dtype=bool)
            for a in axes:
                hit |= np.abs(a[near]) >= level
            out[near[hit]] = True
        return out
    for a in axes:
        a = np.abs(a)
        top = float(a.max())
        if top < 4.0:
            continue
        at_top = a >= top * (1.0 - 1e-6)
        if (at_top[1:] & at_top[:-1]).any():
            out |= at_top
    return out
