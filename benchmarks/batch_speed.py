"""Time ``hopscope batch`` over many 5-minute 200 Hz recordings on a few worker processes.

Target: 500 recordings on 2 cores in under 60 s. A handful of distinct 5-minute sessions is
simulated (imu.simulate) and written as hopscope CSVs with sidecars; the 500 files are copies
under athlete/leg/date file names (each is still read and analysed on its own). The timed part
is the whole command: discovery, parallel load and analysis, tables, Parquet and squad pages.

Run: ``.venv/bin/python benchmarks/batch_speed.py [--files 500] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.batch import run_batch, write_outputs
from imu.recording import write_recording
from imu.simulate import SetSpec, simulate_session

TARGET_S = 60.0
DISTINCT = 8


def _session(seed: int):
    rng_hz = [3.2, 3.0, 2.8, 3.3, 2.9, 3.1, 3.25, 2.85][seed % 8]
    sets = [
        SetSpec(hops=40, hop_hz=rng_hz + d, contact_ms=200 - 60 * d, fatigue=0.1)
        for d in (0.0, -0.05, 0.05, -0.1, 0.0, 0.05, -0.05, 0.0)
    ]
    return simulate_session(
        seed, sample_rate_hz=200.0, sets=sets, rest_s=25.0, standing_s=5.0, walking_s=5.0
    )


def make_files(folder: Path, n: int) -> float:
    """Write ``n`` recordings named ``{athlete}_{leg}_{date}.csv``; return one's duration, s."""
    sources = []
    for i in range(DISTINCT):
        sim = _session(1000 + i)
        path = folder / f"_source{i}.csv"
        write_recording(path, sim.samples, None)
        sources.append(path)
    duration = float(sim.samples["time_s"].iloc[-1])
    athletes = max(1, n // 10)
    start = date(2026, 9, 1)
    for k in range(n):
        athlete = f"A{k % athletes:03d}"
        leg = "LR"[(k // athletes) % 2]
        day = start + timedelta(days=7 * (k // (2 * athletes)))
        shutil.copyfile(sources[k % DISTINCT], folder / f"{athlete}_{leg}_{day.isoformat()}.csv")
    for path in sources:
        path.unlink()
    return duration


def main() -> None:
    """Generate the files, run the batch, print the timings against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500, help="recordings (500)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "squad"
        folder.mkdir()
        t0 = time.perf_counter()
        duration = make_files(folder, args.files)
        made = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            f"generated {args.files} recordings of {duration:.0f} s at 200 Hz "
            f"({size / 1e9:.2f} GB of CSV) in {made:.0f} s (not timed)"
        )
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        result = run_batch([folder], workers=args.workers)
        analysed = time.perf_counter() - t0
        write_outputs(result, out, workers=args.workers)
        total = time.perf_counter() - t0
    print(f"cores on this machine: {os.cpu_count()}, workers: {args.workers}")
    print(
        f"load + analyse {result.files} files: {analysed:.1f} s "
        f"({analysed / max(1, result.files) * 1000:.0f} ms per file, "
        f"{result.files * duration * 200 / analysed / 1e6:.1f} M samples/s)"
    )
    print(f"tables, Parquet and squad pages: {total - analysed:.1f} s")
    print(
        f"batch total: {total:.1f} s (target < {TARGET_S:g} s) "
        f"{'OK' if total < TARGET_S else 'MISSED'}; {len(result.hops)} hops, "
        f"{len(result.failures)} failed"
    )


if __name__ == "__main__":
    main()
