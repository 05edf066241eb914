"""Emulated DIY board streaming in the layout of a user's device description."""

from __future__ import annotations

from typing import Any

import pandas as pd

from imu.devices import generic as gen
from imu.emulate.base import EmulatedPeripheral, Notification

RECOMMENDED = {
    "label": "ESP32 hop IMU (recommended frame)",
    "name_prefix": "HopIMU",
    "service_uuid": "4fafc201-1fb5-459e-8fcc-c5c9c331914b",
    "data_char_uuid": "beb5483e-36e1-4688-b7f5-ea07361b26a8",
    "header": "seq:H, t0_us:I",
    "sample": "hhh",
    "samples_per_notification": "auto",
    "scale": 2048,
    "sample_rate_hz": 200,
    "range_g": 16,
    "counter_field": "seq",
    "time_field": "t0_us",
    "time_unit": "us",
}
"""The recommended firmware frame: seq uint16, t0_us uint32, N × int16[3] at ±16 g."""


class GenericPeripheral(EmulatedPeripheral):
    """A DIY board: streams while notifications are enabled, in the description's layout.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table to play.
    description : str, Path, mapping or GenericDescription, optional
        The device description (default: :data:`RECOMMENDED`).
    samples_per_notification : int, optional
        Samples per notification when the description says ``auto`` (default 10).
    **options
        See :class:`~imu.emulate.base.EmulatedPeripheral`.
    """

    kind = "generic"
    default_name = "HopIMU-01"
    default_address = "24:6F:28:00:00:01"

    def __init__(
        self,
        samples: pd.DataFrame,
        *,
        description: Any = None,
        samples_per_notification: int = 10,
        **options: Any,
    ) -> None:
        self.desc = gen.GenericDescription.load(
            description if description is not None else RECOMMENDED
        )
        if self.desc.name_prefix and "name" not in options:
            options["name"] = f"{self.desc.name_prefix}-01"
        super().__init__(samples, **options)
        self.data_char_uuid = self.desc.data_char_uuid  # type: ignore[misc]
        self.per_packet = self.desc.samples_per_notification or int(samples_per_notification)
        self.advertised_service_uuids = [self.desc.service_uuid]
        self.manufacturer_data = {}
        chars: dict[str, set[str]] = {self.desc.data_char_uuid: {"notify"}}
        for c, _, _ in (*self.desc.start, *self.desc.stop):
            chars.setdefault(c, set()).update({"write", "write-without-response"})
        self.gatt = {self.desc.service_uuid: [(u, sorted(p)) for u, p in chars.items()]}
        self.writes: list[bytes] = []
        self._seq = 0

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Record writes (start/stop commands are accepted; the stream follows notify)."""
        self._check_char(char_uuid, "write")
        self.writes.append(bytes(data))
        return []

    def set_notify(self, char_uuid: str, enabled: bool) -> list[Notification]:
        """Stream while the data characteristic notifies."""
        out = super().set_notify(char_uuid, enabled)
        if char_uuid == self.desc.data_char_uuid:
            if enabled:
                self.start_stream(self.desc.sample_rate_hz)
            else:
                self.stop_stream()
        return out

    def packet_size(self) -> int:
        """Return the samples per notification."""
        return self.per_packet

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode with the counter and the device-clock time of the first sample."""
        assert self.player is not None and self._t_ref is not None
        header: dict[str, float] = {}
        if self.desc.counter_field:
            header[self.desc.counter_field] = self._seq
        if self.desc.time_field:
            clock_s = self._t_ref * (1 + self.clock_drift_ppm * 1e-6) + k0 / self.player.rate_hz
            header[self.desc.time_field] = round(clock_s / gen.TIME_UNITS[self.desc.time_unit])
        self._seq += 1
        acc = self.player.acc(k0, n)
        if self.desc.range_g:
            acc = acc.clip(-self.desc.range_g, self.desc.range_g)
        gyro = self.player.gyro(k0, n)
        if self.desc.samples_per_notification is not None and n < self.per_packet:
            return []  # a fixed-size frame is only sent complete
        return [gen.encode_notification(self.desc, acc, gyro, header=header)]
