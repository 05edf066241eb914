"""Sensor Logger on iOS: the shortcuts of the Gravity merge give what the plain paths give.

Equal times take Gravity's rows as they are instead of interpolating them, Gravity's rows are
put in time order only when they are not, the gravity check selects rows only when a value is
not finite, and ``Gravity.csv`` (beside the accelerometer's file, or in the archive) is parsed
on a worker thread. Each is compared bit for bit with the path it stands in for.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.errors import InvalidRecordingError
from imu.formats import load, sensor_logger
from imu.formats._normalise import quiet_magnitude
from imu.formats._source import open_source
from imu.formats._table import read_clean_table, read_table
from imu.recording import all_finite
from tests.imu.formats import exporters
from tests.imu.formats.conftest import short_session


def _bits(values: np.ndarray) -> np.ndarray:
    """The values' bit patterns (-0.0 and 0.0 differ, NaN equals itself)."""
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


def _outcome(path: Path) -> tuple[object, ...]:
    """Everything ``load`` gives: samples bit for bit, metadata, warnings, or the error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rec = load(path)
        except InvalidRecordingError as exc:
            result: tuple[object, ...] = ("error", str(exc))
        else:
            s = rec.samples
            result = (
                list(s.columns),
                [_bits(s[c].to_numpy()).tobytes() for c in s.columns],
                repr(rec.meta),
                rec.source,
            )
    return (*result, [(w.category.__name__, str(w.message)) for w in caught])


# --- Equal times ------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 2**40), min_size=1, max_size=60),
    st.integers(-(2**62), 2**62),
    st.data(),
)
def test_equal_times_give_what_interpolation_gives(steps, origin, data) -> None:  # type: ignore[no-untyped-def]
    keys = origin + np.cumsum(np.array(steps, dtype=np.int64))
    keys = keys[keys - keys[0] < 2**53]
    values = np.array(data.draw(st.lists(finite, min_size=keys.size, max_size=keys.size)))
    assert sensor_logger._same_times(keys, keys.copy())
    exact, (interpolated,) = sensor_logger._interpolated(keys, keys.copy(), [values])
    assert exact == keys.size
    np.testing.assert_array_equal(_bits(interpolated), _bits(values))


def test_times_too_far_apart_for_float64_are_interpolated() -> None:
    keys = np.array([0, 1, 2**53 + 1], dtype=np.int64)
    assert not sensor_logger._same_times(keys, keys.copy())
    assert not sensor_logger._same_times(keys[:2], keys[1:].copy())


def _time_order_reference(gkeys: np.ndarray, gvalid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort the valid rows (stable), then keep the first row of each time, in every case."""
    order = np.flatnonzero(gvalid)
    valid_keys = gkeys[order]
    if valid_keys.size > 1 and not bool((valid_keys[1:] >= valid_keys[:-1]).all()):
        order = order[np.argsort(valid_keys, kind="stable")]
    gk = gkeys[order]
    first_of_time = np.concatenate([[True], np.diff(gk) > 0])
    return order[first_of_time], gk[first_of_time]


key_values = st.one_of(
    st.integers(0, 20), st.integers(-(2**63), 2**63 - 1), st.sampled_from([-(2**63), 2**63 - 1])
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(key_values, st.booleans()), min_size=1, max_size=30),
    st.sampled_from(["as drawn", "sorted", "strictly increasing"]),
)
def test_time_order_matches_reference(rows, arrangement) -> None:  # type: ignore[no-untyped-def]
    keys = np.array([k for k, _ in rows], dtype=np.int64)
    valid = np.array([v for _, v in rows])
    if arrangement != "as drawn":
        keys = np.sort(keys)
    if arrangement == "strictly increasing":
        keys = np.unique(keys)
        valid = valid[: keys.size]
    if not valid.any():
        valid[0] = True
    order, gk, whole = sensor_logger._time_order(keys, valid)
    want_order, want_gk = _time_order_reference(keys, valid)
    np.testing.assert_array_equal(order, want_order)
    np.testing.assert_array_equal(gk, want_gk)
    if whole:
        np.testing.assert_array_equal(order, np.arange(keys.size))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(key_values, st.booleans()), max_size=30),
    key_values,
    key_values,
)
def test_rows_inside_match_the_masks(rows, first, last) -> None:  # type: ignore[no-untyped-def]
    keys = np.array([k for k, _ in rows], dtype=np.int64)
    has_key = np.array([h for _, h in rows], dtype=bool)
    first, last = min(first, last), max(first, last)
    want = has_key & (keys >= first) & (keys <= last)
    inside = sensor_logger._rows_inside(keys, has_key, np.int64(first), np.int64(last))
    if inside is None:
        assert keys.size and want.all()
    else:
        np.testing.assert_array_equal(inside, want)


@pytest.mark.parametrize(
    ("values", "finite"),
    [([1.0, -2.0], True), ([1.0, np.nan], False), ([np.inf, 1.0], False), ([1e308, 1e308], True)],
)
def test_all_finite_is_false_for_any_nan_or_infinity(values, finite) -> None:  # type: ignore[no-untyped-def]
    # (A sum that overflows is checked value by value.)
    assert all_finite(np.array(values)) is finite


# --- The gravity check ------------------------------------------------------------------------


def _rest_magnitude_reference(
    seconds: np.ndarray, acc: tuple[np.ndarray, ...], scale: float
) -> float | None:
    """Every row masked, every value scaled, the median of a copy."""
    ok = np.isfinite(acc[0]) & np.isfinite(acc[1]) & np.isfinite(acc[2])
    if not ok.any():
        return None
    step = np.diff(seconds[ok]) if ok.sum() > 1 else np.array([0.01])
    positive = step[step > 0]
    rate = 1.0 / float(np.median(positive)) if positive.size else 100.0
    with np.errstate(over="ignore", invalid="ignore"):
        return quiet_magnitude(tuple(a[ok] * scale for a in acc), rate)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 700),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["clean", "nan", "inf", "huge", "repeated times", "empty"]),
    st.sampled_from([1.0 / 9.80665, -1.0 / 9.80665, 1.0]),
)
def test_gravity_check_matches_masked_reference(n, seed, damage, scale) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    seconds = np.cumsum(rng.uniform(0.004, 0.006, n))
    acc = tuple(rng.normal(0.0, 3.0, n) for _ in range(3))
    if n and damage in ("nan", "inf", "huge", "empty"):
        value = {"nan": np.nan, "inf": np.inf, "huge": 1.7e308, "empty": np.nan}[damage]
        rows = rng.integers(0, n, n if damage == "empty" else 1 + n // 50)
        acc[rng.integers(0, 3)][rows] = value
    if n > 4 and damage == "repeated times":
        seconds[n // 2] = seconds[n // 2 - 1]
    with np.errstate(over="ignore", invalid="ignore"):
        got = sensor_logger._rest_magnitude(seconds.copy(), acc, scale)
        want = _rest_magnitude_reference(seconds, acc, scale)
    assert (got is None) == (want is None)
    if got is not None:
        np.testing.assert_array_equal(_bits(np.array([got])), _bits(np.array([want])))


@pytest.mark.parametrize("rate", [1.0, 26.0, 49.9, 50.0, 104.0, 200.0, 1600.0, np.nan, -5.0])
def test_quiet_magnitude_scales_the_samples_it_looks_at_as_scaled_input(rate) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    acc = tuple(rng.normal(0.0, 9.0, 5000) for _ in range(3))
    scale = -1.0 / 9.80665
    want = quiet_magnitude(tuple(a * scale for a in acc), rate)
    assert quiet_magnitude(acc, rate, scale=scale) == want


# --- Whole files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ios_folders(tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """Unpacked iOS exports: equal and shifted times, trimmed ends, damaged clocks."""
    samples = short_session(5).samples.iloc[:3000].reset_index(drop=True)
    root = tmp_path_factory.mktemp("ios")
    variants = {
        "equal": {},
        "trimmed": {"gravity_trim_s": (0.5, 0.3)},
        "shifted": {"gravity_shift_s": 0.0013},
        "shifted_trimmed": {"gravity_shift_s": -0.002, "gravity_trim_s": (0.2, 0.4)},
        "excel": {"excel": True},
        "excel_gravity": {"excel_gravity": True},
        "standardised": {"standardised": True},
    }
    paths = {
        name: exporters.sensor_logger_ios(samples, root / name, archive=False, **kwargs)
        for name, kwargs in variants.items()
    }
    # Gravity's rows out of order, one repeated; cells padded with spaces (pyarrow's reader
    # gives up on them); a Gravity.csv that is not a Sensor Logger file; an accelerometer
    # that holds gravity already (Gravity.csv beside it is not needed).
    for name, edit in {
        "shuffled": lambda lines: [lines[0], *lines[1:][::-1], lines[5]],
        "padded": lambda lines: [lines[0]] + [line.replace(",", ", ") for line in lines[1:]],
        "not_sensor_logger": lambda lines: ["a,b,c", *lines[1:]],
    }.items():
        folder = root / name
        exporters.sensor_logger_ios(samples, folder, archive=False, gravity_shift_s=0.001)
        gravity = folder / "Gravity.csv"
        lines = gravity.read_text().splitlines()
        gravity.write_text("\n".join(edit(lines)) + "\n")
        paths[name] = folder / "Accelerometer.csv"
    folder = root / "holding_gravity"
    exporters.sensor_logger_ios(samples, folder, archive=False)
    total = exporters.sensor_logger(samples, root / "android", archive=False)
    (folder / "Accelerometer.csv").write_bytes(total.read_bytes())
    paths["holding_gravity"] = folder / "Accelerometer.csv"
    return paths


VARIANTS = [
    "equal",
    "trimmed",
    "shifted",
    "shifted_trimmed",
    "excel",
    "excel_gravity",
    "standardised",
    "shuffled",
    "padded",
    "not_sensor_logger",
    "holding_gravity",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_gravity_parsed_ahead_gives_what_parsing_it_when_needed_gives(
    variant, ios_folders, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    path = ios_folders[variant]
    ahead = _outcome(path)
    monkeypatch.setattr(sensor_logger, "submit", lambda fn, *args: None)  # no worker thread
    assert _outcome(path) == ahead


@pytest.mark.parametrize("variant", VARIANTS)
def test_gravity_member_parsed_ahead_gives_what_parsing_it_when_needed_gives(
    variant, ios_folders, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    folder = ios_folders[variant].parent
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ("Metadata.csv", "Accelerometer.csv", "Gravity.csv"):
            zf.write(folder / name, name)
    ahead = _outcome(path)
    monkeypatch.setattr(sensor_logger, "submit", lambda fn, *args: None)  # no worker thread
    assert _outcome(path) == ahead


@pytest.mark.parametrize("variant", VARIANTS)
def test_equal_times_shortcut_gives_what_interpolation_gives(
    variant, ios_folders, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    path = ios_folders[variant]
    taken = []
    same_times = sensor_logger._same_times
    monkeypatch.setattr(
        sensor_logger, "_same_times", lambda *args: taken.append(same_times(*args)) or taken[-1]
    )
    shortcut = _outcome(path)
    monkeypatch.setattr(sensor_logger, "_same_times", lambda *args: False)
    assert _outcome(path) == shortcut
    if variant in ("equal", "trimmed", "excel", "excel_gravity", "standardised"):
        assert taken == [True]


def test_checks_without_row_masks_give_what_masks_give(ios_folders, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Every row masked and every value scaled, as the reference does.
    for variant in VARIANTS:
        path = ios_folders[variant]
        fast = _outcome(path)
        with monkeypatch.context() as patch:
            patch.setattr(sensor_logger, "_rest_magnitude", _rest_magnitude_reference)
            assert _outcome(path) == fast, variant


def test_clean_table_is_what_read_table_gives(ios_folders) -> None:  # type: ignore[no-untyped-def]
    columns = sensor_logger._GRAVITY_COLUMNS
    for variant in VARIANTS:
        src = open_source(ios_folders[variant].parent / "Gravity.csv")
        try:
            names = sensor_logger._names(src)
        except InvalidRecordingError:
            continue
        where = {"offset": src.head.offset_after(0), "names": names, "columns": columns}
        clean = read_clean_table(src, delimiter=",", **where)
        # (Spaces in the cells and a clock saved by a spreadsheet need the other parsers.)
        assert (clean is None) == (variant in ("padded", "excel_gravity"))
        if clean is None:
            continue
        table = read_table(src, delimiter=",", **where)
        assert clean.rows == table.rows and clean.bad_rows == table.bad_rows == 0
        for name in columns:
            np.testing.assert_array_equal(clean.values[name], table.values[name])
            np.testing.assert_array_equal(clean.missing[name], table.missing[name])


def test_unneeded_gravity_parse_is_waited_for(ios_folders, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    jobs = []
    submit = sensor_logger.submit
    monkeypatch.setattr(
        sensor_logger, "submit", lambda fn, *args: jobs.append(submit(fn, *args)) or jobs[-1]
    )
    rec = load(ios_folders["holding_gravity"])
    assert rec.meta.extra["sensor"] == "Accelerometer"
    assert len(jobs) == 1 and jobs[0].done()
