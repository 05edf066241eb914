"""From world-frame specific force to what a shoe IMU records and sends.

Mounting rotation, sensor slip, the causal on-device low-pass at an internal rate, output
sampling at the true (not nominal) rate, gain error, bias, noise, 16-bit quantisation,
per-axis clipping, timestamp jitter and lost radio packets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from imu.simulate.motion import specific_force
from imu.simulate.spec import Artefacts
from imu.simulate.timeline import Timeline

#: The on-device filter runs at an internal rate of at least this, in Hz.
MIN_INTERNAL_RATE_HZ = 1000.0
#: Internal samples generated per chunk (bounds memory on long sessions).
CHUNK_SAMPLES = 1 << 18
#: Gyroscope full scale (±), white noise SD and largest bias, in deg/s.
GYRO_RANGE_DPS = 2000.0
GYRO_NOISE_DPS = 0.2
GYRO_BIAS_DPS = 1.0


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def mounting_rotation(rng: np.random.Generator, placement: str) -> np.ndarray:
    """Random rotation whose columns are the sensor axes expressed in the foot frame.

    Laces: lying on the instep (tilted 20–35° up towards the ankle), clipped in any of four
    orientations, a few degrees off. Heel: upright on the heel counter, facing backwards.
    Ankle: on the outside of the ankle, facing sideways.
    """
    yaw = rng.integers(0, 4) * (math.pi / 2) + rng.normal(0.0, math.radians(8.0))
    roll = rng.normal(0.0, math.radians(8.0))
    if placement == "heel":
        tilt = math.radians(90.0 + rng.normal(0.0, 10.0))
        return _rot_y(tilt) @ _rot_z(yaw) @ _rot_x(roll)
    if placement == "ankle":
        side = math.radians(90.0 + rng.normal(0.0, 10.0))
        return _rot_x(side) @ _rot_z(yaw) @ _rot_y(roll)
    tilt = -math.radians(rng.uniform(20.0, 35.0))
    return _rot_y(tilt) @ _rot_z(yaw) @ _rot_x(roll)


def _rotate_about(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate row vectors ``v`` (n, 3) about a unit ``axis`` by per-row ``angle`` (Rodrigues)."""
    c = np.cos(angle)[:, None]
    s = np.sin(angle)[:, None]
    k = axis[None, :]
    return v * c + np.cross(k, v) * s + k * (v @ axis)[:, None] * (1.0 - c)


@dataclass(frozen=True)
class SensorOutput:
    """Samples as recorded, before packet loss."""

    time_s: np.ndarray
    acc_g: np.ndarray
    gyro_dps: np.ndarray | None
    true_rate_hz: float
    n_samples: int


def record(
    tl: Timeline,
    rng: np.random.Generator,
    *,
    sample_rate_hz: float,
    range_g: float,
    placement: str,
    art: Artefacts,
    gyro: bool,
    slip_at_s: float | None,
) -> SensorOutput:
    """Sample the timeline through the mounting and the sensor model."""
    true_rate = sample_rate_hz * (1.0 + art.rate_error)
    factor = max(1, math.ceil(MIN_INTERNAL_RATE_HZ / sample_rate_hz))
    internal_rate = true_rate * factor
    n_out = math.floor(tl.duration_s * true_rate)
    mount = mounting_rotation(rng, placement)
    slip_axis = rng.normal(size=3)
    slip_axis /= np.linalg.norm(slip_axis)
    slip_rad = math.radians(art.slip_deg)
    slip_len_s = 0.2

    sos = None
    if art.lowpass_fraction is not None:
        sos = signal.butter(
            2, art.lowpass_fraction * sample_rate_hz, btype="low", fs=internal_rate, output="sos"
        )
    n_ch = 6 if gyro else 3
    gain = 1.0 + rng.uniform(-art.gain_error, art.gain_error, 3)
    bias = rng.uniform(-art.bias_g, art.bias_g, 3)
    gyro_bias = rng.uniform(-GYRO_BIAS_DPS, GYRO_BIAS_DPS, 3)
    out = np.empty((n_out, n_ch))
    zi = None
    prev_pitch = 0.0
    chunk_out = max(1, CHUNK_SAMPLES // factor)
    for o0 in range(0, n_out, chunk_out):
        o1 = min(n_out, o0 + chunk_out)
        t = np.arange(o0 * factor, o1 * factor) / internal_rate
        fx, fy, fz, pitch = specific_force(t, tl)
        c, s = np.cos(pitch), np.sin(pitch)
        foot = np.column_stack((c * fx - s * fz, fy, s * fx + c * fz))
        del fx, fy, fz
        sens = foot @ mount  # rows: sensor-axis components (mount.T @ v for each v)
        if gyro:
            rate = np.diff(pitch, prepend=prev_pitch) * internal_rate
            prev_pitch = float(pitch[-1])
            w_foot = np.column_stack((np.zeros_like(rate), rate, np.zeros_like(rate)))
            w_sens = np.degrees(w_foot @ mount)
        if slip_rad > 0 and slip_at_s is not None:
            phi = slip_rad * np.clip((t - slip_at_s) / slip_len_s, 0.0, 1.0)
            moving = phi > 0
            if moving.any():
                sens[moving] = _rotate_about(sens[moving], slip_axis, -phi[moving])
                if gyro:
                    w_sens[moving] = _rotate_about(w_sens[moving], slip_axis, -phi[moving])
                    sliding = moving & (phi < slip_rad)
                    w_sens[sliding] -= math.degrees(slip_rad / slip_len_s) * slip_axis
        block = np.hstack((sens, w_sens)) if gyro else sens
        if sos is not None:
            if zi is None:
                zi = signal.sosfilt_zi(sos)[:, :, None] * block[0][None, None, :]
            block, zi = signal.sosfilt(sos, block, axis=0, zi=zi)
        # Output samples: gain, bias, noise, then the 16-bit converter.
        acc = block[::factor, :3] * gain + bias
        if art.noise_g > 0:
            acc += rng.normal(0.0, art.noise_g, acc.shape)
        out[o0:o1, :3] = _adc(acc, range_g, quantise=art.quantise, clip=art.clip)
        if gyro:
            g = block[::factor, 3:] + gyro_bias
            g += rng.normal(0.0, GYRO_NOISE_DPS, g.shape)
            out[o0:o1, 3:] = _adc(g, GYRO_RANGE_DPS, quantise=art.quantise, clip=art.clip)
    acc = out[:, :3]
    gyro_out = out[:, 3:] if gyro else None

    time = np.arange(n_out) / true_rate
    if art.packet_timestamps:
        first = (np.arange(n_out) // art.packet_samples) * art.packet_samples
        time = time[first] + (np.arange(n_out) - first) / sample_rate_hz
    if art.timestamp_jitter > 0 and n_out > 1:
        # Keep time increasing: the smallest step (in periods) is 1 without packet time
        # stamps, about 1 - packet_samples * |rate_error| with them.
        margin = 1.0 - (art.packet_samples * abs(art.rate_error) if art.packet_timestamps else 0.0)
        bound = 0.45 * margin
        jitter = np.clip(rng.normal(0.0, art.timestamp_jitter, n_out), -bound, bound)
        jitter[0] = 0.0
        time = time + jitter / true_rate
    return SensorOutput(time, acc, gyro_out, true_rate, n_out)


def _adc(x: np.ndarray, full_scale: float, *, quantise: bool, clip: bool) -> np.ndarray:
    """16-bit conversion over ±full_scale: round to codes and/or clip per axis."""
    step = 2.0 * full_scale / 65536.0
    if quantise:
        codes = np.rint(x / step)
        if clip:
            codes = np.clip(codes, -32768.0, 32767.0)
        return codes * step
    if clip:
        return np.clip(x, -full_scale, full_scale)
    return x


def lost_mask(
    rng: np.random.Generator, n_samples: int, duration_s: float, art: Artefacts
) -> tuple[np.ndarray, int]:
    """Return (keep mask per sample, number of lost packets)."""
    per = art.packet_samples
    n_packets = max(1, math.ceil(n_samples / per))
    lost = rng.random(n_packets) < art.packet_loss
    n_bursts = rng.poisson(art.loss_bursts_per_min * duration_s / 60.0)
    if n_bursts and n_packets > 2:
        starts = rng.integers(1, n_packets - 1, n_bursts)
        lengths = rng.geometric(1.0 / art.burst_packets, n_bursts)
        for s0, ln in zip(starts, lengths, strict=True):
            lost[s0 : min(n_packets - 1, s0 + ln)] = True
    lost[0] = False  # the first packet always arrives, so time starts at 0
    keep = ~np.repeat(lost, per)[:n_samples]
    return keep, int(lost.sum())
