"""Command/response behaviour and stream format of the emulated peripherals."""

import numpy as np
import pandas as pd
import pytest

from imu.decode import decode
from imu.devices import get_driver
from imu.devices import witmotion as wm
from imu.emulate import EMULATORS, make_emulator, synthetic_samples
from imu.emulate.base import EmulationError


@pytest.fixture(scope="module")
def table():
    return synthetic_samples(3.0, sample_rate_hz=1000.0, seed=1)


def _data(notifications, uuid):
    return [p for _, u, p in notifications if u == uuid]


def _run_commands(periph, commands, now_s=0.0):
    out = []
    for cmd in commands:
        periph.advance(now_s)
        out += [
            (now_s + d, u, p) for d, u, p in periph.write(cmd.char_uuid, cmd.data, cmd.response)
        ]
        now_s += cmd.delay_s
    return out, now_s


# -- WitMotion ---------------------------------------------------------------------------------
def test_witmotion_default_rate_then_configured(table):
    p = make_emulator("witmotion", table)
    assert p.name.startswith("WT") and get_driver("witmotion").matches(p.name, [], {})
    p.set_notify(wm.NOTIFY_UUID, True)
    first = p.poll(1.0)
    assert len(decode("witmotion", _data(first, wm.NOTIFY_UUID))) == 11  # 10 Hz default, t=0..1
    drv = get_driver("witmotion")
    cfg = drv.configure(rate_hz=200)
    replies, _ = _run_commands(p, drv.start_commands(cfg), now_s=1.0)
    assert replies and replies[0][2] == bytes.fromhex("55 71 03 00 0B 00") + bytes(14)
    out = p.poll(2.0)
    dec = wm.WitMotionDecoder()
    n = sum(len(dec.feed(x)) for x in [replies[0][2], *_data(out, wm.NOTIFY_UUID)])
    assert dec.registers[wm.REG_RATE] == 0x0B
    assert 175 <= n <= 182  # 1.1-2.0 s at 200 Hz (the rate write lands at 1.1 s)
    sizes = {len(x) for x in _data(out, wm.NOTIFY_UUID)}
    assert sizes <= {20, 40, 60, 80} and 80 in sizes


def test_witmotion_ignores_writes_without_unlock(table):
    p = make_emulator("witmotion", table)
    p.write(wm.WRITE_UUID, wm.write_register(wm.REG_RATE, 0x0B), False)
    assert p.rate_hz == 10.0
    p.write(wm.WRITE_UUID, wm.UNLOCK, False)
    p.write(wm.WRITE_UUID, wm.write_register(wm.REG_RATE, 0x0B), False)
    assert p.rate_hz == 200.0
    p.advance(20.0)  # the unlock expires after about 10 s
    p.write(wm.WRITE_UUID, wm.write_register(wm.REG_RATE, 0x09), False)
    assert p.rate_hz == 200.0


def test_witmotion_plays_table_quantised(table):
    p = make_emulator("witmotion", table, frames_per_notification=4)
    p.registers[wm.REG_RATE] = 0x0B
    p.set_notify(wm.NOTIFY_UUID, True)
    out = p.poll(100.0)
    assert p.finished
    df = decode("witmotion", _data(out, wm.NOTIFY_UUID))
    t = np.arange(len(df)) / 200.0
    expect = np.interp(t, table["time_s"], table["az_g"])
    assert len(df) == 600
    assert np.max(np.abs(df["az_g"].to_numpy() - expect)) <= 0.5 / 2048 + 1e-12
    assert {len(x) for x in _data(out, wm.NOTIFY_UUID)[:-1]} == {80}


def test_witmotion_clips_at_16g():
    t = np.arange(0, 1, 0.001)
    big = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": 30 + 0 * t})
    p = make_emulator("witmotion", big)
    p.set_notify(wm.NOTIFY_UUID, True)
    df = decode("witmotion", _data(p.poll(2.0), wm.NOTIFY_UUID))
    assert (df["az_g"] == 32767 / 2048).all()


def test_witmotion_stops_when_notify_disabled(table):
    p = make_emulator("witmotion", table)
    p.set_notify(wm.NOTIFY_UUID, True)
    p.poll(0.5)
    p.set_notify(wm.NOTIFY_UUID, False)
    assert p.poll(2.0) == []


def test_unknown_characteristic_is_an_error(table):
    p = make_emulator("witmotion", table)
    with pytest.raises(EmulationError):
        p.set_notify("0000abcd-0000-1000-8000-00805f9a34fb", True)


def test_registry_has_every_emulator():
    assert "witmotion" in EMULATORS
