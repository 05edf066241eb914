"""Small hand-made hop signals with exact event times, for unit tests of the detector."""

from __future__ import annotations

import numpy as np
import pandas as pd


def hop_magnitude(
    t: np.ndarray,
    takeoffs: np.ndarray,
    landings: np.ndarray,
    *,
    impact_g: float = 8.0,
    rise_s: float = 0.003,
    fall_s: float = 0.008,
    push_g: float = 2.5,
    flight_g: float = 0.05,
) -> np.ndarray:
    """Magnitude of standing, flights ``takeoffs[k] -> landings[k]`` with contacts between, standing.

    Flight ~``flight_g``; a contact is an impact (linear rise over ``rise_s``, 10 ms decay) on
    1 g, with a push-off hump of ``push_g`` in its last 40 ms falling linearly to the flight
    level over the last ``fall_s`` before the take-off.
    """
    m = np.ones_like(t)
    for to, la in zip(takeoffs, landings, strict=True):
        m[(t >= to) & (t < la)] = flight_g
    for k, la in enumerate(landings):
        rel = t - la
        on = rel >= 0
        if k + 1 < len(takeoffs):
            on &= t < takeoffs[k + 1]
        m[on] += np.where(
            rel[on] < rise_s,
            impact_g * rel[on] / rise_s,
            impact_g * np.exp(-(rel[on] - rise_s) / 0.01),
        )
    for to in takeoffs:
        before = (t < to) & (t >= to - 0.04)
        m[before] = push_g
        falling = (t < to) & (t >= to - fall_s)
        m[falling] = flight_g + (push_g - flight_g) * (to - t[falling]) / fall_s
    return m


def hop_table(
    *,
    rate_hz: float = 200.0,
    n: int = 12,
    contact_s: float = 0.18,
    flight_s: float = 0.15,
    start_s: float = 1.0,
    offset_s: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A standing - hops - standing sample table and its truth (complete contacts)."""
    takeoff0 = start_s
    landings = takeoff0 + flight_s + np.arange(n + 1) * (contact_s + flight_s)
    takeoffs = np.r_[takeoff0, landings[:-1] + contact_s]
    duration = landings[-1] + 1.5
    t = np.arange(0, duration, 1.0 / rate_hz)
    m = hop_magnitude(t, takeoffs, landings)
    samples = pd.DataFrame({"time_s": t + offset_s, "ax_g": 0.0 * t, "ay_g": 0.0 * t, "az_g": m})
    truth = pd.DataFrame(
        {
            "landing_s": landings[:-1] + offset_s,
            "takeoff_s": takeoffs[1:] + offset_s,
            "next_landing_s": landings[1:] + offset_s,
        }
    )
    return samples, truth


def hop_signal(
    rate_hz: float, *, first_landing_s: float, period_s: float, contact_s: float, landings: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standing, a take-off at 1 s, then ``landings`` landings ``period_s`` apart, standing.

    Returns the sample times (s), the magnitude (g, :func:`hop_magnitude`), the landings and
    the take-offs (s; each contact lasts ``contact_s``).
    """
    landing_s = first_landing_s + np.arange(landings) * period_s
    takeoff_s = np.r_[1.0, landing_s[:-1] + contact_s]
    t = np.arange(0.0, landing_s[-1] + 1.5, 1 / rate_hz)
    return t, hop_magnitude(t, takeoff_s, landing_s), landing_s, takeoff_s
