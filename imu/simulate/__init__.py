"""Simulated hop sessions with exact ground truth.

The simulator builds a session (standing, sets of hops or rebound jumps, rest with walking) from
the physics of a shoe-mounted accelerometer (docs/simulator.md), records it through a sensor
model (mounting, low-pass, bias, noise, quantisation, clipping) and a radio model (rate error,
timestamp jitter, lost packets), and returns the samples with the truth of every contact.
"""

from imu.simulate.presets import PRESETS, session_for
from imu.simulate.session import SimulatedSession, simulate_session
from imu.simulate.spec import Artefacts, SetSpec

__all__ = [
    "PRESETS",
    "Artefacts",
    "SetSpec",
    "SimulatedSession",
    "session_for",
    "simulate_session",
]
