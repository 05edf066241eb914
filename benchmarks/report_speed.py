"""Time the session report of a 5-minute 200 Hz recording and measure its size.

Target: written in under 2 s, file under 2 MB. A simulated session (imu.simulate) of about five
minutes is written as a hopscope CSV, analysed, and reported; the report is timed on its own
(render + write, median of several runs) and end to end (``hopscope report``: load, analyse,
report).

Run: ``.venv/bin/python benchmarks/report_speed.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.cli import main as cli_main
from analysis.pipeline import analyze
from analysis.report import write_session_report
from imu.recording import Recording, write_recording
from imu.simulate import SetSpec, simulate_session

TARGET_S = 2.0
TARGET_BYTES = 2 * 1024 * 1024


def five_minute_session(seed: int = 2026, sample_rate_hz: float = 200.0):
    """About 300 s: 8 sets of 40 hops near 3 Hz with 25 s rests, some sets slow."""
    sets = [
        SetSpec(hops=40, hop_hz=hz, contact_ms=c, fatigue=0.1)
        for hz, c in [
            (3.2, 180),
            (3.1, 190),
            (2.9, 230),
            (3.25, 175),
            (2.8, 260),
            (3.0, 200),
            (3.15, 185),
            (2.95, 215),
        ]
    ]
    return simulate_session(
        seed,
        sample_rate_hz=sample_rate_hz,
        sets=sets,
        rest_s=25.0,
        standing_s=5.0,
        walking_s=5.0,
        athlete="Benchmark",
        leg="L",
        start_utc="2026-11-20T07:00:00Z",
    )


def main() -> None:
    """Print the timings and the file size against the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    args = parser.parse_args()
    sim = five_minute_session()
    duration = float(sim.samples["time_s"].iloc[-1])
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "five_minutes.csv"
        write_recording(csv, sim.samples, sim.meta)
        result = analyze(Recording(sim.samples, sim.meta))
        out = Path(tmp) / "report.html"
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            write_session_report(result, out, source=csv.name)
            times.append(time.perf_counter() - t0)
        size = out.stat().st_size
        e2e = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            code = cli_main(["report", str(csv), "-o", str(out)])
            e2e.append(time.perf_counter() - t0)
            assert code == 0
    report_s = statistics.median(times)
    e2e_s = statistics.median(e2e)
    print(
        f"recording: {duration:.0f} s at 200 Hz, {len(sim.samples)} samples, "
        f"{result.n_hops} hops in {len(result.sets)} sets"
    )
    print(
        f"session report (render + write): median {report_s:.2f} s of {args.runs} runs "
        f"(target < {TARGET_S:g} s) {'OK' if report_s < TARGET_S else 'MISSED'}"
    )
    print(f"hopscope report end to end (load + analyse + report): median {e2e_s:.2f} s")
    print(
        f"report file: {size / 1024:.0f} KiB (target < {TARGET_BYTES / 1024 / 1024:g} MiB) "
        f"{'OK' if size < TARGET_BYTES else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
