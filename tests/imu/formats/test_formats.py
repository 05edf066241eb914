"""Every vendor layout is detected from its content and read back to the simulated samples."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from imu.errors import InvalidRecordingError
from imu.formats import detect_format, list_formats, load
from imu.recording import validate_samples, write_recording
from tests.imu.formats import exporters
from tests.imu.formats.exporters import EXPECTED_FORMAT, VARIANTS

#: Acceleration resolution of each layout (g): mg integers, 3 decimals, ...
ACC_TOL = {"polar": 5e-4, "witmotion_app": 5e-4, "metabase_android": 5e-4, "metabase_ios": 5e-4,
           "metabase_5": 5e-4}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_is_detected_and_read_back(variant, samples, tmp_path):
    path = VARIANTS[variant](samples, tmp_path)
    assert detect_format(path) == EXPECTED_FORMAT[variant]
    rec = load(path)  # no warning: 200 Hz, no clipping, nothing skipped
    assert rec.meta.source_format == EXPECTED_FORMAT[variant].removesuffix("_zip")
    validate_samples(rec.samples, source=str(path))
    assert list(rec.samples.columns) == ["time_s", "ax_g", "ay_g", "az_g"]
    assert len(rec.samples) == len(samples)
    np.testing.assert_allclose(rec.samples["time_s"], samples["time_s"], atol=2e-6)
    tol = ACC_TOL.get(variant, 1e-4)
    for col in ("ax_g", "ay_g", "az_g"):
        np.testing.assert_allclose(rec.samples[col], samples[col], atol=tol)
    extra = rec.meta.extra
    assert extra["effective_rate_hz"] == pytest.approx(200.0, rel=1e-3)
    assert extra["gap_count"] == 0
    assert extra["skipped_rows"] == 0
    assert extra["clipped_samples"] == 0
    assert extra["warnings"] == []
    assert 0.9 < extra["rest_magnitude_g"] < 1.1


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_forcing_the_detected_format_gives_the_same_samples(variant, samples, tmp_path):
    path = VARIANTS[variant](samples.iloc[:400], tmp_path)
    detected = load(path)
    forced = load(path, format=EXPECTED_FORMAT[variant].removesuffix("_zip"))
    np.testing.assert_array_equal(forced.samples.to_numpy(), detected.samples.to_numpy())


def test_forcing_a_wrong_format_names_the_file_and_what_was_expected(samples, tmp_path):
    path = exporters.metabase(samples.iloc[:200], tmp_path)
    with pytest.raises(InvalidRecordingError, match=r"Accelerometer|MetaWear") as info:
        load(path, format="polar")
    assert str(path) in str(info.value)
    assert "Phone timestamp" in str(info.value)


def test_unknown_format_name_lists_the_known_ones(samples, tmp_path):
    path = exporters.metabase(samples.iloc[:50], tmp_path)
    with pytest.raises(InvalidRecordingError, match="known: hopscope, xsens_dot") as info:
        load(path, format="garmin")
    assert "--time-col" in str(info.value)


def test_aliases_select_formats(samples, tmp_path):
    path = exporters.xsens_dot(samples.iloc[:300], tmp_path)
    assert load(path, format="dot").meta.source_format == "xsens_dot"
    assert load(path, format="Movella-DOT").meta.source_format == "xsens_dot"


def test_hopscope_format_reads_recording_and_sidecar(session, tmp_path):
    path = write_recording(tmp_path / "rec.csv", session.samples, session.meta)
    rec = load(path)
    assert detect_format(path) == "hopscope"
    assert rec.meta.device == "hopscope simulator"
    assert rec.meta.extra["effective_rate_hz"] == pytest.approx(200.0)
    assert rec.meta.extra["clipped_samples"] == 0
    np.testing.assert_allclose(rec.samples["az_g"], session.samples["az_g"], atol=1e-5)


def test_polar_metadata_from_file_name_and_clock(samples, tmp_path):
    path = exporters.polar(samples.iloc[:500], tmp_path, model="Sense", device_id="B5AB9E21")
    rec = load(path)
    assert rec.meta.device == "Polar Sense"
    assert rec.meta.device_id == "B5AB9E21"
    assert rec.meta.range_g == 8.0
    assert rec.meta.start_utc == "2026-03-14T09:26:53.589"
    assert rec.meta.time_zone == "local"
    assert rec.meta.extra["source_unit"] == "mg"


def test_metabase_metadata_and_zone_labels(samples, tmp_path):
    android = load(exporters.metabase(samples.iloc[:300], tmp_path / "a", variant="android"))
    assert android.meta.device == "MetaWear"
    assert android.meta.device_id == "C8B2A1E3D4F5"
    assert android.meta.firmware == "1.4.4"
    assert android.meta.sample_rate_hz == 200.0
    assert android.meta.start_utc == "2026-03-14T09:26:53.589Z"
    assert android.meta.extra["time_zone_label"] == "01:00"
    ios = load(exporters.metabase(samples.iloc[:300], tmp_path / "i", variant="ios"))
    assert ios.meta.extra["time_zone_label"] == "-0500"
    mb5 = load(exporters.metabase(samples.iloc[:300], tmp_path / "5", variant="mb5"))
    assert mb5.meta.extra["time_zone_label"] == "+0100"
    assert ios.meta.start_utc == mb5.meta.start_utc == android.meta.start_utc


def test_xsens_unwraps_sample_time_fine_and_reads_preamble(samples, tmp_path):
    path = exporters.xsens_dot(samples, tmp_path, wrap=True)
    raw = [int(line.split(",")[1]) for line in path.read_text().splitlines()[12:]]
    assert min(np.diff(raw)) < 0  # the µs counter really wraps in this file
    rec = load(path)
    assert np.all(np.diff(rec.samples["time_s"]) > 0)
    assert rec.meta.device_id == "lfoot"
    assert rec.meta.firmware == "2.0.0"
    assert rec.meta.sample_rate_hz == 200.0
    assert rec.meta.start_utc == "2026-03-14T08:26:53.589Z"
    assert rec.meta.lost_packets == 0


def test_xsens_packet_counter_gaps_are_counted(lossy_session, tmp_path):
    path = exporters.xsens_dot(lossy_session.samples, tmp_path, rate_hz=104.0)
    rec = load(path)
    assert rec.meta.lost_packets == lossy_session.meta.lost_samples
    assert rec.meta.extra["gap_lost_samples"] == lossy_session.meta.lost_samples


def test_phyphox_zip_start_time_and_device(samples, tmp_path):
    rec = load(exporters.phyphox(samples.iloc[:300], tmp_path, archive=True))
    assert rec.meta.start_utc == "2026-03-14T09:26:53.589Z"
    assert rec.meta.device == "Google Pixel 7"
    assert rec.meta.extra["set"] == "Raw Data.csv"
    assert rec.source.endswith(":Raw Data.csv")


def test_sensor_logger_zip_reads_total_acceleration_and_metadata(samples, tmp_path):
    rec = load(exporters.sensor_logger(samples.iloc[:300], tmp_path))
    assert rec.meta.extra["sensor"] == "TotalAcceleration"
    assert rec.meta.extra["metadata platform"] == "android"
    assert rec.meta.device == "Pixel 7 (Sensor Logger)"
    assert rec.meta.start_utc == "2026-03-14T09:26:53.589Z"


def test_shimmer_prefers_wide_range_and_names_the_device(samples, tmp_path):
    rec = load(exporters.shimmer(samples.iloc[:300], tmp_path))
    assert rec.meta.extra["accelerometer"] == "Accel_WR"
    assert rec.meta.device_id == "Shimmer_CE9F"


def test_movesense_times_come_from_packet_stamps(lossy_session, tmp_path):
    rec = load(exporters.movesense(lossy_session.samples, tmp_path, packet=8))
    ref = lossy_session.samples["time_s"].to_numpy()
    period = 1 / 104.0
    # The reference carries per-sample jitter (SD 0.1 period) that a packet stamp cannot
    # express, and the stamps are whole ms: half a period plus the 0.5 ms rounding.
    assert np.max(np.abs(rec.samples["time_s"].to_numpy() - ref)) < 0.5 * period + 5e-4
    assert rec.meta.extra["packets"] == int(exporters._run_starts(ref, 8).sum())
    assert rec.meta.lost_samples == lossy_session.meta.lost_samples


def test_witmotion_bursts_are_rebuilt_with_gaps_kept(lossy_session, tmp_path):
    rec = load(exporters.witmotion_app(lossy_session.samples, tmp_path))
    ref = lossy_session.samples["time_s"].to_numpy()
    assert rec.meta.extra["time_rebuilt"] is True
    assert np.max(np.abs(rec.samples["time_s"].to_numpy() - ref)) < 0.5 / 104.0
    assert rec.meta.lost_samples == lossy_session.meta.lost_samples


def test_list_formats_has_every_exported_format():
    names = {spec.name for spec in list_formats()}
    assert set(EXPECTED_FORMAT.values()) | {"hopscope", "csv"} <= names
    assert all(spec.identifies and spec.example for spec in list_formats())


def test_loading_never_mutates_or_keeps_the_file_open(samples, tmp_path):
    path = exporters.polar(samples.iloc[:100], tmp_path)
    before = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(path)
    assert path.read_bytes() == before
    path.unlink()  # no handle left open
