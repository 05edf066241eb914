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
from analysis.rhythm import (
    STANCE_MEAN_G,
    contact_row,
    set_medians,
    set_rhythm,
    soft_landing,
    takeoff_near,
)
from analysis.settings import AnalysisSettings


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
    that sample and the top of the rise (within :data:`analysis.rhythm.RISE_WINDOW_MS`), plus
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
