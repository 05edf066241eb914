"""The time base and the raw signal: effective sample rate, gaps, clipping, magnitude.

Everything here is vectorised; nothing loops over samples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Fraction of the full scale from which a sample counts as clipped.
CLIP_FRACTION = 0.995

#: Samples per block in :func:`magnitude_g` (a block and its squares stay in the CPU cache).
_BLOCK = 1 << 15


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
        return [(float(time_s[i]), float(time_s[i + 1])) for i in self.gap_index]


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
        or ``max_gap_samples`` is not above 1.

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
    """:func:`time_base`, with the time steps computed into ``scratch`` when it is given.

    ``scratch`` (float64, at least ``len(time_s) - 1`` long) saves a large allocation when
    the caller needs an array of that size next (its content is then overwritten).
    """
    time_s = np.asarray(time_s, dtype=np.float64)
    if time_s.ndim != 1 or len(time_s) < 2:
        raise ValueError(f"`time_s` must be 1-D with at least 2 samples, got shape {time_s.shape}")
    if not max_gap_samples > 1:
        raise ValueError(f"`max_gap_samples` must be greater than 1, got {max_gap_samples!r}")
    if scratch is None:
        step = np.diff(time_s)
    else:
        step = np.subtract(time_s[1:], time_s[:-1], out=scratch[: len(time_s) - 1])
    # Two reductions instead of two boolean arrays: the smallest step is NaN when any is
    # (a NaN time makes its steps NaN) and must be positive; the largest must be finite.
    shortest, longest = float(step.min()), float(step.max())
    if not (shortest > 0 and np.isfinite(longest)):
        raise ValueError("`time_s` must be finite and strictly increasing")
    # Medians from at most ~200 000 evenly spread steps: as good, and fast on long recordings.
    sub = step[:: max(1, len(step) // 200_000)]
    period = float(np.median(sub))
    if longest > max_gap_samples * period:
        gap_index = np.flatnonzero(step > max_gap_samples * period)
    else:  # no gap: no full pass to look for one
        gap_index = np.zeros(0, dtype=np.intp)
    n_regular = len(step) - len(gap_index)
    effective_period = (
        float(step.sum() - step[gap_index].sum()) / n_regular if n_regular else period
    )
    sub = sub[sub <= max_gap_samples * period]
    mad = float(np.median(np.abs(sub - period))) if len(sub) else 0.0
    lost = int(np.maximum(np.rint(step[gap_index] / effective_period) - 1, 0).sum())
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
    ax = samples["ax_g"].to_numpy(dtype=np.float64)
    ay = samples["ay_g"].to_numpy(dtype=np.float64)
    az = samples["az_g"].to_numpy(dtype=np.float64)
    n = len(ax)
    if out is None:
        out = np.empty(n, dtype=np.float64)
    # Block by block into the one output array, so that each block's squares stay in the
    # CPU cache: the same operations in the same order (the same values) as
    # ``sqrt(ax * ax + ay * ay + az * az)``, with one pass over memory instead of five.
    square = np.empty(min(n, _BLOCK), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        o, sq = out[start:stop], square[: stop - start]
        np.multiply(ax[start:stop], ax[start:stop], out=o)
        np.multiply(ay[start:stop], ay[start:stop], out=sq)
        np.add(o, sq, out=o)
        np.multiply(az[start:stop], az[start:stop], out=sq)
        np.add(o, sq, out=o)
        np.sqrt(o, out=o)
    return out


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
        near = np.flatnonzero(mag >= level)
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
