"""A set's last hop whose final landing is soft (no impact that stands out).

A set of hops ends on the ground: after the last hop's take-off the runner lands and stays.
That final landing is often soft, and at low sample rates the device's low-pass can flatten
its impact below ``impact_min_g``. The detector then finds no flight after the last hop, so
the last landing it found looks like the set's end and its contact is lost. This module finds
that last hop again: a take-off fall near the set's median contact after that landing, a
flight with samples at flight level, and a rise into a stance like a landing's, with the
contact and the flight both like the set's others. ``docs/detection.md`` describes the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import TimeBase
from analysis.detect import CLEAR_FLIGHT_G
from analysis.rhythm import contact_row, set_medians, set_rhythm, soft_landing, takeoff_near
from analysis.settings import AnalysisSettings


def lead_out_contacts(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    flights: pd.DataFrame,
    t: np.ndarray,
    mag: np.ndarray,
    tb: TimeBase,
    gaps: list[tuple[float, float]],
    settings: AnalysisSettings,
) -> pd.DataFrame:
    """Find the last hop of each set of hops when the set's final landing is soft.

    The set's last contact ``i`` (plausible, both edges timed) ends in a flight to the
    landing ``L`` of the set's last flight. When the detector found no contact after ``L``,
    the hop from ``L`` is kept when

    - a take-off fall lies near the set's median contact after ``L``
      (:func:`analysis.detect.retime_takeoffs`, within ``contact_tolerance``);
    - the flight after it has at least ``min_flight_evidence_ms`` (one sample at least)
      below ``flight_g``, one of them below :data:`CLEAR_FLIGHT_G`, and its end, the rise
      from its last such sample into stance (:func:`analysis.rhythm.soft_landing`), comes
      within ``contact_tolerance`` of the set's median flight after the take-off;
    - no sample from ``impact_guard_ms`` to ``stance_check_ms`` after that rise is below
      ``stance_g`` (the test a detected landing passes);
    - no gap and no other flight lies between ``L`` and the end of that stance check.

    Parameters
    ----------
    contacts : pandas.DataFrame
        Contacts as :func:`analysis.contacts.resolve_contacts` has them, in time order.
    reasons : numpy.ndarray of str
        Why each contact is implausible ("" when plausible).
    flights : pandas.DataFrame
        The detector's flights (``set``, ``takeoff_s``, ``landing_s``, ``landing_gap``,
        ``impact_peak_g``, ``impact_clipped``).
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
        The contacts found (columns of ``contacts`` plus ``after``: the row each comes after,
        for :func:`analysis.contacts.resolve_contacts` to insert); empty when none.
    """
    det = settings.detection
    if settings.exercise == "rebound" or not len(contacts) or not len(flights):
        return pd.DataFrame()
    landing, takeoff, nxt, sets, timed = set_rhythm(contacts, reasons)
    last = np.r_[sets[1:] != sets[:-1], True]
    f_landing = flights["landing_s"].to_numpy(dtype=np.float64)
    f_takeoff = flights["takeoff_s"].to_numpy(dtype=np.float64)
    f_set = flights["set"].to_numpy()
    f_gap = flights["landing_gap"].to_numpy(dtype=bool)
    gap_bounds = np.asarray(gaps, dtype=np.float64).reshape(-1, 2)
    ctol = settings.contact_tolerance
    guard = det.impact_guard_ms / 1e3
    stance_end = det.stance_check_ms / 1e3
    period = 1.0 / tb.effective_rate_hz
    need = max(1, int(np.floor(det.min_flight_evidence_ms * 1e-3 / period)))
    # Where a final flight can lie after the last landing found (from the shortest take-off
    # to the farthest landing the search allows): a set that ends standing has no sample near
    # 0 g there and is passed over at once.
    soonest = (1 - ctol) * settings.min_contact_ms / 1e3
    reach = (1 + ctol) * (settings.contact_limit_ms + det.max_flight_ms) / 1e3
    out: list[dict[str, object]] = []
    for i in np.flatnonzero(last & timed & np.isfinite(nxt)):
        final = float(nxt[i])
        r0, r1 = np.searchsorted(t, [final + soonest, final + reach])
        if r1 <= r0 or mag[r0:r1].min() >= CLEAR_FLIGHT_G:
            continue
        medians = set_medians(i, landing, takeoff, nxt, sets, timed)
        if medians is None:
            continue
        contact_s, flight_s = medians
        # The set's last flight must end at this contact's next landing, recorded whole.
        in_set = np.flatnonzero(f_set == sets[i])
        if not len(in_set) or f_landing[in_set[-1]] != final or f_gap[in_set[-1]]:
            continue
        latest = final + (1 + ctol) * (contact_s + flight_s)
        tk = takeoff_near(
            t, mag, tb, landing_s=final, contact_s=contact_s, before_s=latest, settings=settings
        )
        if not np.isfinite(tk):
            continue
        # Flight-level samples after the take-off, up to the latest plausible landing.
        a0, a1 = np.searchsorted(t, [tk, tk + (1 + ctol) * flight_s])
        low = a0 + np.flatnonzero(mag[a0:a1] < det.flight_g)
        if len(low) < need or mag[low].min() >= CLEAR_FLIGHT_G:
            continue
        rose = soft_landing(t, mag, int(low[-1]), det)
        if rose is None:
            continue
        soft, _ = rose
        if abs((soft - tk) / flight_s - 1) > ctol:
            continue
        s0, s1 = np.searchsorted(t, [soft + guard, soft + stance_end])
        if s1 <= s0 or s1 >= len(t) or mag[s0:s1].min() < det.stance_g:
            continue
        end = soft + stance_end
        if len(gap_bounds) and ((gap_bounds[:, 1] > final) & (gap_bounds[:, 0] < end)).any():
            continue
        if ((f_takeoff > final) & (f_takeoff < end)).any():
            continue
        j = in_set[-1]
        out.append(
            contact_row(
                sets[i],
                final,
                tk,
                soft,
                impact_peak_g=float(flights["impact_peak_g"].iloc[j]),
                impact_clipped=bool(flights["impact_clipped"].iloc[j]),
                after=int(i),
            )
        )
    return pd.DataFrame(out)
