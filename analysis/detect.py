"""Flight detection: impact peaks, landing onsets and take-off edges.

A flight runs from a take-off to the next landing. Every complete ground contact lies between
two consecutive flights, so finding flights precisely is the whole job; contacts, sets and
metrics follow from them (:mod:`analysis.sets`, :mod:`analysis.metrics`).

The detector works on the acceleration magnitude and is vectorised over samples: every step
is a numpy operation on the whole signal or on a (candidates x window) array.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from analysis.settings import DetectionSettings

logger = logging.getLogger(__name__)

#: Columns of the flight table returned by :func:`detect_flights`.
FLIGHT_COLUMNS = (
    "takeoff_s",
    "landing_s",
    "impact_peak_g",
    "impact_clipped",
    "flight_min_g",
)

#: Columns of the table of impact candidates that were not accepted as landings.
CANDIDATE_COLUMNS = ("peak_s", "peak_g", "reason")


def _windows(index: np.ndarray, start: int, stop: int, n: int) -> np.ndarray:
    """Return an (len(index), stop - start) array of sample indices ``index + k``, clipped."""
    k = np.arange(start, stop)
    return np.clip(index[:, None] + k[None, :], 0, n - 1)


def detect_flights(
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    *,
    sampling_rate_hz: float,
    clipped: np.ndarray | None = None,
    gap_index: np.ndarray | None = None,
    settings: DetectionSettings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find every flight (take-off to landing) in an acceleration-magnitude signal.

    Parameters
    ----------
    time_s : numpy.ndarray
        Sample times, strictly increasing, in s.
    magnitude_g : numpy.ndarray
        Acceleration magnitude, in g.
    sampling_rate_hz : float
        Effective sample rate, in Hz (:func:`analysis.clean.time_base`).
    clipped : numpy.ndarray of bool, optional
        Clipped samples; timing is never taken from a clipped flat top.
    gap_index : numpy.ndarray of int, optional
        Gaps: the step from sample ``i`` to ``i + 1`` is a gap. An edge is never timed across
        a gap.
    settings : DetectionSettings, optional
        Detector settings.

    Returns
    -------
    flights : pandas.DataFrame
        Columns :data:`FLIGHT_COLUMNS`, one row per flight, sorted by time: ``takeoff_s`` and
        ``landing_s`` in s, ``impact_peak_g`` the impact after the landing (g),
        ``impact_clipped`` whether it was clipped, ``flight_min_g`` the lowest magnitude in
        the flight (g).
    rejected : pandas.DataFrame
        Columns :data:`CANDIDATE_COLUMNS`: impact peaks that did not end a flight, and why.

    Raises
    ------
    ValueError
        The arrays differ in length or ``sampling_rate_hz`` is not positive.

    Notes
    -----
    1. Impact peaks: :func:`scipy.signal.find_peaks` with ``height``, ``prominence`` and a
       ``distance`` of one period at ``max_hop_hz``. The peak's timing reference is the left
       edge of a flat (clipped) top, never its middle.
    2. Landing: walking back from the peak along the rising edge while each step rises faster
       than ``onset_slope_g_per_ms``, the last sample before the steep rise is the foot. The
       landing lies in the interval after the foot; it is placed by extrapolating the second
       step of the rise back to the foot's level when the rise spans several samples, and at
       the interval's mid-point on a step edge (unbiased when the edge falls anywhere in it).
    3. Take-off: the steepest fall of at least ``takeoff_fall_g`` within ``fall_span_ms``,
       between ``impact_guard_ms`` after the previous impact (or ``max_flight_ms`` before the
       landing) and the landing; placed where the magnitude crosses the middle of that fall
       (linear interpolation; the mid-point of the interval on a one-sample step).
    4. Evidence: the flight must hold at least ``min_flight_evidence_ms`` of samples below
       ``flight_g``. Leg extension before landing and limb motion during flight lift the
       magnitude for part of the flight, which is why flight edges are taken from the impact
       onset and the take-off fall, not from a free-fall threshold.

    Fails when impacts are too soft to stand out from stance (below ``impact_min_g``), when the
    take-off fall is slower than ``fall_span_ms`` or smaller than ``takeoff_fall_g``, and at
    low sample rates for flights shorter than two sample periods.
    """
    s = settings or DetectionSettings()
    t = np.asarray(time_s, dtype=np.float64)
    m = np.asarray(magnitude_g, dtype=np.float64)
    if t.shape != m.shape or t.ndim != 1:
        raise ValueError("`time_s` and `magnitude_g` must be 1-D arrays of the same length")
    if not sampling_rate_hz > 0:
        raise ValueError(f"`sampling_rate_hz` must be greater than 0, got {sampling_rate_hz!r}")
    n = len(m)
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in FLIGHT_COLUMNS}).astype(
        {"impact_clipped": bool}
    )
    no_rej = pd.DataFrame({"peak_s": [], "peak_g": [], "reason": pd.Series([], dtype=object)})
    if n < 8:
        return empty, no_rej
    fs = float(sampling_rate_hz)
    ms = fs / 1e3  # samples per ms
    clipped = np.zeros(n, dtype=bool) if clipped is None else np.asarray(clipped, dtype=bool)
    is_gap = np.zeros(n, dtype=bool)  # is_gap[i]: step i -> i+1 is a gap
    if gap_index is not None and len(gap_index):
        is_gap[np.asarray(gap_index, dtype=np.int64)] = True

    # 1. Impact peaks.
    distance = max(1, int(fs / s.max_hop_hz))
    peaks, props = find_peaks(
        m,
        height=s.impact_min_g,
        prominence=s.impact_prominence_g,
        distance=distance,
        plateau_size=1,
    )
    if len(peaks) == 0:
        return empty, no_rej
    ref = props["left_edges"].astype(np.int64)  # timing reference: left edge of a flat top
    peak_g = m[peaks]
    peak_clipped = clipped[props["left_edges"]] | clipped[props["right_edges"]]

    # 2. Landing onset: walk back from the peak along the steep rise.
    w_on = max(3, int(np.ceil(60 * ms)))
    idx = _windows(ref, -w_on, 1, n)  # columns: ref - w_on ... ref
    seg = m[idx]
    step = np.diff(seg, axis=1)  # step[:, j] = seg[:, j+1] - seg[:, j]
    gap_step = is_gap[idx[:, :-1]]
    dt_ms = 1e3 / fs
    steep = (step >= s.onset_slope_g_per_ms * dt_ms) & ~gap_step
    # Walking back from the peak: the run of steep steps ending at the peak.
    rev = steep[:, ::-1]
    run = np.argmin(rev, axis=1)  # first non-steep step counted from the peak
    run = np.where(rev.all(axis=1), rev.shape[1], run)
    foot_col = w_on - run  # column of the foot sample in the window
    foot = ref - run
    ok_onset = (run >= 1) & (foot >= 0) & (foot + 1 < n)
    foot = np.clip(foot, 0, n - 2)
    t0 = t[foot]
    t1 = t[foot + 1]
    d1 = m[foot + 1] - m[foot]
    d2 = m[np.minimum(foot + 2, n - 1)] - m[foot + 1]
    # Extrapolate the second step back when the rise continues (edge spans several samples).
    multi = (run >= 2) & (d2 > d1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(multi, 1.0 - d1 / d2, 0.5)
    frac = np.clip(frac, 0.0, 1.0)
    landing = t0 + frac * (t1 - t0) + s.landing_offset_ms / 1e3
    ok_onset &= ~is_gap[foot]
    del foot_col

    # 3. Take-off: steepest fall before the landing, after the previous impact.
    span = max(1, round(s.fall_span_ms * ms))
    fall = np.zeros(n)
    fall[:-span] = m[:-span] - m[span:]
    # A fall across a gap is not a fall.
    if is_gap.any():
        gap_cum = np.cumsum(is_gap)
        crosses = np.zeros(n, dtype=bool)
        crosses[:-span] = gap_cum[span - 1 : -1] - np.r_[0, gap_cum[: -span - 1]] > 0
        fall[crosses] = 0.0
    w_fl = int(np.ceil(s.max_flight_ms * ms)) + span + 1
    start = np.empty_like(foot)
    start[0] = foot[0] - w_fl
    guard = int(np.ceil(s.impact_guard_ms * ms))
    # Bound by the previous impact (a peak with a steep onset; slow push-off humps do not count).
    onset_pos = np.where(ok_onset, np.arange(len(peaks)), -1)
    prev_impact = np.r_[-1, np.maximum.accumulate(onset_pos)[:-1]]
    prev_peak = np.where(prev_impact >= 0, peaks[np.maximum(prev_impact, 0)], -(10**9))
    start[1:] = np.maximum(foot[1:] - w_fl, prev_peak[1:] + guard)
    widx = _windows(foot, -w_fl, 0, n)  # columns: foot - w_fl ... foot - 1
    valid = (widx >= start[:, None]) & (widx + span <= foot[:, None])
    wfall = np.where(valid, fall[widx], -np.inf)
    best = np.argmax(wfall, axis=1)
    best_fall = wfall[np.arange(len(foot)), best]
    k = widx[np.arange(len(foot)), best]  # fall from sample k to k + span
    ok_takeoff = best_fall >= s.takeoff_fall_g

    # Refine: crossing of the fall's mid-level inside [k, k + span].
    top = m[k]
    bottom = m[np.minimum(k + span, n - 1)]
    level = 0.5 * (top + bottom)
    fidx = _windows(k, 0, span + 1, n)
    fseg = m[fidx]
    below = fseg < level[:, None]
    first_below = np.argmax(below, axis=1)  # >= 1 since fseg[:, 0] = top > level
    first_below = np.maximum(first_below, 1)
    a = k + first_below - 1
    b = np.minimum(a + 1, n - 1)
    ma, mb = m[a], m[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_to = np.where(ma > mb, (ma - level) / (ma - mb), 0.5)
    one_step = (mb <= bottom + 0.25 * (top - bottom)) & (ma >= top - 0.25 * (top - bottom))
    frac_to = np.where(one_step, 0.5, np.clip(frac_to, 0.0, 1.0))
    takeoff = t[a] + frac_to * (t[b] - t[a]) + s.takeoff_offset_ms / 1e3

    # 4. Flight evidence: time below flight_g between take-off (or the window start) and landing.
    low = np.r_[0, np.cumsum(m < s.flight_g)]
    ev_start = np.where(ok_takeoff, b, np.clip(start, 0, n - 1))
    low_count = low[foot + 1] - low[ev_start]
    need = max(1, int(np.floor(s.min_flight_evidence_ms * ms)))
    flight_ms = (landing - takeoff) * 1e3
    ok_evidence = low_count >= need
    ok_duration = (flight_ms >= s.min_flight_ms) & (flight_ms <= s.max_flight_ms)
    # A landing needs an onset and a flight before it; its take-off is kept only when the
    # take-off fall was found and the flight time is plausible (else NaN: e.g. a step-off).
    accept = ok_onset & ok_evidence
    ok_takeoff &= ok_duration
    takeoff = np.where(ok_takeoff, takeoff, np.nan)
    b = np.where(ok_takeoff, b, ev_start)

    # Lowest magnitude within each accepted flight (for the record).
    flight_min = np.full(len(peaks), np.nan)
    if accept.any():
        ia = np.flatnonzero(accept)
        mins = np.where(valid[ia], m[widx[ia]], np.inf)
        after = widx[ia] >= b[ia, None]
        flight_min[ia] = np.where(after, mins, np.inf).min(axis=1)

    flights = pd.DataFrame(
        {
            "takeoff_s": takeoff[accept],
            "landing_s": landing[accept],
            "impact_peak_g": peak_g[accept],
            "impact_clipped": peak_clipped[accept],
            "flight_min_g": flight_min[accept],
        }
    )
    reason = np.where(
        ~ok_onset,
        "no impact onset",
        "no flight before the impact",
    )
    rejected = pd.DataFrame(
        {"peak_s": t[peaks][~accept], "peak_g": peak_g[~accept], "reason": reason[~accept]}
    )
    return flights, rejected
