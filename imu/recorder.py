"""Live recording from a BLE IMU: scan, connect, configure, stream, write, reconnect.

:class:`Recorder` runs the real :class:`bleak.BleakScanner` and :class:`bleak.BleakClient`
(their ``backend=`` is injectable: the emulated devices of :mod:`imu.emulate` plug in there).
The notification callback only stamps the arrival time and stores the bytes; a consumer task
decodes, times and writes them (:class:`imu.stream.StreamProcessor`) and keeps three files:

* ``NAME.csv``: the samples, in order, flushed to disk at least once a second;
* ``NAME.json``: the metadata sidecar (device, rate, range, start time, athlete, leg, losses);
* ``NAME.rawlog.jsonl``: every notification with its host arrival time (:mod:`imu.rawlog`), so
  that the recording can be decoded again (:func:`replay_rawlog`, ``hopscope decode``).

On an unexpected disconnect the recorder reconnects with bounded retries and backoff and
continues in the same files; the gap is a gap in ``time_s`` and its samples are counted in the
metadata. A stop request (Ctrl-C) stops the device, closes the files and writes the final
sidecar.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imu.clock import MonotonicClock
from imu.errors import (
    ConnectionFailedError,
    DeviceNotFoundError,
    HopscopeError,
    StreamInterruptedError,
)
from imu.rawlog import RawLogWriter, char_list, rawlog_path, read_rawlog
from imu.recording import RecordingMeta, RecordingWriter, sidecar_path
from imu.stream import StreamProcessor, config_from_dict, config_to_dict

logger = logging.getLogger(__name__)

#: How often the consumer drains the notification queue, in real seconds.
CONSUMER_TICK_S = 0.02


@dataclass
class RecordSettings:
    """What to record and how.

    Parameters
    ----------
    device : str
        Driver name (``"polar"``, ``"witmotion"``...).
    out : path
        Destination ``NAME.csv``.
    address, name : str, optional
        Pick the device by BLE address or by advertised name (default: the first match).
    rate_hz, range_g : float, optional
        Requested rate (Hz) and range (± g); the driver picks the nearest supported values.
    duration_s : float, optional
        Stop after this many seconds of streaming (default: until stopped).
    athlete, leg, placement : str, optional
        Metadata for the sidecar.
    scan_timeout_s : float
        How long to look for the device, in s.
    connect_timeout_s : float
        Timeout of one connection attempt, in s.
    connect_attempts : int
        Attempts for the first connection.
    reconnect_attempts : int
        Attempts after an unexpected disconnect before giving up.
    backoff_s : tuple of float
        Pauses between reconnection attempts, in s (the last one repeats).
    flush_interval_s : float
        Longest time between two flushes to disk, in s.
    driver_options : dict
        Options for :func:`imu.devices.get_driver`.
    """

    device: str
    out: Path
    address: str | None = None
    name: str | None = None
    rate_hz: float | None = None
    range_g: float | None = None
    duration_s: float | None = None
    athlete: str | None = None
    leg: str | None = None
    placement: str | None = None
    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 15.0
    connect_attempts: int = 3
    reconnect_attempts: int = 10
    backoff_s: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)
    flush_interval_s: float = 1.0
    driver_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.duration_s is not None and not self.duration_s > 0:
            raise HopscopeError(f"--duration must be > 0 s, got {self.duration_s!r}")
        if self.leg is not None and self.leg.upper() not in ("L", "R"):
            raise HopscopeError(f"--leg must be L or R, got {self.leg!r}")
        if self.flush_interval_s > 1.0:
            raise ValueError("`flush_interval_s` must be at most 1 s")


@dataclass
class RecordStatus:
    """Live figures of a recording (read by status displays)."""

    device_label: str = ""
    address: str = ""
    state: str = "starting"
    elapsed_s: float = 0.0
    samples: int = 0
    samples_per_s: float = 0.0
    packets: int = 0
    lost_packets: int = 0
    lost_samples: int = 0
    malformed: int = 0
    reconnects: int = 0
    rate_hz: float = 0.0
    range_g: float | None = None


@dataclass
class RecordResult:
    """What a finished recording produced."""

    csv_path: Path
    sidecar_path: Path
    rawlog_path: Path
    meta: RecordingMeta
    samples_written: int
    packets: int
    malformed: int
    reconnects: int
    duration_s: float
    reason: str


class Recorder:
    """Record one BLE IMU to a recording CSV, its sidecar and a raw log.

    Parameters
    ----------
    settings : RecordSettings
        What to record.
    scanner_backend, client_backend : type, optional
        bleak ``backend=`` classes (default: the platform's Bluetooth stack).
    clock : MonotonicClock, optional
        Arrival-time and duration clock (default: the host's monotonic clock).
    on_block : callable, optional
        ``on_block(time_s, acc_g, arrival_ns)`` for every decoded block (live views).
    on_tick : callable, optional
        ``on_tick(status)`` after every consumer pass (about 50 times a second).
    """

    def __init__(
        self,
        settings: RecordSettings,
        *,
        scanner_backend: type | None = None,
        client_backend: type | None = None,
        clock: MonotonicClock | None = None,
        on_block: Callable[[np.ndarray, np.ndarray, int], None] | None = None,
        on_tick: Callable[[RecordStatus], None] | None = None,
    ) -> None:
        from imu.devices import get_driver

        self.settings = settings
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.clock = clock or MonotonicClock()
        self.on_block = on_block
        self.on_tick = on_tick
        try:
            self.driver = get_driver(settings.device, **settings.driver_options)
        except (TypeError, ValueError) as exc:
            raise HopscopeError(f"{settings.device}: {exc}".replace("`", "")) from None
        try:
            self.cfg = self.driver.configure(settings.rate_hz, settings.range_g)
        except ValueError as exc:
            raise HopscopeError(str(exc)) from None
        self.status = RecordStatus(
            device_label=self.driver.label,
            rate_hz=float(self.cfg.sample_rate_hz),
            range_g=self.cfg.range_g,
        )
        self._queue: deque[tuple[Any, ...]] = deque()
        self._control: asyncio.Queue[bytes] | None = None
        self._starting = False
        self._streaming_since_ns = 0
        self._lost = asyncio.Event()
        self._intended_disconnect = False
        self._client: Any = None
        self._rate_window: deque[tuple[int, int]] = deque()

    # -- discovery -----------------------------------------------------------------------------
    def _matches(self, device: Any, adv: Any) -> bool:
        s = self.settings
        if s.address is not None and device.address.upper() != s.address.upper():
            return False
        name = adv.local_name or device.name
        if s.name is not None and name != s.name:
            return False
        return bool(self.driver.matches(name, adv.service_uuids or [], adv.manufacturer_data or {}))

    async def find_device(self) -> Any:
        """Scan for the device; return its BLEDevice.

        Raises
        ------
        DeviceNotFoundError
            Nothing matching was seen within the scan timeout.
        HopscopeError
            Bluetooth is not available.
        """
        from bleak import BleakScanner
        from bleak.exc import BleakError

        s = self.settings
        kwargs = {} if self.scanner_backend is None else {"backend": self.scanner_backend}
        try:
            device = await BleakScanner.find_device_by_filter(
                self._matches, timeout=s.scan_timeout_s, **kwargs
            )
        except (BleakError, OSError) as exc:
            raise HopscopeError(
                f"Bluetooth is not available ({exc}); check that the adapter is on"
            ) from None
        if device is None:
            what = self.driver.label or s.device
            if s.address:
                what += f" at {s.address}"
            if s.name:
                what += f" named {s.name!r}"
            raise DeviceNotFoundError(what, s.scan_timeout_s)
        return device

    # -- connection ----------------------------------------------------------------------------
    def _on_disconnect(self, client: Any) -> None:
        if client is self._client and not self._intended_disconnect:
            self._lost.set()

    def _notify_callback(self, uuid: str) -> Callable[[Any, bytearray], None]:
        clock = self.clock
        append = self._queue.append
        control = (self.driver.control_char_uuid or "").lower()
        notifying = {u.lower() for u in self.driver.notify_char_uuids}
        # Responses come on the control characteristic when it notifies; otherwise (MetaWear,
        # WitMotion) they are interleaved with the data, and are offered while starting.
        if control in notifying:
            forward_always, forward_starting = uuid == control, False
        else:
            forward_always, forward_starting = False, True

        def callback(_char: Any, data: bytearray) -> None:
            payload = bytes(data)
            append((clock.now_ns(), uuid, payload))
            if self._control is not None and (
                forward_always or (forward_starting and self._starting)
            ):
                self._control.put_nowait(payload)

        return callback

    async def _connect_once(self, device: Any) -> Any:
        # One attempt through bleak-retry-connector: it reuses a connection BlueZ already
        # holds, waits for a failed connection to clear and words its errors with advice;
        # retries and backoff stay here, on the recorder's clock.
        from bleak import BleakClient
        from bleak_retry_connector import establish_connection

        kwargs = {} if self.client_backend is None else {"backend": self.client_backend}
        self._client = None
        client = await asyncio.wait_for(
            establish_connection(
                BleakClient,
                device,
                device.name or device.address,
                disconnected_callback=self._on_disconnect,
                max_attempts=1,
                use_services_cache=False,
                timeout=self.settings.connect_timeout_s,
                **kwargs,
            ),
            timeout=self.settings.connect_timeout_s + 10.0,
        )
        self._client = client
        return client

    async def _connect(self, device: Any, attempts: int, *, first: bool) -> Any:
        from bleak.exc import BleakError

        last = "no attempt made"
        for attempt in range(1, attempts + 1):
            self.status.state = "connecting" if first else f"reconnecting ({attempt}/{attempts})"
            self._tick()
            try:
                client = await self._connect_once(device)
                self._lost.clear()
                self._event("connected", address=device.address, attempt=attempt)
                await self._start_stream(client)
                return client
            except (BleakError, TimeoutError, asyncio.TimeoutError, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                logger.info("connection attempt %d/%d failed: %s", attempt, attempts, last)
                await self._safe_disconnect()
            if attempt < attempts:
                backoff = self.settings.backoff_s
                await self._wait(backoff[min(attempt - 1, len(backoff) - 1)])
        raise ConnectionFailedError(device.address, attempts, last)

    async def _start_stream(self, client: Any) -> None:
        self._control = asyncio.Queue()
        self._starting = True
        try:
            for uuid in self.driver.notify_char_uuids:
                await client.start_notify(uuid, self._notify_callback(uuid.lower()))
            cfg = await self.driver.start(client, self.cfg, control_queue=self._control)
        finally:
            self._starting = False
        if cfg is not None:
            self.cfg = cfg
        self._event("config", config=config_to_dict(self.cfg))
        self._event("streaming")
        self._streaming_since_ns = self.clock.now_ns()
        self.status.state = "streaming"
        self.status.range_g = self.cfg.range_g

    async def _safe_disconnect(self) -> None:
        client = self._client
        if client is None:
            return
        self._intended_disconnect = True
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), timeout=5.0)
        finally:
            self._intended_disconnect = False

    async def _stop_device(self, client: Any) -> None:
        from bleak.exc import BleakError

        if client is None or not client.is_connected:
            return
        self._intended_disconnect = True
        try:
            await asyncio.wait_for(self.driver.stop(client, self.cfg), timeout=5.0)
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError) as exc:
            logger.warning("could not stop the device cleanly: %s", exc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), timeout=5.0)

    # -- the session ---------------------------------------------------------------------------
    def _event(self, name: str, **info: Any) -> None:
        self._queue.append(("event", self.clock.now_ns(), name, info))

    async def _wait(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    def _meta(self, start_utc: str, device: Any) -> RecordingMeta:
        s = self.settings
        loss = self.processor.loss
        extra: dict[str, Any] = {
            "driver": self.driver.name,
            "malformed_packets": self.processor.malformed,
            "reconnects": self.status.reconnects,
            "packets": self.processor.packets,
            "rawlog": rawlog_path(s.out).name,
        }
        if loss.gaps:
            extra["gaps_s"] = [list(g) for g in loss.gaps[:1000]]
        timer = self.processor.timer
        if timer is not None and not self.driver.has_device_clock and timer.p:
            extra["delivered_rate_hz"] = round(1.0 / timer.p, 3)
        if self.processor.dropped:
            extra["dropped_repeated_samples"] = self.processor.dropped
        return RecordingMeta(
            device=self.driver.label or self.driver.name,
            device_id=getattr(device, "address", None),
            sample_rate_hz=float(self.cfg.sample_rate_hz),
            range_g=None if self.cfg.range_g is None else float(self.cfg.range_g),
            start_utc=start_utc,
            time_zone="UTC",
            athlete=s.athlete,
            leg=s.leg.upper() if s.leg else None,
            placement=s.placement,
            lost_packets=loss.lost_packets,
            lost_samples=loss.lost_samples,
            source_format="hopscope",
            extra=extra,
        )

    def _drain(self) -> None:
        # Blocks are written once final at the arrival time of the last notification logged,
        # as the log's replay writes them (:func:`replay_rawlog`), whenever this runs. At the
        # clock's time, or at an event's, the last blocks before a drain that came late, or
        # before a stop, were judged as if the arrivals after them were known; at a stop they
        # are the stream's final blocks, which lack that look-ahead (`imu.stream.ArrivalTimer.ready`).
        queue = self._queue
        raw = self.rawlog
        proc = self.processor
        last_note_ns = None
        while queue:
            item = queue.popleft()
            if item[0] == "event":
                _, t_ns, name, info = item
                raw.event(t_ns, name, **info)
                proc.event(name, t_ns, info)
            else:
                t_ns, uuid, payload = item
                raw.note(t_ns, uuid, payload)
                proc.feed(t_ns, uuid, payload)
                last_note_ns = t_ns
        if last_note_ns is not None:
            proc.pump(last_note_ns)

    def _tick(self) -> None:
        st = self.status
        if hasattr(self, "processor"):
            proc = self.processor
            st.samples = proc.samples_decoded
            st.packets = proc.packets
            st.malformed = proc.malformed
            st.lost_packets = proc.loss.lost_packets
            st.lost_samples = proc.loss.lost_samples
            now = self.clock.now_ns()
            self._rate_window.append((now, proc.samples_decoded))
            while len(self._rate_window) > 2 and self._rate_window[0][0] < now - 2_000_000_000:
                self._rate_window.popleft()
            t0, n0 = self._rate_window[0]
            if now > t0:
                st.samples_per_s = (proc.samples_decoded - n0) / ((now - t0) * 1e-9)
            if st.state.startswith("streaming"):
                last = max(proc.last_arrival_ns or 0, self._streaming_since_ns)
                silent_s = (now - last) * 1e-9 if last else 0.0
                st.state = (
                    f"streaming (no data for {silent_s:.0f} s)" if silent_s > 3 else "streaming"
                )
        if self.on_tick is not None:
            self.on_tick(st)

    async def run(self, stop: asyncio.Event | None = None) -> RecordResult:
        """Record until ``stop`` is set, the duration has passed, or the device is lost.

        Returns
        -------
        RecordResult

        Raises
        ------
        DeviceNotFoundError
            The device was not seen (no file is written).
        ConnectionFailedError
            The device could not be connected (no file is left behind).
        StreamInterruptedError
            The device was lost and did not come back; the files hold what was recorded.
        """
        s = self.settings
        stop = stop or asyncio.Event()
        self.status.state = "scanning"
        self._tick()
        device = await _until_stopped(self.find_device(), stop)
        self.status.address = device.address
        start_utc = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        start_utc = start_utc.replace("+00:00", "Z")
        s.out.parent.mkdir(parents=True, exist_ok=True)
        chars = char_list(self.driver.notify_char_uuids)
        self.processor = StreamProcessor(self.driver, self.cfg)
        meta = self._meta(start_utc, device)
        writer = RecordingWriter(s.out, gyro=bool(self.cfg.gyro), meta=meta)
        self.processor.writer = writer
        self.processor.on_block = self.on_block
        self.rawlog = RawLogWriter(
            rawlog_path(s.out),
            {
                "device": self.driver.name,
                "driver_options": _jsonable(s.driver_options),
                "config": config_to_dict(self.cfg),
                "chars": chars,
                "data_char": self.driver.data_char_uuid.lower(),
                "start_utc": start_utc,
                "address": device.address,
                "clock": "monotonic_ns",
                "hold_s": self.processor.hold_s,
            },
        )
        reason = "stopped"
        client = None
        started_ns = self.clock.now_ns()
        try:
            client = await _until_stopped(
                self._connect(device, s.connect_attempts, first=True), stop
            )
        except BaseException:
            await self._safe_disconnect()
            # Nothing was recorded: leave no files behind.
            writer.close()
            self.rawlog.close()
            for p in (s.out, sidecar_path(s.out), rawlog_path(s.out)):
                p.unlink(missing_ok=True)
            raise
        try:
            started_ns = self.clock.now_ns()
            last_flush = time.monotonic()
            last_meta = None
            while True:
                await asyncio.sleep(CONSUMER_TICK_S)
                self._drain()
                elapsed = (self.clock.now_ns() - started_ns) * 1e-9
                self.status.elapsed_s = elapsed
                if time.monotonic() - last_flush >= s.flush_interval_s * 0.9:
                    writer.flush()
                    self.rawlog.flush()
                    meta = self._meta(start_utc, device)
                    if meta != last_meta:
                        writer.update_meta(meta)
                        last_meta = meta
                    last_flush = time.monotonic()
                self._tick()
                if stop.is_set():
                    reason = "stopped"
                    break
                if s.duration_s is not None and elapsed >= s.duration_s:
                    reason = "duration"
                    break
                if self._lost.is_set():
                    self._lost.clear()
                    self._event("disconnected")
                    self.status.state = "reconnecting"
                    self.status.reconnects += 1
                    logger.warning("connection to %s lost; reconnecting", device.address)
                    self._drain()
                    try:
                        client = await self._reconnect(device, stop)
                    except ConnectionFailedError as exc:
                        reason = "lost"
                        raise StreamInterruptedError(
                            device.address,
                            f"the device did not come back after {exc.attempts} attempts",
                        ) from None
                    if client is None:
                        reason = "stopped"
                        break
        finally:
            await self._stop_device(client if reason != "lost" else None)
            self._event("stopped", reason=reason)
            self._drain()
            self.processor.pump(None)
            self.status.state = "stopped"
            self.status.elapsed_s = (self.clock.now_ns() - started_ns) * 1e-9
            meta = self._meta(start_utc, device)
            if not writer._fh.closed:
                writer.meta = meta
                writer.close()
                self.rawlog.close()
            self._tick()
        return RecordResult(
            csv_path=s.out,
            sidecar_path=sidecar_path(s.out),
            rawlog_path=rawlog_path(s.out),
            meta=meta,
            samples_written=self.processor.samples_written,
            packets=self.processor.packets,
            malformed=self.processor.malformed,
            reconnects=self.status.reconnects,
            duration_s=self.status.elapsed_s,
            reason=reason,
        )

    async def _reconnect(self, device: Any, stop: asyncio.Event) -> Any:
        await self._safe_disconnect()
        task = asyncio.ensure_future(
            self._connect(device, self.settings.reconnect_attempts, first=False)
        )
        waiter = asyncio.ensure_future(stop.wait())
        try:
            while not task.done():
                await asyncio.wait({task, waiter}, timeout=CONSUMER_TICK_S * 5)
                self._drain()
                self._tick()
                if stop.is_set() and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                    await self._safe_disconnect()
                    return None
            return task.result()
        finally:
            waiter.cancel()


class RecordingCancelled(HopscopeError):
    """The recording was stopped before it started (while scanning or connecting)."""

    def __init__(self) -> None:
        super().__init__("stopped before the recording started; nothing was written")


async def _until_stopped(coro: Any, stop: asyncio.Event) -> Any:
    """Await ``coro`` unless ``stop`` is set first (then cancel it and raise)."""
    task = asyncio.ensure_future(coro)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise RecordingCancelled()
    return task.result()


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in options.items():
        try:
            json.dumps(value)
            out[key] = value
        except (TypeError, ValueError):
            out[key] = str(value)
    return out


def replay_rawlog(
    path: str | Path,
    *,
    out: str | Path | None = None,
    driver_options: dict[str, Any] | None = None,
) -> tuple[Any, RecordingMeta]:
    """Decode a raw log again, exactly as the recorder did.

    Parameters
    ----------
    path : str or path-like
        A ``.rawlog.jsonl`` file.
    out : str or path-like, optional
        Write the recording CSV (and sidecar) there.
    driver_options : dict, optional
        Driver options (default: those in the log header).

    Returns
    -------
    samples : pandas.DataFrame
        The sample table.
    meta : RecordingMeta
        Metadata with the losses found.

    Raises
    ------
    InvalidRecordingError
        The log is not a hopscope raw log or is damaged.
    HopscopeError
        The device named in the log is unknown.
    """
    import pandas as pd

    from imu.devices import get_driver
    from imu.recording import validate_samples, write_recording

    header, records = read_rawlog(path)
    options = driver_options if driver_options is not None else header.get("driver_options", {})
    driver = get_driver(str(header.get("device")), **(options or {}))
    cfg = config_from_dict(header["config"])
    blocks: list[Any] = []

    class _Collect:
        def append(self, df: Any) -> None:
            blocks.append(df)

    proc = StreamProcessor(driver, cfg, hold_s=float(header.get("hold_s", 1.0)))
    proc.writer = _Collect()  # type: ignore[assignment]
    for rec in records:
        if rec.kind == "event":
            proc.event(rec.event, rec.t_ns, rec.info)
            if rec.event == "streaming" and cfg is not proc.cfg:
                cfg = proc.cfg
        else:
            proc.feed(rec.t_ns, rec.char_uuid, rec.payload)
            proc.pump(rec.t_ns)
    proc.pump(None)
    cols = ["time_s", "ax_g", "ay_g", "az_g"] + (
        ["gx_dps", "gy_dps", "gz_dps"] if proc.gyro else []
    )
    samples = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(columns=cols)
    loss = proc.loss
    meta = RecordingMeta(
        device=driver.label or driver.name,
        device_id=header.get("address"),
        sample_rate_hz=float(proc.cfg.sample_rate_hz),
        range_g=None if proc.cfg.range_g is None else float(proc.cfg.range_g),
        start_utc=header.get("start_utc"),
        time_zone="UTC" if header.get("start_utc") else None,
        lost_packets=loss.lost_packets,
        lost_samples=loss.lost_samples,
        source_format="hopscope",
        extra={
            "driver": driver.name,
            "malformed_packets": proc.malformed,
            "rawlog": Path(path).name,
        },
    )
    if out is not None:
        write_recording(out, validate_samples(samples, source=str(path)), meta)
    return samples, meta
