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
    assert set(EMULATORS) == {"witmotion", "polar", "metawear", "movesense", "thingy52", "generic"}


# -- Polar ---------------------------------------------------------------------------------------
from imu.devices import polar as pmd  # noqa: E402


def _polar_started(table, variant="verity", **kw):
    p = make_emulator("polar", table, variant=variant, **kw)
    p.set_notify(pmd.CP_UUID, True)
    p.set_notify(pmd.DATA_UUID, True)
    drv = get_driver("polar", variant=variant)
    cfg = drv.configure()
    replies, _ = _run_commands(p, drv.start_commands(cfg))
    return p, replies


def test_polar_verity_stream_frames_bursts_and_times(table):
    p, replies = _polar_started(table)
    resp = pmd.ControlPointAssembler()
    got = [resp.feed(r[2]) for r in replies]
    assert got[0].op_code == 2 and got[0].measurement_type == 9 and got[0].ok
    factor = got[1].factor()
    assert factor == pytest.approx(16 / 32768)
    out = p.poll(10.0)
    assert p.finished
    frames = _data(out, pmd.DATA_UUID)
    assert all(f[0] == 2 and f[9] == 0x80 for f in frames)
    due = sorted({round(t, 6) for t, u, _ in out if u == pmd.DATA_UUID})
    assert due == [1.0, 2.0, 3.0]  # bursts once a second
    df = decode("polar", frames, factor=factor, sample_rate_hz=416)
    t = np.arange(len(df)) / 416.0
    assert len(df) == 1248
    for col in ("ax_g", "ay_g", "az_g"):
        expect = np.clip(np.interp(t, table["time_s"], table[col]), -16, 32767 / 2048)
        assert np.max(np.abs(df[col].to_numpy() - expect)) <= 0.5 * factor + 1e-12
    steps = np.diff(df["device_time_s"].to_numpy())
    assert np.allclose(steps, 1 / 416, atol=2e-7)


def test_polar_h10_raw_frames_and_already_in_state(table):
    p, replies = _polar_started(table, variant="h10")
    assert replies[0][2] == bytes.fromhex("F0 02 02 00 00 00")
    again = p.write(
        pmd.CP_UUID,
        get_driver("polar", variant="h10")
        .start_commands(get_driver("polar", variant="h10").configure())[0]
        .data,
        True,
    )
    assert again[0][2] == bytes.fromhex("F0 02 02 06 00")
    assert p.write(pmd.CP_UUID, pmd.SDK_MODE_ON, True)[0][2] == bytes.fromhex("F0 02 09 03 00")
    frames = _data(p.poll(1.0), pmd.DATA_UUID)
    assert {len(f) for f in frames} == {10 + 36 * 6} and all(f[9] == 0x01 for f in frames)
    df = decode("polar", frames, variant="h10", sample_rate_hz=200)
    assert df["az_g"].max() <= 8.0  # clipped at the ±8 g range
    assert p.write(pmd.CP_UUID, pmd.stop_request(), True)[0][2] == bytes.fromhex("F0 03 02 00 00")
    assert not p.streaming


def test_polar_rejects_bad_settings(table):
    p = make_emulator("polar", table, variant="h10")
    p.set_notify(pmd.CP_UUID, True)
    bad_rate = pmd.start_request(416, 16, 8)
    assert p.write(pmd.CP_UUID, bad_rate, True)[0][2] == bytes.fromhex("F0 02 02 08 00")
    bad_range = pmd.start_request(200, 16, 16)
    assert p.write(pmd.CP_UUID, bad_range, True)[0][2] == bytes.fromhex("F0 02 02 09 00")
    assert p.write(pmd.CP_UUID, bytes([0x0A, 0x02]), True)[0][2] == bytes.fromhex("F0 0A 02 01 00")
    assert p.read(pmd.CP_UUID) == bytes((0x0F, 0x05, 0x00))


def test_polar_verity_normal_mode_without_sdk(table):
    p = make_emulator("polar", table)
    p.set_notify(pmd.CP_UUID, True)
    resp = pmd.ControlPointAssembler().feed(p.write(pmd.CP_UUID, pmd.settings_query(), True)[0][2])
    assert resp.settings()[pmd.SETTING_SAMPLE_RATE] == [52]
    p.write(pmd.CP_UUID, pmd.SDK_MODE_ON, True)
    resp = pmd.ControlPointAssembler().feed(p.write(pmd.CP_UUID, pmd.settings_query(), True)[0][2])
    assert resp.settings()[pmd.SETTING_SAMPLE_RATE] == [26, 52, 104, 208, 416]
    assert resp.settings()[pmd.SETTING_RANGE] == [2, 4, 8, 16]


def test_polar_0x81_frames_without_factor(table):
    p, replies = _polar_started(table, frame_type=0x81)
    assert pmd.ControlPointAssembler().feed(replies[1][2]).factor() is None
    frames = _data(p.poll(2.0), pmd.DATA_UUID)
    df = decode("polar", frames, sample_rate_hz=416)
    expect = np.interp(np.arange(len(df)) / 416.0, table["time_s"], table["az_g"])
    assert np.max(np.abs(df["az_g"].to_numpy() - expect)) <= 0.0005 + 1e-12


def test_polar_clock_drift(table):
    p, _ = _polar_started(table, clock_drift_ppm=500.0, burst_interval_s=0.0)
    out = p.poll(10.0)
    frames = [(t, f) for t, u, f in out if u == pmd.DATA_UUID]
    dev = [int.from_bytes(f[1:9], "little") for _, f in frames]
    host = [t for t, _ in frames]
    # the device clock advances 1/416 s per sample but the samples come 500 ppm faster
    ratio = (dev[-1] - dev[0]) / 1e9 / (host[-1] - host[0])
    assert ratio == pytest.approx(1 + 500e-6, abs=2e-5)


# -- MetaWear ------------------------------------------------------------------------------------
from imu.devices import metawear as mw  # noqa: E402


@pytest.mark.parametrize(("chip", "rate", "range_g"), [("bmi160", 200, 16), ("bmi270", 100, 8)])
def test_metawear_stream(table, chip, rate, range_g):
    p = make_emulator("metawear", table, chip=chip)
    p.set_notify(mw.NOTIFY_UUID, True)
    drv = get_driver("metawear", chip=chip)
    cfg = drv.configure(rate_hz=rate, range_g=range_g)
    _run_commands(p, drv.start_commands(cfg))
    out = _data(p.poll(1.0), mw.NOTIFY_UUID)
    packed = rate >= 200
    assert {len(x) for x in out} == ({20} if packed else {8})
    df = decode("metawear", out, range_g=range_g)
    assert abs(len(df) - rate) <= 3
    lsb = mw.LSB_PER_G[float(range_g)]
    t = np.arange(len(df)) / rate
    expect = np.clip(np.interp(t, table["time_s"], table["az_g"]), -range_g, 32767 / lsb)
    assert np.max(np.abs(df["az_g"].to_numpy() - expect)) <= 0.5 / lsb + 1e-12
    _run_commands(p, drv.stop_commands(cfg), now_s=1.0)
    assert not p.streaming and p.subscribed is None


def test_metawear_defaults_before_configuration(table):
    p = make_emulator("metawear", table, chip="bmi160")
    p.set_notify(mw.NOTIFY_UUID, True)
    for cmd in (b"\x03\x04\x01", b"\x03\x02\x01\x00", b"\x03\x01\x01"):
        p.write(mw.COMMAND_UUID, cmd, False)
    df = decode("metawear", _data(p.poll(1.0), mw.NOTIFY_UUID), range_g=2)
    assert abs(len(df) - 100) <= 2  # power-on default 100 Hz, ±2 g: impacts clip at 2 g
    assert df["az_g"].max() == pytest.approx(32767 / 16384)


# -- Movesense -----------------------------------------------------------------------------------
from imu.devices import movesense as ms  # noqa: E402


def test_movesense_hello_subscribe_stream_and_reconnect(table):
    p = make_emulator("movesense", table)
    p.set_notify(ms.NOTIFY_UUID, True)
    assert p.write(ms.WRITE_UUID, ms.hello(5), True)[0][2] == bytes.fromhex("01 05") + b"Hello"
    reply = p.write(ms.WRITE_UUID, ms.subscribe("/Meas/Acc/208"), True)
    assert reply[0][2] == bytes.fromhex("01 01 00 C8")
    out = _data(p.poll(2.0), ms.NOTIFY_UUID)
    assert {len(x) for x in out} == {6 + 8 * 12}  # 8 samples per notification at 208 Hz
    df = decode("movesense", out, sample_rate_hz=208)
    assert len(df) == 416
    steps = np.diff(df["device_time_s"].to_numpy())
    assert np.all(np.abs(steps - 1 / 208) < 1.1e-3)  # ms clock per notification
    expect = np.interp(np.arange(len(df)) / 208, table["time_s"], table["az_g"])
    assert np.max(np.abs(df["az_g"].to_numpy() - np.clip(expect, -8, 8))) < 1e-5
    p.on_connect()  # a reconnection drops the subscription
    p.set_notify(ms.NOTIFY_UUID, True)
    assert _data(p.poll(3.0), ms.NOTIFY_UUID) == []
    assert p.write(ms.WRITE_UUID, ms.unsubscribe(), True)[0][2] == bytes.fromhex("01 01 01 94")


def test_movesense_errors(table):
    p = make_emulator("movesense", table)
    p.set_notify(ms.NOTIFY_UUID, True)
    assert p.write(ms.WRITE_UUID, ms.subscribe("/Meas/Acc/200"), True)[0][2][2:] == b"\x01\x90"
    assert p.write(ms.WRITE_UUID, ms.subscribe("/Meas/Gyro/208"), True)[0][2][2:] == b"\x01\x94"
    for ref in (1, 2, 3, 4):
        p.write(ms.WRITE_UUID, ms.subscribe("/Meas/Acc/52", ref), True)
    assert p.write(ms.WRITE_UUID, ms.subscribe("/Meas/Acc/52", 9), True)[0][2] == bytes.fromhex(
        "01 09 01 FB"
    )


# -- Thingy:52 -----------------------------------------------------------------------------------
from imu.devices import thingy52 as th  # noqa: E402


def test_thingy_config_read_patch_and_clipped_stream(table):
    p = make_emulator("thingy52", table)
    assert p.read(th.MOTION_CONFIG_UUID) == bytes.fromhex("E8 03 F4 01 F4 01 0A 00 01")
    p.write(th.MOTION_CONFIG_UUID, th.motion_config(200, p.read(th.MOTION_CONFIG_UUID)), True)
    p.set_notify(th.RAW_DATA_UUID, True)
    out = _data(p.poll(2.0), th.RAW_DATA_UUID)
    assert {len(x) for x in out} == {18}
    assert 330 <= len(out) <= 345  # 85 % of the configured 200 Hz is delivered
    df = decode("thingy52", out)
    assert df["az_g"].max() == 2.0  # impacts clip at the fixed ±2 g
    p.write(th.MOTION_CONFIG_UUID, th.motion_config(50), True)
    assert p.rate_hz == 50.0
    p.write(th.MOTION_CONFIG_UUID, bytes.fromhex("E8 03 F4 01 F4 01 E8 03 01"), True)  # 1000 Hz
    assert p.rate_hz == 50.0


# -- generic DIY board ---------------------------------------------------------------------------
from imu.emulate.generic import RECOMMENDED  # noqa: E402


def test_generic_recommended_frame_counter_and_time(table):
    p = make_emulator("generic", table, clock_drift_ppm=200.0)
    drv = get_driver("generic", description=RECOMMENDED)
    assert drv.matches(p.name, p.advertised_service_uuids, {})
    p.set_notify(drv.data_char_uuid, True)
    out = _data(p.poll(1.0), drv.data_char_uuid)
    assert {len(x) for x in out} == {6 + 10 * 6}
    df = decode("generic", out, description=RECOMMENDED)
    assert len(df) == 200
    np.testing.assert_allclose(np.diff(df["device_time_s"]), 1 / 200, atol=1.1e-6)
    dec = drv.decoder(drv.configure())
    assert [dec.feed(x).sequence for x in out] == list(range(len(out)))
    p.set_notify(drv.data_char_uuid, False)
    p.poll(1.5)
    p.set_notify(drv.data_char_uuid, True)
    later = _data(p.poll(2.0), drv.data_char_uuid)
    t = decode("generic", later, description=RECOMMENDED)["device_time_s"]
    assert t.iloc[0] == pytest.approx(1.5, abs=0.01)  # the half second off air is a gap in time


def test_default_table_is_a_simulated_session():
    from imu.simulate import Artefacts, simulate_session

    truth = simulate_session(
        4, sample_rate_hz=1000.0, artefacts=Artefacts.clean(), gyro=True
    ).samples
    p = make_emulator("polar", truth.iloc[:20000], variant="verity", burst_interval_s=0.0)
    p.set_notify(pmd.CP_UUID, True)
    p.set_notify(pmd.DATA_UUID, True)
    p.write(pmd.CP_UUID, pmd.SDK_MODE_ON, True)
    p.write(pmd.CP_UUID, pmd.start_request(416, 16, 16, 3), True)
    df = decode("polar", _data(p.poll(30.0), pmd.DATA_UUID), factor=p.factor, sample_rate_hz=416)
    t = np.arange(len(df)) / 416.0
    for col in ("ax_g", "ay_g", "az_g"):
        expect = np.clip(
            np.interp(t, truth["time_s"] - truth["time_s"].iloc[0], truth[col]), -16, 16
        )
        assert np.max(np.abs(df[col].to_numpy() - expect)) <= 0.5 * p.factor + 1e-12


# -- every emulator against every driver -----------------------------------------------------------
def _driver_for(kind, periph):
    return get_driver(kind, description=periph.desc) if kind == "generic" else get_driver(kind)


@pytest.mark.parametrize(
    "kind", ["witmotion", "polar", "metawear", "movesense", "thingy52", "generic"]
)
def test_discovery_and_gatt_agree_with_the_driver(table, kind):
    periph = make_emulator(kind, table)
    drv = _driver_for(kind, periph)
    adv = (periph.name, periph.advertised_service_uuids, periph.manufacturer_data)
    assert drv.matches(*adv)
    for other in ("witmotion", "polar", "metawear", "movesense", "thingy52"):
        if other != kind:
            assert not get_driver(other).matches(*adv), other
    chars = {u: props for svc in periph.gatt.values() for u, props in svc}
    for uuid in drv.notify_char_uuids:
        assert "notify" in chars[uuid]
    cfg = drv.decode_config(range_g=16) if kind == "metawear" else drv.decode_config()
    for cmd in drv.start_commands(cfg):
        assert any(p.startswith("write") for p in chars[cmd.char_uuid])
    assert all(u == u.lower() for u in chars)
