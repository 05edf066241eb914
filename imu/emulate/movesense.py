"""Emulated Movesense sensor running the GSP firmware."""

from __future__ import annotations

from typing import Any

import pandas as pd

from imu.devices import movesense as ms
from imu.emulate.base import EmulatedPeripheral, Notification

MAX_SUBSCRIPTIONS = 4
DEFAULT_RANGE_G = 8.0
"""The range used by the emulation (the real default is not documented for GSP)."""


class MovesensePeripheral(EmulatedPeripheral):
    """A Movesense sensor: HELLO, SUBSCRIBE ``/Meas/Acc/<rate>``, UNSUBSCRIBE.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table to play.
    range_g : float
        Full scale the emulated sensor clips at.
    boot_ms : int
        Sensor clock (ms since boot) at emulation time 0.
    **options
        See :class:`~imu.emulate.base.EmulatedPeripheral`.
    """

    kind = "movesense"
    default_name = "Movesense 223430000123"
    default_address = "0C:8C:DC:00:01:23"
    data_char_uuid = ms.NOTIFY_UUID

    def __init__(
        self,
        samples: pd.DataFrame,
        *,
        range_g: float = DEFAULT_RANGE_G,
        boot_ms: int = 3_600_000,
        **options: Any,
    ) -> None:
        super().__init__(samples, **options)
        self.range_g = float(range_g)
        self.boot_ms = int(boot_ms)
        self.advertised_service_uuids = []
        self.manufacturer_data = {}
        self.gatt = {
            ms.SERVICE_UUID: [
                (ms.WRITE_UUID, ["write", "write-without-response"]),
                (ms.NOTIFY_UUID, ["notify"]),
            ]
        }
        self.subscriptions: dict[int, str] = {}
        self._acc_ref: int | None = None

    def on_connect(self) -> None:
        """Drop every subscription (the firmware does so on disconnect)."""
        super().on_connect()
        self.subscriptions.clear()
        self._acc_ref = None

    def _reply(self, payload: bytes) -> list[Notification]:
        return self.reply(ms.NOTIFY_UUID, payload)

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Answer GSP commands."""
        self._check_char(char_uuid, "write")
        data = bytes(data)
        if len(data) < 2 or data[1] == 0:
            return []
        cmd, ref = data[0], data[1]
        if cmd == ms.CMD_HELLO:
            return self._reply(bytes((ms.MSG_RESULT, ref)) + b"Hello")
        if cmd == ms.CMD_SUBSCRIBE:
            path = data[2:].decode("utf-8", "replace")
            if len(self.subscriptions) >= MAX_SUBSCRIPTIONS and ref not in self.subscriptions:
                return self._reply(ms.encode_result(ref, 507))
            parts = path.strip("/").split("/")
            if len(parts) != 3 or parts[:2] != ["Meas", "Acc"] or not parts[2].isdigit():
                return self._reply(ms.encode_result(ref, 404))
            rate = float(parts[2])
            if rate not in ms.RATES_HZ:
                return self._reply(ms.encode_result(ref, 400))
            self.subscriptions[ref] = path
            self._acc_ref = ref
            self.start_stream(rate)
            return self._reply(ms.encode_result(ref, 200))
        if cmd == ms.CMD_UNSUBSCRIBE:
            if self.subscriptions.pop(ref, None) is None:
                return self._reply(ms.encode_result(ref, 404))
            if ref == self._acc_ref:
                self.stop_stream()
                self._acc_ref = None
            return self._reply(ms.encode_result(ref, 200))
        return self._reply(ms.encode_result(ref, 400))

    def packet_size(self) -> int:
        """Return samples per notification: about 26 notifications/s, at most 16 samples."""
        assert self.player is not None
        return int(min(16, max(1, round(self.player.rate_hz / 26.0))))

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode samples in m/s² as float32 with the ms clock of the first sample."""
        assert self.player is not None and self._acc_ref is not None and self._t_ref is not None
        acc_g = self.player.acc(k0, n).clip(-self.range_g, self.range_g)
        clock_s = self._t_ref * (1 + self.clock_drift_ppm * 1e-6) + k0 / self.player.rate_hz
        stamp = self.boot_ms + int(clock_s * 1000.0)
        return [ms.encode_data(self._acc_ref, stamp, acc_g * ms.STANDARD_GRAVITY)]
