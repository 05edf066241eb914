"""Decode raw notification captures into a sample table, without Bluetooth.

>>> from imu.decode import decode
>>> frame = bytes.fromhex("5561" "0008" "0000" "00f8" "0000" "0000" "0000" "000000000000")
>>> decode("witmotion", [frame])[["ax_g", "az_g"]].values.tolist()
[[1.0, -1.0]]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from imu.devices import get_driver
from imu.devices.base import DecodedBlock

ACC_COLUMNS = ("ax_g", "ay_g", "az_g")
GYRO_COLUMNS = ("gx_dps", "gy_dps", "gz_dps")
DRIVER_OPTIONS = ("variant", "description")
"""Settings that choose the driver variant rather than the stream configuration."""


def decode(device: str, payloads: Iterable[bytes], **settings: Any) -> pd.DataFrame:
    """Decode the notification payloads of one device's data characteristic.

    Parameters
    ----------
    device : str
        Driver name: ``"witmotion"``, ``"polar"``, ``"metawear"``, ``"movesense"``,
        ``"thingy52"`` or ``"generic"``.
    payloads : iterable of bytes
        Notification payloads in arrival order.
    **settings
        What the device needs to be understood: ``sample_rate_hz`` (configured rate, Hz),
        ``range_g`` (MetaWear full scale, ± g), ``factor`` (Polar FACTOR for 0x80 frames),
        ``variant`` (Polar ``"verity"``, ``"h10"``, ``"oh1"``; MetaWear ``chip``), ``description``
        (generic device: a TOML path, TOML text or mapping), ``strict`` (WitMotion framing).

    Returns
    -------
    pandas.DataFrame
        ``ax_g``, ``ay_g``, ``az_g`` (g, gravity included), plus ``gx_dps``, ``gy_dps``,
        ``gz_dps`` when frames carry gyro, plus ``device_time_s`` when frames carry time (Polar:
        seconds since 2000-01-01 on the sensor clock; Movesense: its millisecond clock in
        seconds; generic: the frame's time field in seconds). One row per sample.

    Raises
    ------
    imu.errors.HopscopeError
        Unknown ``device``.
    imu.errors.DecodeError
        A malformed payload (the message names the device, the reason and the first bytes).
    TypeError
        An unknown setting or a payload that is not bytes.
    """
    driver_kw = {k: settings.pop(k) for k in DRIVER_OPTIONS if k in settings}
    driver = get_driver(device, **driver_kw)
    if device == "witmotion":
        settings.setdefault("strict", True)
    cfg = driver.decode_config(**settings)
    dec = driver.decoder(cfg)
    data: list[bytes] = []
    for i, payload in enumerate(payloads):
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError(f"payload {i} must be bytes, got {type(payload).__name__}")
        data.append(bytes(payload))
    blocks = [b for b in dec.feed_many(data) if len(b)]
    dec.finish()
    return blocks_to_frame(blocks)


def blocks_to_frame(blocks: Iterable[DecodedBlock]) -> pd.DataFrame:
    """Concatenate decoded blocks into a sample table (see :func:`decode` for the columns)."""
    blocks = list(blocks)
    gyro = any(b.gyro_dps is not None for b in blocks)
    timed = any(b.device_time_s is not None for b in blocks)
    data: dict[str, np.ndarray] = {}
    acc = np.concatenate([b.acc_g for b in blocks]) if blocks else np.zeros((0, 3))
    for j, col in enumerate(ACC_COLUMNS):
        data[col] = acc[:, j]
    if gyro:
        g = np.concatenate(
            [b.gyro_dps if b.gyro_dps is not None else np.full((len(b), 3), np.nan) for b in blocks]
        )
        for j, col in enumerate(GYRO_COLUMNS):
            data[col] = g[:, j]
    if timed:
        data["device_time_s"] = np.concatenate(
            [
                b.device_time_s if b.device_time_s is not None else np.full(len(b), np.nan)
                for b in blocks
            ]
        )
    return pd.DataFrame(data)
