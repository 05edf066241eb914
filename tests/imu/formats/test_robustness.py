"""Tolerant parsing (formats.md §16.8): BOM, CRLF, trailing delimiters, leading spaces, no final
newline, empty and NaN cells, Excel-mangled numbers, bursty stamps, truncated files. Nothing is
dropped silently: every skipped row is counted, warned about and kept in the metadata."""

from __future__ import annotations

import numpy as np
import pytest

from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import load
from imu.simulate import Artefacts, SetSpec, simulate_session
from tests.imu.formats import exporters
from tests.imu.formats.conftest import short_session


def _same(a, b, *, atol=1e-6):  # type: ignore[no-untyped-def]
    assert len(a.samples) == len(b.samples)
    np.testing.assert_allclose(a.samples.to_numpy(), b.samples.to_numpy(), atol=atol)


def _set_cells(path, cells, delimiter=","):  # type: ignore[no-untyped-def]
    """Rewrite ``path`` with the cells ``{(line, field): text}`` replaced (0-based)."""
    lines = path.read_text().split("\n")
    for (line, field), text in cells.items():
        row = lines[line].split(delimiter)
        row[field] = text
        lines[line] = delimiter.join(row)
    path.write_text("\n".join(lines))


@pytest.fixture
def head(samples):  # type: ignore[no-untyped-def]
    return samples.iloc[:600].reset_index(drop=True)


@pytest.mark.parametrize(
    "writer",
    [
        exporters.metabase,
        exporters.polar,
        exporters.phyphox,
        exporters.xsens_dot,
        exporters.shimmer,
    ],
)
def test_bom_and_crlf_change_nothing(writer, head, tmp_path):
    path = writer(head, tmp_path / "plain")
    base = load(path)
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    path.write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    _same(load(path), base)


def test_trailing_delimiters_do_not_shift_columns(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    base = load(path)
    lines = path.read_text().split("\n")
    path.write_text("\n".join([lines[0]] + [line + "," for line in lines[1:] if line]) + "\n")
    _same(load(path), base)


def test_leading_spaces_and_missing_final_newline(head, tmp_path):
    path = exporters.sensor_logger(head, tmp_path, archive=False)
    base = load(path)
    text = path.read_text()
    lines = text.rstrip("\n").split("\n")
    spaced = [lines[0]] + [", ".join(f" {c}" for c in line.split(",")) for line in lines[1:]]
    path.write_text("\n".join(spaced))  # no final newline
    _same(load(path), base, atol=1e-9)


def test_metabase_ios_has_no_final_newline_and_loses_no_row(head, tmp_path):
    path = exporters.metabase(head, tmp_path, variant="ios")
    assert not path.read_bytes().endswith(b"\n")
    assert len(load(path).samples) == len(head)


def test_nan_and_empty_acceleration_rows_are_skipped_counted_and_warned(head, tmp_path):
    path = exporters.phyphox(head, tmp_path)
    lines = path.read_text().split("\n")
    lines[10] = ",".join([*lines[10].split(",")[:2], "NaN", "NaN", "NaN"])
    lines[20] = ",".join([*lines[20].split(",")[:3], "", ""])
    path.write_text("\n".join(lines))
    with pytest.warns(
        HopscopeWarning, match=r"2 rows skipped \(empty, NaN or unreadable acceleration: 2\)"
    ) as rec_w:
        rec = load(path)
    assert str(path) in str(rec_w[0].message)
    assert len(rec.samples) == len(head) - 2
    assert rec.meta.extra["skipped_rows"] == 2
    assert rec.meta.extra["skipped_by_reason"] == {"empty, NaN or unreadable acceleration": 2}


def test_missing_timestamps_are_interpolated_never_acceleration(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    lines = path.read_text().split("\n")
    for i in (5, 6, 300):
        cells = lines[i].split(",")
        cells[0] = ""
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines))
    with pytest.warns(
        HopscopeWarning, match="3 missing or unreadable timestamps were interpolated"
    ):
        rec = load(path)
    assert rec.meta.extra["interpolated_timestamps"] == 3
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=1e-9)


@pytest.mark.parametrize("variant", ["android", "ios", "mb5"])
def test_excel_mangled_metabase_epoch_falls_back_to_elapsed(variant, head, tmp_path):
    path = exporters.metabase(head, tmp_path, variant=variant, excel=True)
    assert "E+12" in path.read_text().split("\n")[1]
    with pytest.warns(HopscopeWarning, match=r"epoch clock is damaged .*'1\.\d+E\+12'.*elapsed"):
        rec = load(path)
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=1e-9)
    assert rec.meta.extra["time_source"].startswith("elapsed (s)")


def test_excel_mangled_metabase_without_elapsed_falls_back_to_the_file_rate(head, tmp_path):
    path = exporters.metabase(head, tmp_path, excel=True)
    lines = path.read_text().split("\n")
    cut = [",".join(c for k, c in enumerate(line.split(",")) if k != 2) for line in lines if line]
    path.write_text("\n".join(cut) + "\n")  # no elapsed (s) column
    with pytest.warns(HopscopeWarning, match=r"epoch clock is damaged.*row index at the 200 Hz"):
        rec = load(path, format="metabase")
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=1e-9)
    renamed = path.with_name("export.csv")  # without the rate in the name there is no way out
    path.rename(renamed)
    with pytest.raises(InvalidRecordingError, match="no other time column or sample rate"):
        load(renamed, format="metabase")


def test_excel_mangled_sensor_logger_time_falls_back_to_seconds_elapsed(head, tmp_path):
    path = exporters.sensor_logger(head, tmp_path, archive=False, excel=True)
    assert '"1,7' in path.read_text().split("\n")[1]
    with pytest.warns(HopscopeWarning, match="'time' column is damaged.*seconds_elapsed"):
        rec = load(path)
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=1e-9)


def test_excel_mangled_polar_clock_falls_back_to_phone_time(head, tmp_path):
    path = exporters.polar(head, tmp_path)
    lines = path.read_text().split("\n")
    for i in range(1, len(lines)):
        if lines[i]:
            cells = lines[i].split(";")
            cells[1] = f"{float(cells[1]):.5E}"
            lines[i] = ";".join(cells)
    path.write_text("\n".join(lines))
    with pytest.warns(HopscopeWarning, match="sensor clock is damaged"):
        rec = load(path)
    assert rec.meta.extra["time_rebuilt"] is True
    # Rebuilt from the row index at the rate read off the phone's batch stamps.
    assert rec.meta.extra["effective_rate_hz"] == pytest.approx(200.0, rel=0.01)


def test_bursty_stamps_with_lost_packets_are_rebuilt_on_the_grid(tmp_path):
    session = short_session(61, artefacts=Artefacts(packet_loss=0.05, packet_samples=10))
    assert session.meta.lost_samples > 0
    rec = load(exporters.witmotion_app(session.samples, tmp_path, burst=7))
    np.testing.assert_allclose(rec.samples["time_s"], session.samples["time_s"], atol=1e-9)
    assert rec.meta.extra["repeated_stamps"] > len(session.samples) // 2
    assert rec.meta.lost_samples == session.meta.lost_samples


def test_a_repeated_stamp_in_a_regular_clock_is_interpolated_with_a_warning(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    lines = path.read_text().split("\n")
    lines[3] = lines[2].split(",")[0] + "," + ",".join(lines[3].split(",")[1:])
    path.write_text("\n".join(lines))
    with pytest.warns(
        HopscopeWarning, match=r"1 timestamps repeat or go backwards: .*interpolated"
    ):
        rec = load(path)
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=1e-9)
    assert rec.meta.extra["repaired_stamps"] == 1


def test_many_repeated_stamps_are_rebuilt_on_a_fitted_grid(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    lines = path.read_text().split("\n")
    for i in range(2, len(lines) - 1, 4):  # every 4th stamp repeats the one before
        lines[i] = lines[i - 1].split(",")[0] + "," + ",".join(lines[i].split(",")[1:])
    path.write_text("\n".join(lines))
    with pytest.warns(
        HopscopeWarning, match=r"repeat \(\d+ times\).*rebuilt.*fitted to the stamps"
    ):
        rec = load(path)
    assert rec.meta.extra["rebuilt_rate_hz"] == pytest.approx(200.0, rel=1e-3)
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=2e-3)


@pytest.mark.parametrize(
    "writer", [exporters.polar, exporters.metabase, exporters.xsens_dot, exporters.shimmer]
)
def test_file_truncated_mid_line_keeps_every_complete_row(writer, head, tmp_path):
    path = writer(head, tmp_path)
    data = path.read_bytes()
    last_start = data.rstrip(b"\r\n").rfind(b"\n") + 1
    cut = data[: last_start + (len(data) - last_start) // 2]
    delim = b";" if b";" in data[last_start:] else (b"\t" if b"\t" in data[last_start:] else b",")
    cut = cut[: cut.rfind(delim)]  # end inside the row, between two fields
    path.write_bytes(cut)
    with pytest.warns(HopscopeWarning, match=r"1 rows skipped \(wrong number of fields"):
        rec = load(path)
    assert len(rec.samples) == len(head) - 1
    assert rec.meta.extra["skipped_rows"] == 1


@pytest.mark.parametrize(
    "writer", [exporters.polar, exporters.metabase, exporters.xsens_dot, exporters.shimmer]
)
def test_row_with_extra_fields_is_skipped_even_when_a_cut_last_line_evens_the_count(
    writer, head, tmp_path
):
    # A row with three extra fields, and a last line cut three fields short: the file has
    # exactly as many delimiters as a clean one, but both rows are damaged.
    path = writer(head, tmp_path)
    text = path.read_text()
    lines = text.rstrip("\r\n").split("\n")
    delim = ";" if ";" in lines[-1] else ("\t" if "\t" in lines[-1] else ",")
    fields = lines[-1].split(delim)
    row = next(
        i for i in range(len(lines) - 200, 0, -1) if lines[i].count(delim) == len(fields) - 1
    )
    extra = lines[row].split(delim)[-3:]
    lines[row] = lines[row] + delim + delim.join(extra)
    lines[-1] = delim.join(fields[: len(fields) - 3])
    path.write_text("\n".join(lines))
    with pytest.warns(HopscopeWarning, match=r"2 rows skipped \(wrong number of fields"):
        rec = load(path)
    assert len(rec.samples) == len(head) - 2
    assert rec.meta.extra["skipped_rows"] == 2


def test_damaged_polar_clock_with_broken_rows_keeps_the_same_rows_in_every_column(head, tmp_path):
    # The sensor clock damaged in one row (times from the phone's clock instead), one row
    # with too many fields and a cut last line: time and acceleration keep the same rows.
    path = exporters.polar(head, tmp_path)
    lines = path.read_text().rstrip("\n").split("\n")
    cells = lines[26].split(";")
    cells[1] = cells[1][:10] + "x?" + cells[1][12:]
    lines[26] = ";".join(cells)
    lines[163] = lines[163] + ";830000;-561;51"
    lines[-1] = lines[-1][: lines[-1].index(";", lines[-1].index(";") + 1)]
    path.write_text("\n".join(lines))
    with pytest.warns(HopscopeWarning) as caught:
        rec = load(path)
    messages = " | ".join(str(w.message) for w in caught)
    assert "sensor clock is damaged" in messages
    assert "2 rows skipped (wrong number of fields" in messages
    assert len(rec.samples) == len(head) - 2
    assert rec.meta.extra["skipped_rows"] == 2
    assert rec.samples["az_g"].abs().max() < 16


def test_dot_clock_column_is_found_by_its_stem_like_the_others(head, tmp_path):
    # Characters around a header name (here a CJK prefix) are ignored when columns are
    # looked up; the SampleTimeFine column was looked up by its exact name instead.
    path = exporters.xsens_dot(head, tmp_path)
    base = load(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",SampleTimeFine,", ",\u65f6\u95f4SampleTimeFine,", 1), "utf-8")
    _same(load(path), base)


def test_plus_signed_integer_clock_reads_on_the_tolerant_path(head, tmp_path):
    # A text cell sends the file to the tolerant parser, whose integer cast takes no plus
    # sign: a clock stamp written "+123..." still reads as that number.
    path = exporters.sensor_logger(head, tmp_path, archive=False)
    base = load(path)
    stamp = path.read_text().split("\n")[5].split(",")[0]
    _set_cells(path, {(5, 0): "+" + stamp, (10, 4): "oops"})
    with pytest.warns(HopscopeWarning, match="1 rows skipped"):
        rec = load(path)
    assert len(rec.samples) == len(base.samples) - 1
    assert rec.samples["time_s"].iloc[4] == base.samples["time_s"].iloc[4]


def test_opposite_infinities_in_the_last_column_are_skipped_quietly(head, tmp_path):
    # inf + -inf sums to NaN: the check for empty cells must not warn (the test
    # configuration turns any other warning into an error), and both rows are skipped.
    path = exporters.metabase(head, tmp_path)
    _set_cells(path, {(5, -1): "inf", (9, -1): "-inf"})
    with pytest.warns(HopscopeWarning, match="2 rows skipped"):
        rec = load(path)
    assert len(rec.samples) == len(head) - 2


def test_locale_decimal_commas_in_a_comma_file_are_refused(head, tmp_path):
    path = exporters.movesense(head, tmp_path)
    lines = path.read_text().split("\n")
    path.write_text("\n".join([lines[0]] + [line.replace(".", ",") for line in lines[1:]]))
    with pytest.raises(InvalidRecordingError, match=r"expected 4 fields .*decimal commas") as info:
        load(path)
    assert info.value.file == str(path)


def test_many_broken_rows_are_refused_not_repaired(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    lines = path.read_text().split("\n")
    lines = [lines[0]] + [
        line + ",1,2" if i % 10 == 5 else line for i, line in enumerate(lines[1:])
    ]
    path.write_text("\n".join(lines))
    with pytest.raises(InvalidRecordingError, match=r"rows differ"):
        load(path)


def test_text_in_an_acceleration_column_is_skipped_and_reported(head, tmp_path):
    path = exporters.xsens_dot(head, tmp_path)
    _set_cells(path, {(40, 6): "oops"})
    with pytest.warns(HopscopeWarning, match="1 rows skipped"):
        rec = load(path)
    assert len(rec.samples) == len(head) - 1


def test_low_rate_and_clipping_are_warned(tmp_path):
    session = simulate_session(
        8, sample_rate_hz=52.0, range_g=8.0, sets=[SetSpec(hops=15, impact_scale=3.0)]
    )
    assert session.samples[["ax_g", "ay_g", "az_g"]].abs().max().max() >= 7.9
    path = exporters.polar(session.samples, tmp_path, model="Sense", clip_g=8.0)
    with pytest.warns(HopscopeWarning) as record:
        rec = load(path)
    messages = " | ".join(str(w.message) for w in record)
    # The rate is reported, and judged once, by the analysis (min_sample_rate_hz), not here.
    assert "sample rate" not in messages
    assert rec.meta.extra["effective_rate_hz"] == pytest.approx(52.0, rel=0.01)
    clipped = rec.meta.extra["clipped_samples"]
    assert clipped > 0 and f"{clipped} samples" in messages
    assert rec.meta.extra["clipping_rule"] == "within 2 % of ±8 g"


def test_shimmer_low_noise_accelerometer_warns_and_flags_clipping(samples, tmp_path):
    path = exporters.shimmer(samples, tmp_path, accel="LN")
    with pytest.warns(HopscopeWarning) as record:
        rec = load(path)
    messages = " | ".join(str(w.message) for w in record)
    assert "low-noise accelerometer" in messages
    assert rec.meta.range_g == 2.0
    assert rec.meta.extra["clipped_samples"] > 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n", "no samples"),
        (b"hello,world\n1,2\n", "unknown export"),
    ],
)
def test_errors_name_the_file_and_what_was_expected(content, expected, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidRecordingError, match=expected) as info:
        load(path)
    assert str(info.value).startswith(str(path))


def test_unknown_export_lists_formats_and_generic_options(tmp_path):
    path = tmp_path / "mystery.txt"
    path.write_text("when;what;how much\n1;2;3\n")
    with pytest.raises(InvalidRecordingError) as info:
        load(path)
    message = str(info.value)
    assert "'when;what;how much'" in message
    for name in ("polar_sensor_logger", "witmotion_app", "metabase", "phyphox", "sensor_logger",
                 "movesense_showcase", "xsens_dot", "shimmer_consensys", "hopscope"):  # fmt: skip
        assert name in message
    for option in ("--time-col", "--acc-cols", "--units", "--time-units"):
        assert option in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InvalidRecordingError, match="file not found"):
        load(tmp_path / "nope.csv")
    with pytest.raises(InvalidRecordingError, match="got a directory"):
        load(tmp_path)


def test_a_time_too_far_out_to_count_the_lost_samples_is_refused(head, tmp_path):
    # A damaged epoch cell sends the reader to the elapsed clock, whose last row jumps to
    # 1e308 s: the gap is beyond any count of samples, so the file is refused with the step
    # named (not an OverflowError).
    path = exporters.metabase(head, tmp_path, variant="ios")
    lines = path.read_text().split("\n")
    last = max(k for k, line in enumerate(lines) if line)
    _set_cells(path, {(5, 0): "e-7", (last, 2): "1e308"})
    with pytest.raises(
        InvalidRecordingError, match=r"timestamps out of range: a step of 1e\+308 s"
    ) as err:
        load(path)
    assert path.name in str(err.value)


def test_a_hopscope_recording_with_a_time_too_far_out_is_refused(tmp_path):
    path = tmp_path / "far.csv"
    path.write_text("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0,1\n0.02,0,0,1\n1e308,0,0,1\n")
    with pytest.raises(InvalidRecordingError, match=r"far\.csv: timestamps out of range"):
        load(path)
