"""The set's rhythm, for contacts the magnitude alone misses at a set's ends.

Shared by :mod:`analysis.lead_in` (a soft first landing) and :mod:`analysis.lead_out` (a
soft final landing): the timed contacts of a set and their medians, a take-off search near
the set's median contact on the stretch of signal it reads, the timing of a soft landing
(the rise from flight level into stance) and the row of a contact found this way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import TimeBase
from analysis.detect import retime_takeoffs
from analysis.sets import _numpy_median
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
    if np.count_nonzero(flown) < 3:
        return None
    # (numpy.median's values, from the sorted values, without its per-call overhead: the
    # edges of timed contacts are finite.)
    return (
        _numpy_median(np.sort((takeoff - landing)[of_set])),
        _numpy_median(np.sort((nxt - takeoff)[flown])),
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
