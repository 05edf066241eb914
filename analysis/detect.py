"""Flight detection: impact peaks, landing onsets and take-off edges.

A flight runs from a take-off to the next landing. Every complete ground contact lies between
two consecutive flights, so finding flights precisely is the whole job; contacts, sets and
metrics follow from them (:mod:`analysis.sets`, :mod:`analysis.metrics`).

The detector works on the acceleration magnitude and is vectorised over samples: every step
is a numpy operation on the whole signal or on a (candidates x window) array.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, peak_prominences

from analysis.clean import _PARALLEL_MIN, _in_parallel
from analysis.peak_timing import peak_refined_landings
from analysis.settings import DetectionSettings
from imu.recording import pooled_array

logger = logging.getLogger(__name__)

#: Columns of the flight table returned by :func:`detect_flights`.
FLIGHT_COLUMNS = (
    "takeoff_s",
    "landing_s",
    "impact_peak_g",
    "impact_clipped",
    "flight_min_g",
    "landing_gap",
    "takeoff_gap",
)

#: A step belongs to an edge while it is at least this fraction of the edge's steepest step.
EDGE_FRACTION = 0.3

#: Columns of the table of impact candidates that were not accepted as landings.
CANDIDATE_COLUMNS = ("peak_s", "peak_g", "peak_clipped", "landing_s", "reason")


def _lowest_after(m: np.ndarray, k: np.ndarray, span: int) -> np.ndarray:
    """Return ``min(m[k+1 : k+1+span])`` for sample indices ``k`` of any shape, in g.

    The lowest of the ``span`` samples after each (the last sample repeats past the end of
    the signal).
    """
    last = len(m) - 1
    bottom = m[np.minimum(k + 1, last)]
    for j in range(2, span + 1):
        np.minimum(bottom, m[np.minimum(k + j, last)], out=bottom)
    return bottom


def _scratch(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """Return an uninitialised array from pyarrow's pool (:func:`pooled_array`).

    The windows of thousands of candidates take a few MB each: memory from the pool is
    reused from one array to the next, where a fresh numpy array would be faulted in page
    by page again each time.
    """
    return pooled_array(int(np.prod(shape)), dtype).reshape(shape)


def _gather(m: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Return ``m[idx]`` (indices within ``-len(m)`` to ``len(m) - 1``), in pooled memory."""
    # (mode="wrap" takes such indices as indexing does, without the buffering of "raise")
    return np.take(m, idx, out=_scratch(idx.shape, m.dtype.type), mode="wrap")


def _windows(index: np.ndarray, start: int, stop: int, n: int) -> np.ndarray:
    """Return an (len(index), stop - start) array of sample indices ``index + k``, clipped."""
    k = np.arange(start, stop)
    out = np.add(index[:, None], k[None, :], out=_scratch((len(index), len(k)), np.int64))
    # In place (np.clip allocates and checks more): the same values.
    np.maximum(out, 0, out=out)
    np.minimum(out, n - 1, out=out)
    return out


def _range_min(m: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Return ``min(m[first[i] : last[i] + 1])`` for each ``i`` (inf when ``last < first``).

    Indices beyond the signal are taken as its last sample. One :meth:`numpy.ufunc.reduceat`,
    without a window array: over the ranges' samples laid end to end when they are short
    against the signal, else over the signal.
    """
    return _range_reduce(np.minimum, m, first, last)


def _range_max(m: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Return ``max(m[first[i] : last[i] + 1])`` for each ``i`` (-inf when ``last < first``).

    As :func:`_range_min`.
    """
    return _range_reduce(np.maximum, m, first, last)


def _range_reduce(
    extreme: np.ufunc, m: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """:func:`_range_min` (``numpy.minimum``) or :func:`_range_max` (``numpy.maximum``)."""
    n = len(m)
    first = np.minimum(np.asarray(first, dtype=np.int64), n - 1)
    last = np.minimum(np.asarray(last, dtype=np.int64), n - 1)
    if not len(first):
        return np.zeros(0)
    empty = last < first
    last = np.where(empty, first, last)
    if int((last - first + 1).sum()) < n // 4:
        # Short ranges (flights in a long recording): their samples laid end to end, and
        # one reduceat over them; the cost follows the ranges, not the recording.
        idx, offset = _end_to_end(first, last + 1)
        out = extreme.reduceat(_gather(m, idx), offset)
    else:
        # reduceat over (first, last) pairs: the even results are min(m[first:last])
        # (m[first] when first == last); the sample at `last` is added separately.
        pairs = np.column_stack([first, last]).ravel()
        out = extreme(extreme.reduceat(m, pairs)[::2], m[last])
    out[empty] = np.inf if extreme is np.minimum else -np.inf
    return out


def _end_to_end(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the indices of the ranges ``lo[i]:hi[i]`` laid end to end, and where each starts.

    Every range holds a sample (``hi > lo``). The index array comes from pyarrow's pool; it
    is a running sum of steps of 1 with a jump at each range's start (the values of
    ``concatenate([arange(a, b) ...])``, faster).
    """
    length = hi - lo
    offset = np.r_[0, np.cumsum(length)[:-1]]
    idx = pooled_array(int(length.sum()), np.int64)
    idx.fill(1)
    idx[0] = lo[0]
    idx[offset[1:]] = lo[1:] - hi[:-1] + 1
    np.cumsum(idx, out=idx)
    return idx, offset


class _Walk(NamedTuple):
    """What the walk of :func:`_bound_flights` looks up, once for every candidate."""

    #: Search starts, the first fall at or after each, and the flight-level samples before
    #: each of those: from ``max_flight`` before the candidate (``own``) and from ``guard``
    #: after its peak (``prev``, the search start of the candidates after it).
    own: tuple[list[int], ...]
    prev: tuple[list[int], ...]
    own_start: np.ndarray
    after_peak: np.ndarray
    #: A sample below the stance-check level soon after the candidate's impact.
    stance_bad: list[bool]
    #: Flight-level samples up to each candidate's impact onset.
    lows_to_landing: list[int]
    foot: list[int]


def _bound_flights(
    peaks: np.ndarray,
    foot: np.ndarray,
    ok_onset: np.ndarray,
    q_idx: np.ndarray,
    low_idx: np.ndarray,
    *,
    n: int,
    max_flight: int,
    guard: int,
    need: int,
    stance: int,
    stance_idx: np.ndarray,
    stance_window: tuple[np.ndarray, np.ndarray] | None = None,
    again: tuple[_Walk, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, _Walk]:
    """Walk the impact candidates in order: flight search start and landing verdict of each.

    A flight before candidate ``i`` is sought from ``guard`` samples after the previous
    accepted landing's peak (never inside that contact's impact), at most ``max_flight``
    samples back. The candidate is a landing when it has an impact onset, no sample of
    ``stance_idx`` (below the stance-check level) between ``guard`` and ``stance`` samples
    after its peak (or in ``stance_window``, each candidate's first and last sample of that
    check, where it is given), and at least ``need``
    flight-level samples (``low_idx``) after the first take-off fall (``q_idx``) of the
    search (or after the search start when no fall is found). This is the one loop of the
    detector: over candidates, O(1) each (every lookup is done beforehand, vectorised).

    Returns the search starts, the verdicts and the lookups. ``again`` (those lookups and the
    verdicts of an earlier walk of the same candidates, some of which have since lost their
    onset) walks again only where that can change anything: from the first accepted
    candidate that lost its onset, until the walk is back in the earlier walk's state (the
    same last landing) after the last such candidate. The verdicts are those of a whole walk:
    a candidate's verdict depends only on the last landing before it.
    """
    if again is None:
        w = _walk_lookups(
            peaks,
            foot,
            q_idx,
            low_idx,
            n=n,
            max_flight=max_flight,
            guard=guard,
            stance=stance,
            stance_idx=stance_idx,
            stance_window=stance_window,
        )
        earlier = accept = np.zeros(len(peaks), dtype=bool)
        first, last, settle = 0, -1, len(peaks)
        earlier_last: list[int] = []
    else:
        w, earlier = again
        accept = earlier.copy()
        # Only candidates accepted before and without an onset now change the walk (one
        # without an onset is passed over, as a rejected one was).
        lost = np.flatnonzero(earlier & ~ok_onset)
        if not len(lost):
            return _search_starts(w, accept), accept, w
        first, settle = int(lost[0]), int(lost[-1])
        accept[first:] = False
        accepted = np.flatnonzero(earlier)
        # The earlier walk's last landing before each candidate (-1: none).
        earlier_last = np.r_[-1, accepted][np.searchsorted(accepted, np.arange(len(earlier)))]
        earlier_last = earlier_last.tolist()
        last = earlier_last[first]
    own, prev, foot_list = w.own, w.prev, w.foot
    stance_bad, lows_to_landing = w.stance_bad, w.lows_to_landing
    # Only candidates with an onset can be landings; the others need only their search
    # start, which depends on the landings before them alone (set after the walk).
    for i in (np.flatnonzero(ok_onset[first:]) + first).tolist():
        if i > settle and last == earlier_last[i]:
            # Back in the earlier walk's state: the rest is as it was.
            accept[i:] = earlier[i:]
            break
        ft = foot_list[i]
        by_last = last >= 0 and prev[0][last] > own[0][i]
        src, k = (prev, last) if by_last else (own, i)
        st, kq, low_st, low_q = src[0][k], src[1][k], src[2][k], src[3][k]
        if st >= ft:
            continue
        # A landing starts a contact: no flight-level sample soon after the impact's ringing
        # (limb motion that lifts the magnitude in flight falls back to flight level).
        if stance_bad[i]:
            continue
        low_first = low_q if kq < ft else low_st
        enough = lows_to_landing[i] - low_first >= need
        if not enough and not by_last:
            # No landing bounds the search (e.g. a drop from a box, whose step-off falls
            # slowly): the whole window counts.
            enough = lows_to_landing[i] - low_st >= need
        if enough:
            accept[i] = True
            last = i
    return _search_starts(w, accept), accept, w


def _walk_lookups(
    peaks: np.ndarray,
    foot: np.ndarray,
    q_idx: np.ndarray,
    low_idx: np.ndarray,
    *,
    n: int,
    max_flight: int,
    guard: int,
    stance: int,
    stance_idx: np.ndarray,
    stance_window: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Walk:
    """Everything the walk of :func:`_bound_flights` needs, looked up once for every candidate.

    A search starts either ``max_flight`` before the candidate or ``guard`` after the last
    landing's peak.
    """
    q_idx = np.asarray(q_idx, dtype=np.int64)
    low_idx = np.asarray(low_idx, dtype=np.int64)
    stance_idx = np.asarray(stance_idx, dtype=np.int64)
    if stance > guard:
        first, last = (peaks + guard, peaks + stance) if stance_window is None else stance_window
        stance_bad = (
            np.searchsorted(stance_idx, last, side="right") > np.searchsorted(stance_idx, first)
        ).tolist()
    else:
        stance_bad = [False] * len(peaks)
    own_start = np.clip(foot - max_flight, 0, n - 1)
    after_peak = np.minimum(peaks + guard, n - 1)

    def lookups(search_start: np.ndarray) -> tuple[list[int], ...]:
        """Search starts, the first fall at or after each, flight-level samples before each."""
        kq = _first_at_or_after(q_idx, search_start, n)
        return (
            search_start.tolist(),
            kq.tolist(),
            np.searchsorted(low_idx, search_start).tolist(),
            np.searchsorted(low_idx, kq).tolist(),
        )

    return _Walk(
        own=lookups(own_start),
        prev=lookups(after_peak),
        own_start=own_start,
        after_peak=after_peak,
        stance_bad=stance_bad,
        lows_to_landing=np.searchsorted(low_idx, foot, side="right").tolist(),
        foot=foot.tolist(),
    )


def _stance_window(
    t: np.ndarray, peaks: np.ndarray, gaps: np.ndarray, *, guard: int, stance: int, fs: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """First and last sample of each candidate's stance check, ``guard`` to ``stance`` samples on.

    Where a gap lies in that stretch, its samples lost would move the check later: there the
    check is bounded in time instead (half a sample wider on each side, for the timestamps'
    jitter). None when no candidate has a gap there (the checks are counted in samples).
    """
    if not len(gaps) or not len(peaks):
        return None
    crossed = _crosses_gap(gaps, peaks, peaks + stance)
    if not crossed.any():
        return None
    first, last = peaks + guard, peaks + stance
    at = t[peaks[crossed]]
    first[crossed] = np.searchsorted(t, at + (guard - 0.5) / fs)
    last[crossed] = np.searchsorted(t, at + (stance + 0.5) / fs, side="right") - 1
    return first, last


def _search_starts(w: _Walk, accept: np.ndarray) -> np.ndarray:
    """Each candidate's flight search start, from the landings accepted before it.

    ``guard`` after the last landing's peak before it, when that is later than
    ``max_flight`` before the candidate.
    """
    accepted = np.flatnonzero(accept)
    if not len(accepted):
        return w.own_start.astype(np.int64)
    before = np.searchsorted(accepted, np.arange(len(accept))) - 1
    last_peak = np.where(before >= 0, w.after_peak[accepted[np.maximum(before, 0)]], -1)
    start = np.where((before >= 0) & (last_peak > w.own_start), last_peak, w.own_start)
    return start.astype(np.int64)


def impact_peaks(
    magnitude_g: np.ndarray,
    *,
    height_g: float,
    prominence_g: float,
    distance: int,
    wlen: int | None = None,
    gaps: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Find impact peaks with :func:`scipy.signal.find_peaks`, fast on long recordings.

    The result equals ``find_peaks(magnitude_g, height=height_g, distance=distance,
    prominence=prominence_g, wlen=wlen, plateau_size=1)``, but ``find_peaks`` runs only on the
    stretches within ``distance`` samples of a sample above ``height_g`` (peaks in different
    stretches are always further apart than ``distance``), and the prominence is then measured
    on the whole signal with :func:`scipy.signal.peak_prominences`. A flat top (a clipped
    impact) is reported by its first sample (``left_edges``), never its middle.

    With ``gaps``, a peak before a gap that gave way to a higher one after it is kept when
    the two are ``distance`` sample periods apart in time, the samples lost in the gap
    counted (:func:`_peaks_before_gaps`): a landing's impact before a gap is not lost to the
    heel drop or ringing after it.

    Parameters
    ----------
    magnitude_g : numpy.ndarray
        Acceleration magnitude, in g.
    height_g : float
        Lowest peak, in g.
    prominence_g : float
        Lowest prominence, in g.
    distance : int
        Peaks closer than this many samples keep only the highest.
    wlen : int, optional
        Window for the prominence, in samples.
    gaps : (numpy.ndarray, numpy.ndarray), optional
        The gaps: the sample ``i`` whose step to ``i + 1`` is a gap, increasing, and the
        number of samples lost in it.

    Returns
    -------
    numpy.ndarray of int
        Sample indices of the peaks (first sample of a flat top), increasing.

    Raises
    ------
    ValueError
        ``distance`` is below 1.
    """
    if distance < 1:
        raise ValueError(f"`distance` must be at least 1, got {distance!r}")
    m = np.asarray(magnitude_g, dtype=np.float64)
    n = len(m)
    # (Large scratch arrays come from pyarrow's pool, which keeps freed memory for reuse: a
    # fresh numpy array of this size is faulted in page by page, which costs more than the
    # comparison or the gather itself.)
    hot = np.flatnonzero(np.greater_equal(m, height_g, out=pooled_array(n, np.bool_)))
    if len(hot) == 0:
        return hot
    # Stretches: hot samples closer than 2 * distance share one; each gets `distance` samples
    # of margin on both sides, so stretches laid end to end stay `distance` apart.
    split = np.flatnonzero(np.diff(hot) > 2 * distance) + 1
    first = np.r_[hot[0], hot[split]]
    last = np.r_[hot[split - 1], hot[-1]] if len(split) else np.array([hot[-1]])
    lo = np.maximum(first - distance, 0)
    hi = np.minimum(last + distance + 1, n)
    # The stretches' sample indices, laid end to end.
    idx, offset = _end_to_end(lo, hi)
    values = np.take(m, idx, out=pooled_array(len(idx)), mode="clip")

    def peaks_in(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Peaks and flat-top starts of the stretches laid end to end in ``values[a:b]``."""
        found, props = find_peaks(values[a:b], height=height_g, distance=distance, plateau_size=1)
        return found + a, props["left_edges"] + a

    # The stretches of a long recording in pieces shared out to threads (scipy's loops
    # release the interpreter lock): the pieces meet between two stretches, so they find the
    # same peaks as the whole.
    pieces = _pieces(offset, len(idx))
    found = _in_parallel([lambda a=a, b=b: peaks_in(a, b) for a, b in pieces])
    peaks = np.concatenate([p for p, _ in found])
    left = idx[np.concatenate([e for _, e in found])]
    if len(left) == 0:
        return left
    at = idx[peaks]
    if gaps is not None and len(gaps[0]):
        at, left = _peaks_before_gaps(m, at, left, *gaps, height_g=height_g, distance=distance)
    # Most peaks are plainly prominent; only the others need the prominence search, which
    # walks up to wlen / 2 samples each way from every peak.
    half = int(np.ceil(wlen)) // 2 if wlen is not None and wlen >= 2 else n
    keep = _surely_prominent(m, at, prominence_g=prominence_g, reach=min(_PROMINENCE_REACH, half))
    rest = at[~keep]
    # Each peak's prominence depends on the signal alone: the peaks in pieces too.
    cuts = np.linspace(0, len(rest), len(pieces) + 1).astype(np.int64).tolist()
    with warnings.catch_warnings():
        # (find_peaks' peaks always have a prominence; this only silences edge cases)
        warnings.simplefilter("ignore", RuntimeWarning)
        prom = np.concatenate(
            _in_parallel(
                [
                    lambda a=a, b=b: peak_prominences(m, rest[a:b], wlen=wlen)[0]
                    for a, b in itertools.pairwise(cuts)
                ]
            )
        )
    keep[~keep] = prom >= prominence_g
    return left[keep]


def _peaks_before_gaps(
    m: np.ndarray,
    at: np.ndarray,
    left: np.ndarray,
    gap_at: np.ndarray,
    lost: np.ndarray,
    *,
    height_g: float,
    distance: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Put back the peaks before gaps that gave way to a higher peak after the gap.

    ``find_peaks`` counts ``distance`` in samples. For each gap (after sample ``g``, with
    ``lost`` samples lost in it) followed by a peak ``p`` less than ``distance`` samples
    on, the highest peak ``c`` of ``m`` before ``g`` (a local maximum, at least ``height_g``,
    not the sample next to the gap, whose being a peak depends on what was lost) that
    gave way to ``p`` although ``distance`` sample periods lie between them in time, is
    put back; the peaks found less than ``distance`` samples before it and lower give way
    to it in turn. Returns the peaks (``at``) and their flat tops' first samples (``left``).
    """
    n = len(m)
    # Only the gaps followed by a peak less than `distance` samples on (looked up at once);
    # all of them are then worked on together.
    after = np.searchsorted(at, gap_at, side="right")
    near = after < len(at)
    near[near] = at[after[near]] - gap_at[near] < distance
    near &= gap_at >= 2
    g, k, j = gap_at[near], lost[near], after[near]
    p = at[j]
    # Samples that gave way to p by samples but not in time, before the gap's edge.
    lo = np.maximum(p - distance + 1, 1)
    hi = np.minimum(np.minimum(g - 1, p + k - distance), n - 2)
    ok = hi >= lo
    lo, hi, j, p = lo[ok], hi[ok], j[ok], p[ok]
    if not len(lo):
        return at, left
    # The highest sample of each stretch (the first of equal ones), from a window of its
    # samples padded with -inf (a stretch is shorter than `distance`: p lies after the gap).
    w = lo[:, None] + np.arange(int((hi - lo).max()) + 1)[None, :]
    values = np.where(w <= hi[:, None], m[np.minimum(w, n - 1)], -np.inf)
    c = w[np.arange(len(lo)), np.argmax(values, axis=1)]
    top = m[c]
    keep = (height_g <= top) & (top < m[p]) & (m[c - 1] < top) & (top >= m[c + 1])
    # (A higher peak less than `distance` before it holds it down anyway.)
    before = at[np.maximum(j - 1, 0)]
    keep &= ~((j > 0) & (c - before < distance) & (m[before] >= top))
    c, top = c[keep], top[keep]
    if not len(c):
        return at, left
    # The peaks less than `distance` samples before each one put back, and lower, give way.
    first = np.searchsorted(at, c - distance, side="right")
    count = np.searchsorted(at, c, side="left") - first
    owner = np.repeat(np.arange(len(c)), count)
    which = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + first[owner]
    drop = np.zeros(len(at), dtype=bool)
    drop[which[m[at[which]] < top[owner]]] = True
    new = np.setdiff1d(c.astype(np.int64), at)  # (sorted, once each)
    at = np.r_[at[~drop], new]
    left = np.r_[left[~drop], new]
    order = np.argsort(at, kind="stable")
    return at[order], left[order]


#: Samples looked at on each side of a peak by :func:`_surely_prominent`.
_PROMINENCE_REACH = 16


def _surely_prominent(
    m: np.ndarray, at: np.ndarray, *, prominence_g: float, reach: int
) -> np.ndarray:
    """Whether each peak's prominence is surely at least ``prominence_g`` (False: not known).

    It is when, on each side within ``reach`` samples (no more than the prominence window
    reaches), a sample at least ``prominence_g`` below the peak comes before any sample above
    it: :func:`scipy.signal.peak_prominences` walks past that sample, so the peak's base is
    no higher, and ``peak - base >= prominence_g`` holds as it computes it (a float
    subtraction from the same peak is monotonic in the base).
    """
    n = len(m)
    top = m[at][:, None]
    k = np.arange(1, reach + 1)
    sure = np.ones(len(at), dtype=bool)
    for side in (-k, k):
        w = at[:, None] + side[None, :]
        np.clip(w, 0, n - 1, out=w)  # (the signal's ends bound the search too)
        v = m[w]
        deep = top - v >= prominence_g
        higher = v > top
        first_deep = np.where(deep.any(axis=1), np.argmax(deep, axis=1), reach)
        first_higher = np.where(higher.any(axis=1), np.argmax(higher, axis=1), reach)
        sure &= first_deep < first_higher
    return sure


def _pieces(starts: np.ndarray, total: int, count: int = 8) -> list[tuple[int, int]]:
    """Cut ``0..total`` into up to ``count`` pieces, only at the given piece starts.

    Each cut is a start close to an even share (the first at or after it, else the last);
    one piece for a short total.
    """
    if total < _PARALLEL_MIN or len(starts) < 2:
        return [(0, total)]
    inner = np.asarray(starts[1:])
    goals = np.arange(1, count) * total / count
    near = np.clip(np.searchsorted(inner, goals), 1, len(inner)) - 1
    cuts = np.unique(np.r_[0, inner[near], total]).tolist()
    return list(itertools.pairwise(cuts))


def _first_at_or_after(idx: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    """First element of sorted ``idx`` at or after each of ``at`` (``n`` when none)."""
    if not len(idx):
        return np.full(len(at), n)
    pos = np.searchsorted(idx, at)
    return np.where(pos < len(idx), idx[np.minimum(pos, len(idx) - 1)], n)


def doubled_rows(double: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row positions that repeat each row where ``double`` is True; where its copies are.

    Returns ``rows`` (for ``table.iloc[rows]``) and the positions of the first and second
    copy of each doubled row in it.
    """
    rows = np.repeat(np.arange(len(double)), np.where(double, 2, 1))
    first = np.flatnonzero(np.r_[rows[1:] == rows[:-1], False])
    return rows, first, first + 1


def _crosses_gap(gap_index: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether a gap (step ``i`` to ``i + 1``) lies between samples ``a`` and ``b`` (a <= b)."""
    return np.searchsorted(gap_index, b) > np.searchsorted(gap_index, a)


def _landing_gaps(
    m: np.ndarray,
    low_idx: np.ndarray,
    gap_index: np.ndarray,
    *,
    start: np.ndarray,
    base: np.ndarray,
    peak: np.ndarray,
    fraction: float,
) -> np.ndarray:
    """Mark landings whose impact may have been lost in a gap.

    A landing is marked when a gap lies between the last flight-level sample before it
    (``low_idx``, sorted; the flight search ``start`` when there is none) and its impact
    ``peak``, and either the gap ends inside the rise (after its first sample ``base``) or
    the magnitude between the end of the gap and the rise already reaches ``fraction`` of
    the peak: the signal after the gap is then the decay and ringing of an impact in the
    gap, and the rise found there is not the landing. A gap during the flight, followed by
    flight-level or leg-extension samples well below the impact, leaves the landing timed.
    """
    out = np.zeros(len(peak), dtype=bool)
    if not len(gap_index) or not len(peak):
        return out
    pos = np.searchsorted(low_idx, base, side="right") - 1
    last_low = low_idx[np.maximum(pos, 0)] if len(low_idx) else start
    last_low = np.where((pos >= 0) & (last_low >= start), last_low, start)
    last_low = np.minimum(last_low, peak)
    crossing = np.flatnonzero(_crosses_gap(gap_index, last_low, peak))
    # The last gap before each peak (the one nearest the rise).
    gap_end = gap_index[np.searchsorted(gap_index, peak[crossing]) - 1] + 1
    b = base[crossing]
    inside = gap_end > b
    # (The highest sample from the gap's end to the rise; any value where the gap ends
    # inside the rise, which is marked anyway.)
    top = _range_max(m, gap_end, np.maximum(b, gap_end))
    out[crossing] = inside | (top >= fraction * m[peak[crossing]])
    return out


def _lost_landings(
    t: np.ndarray,
    m: np.ndarray,
    gap_index: np.ndarray,
    q_idx: np.ndarray,
    low_idx: np.ndarray,
    *,
    takeoff: np.ndarray,
    bottom: np.ndarray,
    foot: np.ndarray,
    span: int,
    need: int,
    s: DetectionSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find flights that run over a whole contact whose landing was lost in a gap.

    When the packets holding an impact are lost, the take-off before the gap and the landing
    after the next flight look like the ends of one long flight. The contact shows after the
    gap: the magnitude stays at ground level (never below ``stance_g``) from the end of the
    gap up to a take-off fall (at least ``takeoff_fall_g`` within ``fall_span_ms``, to below
    the take-off bottom level, :meth:`DetectionSettings.takeoff_bottom_at`), after which the
    flight holds at least ``need`` flight-level
    samples (``low_idx``) before the landing's rise (``foot``). The flight before the gap
    must last at least ``min_flight_ms`` up to the end of the gap and at most
    ``max_flight_ms`` up to its start; the two flights and the contact together may be longer
    than ``max_flight_ms`` (``takeoff`` is then the fall timed before the gap).

    Returns, per flight, whether it is split, the take-off after the gap (s, NaN when not
    split) and the sample at the bottom of that take-off's fall.
    """
    k = len(foot)
    split = np.zeros(k, dtype=bool)
    new_takeoff = np.full(k, np.nan)
    new_bottom = np.zeros(k, dtype=np.int64)
    if not len(gap_index) or not k:
        return split, new_takeoff, new_bottom
    have = np.isfinite(takeoff)
    crossing = have & _crosses_gap(gap_index, np.minimum(bottom, foot), foot)
    if not crossing.any():
        return split, new_takeoff, new_bottom
    rows = np.flatnonzero(crossing)
    # The last gap before each landing's rise, and the first sample after it.
    g_last = gap_index[np.searchsorted(gap_index, foot[rows]) - 1]
    g_end = g_last + 1
    pos = np.searchsorted(q_idx, g_end)
    kq = np.where(pos < len(q_idx), q_idx[np.minimum(pos, max(len(q_idx) - 1, 0))], len(m))
    fall = kq < foot[rows]
    rows, g_last, g_end, kq = rows[fall], g_last[fall], g_end[fall], kq[fall]
    if not len(rows):
        return split, new_takeoff, new_bottom
    to, top, bot = _time_fall(t, m, kq, g_end, foot[rows], span=span, s=s)
    ground = _range_min(m, g_end, top) >= s.stance_g
    lows = np.searchsorted(low_idx, foot[rows], side="right") - np.searchsorted(low_idx, bot)
    flight_ms = (t[foot[rows]] - to) * 1e3
    before_ms = (t[g_end] - takeoff[rows]) * 1e3
    ok = (
        ground
        & (top >= g_end)
        & (bot > top)
        & (lows >= need)
        & (flight_ms >= s.min_flight_ms)
        & (before_ms >= s.min_flight_ms)
        & ((t[g_last] - takeoff[rows]) * 1e3 <= s.max_flight_ms)
        & (to > t[g_last])
    )
    split[rows[ok]] = True
    new_takeoff[rows[ok]] = to[ok]
    new_bottom[rows[ok]] = bot[ok]
    return split, new_takeoff, new_bottom


#: A flight found without a push-off's fall must get this low (g). A shoe in free fall reads
#: near 0 g; after a landing a heel-mounted sensor's stance can dip towards 0.3 g (after a
#: heel touch), which must not pass for a flight.
CLEAR_FLIGHT_G = 0.15


def _first_slow_fall(
    m: np.ndarray, a: int, b: int, span: int, fall_g: float, bottom_g: float
) -> int:
    """Find the first fall of ``fall_g`` to below ``bottom_g`` within ``span`` samples.

    Returns the fall's top, the highest sample within ``span`` before the first sample in
    ``(a, b]`` below ``bottom_g`` that lies ``fall_g`` under it (not before ``a``); -1 when
    there is none.
    """
    a = max(a, 0)
    if b - a < 2:
        return -1
    seg = m[a : b + 1]
    below = np.flatnonzero(seg[1:] < bottom_g) + 1
    for j in below.tolist():
        lo = max(j - span, 0)
        top = lo + int(np.argmax(seg[lo:j]))
        if seg[top] - seg[j] >= fall_g:
            return a + top
    return -1


def _flights_into_gaps(
    t: np.ndarray,
    m: np.ndarray,
    gap_index: np.ndarray,
    q_idx: np.ndarray,
    low_idx: np.ndarray,
    *,
    peaks: np.ndarray,
    accept: np.ndarray,
    flight_start: np.ndarray,
    span: int,
    need: int,
    guard: int,
    stance: int,
    s: DetectionSettings,
    slow_span: int,
    bottom_g: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find flights whose landing was lost in a gap with no take-off after it.

    After a landing (an accepted candidate, ``peaks``), a take-off fall (at least
    ``takeoff_fall_g`` within ``fall_span_ms``, to below the take-off bottom level) is followed by
    at least ``need`` flight-level samples (``low_idx``), the last of them at most
    ``landing_lead_ms`` before the gap (leg extension may lift the magnitude before the
    landing) and no impact candidate after it before the gap, and from the end of the gap the magnitude stays at ground level (never
    below ``stance_g``) for ``stance`` samples: the landing was in the gap. This is the end of
    a set (or a rebound jump's final landing); a contact after the gap that ends in a
    take-off is found by :func:`_lost_landings` instead. A gap inside an accepted flight
    (``flight_start`` to the landing's rise) is left alone. The flight must last at least
    ``min_flight_ms`` up to the end of the gap and at most ``max_flight_ms`` up to its start;
    its take-off is the first fall after the landing that can start such a flight, and it
    ends in the first gap it reaches. Where no such fall comes before the gap, a slower one
    is sought (within ``slow_span`` samples, more than ``span``): at least
    ``takeoff_fall_g`` into free fall (below the lower of ``bottom_g`` and
    :data:`CLEAR_FLIGHT_G`). A step off a box falls that way, while a dip of the stance after
    a landing stops short of free fall.

    Returns the take-off (s), the sample at the bottom of its fall and the last sample
    before the gap, one row per flight found.
    """
    none = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    acc = np.flatnonzero(accept)
    if not len(gap_index) or not len(acc):
        return none
    n = len(m)
    g = gap_index[gap_index < n - 1]
    # The last accepted landing before each gap.
    j = np.searchsorted(peaks[acc], g, side="right") - 1
    g, j = g[j >= 0], j[j >= 0]
    # Not inside an accepted flight: the next accepted flight starts after the gap.
    nxt = j + 1
    inside = np.zeros(len(g), dtype=bool)
    has_next = nxt < len(acc)
    inside[has_next] = flight_start[acc[nxt[has_next]]] <= g[has_next]
    g, j = g[~inside], j[~inside]
    if not len(g):
        return none
    st = np.minimum(peaks[acc[j]] + guard, n - 1)
    kq = _first_at_or_after(q_idx, st, n)
    # The take-off is the first fall after that landing that can start a flight lasting at
    # most max_flight_ms up to the gap (less a fall's span, over which it is timed): a rebound
    # jump's drop from a box comes long after the landing before it.
    max_flight_s = s.max_flight_ms / 1e3
    # Where a flight can end in the gap: ground after it, and its last flight-level sample at
    # most landing_lead_ms before it.
    lows_end = np.searchsorted(low_idx, g, side="right")
    last_low = low_idx[np.maximum(lows_end - 1, 0)] if len(low_idx) else g
    ends_here = _range_min(m, g + 1, np.minimum(g + max(stance, 1), n - 1)) >= s.stance_g
    ends_here &= (t[g] - t[last_low]) * 1e3 <= s.landing_lead_ms
    start = st.copy()  # where the fall is sought from
    early = np.flatnonzero((kq < g) & (t[g] - t[np.minimum(kq, n - 1)] > max_flight_s))
    if len(early):
        earliest = np.searchsorted(t, t[g[early]] - max_flight_s) - span
        start[early] = np.maximum(st[early], earliest)
        kq[early] = _first_at_or_after(q_idx, start[early], n)
    # A step off a box falls into flight more slowly than a push-off: where no fall is
    # found before the gap, one within ``slow_span`` samples into free fall (below
    # CLEAR_FLIGHT_G: a dip of the stance after a landing does not get there) is sought,
    # from as early as a flight of max_flight_ms up to the gap can start.
    slow = np.zeros(len(g), dtype=bool)
    # (Only where a flight can end in the gap, with a flight-level sample before it.)
    for r in np.flatnonzero((kq >= g) & ends_here & (lows_end > 0)).tolist():
        a = max(int(start[r]), int(np.searchsorted(t, t[g[r]] - max_flight_s)) - slow_span)
        k = _first_slow_fall(
            m, a, int(g[r]), slow_span, s.takeoff_fall_g, min(bottom_g, CLEAR_FLIGHT_G)
        )
        if k >= 0:
            kq[r], slow[r] = k, True
    ok = kq < g
    g, st, kq, slow = g[ok], st[ok], kq[ok], slow[ok]
    lows_end, last_low, ends_here = lows_end[ok], last_low[ok], ends_here[ok]
    if not len(g):
        return none
    to, top, bot = _time_fall(t, m, kq, st, g + 1, span=span, s=s)
    if slow.any():
        to[slow], top[slow], bot[slow] = _time_fall(
            t, m, kq[slow], st[slow], g[slow] + 1, span=slow_span, s=s
        )
    lows = lows_end - np.searchsorted(low_idx, bot)
    # No impact candidate between the last flight-level sample and the gap: the flight
    # still runs into the gap.
    no_peak = np.searchsorted(peaks, g, side="right") == np.searchsorted(peaks, last_low)
    ok = (
        ends_here
        & (bot > top)
        & (bot <= g)
        & (lows >= need)
        & no_peak
        & ~_crosses_gap(gap_index, top, bot)
        & ((t[g + 1] - to) * 1e3 >= s.min_flight_ms)
        & ((t[g] - to) * 1e3 <= s.max_flight_ms)
    )
    # A flight ends in one gap: the first of those its take-off reaches.
    first = np.zeros(len(ok), dtype=bool)
    first[np.flatnonzero(ok)[np.unique(kq[ok], return_index=True)[1]]] = True
    return to[first], bot[first], g[first]


def _limb_bumps(
    t: np.ndarray,
    peaks: np.ndarray,
    peak_g: np.ndarray,
    foot: np.ndarray,
    accept: np.ndarray,
    low_idx: np.ndarray,
    *,
    within: int,
    within_s: float,
    need: int,
) -> np.ndarray:
    """Mark accepted candidates followed by a stronger impact after a return to flight level.

    A candidate is marked when the next candidate peaks within ``within`` samples and
    ``within_s`` seconds (samples lost in a gap between them count in time), higher, and at
    least ``need`` flight-level samples (``low_idx``) lie between this peak and the next
    one's rise (``foot``): a landing's contact never falls back to flight level that soon,
    limb motion in the flight does.
    """
    out = np.zeros(len(peaks), dtype=bool)
    if len(peaks) < 2:
        return out
    nxt = np.arange(1, len(peaks))
    lows = np.searchsorted(low_idx, foot[nxt], side="right") - np.searchsorted(
        low_idx, peaks[:-1], side="right"
    )
    out[:-1] = (
        accept[:-1]
        & (peaks[nxt] - peaks[:-1] <= within)
        & (t[peaks[nxt]] - t[peaks[:-1]] <= within_s)
        & (peak_g[nxt] > peak_g[:-1])
        & (lows >= need)
    )
    return out


def _cut_by_gap(
    t: np.ndarray,
    m: np.ndarray,
    peaks: np.ndarray,
    before_gap: np.ndarray,
    stance_idx: np.ndarray,
    *,
    within_s: float,
) -> np.ndarray:
    """Mark candidates whose peak a gap may have cut short.

    A peak on the last sample before a gap (``before_gap``), reached by the steepest step of
    its rise, may be the start of an impact that went on rising in the samples lost, so its
    height says nothing of its strength. It must then be followed by a contact: no sample
    below the stance level (``stance_idx``) within ``within_s`` seconds of the gap's end, and
    no higher candidate peaking there (that is the landing, and the cut peak limb motion
    before it).
    """
    out = np.asarray(before_gap, dtype=bool).copy()
    rows = np.flatnonzero(out)
    if not len(rows):
        return out
    p = peaks[rows]
    nxt = peaks[np.minimum(rows + 1, len(peaks) - 1)]
    after_gap = np.minimum(p + 1, len(t) - 1)
    stronger_soon = (rows < len(peaks) - 1) & (t[nxt] - t[after_gap] <= within_s) & (m[nxt] > m[p])
    end = np.searchsorted(t, t[after_gap] + within_s, side="right")
    unloaded = np.searchsorted(stance_idx, end) > np.searchsorted(stance_idx, after_gap)
    out[rows] = ~stronger_soon & ~unloaded
    return out


#: A soft landing (an impact that rises out of flight over several gentle steps) ends a flight
#: that held the magnitude under :data:`UNLOADED_G` for at least this long before its rise, in
#: ms: limb motion that rises as gently comes straight after a push-off or between bumps.
SOFT_LANDING_FLIGHT_MS = 40.0


def _soft_onsets(
    m: np.ndarray,
    peaks: np.ndarray,
    base: np.ndarray,
    step: np.ndarray,
    first: np.ndarray,
    gaps: np.ndarray,
    *,
    onset: np.ndarray,
    flight_g: float,
    held_g: float,
    lead: int,
    stance: int,
) -> np.ndarray:
    """Mark candidates whose impact rises softly out of flight, none of its steps steep.

    A device's low-pass smooths a soft impact at a low rate into a few gentle rising steps.
    Such a rise is a landing's onset when it starts at flight level (below ``flight_g``, at
    the sample ``base``) and every step from there to the peak rises (``step``, the steps of
    each candidate's onset window, the first of the rise at column ``first``, at least two
    steps); the ``lead`` samples before it all lie under :data:`UNLOADED_G` (a flight); and
    the magnitude stays at ``held_g`` or above for the ``stance`` samples after the peak (a
    stance, which limb motion in flight does not hold). No gap may lie in that stretch.
    Candidates that have an ``onset`` already are not looked at (False).
    """
    soft = np.zeros(len(peaks), dtype=bool)
    width = step.shape[1]
    rows = np.flatnonzero(~onset & (m[base] < flight_g) & (first <= width - 2))
    rising = np.all((step[rows] > 0) | (np.arange(width) < first[rows, None]), axis=1)
    rows = rows[rising]
    if not len(rows):
        return soft
    n = len(m)
    b, p = base[rows], peaks[rows]
    lo, hi = np.maximum(b - lead, 0), np.minimum(p + stance, n - 1)
    flight = _range_max(m, lo, np.maximum(b - 1, lo)) < UNLOADED_G
    held = _range_min(m, np.minimum(p + 1, n - 1), hi) >= held_g
    soft[rows] = flight & held & (b > 0) & ~_crosses_gap(gaps, lo, hi)
    return soft


def _weak_impacts(peak_g: np.ndarray, accept: np.ndarray, *, fraction: float) -> np.ndarray:
    """Mark candidates whose peak is below ``fraction`` of the running median accepted impact.

    The running median is over the 9 accepted landings nearest in order.
    """
    weak = np.zeros(len(peak_g), dtype=bool)
    acc = np.flatnonzero(accept)
    if len(acc) < 3:
        return weak
    local = pd.Series(peak_g[acc]).rolling(9, center=True, min_periods=1).median().to_numpy()
    pos = np.clip(np.searchsorted(acc, np.arange(len(peak_g))), 0, len(acc) - 1)
    return peak_g < fraction * local[pos]


def _qualifying_falls(
    m: np.ndarray, *, span: int, fall_g: float, bottom_g: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the samples from which the magnitude falls by ``fall_g`` to below ``bottom_g``.

    The fall must happen within the next ``span`` samples. Also returns the samples below
    ``bottom_g`` and the lowest level each fall reaches. When ``fall_g >= bottom_g`` a falling sample lies outside the stretches
    below ``bottom_g``, so only the ``span`` samples before each stretch are examined.
    """
    n = len(m)
    below = np.flatnonzero(np.less(m, bottom_g, out=pooled_array(n, np.bool_)))
    if not len(below):
        return below, below, m[below]
    if fall_g >= bottom_g:
        # (the steps between them, in pooled memory)
        step = np.subtract(below[1:], below[:-1], out=_scratch((len(below) - 1,), np.int64))
        starts = below[np.r_[True, step > 1]]
        k = (starts[:, None] - np.arange(span, 0, -1)[None, :]).ravel()
        k = np.sort(k[k >= 0], kind="stable")  # nearly sorted already: a merge sort is quick
        k = k[np.r_[True, k[1:] != k[:-1]]] if len(k) else k
    else:
        mark = np.zeros(n, dtype=bool)
        for j in range(1, span + 1):
            idx = below - j
            mark[idx[idx >= 0]] = True
        k = np.flatnonzero(mark)
    bottom = _lowest_after(m, k, span)
    ok = (m[k] - bottom >= fall_g) & (bottom < bottom_g)
    return k[ok], below, bottom[ok]


def _time_fall(
    t: np.ndarray,
    m: np.ndarray,
    kq: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    *,
    span: int,
    s: DetectionSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time the take-off fall found at samples ``kq``; return (takeoff_s, top, bottom).

    The fall's top is the highest sample within ``span`` before ``kq`` (not before
    ``start``), its bottom the lowest within ``span`` after (before ``stop``). The steepest
    falling step between them and the run of falling steps around it (each at least
    :data:`EDGE_FRACTION` of it) give the end of the fall; the take-off is the interpolated
    crossing at ``edge_level`` between the top and that end, plus ``takeoff_offset_ms``.
    """
    n = len(m)
    rows = np.arange(len(kq))
    back = _windows(kq, -span, 1, n)
    top = back[rows, np.argmax(np.where(back >= start[:, None], m[back], -np.inf), axis=1)]
    fwd = _windows(kq, 1, span + 1, n)
    bottom = fwd[rows, np.argmin(np.where(fwd < stop[:, None], m[fwd], np.inf), axis=1)]
    # The samples from the top on, gathered once (tb: all but the last column).
    w50 = _windows(top, 0, 2 * span + 2, n)
    mw = _gather(m, w50)
    tb = w50[:, :-1]
    # m[tb[:, :-1]] - m[tb[:, 1:]], -inf past the bottom
    fall_step = np.subtract(mw[:, :-2], mw[:, 1:-1], out=_scratch((len(kq), 2 * span)))
    fall_step[
        np.greater(tb[:, 1:], bottom[:, None], out=_scratch(fall_step.shape, np.bool_))
    ] = -np.inf
    jf = np.argmax(fall_step, axis=1)
    fk = tb[rows, jf]
    drop_step = m[fk] - m[np.minimum(fk + 1, n - 1)]
    fcol = np.arange(fall_step.shape[1])
    not_falling = (fall_step < EDGE_FRACTION * drop_step[:, None]) & (fcol > jf[:, None])
    j_end = np.where(not_falling.any(axis=1), np.argmax(not_falling, axis=1), fall_step.shape[1])
    fend = tb[rows, j_end]
    level = m[fend] + s.edge_level * (m[top] - m[fend])
    below = (mw <= level[:, None]) & (w50 <= fend[:, None])
    c1 = w50[rows, np.maximum(np.argmax(below, axis=1), 1)]
    c0 = c1 - 1
    frac = np.clip((m[c0] - level) / np.maximum(m[c0] - m[c1], 1e-12), 0.0, 1.0)
    period = np.median(np.diff(t[: min(n, 1001)])) if n > 1 else 0.0
    offset = s.takeoff_offset_ms / 1e3 + s.takeoff_offset_periods * period
    takeoff = t[c0] + frac * (t[c1] - t[c0]) + offset
    return takeoff, top, bottom


def _search_inputs(
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    sampling_rate_hz: float,
    settings: DetectionSettings | None,
    **events: np.ndarray,
) -> tuple[DetectionSettings, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Return the settings, signal and event arrays (float64) of a take-off search, checked.

    Raises
    ------
    ValueError
        The event arrays differ in length or ``sampling_rate_hz`` is not positive.
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in events.values()]
    if any(a.shape != arrays[0].shape for a in arrays):
        names = [f"`{name}`" for name in events]
        raise ValueError(f"{', '.join(names[:-1])} and {names[-1]} must match")
    if not sampling_rate_hz > 0:
        raise ValueError(f"`sampling_rate_hz` must be greater than 0, got {sampling_rate_hz!r}")
    t = np.asarray(time_s, dtype=np.float64)
    m = np.asarray(magnitude_g, dtype=np.float64)
    return settings or DetectionSettings(), t, m, arrays


def retime_takeoffs(
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    *,
    sampling_rate_hz: float,
    landing_s: np.ndarray,
    expected_contact_ms: np.ndarray,
    next_landing_s: np.ndarray,
    tolerance: float = 0.4,
    gap_index: np.ndarray | None = None,
    settings: DetectionSettings | None = None,
) -> np.ndarray:
    """Find take-offs again where the expected contact time says where to look.

    When limb motion lifts the magnitude right after take-off (at low sample rates the dip
    into flight is smoothed away), the first fall into flight can be the end of that lift,
    late in the flight. Knowing the contact time the set's neighbouring hops show, the
    take-off is the fall of the magnitude (at least half ``takeoff_fall_g`` within
    ``fall_span_ms``) nearest to that contact time, within ``tolerance`` of it, timed from
    where it was found (the sample it falls from most): a dip of the stance just before the
    push-off (after a heel touch) is not part of the fall.

    Parameters
    ----------
    time_s, magnitude_g : numpy.ndarray
        The signal (s, g).
    sampling_rate_hz : float
        Effective sample rate, in Hz.
    landing_s : numpy.ndarray
        Landings of the contacts to retime, in s.
    expected_contact_ms : numpy.ndarray
        Expected contact time of each, in ms (e.g. the running median of its set).
    next_landing_s : numpy.ndarray
        The landing that follows each contact (s); the fall is sought before it.
    tolerance : float
        Relative window around the expected contact time.
    gap_index : numpy.ndarray of int, optional
        Gaps (step ``i`` to ``i + 1``); a fall is never timed across one.
    settings : DetectionSettings, optional
        Detector settings (span, edge level, take-off correction).

    Returns
    -------
    numpy.ndarray
        Take-off times in s; NaN where no fall of at least ``takeoff_fall_g`` is found.

    Raises
    ------
    ValueError
        The event arrays differ in length or ``sampling_rate_hz`` is not positive.
    """
    s, t, m, (landing_s, expected, nxt) = _search_inputs(
        time_s,
        magnitude_g,
        sampling_rate_hz,
        settings,
        landing_s=landing_s,
        expected_contact_ms=expected_contact_ms,
        next_landing_s=next_landing_s,
    )
    expected = expected / 1e3
    out = np.full(len(landing_s), np.nan)
    ok = np.isfinite(landing_s) & np.isfinite(expected) & np.isfinite(nxt)
    if not ok.any() or len(t) < 8:
        return out
    ms = sampling_rate_hz / 1e3
    span = max(2, int(np.ceil(s.fall_span_ms * ms)))
    lo = np.searchsorted(t, landing_s[ok] + (1 - tolerance) * expected[ok])
    hi = np.minimum(
        np.searchsorted(t, landing_s[ok] + (1 + tolerance) * expected[ok]),
        np.searchsorted(t, nxt[ok]) - span - 1,
    )
    n = len(m)
    # Candidate falls: local maxima of the fall within one span, of at least half
    # takeoff_fall_g; the one closest to the expected take-off wins. The falls are taken
    # only in the search windows (and one sample either side), not over the whole signal.
    width = int(max(1, (hi - lo).max(initial=1)))
    # The windows and one sample either side (at the signal's ends a sample is its own
    # neighbour, which a local maximum passes as it passes a neighbour beyond the end).
    around = _windows(lo, -1, width + 1, n)
    win = around[:, 1:-1]
    drop = m[around] - _lowest_after(m, around, span)
    here = drop[:, 1:-1]
    candidate = (here >= np.maximum(drop[:, 2:], drop[:, :-2])) & (here >= 0.5 * s.takeoff_fall_g)
    valid = (win < hi[:, None]) & candidate
    target = landing_s[ok] + expected[ok]
    score = np.where(valid, -np.abs(t[win] - target[:, None]), -np.inf)
    kq = win[np.arange(len(lo)), np.argmax(score, axis=1)]
    good = valid.any(axis=1) & (hi > lo)
    stop = np.searchsorted(t, nxt[ok])
    # (Timed from the fall found, not from a higher sample before it: a dip of the stance
    # just before the push-off can fall more steeply than the push-off.)
    takeoff, top, bottom = _time_fall(t, m, kq, kq, stop, span=span, s=s)
    if gap_index is not None and len(gap_index):
        good &= ~_crosses_gap(np.asarray(gap_index, dtype=np.int64), top, bottom)
    out[np.flatnonzero(ok)] = np.where(good, takeoff, np.nan)
    return out


#: The share of ``takeoff_fall_g`` a rebound push-off must fall by when the fall taken for
#: its take-off was the end of limb motion (:func:`takeoffs_before_limb_motion`).
LIMB_MOTION_FALL_SHARE = 0.5
#: ... and its rise this share of :data:`PUSH_OFF_RISE_G`, when the motion holds the
#: magnitude up from its dip to the fall taken.
WEAK_PUSH_OFF_RISE_SHARE = 0.5

#: A push-off rises by at least this much (g) to its peak ...
PUSH_OFF_RISE_G = 0.5
#: ... within this long before the peak, in ms (it lasts the last 30-60 ms of a contact).
PUSH_OFF_MS = 60.0


def _push_off_spans(s: DetectionSettings, sampling_rate_hz: float) -> tuple[int, int]:
    """Return the samples of a take-off fall and of a push-off's rise (span, rise).

    ``fall_span_ms`` and :data:`PUSH_OFF_MS` at ``sampling_rate_hz``, two samples at least.
    """
    ms = sampling_rate_hz / 1e3
    return max(2, int(np.ceil(s.fall_span_ms * ms))), max(2, int(np.ceil(PUSH_OFF_MS * ms)))


def _last_push_off(
    t: np.ndarray,
    m: np.ndarray,
    k: np.ndarray,
    *,
    first: int,
    stop: int,
    span: int,
    rise: int,
    s: DetectionSettings,
    below_g: float = np.inf,
    weak_fall_g: float = np.inf,
    unloaded_before: int = -1,
) -> float:
    """Time the take-off of the last push-off among the samples ``k``; NaN when none is one.

    A push-off peak is at least 1 g, at least :data:`PUSH_OFF_RISE_G` above the lowest of the
    ``rise`` samples before it (none before ``first``) and not below the next sample; the
    magnitude then falls by at least ``takeoff_fall_g`` (to below ``below_g``, when given)
    within the next ``span`` samples, or by at least ``weak_fall_g`` to below
    :data:`UNLOADED_G` (a weak push-off, which needs only :data:`WEAK_PUSH_OFF_RISE_SHARE` of
    the rise when the samples under :data:`UNLOADED_G` after it, up to ``stop``, are one dip
    followed by the magnitude held at or above it). A peak before sample ``unloaded_before``
    must fall to below :data:`UNLOADED_G` either way. ``k + span`` must lie within ``m``, and
    ``k`` before ``stop - 1``. The fall is timed as :func:`detect_flights` times take-offs, its
    top sought from ``first`` on and its bottom before ``stop``.
    """
    top = m[k]
    after = m[k + np.arange(1, span + 1)[:, None]].min(axis=0)
    before = m[np.maximum(k - np.arange(rise + 1)[:, None], first)].min(axis=0)
    below_g = np.where(k < unloaded_before, min(below_g, UNLOADED_G), below_g)
    weak = (top - after >= weak_fall_g) & (after < UNLOADED_G)
    rise_ok = top - before >= PUSH_OFF_RISE_G
    # A weak push-off after which the magnitude, once back at UNLOADED_G, is held up by
    # limb motion to the fall taken needs half the rise: the motion takes over at once.
    # (Only a rise between the two can change the outcome.)
    half = weak & ~rise_ok & (top - before >= WEAK_PUSH_OFF_RISE_SHARE * PUSH_OFF_RISE_G)
    for j in np.flatnonzero(half).tolist():
        up = m[k[j] + 1 : stop] >= UNLOADED_G
        dip = int(np.argmin(up))  # the first sample under UNLOADED_G (none: no dip before stop)
        back = dip + int(np.argmax(up[dip:]))
        rise_ok[j] = not up[dip] and up[back] and up[back:].all()
    push = (
        (top >= m[k + 1])
        & (((top - after >= s.takeoff_fall_g) & (after < below_g)) | weak)
        & rise_ok
        & (top >= 1.0)
    )
    if not push.any():
        return np.nan
    kq = int(k[np.flatnonzero(push)[-1]])
    found, _, _ = _time_fall(
        t, m, np.array([kq]), np.array([max(kq - span, first)]), np.array([stop]), span=span, s=s
    )
    return float(found[0])


def takeoffs_after_stance_dips(
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    *,
    sampling_rate_hz: float,
    takeoff_s: np.ndarray,
    next_landing_s: np.ndarray,
    gap_index: np.ndarray | None = None,
    settings: DetectionSettings | None = None,
) -> np.ndarray:
    """Find the take-off again where the fall taken for it was a dip of the stance.

    A long contact (a rebound jump) can dip mid-stance: the heel drops after a heel touch
    and, at low sample rates, the on-device low-pass turns that into a fall of the take-off
    kind. What follows tells it apart: the magnitude stays above flight level, the foot
    pushes off (a rise of at least :data:`PUSH_OFF_RISE_G` within :data:`PUSH_OFF_MS` to a
    peak of at least 1 g) and only then falls into flight. When such a push-off fall
    (at least ``takeoff_fall_g`` within ``fall_span_ms``, to below the take-off bottom
    level) comes after the take-off found and before the first flight-level sample after
    it, the last one is the take-off, timed as :func:`detect_flights` times take-offs.

    Parameters
    ----------
    time_s, magnitude_g : numpy.ndarray
        The signal (s, g).
    sampling_rate_hz : float
        Effective sample rate, in Hz.
    takeoff_s : numpy.ndarray
        The take-offs found, in s (NaN: none).
    next_landing_s : numpy.ndarray
        The landing after each (s; NaN: unknown, nothing is sought).
    gap_index : numpy.ndarray of int, optional
        Gaps (step ``i`` to ``i + 1``); nothing is sought in a flight with a gap.
    settings : DetectionSettings, optional
        Detector settings.

    Returns
    -------
    numpy.ndarray
        The take-off found again, in s; NaN where the take-off found stands.

    Raises
    ------
    ValueError
        The event arrays differ in length or ``sampling_rate_hz`` is not positive.
    """
    s, t, m, (takeoff, nxt) = _search_inputs(
        time_s,
        magnitude_g,
        sampling_rate_hz,
        settings,
        takeoff_s=takeoff_s,
        next_landing_s=next_landing_s,
    )
    out = np.full(len(takeoff), np.nan)
    n = len(m)
    span, rise = _push_off_spans(s, sampling_rate_hz)
    bottom_g = s.takeoff_bottom_at(sampling_rate_hz)
    gaps = np.zeros(0, dtype=np.int64) if gap_index is None else np.sort(gap_index)
    ok = np.flatnonzero(np.isfinite(takeoff) & np.isfinite(nxt))
    starts = np.searchsorted(t, takeoff[ok])
    ends = np.searchsorted(t, nxt[ok] - s.min_flight_ms / 1e3)
    for i, a, b in zip(ok.tolist(), starts.tolist(), ends.tolist(), strict=True):
        if b <= a + 1 or np.searchsorted(gaps, b) > np.searchsorted(gaps, a):
            continue
        seg = m[a:b]
        low = np.flatnonzero(seg < s.flight_g)
        # Candidates before the first flight-level sample after the take-off found.
        stop = min(int(low[0]) if len(low) else b - a, n - span - 1 - a)
        if stop < 2:
            continue
        out[i] = _last_push_off(
            t,
            m,
            a + np.arange(1, stop),
            first=a,
            stop=b + span,
            span=span,
            rise=rise,
            s=s,
            below_g=bottom_g,
        )
    return out


#: A take-off's fall ends below this, in g, even where the low-pass fills in the dip into a
#: flight that limb motion holds up; a feature of the stance falls back to body weight.
UNLOADED_G = 1.0

#: A fall taken for a take-off comes from a plateau when the magnitude rose by less than this
#: (g) within :data:`PLATEAU_MS` before its top.
PLATEAU_RISE_G = 0.2
#: ... looked at over this long before the top, in ms (two samples at least). Limb motion can
#: hold a flight up for as little as 80 ms after the take-off: looking back as far as a
#: push-off's rise (:data:`PUSH_OFF_MS`) would reach the dip at the take-off.
PLATEAU_MS = 30.0


def takeoffs_before_limb_motion(
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    *,
    sampling_rate_hz: float,
    landing_s: np.ndarray,
    takeoff_s: np.ndarray,
    gap_index: np.ndarray | None = None,
    settings: DetectionSettings | None = None,
    plateau_rise_g: float = PLATEAU_RISE_G,
    plateau_ms: float = PLATEAU_MS,
    push_off_below_g: float = np.inf,
    weak_push_off: bool = False,
) -> np.ndarray:
    """Find the take-off again where the fall taken for it was the end of limb motion.

    Limb motion can hold the magnitude up from the moment of take-off (0.3-2 g for much of a
    flight). At low sample rates the on-device low-pass then fills in the short dip between
    the push-off and that motion, so the push-off's fall does not reach the take-off bottom
    level, and the first fall into flight is the one at the end of the motion, late in the
    flight. The two falls differ in what comes before them: a take-off follows a push-off
    (a rise to a peak, as in :func:`takeoffs_after_stance_dips`), the end of limb motion
    follows a plateau. So when the fall taken for the take-off follows a plateau (a rise of
    less than ``plateau_rise_g`` within ``plateau_ms`` before its top) and the foot
    pushed off earlier in the contact (a rise of at least :data:`PUSH_OFF_RISE_G` within
    :data:`PUSH_OFF_MS` to a peak of at least 1 g, then a fall of at least
    ``takeoff_fall_g`` within ``fall_span_ms``; see also ``weak_push_off``), the last such
    push-off is the take-off, timed as :func:`detect_flights` times take-offs. Push-off
    peaks are sought from ``impact_guard_ms`` after the landing on, their rise counted from
    there (a short contact pushes off before a whole :data:`PUSH_OFF_MS` has passed after
    the guard); one that early must fall to below :data:`UNLOADED_G` (a heel touch early in
    the stance falls back to body weight or above). Nothing is sought in a contact with a
    gap.

    Parameters
    ----------
    time_s, magnitude_g : numpy.ndarray
        The signal (s, g).
    sampling_rate_hz : float
        Effective sample rate, in Hz.
    landing_s, takeoff_s : numpy.ndarray
        Each contact's landing and the take-off found, in s (NaN: none; nothing is sought).
    gap_index : numpy.ndarray of int, optional
        Gaps (step ``i`` to ``i + 1``); nothing is sought in a contact with a gap.
    settings : DetectionSettings, optional
        Detector settings.
    plateau_rise_g : float
        A fall comes from a plateau when the magnitude rose by less than this before its
        top, in g: :data:`PLATEAU_RISE_G` for rebound jumps, whose long stance rises and
        dips; :data:`PUSH_OFF_RISE_G` (no push-off before the fall) for repeated hops.
    plateau_ms : float
        ... within this long before its top, in ms (two samples at least):
        :data:`PLATEAU_MS` for rebound jumps; :data:`PUSH_OFF_MS` (a push-off's own rise)
        for repeated hops: with their looser ``plateau_rise_g`` a short look also passes a
        short hold after a push-off whose fall stops above ``push_off_below_g``, and the
        take-off then goes back to a peak of the stance.
    push_off_below_g : float
        The earlier push-off's fall must end below this, in g (no limit by default; repeated
        hops: :data:`UNLOADED_G`, so that a heel touch mid-stance, which falls back to body
        weight, is not taken for it).
    weak_push_off : bool
        Whether a weak push-off also counts: one whose fall is only
        :data:`LIMB_MOTION_FALL_SHARE` of ``takeoff_fall_g`` but ends below
        :data:`UNLOADED_G` (rebound jumps: such a push-off into a flight held up by limb
        motion falls little before the motion takes over; a bump of the stance falls back to
        body weight or above).

    Returns
    -------
    numpy.ndarray
        The take-off found again, in s; NaN where the take-off found stands.

    Raises
    ------
    ValueError
        The event arrays differ in length or ``sampling_rate_hz`` is not positive.
    """
    s, t, m, (landing, takeoff) = _search_inputs(
        time_s, magnitude_g, sampling_rate_hz, settings, landing_s=landing_s, takeoff_s=takeoff_s
    )
    out = np.full(len(takeoff), np.nan)
    n = len(m)
    ms = sampling_rate_hz / 1e3
    span, rise = _push_off_spans(s, sampling_rate_hz)
    guard = int(np.ceil(s.impact_guard_ms * ms))
    gaps = np.zeros(0, dtype=np.int64) if gap_index is None else np.sort(gap_index)
    ok = np.flatnonzero(np.isfinite(landing) & np.isfinite(takeoff))
    first = np.searchsorted(t, landing[ok]) + guard
    last = np.searchsorted(t, takeoff[ok], side="right") - 1  # the last at or before it
    after = last > first  # (not a take-off before its landing, or before the signal)
    ok, first, last = ok[after], first[after], last[after]
    # The top of the fall taken for each take-off: the highest of the span before it (the
    # first of equal ones), for all of them at once; most stand at the plateau check.
    window = _windows(last, -span, 1, n)
    top = window[np.arange(len(last)), np.argmax(m[window], axis=1)]
    look = (top - rise > first) & (top + span < n)
    hold = max(2, int(np.ceil(plateau_ms * ms)))
    weak_fall_g = LIMB_MOTION_FALL_SHARE * s.takeoff_fall_g if weak_push_off else np.inf
    look &= m[top] - m[_windows(top, -hold, 1, n)].min(axis=1) < plateau_rise_g  # else a push-off
    look &= np.searchsorted(gaps, top + span) == np.searchsorted(gaps, first)  # no gap
    for i, a, fall in zip(ok[look].tolist(), first[look].tolist(), top[look].tolist(), strict=True):
        out[i] = _last_push_off(
            t,
            m,
            np.arange(a + 1, fall - 1),
            first=a,
            stop=fall,
            span=span,
            rise=rise,
            s=s,
            below_g=push_off_below_g,
            weak_fall_g=weak_fall_g,
            unloaded_before=a + rise,
        )
    return out


def _no_flights() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the empty flight and candidate tables of :func:`detect_flights`."""
    empty = pd.DataFrame({c: pd.Series(dtype=float) for c in FLIGHT_COLUMNS}).astype(
        {"impact_clipped": bool, "landing_gap": bool, "takeoff_gap": bool}
    )
    no_rej = pd.DataFrame(
        {
            "peak_s": pd.Series([], dtype=float),
            "peak_g": pd.Series([], dtype=float),
            "peak_clipped": pd.Series([], dtype=bool),
            "landing_s": pd.Series([], dtype=float),
            "reason": pd.Series([], dtype=object),
        }
    )
    return empty, no_rej


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
        the flight (g), ``landing_gap`` whether the landing's impact may have been lost in
        a gap (:func:`_landing_gaps`, or ``landing_s`` NaN when the whole impact was; the
        landing is then not timed), ``takeoff_gap``
        whether the fall into the flight runs across a gap (the take-off, NaN, was lost in
        it).
    rejected : pandas.DataFrame
        Columns :data:`CANDIDATE_COLUMNS`: impact peaks that did not end a flight (time in s,
        magnitude in g, whether clipped), the landing their rise would give (s, step 2; NaN
        without a rise), and why.

    Raises
    ------
    ValueError
        The arrays differ in length or ``sampling_rate_hz`` is not positive.

    Notes
    -----
    1. Impact candidates (:func:`impact_peaks`): :func:`scipy.signal.find_peaks` with
       ``height`` (``impact_min_g``), ``distance`` (``peak_distance_ms``) and ``prominence``
       (``impact_prominence_g``). A flat (clipped) top is referred to by its first sample;
       timing never comes from a clipped top.
    2. Landing: the steepest rising step within 40 ms before the peak (at least
       ``onset_slope_g_per_ms``, or ``onset_step_g`` per sample at low rates) and the run of
       rising steps around it (each at least :data:`EDGE_FRACTION` of it) form the impact's
       edge; the landing is its crossing at ``edge_level`` between the level before the edge
       and the peak, linearly interpolated (the mid-point of the interval on a one-sample
       step), plus ``landing_offset_ms``. Leg extension before landing rises too slowly to
       be part of this edge. A soft impact that rises out of flight in gentle steps only,
       with a flight before it and a stance after it, has an onset too
       (:func:`_soft_onsets`). At sample periods of ``peak_timing_min_period_ms`` and longer,
       accepted landings whose impact rises in a single step to an unclipped peak are then
       refined by the peak's sub-sample vertex
       (:func:`analysis.peak_timing.peak_refined_landings`).
    3. Take-off: the earliest fall of at least ``takeoff_fall_g`` within ``fall_span_ms``
       that ends below ``takeoff_bottom_g`` (``takeoff_bottom_coarse_g`` at low rates,
       :meth:`DetectionSettings.takeoff_bottom_at`), searched from ``impact_guard_ms`` after the
       previous landing's peak (or ``max_flight_ms`` before the landing), timed at its
       ``edge_level`` crossing plus ``takeoff_offset_ms`` and ``takeoff_offset_periods``
       sample periods (:func:`_time_fall`).
    4. Evidence: a landing needs at least ``min_flight_evidence_ms`` (one sample at least)
       below ``flight_g`` in the flight before it and no sample below ``stance_g`` from
       ``impact_guard_ms`` to ``stance_check_ms`` after its peak; candidates whose peak is
       below ``impact_relative_min`` of the running median accepted impact, and those
       followed within ``stance_check_ms`` by a stronger impact after a return to flight
       level (:func:`_limb_bumps`), are dropped and the flights walked again
       (:func:`_bound_flights`). Flight edges come from the impact and the take-off fall,
       never from a free-fall threshold: limb motion can hold the magnitude up for much of
       a flight and leg extension lifts it before landing.
    5. A recording that ends in flight gets a last flight with a take-off and no landing.
    6. A flight that runs over a whole contact whose impact was lost in a gap is split in
       two where the contact shows after the gap (:func:`_lost_landings`): the first ends
       in the gap (``landing_s`` NaN, ``landing_gap`` True).

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
    if n < 8:
        return _no_flights()
    fs = float(sampling_rate_hz)
    ms = fs / 1e3  # samples per ms
    clipped = np.zeros(n, dtype=bool) if clipped is None else np.asarray(clipped, dtype=bool)
    # The gaps (step i -> i+1), sorted; looked up where needed, never as a whole-signal mask.
    gaps = np.zeros(0, dtype=np.int64)
    if gap_index is not None and len(gap_index):
        gaps = np.unique(np.asarray(gap_index, dtype=np.int64))
        gaps = gaps[(gaps >= 0) & (gaps < n)]

    def is_gap(index: np.ndarray) -> np.ndarray:
        """Whether the step from each sample of ``index`` to the next is a gap."""
        if not len(gaps):
            return np.zeros(np.shape(index), dtype=bool)
        pos = np.minimum(np.searchsorted(gaps, index), len(gaps) - 1)
        return gaps[pos] == index

    # 1. Impact peaks; the take-off falls of step 3 and the samples at flight and stance
    #    levels need the magnitude alone and are sought meanwhile in a second thread (a long
    #    recording).
    span = max(2, int(np.ceil(s.fall_span_ms * ms)))
    bottom_g = s.takeoff_bottom_at(fs)

    def falls() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the qualifying falls and the samples below flight_g and below stance_g."""
        q_idx, below, _ = _qualifying_falls(
            m, span=span, fall_g=s.takeoff_fall_g, bottom_g=bottom_g
        )
        below_g = _gather(m, below)

        def under(level: float) -> np.ndarray:
            if level <= bottom_g:
                keep = below_g < level
                return np.compress(keep, below, out=_scratch((np.count_nonzero(keep),), np.int64))
            return np.flatnonzero(np.less(m, level, out=pooled_array(n, np.bool_)))

        return q_idx, under(s.flight_g), under(s.stance_g)

    # Samples lost in each gap (a peak before a gap is apart from one after it in time).
    lost = np.maximum(np.rint((t[np.minimum(gaps + 1, n - 1)] - t[gaps]) * fs) - 1, 0)

    def peaks_found() -> np.ndarray:
        return impact_peaks(
            m,
            height_g=s.impact_min_g,
            prominence_g=s.impact_prominence_g,
            distance=max(1, int(s.peak_distance_ms * ms)),
            wlen=2 * int(np.ceil(s.max_flight_ms * ms)) + 1,
            gaps=(gaps, lost.astype(np.int64)),
        )

    if n >= _PARALLEL_MIN:
        peaks, (q_idx, low_idx, stance_idx) = _in_parallel([peaks_found, falls])
    else:
        peaks, (q_idx, low_idx, stance_idx) = peaks_found(), falls()
    if len(peaks) == 0:
        return _no_flights()
    ref = peaks  # the first sample of a flat (clipped) top, never its middle
    peak_g = m[peaks]
    peak_clipped = clipped[peaks]

    rows = np.arange(len(peaks))
    dt_ms = 1e3 / fs

    # 2. Landing: the impact's rise is the steepest rising step before the peak and the run
    #    of rising steps around it; timed at its half-way crossing.
    w_on = max(3, int(np.ceil(40 * ms)) + 1)
    idx = _windows(ref, -w_on, 1, n)  # columns: ref - w_on ... ref
    seg = _gather(m, idx)
    # step[:, j] = seg[:, j+1] - seg[:, j] (numpy.diff along the rows)
    step = np.subtract(seg[:, 1:], seg[:, :-1], out=_scratch((len(idx), w_on)))
    # Steps across a gap, and repeated samples where a window is cut at the signal's start,
    # are never the rise: looked at only in the windows that hold such a step.
    odd = ref < w_on
    if len(gaps):
        odd |= _crosses_gap(gaps, idx[:, 0], idx[:, -1])
    if odd.any():
        sub = idx[odd]
        bad = is_gap(sub[:, :-1]) | (sub[:, :-1] + 1 != sub[:, 1:])
        step[odd] = np.where(bad, -np.inf, step[odd])
    j_star = np.argmax(step, axis=1)
    ok_onset = step[rows, j_star] >= min(s.onset_slope_g_per_ms * dt_ms, s.onset_step_g)
    ks = idx[rows, j_star]  # the rise's steepest step runs from ks to ks + 1
    ks1 = np.minimum(ks + 1, n - 1)
    rise = m[ks1] - m[ks]
    # Start of the rise: back from the steepest step while steps rise by at least
    # EDGE_FRACTION of it.
    col = np.arange(step.shape[1])
    # The last flat step at or before the steepest (-1 when none): the first True of the
    # reversed row (cheaper than a running maximum along the rows).
    flat = (step < EDGE_FRACTION * rise[:, None]) & (col <= j_star[:, None])
    last_flat = np.where(flat.any(axis=1), col[-1] - np.argmax(flat[:, ::-1], axis=1), -1)
    j0 = np.minimum(last_flat + 1, j_star)
    bi = idx[rows, j0]
    # A soft impact, its rise smoothed by a low-pass, has no steep step.
    ok_onset |= _soft_onsets(
        m,
        ref,
        bi,
        step,
        j0,
        gaps,
        onset=ok_onset,
        flight_g=s.flight_g,
        held_g=s.takeoff_bottom_g,
        lead=int(np.ceil(SOFT_LANDING_FLIGHT_MS * ms)),
        stance=int(np.ceil(s.stance_check_ms * ms)),
    )
    base = m[bi]
    # Half-way crossing between the level before the rise and the peak, interpolated (on a
    # one-sample step this is the mid-point of the bracketing interval).
    level = base + s.edge_level * (m[ref] - base)
    w50 = _windows(bi, 0, w_on + 2, n)
    above = np.greater_equal(_gather(m, w50), level[:, None], out=_scratch(w50.shape, np.bool_))
    above &= np.less_equal(w50, ref[:, None], out=_scratch(w50.shape, np.bool_))
    c1 = w50[rows, np.maximum(np.argmax(above, axis=1), 1)]
    c0 = c1 - 1
    frac = np.clip((level - m[c0]) / np.maximum(m[c1] - m[c0], 1e-12), 0.0, 1.0)
    landing = t[c0] + frac * (t[c1] - t[c0])
    landing = landing + s.landing_offset_ms / 1e3
    foot = ks

    # 3. Take-off: the earliest steep fall into flight after the previous impact: at least
    #    takeoff_fall_g within fall_span_ms, ending below flight_g. A heel-touch spike or
    #    stance wobble falls back to about 1 g, not to flight level; impact ringing is skipped
    #    by impact_guard_ms.
    #    (The falls and the samples at flight and stance levels were found in step 1.)
    guard = int(np.ceil(s.impact_guard_ms * ms))
    max_flight = int(np.ceil(s.max_flight_ms * ms)) + 1
    need = max(1, int(np.floor(s.min_flight_evidence_ms * ms)))
    stance = int(np.floor(s.stance_check_ms * ms))
    bound = {
        "n": n,
        "max_flight": max_flight,
        "guard": guard,
        "need": need,
        "stance": stance,
        "stance_idx": stance_idx,
        "stance_window": _stance_window(t, peaks, gaps, guard=guard, stance=stance, fs=fs),
    }
    start, accept, walk = _bound_flights(peaks, foot, ok_onset, q_idx, low_idx, **bound)
    # A landing's impact stands out among its neighbours' impacts; a weak "impact" between
    # strong ones is limb motion in flight. Drop such candidates and walk the flights again.
    # Limb motion late in a flight can look like an impact; the real impact then follows
    # soon, stronger, after the magnitude has fallen back to flight level. The two peaks lie
    # on the sample grid, up to a sample period further apart than they are: the window is
    # stance_check_ms rounded up to whole samples (a whole number stays as it is, rounding
    # errors aside), and as long in time (half a sample more for the timestamps' jitter): a
    # gap between the peaks must not stretch it.
    bump_samples = int(np.ceil(s.stance_check_ms * ms - 1e-6))
    bump_s = (bump_samples + 0.5) / fs
    weak = _weak_impacts(peak_g, accept, fraction=s.impact_relative_min)
    # (Only a rise still at its steepest when the gap cut it: limb motion rounds off.)
    cut = is_gap(peaks) & (foot == peaks - 1)
    weak &= ~_cut_by_gap(t, m, peaks, cut, stance_idx, within_s=bump_s)
    weak |= _limb_bumps(
        t,
        peaks,
        peak_g,
        foot,
        accept,
        low_idx,
        within=bump_samples,
        within_s=bump_s,
        need=need,
    )
    if (weak & accept).any():
        ok_onset = ok_onset & ~weak
        start, accept, _ = _bound_flights(
            peaks, foot, ok_onset, q_idx, low_idx, **bound, again=(walk, accept)
        )
    kq = _first_at_or_after(q_idx, start, n)
    has_fall = kq < foot
    kq = np.minimum(kq, n - 1)
    takeoff, top, bottom = _time_fall(t, m, kq, start, foot, span=span, s=s)
    gap_in_fall = _crosses_gap(gaps, top, bottom)
    ok_takeoff = has_fall & ~gap_in_fall & (bottom > top)

    # 4. Plausible flight time; a landing needs an onset and a flight before it (checked in
    #    _bound_flights); its take-off is kept only when the fall into the flight was found
    #    (else NaN, e.g. a step off a box).
    flight_ms = (landing - takeoff) * 1e3
    ok_takeoff &= flight_ms >= s.min_flight_ms
    # (A flight too long may run over a contact lost in a gap: split below.)
    takeoff_any = np.where(ok_takeoff, takeoff, np.nan)
    bottom_any = np.where(ok_takeoff, bottom, start)
    ok_takeoff &= flight_ms <= s.max_flight_ms
    accept &= ~is_gap(foot)
    ev_start = start
    takeoff = np.where(ok_takeoff, takeoff, np.nan)
    b = np.where(ok_takeoff, bottom, ev_start)

    # Lowest magnitude within each accepted flight (for the record).
    flight_min = np.full(len(peaks), np.nan)
    if accept.any():
        ia = np.flatnonzero(accept)
        flight_min[ia] = _range_min(m, b[ia], np.minimum(b[ia] + max_flight, foot[ia]))

    # An impact lost in a gap leaves its decay and ringing, whose next bump looks like an
    # impact (tens of ms late). Landings that may be such a bump end their flight (the walk
    # needs them) but are marked, and no contact or set frequency is timed from them.
    landing_gap = _landing_gaps(
        m,
        low_idx,
        gaps,
        start=start,
        base=bi,
        peak=ref,
        fraction=s.gap_level_fraction,
    )

    # At low sample rates the impact peak's sub-sample position refines the landing.
    landing = peak_refined_landings(
        t,
        m,
        landing,
        ref,
        bi,
        usable=accept & ~landing_gap & ~peak_clipped,
        sampling_rate_hz=fs,
        clipped=clipped,
        gap_index=gaps,
        settings=s,
    )

    columns = {
        "takeoff_s": takeoff[accept],
        "landing_s": landing[accept],
        "impact_peak_g": peak_g[accept],
        "impact_clipped": peak_clipped[accept],
        "flight_min_g": flight_min[accept],
        "landing_gap": landing_gap[accept],
        "takeoff_gap": (has_fall & gap_in_fall)[accept],
    }
    # A flight over a whole contact whose landing was lost in a gap: two flights, the first
    # ending in the gap (its landing unknown, NaN), the second from the take-off after it.
    ia = np.flatnonzero(accept)
    split, split_takeoff, split_bottom = _lost_landings(
        t,
        m,
        gaps,
        q_idx,
        low_idx,
        takeoff=takeoff_any[ia],
        bottom=bottom_any[ia],
        foot=foot[ia],
        span=span,
        need=need,
        s=s,
    )
    if split.any():
        # Each split flight's row appears twice: the first copy becomes the flight into the
        # gap, the second the flight after the contact. (Done on the columns: one table is
        # built at the end.)
        rows, first, second = doubled_rows(split)
        js = rows[first]
        columns = {name: values[rows] for name, values in columns.items()}
        columns["takeoff_s"][first] = takeoff_any[ia[js]]
        columns["landing_s"][first] = np.nan
        columns["impact_peak_g"][first] = np.nan
        columns["impact_clipped"][first] = False
        columns["landing_gap"][first] = True
        columns["flight_min_g"][first] = _range_min(m, bottom_any[ia[js]], split_bottom[js])
        columns["takeoff_s"][second] = split_takeoff[js]
        columns["takeoff_gap"][second] = False
        columns["flight_min_g"][second] = _range_min(m, split_bottom[js], foot[ia[js]])
    flights = pd.DataFrame(columns)
    # A flight whose landing was lost in a gap, with no take-off after the gap (the end of a
    # set): a flight without a landing (NaN), marked as ending at a gap.
    into_to, into_bottom, into_gap = _flights_into_gaps(
        t,
        m,
        gaps,
        q_idx,
        low_idx,
        peaks=peaks,
        accept=accept,
        flight_start=b,
        span=span,
        need=need,
        guard=guard,
        stance=bound["stance"],
        s=s,
        slow_span=max(span + 1, int(np.ceil(2 * s.fall_span_ms * ms))),
        bottom_g=bottom_g,
    )
    if len(into_to):
        into = pd.DataFrame(
            {
                "takeoff_s": into_to,
                "landing_s": np.nan,
                "impact_peak_g": np.nan,
                "impact_clipped": False,
                "flight_min_g": _range_min(m, into_bottom, into_gap),
                "landing_gap": True,
                "takeoff_gap": False,
            }
        )
        order = np.argsort(
            np.r_[flights["takeoff_s"].fillna(flights["landing_s"]).to_numpy(), into_to],
            kind="stable",
        )
        flights = pd.concat([flights, into], ignore_index=True).iloc[order]
        flights = flights.reset_index(drop=True)
    # The recording may end in flight: a take-off after the last landing, then flight-level
    # samples to the end. That flight has no landing (NaN).
    if accept.any():
        last = int(np.flatnonzero(accept)[-1])
        st = min(int(peaks[last]) + guard, n - 1)
        pos_end = int(np.searchsorted(q_idx, st))
        kq_end = int(q_idx[pos_end]) if pos_end < len(q_idx) else n
        limit = landing[last] + s.max_flight_ms / 1e3
        if kq_end < n - 1 and t[kq_end] <= limit and t[-1] - t[kq_end] <= s.max_flight_ms / 1e3:
            k_arr = np.array([kq_end])
            to_end, top_end, bottom_end = _time_fall(
                t, m, k_arr, np.array([st]), np.array([n]), span=span, s=s
            )
            tail_low = len(low_idx) - int(np.searchsorted(low_idx, bottom_end[0]))
            if tail_low >= need and not _crosses_gap(gaps, top_end, bottom_end)[0]:
                end_row = pd.DataFrame(
                    {
                        "takeoff_s": to_end,
                        "landing_s": [np.nan],
                        "impact_peak_g": [np.nan],
                        "impact_clipped": [False],
                        "flight_min_g": [float(m[bottom_end[0] :].min())],
                        "landing_gap": [False],
                        "takeoff_gap": [False],
                    }
                )
                flights = pd.concat([flights, end_row], ignore_index=True)
    reason = np.where(
        ~ok_onset,
        "no impact onset",
        "no flight before the impact",
    )
    rejected = pd.DataFrame(
        {
            "peak_s": t[peaks][~accept],
            "peak_g": peak_g[~accept],
            "peak_clipped": peak_clipped[~accept],
            "landing_s": np.where(rise > 0, landing, np.nan)[~accept],
            "reason": reason[~accept],
        }
    )
    return flights, rejected
