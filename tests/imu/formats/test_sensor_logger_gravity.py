"""Sensor Logger on iOS: ``Accelerometer.csv`` (gravity removed) is read with ``Gravity.csv``
added back on the time column; alone it is still refused."""

from __future__ import annotations

import functools
import io
import random
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli import main
from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import detect_format, load
from tests.imu.formats import exporters
from tests.imu.formats.conftest import short_session
from tests.imu.formats.exporters import G0
from tests.imu.formats.fuzzing import check_file, mutate

GRAVITY = "gravity removed.*free fall"


@pytest.fixture
def head(samples):  # type: ignore[no-untyped-def]
    return samples.iloc[:1200].reset_index(drop=True)


def _members(path):  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(path, members):  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _assert_same_samples(rec, samples, *, tol_g=1e-4):  # type: ignore[no-untyped-def]
    assert len(rec.samples) == len(samples)
    np.testing.assert_allclose(rec.samples["time_s"], samples["time_s"], atol=2e-6)
    for col in ("ax_g", "ay_g", "az_g"):
        np.testing.assert_allclose(rec.samples[col], samples[col], atol=tol_g)


def test_ios_zip_adds_gravity_back_and_says_so(head, tmp_path):
    path = exporters.sensor_logger_ios(head, tmp_path)
    assert detect_format(path) == "sensor_logger_zip"
    rec = load(path)  # nothing skipped, nothing interpolated: no warning
    _assert_same_samples(rec, head)
    meta = rec.meta
    assert meta.device == "iPhone 15 (Sensor Logger)"
    assert meta.start_utc == "2026-03-14T09:26:53.589Z"
    assert "gravity added back from Gravity.csv" in meta.notes
    extra = meta.extra
    assert extra["sensor"] == "Accelerometer+Gravity"
    assert extra["gravity_added_from"] == f"{path}:Gravity.csv"
    assert extra["gravity_matched_on"] == "time"
    assert extra["gravity_exact_rows"] == len(head)
    assert extra["gravity_interpolated_rows"] == 0
    assert extra["skipped_rows"] == 0 and extra["warnings"] == []
    assert "signs flipped" in extra["source_unit"]
    assert 0.9 < extra["rest_magnitude_g"] < 1.1


def test_standardised_and_ios_frames_give_the_same_samples(head, tmp_path):
    # Without "Standardise Units & Frames" every sign is flipped in both files; the reader
    # flips them back, so both exports give the recording's own axes.
    ios = load(exporters.sensor_logger_ios(head, tmp_path / "ios"))
    std = load(exporters.sensor_logger_ios(head, tmp_path / "std", standardised=True))
    _assert_same_samples(ios, head)
    _assert_same_samples(std, head)
    assert "signs flipped" not in std.meta.extra["source_unit"]


def test_gravity_on_other_times_is_interpolated_and_rows_outside_its_span_counted(head, tmp_path):
    period_s = float(np.median(np.diff(head["time_s"])))
    shift_s, trim_s = 0.37 * period_s, (0.5, 0.3)
    path = exporters.sensor_logger_ios(
        head, tmp_path, gravity_shift_s=shift_s, gravity_trim_s=trim_s
    )
    t = head["time_s"].to_numpy()
    t_g = t + shift_s
    t_g = t_g[(t_g >= t[0] + trim_s[0]) & (t_g <= t[-1] - trim_s[1])]
    inside = (t >= t_g[0]) & (t <= t_g[-1])
    outside = int((~inside).sum())
    assert outside > 100  # both ends are cut
    with pytest.warns(HopscopeWarning, match=rf"{outside} rows skipped") as caught:
        rec = load(path)
    assert all(str(path) in str(w.message) for w in caught)
    extra = rec.meta.extra
    assert extra["skipped_rows"] == outside
    reason = "outside the time span of Gravity.csv (no gravity to add back)"
    assert extra["skipped_by_reason"] == {reason: outside}
    assert extra["gravity_exact_rows"] == 0
    assert extra["gravity_interpolated_rows"] == int(inside.sum()) == len(rec.samples)
    assert f"{outside} outside its span left out" in rec.meta.notes
    # The rows kept are the accelerometer's own, with Gravity's rows linearly interpolated
    # onto their times (iOS frame: signs flipped back).
    files = {
        k: pd.read_csv(io.BytesIO(v)) for k, v in _members(path).items() if k != "Metadata.csv"
    }
    acc, grav = files["Accelerometer.csv"][inside], files["Gravity.csv"]
    at = (acc["time"] - grav["time"].iloc[0]).to_numpy(dtype=float)
    knots = (grav["time"] - grav["time"].iloc[0]).to_numpy(dtype=float)
    for axis in ("x", "y", "z"):
        want = -(acc[axis].to_numpy() + np.interp(at, knots, grav[axis].to_numpy())) / G0
        np.testing.assert_allclose(rec.samples[f"a{axis}_g"], want, rtol=0, atol=1e-12)
    kept = head[inside]
    np.testing.assert_allclose(
        rec.samples["time_s"], kept["time_s"] - kept["time_s"].iloc[0], atol=2e-6
    )
    # ... which is close to the simulated acceleration (the fixture's gravity turns slowly).
    for col in ("ax_g", "ay_g", "az_g"):
        np.testing.assert_allclose(rec.samples[col], kept[col], atol=1e-2)
    first_kept_s = exporters.START_UNIX_S + float(kept["time_s"].iloc[0])
    assert rec.meta.start_utc.startswith("2026-03-14T09:26:5")
    assert rec.meta.start_utc.endswith(f"{first_kept_s % 60:06.3f}Z")


def test_lone_ios_accelerometer_csv_is_refused_with_a_one_line_error(head, tmp_path, capsys):
    path = exporters.sensor_logger_ios(head, tmp_path, archive=False)
    (tmp_path / "Gravity.csv").unlink()
    with pytest.raises(InvalidRecordingError, match=GRAVITY) as info:
        load(path)
    message = str(info.value)
    assert info.value.file == str(path)
    assert "Accelerometer.csv" in message and "Export 'Gravity' with it" in message
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "Gravity" in err


def test_ios_zip_without_gravity_is_refused_naming_the_member(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "full"))
    del members["Gravity.csv"]
    path = _zip(tmp_path / "no_gravity.zip", members)
    with pytest.raises(InvalidRecordingError, match=GRAVITY) as info:
        load(path)
    assert info.value.file == f"{path}:Accelerometer.csv"
    assert "Export 'Gravity' with it" in str(info.value)


def test_unpacked_folder_reads_gravity_and_metadata_next_to_accelerometer(head, tmp_path):
    path = exporters.sensor_logger_ios(head, tmp_path, archive=False)
    rec = load(path)
    _assert_same_samples(rec, head)
    assert rec.meta.extra["gravity_added_from"] == str(tmp_path / "Gravity.csv")
    assert rec.meta.device == "iPhone 15 (Sensor Logger)"


def test_gravity_from_another_recording_is_refused(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "a"))
    later = head.assign(time_s=head["time_s"] + 3600.0)
    members["Gravity.csv"] = _members(exporters.sensor_logger_ios(later, tmp_path / "b"))[
        "Gravity.csv"
    ]
    path = _zip(tmp_path / "mixed.zip", members)
    with pytest.raises(InvalidRecordingError, match=r"within the times of Gravity\.csv"):
        load(path)


def test_empty_gravity_file_is_refused_with_the_gravity_explanation(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "full"))
    members["Gravity.csv"] = b"time,seconds_elapsed,z,y,x\n"
    path = _zip(tmp_path / "empty_gravity.zip", members)
    with pytest.raises(InvalidRecordingError, match=GRAVITY) as info:
        load(path)
    assert "Gravity.csv holds no usable rows" in str(info.value)


@pytest.mark.parametrize("archive", [True, False])
def test_gravity_file_of_zero_bytes_is_refused_naming_it(head, tmp_path, archive):
    path = exporters.sensor_logger_ios(head, tmp_path / "full", archive=archive)
    if archive:
        members = _members(path)
        members["Gravity.csv"] = b""
        path = _zip(tmp_path / "blank_gravity.zip", members)
    else:
        (path.parent / "Gravity.csv").write_bytes(b"")
    with pytest.raises(InvalidRecordingError, match="expected the Sensor Logger header") as info:
        load(path)
    assert info.value.file.endswith("Gravity.csv")


def test_damaged_time_matches_gravity_on_seconds_elapsed(head, tmp_path):
    path = exporters.sensor_logger_ios(head, tmp_path, excel=True)
    with pytest.warns(HopscopeWarning, match="'time' column is damaged"):
        rec = load(path)
    assert rec.meta.extra["gravity_matched_on"] == "seconds_elapsed"
    assert rec.meta.extra["gravity_exact_rows"] == len(head)
    _assert_same_samples(rec, head)


def test_damaged_gravity_time_matches_both_files_on_seconds_elapsed(head, tmp_path):
    # The accelerometer keeps its own clock (and start time); only the matching falls back.
    path = exporters.sensor_logger_ios(head, tmp_path, excel_gravity=True)
    rec = load(path)
    assert rec.meta.extra["gravity_matched_on"] == "seconds_elapsed"
    assert rec.meta.extra["gravity_exact_rows"] == len(head)
    assert rec.meta.extra["time_source"] == "time (Unix ns)"
    assert rec.meta.start_utc == "2026-03-14T09:26:53.589Z"
    _assert_same_samples(rec, head)


def test_total_acceleration_stays_preferred_over_accelerometer_with_gravity(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "ios"))
    android = _members(exporters.sensor_logger(head, tmp_path / "android"))
    members["TotalAcceleration.csv"] = android["TotalAcceleration.csv"]
    path = _zip(tmp_path / "both.zip", members)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = load(path)
    assert rec.meta.extra["sensor"] == "TotalAcceleration"
    assert "gravity_added_from" not in rec.meta.extra
    _assert_same_samples(rec, head)


def test_accelerometer_holding_gravity_is_not_given_gravity_twice(head, tmp_path):
    # The file name alone does not decide: an Accelerometer.csv at 1 g already holds gravity.
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "ios", standardised=True))
    total = _members(exporters.sensor_logger(head, tmp_path / "android"))["TotalAcceleration.csv"]
    members["Accelerometer.csv"] = total
    rec = load(_zip(tmp_path / "renamed.zip", members))
    assert rec.meta.extra["sensor"] == "Accelerometer"
    assert rec.meta.notes is None
    _assert_same_samples(rec, head)


def _uncalibrated_ios(samples) -> str:  # type: ignore[no-untyped-def]
    """AccelerometerUncalibrated.csv as iOS writes it by default: g, every sign flipped."""
    t = samples["time_s"].to_numpy()
    return exporters._sensor_logger_csv(
        t, [-samples[c].to_numpy() for c in ("ax_g", "ay_g", "az_g")]
    )


def test_usable_uncalibrated_accelerometer_stays_preferred(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "ios"))
    members["AccelerometerUncalibrated.csv"] = _uncalibrated_ios(head)
    rec = load(_zip(tmp_path / "uncalibrated.zip", members))
    assert rec.meta.extra["sensor"] == "AccelerometerUncalibrated"
    assert "gravity_added_from" not in rec.meta.extra
    _assert_same_samples(rec, head)


def test_empty_uncalibrated_accelerometer_is_passed_over(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path / "ios"))
    members["AccelerometerUncalibrated.csv"] = "time,seconds_elapsed,z,y,x\n"
    rec = load(_zip(tmp_path / "uncalibrated_empty.zip", members))
    assert rec.meta.extra["sensor"] == "Accelerometer+Gravity"
    assert rec.meta.extra["empty files passed over"] == "AccelerometerUncalibrated.csv"
    _assert_same_samples(rec, head)


@functools.cache
def _ios_members() -> dict[str, bytes]:
    import tempfile

    samples = short_session(3).samples.iloc[:60].reset_index(drop=True)
    with tempfile.TemporaryDirectory() as tmp:
        return _members(exporters.sensor_logger_ios(samples, Path(tmp)))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), target=st.sampled_from(["Gravity.csv", "Accelerometer.csv"]))
def test_damaged_ios_exports_load_or_are_refused_cleanly(seed, target, tmp_path_factory):
    # One member damaged the ways real files get damaged (bytes cut, swapped, repeated, ...):
    # the result is a recording or an InvalidRecordingError naming the file, never a traceback.
    rnd = random.Random(seed)
    members = dict(_ios_members())
    members[target] = mutate(members[target], rnd)
    path = _zip(tmp_path_factory.mktemp("fuzz") / "ios.zip", members)
    problem = check_file(path)
    assert problem is None, problem


def test_bare_gravity_file_is_refused_not_read_as_acceleration(head, tmp_path):
    members = _members(exporters.sensor_logger_ios(head, tmp_path))
    gravity = tmp_path / "export" / "Gravity.csv"
    gravity.parent.mkdir()
    gravity.write_bytes(members["Gravity.csv"])
    with pytest.raises(InvalidRecordingError, match=r"Gravity\.csv holds .* gravity alone") as err:
        load(gravity)
    assert str(err.value).startswith(str(gravity))
    assert main(["analyze", str(gravity)]) == 2
