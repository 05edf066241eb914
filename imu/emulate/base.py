"""The emulated-peripheral protocol and the sample player shared by every emulated device.

An :class:`EmulatedPeripheral` is a pure-Python object that behaves like one real BLE IMU at the
GATT level: it advertises, answers reads and command writes with the device's real responses,
and, while streaming, produces notifications in the device's real byte format, packet sizes and
rates. It never imports bleak; ``imu/emulate/backend.py`` hosts it behind bleak's ``backend=``.

Time
----
Every time argument (``now_s`` of :meth:`EmulatedPeripheral.poll`, the ``due_time_s`` of the
notifications it returns) is *emulation time* in seconds: the hosting backend's clock, which must
be monotonic over the peripheral's whole life (across reconnections). The peripheral's notion of
"now" is the latest time it was told (:meth:`poll` or :meth:`advance`); a stream started by a
write begins at that time, so a backend should call ``poll(now)`` (or ``advance(now)``) before
forwarding a write.

The device samples the physical motion (the sample table) on its own oscillator: with a clock
drift of ``clock_drift_ppm`` the true sample rate is ``rate × (1 + ppm·1e-6)`` while timestamps
in frames advance by exactly ``1/rate`` per sample on the device clock. Table time 0 is the
moment the first stream starts; samples that fall while the stream is stopped or disconnected
are never sent (they are lost, as on a real radio link).
"""

from __future__ import annotations

import abc
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd

Notification = tuple[float, str, bytes]
"""(time in seconds, characteristic UUID, payload)."""

ACC = ("ax_g", "ay_g", "az_g")
GYRO = ("gx_dps", "gy_dps", "gz_dps")


class EmulationError(Exception):
    """A GATT operation the emulated device does not support (unknown characteristic...)."""


def synthetic_samples(
    duration_s: float = 10.0, *, sample_rate_hz: float = 1000.0, seed: int = 0
) -> pd.DataFrame:
    """Return a simple hop-like sample table (time_s, ax_g.., gx_dps..) for emulation.

    Parameters
    ----------
    duration_s : float
        Length in seconds.
    sample_rate_hz : float
        Rate of the table in Hz (the emulated device resamples it).
    seed : int
        Seed of the small noise added.

    Returns
    -------
    pandas.DataFrame
        Gravity on z, 3 Hz impact-like peaks of about 12 g, a little noise.
    """
    if duration_s <= 0:
        raise ValueError(f"`duration_s` must be > 0, got {duration_s!r}")
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s, 1.0 / sample_rate_hz)
    phase = (t * 3.0) % 1.0
    impact = 11.0 * np.exp(-(((phase - 0.05) / 0.015) ** 2))
    az = 1.0 + impact - 1.0 * ((phase > 0.35) & (phase < 0.95))
    n = len(t)
    return pd.DataFrame(
        {
            "time_s": t,
            "ax_g": 0.3 * np.sin(2 * np.pi * 3 * t) + 0.02 * rng.standard_normal(n),
            "ay_g": 0.1 * np.cos(2 * np.pi * 3 * t) + 0.02 * rng.standard_normal(n),
            "az_g": az + 0.02 * rng.standard_normal(n),
            "gx_dps": 150 * np.sin(2 * np.pi * 3 * t),
            "gy_dps": 40 * np.cos(2 * np.pi * 3 * t),
            "gz_dps": 10 * np.sin(2 * np.pi * 1.5 * t),
        }
    )


def quantise(values: np.ndarray, lsb_per_unit: float, bits: int) -> np.ndarray:
    """Round ``values × lsb_per_unit`` to signed ``bits``-bit integers, clipping at full scale."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(np.rint(np.asarray(values, dtype=float) * lsb_per_unit), lo, hi).astype(np.int64)


class SamplePlayer:
    """Resample a sample table at a device's true rate, on demand.

    Parameters
    ----------
    samples : pandas.DataFrame
        ``time_s``, ``ax_g``, ``ay_g``, ``az_g`` and optionally gyro columns.
    rate_hz : float
        Nominal rate in Hz.
    clock_drift_ppm : float
        Oscillator error in parts per million (positive: the device samples fast).

    Notes
    -----
    Values are interpolated linearly from the table when a packet asks for them, so memory
    does not grow with the session length beyond the table itself.
    """

    def __init__(self, samples: pd.DataFrame, rate_hz: float, clock_drift_ppm: float = 0.0):
        for col in ("time_s", *ACC):
            if col not in samples.columns:
                raise ValueError(f"`samples` lacks the column {col!r}")
        t = samples["time_s"].to_numpy(dtype=float)
        if len(t) < 2:
            raise ValueError("`samples` needs at least two rows")
        self._t = t - t[0]
        self.rate_hz = float(rate_hz)
        self.true_rate_hz = self.rate_hz * (1.0 + clock_drift_ppm * 1e-6)
        self.duration_s = float(self._t[-1])
        self.n_total = math.floor(self.duration_s * self.true_rate_hz) + 1
        self._acc = [samples[c].to_numpy(dtype=float) for c in ACC]
        self._gyro = (
            [samples[c].to_numpy(dtype=float) for c in GYRO]
            if all(c in samples.columns for c in GYRO)
            else None
        )

    def _interp(self, cols: list[np.ndarray], k0: int, n: int) -> np.ndarray:
        tk = (k0 + np.arange(n)) / self.true_rate_hz
        if n == 0:
            return np.zeros((0, len(cols)))
        lo = max(int(np.searchsorted(self._t, tk[0], side="right")) - 1, 0)
        hi = min(int(np.searchsorted(self._t, tk[-1], side="left")) + 1, len(self._t))
        t = self._t[lo:hi]
        return np.column_stack([np.interp(tk, t, c[lo:hi]) for c in cols])

    def acc(self, k0: int, n: int) -> np.ndarray:
        """Acceleration (g) of samples ``k0 .. k0+n-1``, shape (n, 3)."""
        return self._interp(self._acc, k0, n)

    def gyro(self, k0: int, n: int) -> np.ndarray:
        """Angular rate (°/s) of samples ``k0 .. k0+n-1`` (zeros when the table has none)."""
        if self._gyro is None:
            return np.zeros((n, 3))
        return self._interp(self._gyro, k0, n)


class EmulatedPeripheral(abc.ABC):
    """A BLE IMU emulated at the GATT level.

    Subclasses fill the advertised attributes and :attr:`gatt`, implement :meth:`write`
    (answering commands, starting and stopping the stream through :meth:`start_stream` /
    :meth:`stop_stream`), :meth:`packet_size` and :meth:`encode_packet`.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample table (``time_s``, ``ax_g``, ``ay_g``, ``az_g``, optional gyro) to play.
    clock_drift_ppm : float
        Device oscillator error in ppm.
    name, address : str, optional
        Override the advertised name and address.
    rssi : int
        Advertised signal strength in dBm.
    """

    kind: ClassVar[str] = ""
    default_name: ClassVar[str] = ""
    default_address: ClassVar[str] = "E1:00:00:00:00:01"
    advertised_service_uuids: list[str]
    manufacturer_data: dict[int, bytes]
    gatt: dict[str, list[tuple[str, list[str]]]]
    data_char_uuid: ClassVar[str] = ""

    def __init__(
        self,
        samples: pd.DataFrame,
        *,
        clock_drift_ppm: float = 0.0,
        name: str | None = None,
        address: str | None = None,
        rssi: int = -60,
        **device_options: Any,
    ) -> None:
        if not math.isfinite(clock_drift_ppm) or abs(clock_drift_ppm) >= 1e5:
            raise ValueError(f"`clock_drift_ppm` must be finite and small, got {clock_drift_ppm!r}")
        if device_options:
            raise TypeError(f"unknown option(s) for {self.kind}: {', '.join(device_options)}")
        self.samples = samples
        self.clock_drift_ppm = float(clock_drift_ppm)
        self.name = name or self.default_name
        self.address = address or self.default_address
        self.rssi = int(rssi)
        self.now_s = 0.0
        self.notifying: set[str] = set()
        self.player: SamplePlayer | None = None
        self.streaming = False
        self._t_ref: float | None = None
        self._k_next = 0
        self._pending: list[Notification] = []
        self._players: dict[float, SamplePlayer] = {}
        self.sent_samples = 0

    # -- protocol ----------------------------------------------------------------------------
    def on_connect(self) -> None:
        """Device state after a (re)connection: streaming stopped, no notification enabled."""
        self.stop_stream()
        self.notifying.clear()
        self._pending.clear()

    def read(self, char_uuid: str) -> bytes:
        """Answer an ATT read."""
        raise EmulationError(f"{self.kind}: characteristic {char_uuid} is not readable")

    @abc.abstractmethod
    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        """Handle a write; return the notifications it causes as (delay_s, uuid, payload)."""

    def set_notify(self, char_uuid: str, enabled: bool) -> list[Notification]:
        """Enable or disable notifications on a characteristic."""
        self._check_char(char_uuid, "notify")
        if enabled:
            self.notifying.add(char_uuid)
        else:
            self.notifying.discard(char_uuid)
        return []

    def advance(self, now_s: float) -> None:
        """Tell the peripheral the current emulation time without collecting notifications."""
        self.now_s = max(self.now_s, float(now_s))

    def poll(self, now_s: float) -> list[Notification]:
        """Return every notification due up to ``now_s``, in order (due_time_s, uuid, payload)."""
        self.advance(now_s)
        out: list[Notification] = []
        if self.streaming and self.player is not None:
            player = self.player
            while self._k_next < player.n_total:
                n = min(self.packet_size(), player.n_total - self._k_next)
                last = self._k_next + n - 1
                ready = self._t_start_s + (last - self._k_start) / player.true_rate_hz
                due = self.delivery_time(ready)
                if due > self.now_s:
                    break
                payloads = self.encode_packet(self._k_next, n)
                out.extend((due, self.data_char_uuid, p) for p in payloads)
                self._k_next += n
                self.sent_samples += n
        keep = []
        for item in self._pending:
            (out if item[0] <= self.now_s else keep).append(item)
        self._pending = keep
        out.sort(key=lambda x: x[0])
        if self.data_char_uuid not in self.notifying:
            out = [o for o in out if o[1] != self.data_char_uuid]
        return out

    @property
    def finished(self) -> bool:
        """Whether the whole sample table has been played."""
        return self.player is not None and self._k_next >= self.player.n_total

    # -- helpers for subclasses ----------------------------------------------------------------
    def start_stream(self, rate_hz: float) -> None:
        """Start sampling at ``rate_hz`` from the current time."""
        if rate_hz not in self._players:
            self._players[rate_hz] = SamplePlayer(self.samples, rate_hz, self.clock_drift_ppm)
        self.player = self._players[rate_hz]
        if self._t_ref is None:
            self._t_ref = self.now_s
        k = math.ceil((self.now_s - self._t_ref) * self.player.true_rate_hz - 1e-9)
        self._k_next = self._k_start = max(k, 0)
        self._t_start_s = self._t_ref + self._k_start / self.player.true_rate_hz
        self.streaming = True
        self.on_stream_start()

    def stop_stream(self) -> None:
        """Stop sampling."""
        self.streaming = False

    def on_stream_start(self) -> None:  # noqa: B027 - optional hook
        """Reset per-stream state (packet counters, clocks...) when a stream starts."""

    def sample_time_device_s(self, k: int) -> float:
        """Device-clock time of sample ``k`` in seconds since the first stream start."""
        assert self.player is not None
        return k / self.player.rate_hz

    def delivery_time(self, ready_s: float) -> float:
        """When a packet whose last sample was taken at ``ready_s`` is notified (default: then)."""
        return ready_s

    def queue(self, delay_s: float, char_uuid: str, payload: bytes) -> Notification:
        """Return a response notification ``delay_s`` after now (for :meth:`write`)."""
        return (float(delay_s), char_uuid, bytes(payload))

    def reply(self, char_uuid: str, payload: bytes, delay_s: float = 0.02) -> list[Notification]:
        """Return a response on ``char_uuid`` after ``delay_s`` (s); none while it is not notifying."""
        if char_uuid not in self.notifying:
            return []
        return [self.queue(delay_s, char_uuid, payload)]

    def _check_char(self, char_uuid: str, prop: str) -> None:
        for chars in self.gatt.values():
            for uuid, props in chars:
                if uuid == char_uuid and any(p.startswith(prop) for p in props):
                    return
        raise EmulationError(f"{self.kind}: characteristic {char_uuid} does not support {prop}")

    @abc.abstractmethod
    def packet_size(self) -> int:
        """Return the number of samples in the next data packet (may vary packet to packet)."""

    @abc.abstractmethod
    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        """Encode samples ``k0 .. k0+n-1`` of :attr:`player` into notification payloads."""
