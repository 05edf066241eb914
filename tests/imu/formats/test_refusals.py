"""Gravity-removed exports and unusable containers are recognised and refused with the reason."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from imu.errors import InvalidRecordingError
from imu.formats import load
from tests.imu.formats import exporters

GRAVITY = "gravity removed.*free fall"


@pytest.fixture
def head(samples):  # type: ignore[no-untyped-def]
    return samples.iloc[:800].reset_index(drop=True)


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_phyphox_linear_acceleration_is_refused(delimiter, head, tmp_path):
    path = exporters.phyphox(head, tmp_path, variant="linear", delimiter=delimiter)
    with pytest.raises(InvalidRecordingError, match=GRAVITY) as info:
        load(path)
    assert "Acceleration with g" in str(info.value)
    assert info.value.file == str(path)


def test_phyphox_zip_with_only_linear_acceleration_is_refused(head, tmp_path):
    path = exporters.phyphox(head, tmp_path, variant="linear", archive=True)
    with pytest.raises(InvalidRecordingError, match=GRAVITY):
        load(path)


def test_sensor_logger_ios_archive_is_refused(head, tmp_path):
    path = exporters.sensor_logger(head, tmp_path, platform="ios")
    with pytest.raises(InvalidRecordingError, match=GRAVITY) as info:
        load(path)
    assert "Accelerometer.csv" in str(info.value)


def test_bare_sensor_logger_accelerometer_csv_is_refused_by_magnitude(head, tmp_path):
    path = exporters.sensor_logger(head, tmp_path, archive=False, platform="ios")
    assert path.name == "Accelerometer.csv"
    with pytest.raises(InvalidRecordingError, match=GRAVITY):
        load(path)


def test_sensor_logger_accelerometer_csv_with_gravity_is_read(head, tmp_path):
    # The name alone does not decide: a file called Accelerometer.csv whose resting magnitude
    # is 1 g holds gravity (renamed TotalAcceleration) and is read.
    path = exporters.sensor_logger(head, tmp_path, archive=False)
    renamed = path.with_name("Accelerometer.csv")
    path.rename(renamed)
    assert len(load(renamed).samples) == len(head)


def test_dot_free_acceleration_export_is_refused(head, tmp_path):
    path = exporters.xsens_dot(head, tmp_path, free_acc=True)
    with pytest.raises(InvalidRecordingError, match=GRAVITY) as info:
        load(path)
    assert "FreeAcc" in str(info.value)


def test_metabase_linear_acceleration_is_refused_by_name(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    linear = path.with_name(path.name.replace("Accelerometer", "Linear Acceleration"))
    path.rename(linear)
    with pytest.raises(InvalidRecordingError, match=GRAVITY):
        load(linear)


def test_metabase_gravity_removed_content_is_refused_by_magnitude(head, tmp_path):
    linear = head.copy()
    for col in ("ax_g", "ay_g", "az_g"):
        linear[col] = linear[col] - float(np.median(linear[col]))
    path = exporters.metabase(linear, tmp_path, variant="ios")
    with pytest.raises(InvalidRecordingError, match=r"\|a\| at rest is 0\.\d\d g.*free fall"):
        load(path)


def test_values_in_the_wrong_unit_are_refused(head, tmp_path):
    scaled = head.copy()
    for col in ("ax_g", "ay_g", "az_g"):
        scaled[col] = scaled[col] * 9.80665
    path = exporters.metabase(scaled, tmp_path)  # says g, holds m/s²
    with pytest.raises(InvalidRecordingError, match="look like m/s², not g"):
        load(path)


def _zip(path, members):  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), r"old Excel workbook \(\.xls\)"),
        (b"\x89HDF\r\n\x1a\n" + bytes(600), "HDF5"),
        (b"\x0e\x10\x43\x08\x00\x00\x00\x00.FIT" + bytes(100), "running-dynamics metrics"),
        (bytes([0x55, 0x51] + [0] * 9 + [0x55, 0x52] + [0] * 40), "WitMotion SD-card binary"),
        (bytes(range(256)) * 4, "binary content of unknown origin"),
    ],
)
def test_unusable_containers_are_refused_with_the_reason(data, expected, tmp_path):
    path = tmp_path / "export.bin"
    if data is None:
        _zip(path, {"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"})
    else:
        path.write_bytes(data)
    with pytest.raises(InvalidRecordingError, match=expected) as info:
        load(path)
    assert info.value.file == str(path)


def test_unknown_zip_lists_its_members(tmp_path):
    path = _zip(tmp_path / "a.zip", {"notes.txt": "hello", "data/run.csv": "a,b\n1,2\n"})
    with pytest.raises(
        InvalidRecordingError, match=r"unknown origin \(notes.txt, data/run.csv\)"
    ) as info:
        load(path)
    # It names what a known export holds, both Sensor Logger layouts included.
    assert "Accelerometer.csv + Gravity.csv" in str(info.value)


def test_corrupt_zip_is_an_invalid_recording(tmp_path):
    path = tmp_path / "broken.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("meta/time.csv", "x" * 1000)
    path.write_bytes(buf.getvalue()[:60])
    with pytest.raises(InvalidRecordingError, match="ZIP"):
        load(path)
