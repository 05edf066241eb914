"""Emulated WitMotion WT901BLECL: register writes behind the unlock key, read-back, 55 61 stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from imu.devices import witmotion as wm
from imu.emulate.base import EmulatedPeripheral, Notification, quantise

UNLOCK_VALID_S = 10.0


class WitMotionPeripheral(EmulatedPeripheral):
    """A WT901BLECL: streams ``55 61`` frames on FFE4 while notifications are enabled.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table to play.
    frames_per_notification : int or sequence of int, optional
        Frames packed into each notification (cycled). Default: 1 up to 50 Hz, then a mix of
        1-4 frames as real modules send at 100-200 Hz.
    **options
        See :class:`~imu.emulate.base.EmulatedPeripheral`.
    """

    kind = "witmotion"
    default_name = "WT901BLE68"
    default_address = "E1:57:00:00:00:68"
    data_char_uuid = wm.NOTIFY_UUID

    def __init__(
        self,
        samples: pd.DataFrame,
        *,
        frames_per_notification: int | Sequence[int] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(samples, **options)
        self.advertised_service_uuids = []
        self.manufacturer_data = {}
        self.gatt = {
            wm.SERVICE_UUID: [
                (wm.NOTIFY_UUID, ["notify"]),
                (wm.WRITE_UUID, ["write", "write-without-response"]),
            ]
        }
        self.registers: dict[int, int] = {wm.REG_RATE: 0x06, wm.REG_BANDWIDTH: 0x03, 0x21: 0x00}
        self.saved_registers = dict(self.registers)
        self._unlocked_until = -1.0
        self._fpn = frames_per_notification
        self._packet_i = 0

    @property
    def rate_hz(self) -> float:
        """The return rate currently in the rate register (Hz)."""
        return wm.CODE_RATES.get(self.registers[wm.REG_RATE], 10.0)

    def _pattern(self) -> Sequence[int]:
        if self._fpn is not None:
            return [self._fpn] if isinstance(self._fpn, int) else list(self._fpn)
        if self.rate_hz <= 50:
            return [1]
        if self.rate_hz <= 100:
            return [1, 2, 2, 1]
        return [2, 4, 1, 3, 2, 4]

    def set_notify(self, char_uuid: str, enabled: bool) -> list[Notification]:
        """Start the stream at the register rate when FFE4 is enabled; stop it when disabled."""
        out = super().set_notify(char_uuid, enabled)
        if char_uuid == wm.NOTIFY_UUID:
            if enabled:
                self.start_stream(self.rate_hz)
            else:
                self.stop_stream()
        return out

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Handle the 5-byte ``FF AA`` commands (unlock, write, save, read)."""
        self._check_char(char_uuid, "write")
        data = bytes(data)
        if len(data) != 5 or data[:2] != b"\xff\xaa":
            return []  # the module ignores anything else
        reg, value = data[2], data[3] | (data[4] << 8)
        if data == wm.UNLOCK:
            self._unlocked_until = self.now_s + UNLOCK_VALID_S
            return []
        if reg == wm.REG_READ:
            first = data[3]
            vals = [self.registers.get(first + j, 0) for j in range(8)]
            vals = [v - 0x10000 if v >= 0x8000 else v for v in vals]
            return self.reply(wm.NOTIFY_UUID, wm.encode_register_frame(first, vals))
        if self.now_s > self._unlocked_until:
            return []  # writes without a valid unlock are ignored
        if reg == wm.REG_SAVE:
            if value == 0:
                self.saved_registers = dict(self.registers)
            elif value == 1:
                self.registers = {wm.REG_RATE: 0x06, wm.REG_BANDWIDTH: 0x03, 0x21: 0x00}
            return []
        old_rate = self.rate_hz
        self.registers[reg] = value
        if reg == wm.REG_RATE and self.streaming and self.rate_hz != old_rate:
            self.start_stream(self.rate_hz)
        return []

    def on_stream_start(self) -> None:
        """Restart the frames-per-notification cycle."""
        self._packet_i = 0

    def packet_size(self) -> int:
        """Return the number of frames in the next notification."""
        pattern = self._pattern()
        return int(pattern[self._packet_i % len(pattern)])

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode ``n`` samples as concatenated ``55 61`` frames in one notification."""
        assert self.player is not None
        self._packet_i += 1
        acc = self.player.acc(k0, n)
        gyro = self.player.gyro(k0, n)
        return [encode_samples(acc, gyro)]


def encode_samples(acc_g: np.ndarray, gyro_dps: np.ndarray) -> bytes:
    """Encode samples (g, °/s) as ``55 61`` frames, quantised and clipped like the sensor.

    Roll and pitch come from the acceleration direction; yaw is 0.
    """
    acc_g = np.atleast_2d(acc_g)
    gyro_dps = np.atleast_2d(gyro_dps)
    acc = quantise(acc_g, wm.ACC_LSB_PER_G, 16)
    gyr = quantise(gyro_dps, wm.GYRO_LSB_PER_DPS, 16)
    roll = np.degrees(np.arctan2(acc_g[:, 1], acc_g[:, 2]))
    pitch = np.degrees(np.arctan2(-acc_g[:, 0], np.hypot(acc_g[:, 1], acc_g[:, 2])))
    ang = quantise(np.column_stack([roll, pitch, np.zeros(len(roll))]), wm.ANGLE_LSB_PER_DEG, 16)
    out = np.zeros((len(acc), wm.FRAME_LEN), dtype=np.uint8)
    out[:, 0] = wm.HEADER
    out[:, 1] = wm.FLAG_DATA
    body = np.column_stack([acc, gyr, ang]).astype("<i2")
    out[:, 2:] = body.view(np.uint8).reshape(len(acc), 18)
    return out.tobytes()


__all__ = ["WitMotionPeripheral", "encode_samples"]
