"""bleak backends that host emulated peripherals, so the real BleakScanner/BleakClient run.

An :class:`EmulatedRadio` holds one or more emulated peripherals (objects following the
``EmulatedPeripheral`` protocol of :mod:`imu.emulate.base`), a clock and the radio faults of
each link. Its :attr:`~EmulatedRadio.scanner_backend` and :attr:`~EmulatedRadio.client_backend`
are classes to pass as ``backend=`` to :class:`bleak.BleakScanner` and :class:`bleak.BleakClient`:

>>> radio = EmulatedRadio([peripheral])  # doctest: +SKIP
>>> device = await BleakScanner.find_device_by_name(
...     peripheral.name, backend=radio.scanner_backend)  # doctest: +SKIP
>>> async with BleakClient(device, backend=radio.client_backend) as client:  # doctest: +SKIP
...     await client.start_notify(uuid, callback)

Each device runs on the radio's clock from its first connection ("device time"). A link pump
polls the peripheral every connection interval and delivers what is due, so notifications
arrive in the batches a real connection produces. While a link is down the device keeps
producing data that reaches no one; a connection attempt to a device out of reach waits, like
BlueZ does, until the device is back or the timeout passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from imu.clock import MonotonicClock
from imu.emulate.base import EmulationError
from imu.emulate.faults import FaultInjector, Faults

logger = logging.getLogger(__name__)

#: Connection interval of the emulated links, in device seconds.
CONNECTION_INTERVAL_S = 0.015
#: Shortest real-time wait of a link pump (bounds CPU use on accelerated clocks).
MIN_REAL_TICK_S = 0.004
#: Time a successful connection takes, in device seconds.
CONNECT_LATENCY_S = 0.25
#: Interval between advertisements, in device seconds.
ADVERT_INTERVAL_S = 0.1
#: MTU the emulated links negotiate.
EMULATED_MTU = 247


class EmulatedLink:
    """The radio link to one emulated peripheral: faults, device time and the pump.

    Parameters
    ----------
    peripheral : EmulatedPeripheral
        The device.
    radio : EmulatedRadio
        The radio it belongs to (gives the clock).
    faults : Faults
        Faults of this link.
    keep_payloads : bool
        Keep a copy of everything delivered and lost (for tests).
    """

    def __init__(
        self, peripheral: Any, radio: EmulatedRadio, faults: Faults, *, keep_payloads: bool
    ) -> None:
        self.peripheral = peripheral
        self.radio = radio
        self.injector = FaultInjector(faults, keep_payloads=keep_payloads)
        self.keep_payloads = keep_payloads
        self.delivered: list[tuple[float, str, bytes]] = []
        self.client: EmulatedBleakClient | None = None
        self.origin_ns: int | None = None
        self.connections = 0
        self._pump: asyncio.Task[None] | None = None
        self._pending: list[tuple[float, int, str, bytes]] = []
        self._order = itertools.count()
        self._down = False

    @property
    def faults(self) -> Faults:
        """The faults of this link."""
        return self.injector.faults

    def device_time(self) -> float:
        """Seconds since the device's first connection (0 before it)."""
        if self.origin_ns is None:
            return 0.0
        return (self.radio.clock.now_ns() - self.origin_ns) * 1e-9

    def in_reach(self) -> bool:
        """Whether the device can be seen and connected now."""
        return not self.faults.no_answer and self.injector.link_up(self.device_time())

    def attach(self, client: EmulatedBleakClient) -> None:
        """Attach a freshly connected client and start the device if needed."""
        if self.origin_ns is None:
            self.origin_ns = self.radio.clock.now_ns()
        self.client = client
        self.connections += 1
        self._down = False
        self._pending.clear()
        self.peripheral.on_connect()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run())

    def detach(self, client: EmulatedBleakClient) -> None:
        """Forget a client that disconnected on purpose."""
        if self.client is client:
            self.client = None
            self._pending.clear()

    def schedule(self, notes: list[tuple[float, str, bytes]], *, relative: bool) -> None:
        """Queue notifications for delivery (times relative to now, or device times)."""
        now = self.device_time()
        for t, uuid, payload in notes:
            due = now + t if relative else t
            heapq.heappush(self._pending, (due, next(self._order), uuid.lower(), bytes(payload)))
        self._deliver(now)

    def _deliver(self, now: float) -> None:
        client = self.client
        while self._pending and self._pending[0][0] <= now:
            due, _, uuid, payload = heapq.heappop(self._pending)
            if client is None or not client.is_connected:
                continue
            callback = client.notify_callbacks.get(uuid)
            if callback is None:
                continue
            if self.keep_payloads:
                self.delivered.append((due, uuid, payload))
            asyncio.get_running_loop().call_soon(callback, bytearray(payload))

    async def _run(self) -> None:
        clock = self.radio.clock
        tick_s = max(CONNECTION_INTERVAL_S, MIN_REAL_TICK_S * clock.speed)
        try:
            while not self.radio.closed:
                now = self.device_time()
                up = self.injector.link_up(now)
                if not up and not self._down:
                    self._link_lost()
                notes = self.peripheral.poll(now)
                if notes:
                    if self._down or self.client is None:
                        self.injector.drop_all(list(notes))
                    else:
                        self.schedule(self.injector.stream(list(notes)), relative=False)
                self._deliver(now)
                await clock.sleep(tick_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("emulated device %s failed", self.peripheral.address)
            self._link_lost()

    def _link_lost(self) -> None:
        self._down = True
        self._pending.clear()
        client = self.client
        self.client = None
        if client is not None:
            client.lost_link()

    async def stop(self) -> None:
        """Stop the pump."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None


class EmulatedRadio:
    """A set of emulated peripherals reachable through bleak's ``backend=`` parameter.

    Parameters
    ----------
    peripherals : sequence of EmulatedPeripheral
        The devices on the air.
    clock : MonotonicClock, optional
        Shared clock (default: real time). Use :class:`imu.clock.ScaledClock` to run faster.
    faults : Faults or sequence of Faults, optional
        Faults for every link, or one per peripheral.
    keep_payloads : bool
        Keep a copy of every delivered and lost notification on each link (tests only:
        memory grows with the session).
    """

    def __init__(
        self,
        peripherals: Sequence[Any],
        *,
        clock: MonotonicClock | None = None,
        faults: Faults | Sequence[Faults] | None = None,
        keep_payloads: bool = False,
    ) -> None:
        if not peripherals:
            raise ValueError("`peripherals` must hold at least one emulated device")
        self.clock = clock if clock is not None else MonotonicClock()
        if faults is None or isinstance(faults, Faults):
            per_link = [faults or Faults()] * len(peripherals)
        else:
            per_link = list(faults)
            if len(per_link) != len(peripherals):
                raise ValueError("`faults` must give one Faults per peripheral")
        self.links: dict[str, EmulatedLink] = {}
        for p, f in zip(peripherals, per_link, strict=True):
            self.links[p.address.upper()] = EmulatedLink(p, self, f, keep_payloads=keep_payloads)
        self.closed = False
        radio = self
        self.scanner_backend: type[EmulatedBleakScanner] = type(
            "EmulatedBleakScanner", (EmulatedBleakScanner,), {"radio": radio}
        )
        self.client_backend: type[EmulatedBleakClient] = type(
            "EmulatedBleakClient", (EmulatedBleakClient,), {"radio": radio}
        )

    def link(self, address: str) -> EmulatedLink:
        """Return the link of the device with this address."""
        try:
            return self.links[address.upper()]
        except KeyError:
            raise BleakDeviceNotFoundError(
                address, f"no emulated device with address {address}"
            ) from None

    async def close(self) -> None:
        """Stop every device pump."""
        self.closed = True
        for link in self.links.values():
            await link.stop()


class EmulatedBleakScanner(BaseBleakScanner):
    """Scanner backend reporting the adverts of the radio's peripherals (see module doc)."""

    radio: ClassVar[EmulatedRadio]

    def __init__(
        self,
        detection_callback: Any,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start advertising reports (they begin after this returns)."""
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def stop(self) -> None:
        """Stop reporting adverts."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _advertise(self) -> None:
        # Let start() return and the caller register its callbacks first.
        await asyncio.sleep(0.005)
        while True:
            for key, link in self.radio.links.items():
                p = link.peripheral
                if link.client is not None or not link.injector.link_up(link.device_time()):
                    continue
                uuids = [u.lower() for u in p.advertised_service_uuids]
                if not self.is_allowed_uuid(uuids):
                    continue
                adv = AdvertisementData(
                    local_name=p.name,
                    manufacturer_data=dict(p.manufacturer_data),
                    service_data={},
                    service_uuids=uuids,
                    tx_power=None,
                    rssi=int(p.rssi),
                    platform_data=(link,),
                )
                device = self.create_or_update_device(key, p.address, p.name, link, adv)
                self.call_detection_callbacks(device, adv)
            await self.radio.clock.sleep(ADVERT_INTERVAL_S)


class EmulatedBleakClient(BaseBleakClient):
    """Client backend connected to one emulated peripheral (see module doc)."""

    radio: ClassVar[EmulatedRadio]

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, **kwargs)
        if isinstance(address_or_ble_device, BLEDevice) and isinstance(
            address_or_ble_device.details, EmulatedLink
        ):
            self._link: EmulatedLink = address_or_ble_device.details
        else:
            self._link = self.radio.link(self.address)
        self._connected = False
        self.notify_callbacks: dict[str, Callable[[bytearray], None]] = {}

    # -- connection -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The advertised name of the peripheral."""
        return str(self._link.peripheral.name)

    @property
    def mtu_size(self) -> int:
        """The negotiated MTU."""
        return EMULATED_MTU

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connected

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        """Connect, waiting (up to the timeout) for a device out of reach to come back.

        Raises
        ------
        TimeoutError
            The device did not answer within the timeout.
        BleakError
            The device is already connected to another client.
        """
        link = self._link
        clock = self.radio.clock
        timeout = min(float(kwargs.get("timeout", self._timeout)), float(self._timeout))
        waited = 0.0
        step = max(CONNECTION_INTERVAL_S, MIN_REAL_TICK_S * clock.speed)
        while not link.in_reach():
            if waited >= timeout:
                raise TimeoutError(f"emulated device {self.address} did not answer")
            await clock.sleep(step)
            waited += step
        if link.client is not None and link.client is not self:
            raise BleakError(f"{self.address} is already connected")
        await clock.sleep(CONNECT_LATENCY_S)
        if not link.in_reach():
            raise BleakError(f"{self.address}: connection lost while connecting")
        self.services = self._build_services()
        self.notify_callbacks = {}
        self._connected = True
        link.attach(self)

    def _build_services(self) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        handle = 1
        for service_uuid, chars in self._link.peripheral.gatt.items():
            service = BleakGATTService(None, handle, service_uuid.lower())
            collection.add_service(service)
            handle += 1
            for char_uuid, properties in chars:
                char = BleakGATTCharacteristic(
                    None,
                    handle,
                    char_uuid.lower(),
                    list(properties),  # type: ignore[arg-type]
                    lambda: EMULATED_MTU - 3,
                    service,
                )
                collection.add_characteristic(char)
                handle += 2
        return collection

    async def disconnect(self) -> None:
        """Disconnect (the disconnected callback fires too, as with bleak 3.1 on BlueZ)."""
        if not self._connected:
            return
        self._connected = False
        self._link.detach(self)
        self.notify_callbacks = {}
        self._fire_disconnected()

    def lost_link(self) -> None:
        """Mark the link lost (the device dropped the connection)."""
        if not self._connected:
            return
        self._connected = False
        self.notify_callbacks = {}
        self._fire_disconnected()

    def _fire_disconnected(self) -> None:
        if self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pairing is not needed by emulated devices."""

    async def unpair(self) -> None:
        """Pairing is not needed by emulated devices."""

    # -- GATT -------------------------------------------------------------------------------

    def _check(self) -> None:
        if not self._connected:
            raise BleakError("Not connected")

    def _advance(self) -> None:
        # The peripheral starts streams at the latest time it was told.
        self._link.peripheral.advance(self._link.device_time())

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic from the peripheral."""
        self._check()
        self._advance()
        try:
            return bytearray(self._link.peripheral.read(characteristic.uuid.lower()))
        except EmulationError as exc:
            raise BleakError(str(exc)) from exc

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Emulated peripherals expose no descriptors."""
        raise BleakError("emulated devices have no descriptors")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        """Write to the peripheral; the notifications it causes are delivered later."""
        self._check()
        self._advance()
        try:
            notes = self._link.peripheral.write(
                characteristic.uuid.lower(), bytes(data), bool(response)
            )
        except (EmulationError, ValueError, KeyError) as exc:
            raise BleakError(f"write to {characteristic.uuid} rejected: {exc}") from exc
        if response:
            await self.radio.clock.sleep(CONNECTION_INTERVAL_S)
        self._link.schedule(list(notes or ()), relative=True)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        """Emulated peripherals expose no descriptors."""
        raise BleakError("emulated devices have no descriptors")

    async def start_notify(
        self,
        characteristic: BleakGATTCharacteristic,
        callback: Callable[[bytearray], None],
        **kwargs: Any,
    ) -> None:
        """Enable notifications of a characteristic."""
        self._check()
        uuid = characteristic.uuid.lower()
        self._advance()
        try:
            notes = self._link.peripheral.set_notify(uuid, True)
        except EmulationError as exc:
            raise BleakError(str(exc)) from exc
        self.notify_callbacks[uuid] = callback
        self._link.schedule(list(notes or ()), relative=True)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications of a characteristic."""
        self._check()
        uuid = characteristic.uuid.lower()
        self.notify_callbacks.pop(uuid, None)
        self._advance()
        try:
            notes = self._link.peripheral.set_notify(uuid, False)
        except EmulationError as exc:
            raise BleakError(str(exc)) from exc
        self._link.schedule(list(notes or ()), relative=True)
