"""Emulated BLE IMUs speaking the real device protocols, for tests and demos without hardware.

``make_emulator("polar", samples)`` returns a peripheral that ``imu.emulate.backend`` serves
through bleak's ``backend=`` parameter.
"""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd

from imu.emulate.base import EmulatedPeripheral, EmulationError, Notification, synthetic_samples
from imu.errors import HopscopeError

_MODULES = {
    "witmotion": ("imu.emulate.witmotion", "WitMotionPeripheral"),
    "polar": ("imu.emulate.polar", "PolarPeripheral"),
    "metawear": ("imu.emulate.metawear", "MetaWearPeripheral"),
    "movesense": ("imu.emulate.movesense", "MovesensePeripheral"),
    "thingy52": ("imu.emulate.thingy52", "Thingy52Peripheral"),
    "generic": ("imu.emulate.generic", "GenericPeripheral"),
}


def _load() -> dict[str, type[EmulatedPeripheral]]:
    registry: dict[str, type[EmulatedPeripheral]] = {}
    for name, (module, cls) in _MODULES.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # an emulator not written yet
            if exc.name != module:
                raise
            continue
        registry[name] = getattr(mod, cls)
    return registry


EMULATORS: dict[str, type[EmulatedPeripheral]] = _load()
"""Emulated peripheral classes by driver name."""


def make_emulator(
    kind: str, samples: pd.DataFrame | None = None, **options: Any
) -> EmulatedPeripheral:
    """Return an emulated peripheral of driver family ``kind`` playing ``samples``.

    Parameters
    ----------
    kind : str
        A key of :data:`EMULATORS`.
    samples : pandas.DataFrame, optional
        Sample table to play (default: :func:`default_samples`, a simulated session).
    **options
        Peripheral options (``clock_drift_ppm``, ``variant`` for Polar, ...).

    Raises
    ------
    imu.errors.HopscopeError
        ``kind`` is unknown.
    """
    try:
        cls = EMULATORS[kind]
    except (KeyError, TypeError):
        known = ", ".join(sorted(EMULATORS))
        raise HopscopeError(f"no emulator for {kind!r}; known: {known}") from None
    if samples is None:
        samples = default_samples()
    return cls(samples, **options)


def default_samples(seed: int = 0) -> pd.DataFrame:
    """Return the table emulators play by default: a simulated session (1 kHz, ideal sensor).

    Parameters
    ----------
    seed : int
        Simulator seed.
    """
    from imu.simulate import Artefacts, simulate_session

    session = simulate_session(seed, sample_rate_hz=1000.0, artefacts=Artefacts.clean(), gyro=True)
    return session.samples


__all__ = [
    "EMULATORS",
    "EmulatedPeripheral",
    "EmulationError",
    "Notification",
    "default_samples",
    "make_emulator",
    "synthetic_samples",
]
