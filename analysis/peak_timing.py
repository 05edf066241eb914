"""Landing times refined by the sub-sample position of their impact peak (low sample rates).

At low sample rates an impact often rises from the level before it to its peak in a single
sample step. Its edge then brackets the landing only to that sample interval: timed at the
half-way crossing (the mid-point of the step), the error follows the sampling phase (up to half
a period either way; 9.6 ms at 52 Hz). The peak is sampled too, and after a device's low-pass
the vertex of a parabola through the top sample and its two neighbours moves with that phase.
The delay from touchdown to the peak (the impact's rise, the device's low-pass) depends on the
device, the shoe and the surface, not on the phase; within one recording it is about the same
for every landing. So such a landing is taken as the peak's vertex plus the recording's median
offset between the edge-timed landings and their vertices: the edges keep setting the
recording's timing, the peaks set each landing's phase. An edge of two samples or more is
interpolated between them and is left as it is.
"""

from __future__ import annotations

import numpy as np

from analysis.settings import DetectionSettings


def peak_vertex_s(
    time_s: np.ndarray, magnitude_g: np.ndarray, peak_index: np.ndarray
) -> np.ndarray:
    """Return the time of the vertex of a parabola through each peak and its neighbours.

    Parameters
    ----------
    time_s : numpy.ndarray
        Sample times, strictly increasing, in s.
    magnitude_g : numpy.ndarray
        Acceleration magnitude, in g.
    peak_index : numpy.ndarray of int
        Index of each peak's top sample.

    Returns
    -------
    numpy.ndarray
        Vertex time of each peak, in s: within half a sample step of its top sample, on the
        side of the higher neighbour. NaN for a peak at either end of the signal and for one
        that is not a strict local top (no curvature).
    """
    t = np.asarray(time_s, dtype=np.float64)
    m = np.asarray(magnitude_g, dtype=np.float64)
    p = np.asarray(peak_index, dtype=np.int64)
    n = len(m)
    out = np.full(len(p), np.nan)
    inside = (p >= 1) & (p <= n - 2)
    q = p[inside]
    before, top, after = m[q - 1], m[q], m[q + 1]
    curve = before - 2.0 * top + after
    ok = (curve < 0) & (top >= before) & (top >= after)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.clip(0.5 * (before - after) / np.where(ok, curve, -1.0), -0.5, 0.5)
    # The shift is in sample steps: the one after the top when positive, else the one before.
    step = np.where(shift >= 0, t[np.minimum(q + 1, n - 1)] - t[q], t[q] - t[q - 1])
    out[inside] = np.where(ok, t[q] + shift * step, np.nan)
    return out


def peak_refined_landings(
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    landing_s: np.ndarray,
    peak_index: np.ndarray,
    edge_start_index: np.ndarray,
    *,
    usable: np.ndarray,
    sampling_rate_hz: float,
    clipped: np.ndarray | None = None,
    gap_index: np.ndarray | None = None,
    settings: DetectionSettings | None = None,
) -> np.ndarray:
    """Refine edge-timed landings by the sub-sample position of their impact peaks.

    Parameters
    ----------
    time_s : numpy.ndarray
        Sample times, strictly increasing, in s.
    magnitude_g : numpy.ndarray
        Acceleration magnitude, in g.
    landing_s : numpy.ndarray
        Landings timed from the impact's rising edge, in s (NaN: not timed).
    peak_index : numpy.ndarray of int
        Index of each landing's impact peak (its top sample).
    edge_start_index : numpy.ndarray of int
        Index of the sample where each impact's rising edge starts (the level before it).
        Only landings whose edge is a single step (``peak_index - edge_start_index == 1``)
        are refined and count towards the offset.
    usable : numpy.ndarray of bool
        Landings that may be refined and that count towards the offset (accepted landings
        whose impact was recorded).
    sampling_rate_hz : float
        Effective sample rate, in Hz.
    clipped : numpy.ndarray of bool, optional
        Clipped samples: a peak with a clipped sample among its three is left as it is.
    gap_index : numpy.ndarray of int, optional
        Gaps (the step from sample ``i`` to ``i + 1``): a peak next to a gap is left as it is.
    settings : DetectionSettings, optional
        ``peak_timing_min_period_ms`` (no refinement at shorter sample periods) and
        ``peak_timing_min_landings`` (fewer refinable landings: none is refined).

    Returns
    -------
    numpy.ndarray
        Landing times, in s: a refined landing (single-step edge, unclipped peak away from
        gaps) is its peak's vertex plus the median of (landing - vertex) over the refinable
        landings, kept within half a sample period of the edge-timed landing; the others as
        given.

    Raises
    ------
    ValueError
        The signal arrays differ in length, the landing arrays differ in length, or
        ``sampling_rate_hz`` is not positive.
    """
    s = settings or DetectionSettings()
    t = np.asarray(time_s, dtype=np.float64)
    m = np.asarray(magnitude_g, dtype=np.float64)
    landing = np.array(landing_s, dtype=np.float64)
    p = np.asarray(peak_index, dtype=np.int64)
    start = np.asarray(edge_start_index, dtype=np.int64)
    use = np.asarray(usable, dtype=bool)
    if t.shape != m.shape or t.ndim != 1:
        raise ValueError("`time_s` and `magnitude_g` must be 1-D arrays of the same length")
    if not (landing.shape == p.shape == start.shape == use.shape) or landing.ndim != 1:
        raise ValueError(
            "`landing_s`, `peak_index`, `edge_start_index` and `usable` must have the same length"
        )
    if not sampling_rate_hz > 0:
        raise ValueError(f"`sampling_rate_hz` must be greater than 0, got {sampling_rate_hz!r}")
    n = len(m)
    if 1e3 / sampling_rate_hz < s.peak_timing_min_period_ms or not len(p) or n < 3:
        return landing
    ok = use & np.isfinite(landing) & (p >= 1) & (p <= n - 2) & (p - start == 1)
    q = np.where(ok, p, 1)
    if clipped is not None:
        c = np.asarray(clipped, dtype=bool)
        ok &= ~(c[q - 1] | c[q] | c[q + 1])
    if gap_index is not None and len(gap_index):
        gaps = np.unique(np.asarray(gap_index, dtype=np.int64))
        # A gap at the step into the top (q - 1) or out of it (q).
        ok &= np.searchsorted(gaps, q + 1) == np.searchsorted(gaps, q - 1)
    vertex = np.full(len(p), np.nan)
    vertex[ok] = peak_vertex_s(t, m, p[ok])
    ok &= np.isfinite(vertex)
    if int(ok.sum()) < s.peak_timing_min_landings:
        return landing
    offset = float(np.median(landing[ok] - vertex[ok]))
    half = 0.5 / sampling_rate_hz
    landing[ok] = np.clip(vertex[ok] + offset, landing[ok] - half, landing[ok] + half)
    return landing
