"""Fuzz the importers: load >= 10,000 generated and mutated files; count tracebacks.

Every file must end as a recording that validates or as an InvalidRecordingError naming the
file, with HopscopeWarning warnings only. Files come from three generators (see
tests/imu/formats/fuzzing.py): mutations of valid exports of every layout, random rows under
known headers, and valid layouts filled with random numbers, plus raw random bytes.

With ``--analyse`` every file the importers accept is also analysed, as repeated hops, as
rebound jumps and as both (``exercise="auto"``; tests/analysis/fuzzing.py): each must end in
a result with numbered sets or an InvalidRecordingError, with HopscopeWarning warnings only.

Run: .venv/bin/python benchmarks/fuzz_import.py [--files 10000] [--seed 0] [--analyse]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.analysis.fuzzing import check_analysis
from tests.imu.formats.conftest import short_session
from tests.imu.formats.fuzzing import (
    check_file,
    mutate,
    numeric_export,
    random_export,
    seed_files,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="files to generate (10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--show", type=int, default=3, help="tracebacks to print (3)")
    parser.add_argument(
        "--analyse", action="store_true", help="also analyse every file the importers accept"
    )
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    problems: list[tuple[str, str, str]] = []
    analyses = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seeds = {}
        for seed, rows in ((2, 40), (3, 400)):
            samples = short_session(seed).samples.iloc[:rows].reset_index(drop=True)
            for name, value in seed_files(samples, folder / f"seed{seed}").items():
                seeds[f"{name}/{rows}"] = value
        names = sorted(seeds)
        for i in range(args.files):
            kind = rnd.choices(["mutated", "random", "numeric", "bytes"], weights=[70, 15, 10, 5])[
                0
            ]
            if kind == "mutated":
                origin = rnd.choice(names)
                file_name, data = seeds[origin]
                data = mutate(data, rnd)
            elif kind == "random":
                origin, file_name, data = "random", "export.csv", random_export(rnd)
            elif kind == "numeric":
                origin, file_name = "numeric", "Polar_H10_A1B2C3D4_20260314_092653_ACC.txt"
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the generator's own numpy warnings
                    data = numeric_export(rnd)
            else:
                origin, file_name = "bytes", "blob.csv"
                data = rnd.randbytes(rnd.randrange(0, 2000))
            path = folder / "case" / file_name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            problem = check_file(path)
            counts[kind] += 1
            if problem is None and args.analyse:
                done, problem = check_analysis(path)
                analyses += done
            if problem is None:
                continue
            problems.append((origin, str(i), problem))
            keep = folder.parent / f"hopscope-fuzz-{args.seed}-{i}-{file_name}"
            keep.write_bytes(data)
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    print(f"fuzzed files: {total} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    if args.analyse:
        print(f"analyses run to a result (hops, rebound and auto): {analyses}")
    print(f"tracebacks or contract violations: {len(problems)}")
    print(f"time: {elapsed:.1f} s ({1e3 * elapsed / max(total, 1):.1f} ms per file)")
    for origin, index, problem in problems[: args.show]:
        print(f"--- file {index} (from {origin}) ---\n{problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
