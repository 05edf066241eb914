"""Speed and memory of the hop analysis on one-hour 1 kHz recordings.

Two simulated recordings with the same layout (60 sets of 25 hops with rest and walking
between, 3.6 million samples, written in the hopscope format): one with the simulator's
default sensor artefacts ("clean": noise, bias, heel touches, ringing, no packet loss), and
one with the faults of real recordings together (``Artefacts.harsh()``: messy flights, leg
extension before landing, 1 % packet loss plus a loss burst a minute, jitter, rate error, a
sensor slip). For each it measures:

- the time pandas takes only to read it (``pandas.read_csv(engine="pyarrow")``);
- the end-to-end time of the analysis in this process: load the CSV, analyse, write the
  hops CSV and the JSON summary, and its ratio to the pandas read (5 runs of each by
  default, ``--repeat``; interleaved so that both see the same load; best against best, and
  the median and the range of the paired ratios);
- the ``hopscope analyze`` command in a fresh process (includes interpreter start-up);
- in-memory analysis throughput (samples per second, best of 5), and the time of the same
  analysis with ``exercise="auto"`` (the recordings hold hop sets only: one analysis and the
  join);
- peak memory of the in-memory analysis against the size of the sample table, in a fresh
  process: the growth of its resident memory's high-water mark over the analysis (every
  allocator counted: numpy, pandas and pyarrow's pool, which the analysis draws scratch arrays
  from), and, as a check, the Python heap's peak (tracemalloc) plus the pool's.

Run: ``.venv/bin/python benchmarks/speed.py [--minutes 60] [--rate 1000] [--repeat 5]``. The
recordings are cached under the system temporary folder. On a machine shared with other work,
more repeats give steadier figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import AnalysisSettings, analyze, analyze_file
from analysis.cli.analyze import write_hops_csv, write_json
from imu.errors import HopscopeWarning
from imu.formats import load
from imu.recording import read_recording
from imu.simulate import Artefacts, SetSpec, simulate_session

#: The recordings measured: name and sensor artefacts.
RECORDINGS = {"clean": Artefacts(), "harsh": Artefacts.harsh()}


def make_recording(path: Path, minutes: float, rate_hz: float, artefacts: Artefacts) -> Path:
    """Simulate and write a long session (cached)."""
    if path.exists():
        return path
    n_sets = max(1, round(minutes))
    sets = [
        SetSpec(hops=25, hop_hz=2.6 + 0.8 * (i % 5) / 4, duty_factor=0.5 + 0.04 * (i % 4))
        for i in range(n_sets)
    ]
    sim = simulate_session(
        2024,
        sample_rate_hz=rate_hz,
        sets=sets,
        rest_s=max(1.0, 60.0 * minutes / n_sets - 9.0),
        walking_s=15.0,
        artefacts=artefacts,
    )
    tmp = path.with_suffix(".tmp.csv")
    sim.write(tmp)
    tmp.rename(path)
    tmp.with_suffix(".json").rename(path.with_suffix(".json"))
    return path


#: Run in a fresh process: the peak memory of one analysis of a recording (argv[1]), in bytes,
#: as JSON. The table is read by pandas' C reader (numpy memory: pyarrow's pool is then used
#: by the analysis alone, and its peak is the analysis's); the analysis is warmed up on a
#: short recording first (its modules imported).
_MEMORY_PROBE = r"""
import gc, json, sys, tracemalloc, warnings
import pandas as pd
import pyarrow as pa
warnings.simplefilter("ignore")
from analysis import analyze
from imu.simulate import simulate_session
analyze(simulate_session(1).samples)
samples = pd.read_csv(sys.argv[1], engine="c", dtype="float64")
gc.collect()
pool = pa.default_memory_pool()
pool.release_unused()
def status(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(key))
try:  # (Linux: elsewhere only the check below is measured)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # the high-water mark starts again from the current size
    before = status("VmRSS:")
except OSError:
    before = None
analyze(samples)
rss = None if before is None else status("VmHWM:") - before
gc.collect()
pool.release_unused()
tracemalloc.start()
analyze(samples)
heap = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"rss": rss, "heap_and_pool": heap + pool.max_memory()}))
"""


def peak_memory(path: Path) -> dict[str, int | None]:
    """Peak memory of one analysis in a fresh process (:data:`_MEMORY_PROBE`), in bytes.

    ``rss`` is None where the resident high-water mark cannot be reset (not Linux).
    """
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.0f}"


def _share(value: int | None, whole: int) -> str:
    return "n/a" if value is None else f"{value / whole:.2f}"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(path: Path, repeat: int, out: Path) -> list[tuple[str, str, str]]:
    """Measure one recording; the rows of the table (measure, value, target)."""

    def end_to_end() -> None:
        result = analyze_file(path)
        write_hops_csv(result, out / "hops.csv")
        write_json(result, out / "summary.json")

    # Interleaved, so that both see the same load of a shared machine.
    read_times, load_times, e2e_times = [], [], []
    for _ in range(repeat):
        read_times.append(best_of(lambda: pd.read_csv(path, engine="pyarrow"), 1))
        load_times.append(best_of(lambda: load(path), 1))
        e2e_times.append(best_of(end_to_end, 1))
    read_s, load_s, e2e_s = min(read_times), min(load_times), min(e2e_times)
    paired = sorted(e / r for e, r in zip(e2e_times, read_times, strict=True))
    exe = Path(sys.executable).with_name("hopscope")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "analysis.cli"]
    t0 = time.perf_counter()
    subprocess.run(
        [
            *cmd,
            "analyze",
            str(path),
            "--hops-csv",
            str(out / "cli_hops.csv"),
            "--json",
            str(out / "cli.json"),
        ],
        check=True,
        capture_output=True,
    )
    cli_s = time.perf_counter() - t0

    recording = read_recording(path)
    n = len(recording.samples)
    table_bytes = int(recording.samples.memory_usage(deep=True).sum())
    analyse_s = best_of(lambda: analyze(recording), 5)
    auto = AnalysisSettings(exercise="auto")
    analyse_auto_s = best_of(lambda: analyze(recording, settings=auto), 5)
    result = analyze(recording)
    memory = peak_memory(path)

    return [
        ("samples", f"{n:,}", ""),
        ("gaps in the time axis", f"{result.quality['gaps']:,}", ""),
        ("hops found", f"{result.n_hops}", ""),
        ("pandas read_csv (pyarrow), s", f"{read_s:.2f}", ""),
        ("hopscope load only (imu.formats.load), s", f"{load_s:.2f}", ""),
        ("ratio load only / pandas read (best / best)", f"{load_s / read_s:.2f}", ""),
        ("end to end in process (load, analyse, write CSV + JSON), s", f"{e2e_s:.2f}", ""),
        ("ratio end to end / pandas read (best / best)", f"{e2e_s / read_s:.2f}", "<= 1.5"),
        (f"ratio, median of {repeat} interleaved pairs", f"{paired[len(paired) // 2]:.2f}", ""),
        ("ratio, lowest and highest pair", f"{paired[0]:.2f} - {paired[-1]:.2f}", ""),
        ("hopscope analyze command (fresh process), s", f"{cli_s:.2f}", ""),
        ("in-memory analysis, s", f"{analyse_s:.3f}", ""),
        ("in-memory throughput, million samples/s", f"{n / analyse_s / 1e6:.1f}", ">= 10"),
        ("in-memory analysis with exercise auto, s", f"{analyse_auto_s:.3f}", ""),
        ("sample table, MB", f"{table_bytes / 1e6:.0f}", ""),
        ("peak memory of the analysis (resident, high-water), MB", _mb(memory["rss"]), ""),
        ("peak memory / sample table", _share(memory["rss"], table_bytes), "<= 3"),
        (
            "check: Python heap peak + pyarrow pool peak, MB",
            _mb(memory["heap_and_pool"]),
            "",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs of each (>= 1)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    folder = Path(tempfile.gettempdir()) / "hopscope-bench"
    folder.mkdir(exist_ok=True)
    out = folder / "out"
    out.mkdir(exist_ok=True)
    warnings.simplefilter("ignore", HopscopeWarning)
    tables = {}
    for name, artefacts in RECORDINGS.items():
        path = folder / f"{name}_{args.minutes:g}min_{args.rate:g}hz.csv"
        t0 = time.perf_counter()
        make_recording(path, args.minutes, args.rate, artefacts)
        size_mb = path.stat().st_size / 1e6
        print(f"{name} recording: {path} ({size_mb:.0f} MB, {time.perf_counter() - t0:.1f} s)")
        tables[name] = measure(path, args.repeat, out)

    print()
    names = list(tables)
    print("| measure | " + " | ".join(names) + " | target |")
    print("|---|" + "---|" * len(names) + "---|")
    for i, (label, _, target) in enumerate(tables[names[0]]):
        values = " | ".join(tables[name][i][1] for name in names)
        print(f"| {label} | {values} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
