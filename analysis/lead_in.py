"""A set's first contact hidden in the flight it starts with (a soft first landing).

A set starts from standing: the runner jumps into the first flight, and that first landing
can be soft, with no impact that stands out from the stance after it. The detector then sees
one long flight from the jump into the set to the second landing, over the whole first
contact. This module finds that contact: a flight-level dip, a rise into a stance whose
magnitude averages 1 g or more, and a take-off fall that leaves a flight like the set's others
before the landing the detector found. ``docs/detection.md`` describes the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import TimeBase
from analysis.detect import retime_takeoffs
from analysis.settings import AnalysisSettings, DetectionSettings

#: The shoe moves down when it lands and up when it takes off, so over a contact its mean
#: acceleration points up and its mean specific force is more than 1 g (the magnitude's mean
#: is at least that); in a flight the shoe falls freely, limb motion aside.
STANCE_MEAN_G = 1.0
#: The soft impact's top is sought this long after the last flight-level sample, in ms.
RISE_WINDOW_MS = 60.0


def soft_landing(
    t: np.ndarray, mag: np.ndarray, last_low: int, det: DetectionSettings
) -> tuple[float, int] | None:
    """Time a soft landing: the rise from a flight's last flight-level sample into stance.

    Parameters
    ----------
    t, mag : numpy.ndarray
        The signal (s, g).
    last_low : int
        Index of the flight's last sample below ``flight_g`` before the rise.
    det : DetectionSettings
        ``edge_level`` and ``landing_offset_ms``.

    Returns
    -------
    (float, int) or None
        The landing (s): the ``edge_level`` crossing between ``last_low`` and the top of the
        rise, plus ``landing_offset_ms``; and the index of that top: the rise's first peak
        at stance level (:data:`STANCE_MEAN_G`) within :data:`RISE_WINDOW_MS`, else its
        highest sample (leg extension lifts the magnitude before the landing itself). None
        when fewer than two samples follow.
    """
    a = last_low
    b1 = max(int(np.searchsorted(t, t[a] + RISE_WINDOW_MS / 1e3)), a + 2)
    rise = mag[a + 1 : b1 + 1]
    if len(rise) < 2:
        return None
    top = np.flatnonzero(
        (rise[:-1] >= STANCE_MEAN_G)
        & (rise[:-1] >= np.r_[-np.inf, rise[:-2]])
        & (rise[:-1] >= rise[1:])
    )
    b = a + 1 + int(top[0] if len(top) else np.argmax(rise[:-1]))
    level = mag[a] + det.edge_level * (mag[b] - mag[a])
    c1 = a + 1 + int(np.argmax(mag[a + 1 : b + 1] >= level))
    c0 = c1 - 1
    frac = (level - mag[c0]) / max(mag[c1] - mag[c0], 1e-12)
    soft = float(t[c0] + min(max(frac, 0.0), 1.0) * (t[c1] - t[c0]))
    return soft + det.landing_offset_ms / 1e3, b


def set_rhythm(
    contacts: pd.DataFrame, reasons: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the contacts' landings, take-offs, next landings (s), sets and which are timed.

    A contact is timed when it is plausible and neither edge was lost in a gap.
    """
    return (
        contacts["landing_s"].to_numpy(dtype=np.float64),
        contacts["takeoff_s"].to_numpy(dtype=np.float64),
        contacts["next_landing_s"].to_numpy(dtype=np.float64),
        contacts["set"].to_numpy(),
        (reasons == "") & (contacts["edge_lost"].to_numpy() == ""),
    )


def set_medians(
    i: int,
    landing: np.ndarray,
    takeoff: np.ndarray,
    nxt: np.ndarray,
    sets: np.ndarray,
    timed: np.ndarray,
) -> tuple[float, float] | None:
    """Median contact and flight (s) of the timed contacts of contact ``i``'s set.

    None when fewer than three of them have a flight after them.
    """
    of_set = timed & (sets == sets[i])
    flown = of_set & np.isfinite(nxt)
    if flown.sum() < 3:
        return None
    return (
        float(np.median((takeoff - landing)[of_set])),
        float(np.median((nxt - takeoff)[flown])),
    )


def takeoff_near(
    t: np.ndarray,
    mag: np.ndarray,
    tb: TimeBase,
    *,
    landing_s: float,
    contact_s: float,
    before_s: float,
    settings: AnalysisSettings,
) -> float:
    """Return the take-off fall nearest ``contact_s`` after ``landing_s``, before ``before_s``.

    :func:`analysis.detect.retime_takeoffs` within ``contact_tolerance``; NaN when none. It
    runs on the stretch of signal the search reads (from a fall span before the landing to a
    fall span after ``before_s``), not on the whole recording: the same result, at a cost
    that does not grow with the recording.
    """
    det = settings.detection
    span = max(2, int(np.ceil(det.fall_span_ms * tb.effective_rate_hz / 1e3)))
    a = max(int(np.searchsorted(t, landing_s)) - span - 2, 0)
    b = min(int(np.searchsorted(t, before_s)) + span + 2, len(t))
    gaps = np.asarray(tb.gap_index, dtype=np.int64)
    return float(
        retime_takeoffs(
            t[a:b],
            mag[a:b],
            sampling_rate_hz=tb.effective_rate_hz,
            landing_s=np.array([landing_s]),
            expected_contact_ms=np.array([contact_s * 1e3]),
            next_landing_s=np.array([before_s]),
            tolerance=settings.contact_tolerance,
            gap_index=gaps[(gaps >= a) & (gaps < b)] - a,
            settings=det,
        )[0]
    )


def contact_row(
    set_no: object, landing_s: float, takeoff_s: float, next_landing_s: float, **more: object
) -> dict[str, object]:
    """Return a contact found from the set's rhythm as a row of the contact table.

    Both edges recorded; ``more`` adds columns (the impact, where to insert the row).
    """
    return {
        "set": set_no,
        "landing_s": landing_s,
        "takeoff_s": takeoff_s,
        "next_landing_s": next_landing_s,
        "impact_peak_g": np.nan,
        "impact_clipped": False,
        "landing_gap": False,
        "next_landing_gap": False,
        "takeoff_gap": False,
        "edge_lost": "",
        **more,
    }


def lead_in_contacts(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    flights: pd.DataFrame,
    t: np.ndarray,
    mag: np.ndarray,
    tb: TimeBase,
    gaps: list[tuple[float, float]],
    settings: AnalysisSettings,
) -> pd.DataFrame:
    """Find the first contact of each set of hops hidden in the set's first flight.

    The set's first contact ``i`` (plausible, both edges timed) follows a flight from the
    take-off ``T0`` (the jump into the set) to its landing ``L1``. When that flight can hold
    a whole contact and a usual flight (``L1 - T0`` at least ``(1 - contact_tolerance)``
    times the set's median contact plus median flight, beyond ``min_flight_ms``), the hidden
    landing is the rise from the last sample below ``flight_g`` in it before
    ``L1 - (1 - contact_tolerance) * (contact + flight)``: timed at ``edge_level`` between
    that sample and the top of the rise (within :data:`RISE_WINDOW_MS`), plus
    ``landing_offset_ms``. Its take-off is the fall nearest the set's median contact after
    it (:func:`analysis.detect.retime_takeoffs`, within ``contact_tolerance``). The contact
    is kept when

    - its contact time and the flight after it (to ``L1``) are within ``contact_tolerance``
      of the set's medians;
    - no sample from the rise to the take-off fall (``fall_span_ms`` before the take-off) is
      below ``stance_g``, and the magnitude averages at least :data:`STANCE_MEAN_G` over
      them (the shoe's velocity turns from down to up over a contact).

    Parameters
    ----------
    contacts : pandas.DataFrame
        Contacts as :func:`analysis.contacts.resolve_contacts` has them, in time order.
    reasons : numpy.ndarray of str
        Why each contact is implausible ("" when plausible).
    flights : pandas.DataFrame
        The detector's flights (``takeoff_s``, ``landing_s``, ``takeoff_gap``).
    t, mag : numpy.ndarray
        The signal (s, g).
    tb : analysis.clean.TimeBase
        Its time base (effective rate, gaps).
    gaps : list of (float, float)
        Gaps of the recording, (start_s, end_s).
    settings : AnalysisSettings
        Tolerances and detector settings.

    Returns
    -------
    pandas.DataFrame
        The contacts found (columns of ``contacts`` plus ``before``: the row each comes
        before, for :func:`analysis.contacts.resolve_contacts` to insert); empty when none.
    """
    det = settings.detection
    if settings.exercise == "rebound" or not len(contacts):
        return pd.DataFrame()
    landing, takeoff, nxt, sets, timed = set_rhythm(contacts, reasons)
    first = np.r_[True, sets[1:] != sets[:-1]]
    f_landing = flights["landing_s"].to_numpy(dtype=np.float64)
    f_takeoff = flights["takeoff_s"].to_numpy(dtype=np.float64)
    f_gap = flights["takeoff_gap"].to_numpy(dtype=bool)
    gap_ends = np.array([g[1] for g in gaps])
    ctol = settings.contact_tolerance
    out: list[dict[str, object]] = []
    for i in np.flatnonzero(first & timed):
        medians = set_medians(i, landing, takeoff, nxt, sets, timed)
        if medians is None:
            continue
        contact_s, flight_s = medians
        j = np.flatnonzero(f_landing == landing[i])
        if len(j) != 1 or f_gap[j[0]] or not np.isfinite(f_takeoff[j[0]]):
            continue
        t0, l1 = float(f_takeoff[j[0]]), float(landing[i])
        latest = l1 - (1 - ctol) * (contact_s + flight_s)
        if latest - t0 < det.min_flight_ms / 1e3 or ((gap_ends > t0) & (gap_ends < l1)).any():
            continue
        a0, a1 = np.searchsorted(t, [t0, latest])
        dips = a0 + np.flatnonzero(mag[a0:a1] < det.flight_g)
        if not len(dips):
            continue
        a = int(dips[-1])
        rose = soft_landing(t, mag, a, det)
        if rose is None:
            continue
        soft, b = rose
        if soft - t0 < det.min_flight_ms / 1e3:
            continue
        tk = takeoff_near(
            t, mag, tb, landing_s=soft, contact_s=contact_s, before_s=l1, settings=settings
        )
        if not np.isfinite(tk):
            continue
        if abs((tk - soft) / contact_s - 1) > ctol or abs((l1 - tk) / flight_s - 1) > ctol:
            continue
        # From the rise to the take-off fall (which ends at flight level).
        stance = mag[a + 1 : int(np.searchsorted(t, tk - det.fall_span_ms / 1e3))]
        if not len(stance) or stance.min() < det.stance_g or stance.mean() < STANCE_MEAN_G:
            continue
        out.append(contact_row(sets[i], soft, tk, l1, impact_peak_g=float(mag[b]), before=int(i)))
    return pd.DataFrame(out)
