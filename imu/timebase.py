"""Sample times: host-time reconstruction for devices without a clock, loss from device time.

Devices without timestamps (WitMotion, MetaWear streaming, Thingy:52) only tell how many samples
each notification carried. :func:`reconstruct_host_times` fits ``t = t0 + k / f_eff`` to the
host arrival times of the notifications (measuring ``f_eff`` instead of trusting the nominal
rate), finds gaps from steps in the arrival residuals and returns per-sample times.
:func:`device_time_gaps` finds lost samples in a device-timed stream (Polar, Movesense, DIY
``t0``), :func:`sequence_gaps` from packet counters, and :func:`fit_device_clock` maps device
time onto host time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import minimum_filter1d

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostTimebase:
    """Result of :func:`reconstruct_host_times`.

    Attributes
    ----------
    time_s : ndarray, shape (n_samples,)
        Per-sample time in seconds, 0 at the first sample, lost samples leaving gaps.
    sample_index : ndarray of int64, shape (n_samples,)
        Index of each sample on the device's sampling grid (lost samples are skipped indices).
    rate_hz : float
        Effective sample rate measured against the host clock, in Hz.
    drift_ppm : float
        ``(rate_hz / nominal − 1) × 10⁶``.
    start_ns : int
        Host monotonic time of sample 0 on the fitted line, in ns (the earliest-arrival
        envelope, so it includes the radio's minimal latency).
    gaps : list of (float, float)
        ``(start_s, end_s)``: from the first missing sample to the next received one.
    lost_samples : int
        Samples estimated lost in the gaps.
    residual_s : ndarray, shape (n_notifications,)
        Arrival minus fitted time of each notification's last sample, in seconds (≥ 0).
    """

    time_s: np.ndarray
    sample_index: np.ndarray
    rate_hz: float
    drift_ppm: float
    start_ns: int
    gaps: list[tuple[float, float]] = field(default_factory=list)
    lost_samples: int = 0
    residual_s: np.ndarray = field(default_factory=lambda: np.zeros(0))


def lower_envelope_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit the line below every point that minimises the summed vertical distance to them.

    Parameters
    ----------
    x, y : ndarray
        Points with non-decreasing ``x`` (at least two distinct ``x`` values).

    Returns
    -------
    (intercept, slope) : tuple of float

    Notes
    -----
    Delays only ever add to arrival times, so the sampling line is the lower envelope of the
    arrival points. Minimising ``Σ (yᵢ − a − b·xᵢ)`` under ``yᵢ ≥ a + b·xᵢ`` is a linear program
    whose optimum is the edge of the lower convex hull above the mean ``x`` (Moon et al.).

    References
    ----------
    S. B. Moon, P. Skelly, D. Towsley, "Estimation and removal of clock skew from network delay
    measurements", Proc. IEEE INFOCOM 1999, pp. 227-234.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) < 2 or x[-1] == x[0]:
        raise ValueError("the envelope fit needs at least two distinct x values")
    # lowest y for each distinct x, then the lower hull (monotone chain)
    ux, first = np.unique(x, return_index=True)
    uy = np.minimum.reduceat(y, first)
    hull: list[int] = []
    for i in range(len(ux)):
        while len(hull) >= 2:
            o, a = hull[-2], hull[-1]
            cross = (ux[a] - ux[o]) * (uy[i] - uy[o]) - (uy[a] - uy[o]) * (ux[i] - ux[o])
            if cross <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    xm = float(np.mean(x))
    hx = ux[hull]
    j = int(np.clip(np.searchsorted(hx, xm, side="right") - 1, 0, len(hull) - 2))
    p, q = hull[j], hull[j + 1]
    slope = (uy[q] - uy[p]) / (ux[q] - ux[p])
    return float(uy[p] - slope * ux[p]), float(slope)


def _window_mins(r: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (min of r[j-w:j], min of r[j:j+w]) for each j (inf where empty)."""
    n = len(r)
    big = np.inf
    padded = np.concatenate([np.full(w, big), r, np.full(w, big)])
    # minimum over padded[i : i + w] for every i
    m = minimum_filter1d(
        padded, size=w, mode="constant", cval=big, origin=-(w // 2) if w > 1 else 0
    )
    # m[i] = min(padded[i : i + w]) when origin shifts the window start to i
    pre = m[0:n]  # padded[j : j + w] = r[j - w : j]
    post = m[w : w + n]  # padded[j + w : j + 2w] = r[j : j + w]
    return pre, post


def reconstruct_host_times(
    arrival_ns: Sequence[int] | np.ndarray,
    counts: Sequence[int] | np.ndarray,
    *,
    sampling_rate_hz: float,
    window_s: float = 1.0,
    gap_periods: float = 0.6,
    iterations: int = 3,
) -> HostTimebase:
    """Reconstruct per-sample times from notification arrival times.

    Parameters
    ----------
    arrival_ns : sequence of int
        Host monotonic arrival time of each notification, in ns (``time.monotonic_ns()``).
    counts : sequence of int
        Samples carried by each notification.
    sampling_rate_hz : float
        Nominal (configured) sample rate in Hz; the effective rate is measured.
    window_s : float
        Span, in seconds, of the windows whose minimum residual gives the arrival baseline
        before and after each notification (longer than the longest burst).
    gap_periods : float
        A baseline step larger than this many sample periods is a gap.
    iterations : int
        Alternations of line fit and gap detection.

    Returns
    -------
    HostTimebase

    Raises
    ------
    ValueError
        Arguments of different lengths, negative counts, decreasing arrival times or a
        non-positive rate.

    Notes
    -----
    The sampling line is the lower envelope of (sample index of a notification's last sample,
    arrival time), since radio and host delays only add (:func:`lower_envelope_fit`). Bursts
    and jitter raise residuals temporarily; a lost packet raises every later residual. A gap is
    therefore found where the minimum residual of the following window exceeds that of the
    preceding window by more than ``gap_periods`` periods; the step divided by the period is
    the number of samples lost. Loss smaller than ``gap_periods`` periods is not detectable
    from arrival times alone, a loss falling inside a burst longer than ``window_s`` may be
    missed or misplaced, and a loss within the last half window cannot be told from a burst.
    """
    a = np.asarray(arrival_ns, dtype=np.int64)
    c = np.asarray(counts, dtype=np.int64)
    if a.shape != c.shape or a.ndim != 1:
        raise ValueError(
            f"`arrival_ns` and `counts` must be 1-D of equal length, got {a.shape} and {c.shape}"
        )
    if not np.isfinite(sampling_rate_hz) or sampling_rate_hz <= 0:
        raise ValueError(f"`sampling_rate_hz` must be > 0, got {sampling_rate_hz!r}")
    if (c < 0).any():
        raise ValueError("`counts` must be >= 0")
    if (np.diff(a) < 0).any():
        raise ValueError("`arrival_ns` must not decrease")
    keep = c > 0
    a, c = a[keep], c[keep]
    n_samples = int(c.sum())
    if n_samples == 0:
        return HostTimebase(np.zeros(0), np.zeros(0, np.int64), float(sampling_rate_hz), 0.0, 0)
    t = (a - a[0]).astype(np.float64) / 1e9
    last = np.cumsum(c) - 1
    f = float(sampling_rate_hz)
    lost = np.zeros(len(a), dtype=np.int64)  # samples lost just before notification j
    t0 = float(t[0] - last[0] / f)
    for it in range(max(1, iterations)):
        k = last + np.cumsum(lost)
        # first pass: nominal rate (a gap would tilt a fit); steps are local, so a small rate
        # error does not hide them
        if it > 0 and len(a) >= 2 and k[-1] > k[0]:
            t0, slope = lower_envelope_fit(k, t)
            if slope > 0:
                f = 1.0 / slope
        else:
            t0 = float(np.min(t - k / f))
        r = t - (t0 + k / f)
        # window length in notifications: about window_s worth of them, at least 3
        per_s = len(a) / max(t[-1] - t[0], 1e-9)
        w = int(max(3, min(len(a), round(window_s * per_s))))
        pre, post = _window_mins(r, w)
        step = post - pre
        step[0] = 0.0
        # a step needs a full window after it: a burst at the very end looks like a loss
        step[max(1, len(a) - w // 2) :] = 0.0
        new_lost = np.zeros_like(lost)
        above = step > gap_periods / f
        j = 1
        while j < len(a):
            if above[j]:
                start = j
                while j < len(a) and above[j]:
                    j += 1
                # the plateau of the run is the loss; the gap is where the step first reaches
                # it (a late packet just before a gap starts the run early, smaller)
                run = step[start:j]
                size = round(float(np.median(run)) * f)
                if size <= 0:
                    continue
                loc = start + int(np.argmax(run >= (size - 0.5) / f))
                new_lost[loc] = size
            j += 1
        total = lost + new_lost
        if np.array_equal(total, lost) and it > 0:
            break
        lost = total
    if len(a) >= 2:
        k = last + np.cumsum(lost)
        if k[-1] > k[0]:
            t0, slope = lower_envelope_fit(k, t)
            f = 1.0 / slope if slope > 0 else f
    k = last + np.cumsum(lost)
    first_of = k - c + 1  # index of each notification's first sample
    sample_index = np.repeat(first_of, c) + _ramp(c)
    t_abs = t0 + sample_index / f
    origin = t_abs[0]
    time_s = t_abs - origin
    gaps = [
        (float((first_of[j] - lost[j]) / f + t0 - origin), float(first_of[j] / f + t0 - origin))
        for j in np.flatnonzero(lost)
    ]
    residual = t - (t0 + k / f)
    start_ns = int(a[0] + round(origin * 1e9))
    if gaps:
        logger.info("host timebase: %d gap(s), %d sample(s) lost", len(gaps), int(lost.sum()))
    return HostTimebase(
        time_s=time_s,
        sample_index=sample_index - sample_index[0],
        rate_hz=f,
        drift_ppm=(f / sampling_rate_hz - 1.0) * 1e6,
        start_ns=start_ns,
        gaps=gaps,
        lost_samples=int(lost.sum()),
        residual_s=residual,
    )


def _ramp(counts: np.ndarray) -> np.ndarray:
    """Return 0..c-1 for each count, concatenated."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


@dataclass(frozen=True)
class DeviceTimeGaps:
    """Lost samples found in a device-timed stream.

    Attributes
    ----------
    gaps : list of (float, float)
        ``(start_s, end_s)`` in the input's time unit: from the first missing sample to the
        next received one.
    lost_samples : int
        Samples missing in the gaps.
    resets : list of int
        Indices where device time went backwards (clock reset or reordering).
    """

    gaps: list[tuple[float, float]]
    lost_samples: int
    resets: list[int]


def device_time_gaps(
    device_time_s: Sequence[float] | np.ndarray,
    *,
    sampling_rate_hz: float,
    tolerance: float = 0.5,
) -> DeviceTimeGaps:
    """Find lost samples from per-sample device times.

    Parameters
    ----------
    device_time_s : sequence of float
        Per-sample device time in seconds, in arrival order.
    sampling_rate_hz : float
        Nominal rate in Hz.
    tolerance : float
        A step longer than ``1 + tolerance`` periods is a gap.

    Returns
    -------
    DeviceTimeGaps

    Raises
    ------
    ValueError
        A non-positive rate or tolerance.
    """
    if not np.isfinite(sampling_rate_hz) or sampling_rate_hz <= 0:
        raise ValueError(f"`sampling_rate_hz` must be > 0, got {sampling_rate_hz!r}")
    if tolerance <= 0:
        raise ValueError(f"`tolerance` must be > 0, got {tolerance!r}")
    t = np.asarray(device_time_s, dtype=np.float64)
    if len(t) < 2:
        return DeviceTimeGaps([], 0, [])
    period = 1.0 / sampling_rate_hz
    d = np.diff(t)
    resets = [int(i) + 1 for i in np.flatnonzero(d < 0)]
    idx = np.flatnonzero(d > (1.0 + tolerance) * period)
    gaps, lost = [], 0
    for i in idx:
        missing = round(float(d[i]) / period) - 1
        if missing <= 0:
            continue
        lost += missing
        gaps.append((float(t[i] + period), float(t[i + 1])))
    return DeviceTimeGaps(gaps, lost, resets)


def sequence_gaps(sequence: Sequence[int] | np.ndarray, *, modulo: int = 1 << 16) -> np.ndarray:
    """Return the number of packets lost before each packet, from wrapping packet counters.

    Parameters
    ----------
    sequence : sequence of int
        Packet counters in arrival order.
    modulo : int
        Counter wrap (65536 for a uint16).

    Returns
    -------
    ndarray of int64
        0 for the first packet; ``(seq_j − seq_{j−1} − 1) mod modulo`` after it. A repeated
        counter (difference 0) counts as ``modulo − 1`` lost, so check duplicates first.
    """
    s = np.asarray(sequence, dtype=np.int64)
    out = np.zeros(len(s), dtype=np.int64)
    if len(s) > 1:
        out[1:] = (np.diff(s) - 1) % modulo
    return out


def fit_device_clock(
    device_time_s: Sequence[float] | np.ndarray,
    arrival_ns: Sequence[int] | np.ndarray,
) -> tuple[float, float]:
    """Map device time to host time: ``host_s = offset_s + scale × device_time_s``.

    Parameters
    ----------
    device_time_s : sequence of float
        Device time of each notification's last sample, in seconds.
    arrival_ns : sequence of int
        Host monotonic arrival time of each notification, in ns.

    Returns
    -------
    (offset_s, scale) : tuple of float
        ``offset_s`` in host seconds (monotonic clock); ``scale − 1`` is the drift of the device
        clock against the host clock (positive: the device clock runs slow).

    Notes
    -----
    Uses :func:`lower_envelope_fit` (delays only add). Times are taken relative to their first
    values internally to keep float64 precision.
    """
    d = np.asarray(device_time_s, dtype=np.float64)
    a = np.asarray(arrival_ns, dtype=np.int64)
    if d.shape != a.shape or len(d) < 2:
        raise ValueError("need at least two notifications with device time and arrival time")
    order = np.argsort(d, kind="stable")
    d0, a0 = d[order][0], a[0]
    x = d[order] - d0
    y = (a[order] - a0) / 1e9
    b, s = lower_envelope_fit(x, y)
    return float(a0 / 1e9 + b - s * d0), float(s)
