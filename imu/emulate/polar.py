"""Emulated Polar PMD devices: Verity Sense (SDK mode, delta frames, bursts), H10 and OH1."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from imu.devices import polar as pmd
from imu.emulate.base import EmulatedPeripheral, Notification

DEFAULT_EPOCH_NS = 847_584_000_000_000_000
"""Device clock at power-on: 2026-11-10T00:00:00 in ns since 2000-01-01."""

FEATURES = {
    "verity": bytes((0x0F, 0b01101110, 0b00000010)),  # PPG ACC PPI GYRO MAG; SDK mode
    "h10": bytes((0x0F, 0b00000101, 0x00)),  # ECG ACC
    "oh1": bytes((0x0F, 0b00001110, 0x00)),  # PPG ACC PPI
}
NAMES = {"verity": "Polar Sense B5A1C2D3", "h10": "Polar H10 A1B2C3D4", "oh1": "Polar OH1 C4D5E6F7"}
ADDRESSES = {"verity": "A0:9E:1A:B5:A1:C2", "h10": "A0:9E:1A:A1:B2:C3", "oh1": "A0:9E:1A:C4:D5:E6"}
NORMAL_VERITY = {"rates": (52,), "ranges": (8,), "resolutions": (16,), "channels": (3,)}


class PolarPeripheral(EmulatedPeripheral):
    """A Polar device speaking PMD on its control point and data characteristics.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table to play.
    variant : {"verity", "h10", "oh1"}
        The model.
    frame_type : int, optional
        ACC frame type sent: Verity ``0x80`` (default, with FACTOR) or ``0x81`` (mG, no FACTOR);
        H10/OH1 ``0x01``.
    samples_per_frame : int, optional
        Samples per data frame (default 36: a 16-bit raw frame fills an MTU of 232).
    block_samples : int
        Samples per delta block (each block gets its own bit width).
    burst_interval_s : float, optional
        Frames are held and released together every this many seconds (Verity default 1.0).
    cp_chunk : int, optional
        Split CP response parameters into continuation notifications of this many bytes.
    epoch_ns : int
        Device clock (ns since 2000-01-01) at emulation time 0.
    **options
        See :class:`~imu.emulate.base.EmulatedPeripheral`.
    """

    kind = "polar"
    data_char_uuid = pmd.DATA_UUID

    def __init__(
        self,
        samples: pd.DataFrame,
        *,
        variant: str = "verity",
        frame_type: int | None = None,
        samples_per_frame: int = 36,
        block_samples: int = 12,
        burst_interval_s: float | None = None,
        cp_chunk: int | None = None,
        epoch_ns: int = DEFAULT_EPOCH_NS,
        **options: Any,
    ) -> None:
        if variant not in pmd.VARIANTS:
            raise ValueError(f"`variant` must be one of {sorted(pmd.VARIANTS)}, got {variant!r}")
        options.setdefault("name", NAMES[variant])
        options.setdefault("address", ADDRESSES[variant])
        super().__init__(samples, **options)
        self.variant = variant
        if frame_type is None:
            frame_type = pmd.FRAME_DELTA_G if variant == "verity" else pmd.FRAME_RAW16
        if frame_type not in (0x00, 0x01, 0x02, 0x80, 0x81):
            raise ValueError(f"`frame_type` must be an ACC frame type, got {frame_type!r}")
        self.frame_type = frame_type
        if samples_per_frame < 1:
            raise ValueError(f"`samples_per_frame` must be >= 1, got {samples_per_frame}")
        self.samples_per_frame = samples_per_frame
        self.block_samples = block_samples
        if burst_interval_s is None:
            burst_interval_s = 1.0 if variant == "verity" else 0.0
        self.burst_interval_s = float(burst_interval_s)
        self.cp_chunk = cp_chunk
        self.epoch_ns = int(epoch_ns)
        self.advertised_service_uuids = [pmd.HEART_RATE_SERVICE_UUID]
        self.manufacturer_data = {pmd.POLAR_COMPANY_ID: bytes((0x33, 0x1E, 0x00))}
        self.gatt = {
            pmd.HEART_RATE_SERVICE_UUID: [(pmd.HEART_RATE_MEASUREMENT_UUID, ["notify"])],
            pmd.SERVICE_UUID: [
                (pmd.CP_UUID, ["read", "write", "indicate", "notify"]),
                (pmd.DATA_UUID, ["notify"]),
            ],
        }
        self.sdk_mode = False
        self.acc_settings: dict[str, int] | None = None
        self.factor: float | None = None
        self.requests: list[bytes] = []

    # -- capabilities ----------------------------------------------------------------------------
    def capabilities(self) -> dict[str, tuple[int, ...]]:
        """Return the allowed ACC settings in the current mode."""
        v = pmd.VARIANTS[self.variant]
        if self.variant == "verity" and not self.sdk_mode:
            return dict(NORMAL_VERITY)
        caps = {
            "rates": tuple(int(r) for r in v.rates_hz),
            "ranges": tuple(int(r) for r in v.ranges_g),
            "resolutions": (16,),
        }
        if v.channels:
            caps["channels"] = (v.channels,)
        return caps

    def _settings_tlv(self) -> bytes:
        caps = self.capabilities()
        tlv: dict[int, Any] = {
            pmd.SETTING_SAMPLE_RATE: list(caps["rates"]),
            pmd.SETTING_RESOLUTION: list(caps["resolutions"]),
            pmd.SETTING_RANGE: list(caps["ranges"]),
        }
        if "channels" in caps:
            tlv[pmd.SETTING_CHANNELS] = list(caps["channels"])
        return pmd.encode_settings(tlv)

    # -- GATT ------------------------------------------------------------------------------------
    def on_connect(self) -> None:
        """Stop streaming and leave SDK mode (a new connection starts clean)."""
        super().on_connect()
        self.sdk_mode = False
        self.acc_settings = None

    def read(self, char_uuid: str) -> bytes:
        """Answer the PMD feature read ``0F b1 b2``."""
        if char_uuid == pmd.CP_UUID:
            return FEATURES[self.variant]
        return super().read(char_uuid)

    def _respond(self, op: int, meas: int, status: int, params: bytes = b"") -> list[Notification]:
        if pmd.CP_UUID not in self.notifying:
            return []
        chunks = pmd.encode_response(op, meas, status, params, chunk=self.cp_chunk)
        return [self.queue(0.01 * (i + 1), pmd.CP_UUID, c) for i, c in enumerate(chunks)]

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Answer a PMD control-point command."""
        self._check_char(char_uuid, "write")
        data = bytes(data)
        self.requests.append(data)
        if char_uuid != pmd.CP_UUID or not data:
            return []
        op = data[0]
        meas = data[1] & 0x7F if len(data) > 1 else 0
        if op == pmd.OP_GET_SDK_MODE_STATUS:
            return self._respond(op, pmd.MEAS_SDK_MODE, 0, bytes((int(self.sdk_mode),)))
        if op not in (pmd.OP_GET_SETTINGS, pmd.OP_START, pmd.OP_STOP, pmd.OP_GET_SDK_SETTINGS):
            return self._respond(op, meas, 1)
        if len(data) < 2:
            return self._respond(op, 0, 4)
        if meas == pmd.MEAS_SDK_MODE:
            if self.variant != "verity":
                return self._respond(op, meas, 3)
            if op == pmd.OP_START:
                if self.sdk_mode:
                    return self._respond(op, meas, pmd.ALREADY_IN_STATE)
                self.sdk_mode = True
                self.stop_stream()
                return self._respond(op, meas, 0)
            if op == pmd.OP_STOP:
                if not self.sdk_mode:
                    return self._respond(op, meas, pmd.ALREADY_IN_STATE)
                self.sdk_mode = False
                self.stop_stream()
                return self._respond(op, meas, 0)
            return self._respond(op, meas, 3)
        if meas != pmd.MEAS_ACC:
            return self._respond(op, meas, 2)
        if op in (pmd.OP_GET_SETTINGS, pmd.OP_GET_SDK_SETTINGS):
            return self._respond(op, meas, 0, self._settings_tlv())
        if op == pmd.OP_STOP:
            if not self.streaming:
                return self._respond(op, meas, 12)
            self.stop_stream()
            return self._respond(op, meas, 0)
        return self._start_acc(op, meas, data[2:])

    def _start_acc(self, op: int, meas: int, tlv: bytes) -> list[Notification]:
        if self.streaming:
            return self._respond(op, meas, pmd.ALREADY_IN_STATE)
        try:
            settings = pmd.parse_settings(tlv)
        except ValueError:
            return self._respond(op, meas, 5)
        caps = self.capabilities()
        checks = [
            (pmd.SETTING_SAMPLE_RATE, "rates", 8),
            (pmd.SETTING_RESOLUTION, "resolutions", 7),
            (pmd.SETTING_RANGE, "ranges", 9),
            (pmd.SETTING_CHANNELS, "channels", 11),
        ]
        chosen: dict[str, int] = {}
        for kind, cap, status in checks:
            if cap not in caps:
                continue
            vals = settings.get(kind)
            if not vals or len(vals) != 1 or vals[0] not in caps[cap]:
                return self._respond(op, meas, status)
            chosen[cap] = int(vals[0])
        self.acc_settings = chosen
        range_g = chosen["ranges"]
        if self.frame_type == pmd.FRAME_DELTA_G:
            self.factor = range_g / 32768.0
            params = pmd.encode_settings({pmd.SETTING_FACTOR: self.factor})
        elif self.variant == "h10":
            self.factor = None
            params = b"\x00"  # the H10's one reserved byte
        else:
            self.factor = None
            params = b""
        self.start_stream(float(chosen["rates"]))
        return self._respond(op, meas, 0, params)

    # -- stream ----------------------------------------------------------------------------------
    def packet_size(self) -> int:
        """Return the samples per frame."""
        return self.samples_per_frame

    def delivery_time(self, ready_s: float) -> float:
        """Hold frames until the next burst boundary (Verity) or send at once."""
        if self.burst_interval_s <= 0:
            return ready_s
        return math.ceil(ready_s / self.burst_interval_s - 1e-9) * self.burst_interval_s

    def device_time_ns(self, k: int) -> int:
        """Device-clock timestamp of sample ``k`` (ns since 2000-01-01)."""
        assert self.player is not None and self._t_ref is not None
        start_ns = self.epoch_ns + round(self._t_ref * (1 + self.clock_drift_ppm * 1e-6) * 1e9)
        return start_ns + round(k * 1e9 / self.player.rate_hz)

    def counts(self, k0: int, n: int) -> np.ndarray:
        """Quantised integer samples ``k0 .. k0+n-1`` in the units of the frame type."""
        assert self.player is not None and self.acc_settings is not None
        acc = self.player.acc(k0, n)
        range_g = self.acc_settings["ranges"]
        if self.frame_type == pmd.FRAME_DELTA_G:
            lsb = 32768.0 / range_g
            lo, hi = -32768, 32767
        elif self.frame_type == pmd.FRAME_RAW8 and self.variant == "verity":
            lsb, lo, hi = 1.0, -128, 127
        else:
            lsb = pmd.MG_PER_G
            lo, hi = -range_g * 1000, range_g * 1000
            if self.frame_type == pmd.FRAME_RAW8:
                lo, hi = -128, 127
        return np.clip(np.rint(acc * lsb), lo, hi).astype(np.int64)

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode one ACC frame holding samples ``k0 .. k0+n-1``."""
        counts = self.counts(k0, n)
        if self.frame_type & pmd.DELTA_FLAG:
            content = pmd.delta_encode(counts, block_samples=self.block_samples)
        else:
            content = pmd.encode_raw(counts, self.frame_type + 1)
        ts = self.device_time_ns(k0 + n - 1)
        return [pmd.encode_frame(ts, self.frame_type, content)]
