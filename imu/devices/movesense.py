"""Movesense sensors running the GATT SensorData Protocol (GSP v1) firmware.

Commands ``[cmd, ref, data…]`` go to the write characteristic; command results and data arrive
on the notify characteristic. Data notifications are ``02 <ref> <uint32 ms> N × (x, y, z
float32 m/s²)``; the timestamp is the sensor's millisecond clock at the first sample, so sample
``k`` is at ``t + k / rate``.

References
----------
http://movesense.com/docs/esw/gatt_sensordata_protocol; Movesense device library
``samples/gatt_sensordata_app/`` (``GATTSensorDataClient.cpp``, ``movesense_sensor_data.py``).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from imu.devices.base import Command, DecodedBlock, Decoder, DeviceDriver, StreamConfig

logger = logging.getLogger(__name__)

SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
WRITE_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"

CMD_HELLO = 0
CMD_SUBSCRIBE = 1
CMD_UNSUBSCRIBE = 2
MSG_RESULT = 1
MSG_DATA = 2
DATA_HEADER = struct.Struct("<BBI")
"""``02``, ref, timestamp (uint32 ms, sensor clock)."""
SAMPLE = struct.Struct("<3f")
"""x, y, z float32 in m/s²."""
RESULT_STATUS = struct.Struct(">H")
"""HTTP-like status of a command result, big-endian (200 OK, 507 no free slot)."""
STANDARD_GRAVITY = 9.80665
RATES_HZ = (13.0, 26.0, 52.0, 104.0, 208.0, 416.0, 833.0, 1666.0)
DEFAULT_REF = 1
MS_WRAP = 1 << 32


def acc_path(rate_hz: float) -> str:
    """Return the resource path ``/Meas/Acc/<rate>``."""
    return f"/Meas/Acc/{round(rate_hz)}"


def hello(ref: int = DEFAULT_REF) -> bytes:
    """Return the HELLO command."""
    return bytes((CMD_HELLO, ref))


def subscribe(path: str, ref: int = DEFAULT_REF) -> bytes:
    """Return ``01 <ref> <path>``."""
    if not 1 <= ref <= 255:
        raise ValueError(f"`ref` must be in 1..255, got {ref}")
    return bytes((CMD_SUBSCRIBE, ref)) + path.encode("utf-8")


def unsubscribe(ref: int = DEFAULT_REF) -> bytes:
    """Return ``02 <ref>``."""
    return bytes((CMD_UNSUBSCRIBE, ref))


def encode_data(ref: int, timestamp_ms: int, acc_ms2: np.ndarray) -> bytes:
    """Encode one data notification (the inverse of the decoder)."""
    acc = np.asarray(acc_ms2, dtype="<f4").reshape(-1, 3)
    return DATA_HEADER.pack(MSG_DATA, ref, timestamp_ms % MS_WRAP) + acc.tobytes()


def encode_result(ref: int, status: int, extra: bytes = b"") -> bytes:
    """Encode a command result ``01 <ref> <status BE>``."""
    return bytes((MSG_RESULT, ref)) + RESULT_STATUS.pack(status) + extra


class MovesenseDecoder(Decoder):
    """Decode GSP acceleration notifications; timestamps are unwrapped across the uint32 wrap.

    Parameters
    ----------
    sample_rate_hz : float
        The subscribed rate (spacing of the samples within a notification).
    ref : int, optional
        Only accept data of this subscription reference.

    Attributes
    ----------
    results : list of (int, int or None, bytes)
        Command results seen: (ref, status, rest).
    """

    driver = "movesense"

    def __init__(self, *, sample_rate_hz: float, ref: int | None = None) -> None:
        self.sample_rate_hz = float(sample_rate_hz)
        self.ref = ref
        self.reset()

    def reset(self) -> None:
        """Forget the clock unwrapping state and results."""
        self._wraps = 0
        self._last_ms: int | None = None
        self.results: list[tuple[int, int | None, bytes]] = []

    def feed(self, payload: bytes) -> DecodedBlock:
        """Decode a data notification; command results give no sample."""
        if not payload:
            raise self.error(payload, "empty notification")
        kind = payload[0]
        if kind == MSG_RESULT:
            if len(payload) < 2:
                raise self.error(payload, "command result without a reference")
            status = RESULT_STATUS.unpack_from(payload, 2)[0] if len(payload) >= 4 else None
            self.results.append((payload[1], status, bytes(payload[4:])))
            if status is not None and status >= 300:
                logger.warning("movesense: command %d failed with status %d", payload[1], status)
            return DecodedBlock.empty(timed=True)
        if kind != MSG_DATA:
            raise self.error(
                payload, f"message type 0x{kind:02X} is neither result (01) nor data (02)"
            )
        if len(payload) < DATA_HEADER.size:
            raise self.error(payload, f"data shorter than its {DATA_HEADER.size}-byte header")
        body = len(payload) - DATA_HEADER.size
        if body == 0 or body % SAMPLE.size:
            raise self.error(payload, f"data body of {body} bytes is not a positive multiple of 12")
        _, ref, ms = DATA_HEADER.unpack_from(payload)
        if self.ref is not None and ref != self.ref:
            raise self.error(payload, f"data of subscription {ref}, expected {self.ref}")
        if self._last_ms is not None and ms < self._last_ms and self._last_ms - ms > MS_WRAP // 2:
            self._wraps += 1
        self._last_ms = ms
        acc = np.frombuffer(payload, dtype="<f4", offset=DATA_HEADER.size).reshape(-1, 3)
        t0 = (ms + self._wraps * MS_WRAP) / 1000.0
        times = t0 + np.arange(len(acc)) / self.sample_rate_hz
        return DecodedBlock(acc.astype(np.float64) / STANDARD_GRAVITY, None, times)

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode runs of equal-length data notifications with one structured array each."""
        out: list[DecodedBlock] = []
        i = 0
        while i < len(payloads):
            j = i + 1
            size = len(payloads[i])
            while j < len(payloads) and len(payloads[j]) == size:
                j += 1
            out.extend(self._feed_run(payloads[i:j]))
            i = j
        return out

    def _feed_run(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        size = len(payloads[0])
        body = size - DATA_HEADER.size
        if len(payloads) < 2 or body <= 0 or body % SAMPLE.size:
            return [self.feed(p) for p in payloads]
        n = body // SAMPLE.size
        dtype = np.dtype([("kind", "u1"), ("ref", "u1"), ("ms", "<u4"), ("acc", "<f4", (n, 3))])
        rec = np.frombuffer(b"".join(payloads), dtype=dtype)
        if np.any(rec["kind"] != MSG_DATA) or (
            self.ref is not None and np.any(rec["ref"] != self.ref)
        ):
            return [self.feed(p) for p in payloads]
        ms = rec["ms"].astype(np.int64)
        prev = np.concatenate([[ms[0] if self._last_ms is None else self._last_ms], ms[:-1]])
        wrapped = (ms < prev) & (prev - ms > MS_WRAP // 2)
        wraps = self._wraps + np.cumsum(wrapped)
        self._wraps = int(wraps[-1])
        self._last_ms = int(ms[-1])
        t0 = (ms + wraps * MS_WRAP) / 1000.0
        times = t0[:, None] + np.arange(n) / self.sample_rate_hz
        acc = rec["acc"].astype(np.float64) / STANDARD_GRAVITY
        return [DecodedBlock(acc[k], None, times[k]) for k in range(len(payloads))]


class MovesenseDriver(DeviceDriver):
    """Movesense accelerometer over GSP (range cannot be set over GSP)."""

    name = "movesense"
    label = "Movesense (GATT SensorData Protocol firmware)"
    service_uuid = SERVICE_UUID
    data_char_uuid = NOTIFY_UUID
    control_char_uuid = WRITE_UUID
    notify_char_uuids = (NOTIFY_UUID,)
    has_device_clock = True
    rates_hz = RATES_HZ
    ranges_g = ()
    default_rate_hz = 208.0
    default_range_g = None
    decode_options: ClassVar[tuple[str, ...]] = ("ref",)

    def __init__(self, ref: int = DEFAULT_REF, **options: Any) -> None:
        super().__init__(**options)
        if not 1 <= ref <= 255:
            raise ValueError(f"`ref` must be in 1..255, got {ref}")
        self.ref = ref

    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Match names starting with ``Movesense``."""
        return bool(name) and name.startswith("Movesense")  # type: ignore[union-attr]

    def configure(self, rate_hz: float | None = None, range_g: float | None = None) -> StreamConfig:
        """Pick the nearest rate; a requested range is logged and ignored (GSP cannot set it)."""
        if range_g is not None:
            logger.warning("movesense: the range cannot be set over GSP; ignoring ±%g g", range_g)
        cfg = super().configure(rate_hz, None)
        return StreamConfig(cfg.sample_rate_hz, None, False, {"ref": self.ref})

    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return HELLO then SUBSCRIBE ``/Meas/Acc/<rate>``."""
        ref = int(cfg.options.get("ref", self.ref))
        return [
            Command(WRITE_UUID, hello(ref), response=True),
            Command(WRITE_UUID, subscribe(acc_path(cfg.sample_rate_hz), ref), response=True),
        ]

    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return UNSUBSCRIBE."""
        return [
            Command(WRITE_UUID, unsubscribe(int(cfg.options.get("ref", self.ref))), response=True)
        ]

    def decoder(self, cfg: StreamConfig) -> MovesenseDecoder:
        """Return a decoder for the subscribed rate."""
        return MovesenseDecoder(sample_rate_hz=cfg.sample_rate_hz, ref=cfg.options.get("ref"))
