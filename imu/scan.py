"""Scanning for supported BLE IMUs.

:func:`scan` listens for adverts with the real :class:`bleak.BleakScanner` (``backend=`` is
injectable) and keeps the devices that a driver of :mod:`imu.devices` recognises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imu.errors import HopscopeError


@dataclass(frozen=True)
class FoundDevice:
    """One supported device seen in a scan.

    Parameters
    ----------
    name : str
        Advertised name ("" when none was seen).
    address : str
        BLE address (a per-host UUID on macOS).
    rssi_dbm : int
        Strongest signal strength seen, in dBm.
    driver : str
        The driver that recognises it.
    """

    name: str
    address: str
    rssi_dbm: int
    driver: str


def match_driver(name: str | None, service_uuids: Any, manufacturer_data: Any) -> str | None:
    """Return the name of the first driver recognising an advert, or None."""
    from imu.devices import DRIVERS

    for key, cls in DRIVERS.items():
        try:
            driver = cls()
        except (TypeError, HopscopeError):  # drivers needing a description (generic)
            continue
        if driver.matches(name, list(service_uuids or []), dict(manufacturer_data or {})):
            return key
    return None


async def scan(timeout_s: float = 5.0, *, backend: type | None = None) -> list[FoundDevice]:
    """Scan for supported devices.

    Parameters
    ----------
    timeout_s : float
        How long to listen, in s.
    backend : type, optional
        bleak scanner backend (default: the platform's).

    Returns
    -------
    list of FoundDevice
        Supported devices, strongest signal first.

    Raises
    ------
    ValueError
        ``timeout_s`` is not a positive number.
    HopscopeError
        Bluetooth is not available.
    """
    from bleak import BleakScanner
    from bleak.exc import BleakError

    if not timeout_s > 0:
        raise ValueError(f"`timeout_s` must be > 0, got {timeout_s!r}")
    kwargs = {} if backend is None else {"backend": backend}
    try:
        seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **kwargs)
    except (BleakError, OSError) as exc:
        raise HopscopeError(
            f"Bluetooth is not available ({exc}); check that the adapter is on"
        ) from None
    found = []
    for address, (device, adv) in seen.items():
        name = adv.local_name or device.name or ""
        driver = match_driver(name, adv.service_uuids, adv.manufacturer_data)
        if driver is not None:
            found.append(FoundDevice(name, address, int(adv.rssi), driver))
    return sorted(found, key=lambda d: -d.rssi_dbm)
