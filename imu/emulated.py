"""Emulated recording sessions: a simulated athlete behind an emulated device on an emulated radio.

``hopscope record --emulate KIND`` and ``hopscope scan --emulate KIND`` use
:func:`emulated_radio` to put emulated peripherals (:mod:`imu.emulate`) playing a simulated hop
session (:mod:`imu.simulate`) behind bleak's ``backend=`` parameter, so the recorder runs its
real code path with no Bluetooth hardware.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from imu.clock import MonotonicClock, make_clock
from imu.emulate.faults import Faults

#: Rate of the simulated motion the emulated devices resample, in Hz.
SIMULATION_RATE_HZ = 1000.0


@dataclass
class EmulatedSetup:
    """An emulated radio and what it plays."""

    radio: Any
    peripherals: list[Any]
    sessions: list[Any]
    clock: MonotonicClock


def session_samples(
    duration_s: float, *, seed: int = 0, sample_rate_hz: float = SIMULATION_RATE_HZ
) -> tuple[pd.DataFrame, Any]:
    """Simulate a hop session lasting at least ``duration_s`` seconds.

    The session is standing, then sets of 20 hops at 2.9-3.3 Hz separated by 8 s rests
    (standing and walking), repeated until the duration is filled.

    Parameters
    ----------
    duration_s : float
        Shortest length of the session, in s.
    seed : int
        Random seed.
    sample_rate_hz : float
        Rate of the simulated table, in Hz.

    Returns
    -------
    samples : pandas.DataFrame
        The sample table (with gyro columns).
    session : SimulatedSession
        The simulation with its truth.
    """
    from imu.simulate import Artefacts, SetSpec, simulate_session

    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"`duration_s` must be > 0, got {duration_s!r}")
    set_s, rest_s, standing_s = 6.8, 8.0, 2.0
    n_sets = max(1, math.ceil((duration_s - standing_s + rest_s) / (set_s + rest_s)))
    sets = [
        SetSpec(hops=20, hop_hz=3.3 - 0.4 * ((i * 0.37) % 1.0), variability=0.03, fatigue=0.05)
        for i in range(n_sets)
    ]
    art = Artefacts(quantise=False, clip=False, noise_g=0.005, bias_g=0.01)
    sim = simulate_session(
        seed,
        sample_rate_hz=sample_rate_hz,
        sets=sets,
        artefacts=art,
        gyro=True,
        standing_s=standing_s,
        rest_s=rest_s,
        walking_s=3.0,
        end_standing_s=max(2.0, duration_s * 0.02),
    )
    return sim.samples, sim


def emulated_radio(
    kinds: str | list[str],
    *,
    duration_s: float = 60.0,
    seed: int = 0,
    faults: Faults | None = None,
    speed: float = 1.0,
    keep_payloads: bool = False,
    device_options: dict[str, Any] | None = None,
    simulation_rate_hz: float = SIMULATION_RATE_HZ,
) -> EmulatedSetup:
    """Build emulated devices of the given kinds playing simulated sessions.

    Parameters
    ----------
    kinds : str or list of str
        Emulator names (``"polar"``, ``"witmotion"``...).
    duration_s : float
        Length of the simulated sessions, in s (the devices fall silent after it).
    seed : int
        Random seed of the sessions (device ``i`` uses ``seed + i``).
    faults : Faults, optional
        Radio faults for every link (``drift_ppm`` becomes the devices' clock drift).
    speed : float
        Clock speed: 1 is real time, larger runs faster (tests, benchmarks).
    keep_payloads : bool
        Keep every delivered and lost notification (tests).
    device_options : dict, optional
        Extra options for the emulated peripherals.
    simulation_rate_hz : float
        Rate of the simulated motion the devices resample, in Hz.

    Returns
    -------
    EmulatedSetup

    Raises
    ------
    HopscopeError
        A kind has no emulator (the message lists the known ones).
    """
    from imu.emulate import make_emulator
    from imu.emulate.backend import EmulatedRadio

    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    faults = faults or Faults()
    clock = make_clock(speed)
    peripherals, sessions = [], []
    for i, kind in enumerate(kinds):
        samples, sim = session_samples(duration_s, seed=seed + i, sample_rate_hz=simulation_rate_hz)
        options = dict(device_options or {})
        if faults.drift_ppm:
            options["clock_drift_ppm"] = faults.drift_ppm
        peripherals.append(make_emulator(kind, samples, **options))
        sessions.append(sim)
    radio = EmulatedRadio(peripherals, clock=clock, faults=faults, keep_payloads=keep_payloads)
    return EmulatedSetup(radio=radio, peripherals=peripherals, sessions=sessions, clock=clock)
