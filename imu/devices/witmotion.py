"""WitMotion BLE 5.0 IMUs (WT901BLECL, BWT901BLECL5.0, WT9011DCL).

The data characteristic FFE4 is a byte stream of fixed 20-byte frames without checksum:
``55 61`` data frames (acc, gyro, angles) and ``55 71`` register read-back frames, several per
notification and possibly split across notifications. There is no device clock and no counter:
the host reconstructs sample times (:mod:`imu.timebase`).

References
----------
WitMotion WT901BLECL datasheet §6.1; ``WITMOTION/WitBluetooth_BWT901BLE5_0``;
``WITMOTION/WitStandardProtocol_JY901`` (register map).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping, Sequence

import numpy as np

from imu.devices.base import (
    Command,
    DecodedBlock,
    Decoder,
    DeviceDriver,
    StreamConfig,
    advertises,
    sig_uuid,
)

logger = logging.getLogger(__name__)

SERVICE_UUID = sig_uuid(0xFFE5)
NOTIFY_UUID = sig_uuid(0xFFE4)
WRITE_UUID = sig_uuid(0xFFE9)

FRAME_LEN = 20
HEADER = 0x55
FLAG_DATA = 0x61
FLAG_REGISTERS = 0x71
DATA_FRAME = struct.Struct("<2B9h")
"""``55 61``, acc x/y/z, gyro x/y/z, roll/pitch/yaw (int16 LE)."""
REGISTER_FRAME = struct.Struct("<2BH8h")
"""``55 71``, first register (uint16 LE), 8 consecutive registers (int16 LE)."""
COMMAND = struct.Struct("<3BH")
"""``FF AA <reg> <value uint16 LE>``."""

ACC_LSB_PER_G = 32768.0 / 16.0
GYRO_LSB_PER_DPS = 32768.0 / 2000.0
ANGLE_LSB_PER_DEG = 32768.0 / 180.0

REG_SAVE = 0x00
REG_RATE = 0x03
REG_BANDWIDTH = 0x1F
REG_KEY = 0x69
REG_READ = 0x27
UNLOCK = bytes.fromhex("FF AA 69 88 B5")
SAVE = bytes.fromhex("FF AA 00 00 00")

RATE_CODES: dict[float, int] = {
    0.2: 0x01,
    0.5: 0x02,
    1.0: 0x03,
    2.0: 0x04,
    5.0: 0x05,
    10.0: 0x06,
    20.0: 0x07,
    50.0: 0x08,
    100.0: 0x09,
    200.0: 0x0B,
}
"""Return-rate register values (0x0A = 125 Hz exists on the WT931 only)."""
CODE_RATES = {code: rate for rate, code in RATE_CODES.items()}


def write_register(reg: int, value: int) -> bytes:
    """Return the 5-byte command writing ``value`` (uint16) to register ``reg``."""
    return COMMAND.pack(0xFF, 0xAA, reg, value & 0xFFFF)


def read_register(reg: int) -> bytes:
    """Return the command asking for registers ``reg .. reg+7`` (answered by a ``55 71`` frame)."""
    return bytes((0xFF, 0xAA, REG_READ, reg, 0x00))


def encode_data_frame(
    acc_raw: Sequence[int], gyro_raw: Sequence[int], angle_raw: Sequence[int]
) -> bytes:
    """Pack one ``55 61`` frame from raw int16 counts."""
    return DATA_FRAME.pack(HEADER, FLAG_DATA, *acc_raw, *gyro_raw, *angle_raw)


def encode_register_frame(first_reg: int, values: Sequence[int]) -> bytes:
    """Pack one ``55 71`` register read-back frame (8 int16 values from ``first_reg``)."""
    vals = list(values)[:8] + [0] * (8 - len(values))
    return REGISTER_FRAME.pack(HEADER, FLAG_REGISTERS, first_reg, *vals)


class WitMotionDecoder(Decoder):
    """Frame the FFE4 byte stream and decode ``55 61`` frames.

    Parameters
    ----------
    strict : bool
        Raise :class:`~imu.errors.DecodeError` on bytes that are not a frame (otherwise skip to
        the next ``0x55`` and count them in :attr:`discarded_bytes`).

    Attributes
    ----------
    registers : dict of int to int
        Register values seen in ``55 71`` read-back frames.
    discarded_bytes : int
        Bytes skipped while resynchronising.
    """

    driver = "witmotion"

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict
        self.reset()

    def reset(self) -> None:
        """Drop the buffered tail, register values and counters."""
        self._buf = bytearray()
        self.registers: dict[int, int] = {}
        self.discarded_bytes = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes buffered while waiting for the rest of a frame."""
        return len(self._buf)

    def finish(self) -> None:
        """Raise if a partial frame is still buffered (end of a capture)."""
        if self._buf:
            raise self.error(
                self._buf, f"capture ends inside a frame ({len(self._buf)} of 20 bytes)"
            )

    def feed(self, payload: bytes) -> DecodedBlock:
        """Append ``payload`` to the stream and decode every complete data frame."""
        buf = self._buf
        buf += payload
        n_full = len(buf) // FRAME_LEN
        if n_full and len(buf) == n_full * FRAME_LEN:
            arr = np.frombuffer(bytes(buf), dtype=np.uint8).reshape(n_full, FRAME_LEN)
            if np.all(arr[:, 0] == HEADER) and np.all(arr[:, 1] == FLAG_DATA):
                raw = arr[:, 2:].copy().view("<i2").astype(np.float64)
                self._buf = bytearray()
                return DecodedBlock(raw[:, 0:3] / ACC_LSB_PER_G, raw[:, 3:6] / GYRO_LSB_PER_DPS)
        frames: list[bytes] = []
        i = 0
        n = len(buf)
        while n - i >= 2:
            if buf[i] == HEADER and buf[i + 1] in (FLAG_DATA, FLAG_REGISTERS):
                if n - i < FRAME_LEN:
                    break
                frame = bytes(buf[i : i + FRAME_LEN])
                if frame[1] == FLAG_DATA:
                    frames.append(frame)
                else:
                    _, _, reg, *vals = REGISTER_FRAME.unpack(frame)
                    for j, v in enumerate(vals):
                        self.registers[reg + j] = v
                i += FRAME_LEN
                continue
            j = buf.find(HEADER, i + 1)
            j = n if j < 0 else j
            if self.strict:
                bad = bytes(buf[i:])
                self._buf = bytearray()
                raise self.error(bad, f"{j - i} byte(s) that are not a 55 61/55 71 frame")
            self.discarded_bytes += j - i
            logger.debug("witmotion: skipped %d byte(s) to resynchronise", j - i)
            i = j
        if n - i == 1 and buf[i] != HEADER:
            if self.strict:
                bad = bytes(buf[i:])
                self._buf = bytearray()
                raise self.error(bad, "a byte that is not a frame start")
            self.discarded_bytes += 1
            i = n
        self._buf = bytearray(buf[i:])
        if not frames:
            return DecodedBlock.empty(gyro=True)
        arr = np.frombuffer(b"".join(frames), dtype=np.uint8).reshape(len(frames), FRAME_LEN)
        raw = arr[:, 2:].copy().view("<i2").astype(np.float64)
        return DecodedBlock(raw[:, 0:3] / ACC_LSB_PER_G, raw[:, 3:6] / GYRO_LSB_PER_DPS)

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode many notifications at once (the stream is framed across them anyway)."""
        return [self.feed(b"".join(payloads))]


class WitMotionDriver(DeviceDriver):
    """WitMotion BLE 5.0 family: ±16 g fixed, return rate up to 200 Hz, no device clock."""

    name = "witmotion"
    label = "WitMotion BLE 5.0 (WT901BLECL, BWT901BLECL5.0, WT9011DCL)"
    service_uuid = SERVICE_UUID
    data_char_uuid = NOTIFY_UUID
    control_char_uuid = WRITE_UUID
    notify_char_uuids = (NOTIFY_UUID,)
    has_device_clock = False
    rates_hz = tuple(RATE_CODES)
    ranges_g = (16.0,)
    default_rate_hz = 200.0
    default_range_g = 16.0

    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Match names containing ``WT`` (as the vendor SDK does), except vibration sensors."""
        if not name:
            return advertises(service_uuids, SERVICE_UUID)
        return "WT" in name and not name.upper().startswith("WTVB")

    def configure(self, rate_hz: float | None = None, range_g: float | None = None) -> StreamConfig:
        """Pick the nearest return rate; the range is fixed at ±16 g."""
        cfg = super().configure(rate_hz, range_g)
        return StreamConfig(cfg.sample_rate_hz, 16.0, gyro=True, options={})

    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Unlock, set the return rate, save, then ask for register 0x03 to confirm it."""
        code = RATE_CODES[cfg.sample_rate_hz]
        return [
            Command(WRITE_UUID, UNLOCK, response=False, delay_s=0.1),
            Command(WRITE_UUID, write_register(REG_RATE, code), response=False, delay_s=0.1),
            Command(WRITE_UUID, SAVE, response=False, delay_s=0.1),
            Command(WRITE_UUID, read_register(REG_RATE), response=False),
        ]

    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return no command: the stream stops when notifications are disabled."""
        return []

    def decoder(self, cfg: StreamConfig) -> WitMotionDecoder:
        """Return a byte-stream decoder (``cfg.options["strict"]`` selects strict framing)."""
        return WitMotionDecoder(strict=bool(cfg.options.get("strict", False)))
