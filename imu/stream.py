"""From notifications to timed samples: decoding, sample times, loss counting, writing.

:class:`StreamProcessor` is the consumer side of the recorder. It is fed notifications and
events in arrival order (live, or replayed from a raw log) and gives the same output either
way: the result is a function of the notification bytes, their arrival times and the events,
never of when the consumer happened to run.

Sample times
------------
Devices with a clock (Polar, Movesense, DIY frames with a timestamp) are timed by
:class:`DeviceTimeTimer`: ``time_s`` is device time from the first sample. A jump between
blocks of more than 1.5 sample periods is a gap; the samples missing in it are counted as lost.
A block whose samples were spread over a lost frame (the Polar SDK rule spreads a frame's
samples back to the previous frame's timestamp) is re-timed back from its last sample, whose
time is exact.

Devices without a clock (WitMotion, MetaWear, Thingy) are timed by :class:`ArrivalTimer`:
sample ``k`` gets ``k × period`` on one continuous axis, with the period measured from the
arrival times (an exponentially weighted least-squares fit of arrival time against sample
index, time constant 30 s, over the arrivals near the lower envelope) rather than taken from
the nominal rate. Losses show as arrivals
that fall behind this axis; bursts (a congested link delivering late, then catching up) look
the same at first. To tell them apart each block is held back ``hold_s`` (1 s) and a gap is
declared only when *every* arrival in the following ``hold_s`` stays late by more than the
threshold (2.5 sample periods, 1.5 packet intervals or 30 ms, whichever is largest) compared
with the lowest lateness of the past 10 s. The gap then holds ``round(lateness / period)``
samples. Losses shorter than the threshold cannot be seen without a device clock or counter.

References
----------
protocols.md §1.2 (reconstruction without timestamps), §3.5 (Polar per-sample timestamps).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imu.errors import DecodeError
from imu.recording import ACC_COLUMNS, GYRO_COLUMNS, TIME_COLUMN, RecordingWriter

logger = logging.getLogger(__name__)

#: Drivers whose delivered rate is known to differ from the configured one.
MEASURED_RATE_DRIVERS = frozenset({"thingy52"})


@dataclass
class TimedBlock:
    """Samples with their final times (s from the start of the recording)."""

    time_s: np.ndarray
    acc_g: np.ndarray
    gyro_dps: np.ndarray | None


@dataclass
class LossCounter:
    """Radio losses found in the stream."""

    lost_samples: int = 0
    lost_packets: int = 0
    gaps: list[tuple[float, float]] | None = None

    def add_gap(self, start_s: float, end_s: float, samples: int, packets: int) -> None:
        """Count one gap of ``samples`` samples in ``packets`` packets."""
        self.lost_samples += int(samples)
        self.lost_packets += int(packets)
        if self.gaps is None:
            self.gaps = []
        if len(self.gaps) < 10000:
            self.gaps.append((round(start_s, 6), round(end_s, 6)))


class DeviceTimeTimer:
    """Sample times from the device clock (see the module docstring).

    Parameters
    ----------
    sample_rate_hz : float
        Configured rate, in Hz.
    """

    def __init__(self, sample_rate_hz: float) -> None:
        self.p_nominal = 1.0 / sample_rate_hz
        self.p = self.p_nominal
        self.t0: float | None = None
        self.last_s: float | None = None
        self.last_arrival_ns = 0
        self.prev_seq: int | None = None
        self.mean_n = 0.0
        self.loss = LossCounter()
        self.dropped = 0

    def add(self, arrival_ns: int, block: Any) -> TimedBlock | None:
        """Time one decoded block; return it (None when nothing new remains)."""
        dev = np.asarray(block.device_time_s, dtype=np.float64)
        n = len(dev)
        if n >= 2:
            d = float(np.median(np.diff(dev)))
            if d > 1.5 * self.p_nominal:
                dev = dev[-1] - (n - 1 - np.arange(n)) * self.p
            elif 0.5 * self.p_nominal < d:
                self.p = 0.95 * self.p + 0.05 * d
        self.mean_n = n if self.mean_n == 0 else 0.95 * self.mean_n + 0.05 * n
        if self.t0 is None:
            self.t0 = float(dev[0])
        t = dev - self.t0
        acc, gyro = block.acc_g, block.gyro_dps
        if self.last_s is not None:
            step = float(t[0] - self.last_s)
            if step < -1.0 or step > 6 * 3600:
                # The device clock was reset (power loss): continue after the arrival gap.
                gap = max(self.p, (arrival_ns - self.last_arrival_ns) * 1e-9 - (n - 1) * self.p)
                self.t0 += step - gap
                t = dev - self.t0
                logger.warning("device clock jumped by %.3f s; re-anchored on arrival time", step)
                step = gap
            if step > 1.5 * self.p:
                missing = round(step / self.p) - 1
                if missing > 0:
                    packets = self._lost_packets(block.sequence, missing)
                    self.loss.add_gap(self.last_s, float(t[0]), missing, packets)
            elif step <= 0.5 * self.p:
                keep = t > self.last_s + 0.5 * self.p
                self.dropped += int(n - keep.sum())
                t, acc = t[keep], acc[keep]
                gyro = gyro[keep] if gyro is not None else None
        if block.sequence is not None:
            self.prev_seq = int(block.sequence)
        self.last_arrival_ns = arrival_ns
        if len(t) == 0:
            return None
        self.last_s = float(t[-1])
        return TimedBlock(t, acc, gyro)

    def _lost_packets(self, seq: int | None, missing: int) -> int:
        if seq is not None and self.prev_seq is not None:
            jump = (int(seq) - self.prev_seq - 1) % 65536
            if 0 < jump < 10000:
                return jump
        return max(1, round(missing / max(self.mean_n, 1.0)))


class ArrivalTimer:
    """Sample times reconstructed from arrival times (see the module docstring).

    Parameters
    ----------
    sample_rate_hz : float
        Configured rate, in Hz.
    hold_s : float
        How long blocks are held back before their times are final, in s.
    baseline_s : float
        Window of the lowest-lateness baseline, in s.
    forget_s : float
        Time constant of the rate fit, in s.
    measure_rate : bool
        Start from the rate the arrivals show whenever it is more than 3 % off the nominal
        one (for devices known to deliver less than configured); otherwise only beyond 20 %.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        *,
        measure_rate: bool = False,
        hold_s: float = 1.0,
        baseline_s: float = 10.0,
        forget_s: float = 30.0,
    ) -> None:
        self.p_nominal = 1.0 / sample_rate_hz
        self.p = self.p_nominal
        self.p_cal: float | None = None
        self.hold_s = hold_s
        self.measure_rate = measure_rate
        self.calibration_s = max(3.0, hold_s)
        self.baseline_s = baseline_s
        self.forget_s = forget_s
        self.pending: deque[tuple[float, Any]] = deque()
        # Arrival times and cumulative sample counts of the pending blocks, as arrays (the
        # look-ahead minimum is taken over them for every block).
        self._pa = np.empty(1024)
        self._pc = np.empty(1024)
        self._h = 0
        self._t = 0
        self._count = 0
        self.a0_ns: int | None = None
        self.t_next = 0.0
        self.k = 0
        self.mean_n = 0.0
        self.loss = LossCounter()
        self._base: deque[tuple[float, float]] = deque()
        self._fit_w = 0.0
        self._fit_k = 0.0
        self._fit_a = 0.0
        self._fit_kk = 0.0
        self._fit_ka = 0.0
        self._fit_last_a: float | None = None
        self.prov_next = 0.0

    def add(self, arrival_ns: int, block: Any) -> np.ndarray:
        """Queue one decoded block; return provisional times for live use."""
        if self.a0_ns is None:
            self.a0_ns = arrival_ns
        a = (arrival_ns - self.a0_ns) * 1e-9
        self.pending.append((a, block))
        n = len(block)
        if self._t == len(self._pa):
            live = self._t - self._h
            if live * 2 > len(self._pa):
                self._pa = np.resize(self._pa, 2 * len(self._pa))
                self._pc = np.resize(self._pc, 2 * len(self._pc))
            self._pa[:live] = self._pa[self._h : self._t]
            self._pc[:live] = self._pc[self._h : self._t]
            self._h, self._t = 0, live
        self._count += n
        self._pa[self._t] = a
        self._pc[self._t] = self._count
        self._t += 1
        start = max(self.prov_next, a - 0.2 - (n - 1) * self.p)
        prov = start + np.arange(n) * self.p
        self.prov_next = start + n * self.p
        return prov

    def ready(self, now_ns: int | None) -> list[TimedBlock]:
        """Return the blocks whose times are final (all of them when ``now_ns`` is None)."""
        out: list[TimedBlock] = []
        if self.a0_ns is None:
            return out
        now = math.inf if now_ns is None else (now_ns - self.a0_ns) * 1e-9
        if self.p_cal is None and now < self.calibration_s:
            return out
        while self.pending and self.pending[0][0] + self.hold_s <= now:
            out.append(self._finalise(final=now_ns is None))
        return out

    def _calibrate(self) -> None:
        # Lateness against the nominal axis, L = a - c * p, grows by (1 - f_true / f) per second
        # when the device delivers another rate. Its lower envelope (the least late arrival in
        # each 0.25 s bin) is immune to bursts; a line through it gives the delivered rate.
        a_first = self.pending[0][0]
        p = self.p_nominal
        bins: dict[int, float] = {}
        cum = 0
        for a, b in self.pending:
            if a > a_first + self.calibration_s:
                break
            cum += len(b)
            lag = a - (cum - 1) * p
            key = int((a - a_first) / 0.25)
            bins[key] = min(bins.get(key, math.inf), lag)
        self.p_cal = p
        if len(bins) >= 6:
            x = (np.fromiter(bins.keys(), dtype=float) + 0.5) * 0.25
            y = np.fromiter(bins.values(), dtype=float)
            slope = float(np.polyfit(x, y, 1)[0])
            ratio = 1.0 - slope
            if ratio > 0.05 and abs(ratio - 1.0) > (0.03 if self.measure_rate else 0.2):
                logger.warning(
                    "the device delivers about %.1f Hz, not the configured %.1f Hz; timing from"
                    " the delivered rate",
                    ratio / p,
                    1.0 / p,
                )
                self.p_cal = p / ratio
        self.p = self.p_cal
        lags = []
        cum = 0
        for a, b in self.pending:
            if a > a_first + self.hold_s:
                break
            cum += len(b)
            lags.append(a - (cum - 1) * self.p)
        self._base.append((a_first, min(lags)))

    def _finalise(self, *, final: bool = False) -> TimedBlock:
        if self.p_cal is None:
            self._calibrate()
        a_i, block = self.pending[0]
        n = len(block)
        self.mean_n = n if self.mean_n == 0 else 0.95 * self.mean_n + 0.05 * n
        threshold = max(2.5 * self.p, 1.5 * self.mean_n * self.p, 0.03)
        # Lateness of block m (samples i..m on the axis from t_next) is
        # a_m - t_next - (c_m - c_i + n - 1) p, with c the cumulative sample count.
        h, t = self._h, self._t
        j = h + int(np.searchsorted(self._pa[h:t], a_i + self.hold_s, side="right"))
        c_i = self._pc[h]
        u = self._pa[h:j] - self.p * self._pc[h:j]
        min_lag = float(u.min()) - self.t_next + self.p * (c_i - n + 1)
        baseline = self._base[0][1]
        excess = min_lag - baseline
        # At the end of a stream the last blocks lack a full second of look-ahead: a late
        # arrival there cannot be told from a stall, so no gap is declared.
        complete = not final or self._pa[t - 1] >= a_i + self.hold_s
        if complete and excess > threshold:
            missing = round(excess / self.p)
            if missing > 0:
                start = self.t_next - self.p
                self.t_next += missing * self.p
                self.k += missing
                packets = max(1, round(missing / max(self.mean_n, 1.0)))
                self.loss.add_gap(start, self.t_next, missing, packets)
        self.pending.popleft()
        self._h += 1
        t = self.t_next + np.arange(n) * self.p
        self.t_next += n * self.p
        self.k += n
        lag = a_i - float(t[-1])
        while self._base and self._base[-1][1] >= lag:
            self._base.pop()
        self._base.append((a_i, lag))
        while self._base and self._base[0][0] < a_i - self.baseline_s and len(self._base) > 1:
            self._base.popleft()
        if lag - self._base[0][1] <= threshold:
            # Only arrivals near the lower envelope inform the rate: held-back bursts would
            # bias the fit.
            self._update_rate(a_i)
        return TimedBlock(t, block.acc_g, block.gyro_dps)

    def _update_rate(self, a: float) -> None:
        # Exponentially weighted least squares of arrival time against sample index.
        k = float(self.k - 1)
        alpha = (
            1.0 if self._fit_last_a is None else math.exp(-(a - self._fit_last_a) / self.forget_s)
        )
        self._fit_last_a = a
        w = alpha * self._fit_w + 1.0
        dk = k - self._fit_k
        da = a - self._fit_a
        self._fit_k += dk / w
        self._fit_a += da / w
        self._fit_kk = alpha * self._fit_kk + dk * (k - self._fit_k)
        self._fit_ka = alpha * self._fit_ka + dk * (a - self._fit_a)
        self._fit_w = w
        if self._fit_kk > 0 and self._fit_w > 50 and self.p_cal is not None:
            slope = self._fit_ka / self._fit_kk
            span = math.sqrt(self._fit_kk / self._fit_w) * self.p
            if span > 5.0:
                self.p = min(max(slope, 0.85 * self.p_cal), 1.15 * self.p_cal)


class StreamProcessor:
    """Decode, time and write one device's notifications (the recorder's consumer).

    Parameters
    ----------
    driver : DeviceDriver
        The device's driver.
    cfg : StreamConfig
        The configuration in force.
    writer : RecordingWriter, optional
        Where final samples go.
    on_block : callable, optional
        ``on_block(time_s, acc_g, arrival_ns)`` called with every decoded block as soon as it
        is decoded, with provisional times (final for devices with a clock); for live views.
    hold_s : float
        Hold-back of :class:`ArrivalTimer`, in s.
    """

    def __init__(
        self,
        driver: Any,
        cfg: Any,
        *,
        writer: RecordingWriter | None = None,
        on_block: Callable[[np.ndarray, np.ndarray, int], None] | None = None,
        hold_s: float = 1.0,
    ) -> None:
        self.driver = driver
        self.cfg = cfg
        self.writer = writer
        self.on_block = on_block
        self.hold_s = hold_s
        self.data_char = driver.data_char_uuid.lower()
        self.decoder = driver.decoder(cfg)
        self.timer: DeviceTimeTimer | ArrivalTimer | None = None
        self.streaming = False
        self.connections = 0
        self.packets = 0
        self.malformed = 0
        self.samples_decoded = 0
        self.samples_written = 0
        self.last_arrival_ns: int | None = None
        self._discarded = 0
        self._warned = 0
        self.gyro = bool(getattr(cfg, "gyro", False))

    # -- input ------------------------------------------------------------------------------
    def event(self, name: str, t_ns: int, info: dict[str, Any] | None = None) -> None:
        """Apply an event (``connected``, ``config``, ``streaming``, ``disconnected``...)."""
        if name == "connected":
            self.connections += 1
            self.streaming = False
        elif name == "config" and info and "config" in info:
            self.cfg = config_from_dict(info["config"])
        elif name == "streaming":
            self.decoder = self.driver.decoder(self.cfg)
            self._discarded = 0
            self.streaming = True
        elif name in ("disconnected", "stopped"):
            self.streaming = False

    def feed(self, arrival_ns: int, char_uuid: str, payload: bytes) -> None:
        """Process one notification (only data-characteristic payloads while streaming)."""
        if char_uuid != self.data_char or not self.streaming:
            return
        self.packets += 1
        self.last_arrival_ns = arrival_ns
        try:
            block = self.decoder.feed(payload)
        except DecodeError as exc:
            self._malformed(str(exc))
            return
        discarded = getattr(self.decoder, "discarded_bytes", 0)
        if discarded != self._discarded:
            self._discarded = discarded
            self._malformed(f"{self.driver.name}: bytes skipped to resynchronise the stream")
        n = len(block)
        if n == 0:
            return
        self.samples_decoded += n
        if self.timer is None:
            timed = block.device_time_s is not None
            rate = float(self.cfg.sample_rate_hz)
            self.timer = (
                DeviceTimeTimer(rate)
                if timed
                else ArrivalTimer(
                    rate,
                    hold_s=self.hold_s,
                    measure_rate=self.driver.name in MEASURED_RATE_DRIVERS,
                )
            )
        if isinstance(self.timer, DeviceTimeTimer):
            if block.device_time_s is None:
                self._malformed(f"{self.driver.name}: a frame without device time")
                return
            done = self.timer.add(arrival_ns, block)
            if done is not None:
                if self.on_block is not None:
                    self.on_block(done.time_s, done.acc_g, arrival_ns)
                self._write([done])
        else:
            prov = self.timer.add(arrival_ns, block)
            if self.on_block is not None:
                self.on_block(prov, block.acc_g, arrival_ns)

    def _malformed(self, message: str) -> None:
        self.malformed += 1
        if self._warned < 5:
            logger.warning("malformed notification: %s", message)
            self._warned += 1
            if self._warned == 5:
                logger.warning("further malformed notifications are only counted")

    # -- output -----------------------------------------------------------------------------
    def pump(self, now_ns: int | None) -> None:
        """Write every block whose time is final at ``now_ns`` (None: everything)."""
        if isinstance(self.timer, ArrivalTimer):
            self._write(self.timer.ready(now_ns))

    def _write(self, blocks: list[TimedBlock]) -> None:
        if not blocks:
            return
        n = sum(len(b.time_s) for b in blocks)
        self.samples_written += n
        if self.writer is None:
            return
        t = np.concatenate([b.time_s for b in blocks])
        acc = np.concatenate([b.acc_g for b in blocks])
        cols: dict[str, np.ndarray] = {TIME_COLUMN: t}
        cols.update({c: acc[:, j] for j, c in enumerate(ACC_COLUMNS)})
        if self.gyro:
            gyro = np.concatenate(
                [
                    b.gyro_dps if b.gyro_dps is not None else np.zeros((len(b.time_s), 3))
                    for b in blocks
                ]
            )
            cols.update({c: gyro[:, j] for j, c in enumerate(GYRO_COLUMNS)})
        self.writer.append(pd.DataFrame(cols, copy=False))

    # -- figures ------------------------------------------------------------------------------
    @property
    def loss(self) -> LossCounter:
        """Losses found so far."""
        return self.timer.loss if self.timer is not None else LossCounter()

    @property
    def dropped(self) -> int:
        """Samples dropped because their device time repeated an earlier one."""
        return getattr(self.timer, "dropped", 0)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """Return a JSON-ready description of a StreamConfig."""
    options = {}
    for k, v in dict(cfg.options).items():
        if isinstance(v, (bool, int, float, str)) or v is None:
            options[k] = v
        else:
            options[k] = str(v)
    return {
        "sample_rate_hz": float(cfg.sample_rate_hz),
        "range_g": None if cfg.range_g is None else float(cfg.range_g),
        "gyro": bool(cfg.gyro),
        "options": options,
    }


def config_from_dict(data: dict[str, Any]) -> Any:
    """Rebuild a StreamConfig from :func:`config_to_dict` output."""
    from imu.devices.base import StreamConfig

    return StreamConfig(
        sample_rate_hz=float(data["sample_rate_hz"]),
        range_g=data.get("range_g"),
        gyro=bool(data.get("gyro", False)),
        options=dict(data.get("options", {})),
    )
