"""Building blocks shared by every BLE device driver.

A driver describes one device family as data: how to recognise it in a scan, which settings
it supports, which GATT writes start and stop the stream (:class:`Command` lists), and a pure
:class:`Decoder` that turns notification payloads into samples (:class:`DecodedBlock`). The
only BLE I/O lives in :meth:`DeviceDriver.start` and :meth:`DeviceDriver.stop`, which write the
command lists through any bleak-compatible client.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from imu.errors import DecodeError, HopscopeError

logger = logging.getLogger(__name__)

SIG_UUID_TEMPLATE = "0000{:04x}-0000-1000-8000-00805f9a34fb"


def sig_uuid(short: int) -> str:
    """Expand a 16-bit Bluetooth SIG UUID to its 128-bit lower-case string."""
    return SIG_UUID_TEMPLATE.format(short)


def advertises(service_uuids: Sequence[str], service_uuid: str) -> bool:
    """Return whether the lower-case ``service_uuid`` is among ``service_uuids`` (any case)."""
    return service_uuid in [u.lower() for u in service_uuids]


@dataclass(frozen=True)
class Command:
    """One GATT write.

    Parameters
    ----------
    char_uuid : str
        Lower-case 128-bit UUID of the characteristic written.
    data : bytes
        The bytes written.
    response : bool
        Write with response (``True``) or without (``False``).
    delay_s : float
        Pause after the write, in seconds, before the next command.
    """

    char_uuid: str
    data: bytes
    response: bool
    delay_s: float = 0.0


@dataclass(frozen=True)
class StreamConfig:
    """What was configured, after picking the nearest supported rate and range.

    Parameters
    ----------
    sample_rate_hz : float
        Configured (nominal) sample rate, in Hz.
    range_g : float or None
        Accelerometer full scale in ± g; ``None`` when the device cannot tell.
    gyro : bool
        Whether gyroscope channels are streamed.
    options : dict
        Driver-specific settings (e.g. Polar ``factor``, MetaWear ``chip`` and ``packed``).
    """

    sample_rate_hz: float
    range_g: float | None
    gyro: bool = False
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)


@dataclass
class DecodedBlock:
    """Samples decoded from one notification payload.

    Parameters
    ----------
    acc_g : ndarray, shape (n, 3)
        Acceleration in g (gravity included), float64.
    gyro_dps : ndarray, shape (n, 3), or None
        Angular rate in degrees per second when the frame carries it.
    device_time_s : ndarray, shape (n,), or None
        Per-sample device time in seconds when the protocol carries time (Polar: seconds since
        2000-01-01 on the sensor clock; Movesense: sensor milliseconds in seconds; DIY: t0).
    sequence : int or None
        The packet counter when the protocol has one.
    device_time_ns : ndarray of int64, shape (n,), or None
        The same device times in integer nanoseconds where the protocol defines them that
        finely (Polar), since float seconds since 2000 resolve only about 0.1 µs.
    """

    acc_g: np.ndarray
    gyro_dps: np.ndarray | None = None
    device_time_s: np.ndarray | None = None
    sequence: int | None = None
    device_time_ns: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.acc_g.shape[0])

    @classmethod
    def empty(cls, *, gyro: bool = False, timed: bool = False) -> DecodedBlock:
        """Return a block holding no sample."""
        return cls(
            acc_g=np.zeros((0, 3)),
            gyro_dps=np.zeros((0, 3)) if gyro else None,
            device_time_s=np.zeros(0) if timed else None,
        )


class Decoder(abc.ABC):
    """Pure, stateful decoder: notification payloads in, samples out.

    Subclasses set :attr:`driver` (used in error messages) and implement :meth:`feed` and
    :meth:`reset`. Decoders never touch BLE; they may keep state between payloads (byte-stream
    framing, the previous Polar frame timestamp).
    """

    driver: ClassVar[str] = "device"

    @abc.abstractmethod
    def feed(self, payload: bytes) -> DecodedBlock:
        """Decode one notification payload.

        Parameters
        ----------
        payload : bytes
            The bytes of one notification from the data characteristic.

        Returns
        -------
        DecodedBlock
            The samples it completed (possibly none).

        Raises
        ------
        imu.errors.DecodeError
            The payload does not match the device's byte layout.
        """

    def feed_many(self, payloads: Sequence[bytes]) -> list[DecodedBlock]:
        """Decode several payloads in order (drivers override this to vectorise).

        Equivalent to ``[self.feed(p) for p in payloads]``.
        """
        return [self.feed(p) for p in payloads]

    def reset(self) -> None:  # noqa: B027 - stateless decoders need nothing
        """Forget any state (call after stop and after a disconnect)."""

    def finish(self) -> None:  # noqa: B027 - most decoders buffer nothing
        """Raise :class:`~imu.errors.DecodeError` if a partial frame is still buffered."""

    def error(self, payload: bytes | bytearray, reason: str) -> DecodeError:
        """Build the :class:`~imu.errors.DecodeError` for ``payload``."""
        return DecodeError(self.driver, bytes(payload), reason)


def nearest(value: float, options: Sequence[float]) -> float:
    """Return the option closest to ``value`` (ties go to the larger option)."""
    return float(min(options, key=lambda o: (abs(o - value), -o)))


def check_positive(name: str, value: float | None) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is ``None`` or finite and > 0."""
    if value is None:
        return
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be a finite number > 0, got {value!r}")


class DeviceDriver(abc.ABC):
    """One device family: discovery, configuration, commands and decoding.

    Class attributes
    ----------------
    name : str
        Registry name (``"witmotion"``, ``"polar"``, ...).
    label : str
        Human-readable family name.
    service_uuid : str
        The primary streaming service.
    data_char_uuid : str
        The characteristic whose notifications carry samples.
    control_char_uuid : str or None
        The characteristic commands are written to (``None`` if none).
    notify_char_uuids : tuple of str
        Characteristics the caller must subscribe to before :meth:`start`; data first.
    has_device_clock : bool
        Whether frames carry device time (otherwise the host reconstructs time).
    rates_hz, ranges_g : tuple of float
        Supported sample rates (Hz) and full scales (± g); ``ranges_g`` may be empty when the
        range cannot be set.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    service_uuid: ClassVar[str] = ""
    data_char_uuid: ClassVar[str] = ""
    control_char_uuid: ClassVar[str | None] = None
    notify_char_uuids: ClassVar[tuple[str, ...]] = ()
    has_device_clock: ClassVar[bool] = False
    rates_hz: ClassVar[tuple[float, ...]] = ()
    ranges_g: ClassVar[tuple[float, ...]] = ()
    default_rate_hz: ClassVar[float] = 100.0
    default_range_g: ClassVar[float | None] = 16.0

    def __init__(self, **options: Any) -> None:
        self.options = dict(options)

    # -- discovery ---------------------------------------------------------------------------
    @abc.abstractmethod
    def matches(
        self,
        name: str | None,
        service_uuids: Sequence[str],
        manufacturer_data: Mapping[int, bytes],
    ) -> bool:
        """Return whether an advertisement belongs to this device family.

        Parameters
        ----------
        name : str or None
            Advertised local name.
        service_uuids : sequence of str
            Advertised service UUIDs.
        manufacturer_data : mapping of int to bytes
            Manufacturer data by company id.
        """

    # -- configuration -----------------------------------------------------------------------
    def configure(self, rate_hz: float | None = None, range_g: float | None = None) -> StreamConfig:
        """Pick the supported rate and range nearest to the request.

        Parameters
        ----------
        rate_hz : float, optional
            Requested sample rate in Hz (default: the driver's recommendation).
        range_g : float, optional
            Requested full scale in ± g (default: the driver's recommendation).

        Returns
        -------
        StreamConfig

        Raises
        ------
        ValueError
            ``rate_hz`` or ``range_g`` is not a positive finite number.
        """
        check_positive("rate_hz", rate_hz)
        check_positive("range_g", range_g)
        rate = nearest(rate_hz if rate_hz is not None else self.default_rate_hz, self.rates_hz)
        if self.ranges_g:
            rng: float | None = nearest(
                range_g if range_g is not None else float(self.default_range_g or 16.0),
                self.ranges_g,
            )
        else:
            rng = self.default_range_g
        if rate_hz is not None and rate != rate_hz:
            logger.info("%s: %g Hz not supported, using %g Hz", self.name, rate_hz, rate)
        if range_g is not None and rng != range_g:
            logger.info("%s: ±%g g not supported, using ±%s g", self.name, range_g, rng)
        return StreamConfig(sample_rate_hz=rate, range_g=rng, options=self._config_options())

    def _config_options(self) -> dict[str, Any]:
        return {}

    decode_options: ClassVar[tuple[str, ...]] = ("strict",)
    """Extra settings :meth:`decode_config` accepts (besides rate and range)."""

    def decode_config(
        self,
        *,
        sample_rate_hz: float | None = None,
        range_g: float | None = None,
        **settings: Any,
    ) -> StreamConfig:
        """Return the configuration describing a capture to decode offline.

        Parameters
        ----------
        sample_rate_hz : float, optional
            The rate the device was configured with, in Hz.
        range_g : float, optional
            The full scale it was configured with, in ± g.
        **settings
            Driver-specific settings listed in :attr:`decode_options`.

        Raises
        ------
        TypeError
            An unknown setting.
        ValueError
            A rate or range that is not a positive number.
        """
        unknown = sorted(set(settings) - set(self.decode_options))
        if unknown:
            allowed = ", ".join(("sample_rate_hz", "range_g", *self.decode_options))
            raise TypeError(
                f"{self.name}: unknown decode setting(s) {', '.join(unknown)}; allowed: {allowed}"
            )
        cfg = self.configure(sample_rate_hz, range_g)
        options = {**cfg.options, **settings}
        return StreamConfig(cfg.sample_rate_hz, cfg.range_g, cfg.gyro, options)

    @abc.abstractmethod
    def start_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return the writes that configure and start the stream."""

    @abc.abstractmethod
    def stop_commands(self, cfg: StreamConfig) -> list[Command]:
        """Return the writes that stop the stream."""

    @abc.abstractmethod
    def decoder(self, cfg: StreamConfig) -> Decoder:
        """Return a fresh decoder for a stream configured as ``cfg``."""

    # -- BLE I/O -----------------------------------------------------------------------------
    def handle_control(self, payload: bytes) -> None:  # noqa: B027 - optional hook
        """Receive a notification of the control characteristic (ignored by default)."""

    async def write_commands(self, client: Any, commands: Iterable[Command]) -> None:
        """Write ``commands`` in order through a bleak client, honouring their delays."""
        for command in commands:
            await client.write_gatt_char(command.char_uuid, command.data, response=command.response)
            if command.delay_s > 0:
                await asyncio.sleep(command.delay_s)

    async def start(
        self,
        client: Any,
        cfg: StreamConfig,
        *,
        control_queue: asyncio.Queue[bytes] | None = None,
    ) -> StreamConfig:
        """Configure and start streaming; notifications are already enabled by the caller.

        Parameters
        ----------
        client : bleak.BleakClient
            A connected client.
        cfg : StreamConfig
            From :meth:`configure`.
        control_queue : asyncio.Queue of bytes, optional
            Control-characteristic notifications, for drivers that read responses.

        Returns
        -------
        StreamConfig
            The configuration in force (drivers may add what the device reported).
        """
        await self.write_commands(client, self.start_commands(cfg))
        return cfg

    async def stop(self, client: Any, cfg: StreamConfig) -> None:
        """Stop streaming (best effort; the caller handles a lost connection)."""
        await self.write_commands(client, self.stop_commands(cfg))


def unknown_device_error(name: str, known: Iterable[str]) -> HopscopeError:
    """Return the error for an unknown driver name, listing the known ones."""
    return HopscopeError(f"unknown device {name!r}; known devices: {', '.join(sorted(known))}")
