"""MbientLab MetaWear / MetaMotion boards with a Bosch BMI160 (R, C) or BMI270 (S).

Messages are ``[module, register, payload…]`` on the command characteristic (written without
response) and on the notify characteristic. The accelerometer is module 3. Streaming data has
no timestamp and no counter, so the host reconstructs sample times (:mod:`imu.timebase`).

References
----------
``mbientlab/MetaWear-SDK-Cpp``: ``metawearboard.cpp``, ``accelerometer_bosch.cpp``,
``accelerometer_bosch_register.h``.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

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

SERVICE_UUID = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND_UUID = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY_UUID = "326a9006-85cb-9195-d9dd-464cfbbae75a"
DEVICE_INFO_SERVICE_UUID = sig_uuid(0x180A)
MODEL_NUMBER_UUID = sig_uuid(0x2A24)
FIRMWARE_UUID = sig_uuid(0x2A26)
HARDWARE_UUID = sig_uuid(0x2A27)
MBIENTLAB_COMPANY_ID = 0x626D

MODULE_ACC = 0x03
MODULE_SETTINGS = 0x11
REG_POWER_MODE = 0x01
REG_DATA_INTERRUPT_ENABLE = 0x02
REG_DATA_CONFIG = 0x03
REG_DATA = 0x04
REG_PACKED_BMI160 = 0x1C
REG_PACKED_BMI270 = 0x05
REG_MODULE_INFO = 0x80
READ_FLAG = 0x80

IMPL_BMI160 = 1
IMPL_BMI270 = 4
CHIPS = {IMPL_BMI160: "bmi160", IMPL_BMI270: "bmi270"}

SAMPLE = struct.Struct("<3h")
"""x, y, z int16 LE."""
UNPACKED_LEN = 2 + SAMPLE.size
PACKED_LEN = 2 + 3 * SAMPLE.size
CONNECTION_PARAMETERS = struct.Struct("<2B4H")
"""``11 09`` min and max interval (1.25 ms), latency (events), timeout (10 ms)."""

RATES_HZ = (0.78125, 1.5625, 3.125, 6.25, 12.5, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
ODR_BYTES = {
    "bmi160": dict(
        zip(
            RATES_HZ,
            (0x81, 0x82, 0x83, 0x84, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C),
            strict=True,
        )
    ),
    "bmi270": dict(
        zip(
            RATES_HZ,
            (0x21, 0x22, 0x23, 0x24, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC),
            strict=True,
        )
    ),
}
"""ODR byte per chip and rate (BMI160 ``us<<7|bwp<<4|odr``; BMI270 ``filter_perf<<7|bwp<<4|odr``)."""
RANGE_BYTES = {
    "bmi160": {2.0: 0x03, 4.0: 0x05, 8.0: 0x08, 16.0: 0x0C},
    "bmi270": {2.0: 0x00, 4.0: 0x01, 8.0: 0x02, 16.0: 0x03},
}
LSB_PER_G = {2.0: 16384.0, 4.0: 8192.0, 8.0: 4096.0, 16.0: 2048.0}
PACKED_REGISTER = {"bmi160": REG_PACKED_BMI160, "bmi270": REG_PACKED_BMI270}
DEFAULTS = {"bmi160": (100.0, 2.0), "bmi270": (100.0, 8.0)}
"""Power-on rate (Hz) and range (± g) per chip."""
PACKED_FROM_HZ = 200.0


def module_info_request(module: int = MODULE_ACC) -> bytes:
    """Return the module-info read ``<module> 80``."""
    return bytes((module, REG_MODULE_INFO))


def data_config(chip: str, rate_hz: float, range_g: float) -> bytes:
    """Return ``03 03 <odr> <range>`` for a chip."""
    return bytes(
        (MODULE_ACC, REG_DATA_CONFIG, ODR_BYTES[chip][rate_hz], RANGE_BYTES[chip][range_g])
    )


def connection_parameters(
    min_interval_ms: float = 7.5,
    max_interval_ms: float = 15.0,
    latency: int = 0,
    timeout_ms: int = 6000,
) -> bytes:
    """Return the ``11 09`` connection-parameter request."""
    return CONNECTION_PARAMETERS.pack(
        MODULE_SETTINGS,
        0x09,
        round(min_interval_ms / 1.25),
        round(max_interval_ms / 1.25),
        latency,
        round(timeout_ms / 10),
    )


def encode_samples(counts: np.ndarray, *, packed_register: int | None) -> list[bytes]:
    """Encode integer samples as notifications: unpacked (one each) or packed (three each)."""
    counts = np.asarray(counts, dtype="<i2").reshape(-1, 3)
    if packed_register is None:
        return [bytes((MODULE_ACC, REG_DATA)) + row.tobytes() for row in counts]
    if len(counts) % 3:
        raise ValueError("packed notifications hold exactly 3 samples")
    return [
        bytes((MODULE_ACC, packed_register)) + counts[i : i + 3].tobytes()
        for i in range(0, len(counts), 3)
    ]


class MetaWearDecoder(Decoder):
    """Decode accelerometer data notifications (unpacked and packed) at a given range.

    Parameters
    ----------
    range_g : float
        The configured full scale (2, 4, 8 or 16).

    Attributes
    ----------
    module_info : dict of int to bytes
        Module-info replies seen (module → implementation, revision, …).
    """

    driver = "metawear"

    def __init__(self, *, range_g: float) -> None:
        if range_g not in LSB_PER_G:
            raise ValueError(f"`range_g` must be one of 2, 4, 8, 16, got {range_g!r}")
        self.range_g = float(range_g)
        self.scale = 1.0 / LSB_PER_G[self.range_g]
        self.module_info: dict[int, bytes] = {}

    def reset(self) -> None:
        """Nothing to forget between streams except module info."""
        self.module_info = {}

    def feed(self, payload: bytes) -> DecodedBlock:
        """Decode one notification (module-info replies give no sample)."""
        if len(payload) < 2:
            raise self.error(payload, "message shorter than its 2-byte module/register header")
        module, register = payload[0], payload[1]
        if module == MODULE_ACC and register in (REG_PACKED_BMI160, REG_PACKED_BMI270):
            if len(payload) != PACKED_LEN:
                raise self.error(
                    payload, f"packed data must be {PACKED_LEN} bytes, got {len(payload)}"
                )
            raw = np.frombuffer(payload, dtype="<i2", offset=2).reshape(3, 3)
        elif module == MODULE_ACC and register == REG_DATA:
            if len(payload) != UNPACKED_LEN:
                raise self.error(payload, f"data must be {UNPACKED_LEN} bytes, got {len(payload)}")
            raw = np.frombuffer(payload, dtype="<i2", offset=2).reshape(1, 3)
        elif register == REG_MODULE_INFO:
            self.module_info[module] = bytes(payload[2:])
            return DecodedBlock.empty()
        else:
            raise self.error(
                payload,
                f"module 0x{module:02X} register 0x{register:02X} is not accelerometer data",
            )
        return DecodedBlock(raw.astype(np.float64) * self.scale)

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode many data notifications of one layout with one array operation."""
        if not payloads or not _uniform_data(payloads):
            return super().feed_many(payloads)
        return [DecodedBlock(decode_many(payloads, self.range_g))]


def _uniform_data(payloads: Sequence[bytes]) -> bool:
    """Whether every payload is accelerometer data of one layout."""
    size = len(payloads[0])
    if size == UNPACKED_LEN:
        regs = [REG_DATA]
    elif size == PACKED_LEN:
        regs = [REG_PACKED_BMI160, REG_PACKED_BMI270]
    else:
        return False
    if any(len(p) != size for p in payloads):
        return False
    arr = np.frombuffer(b"".join(payloads), dtype=np.uint8).reshape(len(payloads), size)
    return bool(np.all(arr[:, 0] == MODULE_ACC) and np.all(np.isin(arr[:, 1], regs)))


def decode_many(payloads: Sequence[bytes], range_g: float) -> np.ndarray:
    """Vectorised decode of equal-length data notifications (unpacked or packed), in g."""
    if not payloads:
        return np.zeros((0, 3))
    size = len(payloads[0])
    arr = np.frombuffer(b"".join(payloads), dtype=np.uint8).reshape(len(payloads), size)
    raw = arr[:, 2:].copy().view("<i2").reshape(-1, 3)
    return raw.astype(np.float64) / LSB_PER_G[float(range_g)]


class MetaWearDriver(DeviceDriver):
    """MetaWear / MetaMotion accelerometer stream.

    Parameters
    ----------
    chip : {"bmi160", "bmi270"}, optional
        The accelerometer. Without it :meth:`start` asks the board (module info ``03 80``);
        :meth:`start_commands` then assumes the BMI160.
    packed : bool, optional
        Packed notifications (three samples each); default: at 200 Hz and above.
    """

    name = "metawear"
    label = "MbientLab MetaWear / MetaMotion (BMI160, BMI270)"
    service_uuid = SERVICE_UUID
    data_char_uuid = NOTIFY_UUID
    control_char_uuid = COMMAND_UUID
    notify_char_uuids = (NOTIFY_UUID,)
    has_device_clock = False
    rates_hz = RATES_HZ
    ranges_g = (2.0, 4.0, 8.0, 16.0)
    default_rate_hz = 200.0
    default_range_g = 16.0
    decode_options: ClassVar[tuple[str, ...]] = ("chip", "packed")
    response_timeout_s: ClassVar[float] = 3.0

    def __init__(self, chip: str | None = None, packed: bool | None = None, **options: Any) -> None:
        super().__init__(**options)
        if chip is not None and chip not in ODR_BYTES:
            raise ValueError(f"`chip` must be 'bmi160' or 'bmi270', got {chip!r}")
        self.chip = chip
        self.packed = packed
        self._replies: asyncio.Queue[bytes] | None = None

    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Match the advertised MetaWear service or MbientLab manufacturer data."""
        return advertises(service_uuids, SERVICE_UUID) or (
            MBIENTLAB_COMPANY_ID in manufacturer_data
        )

    def configure(self, rate_hz: float | None = None, range_g: float | None = None) -> StreamConfig:
        """Pick the nearest ODR and range; packed mode from 200 Hz unless set."""
        cfg = super().configure(rate_hz, range_g)
        packed = self.packed if self.packed is not None else cfg.sample_rate_hz >= PACKED_FROM_HZ
        options = {"chip": self.chip or "bmi160", "packed": bool(packed)}
        return StreamConfig(cfg.sample_rate_hz, cfg.range_g, False, options)

    def decode_config(
        self,
        *,
        sample_rate_hz: float | None = None,
        range_g: float | None = None,
        **settings: Any,
    ) -> StreamConfig:
        """Describe a capture; ``range_g`` is required (the data carry no scale).

        Raises
        ------
        ValueError
            ``range_g`` is missing or not 2, 4, 8 or 16.
        """
        if range_g not in LSB_PER_G:
            raise ValueError(
                f"metawear: pass range_g=, the full scale the board was set to (2, 4, 8 or 16 g), "
                f"got {range_g!r}"
            )
        return super().decode_config(sample_rate_hz=sample_rate_hz, range_g=range_g, **settings)

    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return connection parameters, data config, subscribe, enable, start (no response)."""
        chip = cfg.options.get("chip", "bmi160")
        assert cfg.range_g is not None
        sub = PACKED_REGISTER[chip] if cfg.options.get("packed") else REG_DATA
        power = 0x02 if chip == "bmi270" and cfg.sample_rate_hz < 12.5 else 0x01
        return [
            Command(COMMAND_UUID, connection_parameters(), response=False),
            Command(
                COMMAND_UUID, data_config(chip, cfg.sample_rate_hz, cfg.range_g), response=False
            ),
            Command(COMMAND_UUID, bytes((MODULE_ACC, sub, 0x01)), response=False),
            Command(
                COMMAND_UUID,
                bytes((MODULE_ACC, REG_DATA_INTERRUPT_ENABLE, 0x01, 0x00)),
                response=False,
            ),
            Command(COMMAND_UUID, bytes((MODULE_ACC, REG_POWER_MODE, power)), response=False),
        ]

    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Stop, disable the data interrupt, unsubscribe."""
        chip = cfg.options.get("chip", "bmi160")
        sub = PACKED_REGISTER[chip] if cfg.options.get("packed") else REG_DATA
        return [
            Command(COMMAND_UUID, bytes((MODULE_ACC, REG_POWER_MODE, 0x00)), response=False),
            Command(
                COMMAND_UUID,
                bytes((MODULE_ACC, REG_DATA_INTERRUPT_ENABLE, 0x00, 0x01)),
                response=False,
            ),
            Command(COMMAND_UUID, bytes((MODULE_ACC, sub, 0x00)), response=False),
        ]

    def decoder(self, cfg: StreamConfig) -> MetaWearDecoder:
        """Return a decoder scaled for ``cfg.range_g``."""
        return MetaWearDecoder(range_g=float(cfg.range_g or 2.0))

    def handle_control(self, payload: bytes) -> None:
        """Collect module-info replies (they arrive on the notify characteristic)."""
        if self._replies is not None and len(payload) >= 2 and payload[1] == REG_MODULE_INFO:
            self._replies.put_nowait(bytes(payload))

    async def start(
        self,
        client: Any,
        cfg: StreamConfig,
        *,
        control_queue: asyncio.Queue[bytes] | None = None,
    ) -> StreamConfig:
        """Ask the accelerometer module which chip it is (unless given), then start.

        The module-info reply arrives on the notify characteristic: the caller forwards
        notifications to :meth:`handle_control` or ``control_queue`` during ``start``.
        Without a reply within :attr:`response_timeout_s` the BMI160 is assumed.
        """
        options = dict(cfg.options)
        if self.chip is None:
            self._replies = asyncio.Queue()
            await client.write_gatt_char(COMMAND_UUID, module_info_request(), response=False)
            chip = None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.response_timeout_s
            while chip is None and loop.time() < deadline:
                try:
                    if control_queue is not None:
                        self.handle_control(
                            await asyncio.wait_for(control_queue.get(), deadline - loop.time())
                        )
                        if self._replies.empty():
                            continue
                    reply = await asyncio.wait_for(self._replies.get(), deadline - loop.time())
                except TimeoutError:
                    break
                if reply[0] == MODULE_ACC and len(reply) >= 3:
                    chip = CHIPS.get(reply[2])
                    if chip is None:
                        logger.warning(
                            "metawear: unknown accelerometer implementation %d", reply[2]
                        )
            if chip is None:
                logger.warning("metawear: no module-info reply; assuming a BMI160")
                chip = "bmi160"
            options["chip"] = chip
            self._replies = None
        cfg = StreamConfig(cfg.sample_rate_hz, cfg.range_g, cfg.gyro, options)
        await self.write_commands(client, self.start_commands(cfg))
        return cfg
