"""Per-hop metrics from landing and take-off times.

References
----------
Dalleau G., Belli A., Viale F., Lacour J.-R., Bourdin M. (2004). A simple method for field
measurements of leg stiffness in hopping. Int J Sports Med 25(3):170-176.

Healy R., Kenny I. C., Harrison A. J. (2018). Reactive strength index: a poor indicator of
reactive strength? Int J Sports Physiol Perform 13(6):802-809.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Standard gravity, m/s².
STANDARD_GRAVITY = 9.80665


def flight_height_cm(flight_ms: np.ndarray) -> np.ndarray:
    """Return the flight height ``h = g t_f² / 8`` in cm for flight times in ms.

    Assumes equal posture at take-off and landing. NaN in, NaN out.
    """
    t_f = np.asarray(flight_ms, dtype=np.float64) / 1e3
    return STANDARD_GRAVITY * t_f * t_f / 8.0 * 100.0


def dalleau_stiffness_kn_per_m(
    contact_ms: np.ndarray, flight_ms: np.ndarray, *, body_mass_kg: float
) -> np.ndarray:
    """Return the vertical stiffness of the sine-wave model (Dalleau et al. 2004) in kN/m.

    ``k = M π (t_f + t_c) / (t_c² [(t_f + t_c) / π − t_c / 4])`` with ``M`` in kg and times
    in s.

    Parameters
    ----------
    contact_ms, flight_ms : numpy.ndarray
        Contact and flight times, in ms.
    body_mass_kg : float
        Body mass, in kg.

    Returns
    -------
    numpy.ndarray
        Stiffness in kN/m; NaN where a time is NaN or the model's denominator is not positive.

    Raises
    ------
    ValueError
        ``body_mass_kg`` is not positive.

    Examples
    --------
    >>> round(float(dalleau_stiffness_kn_per_m(167.0, 167.0, body_mass_kg=70.0)), 1)
    40.8
    """
    if not body_mass_kg > 0:
        raise ValueError(f"`body_mass_kg` must be greater than 0, got {body_mass_kg!r}")
    t_c = np.asarray(contact_ms, dtype=np.float64) / 1e3
    t_f = np.asarray(flight_ms, dtype=np.float64) / 1e3
    period = t_c + t_f
    denominator = t_c * t_c * (period / np.pi - t_c / 4.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = body_mass_kg * np.pi * period / denominator / 1e3
    return np.where(denominator > 0, k, np.nan)


def hop_metrics(
    events: pd.DataFrame,
    *,
    body_mass_kg: float | None = None,
) -> pd.DataFrame:
    """Build the per-hop table from contact events.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per complete contact with columns ``set`` (1-based), ``landing_s``,
        ``takeoff_s``, ``next_landing_s`` (s; NaN when no landing follows in the set),
        ``impact_peak_g`` (g) and ``impact_clipped`` (bool).
    body_mass_kg : float, optional
        Body mass, in kg; without it stiffness is NaN.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`analysis.result.HOP_COLUMNS` but ``exercise`` (a property of the
        set, added by the pipeline); times in s, durations in ms.

    Raises
    ------
    ValueError
        A required column is missing.
    """
    need = ("set", "landing_s", "takeoff_s", "next_landing_s", "impact_peak_g", "impact_clipped")
    missing = [c for c in need if c not in events.columns]
    if missing:
        raise ValueError(f"`events` lacks column(s) {missing}")
    landing = events["landing_s"].to_numpy(dtype=np.float64)
    takeoff = events["takeoff_s"].to_numpy(dtype=np.float64)
    nxt = events["next_landing_s"].to_numpy(dtype=np.float64)
    sets = events["set"].to_numpy(dtype=np.int64)
    contact_ms = (takeoff - landing) * 1e3
    flight_ms = (nxt - takeoff) * 1e3
    period_s = nxt - landing
    with np.errstate(divide="ignore", invalid="ignore"):
        hop_hz = 1.0 / period_s
        duty = contact_ms / (contact_ms + flight_ms)
        rsr = flight_ms / contact_ms
    height_cm = flight_height_cm(flight_ms)
    rsi = (height_cm / 100.0) / (contact_ms / 1e3)
    if body_mass_kg is not None:
        stiffness = dalleau_stiffness_kn_per_m(contact_ms, flight_ms, body_mass_kg=body_mass_kg)
    else:
        stiffness = np.full(len(events), np.nan)
    if len(sets):
        starts = np.r_[True, sets[1:] != sets[:-1]]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(len(sets)), 0))
        hop = np.arange(len(sets)) - group_start + 1
    else:
        hop = np.zeros(0, dtype=np.int64)
    # (The columns in the order of HOP_COLUMNS, ``exercise`` added by the pipeline.)
    return pd.DataFrame(
        {
            "set": sets,
            "hop": hop.astype(np.int64),
            "landing_s": landing,
            "takeoff_s": takeoff,
            "contact_ms": contact_ms,
            "flight_ms": flight_ms,
            "hop_hz": hop_hz,
            "duty_factor": duty,
            "flight_height_cm": height_cm,
            "reactive_strength_ratio": rsr,
            "reactive_strength_index_mps": rsi,
            "impact_peak_g": events["impact_peak_g"].to_numpy(dtype=np.float64),
            "impact_clipped": events["impact_clipped"].to_numpy(dtype=bool),
            "stiffness_kn_per_m": stiffness,
            "edge_lost": (
                events["edge_lost"].to_numpy(dtype=object)
                if "edge_lost" in events
                else np.full(len(events), "", dtype=object)
            ),
        }
    )
