"""Emulated Nordic Thingy:52 with the stock firmware (±2 g, one sample per notification)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from imu.devices import thingy52 as th
from imu.emulate.base import EmulatedPeripheral, Notification, quantise


class Thingy52Peripheral(EmulatedPeripheral):
    """A Thingy:52: motion config characteristic and raw-data notifications.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table to play.
    delivered_fraction : float, optional
        Share of the configured rate actually delivered (the firmware falls short: reports
        show 160-180 Hz at 200 Hz). Default: 1 up to 100 Hz, 0.85 above.
    **options
        See :class:`~imu.emulate.base.EmulatedPeripheral`.
    """

    kind = "thingy52"
    default_name = "Thingy"
    default_address = "F0:7E:00:00:52:01"
    data_char_uuid = th.RAW_DATA_UUID

    def __init__(
        self, samples: pd.DataFrame, *, delivered_fraction: float | None = None, **options: Any
    ) -> None:
        super().__init__(samples, **options)
        if delivered_fraction is not None and not 0 < delivered_fraction <= 1:
            raise ValueError(f"`delivered_fraction` must be in (0, 1], got {delivered_fraction!r}")
        self.delivered_fraction = delivered_fraction
        self.advertised_service_uuids = [th.CONFIG_SERVICE_UUID]
        self.manufacturer_data = {}
        self.gatt = {
            th.CONFIG_SERVICE_UUID: [(th.CONNECTION_PARAMS_UUID, ["read", "write"])],
            th.MOTION_SERVICE_UUID: [
                (th.MOTION_CONFIG_UUID, ["read", "write"]),
                (th.RAW_DATA_UUID, ["notify"]),
            ],
        }
        self.config = th.MOTION_CONFIG.pack(*th.DEFAULT_CONFIG)

    @property
    def rate_hz(self) -> float:
        """The configured motion processing frequency in Hz."""
        return float(th.MOTION_CONFIG.unpack(self.config)[3])

    def delivered_rate_hz(self) -> float:
        """Rate the firmware actually delivers, in Hz."""
        frac = self.delivered_fraction
        if frac is None:
            frac = 1.0 if self.rate_hz <= 100 else 0.85
        return self.rate_hz * frac

    def read(self, char_uuid: str) -> bytes:
        """Return the 9-byte motion configuration (or connection parameters)."""
        if char_uuid == th.MOTION_CONFIG_UUID:
            return self.config
        if char_uuid == th.CONNECTION_PARAMS_UUID:
            return bytes.fromhex("06 00 0C 00 00 00 58 02")
        return super().read(char_uuid)

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Accept a valid motion configuration (frequency 5-200 Hz)."""
        self._check_char(char_uuid, "write")
        data = bytes(data)
        if char_uuid == th.MOTION_CONFIG_UUID and len(data) == th.MOTION_CONFIG.size:
            if 5 <= th.MOTION_CONFIG.unpack(data)[3] <= 200:
                self.config = data
                if self.streaming:
                    self.start_stream(self.delivered_rate_hz())
        return []

    def set_notify(self, char_uuid: str, enabled: bool) -> list[Notification]:
        """Start the raw stream when its CCCD is enabled."""
        out = super().set_notify(char_uuid, enabled)
        if char_uuid == th.RAW_DATA_UUID:
            if enabled:
                self.start_stream(self.delivered_rate_hz())
            else:
                self.stop_stream()
        return out

    def packet_size(self) -> int:
        """Return 1: one sample per notification."""
        return 1

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode samples clipped at ±2 g (Q6.10) and ±2000 °/s (Q11.5)."""
        assert self.player is not None
        out = []
        acc = quantise(self.player.acc(k0, n).clip(-2.0, 2.0), th.ACC_LSB_PER_G, 16)
        gyro = quantise(self.player.gyro(k0, n).clip(-2000, 2000), th.GYRO_LSB_PER_DPS, 16)
        for a, g in zip(acc, gyro, strict=True):
            out.append(th.encode_raw(a, g, (0, 0, 0)))
        return out
