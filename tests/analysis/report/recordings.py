"""Simulated recordings written in several real file layouts, for the report and batch tests."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from imu.recording import write_recording
from imu.simulate import SetSpec, simulate_session

G0 = 9.80665


def simulate(
    seed: int,
    *,
    hop_hz: float = 3.2,
    contact_ms: float = 180.0,
    sets: int = 2,
    hops: int = 18,
    sample_rate_hz: float = 200.0,
    **kwargs,
):
    specs = [SetSpec(hops=hops, hop_hz=hop_hz, contact_ms=contact_ms) for _ in range(sets)]
    return simulate_session(
        seed,
        sample_rate_hz=sample_rate_hz,
        sets=specs,
        standing_s=1.5,
        rest_s=4.0,
        walking_s=0.0,
        end_standing_s=1.0,
        **kwargs,
    )


def write_hopscope(path: Path, sim, *, sidecar: bool = True) -> Path:
    write_recording(path, sim.samples, sim.meta if sidecar else None)
    return path


def write_polar_acc(path: Path, sim, *, start: datetime) -> Path:
    """Polar Sensor Logger ACC text: semicolons, milli-g, sensor ns since 2000-01-01."""
    s = sim.samples
    epoch_ns = int((start - datetime(2000, 1, 1)).total_seconds() * 1e9)
    t_ns = epoch_ns + np.round(s["time_s"].to_numpy() * 1e9).astype(np.int64)
    lines = ["Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"]
    phone = start.strftime("%Y-%m-%dT%H:%M:%S.000")
    for t, x, y, z in zip(t_ns, s["ax_g"], s["ay_g"], s["az_g"], strict=True):
        lines.append(f"{phone};{t};{round(x * 1000)};{round(y * 1000)};{round(z * 1000)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_sensor_logger(path: Path, sim, *, start: datetime) -> Path:
    """Sensor Logger TotalAcceleration CSV: Unix ns, seconds elapsed, z, y, x in m/s²."""
    s = sim.samples
    t0 = int(start.replace(tzinfo=timezone.utc).timestamp() * 1e9)
    t = s["time_s"].to_numpy()
    lines = ["time,seconds_elapsed,z,y,x"]
    for ti, x, y, z in zip(t, s["ax_g"], s["ay_g"], s["az_g"], strict=True):
        lines.append(f"{t0 + round(ti * 1e9)},{ti:.6f},{z * G0:.5f},{y * G0:.5f},{x * G0:.5f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
