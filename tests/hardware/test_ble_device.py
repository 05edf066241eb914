"""Opt-in test against a real BLE IMU: ``pytest tests/hardware --ble-address ADDR --ble-device KIND``.

Skipped unless ``--ble-address`` is given. It scans for the device, records 10 s with the
recommended settings, and checks that the recording loads, runs near the configured rate and
that its raw log decodes to the same samples.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from imu.recorder import Recorder, RecordSettings, replay_rawlog
from imu.recording import read_recording
from imu.scan import scan


@pytest.fixture
def ble_device(request: pytest.FixtureRequest) -> str:
    kind = request.config.getoption("--ble-device")
    if not kind:
        pytest.skip("hardware test: pass --ble-device KIND with --ble-address")
    return kind


def test_scan_sees_the_device(ble_address, ble_device):
    found = asyncio.run(scan(8.0))
    match = [d for d in found if d.address.upper() == ble_address.upper()]
    assert match, f"{ble_address} not among {[d.address for d in found]}"
    assert match[0].driver == ble_device


def test_record_ten_seconds(tmp_path, ble_address, ble_device):
    settings = RecordSettings(
        device=ble_device, out=tmp_path / "hw.csv", address=ble_address, duration_s=10.0
    )
    recorder = Recorder(settings)
    result = asyncio.run(recorder.run())
    rec = read_recording(result.csv_path)
    rate = recorder.cfg.sample_rate_hz
    assert len(rec.samples) > 0.5 * 10 * rate
    period = float(np.median(np.diff(rec.samples["time_s"].to_numpy())))
    assert period == pytest.approx(1.0 / rate, rel=0.3)
    again, _ = replay_rawlog(result.rawlog_path)
    assert len(again) == len(rec.samples)
