"""Import speed of every format against pandas' fastest engine reading the same file.

A simulated session (10 copies of one ~58 s session, ~116,000 rows at 200 Hz) is exported in
every vendor layout. For each file, ``imu.formats.load`` (detection, parsing, units, time base,
quality report) is timed against ``pandas.read_csv`` with the options the layout needs, using
the faster of the ``pyarrow`` and ``c`` engines (ZIP exports: the member is read from the
archive in both cases). The runs of all readers are interleaved (N rounds); the speed is
reported best against best and as the median of the per-round ratios against the same
pandas engine, with the range of those per-round ratios. Target: hopscope speed >= 80 % of
pandas'.

Run: .venv/bin/python benchmarks/import_speed.py [--copies 10] [--repeat 7] [--only a,b]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imu.formats import load
from imu.simulate import simulate_session
from tests.imu.formats.exporters import VARIANTS

#: pandas.read_csv options that read each layout (ZIP layouts: member name first).
PANDAS = {
    "polar": {"sep": ";"},
    "witmotion_app": {
        "sep": ",",
        "encoding": "utf-8-sig",
        "index_col": False,
        "skipinitialspace": True,
    },
    "witmotion_txt3_comma_gbk": {"sep": "\t", "skiprows": 1, "decimal": ",", "encoding": "gbk"},
    "witmotion_txt3_point_utf8": {"sep": "\t"},
    "witmotion_txt4": {"sep": "\t", "encoding": "gbk"},
    "witmotion_txt1": {"sep": "\t", "skiprows": 1, "decimal": ",", "encoding": "gbk"},
    "witmotion_txt2_spaces": {"sep": r"\s+"},
    "metabase_android": {"sep": ","},
    "metabase_ios": {"sep": ","},
    "metabase_5": {"sep": ","},
    "phyphox_with_g_comma": {"sep": ","},
    "phyphox_with_g_tab_decimal_comma": {"sep": "\t", "decimal": ","},
    "phyphox_semicolon_decimal_comma": {"sep": ";", "decimal": ","},
    "phyphox_android_simple": {"sep": ","},
    "phyphox_ios_simple_tab": {"sep": "\t"},
    "phyphox_zip": {"member": "Raw Data.csv", "sep": ","},
    "sensor_logger_zip": {"member": "TotalAcceleration.csv", "sep": ","},
    "sensor_logger_csv": {"sep": ","},
    # iOS: the two files hopscope adds together (pandas only reads them).
    "sensor_logger_ios_zip": {"member": ["Accelerometer.csv", "Gravity.csv"], "sep": ","},
    "sensor_logger_ios_folder": {"sibling": "Gravity.csv", "sep": ","},
    "movesense": {"sep": ","},
    "xsens_dot": {"sep": ",", "skiprows": 11},
    "shimmer_tab": {"sep": "\t", "skiprows": [0, 2], "index_col": False},
    "shimmer_comma": {"sep": ",", "skiprows": [0, 2], "index_col": False},
}


def _pandas_reader(path: Path, options: dict, engine: str):  # type: ignore[no-untyped-def]
    options = dict(options)
    member = options.pop("member", None)
    sibling = options.pop("sibling", None)
    members = [member] if isinstance(member, str) else member

    def read() -> pd.DataFrame:
        if members is not None:
            with zipfile.ZipFile(path) as zf:
                frames = [
                    pd.read_csv(io.BytesIO(zf.read(m)), engine=engine, **options) for m in members
                ]
            return frames[0]
        frame = pd.read_csv(path, engine=engine, **options)
        if sibling is not None:
            pd.read_csv(path.parent / sibling, engine=engine, **options)
        return frame

    return read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="session copies per file (10)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs, best kept (7)")
    parser.add_argument("--only", default="", help="comma-separated layouts (default: all)")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown layouts {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    session = simulate_session(1)
    base = session.samples
    span = float(base["time_s"].iloc[-1]) + 0.005
    samples = pd.concat(
        [base.assign(time_s=base["time_s"] + k * span) for k in range(args.copies)],
        ignore_index=True,
    )
    print(f"{len(samples)} rows per file, best of {args.repeat} runs\n")
    header = f"{'layout':34s} {'MB':>6s} {'hopscope ms':>12s} {'pandas ms':>10s} {'engine':>8s} {'speed':>7s} {'median':>7s} {'rounds':>10s} {'cpu':>7s}  target"
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    median_ratios: list[float] = []
    cpu_ratios: list[float] = []
    below: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, writer in VARIANTS.items():
            if only and name not in only:
                continue
            path = writer(samples, Path(tmp) / name)
            rec = load(path)
            assert len(rec.samples) == len(samples), name
            readers = {"hopscope": lambda p=path: load(p)}
            for engine in ("pyarrow", "c"):
                reader = _pandas_reader(path, PANDAS[name], engine)
                try:
                    frame = reader()
                except (ValueError, TypeError):
                    continue  # this engine does not support the layout's options
                if len(frame) == len(samples):
                    readers[engine] = reader
            # Interleave the runs so that a change in machine load hits every reader alike.
            runs: dict[str, list[float]] = {key: [] for key in readers}
            cpu = dict.fromkeys(readers, float("inf"))
            for _ in range(args.repeat):
                for key, reader in readers.items():
                    start, start_cpu = time.perf_counter(), time.process_time()
                    reader()
                    runs[key].append(time.perf_counter() - start)
                    cpu[key] = min(cpu[key], time.process_time() - start_cpu)
            ours_runs = runs.pop("hopscope")
            ours, ours_cpu = min(ours_runs), cpu.pop("hopscope")
            wall = {key: min(times) for key, times in runs.items()}
            engine = min(wall, key=wall.get)
            ratio = wall[engine] / ours
            # Median over the rounds of pandas' time / hopscope's time in the same round.
            per_round = np.array(runs[engine]) / np.array(ours_runs)  # same engine
            paired = float(np.median(per_round))
            ratio_cpu = min(cpu.values()) / ours_cpu
            ratios.append(ratio)
            median_ratios.append(paired)
            cpu_ratios.append(ratio_cpu)
            mb = path.stat().st_size / 1e6
            print(
                f"{name:34s} {mb:6.1f} {1e3 * ours:12.1f} {1e3 * wall[engine]:10.1f} "
                f"{engine:>8s} {100 * ratio:6.0f}% {100 * paired:6.0f}% "
                f"{100 * per_round.min():4.0f}-{100 * per_round.max():3.0f}% "
                f"{100 * ratio_cpu:6.0f}%  {'ok' if ratio >= 0.8 else 'BELOW 80 %'}"
            )
            if ratio < 0.8:
                below.append(name)
    print(
        f"\nwall clock, best vs best: worst {100 * min(ratios):.0f} %, median"
        f" {100 * float(np.median(ratios)):.0f} %; median of paired rounds: worst"
        f" {100 * min(median_ratios):.0f} %, median {100 * float(np.median(median_ratios)):.0f} %;"
        f" CPU time: worst {100 * min(cpu_ratios):.0f} %, median"
        f" {100 * float(np.median(cpu_ratios)):.0f} %\n(speed = pandas time / hopscope time, best of"
        f" {args.repeat}; median = median over the {args.repeat} interleaved rounds of the same"
        f" ratio against the same engine; rounds = lowest and highest of those per-round"
        f" ratios; cpu = best process CPU time, all threads; target >= 80 %)"
    )
    print(f"below the target (best vs best): {', '.join(below) if below else 'none'}")
    return 0 if min(ratios) >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
