"""Emulated MetaWear / MetaMotion board (BMI160 or BMI270) streaming its accelerometer."""

from __future__ import annotations

from typing import Any

import pandas as pd

from imu.devices import metawear as mw
from imu.emulate.base import EmulatedPeripheral, Notification, quantise


class MetaWearPeripheral(EmulatedPeripheral):
    """A MetaMotion board answering module-info reads and the accelerometer registers.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table to play.
    chip : {"bmi160", "bmi270"}
        The accelerometer (MetaMotion R/C or S).
    **options
        See :class:`~imu.emulate.base.EmulatedPeripheral`.
    """

    kind = "metawear"
    default_name = "MetaWear"
    default_address = "D1:60:00:00:00:01"
    data_char_uuid = mw.NOTIFY_UUID

    def __init__(self, samples: pd.DataFrame, *, chip: str = "bmi270", **options: Any) -> None:
        if chip not in mw.ODR_BYTES:
            raise ValueError(f"`chip` must be 'bmi160' or 'bmi270', got {chip!r}")
        super().__init__(samples, **options)
        self.chip = chip
        self.advertised_service_uuids = [mw.SERVICE_UUID]
        self.manufacturer_data = {mw.MBIENTLAB_COMPANY_ID: bytes((0x00, 0x01))}
        self.gatt = {
            mw.SERVICE_UUID: [
                (mw.COMMAND_UUID, ["write", "write-without-response"]),
                (mw.NOTIFY_UUID, ["notify"]),
            ],
            mw.DEVICE_INFO_SERVICE_UUID: [
                (mw.MODEL_NUMBER_UUID, ["read"]),
                (mw.FIRMWARE_UUID, ["read"]),
                (mw.HARDWARE_UUID, ["read"]),
            ],
        }
        self._odr_rates = {v: k for k, v in mw.ODR_BYTES[chip].items()}
        self._range_of = {v: k for k, v in mw.RANGE_BYTES[chip].items()}
        self.rate_hz, self.range_g = mw.DEFAULTS[chip]
        self.subscribed: int | None = None
        self.interrupt_enabled = False
        self.commands: list[bytes] = []

    def on_connect(self) -> None:
        """Stop and unsubscribe on a new connection; the configuration is kept."""
        super().on_connect()
        self.subscribed = None
        self.interrupt_enabled = False

    def read(self, char_uuid: str) -> bytes:
        """Answer Device Information reads."""
        info = {
            mw.MODEL_NUMBER_UUID: b"5" if self.chip == "bmi160" else b"8",
            mw.FIRMWARE_UUID: b"1.7.3",
            mw.HARDWARE_UUID: b"0.4",
        }
        if char_uuid in info:
            return info[char_uuid]
        return super().read(char_uuid)

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Handle module/register messages."""
        self._check_char(char_uuid, "write")
        data = bytes(data)
        self.commands.append(data)
        if len(data) < 2:
            return []
        module, reg = data[0], data[1]
        if reg == mw.REG_MODULE_INFO:
            if module == mw.MODULE_ACC:
                impl = mw.IMPL_BMI160 if self.chip == "bmi160" else mw.IMPL_BMI270
                reply = bytes((module, reg, impl, 0x01 if self.chip == "bmi160" else 0x00))
            else:
                reply = bytes((module, reg))
            return [self.queue(0.015, mw.NOTIFY_UUID, reply)]
        if module != mw.MODULE_ACC:
            return []  # other modules (connection parameters...) are accepted silently
        packed_reg = mw.PACKED_REGISTER[self.chip]
        if reg == mw.REG_DATA_CONFIG and len(data) >= 4:
            if data[2] in self._odr_rates and data[3] in self._range_of:
                self.rate_hz = self._odr_rates[data[2]]
                self.range_g = self._range_of[data[3]]
        elif reg in (mw.REG_DATA, packed_reg) and len(data) >= 3:
            self.subscribed = reg if data[2] else None
        elif reg == mw.REG_DATA_INTERRUPT_ENABLE and len(data) >= 4:
            self.interrupt_enabled = bool(data[2]) if data[2] else not data[3]
        elif reg == mw.REG_POWER_MODE and len(data) >= 3:
            if data[2]:
                self.start_stream(self.rate_hz)
            else:
                self.stop_stream()
        return []

    def poll(self, now_s: float) -> list[Notification]:
        """Stream only while subscribed with the data interrupt enabled."""
        out = super().poll(now_s)
        if self.subscribed is None or not self.interrupt_enabled:
            return [o for o in out if o[1] != mw.NOTIFY_UUID or o[2][1] == mw.REG_MODULE_INFO]
        return out

    def packet_size(self) -> int:
        """Return 3 samples when packed, else 1."""
        return 3 if self.subscribed == mw.PACKED_REGISTER[self.chip] else 1

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode samples at the configured range (quantised, clipped)."""
        assert self.player is not None
        lsb = mw.LSB_PER_G[self.range_g]
        counts = quantise(self.player.acc(k0, n), lsb, 16)
        if self.subscribed == mw.PACKED_REGISTER[self.chip]:
            if n < 3:
                return []  # a packed notification is only sent complete
            return mw.encode_samples(counts, packed_register=self.subscribed)
        return mw.encode_samples(counts, packed_register=None)


__all__ = ["MetaWearPeripheral"]
