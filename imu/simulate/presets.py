"""Named simulated sessions, matching the files in ``sample_data/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imu.simulate.session import SimulatedSession, simulate_session
from imu.simulate.spec import Artefacts, SetSpec

#: Artefacts of the sample sessions: a decent sensor, some messy flights and leg extension.
_SAMPLE_ARTEFACTS = Artefacts(messy_flight=0.3, pre_landing=0.5)


def _hop_session(sets: list[SetSpec], **changes: Any) -> dict[str, Any]:
    """Return the keyword arguments of a sample hop session.

    200 Hz, ±16 g, the sample artefacts, 2 s of standing first, 10 s of rest with 4 s of
    walking between sets; ``changes`` replace any of these.
    """
    return {
        "sample_rate_hz": 200.0,
        "range_g": 16.0,
        "sets": sets,
        "artefacts": _SAMPLE_ARTEFACTS,
        "standing_s": 2.0,
        "rest_s": 10.0,
        "walking_s": 4.0,
        **changes,
    }


def _good_3p2hz() -> dict[str, Any]:
    spec = SetSpec(hops=20, hop_hz=3.24, duty_factor=0.5, fatigue=0.06)
    return _hop_session([spec, spec, spec], rest_s=9.0)


def _below_target() -> dict[str, Any]:
    spec = SetSpec(hops=20, hop_hz=2.65, duty_factor=0.55, fatigue=0.04)
    return _hop_session([spec, spec])


def _slow_rebound() -> dict[str, Any]:
    spec = SetSpec(hops=20, contact_ms=285.0, flight_ms=100.0, fatigue=0.04)
    return _hop_session([spec, spec])


def _low_rate_52hz_clipped() -> dict[str, Any]:
    spec = SetSpec(hops=20, hop_hz=3.1, duty_factor=0.5, fatigue=0.05, impact_scale=2.0)
    return _hop_session(
        [spec, spec, spec],
        sample_rate_hz=52.0,
        range_g=8.0,
        artefacts=_SAMPLE_ARTEFACTS.replace(rate_error=0.004),
    )


def _rebound_jumps() -> dict[str, Any]:
    spec = SetSpec(
        exercise="rebound",
        hops=5,
        contact_ms=230.0,
        flight_ms=450.0,
        variability=0.06,
        box_height_m=0.3,
        jump_rest_s=5.0,
    )
    return {
        "sample_rate_hz": 200.0,
        "range_g": 16.0,
        "sets": [spec],
        "artefacts": _SAMPLE_ARTEFACTS,
        "standing_s": 2.0,
    }


def _mixed_session() -> dict[str, Any]:
    hops = SetSpec(hops=16, hop_hz=3.2, duty_factor=0.5, fatigue=0.05)
    jumps = SetSpec(
        exercise="rebound",
        hops=5,
        contact_ms=300.0,
        flight_ms=420.0,
        variability=0.06,
        box_height_m=0.4,
        jump_rest_s=5.0,
    )
    slow = SetSpec(hops=16, hop_hz=2.7, duty_factor=0.55, fatigue=0.05)
    # (Short rests: the drills follow each other closely.)
    return _hop_session([hops, jumps, slow], rest_s=5.0, walking_s=2.0)


def _walking_only() -> dict[str, Any]:
    return {"sets": [], "standing_s": 3.0, "walking_s": 30.0, "end_standing_s": 3.0}


def _standing_only() -> dict[str, Any]:
    return {"sets": [], "standing_s": 30.0, "walking_s": 0.0, "end_standing_s": 0.5}


def _harsh() -> dict[str, Any]:
    spec = SetSpec(hops=25, hop_hz=3.0, duty_factor=0.55, fatigue=0.08, variability=0.05)
    return {
        "sample_rate_hz": 100.0,
        "range_g": 8.0,
        "placement": "heel",
        "sets": [spec, spec],
        "artefacts": Artefacts.harsh(),
        "standing_s": 2.0,
        "rest_s": 12.0,
        "walking_s": 6.0,
    }


#: Preset name -> function returning the keyword arguments of :func:`simulate_session`.
PRESETS: dict[str, Callable[[], dict[str, Any]]] = {
    "good_3p2hz": _good_3p2hz,
    "below_target": _below_target,
    "slow_rebound": _slow_rebound,
    "low_rate_52hz_clipped": _low_rate_52hz_clipped,
    "rebound_jumps": _rebound_jumps,
    "mixed_session": _mixed_session,
    "walking_only": _walking_only,
    "standing_only": _standing_only,
    "harsh": _harsh,
}


def session_for(preset: str, seed: int, **overrides: Any) -> SimulatedSession:
    """Simulate a named preset session.

    Parameters
    ----------
    preset : str
        One of :data:`PRESETS`: ``"good_3p2hz"`` (3 sets at about 3.2 Hz, 200 Hz, ±16 g),
        ``"below_target"`` (about 2.6 Hz), ``"slow_rebound"`` (contacts about 290 ms),
        ``"low_rate_52hz_clipped"`` (52 Hz, ±8 g), ``"rebound_jumps"`` (5 drop jumps),
        ``"mixed_session"`` (a hop set, 5 rebound jumps with slow contacts, a slow hop set),
        ``"walking_only"``, ``"standing_only"``, ``"harsh"`` (heel, 100 Hz, every artefact).
    seed : int
        Random seed.
    **overrides
        Keyword arguments of :func:`simulate_session` that replace the preset's.

    Returns
    -------
    SimulatedSession

    Raises
    ------
    ValueError
        Unknown preset name (the message lists the known ones), or a bad override.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known presets: {', '.join(PRESETS)}")
    kwargs = PRESETS[preset]()
    kwargs.update(overrides)
    return simulate_session(seed, **kwargs)
