"""Generic driver for DIY boards (ESP32, Arduino Nano 33 BLE...) described in a small TOML file.

Example description (the recommended firmware frame: a counter and the microsecond time of the
first sample, then N int16 samples at ±16 g)::

    label = "ESP32 + LSM6DS3"
    name_prefix = "HopIMU"
    service_uuid = "4fafc201-1fb5-459e-8fcc-c5c9c331914b"
    data_char_uuid = "beb5483e-36e1-4688-b7f5-ea07361b26a8"
    byte_order = "<"
    header = "seq:H, t0_us:I"
    sample = "hhh"
    samples_per_notification = "auto"
    scale = 2048            # LSB per g (a number for every field, or a table per field)
    acc_unit = "g"          # unit after scaling: "g" or "m/s2"
    sample_rate_hz = 200
    range_g = 16
    counter_field = "seq"
    time_field = "t0_us"
    time_unit = "us"
    axis_map = ["x", "y", "z"]

    [[start]]
    char = "beb5483e-36e1-4688-b7f5-ea07361b26a8"
    hex = "01"
    with_response = true

Sample fields are named ``ax ay az`` (and ``gx gy gz`` with six fields) unless ``fields`` says
otherwise; gyro fields are scaled by their own ``scale`` entries to °/s.
"""

from __future__ import annotations

import re
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from imu.devices.base import Command, DecodedBlock, Decoder, DeviceDriver, StreamConfig, advertises
from imu.errors import HopscopeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

STANDARD_GRAVITY = 9.80665
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
ACC_UNITS = {"g": 1.0, "m/s2": 1.0 / STANDARD_GRAVITY}
ACC_FIELDS = ("ax", "ay", "az")
GYRO_FIELDS = ("gx", "gy", "gz")
_HEADER_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([bBhHiIlLqQfd])\s*$")
_SAMPLE = re.compile(r"^[bBhHiIlLqQfde]+$")
_AXIS = re.compile(r"^-?[xyz]$")


NUMPY_CODES = {
    "b": "i1", "B": "u1", "h": "i2", "H": "u2", "i": "i4", "I": "u4", "l": "i4", "L": "u4",
    "q": "i8", "Q": "u8", "e": "f2", "f": "f4", "d": "f8",
}  # fmt: skip
"""struct codes (standard sizes) as numpy type codes."""


def _np_type(order: str, code: str) -> np.dtype:
    """Return the numpy type of a struct code in the standard size of ``struct``."""
    return np.dtype(order + NUMPY_CODES[code])


def _err(source: str, key: str, expected: str) -> HopscopeError:
    return HopscopeError(f"{source}: `{key}` {expected}")


@dataclass(frozen=True)
class GenericDescription:
    """A DIY device described by the user (see the module docstring for the TOML keys)."""

    service_uuid: str
    data_char_uuid: str
    sample_rate_hz: float
    sample: str
    fields: tuple[str, ...]
    byte_order: str = "<"
    header: tuple[tuple[str, str], ...] = ()
    samples_per_notification: int | None = None
    scale: dict[str, float] = field(default_factory=dict, hash=False)
    acc_unit: str = "g"
    range_g: float | None = None
    counter_field: str | None = None
    time_field: str | None = None
    time_unit: str = "us"
    axis_map: tuple[str, str, str] = ("x", "y", "z")
    name_prefix: str | None = None
    label: str = "DIY BLE IMU"
    start: tuple[tuple[str, bytes, bool], ...] = ()
    stop: tuple[tuple[str, bytes, bool], ...] = ()
    source: str = "<description>"

    @property
    def header_struct(self) -> struct.Struct:
        """The header layout."""
        return struct.Struct(self.byte_order + "".join(code for _, code in self.header))

    @property
    def sample_struct(self) -> struct.Struct:
        """The layout of one sample."""
        return struct.Struct(self.byte_order + self.sample)

    @property
    def has_gyro(self) -> bool:
        """Whether samples carry gyro fields."""
        return all(g in self.fields for g in GYRO_FIELDS)

    @classmethod
    def load(
        cls, description: str | Path | Mapping[str, Any] | GenericDescription
    ) -> GenericDescription:
        """Build a description from a TOML file path, TOML text or a mapping.

        Raises
        ------
        imu.errors.HopscopeError
            A missing or invalid key; the message names the file and the key.
        """
        if isinstance(description, GenericDescription):
            return description
        source = "<description>"
        if isinstance(description, Mapping):
            data = dict(description)
        else:
            text = str(description)
            path = Path(text) if "\n" not in text and len(text) < 4096 else None
            if path is not None and path.suffix == ".toml":
                source = str(path)
                try:
                    text = path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise HopscopeError(
                        f"{source}: cannot read the device description: {exc}"
                    ) from None
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise HopscopeError(f"{source}: not valid TOML: {exc}") from None
        return cls._from_mapping(data, source)

    @classmethod
    def _from_mapping(cls, d: dict[str, Any], source: str) -> GenericDescription:
        def need(key: str) -> Any:
            if key not in d:
                raise _err(source, key, "is required")
            return d[key]

        service = str(need("service_uuid")).lower()
        data_char = str(need("data_char_uuid")).lower()
        rate = need("sample_rate_hz")
        if not isinstance(rate, (int, float)) or rate <= 0:
            raise _err(source, "sample_rate_hz", f"must be a number > 0, got {rate!r}")
        order = d.get("byte_order", "<")
        if order not in ("<", ">"):
            raise _err(source, "byte_order", f"must be '<' or '>', got {order!r}")
        sample = str(need("sample")).replace(" ", "")
        if not _SAMPLE.match(sample):
            raise _err(
                source, "sample", f"must be struct codes such as 'hhh' or 'fff', got {sample!r}"
            )
        n_fields = len(sample)
        default_fields = {3: ACC_FIELDS, 6: ACC_FIELDS + GYRO_FIELDS}.get(n_fields)
        fields = tuple(d.get("fields", default_fields or ()))
        if len(fields) != n_fields or not all(a in fields for a in ACC_FIELDS):
            raise _err(source, "fields", f"must name the {n_fields} sample fields incl. ax, ay, az")
        raw_header = d.get("header", ())
        items = raw_header.split(",") if isinstance(raw_header, str) else list(raw_header)
        header = []
        for item in items:
            if not str(item).strip():
                continue
            m = _HEADER_ITEM.match(str(item))
            if not m:
                raise _err(source, "header", f"items must look like 'seq:H', got {item!r}")
            header.append((m.group(1), m.group(2)))
        names = [n for n, _ in header]
        spn = d.get("samples_per_notification", "auto")
        if spn == "auto":
            spn = None
        elif not isinstance(spn, int) or spn < 1:
            raise _err(
                source,
                "samples_per_notification",
                f"must be 'auto' or an integer >= 1, got {spn!r}",
            )
        scale_raw = d.get("scale", 1.0)
        if isinstance(scale_raw, (int, float)):
            scale = {f: float(scale_raw) for f in fields}
        elif isinstance(scale_raw, Mapping):
            unknown = set(scale_raw) - set(fields)
            if unknown:
                raise _err(source, "scale", f"names unknown field(s) {sorted(unknown)}")
            scale = {f: float(scale_raw.get(f, 1.0)) for f in fields}
        else:
            raise _err(source, "scale", f"must be a number or a table per field, got {scale_raw!r}")
        if any(v == 0 for v in scale.values()):
            raise _err(source, "scale", "must not be 0")
        acc_unit = d.get("acc_unit", "g")
        if acc_unit not in ACC_UNITS:
            raise _err(source, "acc_unit", f"must be one of {sorted(ACC_UNITS)}, got {acc_unit!r}")
        for key in ("counter_field", "time_field"):
            if d.get(key) is not None and d[key] not in names:
                raise _err(source, key, f"must name a header field ({names}), got {d[key]!r}")
        time_unit = d.get("time_unit", "us")
        if time_unit not in TIME_UNITS:
            raise _err(
                source, "time_unit", f"must be one of {sorted(TIME_UNITS)}, got {time_unit!r}"
            )
        axis_map = tuple(d.get("axis_map", ("x", "y", "z")))
        if (
            len(axis_map) != 3
            or not all(_AXIS.match(a) for a in axis_map)
            or len({a[-1] for a in axis_map}) != 3
        ):
            raise _err(
                source, "axis_map", f"must be three of x, y, z with optional '-', got {axis_map!r}"
            )
        range_g = d.get("range_g")
        if range_g is not None and (not isinstance(range_g, (int, float)) or range_g <= 0):
            raise _err(source, "range_g", f"must be a number > 0, got {range_g!r}")

        def commands(key: str) -> tuple[tuple[str, bytes, bool], ...]:
            out = []
            for i, c in enumerate(d.get(key, ())):
                try:
                    out.append(
                        (
                            str(c["char"]).lower(),
                            bytes.fromhex(str(c["hex"])),
                            bool(c.get("with_response", True)),
                        )
                    )
                except (KeyError, TypeError, ValueError):
                    raise _err(
                        source,
                        f"{key}[{i}]",
                        "needs char, hex (hex bytes) and optional with_response",
                    ) from None
            return tuple(out)

        return cls(
            service_uuid=service,
            data_char_uuid=data_char,
            sample_rate_hz=float(rate),
            sample=sample,
            fields=fields,
            byte_order=order,
            header=tuple(header),
            samples_per_notification=spn,
            scale=scale,
            acc_unit=acc_unit,
            range_g=None if range_g is None else float(range_g),
            counter_field=d.get("counter_field"),
            time_field=d.get("time_field"),
            time_unit=time_unit,
            axis_map=axis_map,  # type: ignore[arg-type]
            name_prefix=d.get("name_prefix"),
            label=str(d.get("label", "DIY BLE IMU")),
            start=commands("start"),
            stop=commands("stop"),
            source=source,
        )


def _axis_matrix(axis_map: Sequence[str]) -> np.ndarray:
    """Matrix M with output = raw @ M.T for an axis map like ('-y', 'x', 'z')."""
    m = np.zeros((3, 3))
    for out_i, spec in enumerate(axis_map):
        m[out_i, "xyz".index(spec[-1])] = -1.0 if spec.startswith("-") else 1.0
    return m


class GenericDecoder(Decoder):
    """Decode notifications laid out as a :class:`GenericDescription` says."""

    driver = "generic"

    def __init__(self, desc: GenericDescription) -> None:
        self.desc = desc
        self.head = desc.header_struct
        self.smp = desc.sample_struct
        dtype = np.dtype(
            [(f"f{i}", _np_type(desc.byte_order, c)) for i, c in enumerate(desc.sample)]
        )
        self.dtype = dtype
        idx = {f: i for i, f in enumerate(desc.fields)}
        self.acc_idx = [idx[a] for a in ACC_FIELDS]
        self.gyro_idx = [idx[g] for g in GYRO_FIELDS] if desc.has_gyro else None
        self.acc_scale = (
            np.array([1.0 / desc.scale[a] for a in ACC_FIELDS]) * ACC_UNITS[desc.acc_unit]
        )
        self.gyro_scale = (
            np.array([1.0 / desc.scale[g] for g in GYRO_FIELDS]) if desc.has_gyro else None
        )
        self.axes = _axis_matrix(desc.axis_map)
        names = [n for n, _ in desc.header]
        self.counter_i = names.index(desc.counter_field) if desc.counter_field else None
        self.time_i = names.index(desc.time_field) if desc.time_field else None
        if self.time_i is not None:
            code = desc.header[self.time_i][1]
            self.time_wrap = None if code in "fd" else 1 << (8 * struct.calcsize(code))
        self.reset()

    def reset(self) -> None:
        """Forget the time unwrapping state."""
        self._wraps = 0
        self._last_t: float | None = None

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode runs of equal-length notifications with one structured array each."""
        out: list[DecodedBlock] = []
        i = 0
        while i < len(payloads):
            j = i + 1
            while j < len(payloads) and len(payloads[j]) == len(payloads[i]):
                j += 1
            out.extend(self._feed_run(payloads[i:j]))
            i = j
        return out

    def _feed_run(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        desc = self.desc
        size = len(payloads[0])
        body = size - self.head.size
        spn = desc.samples_per_notification
        if (
            len(payloads) < 2
            or body <= 0
            or body % self.smp.size
            or (spn is not None and body != spn * self.smp.size)
        ):
            return [self.feed(p) for p in payloads]
        n = body // self.smp.size
        head_fields = [
            (f"h{i}", _np_type(desc.byte_order, c)) for i, (_, c) in enumerate(desc.header)
        ]
        rec = np.frombuffer(
            b"".join(payloads), dtype=np.dtype([*head_fields, ("s", self.dtype, (n,))])
        )
        acc, gyro = self._acc_gyro(rec["s"].reshape(-1))
        times = None
        if self.time_i is not None:
            t = rec[f"h{self.time_i}"].astype(np.float64)
            if self.time_wrap is not None:
                prev = np.concatenate([[np.nan if self._last_t is None else self._last_t], t[:-1]])
                wrapped = (t < prev) & (prev - t > self.time_wrap / 2)
                wraps = self._wraps + np.cumsum(wrapped)
                self._wraps = int(wraps[-1])
                self._last_t = float(t[-1])
                t = t + wraps * self.time_wrap
            times = (t * TIME_UNITS[desc.time_unit])[:, None] + np.arange(n) / desc.sample_rate_hz
        seqs = rec[f"h{self.counter_i}"] if self.counter_i is not None else None
        out = []
        for j in range(len(payloads)):
            sl = slice(j * n, (j + 1) * n)
            out.append(
                DecodedBlock(
                    acc[sl],
                    None if gyro is None else gyro[sl],
                    None if times is None else times[j],
                    None if seqs is None else int(seqs[j]),
                )
            )
        return out

    def _acc_gyro(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the acceleration (g) and gyro (None without one) of records, scaled and mapped."""
        cols = np.column_stack(
            [samples[f"f{i}"].astype(np.float64) for i in range(len(self.desc.sample))]
        )
        acc = (cols[:, self.acc_idx] * self.acc_scale) @ self.axes.T
        gyro = None
        if self.gyro_idx is not None and self.gyro_scale is not None:
            gyro = (cols[:, self.gyro_idx] * self.gyro_scale) @ self.axes.T
        return acc, gyro

    def feed(self, payload: bytes) -> DecodedBlock:
        """Decode one notification."""
        desc = self.desc
        if len(payload) < self.head.size:
            raise self.error(payload, f"shorter than the {self.head.size}-byte header")
        body = len(payload) - self.head.size
        if desc.samples_per_notification is not None:
            expected = self.head.size + desc.samples_per_notification * self.smp.size
            if len(payload) != expected:
                raise self.error(payload, f"expected {expected} bytes, got {len(payload)}")
        elif body == 0 or body % self.smp.size:
            raise self.error(
                payload,
                f"body of {body} bytes is not a positive multiple of the {self.smp.size}-byte sample",
            )
        header = self.head.unpack_from(payload) if self.head.size else ()
        acc, gyro = self._acc_gyro(np.frombuffer(payload, dtype=self.dtype, offset=self.head.size))
        times = None
        if self.time_i is not None:
            t = float(header[self.time_i])
            if self.time_wrap is not None:
                if (
                    self._last_t is not None
                    and t < self._last_t
                    and self._last_t - t > self.time_wrap / 2
                ):
                    self._wraps += 1
                self._last_t = t
                t += self._wraps * self.time_wrap
            times = t * TIME_UNITS[desc.time_unit] + np.arange(len(acc)) / desc.sample_rate_hz
        seq = int(header[self.counter_i]) if self.counter_i is not None else None
        return DecodedBlock(acc, gyro, times, seq)


def encode_notification(
    desc: GenericDescription,
    acc_g: np.ndarray,
    gyro_dps: np.ndarray | None = None,
    *,
    header: Mapping[str, float] | None = None,
) -> bytes:
    """Encode samples (g, °/s) as one notification of ``desc`` (quantised, clipped to the type).

    The inverse of :class:`GenericDecoder` (within one LSB).
    """
    acc_g = np.atleast_2d(np.asarray(acc_g, dtype=np.float64))
    inv = _axis_matrix(desc.axis_map)  # orthonormal: inverse = transpose
    raw = {}
    acc_raw = acc_g @ inv / ACC_UNITS[desc.acc_unit]
    for j, a in enumerate(ACC_FIELDS):
        raw[a] = acc_raw[:, j] * desc.scale[a]
    if desc.has_gyro:
        g = np.zeros_like(acc_g) if gyro_dps is None else np.atleast_2d(gyro_dps) @ inv
        for j, name in enumerate(GYRO_FIELDS):
            raw[name] = g[:, j] * desc.scale[name]
    out = np.zeros(
        len(acc_g),
        dtype=[(f"f{i}", _np_type(desc.byte_order, c)) for i, c in enumerate(desc.sample)],
    )
    for i, (name, code) in enumerate(zip(desc.fields, desc.sample, strict=True)):
        vals = raw.get(name, np.zeros(len(acc_g)))
        if code in "fde":
            out[f"f{i}"] = vals
        else:
            info = np.iinfo(_np_type(desc.byte_order, code))
            out[f"f{i}"] = np.clip(np.rint(vals), info.min, info.max)
    header = header or {}
    head_vals = []
    for name, code in desc.header:
        v = header.get(name, 0)
        if code not in "fd":
            v = int(v) % (1 << (8 * struct.calcsize(code)))
            if code.islower() and v >= 1 << (8 * struct.calcsize(code) - 1):
                v -= 1 << (8 * struct.calcsize(code))
        head_vals.append(v)
    return desc.header_struct.pack(*head_vals) + out.tobytes()


class GenericDriver(DeviceDriver):
    """A DIY board described by a :class:`GenericDescription`.

    Parameters
    ----------
    description : str, Path, mapping or GenericDescription
        TOML file path, TOML text or a mapping.
    """

    name = "generic"
    label = "DIY BLE IMU (TOML description)"
    decode_options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, description: Any = None, **options: Any) -> None:
        super().__init__(**options)
        if description is None:
            raise HopscopeError("generic: pass description= (a TOML file, TOML text or a mapping)")
        self.desc = GenericDescription.load(description)
        self.service_uuid = self.desc.service_uuid  # type: ignore[misc]
        self.data_char_uuid = self.desc.data_char_uuid  # type: ignore[misc]
        self.control_char_uuid = self.desc.start[0][0] if self.desc.start else None  # type: ignore[misc]
        self.notify_char_uuids = (self.desc.data_char_uuid,)  # type: ignore[misc]
        self.has_device_clock = self.desc.time_field is not None  # type: ignore[misc]
        self.rates_hz = (self.desc.sample_rate_hz,)  # type: ignore[misc]
        self.ranges_g = (self.desc.range_g,) if self.desc.range_g else ()  # type: ignore[misc]
        self.default_rate_hz = self.desc.sample_rate_hz  # type: ignore[misc]
        self.default_range_g = self.desc.range_g  # type: ignore[misc]
        self.label = self.desc.label  # type: ignore[misc]

    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Match the name prefix when given, else the advertised service UUID."""
        if self.desc.name_prefix:
            return bool(name) and name.startswith(self.desc.name_prefix)  # type: ignore[union-attr]
        return advertises(service_uuids, self.desc.service_uuid)

    def configure(self, rate_hz: float | None = None, range_g: float | None = None) -> StreamConfig:
        """Return the description's rate and range (firmware-defined; requests are only checked)."""
        cfg = super().configure(rate_hz, range_g)
        return StreamConfig(cfg.sample_rate_hz, cfg.range_g, self.desc.has_gyro, {})

    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return the description's ``start`` writes."""
        return [Command(c, data, resp) for c, data, resp in self.desc.start]

    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return the description's ``stop`` writes."""
        return [Command(c, data, resp) for c, data, resp in self.desc.stop]

    def decoder(self, cfg: StreamConfig) -> GenericDecoder:
        """Return a decoder for the description."""
        return GenericDecoder(self.desc)
