"""The bleak backends for emulated devices, driven through the real BleakScanner/BleakClient."""

from __future__ import annotations

import asyncio
import struct

import numpy as np
import pandas as pd
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from imu.clock import ScaledClock
from imu.emulate.backend import EmulatedRadio
from imu.emulate.base import EmulatedPeripheral, Notification
from imu.emulate.faults import Faults, parse_faults
from imu.errors import HopscopeError

SERVICE = "0000aa00-0000-1000-8000-00805f9a34fb"
DATA = "0000aa01-0000-1000-8000-00805f9a34fb"
CONTROL = "0000aa02-0000-1000-8000-00805f9a34fb"


class CounterPeripheral(EmulatedPeripheral):
    """Test device: 100 Hz, two samples per notification, each `<I` sample index."""

    kind = "counter"
    default_name = "Counter 01"
    default_address = "E1:00:00:00:00:AA"
    data_char_uuid = DATA

    def __init__(self, samples: pd.DataFrame, **options: object) -> None:
        super().__init__(samples, **options)
        self.advertised_service_uuids = [SERVICE]
        self.manufacturer_data = {0x1234: b"\x01"}
        self.gatt = {SERVICE: [(DATA, ["notify"]), (CONTROL, ["read", "write", "notify"])]}

    def read(self, char_uuid: str) -> bytes:
        return b"\x2a"

    def write(self, char_uuid: str, data: bytes, response: bool) -> list[Notification]:
        self._check_char(char_uuid, "write")
        if data == b"\x01":
            self.start_stream(100.0)
        elif data == b"\x00":
            self.stop_stream()
        return [self.queue(0.01, CONTROL, b"\xf0" + data)]

    def packet_size(self) -> int:
        return 2

    def encode_packet(self, k0: int, n: int) -> list[bytes]:
        return [b"".join(struct.pack("<I", k) for k in range(k0, k0 + n))]


def _samples(duration_s: float = 60.0) -> pd.DataFrame:
    t = np.arange(0, duration_s, 0.001)
    return pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": 1 + 0 * t})


def _indices(payloads: list[bytes]) -> list[int]:
    return [k for p in payloads for (k,) in struct.iter_unpack("<I", p)]


def test_scanner_reports_adverts_after_start_and_filters_by_service():
    async def run():
        radio = EmulatedRadio([CounterPeripheral(_samples())], clock=ScaledClock(10))
        found = await BleakScanner.find_device_by_filter(
            lambda d, adv: adv.local_name == "Counter 01",
            timeout=2.0,
            backend=radio.scanner_backend,
        )
        seen = await BleakScanner.discover(
            timeout=0.3, return_adv=True, backend=radio.scanner_backend
        )
        other = await BleakScanner.discover(
            timeout=0.3,
            service_uuids=["0000bb00-0000-1000-8000-00805f9a34fb"],
            backend=radio.scanner_backend,
        )
        await radio.close()
        return found, seen, other

    found, seen, other = asyncio.run(run())
    assert found is not None and found.address == "E1:00:00:00:00:AA"
    _device, adv = seen["E1:00:00:00:00:AA"]
    assert adv.rssi == -60 and adv.service_uuids == [SERVICE]
    assert adv.manufacturer_data == {0x1234: b"\x01"}
    assert other == []


def test_client_streams_in_order_without_loss():
    async def run():
        clock = ScaledClock(20)
        peripheral = CounterPeripheral(_samples())
        radio = EmulatedRadio([peripheral], clock=clock, keep_payloads=True)
        device = await BleakScanner.find_device_by_address(
            peripheral.address, timeout=2.0, backend=radio.scanner_backend
        )
        got: list[bytes] = []
        control: list[bytes] = []
        async with BleakClient(device, backend=radio.client_backend) as client:
            assert client.is_connected and client.backend_id == "EmulatedBleakClient"
            assert client.services.get_characteristic(DATA) is not None
            assert await client.read_gatt_char(CONTROL) == b"\x2a"
            await client.start_notify(DATA, lambda c, d: got.append(bytes(d)))
            await client.start_notify(CONTROL, lambda c, d: control.append(bytes(d)))
            await client.write_gatt_char(CONTROL, b"\x01", response=True)
            await clock.sleep(2.0)
            await client.write_gatt_char(CONTROL, b"\x00", response=True)
            await clock.sleep(0.1)
        await radio.close()
        return got, control, peripheral

    got, control, peripheral = asyncio.run(run())
    idx = _indices(got)
    assert len(idx) > 150
    assert idx == list(range(idx[0], idx[0] + len(idx)))
    assert len(idx) == peripheral.sent_samples
    assert control == [b"\xf0\x01", b"\xf0\x00"]


def test_device_initiated_disconnect_calls_back_and_reconnect_waits_for_device():
    faults = parse_faults(["disconnect:at=1.0,for=2.0"])

    async def run():
        clock = ScaledClock(10)
        peripheral = CounterPeripheral(_samples())
        radio = EmulatedRadio([peripheral], clock=clock, faults=faults, keep_payloads=True)
        device = await BleakScanner.find_device_by_address(
            peripheral.address, timeout=2.0, backend=radio.scanner_backend
        )
        lost = asyncio.Event()
        got: list[bytes] = []
        client = BleakClient(device, lambda c: lost.set(), backend=radio.client_backend)
        await client.connect()
        await client.start_notify(DATA, lambda c, d: got.append(bytes(d)))
        await client.write_gatt_char(CONTROL, b"\x01", response=True)
        await asyncio.wait_for(lost.wait(), timeout=2.0)
        down_at = radio.links[peripheral.address].device_time()
        assert not client.is_connected
        client2 = BleakClient(device, backend=radio.client_backend, timeout=10.0)
        await client2.connect()
        up_at = radio.links[peripheral.address].device_time()
        await client2.disconnect()
        await radio.close()
        return down_at, up_at, got

    down_at, up_at, got = asyncio.run(run())
    assert 1.0 <= down_at < 1.3
    assert 3.0 <= up_at < 3.6
    assert len(got) > 10


def test_no_answer_device_times_out():
    async def run():
        clock = ScaledClock(20)
        radio = EmulatedRadio(
            [CounterPeripheral(_samples())], clock=clock, faults=Faults(no_answer=True)
        )
        client = BleakClient("E1:00:00:00:00:AA", backend=radio.client_backend, timeout=1.0)
        try:
            await client.connect()
        finally:
            await radio.close()

    with pytest.raises(TimeoutError):
        asyncio.run(run())


def test_loss_and_malformed_faults_are_counted():
    faults = parse_faults(["loss:rate=0.2", "malformed:rate=0.1", "seed:value=3"])

    async def run():
        clock = ScaledClock(20)
        peripheral = CounterPeripheral(_samples())
        radio = EmulatedRadio([peripheral], clock=clock, faults=faults, keep_payloads=True)
        got: list[bytes] = []
        async with BleakClient(peripheral.address, backend=radio.client_backend) as client:
            await client.start_notify(DATA, lambda c, d: got.append(bytes(d)))
            await client.write_gatt_char(CONTROL, b"\x01", response=True)
            await clock.sleep(3.0)
        link = radio.links[peripheral.address]
        await radio.close()
        return got, link

    got, link = asyncio.run(run())
    stats = link.injector.stats
    assert stats.lost > 0 and stats.malformed > 0
    assert len(got) == stats.sent - stats.lost
    assert sum(len(p) != 8 or p[0] != 0 for p in got) >= 1


def test_bursts_hold_then_release_in_order():
    faults = parse_faults(["burst:every=1,hold=0.5"])

    async def run():
        # (Device time at 4 x wall time: a release delivered late by a busy machine moves
        # into the held part of the next second only after more than 0.13 s of wall time.)
        clock = ScaledClock(4)
        peripheral = CounterPeripheral(_samples())
        radio = EmulatedRadio([peripheral], clock=clock, faults=faults)
        arrivals: list[tuple[float, bytes]] = []
        link = radio.links[peripheral.address]
        async with BleakClient(peripheral.address, backend=radio.client_backend) as client:
            await client.start_notify(
                DATA, lambda c, d: arrivals.append((link.device_time(), bytes(d)))
            )
            await client.write_gatt_char(CONTROL, b"\x01", response=True)
            await clock.sleep(2.5)
        await radio.close()
        return arrivals

    arrivals = asyncio.run(run())
    idx = _indices([p for _, p in arrivals])
    assert idx == list(range(idx[0], idx[0] + len(idx)))
    phases = np.array([t % 1.0 for t, _ in arrivals])
    assert not ((phases > 0.05) & (phases < 0.45)).any()


def test_writes_to_unknown_characteristics_raise_bleak_errors():
    async def run():
        radio = EmulatedRadio([CounterPeripheral(_samples())], clock=ScaledClock(20))
        async with BleakClient("E1:00:00:00:00:AA", backend=radio.client_backend) as client:
            with pytest.raises(BleakError):
                await client.write_gatt_char(DATA, b"\x01", response=True)
        await radio.close()

    asyncio.run(run())


@pytest.mark.parametrize(
    "spec",
    ["bogus", "loss", "loss:rate=x", "loss:rate=1.5", "disconnect:at=1", "burst:every=1,hold=2"],
)
def test_bad_fault_specs_are_one_line_errors(spec):
    with pytest.raises(HopscopeError, match="fault"):
        parse_faults([spec])
