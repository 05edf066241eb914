"""End-to-end recording against every emulated device and every radio fault."""

from __future__ import annotations

import asyncio
import warnings

import numpy as np
import pytest

from imu.devices import get_driver
from imu.emulate import EMULATORS
from imu.emulate.faults import parse_faults
from imu.emulated import emulated_radio
from imu.errors import ConnectionFailedError, DeviceNotFoundError, HopscopeWarning
from imu.rawlog import read_rawlog
from imu.recorder import Recorder, RecordSettings, replay_rawlog
from imu.recording import read_recording
from imu.stream import config_from_dict

KINDS = sorted(EMULATORS)
SPEED = 10.0


def driver_options(kind):
    if kind == "generic":
        from imu.emulate.generic import RECOMMENDED

        return {"description": RECOMMENDED}
    return {}


def record(tmp_path, kind, faults=(), *, duration_s=12.0, speed=SPEED, **settings):
    setup = emulated_radio(
        kind,
        duration_s=duration_s + 20,
        faults=parse_faults(list(faults)),
        speed=speed,
        keep_payloads=True,
    )
    opts = {
        "scan_timeout_s": 5.0,
        "connect_timeout_s": 10.0,
        "driver_options": driver_options(kind),
        **settings,
    }
    rs = RecordSettings(device=kind, out=tmp_path / f"{kind}.csv", duration_s=duration_s, **opts)
    with warnings.catch_warnings():
        # The Thingy:52 driver warns that ±2 g clips landings (tested below).
        warnings.simplefilter("ignore", HopscopeWarning)
        recorder = Recorder(
            rs,
            scanner_backend=setup.radio.scanner_backend,
            client_backend=setup.radio.client_backend,
            clock=setup.clock,
        )

    async def go():
        try:
            return await recorder.run()
        finally:
            await setup.radio.close()

    result = asyncio.run(go())
    return result, setup, recorder


def rawlog_items(path):
    header, records = read_rawlog(path)
    return header, list(records)


def decode_streamed(kind, header, records):
    """Decode the data payloads logged while streaming with fresh driver decoders."""
    driver = get_driver(kind, **driver_options(kind))
    cfg = config_from_dict(header["config"])
    acc, decoder, streaming = [], None, False
    for rec in records:
        if rec.kind == "event":
            if rec.event == "config":
                cfg = config_from_dict(rec.info["config"])
            elif rec.event == "streaming":
                decoder, streaming = driver.decoder(cfg), True
            elif rec.event in ("disconnected", "stopped"):
                streaming = False
        elif streaming and rec.char_uuid == header["data_char"]:
            try:
                block = decoder.feed(rec.payload)
            except Exception:
                continue
            if len(block):
                acc.append(block.acc_g)
    return np.concatenate(acc) if acc else np.zeros((0, 3))


def check_no_loss_by_us(kind, result, setup, tmp_path):
    """Everything delivered is logged once, in order, and every decoded sample is written."""
    link = next(iter(setup.radio.links.values()))
    header, records = rawlog_items(result.rawlog_path)
    notes = [(r.char_uuid, r.payload) for r in records if r.kind == "note"]
    delivered = [(u, p) for _, u, p in link.delivered]
    assert notes == delivered
    rec = read_recording(result.csv_path)
    acc = decode_streamed(kind, header, records)
    assert len(rec.samples) == len(acc) == result.samples_written
    np.testing.assert_allclose(rec.samples[["ax_g", "ay_g", "az_g"]].to_numpy(), acc, atol=6e-6)
    again, meta = replay_rawlog(result.rawlog_path)
    assert len(again) == len(rec.samples)
    np.testing.assert_allclose(
        again["time_s"].to_numpy(), rec.samples["time_s"].to_numpy(), atol=1e-6
    )
    assert meta.lost_samples == rec.meta.lost_samples
    return rec, header, records


@pytest.mark.parametrize("kind", KINDS)
def test_record_every_emulated_device(tmp_path, kind):
    result, setup, recorder = record(tmp_path, kind, athlete="A07", leg="r", placement="laces")
    rec, _header, records = check_no_loss_by_us(kind, result, setup, tmp_path)
    m = rec.meta
    assert result.reason == "duration" and result.reconnects == 0
    assert m.athlete == "A07" and m.leg == "R" and m.start_utc.endswith("Z")
    assert m.sample_rate_hz == recorder.cfg.sample_rate_hz and m.range_g == recorder.cfg.range_g
    assert m.lost_samples == 0 and m.lost_packets == 0
    assert m.extra["malformed_packets"] == 0
    t = rec.samples["time_s"].to_numpy()
    period = np.median(np.diff(t))
    delivered = setup.peripherals[0].player.true_rate_hz
    assert period == pytest.approx(1 / delivered, rel=0.02)
    # Stopped at the duration on its clock. The data end where the emulator's deliveries had
    # got to by then: at ten times real time, a pause of a loaded machine near the end holds
    # the last notifications back by a second or two of emulated time (everything delivered
    # was written: check_no_loss_by_us).
    assert result.duration_s == pytest.approx(12.0, abs=1.0)
    assert 9.0 <= t[-1] <= 13.0
    # The simulated athlete hopped: the recording analyses to (nearly) all true contacts.
    from analysis import analyze

    truth = setup.sessions[0].truth
    found = analyze(rec).hops
    # The device plays the simulated session from its first stream start (shortly after the
    # connection); the recording starts when the device is configured.
    link = next(iter(setup.radio.links.values()))
    start_ns = next(r.t_ns for r in records if r.kind == "event" and r.event == "streaming")
    t0 = (start_ns - link.origin_ns) * 1e-9
    true_in = truth[(truth["landing_s"] > t0 + 0.5) & (truth["landing_s"] < t0 + t[-1] - 1.0)]
    if m.sample_rate_hz >= 100 and (m.range_g or 16) >= 8:
        assert len(found) >= 0.8 * len(true_in) > 0


def test_a_late_drain_or_a_slow_stop_writes_what_the_raw_log_replays(tmp_path, monkeypatch):
    # The consumer drains the queue when it gets the CPU: on a loaded machine the clock has
    # moved on by then, and a stop takes its time after the last notification. Blocks are
    # final at the last notification's arrival, so neither changes anything: the recording
    # equals the replay of its raw log, lost packets found alike. (Pumped at the clock's
    # time, or at the stop's events, the stream's last blocks were judged as if arrivals
    # after them were known, and a late one among them was taken for lost samples.)
    drain, stop = Recorder._drain, Recorder._stop_device

    def late_drain(self):
        now_ns = self.clock.now_ns
        monkeypatch.setattr(self.clock, "now_ns", lambda: now_ns() + 400_000_000)
        try:
            drain(self)
        finally:
            monkeypatch.setattr(self.clock, "now_ns", now_ns)

    async def slow_stop(self, client):
        await stop(self, client)
        await asyncio.sleep(1.5 / SPEED)  # 1.5 s on the emulated clock before "stopped"

    monkeypatch.setattr(Recorder, "_drain", late_drain)
    monkeypatch.setattr(Recorder, "_stop_device", slow_stop)
    result, setup, _ = record(
        tmp_path, "witmotion", ["loss:rate=0.1", "seed:value=5"], duration_s=20.0
    )
    rec, _, _ = check_no_loss_by_us("witmotion", result, setup, tmp_path)
    assert rec.meta.lost_packets > 0


@pytest.mark.parametrize("kind", ["witmotion", "polar"])
def test_disconnect_reconnects_within_5_s_and_records_the_gap(tmp_path, kind):
    result, setup, _ = record(
        tmp_path, kind, ["disconnect:at=5,for=2.5"], duration_s=14.0, speed=10.0
    )
    rec, _header, records = check_no_loss_by_us(kind, result, setup, tmp_path)
    link = next(iter(setup.radio.links.values()))
    back_ns = link.origin_ns + int(7.5e9)
    events = [(r.event, r.t_ns) for r in records if r.kind == "event"]
    names = [e for e, _ in events]
    assert names.count("connected") == 2 and names.count("disconnected") == 1
    reconnect_ns = [t for e, t in events if e == "connected"][1]
    assert 0 <= (reconnect_ns - back_ns) * 1e-9 < 5.0
    assert result.reconnects == 1 and rec.meta.extra["reconnects"] == 1
    t = rec.samples["time_s"].to_numpy()
    steps = np.diff(t)
    big = np.argmax(steps)
    assert steps[big] >= 2.5
    rate = rec.meta.sample_rate_hz
    assert rec.meta.lost_samples == pytest.approx(steps[big] * rate, rel=0.1)
    assert rec.meta.lost_packets >= 1


def _samples_in(kind, payload, cfg):
    decoder = get_driver(kind).decoder(cfg)
    return len(decoder.feed(payload))


def test_lost_packets_are_counted_exactly_with_a_device_clock(tmp_path):
    result, setup, recorder = record(tmp_path, "polar", ["loss:rate=0.05", "seed:value=2"])
    rec, header, records = check_no_loss_by_us("polar", result, setup, tmp_path)
    link = next(iter(setup.radio.links.values()))
    data = header["data_char"]

    # Polar frames carry the device time of their last sample (bytes 1-8): a lost frame is
    # detectable when it falls between the first and the last frame recorded.
    def stamp(payload):
        return int.from_bytes(payload[1:9], "little")

    streaming, recorded = False, []
    for r in records:
        if r.kind == "event":
            streaming = r.event == "streaming" or (streaming and r.event == "config")
        elif streaming and r.char_uuid == data:
            recorded.append(stamp(r.payload))
    lo, hi = recorded[0], recorded[-1]
    lost = [p for _, u, p in link.injector.stats.lost_payloads if u == data and lo < stamp(p) < hi]
    assert len(lost) >= 2
    lost_samples = sum(_samples_in("polar", p, recorder.cfg) for p in lost)
    assert rec.meta.lost_packets == len(lost)
    assert rec.meta.lost_samples == lost_samples


def test_lost_packets_without_device_clock_keep_the_time_axis(tmp_path):
    result, setup, _ = record(
        tmp_path, "witmotion", ["loss:rate=0.1", "seed:value=5"], duration_s=20.0
    )
    rec, header, records = check_no_loss_by_us("witmotion", result, setup, tmp_path)
    data = header["data_char"]
    notes = [r.t_ns for r in records if r.kind == "note" and r.char_uuid == data]
    stream_t = next(r.t_ns for r in records if r.kind == "event" and r.event == "streaming")
    host_s = (notes[-1] - min(n for n in notes if n >= stream_t)) * 1e-9
    t = rec.samples["time_s"].to_numpy()
    # Lost samples are gaps: the time axis still spans the real duration.
    assert t[-1] == pytest.approx(host_s, abs=0.15)
    assert rec.meta.lost_samples > 0 and rec.meta.lost_packets > 0
    assert len(t) + rec.meta.lost_samples == pytest.approx(t[-1] * 200, rel=0.02)


@pytest.mark.parametrize("kind", ["witmotion", "polar"])
def test_bursts_are_not_mistaken_for_loss(tmp_path, kind):
    # Half the usual speed: a stall of the test machine looks like a burst too.
    result, setup, _ = record(
        tmp_path, kind, ["burst:every=2,hold=0.6"], duration_s=14.0, speed=5.0
    )
    rec, *_ = check_no_loss_by_us(kind, result, setup, tmp_path)
    link = next(iter(setup.radio.links.values()))
    assert link.injector.stats.held > 10
    assert rec.meta.lost_samples == 0
    steps = np.diff(rec.samples["time_s"].to_numpy())
    assert steps.max() < 1.5 / rec.meta.sample_rate_hz


@pytest.mark.parametrize("kind", ["witmotion", "polar"])
def test_malformed_payloads_are_counted_and_logged(tmp_path, kind):
    result, setup, _ = record(tmp_path, kind, ["malformed:rate=0.05", "seed:value=4"])
    rec, header, records = check_no_loss_by_us(kind, result, setup, tmp_path)
    link = next(iter(setup.radio.links.values()))
    corrupted = {p for _, u, p in link.injector.stats.malformed_payloads}
    logged = {r.payload for r in records if r.kind == "note"}
    assert corrupted and corrupted <= logged | {p for _, _, p in link.injector.stats.lost_payloads}
    assert 1 <= result.malformed <= len(corrupted)
    assert rec.meta.extra["malformed_packets"] == result.malformed
    if kind == "polar":
        assert result.malformed == sum(
            1 for _, u, _ in link.injector.stats.malformed_payloads if u == header["data_char"]
        )


def test_clock_drift_without_device_clock_is_measured(tmp_path):
    # The emulated clock runs 5 × real time: the test machine's scheduling delays count that
    # many times over on it (at 10 ×, with the machine busy, one run in four ended 0.15 s off).
    result, setup, _ = record(
        tmp_path, "witmotion", ["drift:ppm=3000"], duration_s=120.0, speed=5.0
    )
    rec, header, records = check_no_loss_by_us("witmotion", result, setup, tmp_path)
    data = header["data_char"]
    stream_t = next(r.t_ns for r in records if r.kind == "event" and r.event == "streaming")
    notes = [
        r.t_ns for r in records if r.kind == "note" and r.char_uuid == data and r.t_ns >= stream_t
    ]
    host_s = (notes[-1] - notes[0]) * 1e-9
    t = rec.samples["time_s"].to_numpy()
    # Nominal timing would stretch the axis by 3000 ppm (0.36 s); the fitted rate follows the
    # device once the fit has enough span (about 17 s of nominal timing at the start).
    assert host_s * 3000e-6 > 0.35
    assert abs(t[-1] - host_s) < 0.12
    assert rec.meta.lost_samples == 0


def test_device_that_never_answers_fails_cleanly(tmp_path):
    with pytest.raises(ConnectionFailedError, match="could not connect"):
        record(tmp_path, "polar", ["noanswer"], connect_timeout_s=1.0, connect_attempts=2)
    assert list(tmp_path.iterdir()) == []


def test_device_not_found_writes_nothing(tmp_path):
    with pytest.raises(DeviceNotFoundError, match="Nobody"):
        record(tmp_path, "polar", name="Nobody", scan_timeout_s=0.5)
    assert list(tmp_path.iterdir()) == []


def test_stop_request_ends_cleanly(tmp_path):
    setup = emulated_radio("polar", duration_s=60, speed=SPEED)
    rs = RecordSettings(device="polar", out=tmp_path / "s.csv", scan_timeout_s=5.0)
    recorder = Recorder(
        rs,
        scanner_backend=setup.radio.scanner_backend,
        client_backend=setup.radio.client_backend,
        clock=setup.clock,
    )

    async def go():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.0, stop.set)
        try:
            return await recorder.run(stop)
        finally:
            await setup.radio.close()

    result = asyncio.run(go())
    assert result.reason == "stopped"
    peripheral = setup.peripherals[0]
    assert not peripheral.streaming
    rec = read_recording(result.csv_path)
    assert len(rec.samples) == result.samples_written > 0
    _, records = rawlog_items(result.rawlog_path)
    assert records[-1].kind == "event" and records[-1].event == "stopped"


def test_thingy_warns_that_its_range_clips_landings(tmp_path):
    setup = emulated_radio("thingy52", duration_s=5)
    with pytest.warns(HopscopeWarning, match="2 g"):
        Recorder(
            RecordSettings(device="thingy52", out=tmp_path / "t.csv"),
            scanner_backend=setup.radio.scanner_backend,
            client_backend=setup.radio.client_backend,
        )
