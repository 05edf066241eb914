"""Fuzzing of the analysis: every damaged or random file the importers accept is analysed, as
repeated hops, as rebound jumps and as both (``exercise="auto"``), and ends in a result with
numbered sets or an InvalidRecordingError, with HopscopeWarning warnings only (the files come
from the importers' fuzzing generators)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.analysis.fuzzing import check_analysis
from tests.imu.formats.fuzzing import (
    fuzz_settings,
    mutate,
    numeric_export,
    random_export,
    session_seed_files,
)


def _analyse(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        _, problem = check_analysis(path)
    assert problem is None, problem


_VARIANTS = sorted(
    ["polar", "witmotion_app", "metabase_ios", "phyphox_with_g_tab_decimal_comma",
     "sensor_logger_zip", "movesense", "xsens_dot", "shimmer_tab", "hopscope", "generic"]
)  # fmt: skip


@fuzz_settings(600)
@given(
    kind=st.sampled_from(["mutated", "mutated", "mutated", "random", "numeric"]),
    variant=st.sampled_from(_VARIANTS),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzzed_files_analyse_or_are_refused(kind, variant, seed):
    rnd = random.Random(seed)
    if kind == "mutated":
        name, data = session_seed_files(3, 400)[variant]
        _analyse(name, mutate(data, rnd))
    elif kind == "random":
        _analyse("export.csv", random_export(rnd))
    else:
        _analyse("Polar_H10_A1B2C3D4_20260314_092653_ACC.txt", numeric_export(rnd))
