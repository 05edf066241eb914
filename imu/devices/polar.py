"""Polar PMD (Polar Measurement Data): Verity Sense (SDK mode), H10 and OH1.

The PMD service has a control point (CP: read, write with response, notify) and a data
characteristic. Commands are ``<op> <request byte> [settings TLV]``; responses are CP
notifications ``F0 <op> <type> <status> <more> <params>``. ACC data frames carry a uint64
timestamp (ns since 2000-01-01 on the sensor clock) of the *last* sample, then raw (``0x00``,
``0x01``, ``0x02``) or delta-compressed (``0x80``, ``0x81``) content.

References
----------
``polarofficial/polar-ble-sdk``: ``BlePMDClient.kt``, ``PmdControlPointResponse.kt``,
``PmdSetting.kt``, ``PmdDataFrame.kt``, ``AccData.kt``, ``PmdTimeStampUtils.kt``;
``technical_documentation/online_measurement.pdf``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from imu.devices.base import (
    Command,
    DecodedBlock,
    Decoder,
    DeviceDriver,
    StreamConfig,
    sig_uuid,
)
from imu.errors import HopscopeError

logger = logging.getLogger(__name__)

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CP_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
HEART_RATE_SERVICE_UUID = sig_uuid(0x180D)
HEART_RATE_MEASUREMENT_UUID = sig_uuid(0x2A37)
POLAR_COMPANY_ID = 0x006B

PMD_EPOCH_UNIX_NS = 946_684_800_000_000_000
"""Unix time of 2000-01-01T00:00:00Z in ns: Unix ns = PMD ns + this."""

# Op codes
OP_GET_SETTINGS = 1
OP_START = 2
OP_STOP = 3
OP_GET_SDK_SETTINGS = 4
OP_GET_STATUS = 5
OP_GET_SDK_MODE_STATUS = 6

# Measurement types
MEAS_ECG = 0
MEAS_PPG = 1
MEAS_ACC = 2
MEAS_PPI = 3
MEAS_GYRO = 5
MEAS_MAG = 6
MEAS_SDK_MODE = 9

# Response status codes
STATUS_NAMES = {
    0: "SUCCESS",
    1: "INVALID_OP_CODE",
    2: "INVALID_MEASUREMENT_TYPE",
    3: "NOT_SUPPORTED",
    4: "INVALID_LENGTH",
    5: "INVALID_PARAMETER",
    6: "ALREADY_IN_STATE",
    7: "INVALID_RESOLUTION",
    8: "INVALID_SAMPLE_RATE",
    9: "INVALID_RANGE",
    10: "INVALID_MTU",
    11: "INVALID_NUMBER_OF_CHANNELS",
    12: "INVALID_STATE",
    13: "DEVICE_IN_CHARGER",
    14: "DISK_FULL",
}
SUCCESS = 0
ALREADY_IN_STATE = 6
RESPONSE_CODE = 0xF0
FEATURES_CODE = 0x0F

# Settings TLV types and the byte size of one value of each
SETTING_SAMPLE_RATE = 0
SETTING_RESOLUTION = 1
SETTING_RANGE = 2
SETTING_RANGE_MILLIUNIT = 3
SETTING_CHANNELS = 4
SETTING_FACTOR = 5
SETTING_SECURITY = 6
SETTING_SIZES = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4, 6: 16}
SETTING_FORMATS = {0: "<H", 1: "<H", 2: "<H", 3: "<i", 4: "<B", 5: "<f"}

FRAME_HEADER = struct.Struct("<BQB")
"""Measurement type, timestamp (uint64 ns since 2000-01-01, last sample), frame type."""
FRAME_HEADER_LEN = FRAME_HEADER.size
RESPONSE_HEADER = struct.Struct("<5B")
"""``F0``, op code, measurement type, status, more."""
FACTOR_STRUCT = struct.Struct("<f")

FRAME_RAW8 = 0x00
FRAME_RAW16 = 0x01
FRAME_RAW24 = 0x02
FRAME_DELTA_G = 0x80
FRAME_DELTA_MG = 0x81
DELTA_FLAG = 0x80
MG_PER_G = 1000.0
MAX_DELTA_BITS = 32


# -- control point -----------------------------------------------------------------------------
def request_byte(measurement_type: int, *, offline: bool = False) -> int:
    """Return ``(recording_type << 7) | measurement_type`` (recording type 0 = online)."""
    return (int(offline) << 7) | measurement_type


def encode_settings(settings: Mapping[int, Sequence[float] | float]) -> bytes:
    """Encode a settings TLV: ``type count value×count`` for each entry, in key order given.

    Parameters
    ----------
    settings : mapping of int to value or list of values
        Setting type (``SETTING_*``) to one value or the allowed values.
    """
    out = bytearray()
    for kind, values in settings.items():
        vals = list(values) if isinstance(values, (list, tuple)) else [values]
        out += bytes((kind, len(vals)))
        fmt = SETTING_FORMATS.get(kind)
        for v in vals:
            if fmt is None:
                raw = bytes(v)  # type: ignore[call-overload]
                out += raw.ljust(SETTING_SIZES[kind], b"\0")
            elif fmt == "<f":
                out += struct.pack(fmt, float(v))
            else:
                out += struct.pack(fmt, int(v))
    return bytes(out)


def parse_settings(data: bytes) -> dict[int, list[Any]]:
    """Parse a settings TLV into ``{type: [values]}``.

    Raises
    ------
    ValueError
        Unknown setting type or a TLV that runs past the end.
    """
    out: dict[int, list[Any]] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise ValueError(f"settings TLV ends inside a type/count pair at byte {i}")
        kind, count = data[i], data[i + 1]
        i += 2
        if kind not in SETTING_SIZES:
            raise ValueError(f"unknown settings type {kind} at byte {i - 2}")
        size = SETTING_SIZES[kind]
        if i + size * count > len(data):
            raise ValueError(f"settings TLV value of type {kind} runs past the end")
        vals: list[Any] = []
        for _ in range(count):
            chunk = data[i : i + size]
            fmt = SETTING_FORMATS.get(kind)
            vals.append(bytes(chunk) if fmt is None else struct.unpack(fmt, chunk)[0])
            i += size
        out[kind] = vals
    return out


@dataclass(frozen=True)
class ControlPointResponse:
    """A complete (continuations merged) CP response.

    Parameters
    ----------
    op_code, measurement_type, status : int
        From the response header.
    params : bytes
        The parameters (settings TLV for settings queries and starts).
    """

    op_code: int
    measurement_type: int
    status: int
    params: bytes = b""

    @property
    def ok(self) -> bool:
        """Whether the status is SUCCESS."""
        return self.status == SUCCESS

    @property
    def status_name(self) -> str:
        """The status in words."""
        return STATUS_NAMES.get(self.status, f"status {self.status}")

    def settings(self) -> dict[int, list[Any]]:
        """Parse :attr:`params` as a TLV (blocks of ≤ 1 byte, like the H10's, count as empty)."""
        if len(self.params) <= 1:
            return {}
        return parse_settings(self.params)

    def factor(self) -> float | None:
        """Return FACTOR from the parameters, or ``None`` when absent."""
        try:
            vals = self.settings().get(SETTING_FACTOR)
        except ValueError:
            return None
        return float(vals[0]) if vals else None


def encode_response(
    op_code: int,
    measurement_type: int,
    status: int,
    params: bytes = b"",
    *,
    chunk: int | None = None,
) -> list[bytes]:
    """Encode a CP response, split into continuation notifications of ``chunk`` param bytes."""
    if status != SUCCESS:
        return [RESPONSE_HEADER.pack(RESPONSE_CODE, op_code, measurement_type, status, 0)]
    if not chunk or len(params) <= chunk:
        return [RESPONSE_HEADER.pack(RESPONSE_CODE, op_code, measurement_type, status, 0) + params]
    parts = [params[i : i + chunk] for i in range(0, len(params), chunk)]
    out = []
    for j, part in enumerate(parts):
        more = 1 if j < len(parts) - 1 else 0
        out.append(RESPONSE_HEADER.pack(RESPONSE_CODE, op_code, measurement_type, 0, more) + part)
    return out


class ControlPointAssembler:
    """Merge CP notifications into :class:`ControlPointResponse` objects.

    Feed every CP notification to :meth:`feed`; it returns a response when one is complete.
    Device-initiated ``01 <types>`` notifications (ONLINE_MEASUREMENT_STOPPED) are collected in
    :attr:`stopped_types`.
    """

    def __init__(self) -> None:
        self._partial: tuple[int, int, bytearray] | None = None
        self.stopped_types: set[int] = set()

    def feed(self, payload: bytes) -> ControlPointResponse | None:
        """Return the completed response, or ``None`` (continuation pending, or not a response).

        Raises
        ------
        ValueError
            A response shorter than its 5-byte header.
        """
        if not payload:
            return None
        if payload[0] != RESPONSE_CODE:
            if payload[0] == 0x01:
                self.stopped_types.update(payload[1:])
                if len(payload) > 1:
                    logger.info("polar: device stopped measurement(s) %s", list(payload[1:]))
            return None
        if len(payload) < RESPONSE_HEADER.size:
            raise ValueError(f"CP response shorter than 5 bytes: {payload.hex(' ')}")
        _, op, meas, status, more = RESPONSE_HEADER.unpack_from(payload)
        params = payload[RESPONSE_HEADER.size :]
        if status != SUCCESS:
            self._partial = None
            return ControlPointResponse(op, meas, status)
        if self._partial is not None and self._partial[:2] == (op, meas):
            self._partial[2].extend(params)
        else:
            self._partial = (op, meas, bytearray(params))
        if more:
            return None
        op, meas, buf = self._partial
        self._partial = None
        return ControlPointResponse(op, meas, status, bytes(buf))


def settings_query(measurement_type: int = MEAS_ACC) -> bytes:
    """Return ``01 <type>``: ask for the allowed settings."""
    return bytes((OP_GET_SETTINGS, request_byte(measurement_type)))


def start_request(
    sample_rate_hz: int,
    resolution: int,
    range_g: int,
    channels: int | None = None,
    measurement_type: int = MEAS_ACC,
) -> bytes:
    """Return ``02 <type> <TLV>`` starting a measurement with one value per setting."""
    tlv: dict[int, Any] = {
        SETTING_SAMPLE_RATE: int(sample_rate_hz),
        SETTING_RESOLUTION: int(resolution),
        SETTING_RANGE: int(range_g),
    }
    if channels is not None:
        tlv[SETTING_CHANNELS] = int(channels)
    return bytes((OP_START, request_byte(measurement_type))) + encode_settings(tlv)


def stop_request(measurement_type: int = MEAS_ACC) -> bytes:
    """Return ``03 <type>``."""
    return bytes((OP_STOP, request_byte(measurement_type)))


SDK_MODE_ON = bytes((OP_START, MEAS_SDK_MODE))
SDK_MODE_OFF = bytes((OP_STOP, MEAS_SDK_MODE))
SDK_MODE_STATUS = bytes((OP_GET_SDK_MODE_STATUS,))


def parse_features(data: bytes) -> set[str]:
    """Parse the CP read ``0F b1 b2``: the names of the supported measurement types.

    Raises
    ------
    ValueError
        The read does not start with ``0F``.
    """
    if not data or data[0] != FEATURES_CODE:
        raise ValueError(f"PMD feature read must start with 0F, got {bytes(data[:8]).hex(' ')}")
    names1 = {0: "ecg", 1: "ppg", 2: "acc", 3: "ppi", 5: "gyro", 6: "mag", 7: "skin_temp"}
    names2 = {1: "sdk_mode", 2: "location", 3: "pressure", 4: "temperature", 5: "offline_rec"}
    out = set()
    for byte, names in ((data[1:2], names1), (data[2:3], names2)):
        if byte:
            out |= {n for bit, n in names.items() if byte[0] >> bit & 1}
    return out


# -- timestamps --------------------------------------------------------------------------------
def sample_timestamps_ns(
    timestamp_ns: int, n: int, *, previous_ns: int | None, sample_rate_hz: float
) -> np.ndarray:
    """Per-sample timestamps of a frame by the Polar SDK rule (``PmdTimeStampUtils``).

    Parameters
    ----------
    timestamp_ns : int
        The frame timestamp (ns since 2000-01-01): the time of its last sample.
    n : int
        Samples in the frame.
    previous_ns : int or None
        Timestamp of the previous frame of the same measurement and frame type, or ``None``.
    sample_rate_hz : float
        The configured rate, used for the first frame only.

    Returns
    -------
    ndarray of int64, shape (n,)

    Notes
    -----
    The last sample gets ``timestamp_ns`` exactly. With a previous frame,
    ``Δ = (ts − prev) / n`` (integer subtraction, float64 division) and sample ``i < n−1`` is
    ``round((float(prev) + Δ) + Δ·i)``; for the first frame ``Δ = 1e9 / rate`` and sample ``i``
    is ``round((float(ts) − Δ·(n−1)) + Δ·i)``. Rounding is half to even, in float64 as the SDK
    does, so results are quantised to 128 ns at present-day timestamps (> 2⁵³ ns).

    References
    ----------
    ``polarofficial/polar-ble-sdk``, ``PmdTimeStampUtils.kt``.
    """
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    idx = np.arange(n - 1, dtype=np.float64)
    if previous_ns is not None:
        delta = (timestamp_ns - previous_ns) / n
        start = float(previous_ns) + delta
    else:
        delta = 1e9 / float(sample_rate_hz)
        start = float(timestamp_ns) - delta * (n - 1)
    out[:-1] = np.rint(start + delta * idx).astype(np.int64)
    out[-1] = timestamp_ns
    return out


# -- delta compression -------------------------------------------------------------------------
def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    sign = np.int64(1) << np.int64(bits - 1)
    return np.where(values >= sign, values - (np.int64(1) << np.int64(bits)), values)


def delta_decode(content: bytes, *, channels: int = 3, resolution: int = 16) -> np.ndarray:
    """Decode delta-compressed content (after the 10-byte frame header) to integer samples.

    Parameters
    ----------
    content : bytes
        Reference sample followed by blocks ``delta_bits count packed-deltas``.
    channels : int
        Channels per sample (3 for ACC).
    resolution : int
        Bits of the reference values (16 for ACC).

    Returns
    -------
    ndarray of int64, shape (1 + Σcount, channels)

    Raises
    ------
    ValueError
        The content is shorter than the reference sample, a block header is cut, a block runs
        past the end, or ``delta_bits`` exceeds 32.

    Notes
    -----
    Fields are read LSB first from each block as one little-endian bit string and interleaved
    x, y, z; each is two's complement of ``delta_bits`` bits and is added to the previous
    sample of its channel. ``delta_bits = 0`` means ``count`` samples equal to the previous one
    (the SDK drops them; keeping them keeps the sample count consistent with the timestamps);
    ``delta_bits = 1`` fields are 0 or −1 (the SDK's sign mask is wrong there).
    """
    ref, start, width = _delta_layout(content, channels=channels, resolution=resolution)
    out = np.empty((len(start) // channels + 1, channels), dtype=np.int64)
    out[0] = ref
    if len(start):
        deltas = _gather_fields(content, start, width).reshape(-1, channels)
        np.cumsum(deltas, axis=0, out=out[1:])
        out[1:] += ref
    return out


def _delta_layout(
    content: bytes, *, channels: int, resolution: int, base_bit: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the reference sample and block headers of delta content.

    Returns the reference (int64, one per channel) and, for every packed field, its first bit
    (offset by ``base_bit``) and its width. Raises ``ValueError`` on a malformed layout.
    """
    ref, blocks = _delta_blocks(
        content, channels=channels, resolution=resolution, base_bit=base_bit
    )
    start, width = _field_positions(blocks)
    return np.array(ref, dtype=np.int64), start, width


def _delta_blocks(
    content: bytes, *, channels: int, resolution: int, base_bit: int = 0
) -> tuple[list[int], list[tuple[int, int, int]]]:
    """Return the reference values and the blocks as (first bit, delta_bits, fields)."""
    width = (resolution + 7) // 8
    ref_len = channels * width
    if len(content) < ref_len:
        raise ValueError(
            f"delta frame content of {len(content)} bytes is shorter than its "
            f"{ref_len}-byte reference sample"
        )
    mask = (1 << resolution) - 1
    sign = 1 << (resolution - 1)
    ref = []
    for c in range(channels):
        v = int.from_bytes(content[c * width : (c + 1) * width], "little") & mask
        ref.append(v - (sign << 1) if v & sign else v)
    blocks: list[tuple[int, int, int]] = []
    i = ref_len
    n = len(content)
    while i < n:
        if i + 2 > n:
            raise ValueError(f"delta block header cut at content byte {i} of {n}")
        bits, count = content[i], content[i + 1]
        i += 2
        if bits > MAX_DELTA_BITS:
            raise ValueError(f"delta_bits {bits} at content byte {i - 2} exceeds {MAX_DELTA_BITS}")
        fields = count * channels
        size = (bits * fields + 7) // 8
        if i + size > n:
            raise ValueError(
                f"delta block at content byte {i - 2} needs {size} bytes, only {n - i} remain"
            )
        if fields:
            blocks.append((base_bit + 8 * i, bits, fields))
        i += size
    return ref, blocks


def _field_positions(blocks: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Expand blocks (first bit, width, fields) to per-field first bits and widths."""
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    b = np.asarray(blocks, dtype=np.int64)
    fields = b[:, 2]
    width = np.repeat(b[:, 1], fields)
    within = np.arange(int(fields.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(fields) - fields, fields
    )
    return np.repeat(b[:, 0], fields) + within * width, width


def _gather_fields(buf: bytes, start: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Read two's-complement fields at the given first bits and widths (LSB first) of ``buf``.

    Each field (≤ 32 bits, starting at any bit) lies within the 8 bytes from its first byte, so
    one little-endian uint64 per field, shifted and masked, holds it.
    """
    data = np.frombuffer(buf + bytes(8), dtype=np.uint8)
    byte0 = start >> 3
    words = data[byte0[:, None] + np.arange(8)].copy().view("<u8")[:, 0]
    mask = (np.uint64(1) << width.astype(np.uint64)) - np.uint64(1)
    values = ((words >> (start & 7).astype(np.uint64)) & mask).astype(np.int64)
    sign = np.left_shift(np.int64(1), np.maximum(width, 1) - 1)
    return np.where((values & sign) != 0, values - (sign << 1), values)


def delta_bits_needed(deltas: np.ndarray) -> int:
    """Return the smallest two's-complement width (≥ 1 bit) holding every value of ``deltas``."""
    if deltas.size == 0:
        return 1
    hi = int(deltas.max())
    lo = int(deltas.min())
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def delta_encode(
    samples: np.ndarray,
    *,
    resolution: int = 16,
    block_samples: int = 12,
    delta_bits: int | Sequence[int] | None = None,
) -> bytes:
    """Encode integer samples as delta-compressed content (the inverse of :func:`delta_decode`).

    Parameters
    ----------
    samples : ndarray of int, shape (n, channels)
        Samples; the first is the reference.
    resolution : int
        Bits of the reference values.
    block_samples : int
        Samples per block (1-255); each block gets the narrowest width its deltas fit in.
    delta_bits : int or sequence of int, optional
        Force the width of every block (or of each block in turn); must hold the deltas.

    Returns
    -------
    bytes
    """
    samples = np.asarray(samples, dtype=np.int64)
    if samples.ndim != 2 or len(samples) == 0:
        raise ValueError("`samples` must be a non-empty (n, channels) array")
    if not 1 <= block_samples <= 255:
        raise ValueError(f"`block_samples` must be in 1..255, got {block_samples}")
    width = math.ceil(resolution / 8)
    mask = (1 << resolution) - 1
    out = bytearray()
    for v in samples[0]:
        out += (int(v) & mask).to_bytes(width, "little")
    deltas = np.diff(samples, axis=0)
    for b, start in enumerate(range(0, len(deltas), block_samples)):
        block = deltas[start : start + block_samples]
        need = delta_bits_needed(block)
        if delta_bits is None:
            bits = need
        else:
            bits = delta_bits if isinstance(delta_bits, int) else list(delta_bits)[b]
            if bits < need and not (bits == 0 and not block.any()):
                raise ValueError(f"block {b} needs {need} delta bits, {bits} requested")
        out += bytes((bits, len(block)))
        if bits == 0:
            continue
        fields = block.reshape(-1) & ((1 << bits) - 1)
        bitarr = ((fields[:, None] >> np.arange(bits)) & 1).astype(np.uint8).reshape(-1)
        out += np.packbits(bitarr, bitorder="little").tobytes()
    return bytes(out)


def encode_frame(
    timestamp_ns: int, frame_type: int, content: bytes, measurement_type: int = MEAS_ACC
) -> bytes:
    """Prefix ``content`` with the 10-byte PMD frame header."""
    return FRAME_HEADER.pack(measurement_type, timestamp_ns, frame_type) + content


def encode_raw(samples: np.ndarray, bytes_per_value: int) -> bytes:
    """Encode integer samples as raw frame content (interleaved, little-endian, signed)."""
    samples = np.asarray(samples, dtype=np.int64).reshape(-1)
    if bytes_per_value == 1:
        return samples.astype("i1").tobytes()
    if bytes_per_value == 2:
        return samples.astype("<i2").tobytes()
    as32 = samples.astype("<i4").view(np.uint8).reshape(-1, 4)
    return as32[:, :3].tobytes()


# -- decoder -----------------------------------------------------------------------------------
class PolarDecoder(Decoder):
    """Decode PMD ACC frames and apply the SDK per-sample timestamp rule.

    Parameters
    ----------
    sample_rate_hz : float
        The configured rate (used to time the first frame).
    factor : float, optional
        FACTOR from the start response (``None`` when the device sent none).
    raw8_unit_g : bool
        Whether ``0x00`` frames are in g (Verity) rather than mG.
    channels, resolution : int
        Channel count and reference resolution of delta frames.
    """

    driver = "polar"

    def __init__(
        self,
        *,
        sample_rate_hz: float,
        factor: float | None = None,
        raw8_unit_g: bool = False,
        channels: int = 3,
        resolution: int = 16,
    ) -> None:
        self.sample_rate_hz = float(sample_rate_hz)
        self.factor = None if factor is None else float(factor)
        self.raw8_unit_g = raw8_unit_g
        self.channels = channels
        self.resolution = resolution
        self.reset()

    def reset(self) -> None:
        """Forget previous-frame timestamps (after stop or disconnect)."""
        self._previous: dict[tuple[int, int], int] = {}

    def _scale(self, frame_type: int) -> float:
        """Return g per count of a frame type."""
        if frame_type == FRAME_DELTA_G:
            return 1.0 if self.factor is None else self.factor
        if frame_type == FRAME_DELTA_MG:
            f = self.factor if self.factor is not None and self.factor != 1.0 else 1.0
            return f / MG_PER_G
        if frame_type == FRAME_RAW8 and self.raw8_unit_g:
            return 1.0
        return 1.0 / MG_PER_G

    def decode_counts(self, payload: bytes) -> tuple[int, int, int, np.ndarray]:
        """Return (measurement type, frame type, timestamp ns, integer samples) of a frame."""
        if len(payload) < FRAME_HEADER_LEN:
            raise self.error(payload, f"frame shorter than the {FRAME_HEADER_LEN}-byte header")
        meas, ts, ftype = FRAME_HEADER.unpack_from(payload)
        meas &= 0x3F
        if meas != MEAS_ACC:
            raise self.error(payload, f"measurement type {meas} is not ACC (2)")
        content = payload[FRAME_HEADER_LEN:]
        if ftype & DELTA_FLAG:
            if ftype not in (FRAME_DELTA_G, FRAME_DELTA_MG):
                raise self.error(payload, f"unknown delta frame type 0x{ftype:02X}")
            try:
                counts = delta_decode(content, channels=self.channels, resolution=self.resolution)
            except ValueError as exc:
                raise self.error(payload, str(exc)) from None
        else:
            if ftype not in (FRAME_RAW8, FRAME_RAW16, FRAME_RAW24):
                raise self.error(payload, f"unknown ACC frame type 0x{ftype:02X}")
            width = ftype + 1
            step = 3 * width
            if len(content) == 0 or len(content) % step:
                raise self.error(
                    payload,
                    f"raw frame type 0x{ftype:02X} content of {len(content)} bytes is not a "
                    f"positive multiple of {step}",
                )
            if width == 1:
                counts = np.frombuffer(content, dtype="i1").astype(np.int64)
            elif width == 2:
                counts = np.frombuffer(content, dtype="<i2").astype(np.int64)
            else:
                b = np.frombuffer(content, dtype=np.uint8).reshape(-1, 3).astype(np.int64)
                counts = _signed(b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16), 24)
            counts = counts.reshape(-1, 3)
        return meas, ftype, ts, counts

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode consecutive delta frames in one vectorised pass (others one by one).

        The result equals feeding the frames one at a time, timestamps included.
        """
        if len(payloads) < 2:
            return super().feed_many(payloads)
        try:
            return self._feed_delta_batch(payloads)
        except (ValueError, struct.error):
            return super().feed_many(payloads)  # raises the precise DecodeError

    def _feed_delta_batch(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        refs: list[list[int]] = []
        blocks: list[tuple[int, int, int]] = []
        n_deltas, heads = [], []
        base = 0
        for payload in payloads:
            meas, ts, ftype = FRAME_HEADER.unpack_from(payload)
            if meas & 0x3F != MEAS_ACC or ftype not in (FRAME_DELTA_G, FRAME_DELTA_MG):
                raise ValueError("not a delta ACC frame")
            ref, frame_blocks = _delta_blocks(
                payload[FRAME_HEADER_LEN:],
                channels=self.channels,
                resolution=self.resolution,
                base_bit=8 * (base + FRAME_HEADER_LEN),
            )
            refs.append(ref)
            blocks.extend(frame_blocks)
            n_deltas.append(sum(f for _, _, f in frame_blocks) // self.channels)
            heads.append((meas & 0x3F, ftype, ts))
            base += len(payload)
        start_all, width_all = _field_positions(blocks)
        values = (
            _gather_fields(b"".join(payloads), start_all, width_all)
            if len(start_all)
            else np.zeros(0, np.int64)
        )
        deltas = values.reshape(-1, self.channels)
        # rows per frame: reference then its deltas; a segmented cumulative sum
        n_rows = np.asarray(n_deltas, dtype=np.int64) + 1
        first = np.concatenate([[0], np.cumsum(n_rows)[:-1]])
        rows = np.empty((int(n_rows.sum()), self.channels), dtype=np.int64)
        is_first = np.zeros(len(rows), dtype=bool)
        is_first[first] = True
        rows[~is_first] = deltas
        rows[first] = np.asarray(refs)
        total = np.cumsum(rows, axis=0)
        before = np.zeros((len(first), self.channels), dtype=np.int64)
        before[1:] = total[first[1:] - 1]
        counts = total - np.repeat(before, n_rows, axis=0)
        out = []
        for f, (meas, ftype, ts) in enumerate(heads):
            c = counts[first[f] : first[f] + n_rows[f]]
            key = (meas, ftype)
            times_ns = sample_timestamps_ns(
                ts, len(c), previous_ns=self._previous.get(key), sample_rate_hz=self.sample_rate_hz
            )
            self._previous[key] = ts
            acc = c.astype(np.float64) * self._scale(ftype)
            out.append(DecodedBlock(acc, None, times_ns / 1e9, None, device_time_ns=times_ns))
        return out

    def feed(self, payload: bytes) -> DecodedBlock:
        """Decode one PMD ACC data frame."""
        meas, ftype, ts, counts = self.decode_counts(payload)
        key = (meas, ftype)
        times_ns = sample_timestamps_ns(
            ts, len(counts), previous_ns=self._previous.get(key), sample_rate_hz=self.sample_rate_hz
        )
        self._previous[key] = ts
        acc = counts.astype(np.float64) * self._scale(ftype)
        return DecodedBlock(acc, None, times_ns / 1e9, None, device_time_ns=times_ns)


# -- driver ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolarVariant:
    """Capabilities of one Polar model in one mode."""

    key: str
    label: str
    name_token: str
    rates_hz: tuple[float, ...]
    ranges_g: tuple[float, ...]
    sdk_mode: bool
    channels: int | None
    raw8_unit_g: bool
    default_rate_hz: float
    default_range_g: float


VARIANTS: dict[str, PolarVariant] = {
    "verity": PolarVariant(
        "verity",
        "Polar Verity Sense (SDK mode)",
        "Sense",
        (26.0, 52.0, 104.0, 208.0, 416.0),
        (2.0, 4.0, 8.0, 16.0),
        True,
        3,
        True,
        416.0,
        16.0,
    ),
    "h10": PolarVariant(
        "h10",
        "Polar H10",
        "H10",
        (25.0, 50.0, 100.0, 200.0),
        (2.0, 4.0, 8.0),
        False,
        None,
        False,
        200.0,
        8.0,
    ),
    "oh1": PolarVariant("oh1", "Polar OH1", "OH1", (50.0,), (8.0,), False, None, False, 50.0, 8.0),
}


def variant_from_name(name: str | None) -> str | None:
    """Return the variant key a Polar advertised name belongs to (``None`` if unknown)."""
    if not name:
        return None
    for key, v in VARIANTS.items():
        if v.name_token in name:
            return key
    return None


class PolarDriver(DeviceDriver):
    """Polar PMD accelerometer stream (Verity Sense in SDK mode, H10, OH1).

    Parameters
    ----------
    variant : {"verity", "h10", "oh1"}, optional
        The model. Without it the driver matches any Polar device and assumes the Verity Sense
        for configuration; :meth:`start` then adapts to what the device reports.
    """

    name = "polar"
    label = "Polar PMD (Verity Sense SDK mode, H10, OH1)"
    service_uuid = SERVICE_UUID
    data_char_uuid = DATA_UUID
    control_char_uuid = CP_UUID
    notify_char_uuids = (DATA_UUID, CP_UUID)
    has_device_clock = True
    decode_options: ClassVar[tuple[str, ...]] = ("factor", "resolution", "channels")
    response_timeout_s: ClassVar[float] = 5.0

    def __init__(self, variant: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        if variant is not None and variant not in VARIANTS:
            raise HopscopeError(
                f"unknown Polar variant {variant!r}; known: {', '.join(sorted(VARIANTS))}"
            )
        self.variant_key = variant
        self.variant = VARIANTS[variant or "verity"]
        self.rates_hz = self.variant.rates_hz  # type: ignore[misc]
        self.ranges_g = self.variant.ranges_g  # type: ignore[misc]
        self.default_rate_hz = self.variant.default_rate_hz  # type: ignore[misc]
        self.default_range_g = self.variant.default_range_g  # type: ignore[misc]
        self._assembler = ControlPointAssembler()
        self._responses: asyncio.Queue[ControlPointResponse] | None = None

    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Match names starting with ``Polar`` (and the model token when a variant is set)."""
        if not name or not name.startswith("Polar"):
            return False
        return self.variant_key is None or self.variant.name_token in name

    def _config_options(self) -> dict[str, Any]:
        return {
            "variant": self.variant.key,
            "sdk_mode": self.variant.sdk_mode,
            "resolution": 16,
            "channels": self.variant.channels,
        }

    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return SDK mode on (Verity), then the ACC start request with the chosen settings."""
        cmds = []
        if cfg.options.get("sdk_mode"):
            cmds.append(Command(CP_UUID, SDK_MODE_ON, response=True))
        cmds.append(
            Command(
                CP_UUID,
                start_request(
                    int(cfg.sample_rate_hz),
                    int(cfg.options.get("resolution", 16)),
                    int(cfg.range_g or 8),
                    cfg.options.get("channels"),
                ),
                response=True,
            )
        )
        return cmds

    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return ACC stop, then SDK mode off if it was switched on."""
        cmds = [Command(CP_UUID, stop_request(MEAS_ACC), response=True)]
        if cfg.options.get("sdk_mode"):
            cmds.append(Command(CP_UUID, SDK_MODE_OFF, response=True))
        return cmds

    def decoder(self, cfg: StreamConfig) -> PolarDecoder:
        """Return a decoder using the FACTOR and rate in ``cfg``."""
        return PolarDecoder(
            sample_rate_hz=cfg.sample_rate_hz,
            factor=cfg.options.get("factor"),
            raw8_unit_g=VARIANTS[cfg.options.get("variant", "verity")].raw8_unit_g,
            channels=cfg.options.get("channels") or 3,
            resolution=int(cfg.options.get("resolution", 16)),
        )

    # -- async flow with CP responses ----------------------------------------------------------
    def handle_control(self, payload: bytes) -> None:
        """Collect a CP notification (forwarded by the recorder)."""
        try:
            response = self._assembler.feed(bytes(payload))
        except ValueError as exc:
            logger.warning("polar: ignoring malformed CP notification: %s", exc)
            return
        if response is not None and self._responses is not None:
            self._responses.put_nowait(response)

    async def _request(
        self,
        client: Any,
        data: bytes,
        control_queue: asyncio.Queue[bytes] | None,
    ) -> ControlPointResponse:
        op = data[0]
        meas = data[1] & 0x7F if len(data) > 1 else None
        await client.write_gatt_char(CP_UUID, data, response=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.response_timeout_s
        assert self._responses is not None
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                if control_queue is not None:
                    raw = await asyncio.wait_for(control_queue.get(), remaining)
                    self.handle_control(raw)
                    if self._responses.empty():
                        continue
                    response = self._responses.get_nowait()
                else:
                    response = await asyncio.wait_for(self._responses.get(), remaining)
            except TimeoutError:
                raise HopscopeError(
                    f"polar: no control-point response to {data.hex(' ')} within "
                    f"{self.response_timeout_s:g} s"
                ) from None
            if response.op_code == op and (meas is None or response.measurement_type == meas):
                return response
            logger.debug("polar: skipping unrelated CP response %s", response)

    async def start(
        self,
        client: Any,
        cfg: StreamConfig,
        *,
        control_queue: asyncio.Queue[bytes] | None = None,
    ) -> StreamConfig:
        """Run the PMD flow: SDK mode, settings query, start; return cfg with FACTOR.

        Raises
        ------
        imu.errors.HopscopeError
            The device refuses a command or does not answer.
        """
        self._responses = asyncio.Queue()
        options = dict(cfg.options)
        if self.variant_key is None:
            found = await self._detect_variant(client)
            if found is not None:
                options["variant"] = found
                options["sdk_mode"] = VARIANTS[found].sdk_mode
        if options.get("sdk_mode"):
            r = await self._request(client, SDK_MODE_ON, control_queue)
            if not r.ok and r.status != ALREADY_IN_STATE:
                logger.warning("polar: SDK mode refused (%s); using normal mode", r.status_name)
                options["sdk_mode"] = False
        r = await self._request(client, settings_query(MEAS_ACC), control_queue)
        if not r.ok:
            raise HopscopeError(f"polar: ACC settings query failed: {r.status_name}")
        allowed = r.settings()
        rate = cfg.sample_rate_hz
        rng = cfg.range_g
        if allowed.get(SETTING_SAMPLE_RATE):
            rate = min(allowed[SETTING_SAMPLE_RATE], key=lambda v: (abs(v - rate), -v))
        if allowed.get(SETTING_RANGE):
            target = rng if rng is not None else 16
            rng = min(allowed[SETTING_RANGE], key=lambda v: (abs(v - target), -v))
        if allowed.get(SETTING_RESOLUTION):
            options["resolution"] = max(allowed[SETTING_RESOLUTION])
        options["channels"] = (
            max(allowed[SETTING_CHANNELS]) if allowed.get(SETTING_CHANNELS) else None
        )
        start = start_request(
            int(rate), int(options["resolution"]), int(rng or 8), options["channels"]
        )
        r = await self._request(client, start, control_queue)
        if r.status == ALREADY_IN_STATE:
            await self._request(client, stop_request(MEAS_ACC), control_queue)
            r = await self._request(client, start, control_queue)
        if not r.ok:
            raise HopscopeError(f"polar: ACC start refused: {r.status_name}")
        options["factor"] = r.factor()
        return StreamConfig(float(rate), float(rng) if rng else None, cfg.gyro, options)

    async def _detect_variant(self, client: Any) -> str | None:
        """Tell the model from the PMD feature read (SDK mode: Verity; ECG: H10; else OH1)."""
        try:
            features = parse_features(bytes(await client.read_gatt_char(CP_UUID)))
        except Exception as exc:  # any failure (no read support, odd bytes) means "unknown"
            logger.info("polar: no feature read (%s); keeping the default variant", exc)
            return None
        if "sdk_mode" in features:
            return "verity"
        if "ecg" in features:
            return "h10"
        return "oh1" if "acc" in features else None

    async def stop(self, client: Any, cfg: StreamConfig) -> None:
        """Send ACC stop (and SDK mode off); responses are not awaited."""
        await self.write_commands(client, self.stop_commands(cfg))
