"""Sample timing of streams: device clocks, arrival-time reconstruction, the raw log."""

from __future__ import annotations

import numpy as np
import pytest

from imu.devices.base import DecodedBlock
from imu.errors import InvalidRecordingError
from imu.rawlog import RawLogWriter, read_rawlog
from imu.stream import ArrivalTimer, DeviceTimeTimer


def block(n, *, start_s=None, period_s=0.01, seq=None):
    dev = None if start_s is None else start_s + period_s * np.arange(n)
    return DecodedBlock(acc_g=np.zeros((n, 3)), device_time_s=dev, sequence=seq)


class TestDeviceTimeTimer:
    def test_continuous_frames_have_no_gap(self):
        timer = DeviceTimeTimer(100.0)
        out = [timer.add(i * 10**8, block(10, start_s=50.0 + 0.1 * i)) for i in range(20)]
        t = np.concatenate([o.time_s for o in out])
        np.testing.assert_allclose(t, 0.01 * np.arange(200), atol=1e-9)
        assert timer.loss.lost_samples == 0 and timer.loss.gaps is None

    def test_a_lost_frame_is_a_gap_of_its_samples(self):
        timer = DeviceTimeTimer(100.0)
        for i in (0, 1, 3, 4):
            timer.add(i * 10**8, block(10, start_s=0.1 * i, seq=i))
        assert timer.loss.lost_samples == 10 and timer.loss.lost_packets == 1
        assert timer.loss.gaps == [(0.19, 0.3)]

    def test_frame_spread_over_a_loss_is_retimed_from_its_last_sample(self):
        timer = DeviceTimeTimer(100.0)
        timer.add(0, block(10, start_s=0.0))
        # The SDK rule spreads the frame after a lost one over both frames' time.
        spread = DecodedBlock(np.zeros((10, 3)), None, 0.09 + 0.02 * np.arange(1, 11))
        out = timer.add(2 * 10**8, spread)
        np.testing.assert_allclose(out.time_s, 0.2 + 0.01 * np.arange(10), atol=1e-9)
        assert timer.loss.lost_samples == 10

    def test_repeated_samples_are_dropped(self):
        timer = DeviceTimeTimer(100.0)
        timer.add(0, block(10, start_s=0.0))
        out = timer.add(10**8, block(10, start_s=0.05))
        assert timer.dropped == 5 and len(out.time_s) == 5
        assert out.time_s[0] == pytest.approx(0.1)

    def test_a_clock_reset_continues_after_the_arrival_gap(self):
        timer = DeviceTimeTimer(100.0)
        timer.add(0, block(10, start_s=1000.0))
        out = timer.add(2 * 10**9, block(10, start_s=3.0))
        assert out.time_s[0] > 0.09 and np.all(np.diff(out.time_s) > 0)
        # The last samples of both frames were taken when they arrived, 2 s apart.
        assert out.time_s[-1] == pytest.approx(0.09 + 2.0, abs=1e-6)


def arrivals(rate_hz, duration_s, *, n=4, latency_s=0.0, seed=0, drop=None, hold=None):
    """(arrival_ns, n) per notification of n samples, with jitter, losses and holds."""
    rng = np.random.default_rng(seed)
    out = []
    k = 0
    while k / rate_hz < duration_s:
        ready = (k + n - 1) / rate_hz
        a = ready + latency_s + rng.uniform(0, 0.015)
        if hold is not None:
            every, length = hold
            if ready % every < length:
                a = ready - ready % every + length + 0.001
        if drop is None or not drop[0] <= ready < drop[1]:
            out.append((int(a * 1e9), n))
        k += n
    out.sort()
    return out


def run_arrival_timer(notes, rate_hz, **kwargs):
    timer = ArrivalTimer(rate_hz, **kwargs)
    times = []
    for a_ns, n in notes:
        timer.add(a_ns, block(n))
        times.extend(b.time_s for b in timer.ready(a_ns))
    times.extend(b.time_s for b in timer.ready(None))
    return timer, np.concatenate(times)


class TestArrivalTimer:
    def test_steady_stream_is_evenly_timed(self):
        timer, t = run_arrival_timer(arrivals(200.0, 20.0), 200.0)
        np.testing.assert_allclose(np.diff(t), 0.005, rtol=1e-3)
        assert timer.loss.lost_samples == 0

    def test_a_half_second_loss_is_one_gap(self):
        timer, _t = run_arrival_timer(arrivals(200.0, 20.0, drop=(8.0, 8.5)), 200.0)
        assert timer.loss.lost_samples == pytest.approx(100, abs=4)
        assert len(timer.loss.gaps) == 1
        start, end = timer.loss.gaps[0]
        assert start == pytest.approx(8.0, abs=0.05) and end - start == pytest.approx(0.5, abs=0.03)

    def test_bursts_are_not_loss(self):
        timer, t = run_arrival_timer(arrivals(200.0, 20.0, hold=(2.0, 0.7)), 200.0)
        assert timer.loss.lost_samples == 0
        np.testing.assert_allclose(np.diff(t), 0.005, rtol=1e-3)

    def test_a_device_delivering_less_is_measured_when_asked(self):
        notes = arrivals(170.0, 30.0, n=1)
        timer, t = run_arrival_timer(notes, 200.0, measure_rate=True)
        assert 1 / timer.p == pytest.approx(170.0, rel=0.01)
        assert timer.loss.lost_samples == 0
        assert t[-1] == pytest.approx(len(t) / 170.0, rel=0.01)

    def test_the_nominal_rate_is_trusted_otherwise(self):
        timer, _ = run_arrival_timer(arrivals(200.0, 10.0), 200.0)
        assert timer.p_cal == pytest.approx(1 / 200.0)

    def test_results_do_not_depend_on_when_blocks_are_finalised(self):
        notes = arrivals(200.0, 15.0, drop=(5.0, 5.3), hold=(3.0, 0.4), seed=3)
        _, every_note = run_arrival_timer(notes, 200.0)
        timer = ArrivalTimer(200.0)
        for a_ns, n in notes:
            timer.add(a_ns, block(n))
        at_end = np.concatenate([b.time_s for b in timer.ready(None)])
        timer2 = ArrivalTimer(200.0)
        chunks = []
        for i, (a_ns, n) in enumerate(notes):
            timer2.add(a_ns, block(n))
            if i % 37 == 0:
                chunks.extend(b.time_s for b in timer2.ready(a_ns))
        chunks.extend(b.time_s for b in timer2.ready(None))
        np.testing.assert_array_equal(np.concatenate(chunks), every_note)
        assert len(at_end) == len(every_note)


class TestRawLog:
    def test_round_trip_and_partial_last_line(self, tmp_path):
        path = tmp_path / "x.rawlog.jsonl"
        log = RawLogWriter(path, {"device": "polar", "chars": ["AA", "bb"]})
        log.event(1, "streaming")
        log.note(2, "aa", b"\x01\x02")
        log.note(3, "cc", b"")
        log.close()
        with path.open("a") as fh:
            fh.write('[4,0,"0')
        header, records = read_rawlog(path)
        records = list(records)
        assert header["device"] == "polar" and header["chars"] == ["aa", "bb"]
        assert [(r.kind, r.t_ns) for r in records] == [
            ("event", 1),
            ("note", 2),
            ("event", 3),
            ("note", 3),
        ]
        assert records[1].payload == b"\x01\x02" and records[3].char_uuid == "cc"

    def test_damaged_line_names_its_place(self, tmp_path):
        path = tmp_path / "x.rawlog.jsonl"
        RawLogWriter(path, {"device": "polar", "chars": ["aa"]}).close()
        with path.open("a") as fh:
            fh.write('[1,0,"zz"]\n')
        _, records = read_rawlog(path)
        with pytest.raises(InvalidRecordingError, match="line 2"):
            list(records)

    def test_not_a_raw_log(self, tmp_path):
        path = tmp_path / "x.csv"
        path.write_text("time_s,ax_g,ay_g,az_g\n")
        with pytest.raises(InvalidRecordingError, match="raw log header"):
            read_rawlog(path)
