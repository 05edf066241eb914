"""Compare detected hops with a reference: one-to-one matching, agreement and detection scores.

These are the pieces of a validation study: pair each detected contact with the reference
contact it measures (:func:`match_landings`, :func:`compare_hops`), summarise the differences
the way Bland and Altman do (:func:`agreement`), and count what was found and missed
(:func:`detection_scores`). The reference can be the exact truth of a simulated session
(:mod:`imu.simulate`) or another instrument (a force plate, an optical system) exported to a
table with ``landing_s``, ``takeoff_s``, ``contact_ms`` and ``flight_ms`` on the same time axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "HopComparison",
    "agreement",
    "compare_hops",
    "detection_scores",
    "match_hops",
    "match_landings",
]

#: Largest landing time difference, in s, at which a detected contact still counts as the
#: measurement of a reference contact. Well under half the shortest hop period (about 250 ms at
#: 4 Hz), so a contact cannot be paired with its neighbour.
DEFAULT_TOLERANCE_S = 0.05

_REQUIRED = ("landing_s", "takeoff_s", "contact_ms", "flight_ms")


def _times(name: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"`{name}` must hold finite times only")
    return arr


def match_landings(
    reference_s: Sequence[float] | np.ndarray,
    detected_s: Sequence[float] | np.ndarray,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair reference and detected event times one to one, closest pairs first.

    Parameters
    ----------
    reference_s : sequence of float
        Reference event times (e.g. true landings), in s. Any order.
    detected_s : sequence of float
        Detected event times on the same time axis, in s. Any order.
    tolerance_s : float
        Largest time difference of a pair, in s (> 0).

    Returns
    -------
    reference_index, detected_index : numpy.ndarray of int
        Positions (into the inputs) of the matched pairs, sorted by reference position. Each
        reference and each detection appears at most once.

    Raises
    ------
    ValueError
        ``tolerance_s`` is not a positive number, or a time is not finite.

    Notes
    -----
    Every pair closer than ``tolerance_s`` is a candidate; candidates are accepted in order of
    increasing distance, skipping any whose reference or detection is already taken (greedy
    matching on distance). With a tolerance below half the shortest interval between events,
    as here, this gives the same pairs as an optimal assignment.
    """
    if not (isinstance(tolerance_s, (int, float)) and math.isfinite(tolerance_s)) or not (
        tolerance_s > 0
    ):
        raise ValueError(f"`tolerance_s` must be a positive number, got {tolerance_s!r}")
    ref = _times("reference_s", reference_s)
    det = _times("detected_s", detected_s)
    empty = np.zeros(0, dtype=np.int64)
    if len(ref) == 0 or len(det) == 0:
        return empty, empty.copy()
    order = np.argsort(det, kind="stable")
    det_sorted = det[order]
    lo = np.searchsorted(det_sorted, ref - tolerance_s, side="left")
    hi = np.searchsorted(det_sorted, ref + tolerance_s, side="right")
    counts = hi - lo
    ref_idx = np.repeat(np.arange(len(ref)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    det_pos = np.repeat(lo, counts) + offsets
    dist = np.abs(det_sorted[det_pos] - ref[ref_idx])
    used_ref = np.zeros(len(ref), dtype=bool)
    used_det = np.zeros(len(det), dtype=bool)
    pairs = []
    for k in np.argsort(dist, kind="stable"):
        r, d = ref_idx[k], det_pos[k]
        if used_ref[r] or used_det[d]:
            continue
        used_ref[r] = used_det[d] = True
        pairs.append((r, order[d]))
    if not pairs:
        return empty, empty.copy()
    pairs.sort()
    out = np.asarray(pairs, dtype=np.int64)
    return out[:, 0], out[:, 1]


def match_hops(
    reference: pd.DataFrame,
    detected: pd.DataFrame,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair reference and detected contacts one to one, by landing, else by take-off.

    Contacts whose landings are both known are paired by landing (:func:`match_landings`).
    A detected contact whose landing was lost in a gap of the data (``landing_s`` NaN, see
    ``edge_lost`` in :data:`analysis.result.HOP_COLUMNS`) is then paired by take-off with
    a reference contact not yet taken.

    Parameters
    ----------
    reference, detected : pandas.DataFrame
        Contacts with ``landing_s`` and ``takeoff_s`` (s) on the same time axis. A
        reference row needs a finite landing; a detected row a finite landing or take-off.
    tolerance_s : float
        Largest time difference of a pair, in s (> 0).

    Returns
    -------
    reference_index, detected_index : numpy.ndarray of int
        Row positions of the matched pairs, sorted by reference position.

    Raises
    ------
    ValueError
        ``tolerance_s`` is not positive, a reference landing is not finite, or a detected
        contact has neither a finite landing nor a finite take-off.
    """
    ref_land = _times("reference landing_s", reference["landing_s"].to_numpy())
    det_land = np.asarray(detected["landing_s"].to_numpy(), dtype=float)
    det_take = np.asarray(detected["takeoff_s"].to_numpy(), dtype=float)
    by_landing = np.flatnonzero(np.isfinite(det_land))
    by_takeoff = np.flatnonzero(~np.isfinite(det_land))
    if not np.isfinite(det_take[by_takeoff]).all():
        raise ValueError("every detected contact needs a finite landing_s or takeoff_s")
    ri, di = match_landings(ref_land, det_land[by_landing], tolerance_s=tolerance_s)
    di = by_landing[di]
    if len(by_takeoff):
        free = np.setdiff1d(np.arange(len(reference)), ri)
        ref_take = np.asarray(reference["takeoff_s"].to_numpy(), dtype=float)[free]
        ok = np.isfinite(ref_take)
        rj, dj = match_landings(ref_take[ok], det_take[by_takeoff], tolerance_s=tolerance_s)
        ri = np.r_[ri, free[ok][rj]]
        di = np.r_[di, by_takeoff[dj]]
        order = np.argsort(ri, kind="stable")
        ri, di = ri[order], di[order]
    return ri.astype(np.int64), di.astype(np.int64)


def detection_scores(n_reference: int, n_detected: int, n_matched: int) -> dict[str, float]:
    """Return hop detection sensitivity and precision.

    Parameters
    ----------
    n_reference : int
        Reference contacts (true hops).
    n_detected : int
        Detected contacts.
    n_matched : int
        Matched pairs (at most both counts).

    Returns
    -------
    dict
        ``sensitivity`` = matched / reference (share of true hops found) and ``precision`` =
        matched / detected (share of detections that are real hops), both 0-1; NaN when the
        denominator is 0. Also ``missed`` (reference − matched) and ``extra`` (detected −
        matched).

    Raises
    ------
    ValueError
        A count is negative or not whole, or ``n_matched`` exceeds either count.
    """
    for name, value in (
        ("n_reference", n_reference),
        ("n_detected", n_detected),
        ("n_matched", n_matched),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative whole number, got {value!r}")
    if n_matched > min(n_reference, n_detected):
        raise ValueError(
            f"`n_matched` ({n_matched}) cannot exceed `n_reference` ({n_reference}) "
            f"or `n_detected` ({n_detected})"
        )
    return {
        "sensitivity": n_matched / n_reference if n_reference else math.nan,
        "precision": n_matched / n_detected if n_detected else math.nan,
        "missed": int(n_reference - n_matched),
        "extra": int(n_detected - n_matched),
    }


def agreement(
    measured: Sequence[float] | np.ndarray | pd.Series,
    reference: Sequence[float] | np.ndarray | pd.Series,
) -> dict[str, float]:
    """Bland-Altman agreement of paired measurements with a reference.

    Parameters
    ----------
    measured : sequence of float
        Values of the method under test (e.g. detected contact times, ms).
    reference : sequence of float
        Paired reference values, same length and unit. Pairs with a NaN on either side are
        left out.

    Returns
    -------
    dict
        ``n`` (pairs used), ``bias`` (mean of measured − reference), ``sd`` (sample standard
        deviation of the differences), ``loa_low`` and ``loa_high`` (95 % limits of
        agreement, bias ∓ 1.96 SD), ``mae`` (mean absolute difference), ``median`` and
        ``iqr`` (median and interquartile range of the differences), all in the unit of the
        inputs. NaN where fewer pairs than needed (1 for bias, 2 for SD).

    Raises
    ------
    ValueError
        The inputs differ in length or are not one-dimensional.

    Notes
    -----
    The limits of agreement assume roughly normal differences whose spread does not change
    with the size of the measurement; a Bland-Altman plot (difference against the mean of the
    two methods) shows whether that holds. ``median`` and ``iqr`` are given for comparison
    with studies that report those instead.

    References
    ----------
    Bland JM, Altman DG (1986). Statistical methods for assessing agreement between two methods
    of clinical measurement. Lancet 327(8476):307-310.
    """
    m = np.asarray(measured, dtype=float)
    r = np.asarray(reference, dtype=float)
    if m.ndim != 1 or r.ndim != 1:
        raise ValueError("`measured` and `reference` must be one-dimensional")
    if m.shape != r.shape:
        raise ValueError(
            f"`measured` and `reference` must have the same length, got {len(m)} and {len(r)}"
        )
    d = (m - r)[np.isfinite(m) & np.isfinite(r)]
    n = len(d)
    bias = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    if n:
        q1, med, q3 = (float(v) for v in np.percentile(d, [25, 50, 75]))
    else:
        q1 = med = q3 = math.nan
    return {
        "n": n,
        "bias": bias,
        "sd": sd,
        "loa_low": bias - 1.96 * sd,
        "loa_high": bias + 1.96 * sd,
        "mae": float(np.abs(d).mean()) if n else math.nan,
        "median": med,
        "iqr": q3 - q1,
    }


@dataclass(frozen=True, eq=False)
class HopComparison:
    """Detected hops compared with reference hops (the output of :func:`compare_hops`).

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per matched contact: ``set_ref`` and ``hop_ref`` (when the reference has
        ``set``/``hop``), ``set``, ``hop`` (detected, when present), and for each of
        ``landing_s``, ``takeoff_s``, ``contact_ms``, ``flight_ms`` the reference value
        ``<name>_ref`` and the detected value ``<name>``; the errors (detected − reference)
        ``landing_error_ms``, ``takeoff_error_ms``, ``contact_ms_error`` and
        ``flight_ms_error``, all in ms.
    n_reference, n_detected : int
        Counts of reference and detected contacts.
    missed : pandas.DataFrame
        Reference rows with no detection.
    extra : pandas.DataFrame
        Detected rows with no reference contact.
    """

    pairs: pd.DataFrame
    n_reference: int
    n_detected: int
    missed: pd.DataFrame = field(repr=False)
    extra: pd.DataFrame = field(repr=False)

    @property
    def n_matched(self) -> int:
        """Number of matched pairs."""
        return len(self.pairs)

    def scores(self) -> dict[str, float]:
        """Return :func:`detection_scores` of this comparison."""
        return detection_scores(self.n_reference, self.n_detected, self.n_matched)


def _check_table(name: str, table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"`{name}` must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"`{name}` lacks the column(s) {', '.join(missing)}")


def compare_hops(
    reference: pd.DataFrame,
    detected: pd.DataFrame,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> HopComparison:
    """Match detected contacts to reference contacts and tabulate their differences.

    Parameters
    ----------
    reference : pandas.DataFrame
        Reference contacts with ``landing_s``, ``takeoff_s`` (s), ``contact_ms`` and
        ``flight_ms`` (ms), e.g. :attr:`imu.simulate.SimulatedSession.truth` or a force-plate
        export on the recording's time axis.
    detected : pandas.DataFrame
        Detected contacts with the same columns, e.g. :attr:`analysis.HopAnalysis.hops`.
    tolerance_s : float
        Largest landing time difference of a pair, in s.

    Returns
    -------
    HopComparison
        The matched pairs with their errors, the counts, and the missed and extra rows.

    Raises
    ------
    ValueError
        A table lacks a required column, a reference landing is not finite, a detected
        contact has neither landing nor take-off, or ``tolerance_s`` is not positive.

    Notes
    -----
    Contacts are paired by landing time, or by take-off when the detected landing was lost in
    a gap of the data (:func:`match_hops`). A detected contact whose
    ``flight_ms`` is NaN (no landing follows it in its set) keeps NaN in ``flight_ms`` and
    ``flight_ms_error``; :func:`agreement` leaves such pairs out. The inputs are not changed.
    """
    _check_table("reference", reference)
    _check_table("detected", detected)
    ri, di = match_hops(reference, detected, tolerance_s=tolerance_s)
    ref = reference.iloc[ri].reset_index(drop=True)
    det = detected.iloc[di].reset_index(drop=True)
    pairs = pd.DataFrame(index=range(len(ri)))
    for col in ("set", "hop"):
        if col in ref.columns:
            pairs[f"{col}_ref"] = ref[col].to_numpy()
    for col in ("set", "hop"):
        if col in det.columns:
            pairs[col] = det[col].to_numpy()
    for col in _REQUIRED:
        pairs[f"{col}_ref"] = ref[col].to_numpy(dtype=float)
        pairs[col] = det[col].to_numpy(dtype=float)
    pairs["landing_error_ms"] = (pairs["landing_s"] - pairs["landing_s_ref"]) * 1e3
    pairs["takeoff_error_ms"] = (pairs["takeoff_s"] - pairs["takeoff_s_ref"]) * 1e3
    pairs["contact_ms_error"] = pairs["contact_ms"] - pairs["contact_ms_ref"]
    pairs["flight_ms_error"] = pairs["flight_ms"] - pairs["flight_ms_ref"]
    missed_mask = np.ones(len(reference), dtype=bool)
    missed_mask[ri] = False
    extra_mask = np.ones(len(detected), dtype=bool)
    extra_mask[di] = False
    return HopComparison(
        pairs=pairs,
        n_reference=len(reference),
        n_detected=len(detected),
        missed=reference.iloc[np.flatnonzero(missed_mask)].copy(),
        extra=detected.iloc[np.flatnonzero(extra_mask)].copy(),
    )
