"""Fuzzing of the analysis: every damaged or random file the importers accept is analysed, as
repeated hops and as rebound jumps, and ends in a result or an InvalidRecordingError, with
HopscopeWarning warnings only (the files come from the importers' fuzzing generators)."""

from __future__ import annotations

import functools
import random
import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import AnalysisSettings, analyze
from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import load
from tests.imu.formats.conftest import short_session
from tests.imu.formats.fuzzing import mutate, numeric_export, random_export, seed_files

_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


@functools.cache
def _seeds() -> dict[str, tuple[str, bytes]]:
    session = short_session(3)
    with tempfile.TemporaryDirectory() as tmp:
        return seed_files(session.samples.iloc[:400].reset_index(drop=True), Path(tmp))


def _analyse(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the importers' warnings are tested on their own
            try:
                rec = load(path)
            except InvalidRecordingError:
                return
    for exercise in ("hops", "rebound"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = analyze(rec, settings=AnalysisSettings(exercise=exercise))
            except InvalidRecordingError:
                continue
            assert result.n_hops == len(result.hops)
        stray = [w for w in caught if not issubclass(w.category, HopscopeWarning)]
        assert not stray, f"{stray[0].category.__name__}: {stray[0].message}"


@_SETTINGS
@given(variant=st.sampled_from(sorted(
    ["polar", "witmotion_app", "metabase_ios", "phyphox_with_g_tab_decimal_comma",
     "sensor_logger_zip", "movesense", "xsens_dot", "shimmer_tab", "hopscope", "generic"])),
    seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_mutated_exports_analyse_or_are_refused(variant, seed):
    name, data = _seeds()[variant]
    _analyse(name, mutate(data, random.Random(seed)))


@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_random_exports_analyse_or_are_refused(seed):
    _analyse("export.csv", random_export(random.Random(seed)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_valid_layouts_with_random_numbers_analyse_or_are_refused(seed):
    _analyse("Polar_H10_A1B2C3D4_20260314_092653_ACC.txt", numeric_export(random.Random(seed)))
