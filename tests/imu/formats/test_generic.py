"""The generic reader: named columns, units, time units, sniffed delimiter and decimal mark."""

from __future__ import annotations

import numpy as np
import pytest

from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import load
from tests.imu.formats import exporters


@pytest.fixture
def head(samples):  # type: ignore[no-untyped-def]
    return samples.iloc[:1000].reset_index(drop=True)


def _check(rec, head, atol=1e-5):  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(rec.samples["time_s"], head["time_s"], atol=1e-6)
    for col in ("ax_g", "ay_g", "az_g"):
        np.testing.assert_allclose(rec.samples[col], head[col], atol=atol)


def test_all_options_given(head, tmp_path):
    path = exporters.generic(head, tmp_path)  # ';' and decimal commas, ms and mg
    rec = load(path, time_col="t_ms", acc_cols="acc_x,acc_y,acc_z", units="mg", time_units="ms")
    _check(rec, head)
    assert rec.meta.source_format == "csv"
    assert rec.meta.extra["delimiter"] == ";"
    assert rec.meta.extra["decimal"] == ","


def test_sequence_acc_cols_and_explicit_delimiter(head, tmp_path):
    path = exporters.generic(head, tmp_path, delimiter="\t", decimal=".")
    rec = load(path, acc_cols=["acc_x", "acc_y", "acc_z"], units="mg", time_units="ms",
               delimiter="tab", decimal=".")  # fmt: skip
    _check(rec, head)


def test_units_and_time_units_are_inferred_and_reported(head, tmp_path):
    path = exporters.generic(head, tmp_path)
    with pytest.warns(HopscopeWarning) as record:
        rec = load(path, format="csv")
    messages = " | ".join(str(w.message) for w in record)
    assert "read as mg (from the resting magnitude)" in messages
    assert rec.meta.extra["time_source"] == "t_ms (ms)"  # from the column name: no guess
    _check(rec, head)


def test_time_unit_is_inferred_from_the_step_size(head, tmp_path):
    path = exporters.generic(head, tmp_path)
    text = path.read_text()
    path.write_text(text.replace("t_ms;", "time;", 1))
    with pytest.warns(HopscopeWarning, match=r"read 'time' as ms \(from its step size\)"):
        rec = load(path, units="mg")
    _check(rec, head)


def test_integer_clock_with_a_plus_sign_reads_as_its_number(tmp_path):
    # Integer stamps are kept exact (int64); pyarrow's integer parser takes no plus sign.
    t_ms = 1_700_000_000_000 + 10 * np.arange(50)
    rows = [f"{'+' if i == 3 else ''}{t},0,0,1000" for i, t in enumerate(t_ms)]
    path = tmp_path / "ints.csv"
    path.write_text("t_ms,acc_x,acc_y,acc_z\n" + "\n".join(rows) + "\n")
    rec = load(path, units="mg", time_units="ms")
    np.testing.assert_allclose(rec.samples["time_s"], (t_ms - t_ms[0]) / 1e3, atol=1e-9)


def test_units_from_column_names(head, tmp_path):
    t = head["time_s"].to_numpy()
    rows = "\n".join(
        f"{ti:.6f},{a * 9.80665:.6f},{b * 9.80665:.6f},{c * 9.80665:.6f}"
        for ti, a, b, c in zip(t, head["ax_g"], head["ay_g"], head["az_g"], strict=True)
    )
    path = tmp_path / "lab.csv"
    path.write_text("time (s),acc x (m/s^2),acc y (m/s^2),acc z (m/s^2)\n" + rows + "\n")
    rec = load(path, format="generic")
    _check(rec, head)
    assert rec.meta.extra["source_unit"] == "m/s2"


def test_datetime_time_column(head, tmp_path):
    stamps = np.datetime64("2026-03-14T09:26:53.000") + (
        head["time_s"].to_numpy() * 1e6
    ).round().astype("timedelta64[us]")
    text = np.datetime_as_string(stamps, unit="us")
    rows = "\n".join(
        f"{s},{a:.5f},{b:.5f},{c:.5f}"
        for s, a, b, c in zip(text, head["ax_g"], head["ay_g"], head["az_g"], strict=True)
    )
    path = tmp_path / "clock.csv"
    path.write_text("timestamp,ax,ay,az\n" + rows + "\n")
    rec = load(path, units="g")
    _check(rec, head)


def test_missing_named_column_lists_the_columns(head, tmp_path):
    path = exporters.generic(head.iloc[:50], tmp_path)
    with pytest.raises(
        InvalidRecordingError, match=r"no time column named 'time'; columns are t_ms, acc_x"
    ):
        load(path, time_col="time")


def test_columns_that_cannot_be_guessed_ask_for_acc_cols(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("time,foo,bar,baz\n" + "\n".join(f"{i},{i},{i},{i}" for i in range(50)) + "\n")
    with pytest.raises(InvalidRecordingError, match=r"acc_cols=X,Y,Z \(--acc-cols\)"):
        load(path, format="csv")


def test_undecidable_units_ask_for_units(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("time,ax,ay,az\n" + "\n".join(f"{i},50,0,0" for i in range(300)) + "\n")
    with pytest.raises(InvalidRecordingError, match=r"give units= \(--units\)"):
        load(path, format="csv", time_units="ms")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": "furlongs"}, "`units` must be one of g, mg, m/s2"),
        ({"time_units": "min"}, "`time_units` must be one of s, ms, us, ns"),
        ({"acc_cols": "a,b"}, "`acc_cols` must name three columns"),
        ({"delimiter": ";;"}, "`delimiter` must be one character"),
        ({"decimal": ";"}, "`decimal` must be '.' or ','"),
    ],
)
def test_invalid_option_values(kwargs, message, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("time,ax,ay,az\n0,0,0,1\n")
    with pytest.raises(ValueError, match=message):
        load(path, **kwargs)


def test_generic_options_with_a_vendor_format_are_refused(head, tmp_path):
    path = exporters.polar(head.iloc[:50], tmp_path)
    with pytest.raises(InvalidRecordingError, match="apply to the generic reader"):
        load(path, format="polar", units="g")


def test_generic_options_without_format_use_the_generic_reader(head, tmp_path):
    path = exporters.metabase(head, tmp_path)
    rec = load(path, time_col="elapsed (s)", acc_cols="x-axis (g),y-axis (g),z-axis (g)")
    assert rec.meta.source_format == "csv"
    _check(rec, head, atol=6e-4)
