"""Live hop counting: the same contacts as the offline analysis, counted once, promptly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import analyze
from analysis.live import LiveHopCounter
from imu.simulate import SetSpec, simulate_session


class FakeClock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def stream(samples, counter, clock, *, block=12, rate_hz):
    t = samples["time_s"].to_numpy()
    acc = samples[["ax_g", "ay_g", "az_g"]].to_numpy()
    for i in range(0, len(t), block):
        clock.ns = int(t[min(i + block, len(t)) - 1] * 1e9)
        counter.feed(t[i : i + block], acc[i : i + block], clock.ns)
        counter.update()


@pytest.mark.parametrize(("seed", "rate_hz"), [(11, 416.0), (12, 200.0), (13, 104.0)])
def test_live_count_equals_offline_analysis(seed, rate_hz):
    sim = simulate_session(
        seed,
        sample_rate_hz=rate_hz,
        sets=[SetSpec(hops=15, hop_hz=3.2), SetSpec(hops=12, hop_hz=2.7, fatigue=0.1)],
        rest_s=6.0,
    )
    clock = FakeClock()
    counter = LiveHopCounter(clock_ns=clock)
    stream(sim.samples, counter, clock, rate_hz=rate_hz)
    offline = analyze(sim.samples).hops
    assert counter.state.hops == len(offline) >= 25
    last = offline.iloc[-1]
    assert counter.state.last_landing_s == pytest.approx(last["landing_s"], abs=0.01)
    assert counter.state.last_contact_ms == pytest.approx(last["contact_ms"], abs=10)


def test_hop_rate_and_reset_between_sets():
    sim = simulate_session(3, sample_rate_hz=200.0, sets=[SetSpec(hops=20, hop_hz=3.3)])
    clock = FakeClock()
    counter = LiveHopCounter(clock_ns=clock)
    t = sim.samples["time_s"].to_numpy()
    in_set = sim.samples[t < sim.truth["takeoff_s"].iloc[-3]]
    stream(in_set, counter, clock, rate_hz=200.0)
    assert counter.state.hop_hz == pytest.approx(3.3, abs=0.25)
    stream(sim.samples[t >= sim.truth["takeoff_s"].iloc[-3]], counter, clock, rate_hz=200.0)
    # After the set, standing: no current hop rate.
    assert math.isnan(counter.state.hop_hz)


def test_detector_runs_once_per_landing_and_latency_is_measured():
    sim = simulate_session(5, sample_rate_hz=416.0, sets=[SetSpec(hops=20)])
    clock = FakeClock()
    counter = LiveHopCounter(clock_ns=clock)
    stream(sim.samples, counter, clock, rate_hz=416.0)
    duration_s = float(sim.samples["time_s"].iloc[-1])
    # One triggered run per impact plus at most one periodic run per second.
    assert counter.state.updates <= 21 + duration_s + 1
    p50, p95 = counter.latency_percentiles_ms()
    assert 0 <= p50 <= p95 < 1.0  # the fake clock does not move during a run


def test_standing_counts_nothing():
    t = np.arange(0, 10, 0.005)
    acc = np.column_stack([0 * t, 0 * t, 1 + 0.01 * np.sin(7 * t)])
    counter = LiveHopCounter()
    for i in range(0, len(t), 20):
        counter.feed(t[i : i + 20], acc[i : i + 20])
        counter.update(force=True)
    assert counter.state.hops == 0 and math.isnan(counter.state.last_contact_ms)


def test_old_or_repeated_samples_are_ignored():
    counter = LiveHopCounter()
    counter.feed(np.array([0.0, 0.01]), np.ones((2, 3)))
    counter.feed(np.array([0.005, 0.01]), np.ones((2, 3)))
    assert sum(len(b[0]) for b in counter._blocks) == 2


@pytest.mark.parametrize("kwargs", [{"window_s": 0}, {"update_interval_s": -1}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="must be > 0"):
        LiveHopCounter(**kwargs)
