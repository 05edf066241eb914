"""Fuzzing of the sniffers and parsers: no input ends in anything but a recording that
validates or an InvalidRecordingError naming the file, with HopscopeWarning warnings only.
(The >= 10,000-file run is benchmarks/fuzz_import.py.)"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imu.formats.fuzzing import (
    check_file,
    fuzz_settings,
    mutate,
    numeric_export,
    random_export,
    session_seed_files,
)

_SETTINGS = fuzz_settings(400)


def _run(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        problem = check_file(path)
    assert problem is None, problem


@_SETTINGS
@given(variant=st.sampled_from(sorted(
    ["polar", "witmotion_app", "witmotion_txt3_comma_gbk", "metabase_ios", "phyphox_zip",
     "phyphox_with_g_tab_decimal_comma", "sensor_logger_zip", "movesense", "xsens_dot",
     "shimmer_tab", "hopscope", "generic"])), seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_mutated_exports(variant, seed):
    name, data = session_seed_files(2, 40)[variant]
    _run(name, mutate(data, random.Random(seed)))


@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_random_exports_with_known_headers(seed):
    _run("export.csv", random_export(random.Random(seed)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_valid_layouts_with_random_numbers(seed):
    _run("Polar_H10_A1B2C3D4_20260314_092653_ACC.txt", numeric_export(random.Random(seed)))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes(data):
    _run("blob.csv", data)


def test_seed_files_load_cleanly():
    for name, data in session_seed_files(2, 40).values():
        _run(name, data)


def test_check_file_reports_a_traceback(tmp_path, monkeypatch):
    import tests.imu.formats.fuzzing as fuzzing

    def broken(path):  # type: ignore[no-untyped-def]
        raise KeyError("boom")

    monkeypatch.setattr(fuzzing, "load", broken)
    path = tmp_path / "x.csv"
    path.write_text("x")
    assert "KeyError" in (check_file(path) or "")
