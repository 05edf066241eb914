import numpy as np
import pytest

from imu.timebase import (
    device_time_gaps,
    fit_device_clock,
    lower_envelope_fit,
    reconstruct_host_times,
    sequence_gaps,
)


def make_arrivals(
    *,
    rate=200.0,
    drift_ppm=0.0,
    duration_s=30.0,
    per_packet=(2, 4, 1, 3),
    jitter_s=0.004,
    burst_every_s=None,
    burst_hold_s=0.15,
    lose=(),
    seed=0,
):
    """Host view of a clock-less stream: (arrival_ns, counts, true sample times, lost count)."""
    rng = np.random.default_rng(seed)
    f_true = rate * (1 + drift_ppm * 1e-6)
    n = int(duration_s * rate)
    t_true = np.arange(n) / f_true
    bounds, i, j = [], 0, 0
    while i < n:
        c = min(per_packet[j % len(per_packet)], n - i)
        bounds.append((i, c))
        i += c
        j += 1
    arrivals, counts, kept, lost = [], [], [], 0
    for p, (i0, c) in enumerate(bounds):
        ready = t_true[i0 + c - 1]
        due = ready + 0.0075 + rng.exponential(jitter_s)
        if burst_every_s:
            phase = ready % burst_every_s
            if phase < burst_hold_s:  # held by the radio and released together
                due = max(due, ready - phase + burst_hold_s + 0.0075)
        if p in lose:
            lost += c
            continue
        arrivals.append(due)
        counts.append(c)
        kept.append(t_true[i0 : i0 + c])
    arr = np.maximum.accumulate(np.array(arrivals))  # the link delivers them in order
    base = 123_456_789_000
    return base + np.round(arr * 1e9).astype(np.int64), np.array(counts), np.concatenate(kept), lost


def test_envelope_fit_exact_line_with_positive_noise():
    x = np.arange(100.0)
    y = 2.0 + 0.5 * x + np.random.default_rng(3).exponential(0.3, 100)
    y[[0, 50, 99]] = 2.0 + 0.5 * x[[0, 50, 99]]
    b, s = lower_envelope_fit(x, y)
    assert (b, s) == pytest.approx((2.0, 0.5))
    assert np.all(y - (b + s * x) >= -1e-9)


def test_envelope_fit_needs_two_x():
    with pytest.raises(ValueError, match="two distinct"):
        lower_envelope_fit(np.array([1.0, 1.0]), np.array([0.0, 1.0]))


def test_empty_input():
    tb = reconstruct_host_times([], [], sampling_rate_hz=100)
    assert len(tb.time_s) == 0 and tb.lost_samples == 0


def test_argument_errors():
    with pytest.raises(ValueError, match="equal length"):
        reconstruct_host_times([1, 2], [1], sampling_rate_hz=100)
    with pytest.raises(ValueError, match="sampling_rate_hz"):
        reconstruct_host_times([1], [1], sampling_rate_hz=0)
    with pytest.raises(ValueError, match="must not decrease"):
        reconstruct_host_times([5, 1], [1, 1], sampling_rate_hz=100)


@pytest.mark.parametrize(
    ("rate", "drift", "jitter", "seed"),
    [
        (200.0, 0.0, 0.002, 1),
        (100.0, 300.0, 0.006, 2),
        (200.0, -150.0, 0.010, 3),
        (50.0, 80.0, 0.01, 4),
    ],
)
def test_jitter_and_drift(rate, drift, jitter, seed):
    arr, cnt, t_true, _ = make_arrivals(rate=rate, drift_ppm=drift, jitter_s=jitter, seed=seed)
    tb = reconstruct_host_times(arr, cnt, sampling_rate_hz=rate)
    assert tb.lost_samples == 0 and tb.gaps == []
    assert tb.drift_ppm == pytest.approx(drift, abs=60)
    err = tb.time_s - (t_true - t_true[0])
    assert np.max(np.abs(err)) < 1.5e-3  # far below one sample period
    assert np.all(tb.residual_s >= -1e-9)


def test_bursts_are_not_gaps():
    arr, cnt, t_true, _ = make_arrivals(burst_every_s=1.3, burst_hold_s=0.2, seed=5)
    tb = reconstruct_host_times(arr, cnt, sampling_rate_hz=200)
    assert tb.lost_samples == 0
    assert np.max(np.abs(tb.time_s - (t_true - t_true[0]))) < 1.5e-3


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_lost_packets_found_and_counted(seed):
    lose = {400, 401, 1501, 2000, 2001, 2002}
    arr, cnt, t_true, lost = make_arrivals(lose=lose, jitter_s=0.002, seed=seed, drift_ppm=120)
    tb = reconstruct_host_times(arr, cnt, sampling_rate_hz=200)
    assert tb.lost_samples == lost
    assert len(tb.gaps) == 3
    np.testing.assert_allclose(tb.time_s, t_true - t_true[0], atol=1.5e-3)
    start, end = tb.gaps[0]
    assert end - start == pytest.approx(lost_in_first_gap(lose) / 200, abs=1e-3)


def lost_in_first_gap(lose):
    per_packet = (2, 4, 1, 3)
    return sum(per_packet[p % 4] for p in (400, 401))


def test_long_disconnect_gap():
    arr, cnt, t_true, lost = make_arrivals(lose=set(range(500, 700)), rate=100, seed=9)
    tb = reconstruct_host_times(arr, cnt, sampling_rate_hz=100)
    assert tb.lost_samples == lost
    np.testing.assert_allclose(tb.time_s, t_true - t_true[0], atol=2e-3)


def test_device_time_gaps():
    t = np.arange(100) / 52.0
    t = np.delete(t, [10, 11, 12, 60])
    res = device_time_gaps(t, sampling_rate_hz=52)
    assert res.lost_samples == 4
    assert res.gaps[0] == pytest.approx((10 / 52, 13 / 52))
    assert res.resets == []
    back = device_time_gaps([0.0, 0.1, 0.05, 0.15], sampling_rate_hz=20)
    assert back.resets == [2]
    assert device_time_gaps([1.0], sampling_rate_hz=10).lost_samples == 0
    with pytest.raises(ValueError, match="sampling_rate_hz"):
        device_time_gaps(t, sampling_rate_hz=-1)


def test_sequence_gaps_wraps():
    np.testing.assert_array_equal(sequence_gaps([65533, 65534, 1, 2, 5]), [0, 0, 2, 0, 2])
    np.testing.assert_array_equal(sequence_gaps([]), [])


def test_fit_device_clock_recovers_offset_and_drift():
    rng = np.random.default_rng(11)
    dev = 8.4e8 + np.arange(0, 600, 0.1)  # seconds since 2000, a frame every 0.1 s
    host_ns = (
        5_000.0 + (dev - dev[0]) * (1 - 50e-6) + 0.008 + rng.exponential(0.004, len(dev))
    ) * 1e9
    offset, scale = fit_device_clock(dev, host_ns.astype(np.int64))
    assert scale == pytest.approx(1 - 50e-6, abs=3e-6)
    pred = offset + scale * dev
    assert np.min(host_ns / 1e9 - pred) == pytest.approx(0.0, abs=1e-6)
    assert np.median(host_ns / 1e9 - pred) < 0.02


@pytest.mark.parametrize(("rate", "seed"), [(200.0, 21), (100.0, 22), (50.0, 23)])
def test_single_sample_losses(rate, seed):
    lose = {202, 502}  # packets of one sample each
    arr, cnt, t_true, lost = make_arrivals(rate=rate, lose=lose, jitter_s=0.003, seed=seed)
    assert lost == 2
    tb = reconstruct_host_times(arr, cnt, sampling_rate_hz=rate)
    assert tb.lost_samples == 2 and len(tb.gaps) == 2
    err = np.abs(tb.time_s - (t_true - t_true[0]))
    # a gap may be placed a packet or two early when the packets before it were late
    assert np.mean(err < 0.5 / rate) > 0.99
    assert err.max() < 1.5 / rate
