"""BLE device drivers: one module per device family, and the registry mapping names to them.

>>> from imu.devices import get_driver
>>> get_driver("witmotion").configure(rate_hz=150).sample_rate_hz
200.0
"""

from __future__ import annotations

import importlib
from typing import Any

from imu.devices.base import (
    Command,
    DecodedBlock,
    Decoder,
    DeviceDriver,
    StreamConfig,
    unknown_device_error,
)

_MODULES = {
    "witmotion": ("imu.devices.witmotion", "WitMotionDriver"),
    "polar": ("imu.devices.polar", "PolarDriver"),
    "metawear": ("imu.devices.metawear", "MetaWearDriver"),
    "movesense": ("imu.devices.movesense", "MovesenseDriver"),
    "thingy52": ("imu.devices.thingy52", "Thingy52Driver"),
    "generic": ("imu.devices.generic", "GenericDriver"),
}


def _load_registry() -> dict[str, type[DeviceDriver]]:
    registry: dict[str, type[DeviceDriver]] = {}
    for name, (module, cls) in _MODULES.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a driver module not written yet
            if exc.name != module:
                raise
            continue
        registry[name] = getattr(mod, cls)
    return registry


DRIVERS: dict[str, type[DeviceDriver]] = _load_registry()
"""Driver classes by registry name."""


def get_driver(name: str, **options: Any) -> DeviceDriver:
    """Return a driver instance by registry name.

    Parameters
    ----------
    name : str
        One of :data:`DRIVERS` (``"witmotion"``, ``"polar"``, ...).
    **options
        Driver options (e.g. ``variant="h10"`` for Polar, ``description=...`` for generic).

    Raises
    ------
    imu.errors.HopscopeError
        ``name`` is not a known device; the message lists the known names.
    """
    try:
        cls = DRIVERS[name]
    except (KeyError, TypeError):
        raise unknown_device_error(str(name), DRIVERS) from None
    return cls(**options)


__all__ = [
    "DRIVERS",
    "Command",
    "DecodedBlock",
    "Decoder",
    "DeviceDriver",
    "StreamConfig",
    "get_driver",
]
