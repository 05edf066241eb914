"""Specific force of the shoe in the world frame, evaluated segment by segment.

The world frame has x forward, y to the left and z up; specific force ``f = a - g`` is in g, so a
foot at rest reads ``(0, 0, 1)`` and free fall reads ``(0, 0, 0)``. Every segment's shape goes
back to its boundary values (1 g upright at the ends of standing, walking strides, push-offs
from standing and landings into standing; about 0 g at the take-off and landing instants of a
flight), so the signal is continuous between segments except at the impact onset itself.

Shapes (hop_science §4): an impact of 3–20 g rising within 2–10 ms and decaying within
10–40 ms with damped ringing; stance near 1 g with a pivot wobble and sometimes a heel-touch
spike; a push-off hump in the last 30–60 ms; a falling take-off edge of 5–15 ms; flights near
free fall, optionally held up by limb motion and raised by leg extension before landing.
"""

from __future__ import annotations

import numpy as np

from imu.simulate.timeline import CONTACT, FLIGHT, STAND, WALK, Timeline


def _smooth(x: np.ndarray) -> np.ndarray:
    """Raised-cosine step: 0 below 0, 1 above 1, smooth in between."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _add_dir(
    fx: np.ndarray, fz: np.ndarray, idx: np.ndarray, amp: np.ndarray, angle: np.ndarray
) -> None:
    """Add ``amp`` along a sagittal direction ``angle`` (rad from vertical, forward positive)."""
    fx[idx] += amp * np.sin(angle)
    fz[idx] += amp * np.cos(angle)


def specific_force(
    t_s: np.ndarray, tl: Timeline
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return world-frame specific force (fx, fy, fz in g) and foot pitch (rad) at times ``t_s``.

    Parameters
    ----------
    t_s : numpy.ndarray
        Increasing true times inside the session, in s.
    tl : Timeline
        The session layout.
    """
    n = t_s.size
    fx = np.zeros(n)
    fy = np.zeros(n)
    fz = np.zeros(n)
    pitch = np.zeros(n)
    seg = np.searchsorted(tl.start_s, t_s, side="right") - 1
    seg = np.clip(seg, 0, tl.kind.size - 1)
    kind = tl.kind[seg]
    p = tl.params

    # Standing: 1 g upright plus a little sway.
    idx = np.flatnonzero(kind == STAND)
    if idx.size:
        s = seg[idx]
        tau = t_s[idx] - tl.start_s[s]
        u = tau / tl.dur_s[s]
        fz[idx] = 1.0
        sway = p["sway_amp"][s] * np.sin(np.pi * u) * np.sin(2 * np.pi * p["sway_f"][s] * tau)
        _add_dir(fx, fz, idx, sway, p["sway_a"][s])

    # Walking: heel strike, a foot-flat stance, toe-off, then a swing whose magnitude dips to
    # 0.55-0.85 g at mid-swing (where the fore-aft acceleration changes sign) but never lower.
    idx = np.flatnonzero(kind == WALK)
    if idx.size:
        s = seg[idx]
        tau = t_s[idx] - tl.start_s[s]
        u = tau / tl.dur_s[s]
        sf = p["stance_frac"][s]
        us = u / sf
        in_stance = u < sf
        hs = p["hs_amp"][s] * _smooth(tau / 0.004) * np.exp(-np.maximum(tau - 0.004, 0.0) / 0.012)
        toe = 0.3 * np.sin(np.pi * np.clip((us - 0.7) / 0.3, 0.0, 1.0))
        wob = 0.2 * np.sin(np.pi * np.minimum(us, 1.0)) * np.sin(2 * np.pi * us)
        w = np.clip((u - sf) / (1.0 - sf), 0.0, 1.0)
        swing = np.sin(2 * np.pi * w)
        fx[idx] = np.where(in_stance, -0.3 * hs + wob, p["swing_amp"][s] * swing)
        dip = p["swing_v"][s] * np.sin(np.pi * w) ** 2
        fz[idx] = np.where(in_stance, 1.0 + 0.95 * hs + toe, 1.0 - dip)
        pitch[idx] = p["pitch_amp"][s] * np.sin(2 * np.pi * u)

    # Flight: near free fall, small ankle motion, optional limb-motion hold and leg extension.
    idx = np.flatnonzero(kind == FLIGHT)
    if idx.size:
        s = seg[idx]
        dur = tl.dur_s[s]
        tau = t_s[idx] - tl.start_s[s]
        u = tau / dur
        _add_dir(fx, fz, idx, p["ankle_amp"][s] * np.sin(np.pi * u), p["ankle_a"][s])
        hold_end = p["hold_frac"][s] * dur
        hold = (
            p["hold_amp"][s]
            * _smooth(tau / p["hold_rise"][s])
            * (1.0 - _smooth((tau - hold_end) / (0.2 * dur)))
        )
        _add_dir(fx, fz, idx, hold, p["hold_a"][s])
        lead = p["pre_lead"][s]
        pre = p["pre_amp"][s] * _smooth((tau - (dur - lead)) / lead)
        _add_dir(fx, fz, idx, pre, p["pre_a"][s])
        pitch[idx] = p["pitch_amp"][s] * np.sin(np.pi * u)

    # Contacts: impact, ringing, stance with wobble and heel touch, push-off, take-off edge.
    idx = np.flatnonzero(kind == CONTACT)
    if idx.size:
        s = seg[idx]
        dur = tl.dur_s[s]
        tau = t_s[idx] - tl.start_s[s]
        rem = dur - tau
        u = tau / dur
        c_in = p["c_in"][s] > 0
        c_out = p["c_out"][s] > 0
        rise = p["imp_rise"][s]
        e_in = np.where(c_in, _smooth(tau / rise), 1.0)
        fall = p["fall_len"][s]
        e_out = np.where(c_out, _smooth(rem / np.where(fall > 0, fall, 1.0)), 1.0)
        env = e_in * e_out
        # Support (1 g) with a countermovement dip on a push-off from standing.
        base = 1.0 - p["dip_amp"][s] * np.sin(np.pi * np.clip(u / 0.6, 0.0, 1.0))
        fz[idx] += base * env
        push_len = p["push_len"][s]
        push_ramp = np.maximum(push_len - fall, 1e-4)
        push = p["push_amp"][s] * _smooth((tau - (dur - push_len)) / push_ramp)
        _add_dir(fx, fz, idx, push * env, p["push_a"][s])
        wob = (
            p["wob_amp"][s]
            * np.sin(np.pi * u)
            * np.sin(2 * np.pi * p["wob_k"][s] * u + p["wob_phi"][s])
        )
        _add_dir(fx, fz, idx, wob * env, p["wob_a"][s])
        after = np.maximum(tau - rise, 0.0)
        impact = p["imp_amp"][s] * _smooth(tau / rise) * np.exp(-after / p["imp_tau"][s])
        _add_dir(fx, fz, idx, impact * e_out, p["imp_a"][s])
        ring_tau = np.where(p["ring_tau"][s] > 0, p["ring_tau"][s], 1.0)
        ring = (
            p["ring_amp"][s]
            * np.sin(2 * np.pi * p["ring_f"][s] * after)
            * np.exp(-after / ring_tau)
            * e_out
        )
        ra, rb = p["ring_a"][s], p["ring_b"][s]
        fx[idx] += ring * np.sin(ra) * np.cos(rb)
        fy[idx] += ring * np.sin(rb)
        fz[idx] += ring * np.cos(ra) * np.cos(rb)
        heel_t = tau - p["heel_u"][s] * dur
        heel = (
            p["heel_amp"][s]
            * _smooth(heel_t / 0.0025)
            * np.exp(-np.maximum(heel_t - 0.0025, 0.0) / 0.006)
        )
        fz[idx] += heel * e_out
        _add_dir(fx, fz, idx, p["carry_amp"][s] * (1.0 - e_in), p["carry_a"][s])
        pitch[idx] = p["pitch_amp"][s] * np.sin(np.pi * u)
    return fx, fy, fz, pitch
