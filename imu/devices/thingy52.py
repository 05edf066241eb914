"""Nordic Thingy:52 (stock firmware): raw motion data, one sample per notification.

The stock firmware fixes the accelerometer at ±2 g, so foot strikes clip: the driver warns
whenever it is configured. There is no timestamp or counter; the host reconstructs time.

References
----------
``NordicSemiconductor/Nordic-Thingy52-FW``: ``ble_tms.c``, ``m_motion.c``, ``m_motion.h``;
``libs/eMD6/core/driver/eMPL/inv_mpu.c`` (the ±2 g full scale).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from imu.devices.base import Command, DecodedBlock, Decoder, DeviceDriver, StreamConfig, advertises
from imu.errors import HopscopeWarning


def thingy_uuid(short: int) -> str:
    """Return the Thingy UUID ``EF68xxxx-9B35-4933-9B10-52FFA9740042`` (lower case)."""
    return f"ef68{short:04x}-9b35-4933-9b10-52ffa9740042"


CONFIG_SERVICE_UUID = thingy_uuid(0x0100)
CONNECTION_PARAMS_UUID = thingy_uuid(0x0104)
MOTION_SERVICE_UUID = thingy_uuid(0x0400)
MOTION_CONFIG_UUID = thingy_uuid(0x0401)
RAW_DATA_UUID = thingy_uuid(0x0406)

RAW = struct.Struct("<9h")
"""acc x/y/z (Q6.10), gyro x/y/z (Q11.5), compass x/y/z (Q12.4), int16 LE."""
MOTION_CONFIG = struct.Struct("<HHHHB")
"""pedometer ms, temperature-compensation ms, compass-compensation ms, motion Hz, wake-on-motion."""
ACC_LSB_PER_G = 1024.0
GYRO_LSB_PER_DPS = 32.0
COMPASS_LSB_PER_UT = 16.0
FULL_SCALE_G = 2.0
DEFAULT_CONFIG = (1000, 500, 500, 10, 1)
RATES_HZ = tuple(float(r) for r in range(5, 201))

CLIP_WARNING = (
    "thingy52: the stock firmware fixes the accelerometer at ±2 g; landings exceed that, so "
    "contact times from this device are unreliable (use WitMotion, Verity Sense or MetaWear)"
)


def motion_config(rate_hz: float, base: bytes | None = None) -> bytes:
    """Return the 9-byte motion configuration with the processing frequency set to ``rate_hz``.

    Parameters
    ----------
    rate_hz : float
        Motion processing frequency in Hz (5-200).
    base : bytes, optional
        A configuration read from the device, patched at bytes 6-7 (default: firmware defaults).
    """
    fields = list(MOTION_CONFIG.unpack(base)) if base is not None else list(DEFAULT_CONFIG)
    fields[3] = round(rate_hz)
    return MOTION_CONFIG.pack(*fields)


def encode_raw(
    acc_counts: Sequence[int], gyro_counts: Sequence[int], compass_counts: Sequence[int] = (0, 0, 0)
) -> bytes:
    """Pack one raw-data notification from integer counts."""
    return RAW.pack(*acc_counts, *gyro_counts, *compass_counts)


class Thingy52Decoder(Decoder):
    """Decode 18-byte raw motion notifications (acc /1024 g, gyro /32 °/s)."""

    driver = "thingy52"

    def feed(self, payload: bytes) -> DecodedBlock:
        """Decode one notification."""
        if len(payload) != RAW.size:
            raise self.error(
                payload, f"raw motion data must be {RAW.size} bytes, got {len(payload)}"
            )
        raw = np.frombuffer(payload, dtype="<i2").astype(np.float64)
        return DecodedBlock(raw[None, 0:3] / ACC_LSB_PER_G, raw[None, 3:6] / GYRO_LSB_PER_DPS)

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode many notifications with one array operation."""
        if not payloads or any(len(p) != RAW.size for p in payloads):
            return super().feed_many(payloads)
        raw = np.frombuffer(b"".join(payloads), dtype="<i2").reshape(-1, 9).astype(np.float64)
        return [DecodedBlock(raw[:, 0:3] / ACC_LSB_PER_G, raw[:, 3:6] / GYRO_LSB_PER_DPS)]


class Thingy52Driver(DeviceDriver):
    """Nordic Thingy:52 raw motion stream (±2 g: not suitable for contact timing)."""

    name = "thingy52"
    label = "Nordic Thingy:52 (stock firmware, ±2 g)"
    service_uuid = MOTION_SERVICE_UUID
    data_char_uuid = RAW_DATA_UUID
    control_char_uuid = MOTION_CONFIG_UUID
    notify_char_uuids = (RAW_DATA_UUID,)
    has_device_clock = False
    rates_hz = RATES_HZ
    ranges_g = (FULL_SCALE_G,)
    default_rate_hz = 200.0
    default_range_g = FULL_SCALE_G

    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Match the advertised Thingy configuration service."""
        return advertises(service_uuids, CONFIG_SERVICE_UUID)

    def configure(self, rate_hz: float | None = None, range_g: float | None = None) -> StreamConfig:
        """Pick the rate (5-200 Hz) and warn that the range is fixed at ±2 g.

        Warns
        -----
        HopscopeWarning
            Always: ±2 g clips foot strikes.
        """
        warnings.warn(CLIP_WARNING, HopscopeWarning, stacklevel=2)
        return self._configure(rate_hz, range_g)

    def _configure(self, rate_hz: float | None, range_g: float | None) -> StreamConfig:
        cfg = super().configure(rate_hz, range_g)
        return StreamConfig(cfg.sample_rate_hz, FULL_SCALE_G, True, {})

    def decode_config(
        self, *, sample_rate_hz: float | None = None, range_g: float | None = None, **settings: Any
    ) -> StreamConfig:
        """Describe a capture to decode (no warning: decoding does not configure a device)."""
        cfg = self._configure(sample_rate_hz, range_g)
        return StreamConfig(cfg.sample_rate_hz, cfg.range_g, True, dict(settings))

    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return the motion-config write setting the processing frequency."""
        return [Command(MOTION_CONFIG_UUID, motion_config(cfg.sample_rate_hz), response=True)]

    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return no command: disabling notifications stops the stream."""
        return []

    def decoder(self, cfg: StreamConfig) -> Thingy52Decoder:
        """Return the raw-data decoder."""
        return Thingy52Decoder()

    async def start(
        self, client: Any, cfg: StreamConfig, *, control_queue: Any = None
    ) -> StreamConfig:
        """Read the motion configuration, patch the frequency, write it back."""
        try:
            base = bytes(await client.read_gatt_char(MOTION_CONFIG_UUID))
            data = motion_config(
                cfg.sample_rate_hz, base if len(base) == MOTION_CONFIG.size else None
            )
        except (AttributeError, NotImplementedError):
            data = motion_config(cfg.sample_rate_hz)
        await client.write_gatt_char(MOTION_CONFIG_UUID, data, response=True)
        return cfg
