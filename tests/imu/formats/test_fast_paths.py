"""The vectorised shortcuts of the readers give the same answers as plain reference loops."""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import load
from imu.formats._normalise import Skips, _anchors, clipped_samples, finish, grid_time
from imu.formats._source import open_source
from imu.recording import read_recording, step_range


def _flat_tops_reference(acc: tuple[np.ndarray, ...]) -> int:
    """Samples in runs of >= 3 equal values at an axis extreme beyond 1.5 g, one by one."""
    n = acc[0].size
    hit = [False] * n
    for a in acc:
        for extreme in (a.max(), a.min()):
            if abs(extreme) < 1.5 or np.count_nonzero(a == extreme) < 3:
                continue
            i = 0
            while i < n:
                j = i
                while j < n and a[j] == extreme:
                    j += 1
                if j - i >= 3:
                    for k in range(i, j):
                        hit[k] = True
                i = max(j, i + 1)
    return sum(hit)


axis = st.lists(st.sampled_from([-2.0, -1.6, -0.5, 0.0, 1.0, 1.6, 2.0]), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(*[axis.map(lambda v: v[:n])] * 3)))
def test_flat_tops_match_reference(axes: tuple[list[float], ...]) -> None:
    n = min(len(a) for a in axes)
    acc = tuple(np.array(a[:n]) for a in axes)
    count, rule = clipped_samples(acc, None)
    assert count == _flat_tops_reference(acc)
    assert rule.startswith("flat tops")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-20, 20, allow_nan=False), min_size=3, max_size=60),
    st.sampled_from([2.0, 4.0, 8.0, 16.0]),
)
def test_full_scale_clipping_matches_reference(values: list[float], range_g: float) -> None:
    a = np.array(values)
    acc = (a, a[::-1].copy(), np.roll(a, 1))
    expected = int((np.abs(np.vstack(acc)) >= 0.98 * range_g).any(axis=0).sum())
    assert clipped_samples(acc, range_g)[0] == expected


def _grid_reference(time_s: np.ndarray, rate_hz: float, stamp_at: str) -> np.ndarray:
    """Row times with each row given the lost-sample count of its burst by a gather."""
    from scipy.ndimage import median_filter

    n, p = time_s.size, 1.0 / rate_hz
    index = np.arange(n, dtype=np.float64)
    anchors = _anchors(time_s, stamp_at)
    excess = (time_s[anchors] - time_s[anchors[0]]) / p - (anchors - anchors[0])
    smooth = (
        median_filter(excess, size=min(9, excess.size), mode="nearest")
        if stamp_at == "end"
        else excess
    )
    base = float(np.median(smooth[: min(9, smooth.size)]))
    lost = np.maximum.accumulate(np.maximum(np.round(smooth - base), 0.0))
    lost -= lost[0]
    burst = [0]
    for i in range(1, n):
        burst.append(burst[-1] + int(time_s[i] != time_s[i - 1]))
    return (index + lost[np.array(burst)]) * p


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=3, max_size=80),
    st.booleans(),
    st.sampled_from(["start", "end"]),
)
def test_grid_time_matches_reference(ticks: list[int], ordered: bool, stamp_at: str) -> None:
    t = np.array(sorted(ticks) if ordered else ticks, dtype=np.float64) * 0.01
    expected = _grid_reference(t, 100.0, stamp_at)
    got, _ = grid_time(t, 100.0, stamp_at=stamp_at)
    np.testing.assert_array_equal(got, expected)
    given_anchors, _ = grid_time(t, 100.0, stamp_at=stamp_at, anchors=_anchors(t, stamp_at))
    np.testing.assert_array_equal(given_anchors, expected)
    times_only, no_index = grid_time(t, 100.0, stamp_at=stamp_at, index=False)
    np.testing.assert_array_equal(times_only, expected)
    assert no_index is None


def test_finish_leaves_the_callers_arrays_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.csv"
    path.write_text("t\n0\n")
    n = 2000
    t = np.arange(n) / 200.0
    acc = (np.full(n, 0.5), np.zeros(n), np.full(n, 9.80665))
    before = [a.copy() for a in acc]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        rec = finish(
            open_source(path),
            fmt="test",
            time_s=t,
            acc=acc,
            scale_to_g=1 / 9.80665,
            unit="m/s²",
            skips=Skips(),
            time_source="t",
        )
    for a, b in zip(acc, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert rec.samples["az_g"].to_numpy() == pytest.approx(1.0)


def test_finish_counts_rows_with_an_overflowing_axis_sum(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Values so large that their sum overflows are unusable rows, skipped and counted."""
    path = tmp_path / "x.csv"
    path.write_text("t\n0\n")
    n = 400
    ax = np.zeros(n)
    ax[7] = 1.5e308
    ay = np.zeros(n)
    ay[7] = 1.5e308
    with pytest.warns(HopscopeWarning, match="1 rows skipped"):
        rec = finish(
            open_source(path),
            fmt="test",
            time_s=np.arange(n) / 200.0,
            acc=(ax, ay, np.ones(n)),
            scale_to_g=1.0,
            unit="g",
            skips=Skips(),
            time_source="t",
        )
    assert len(rec.samples) == n - 1
    assert rec.meta.extra["skipped_rows"] == 1


def test_recording_with_infinity_names_the_cell(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rec.csv"
    path.write_text("time_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0,1\n0.02,inf,0,1\n")
    with pytest.raises(InvalidRecordingError, match=r"line 4, column 'ax_g'.*finite number"):
        read_recording(path)
    with pytest.raises(InvalidRecordingError, match=r"line 4, column 'ax_g'"):
        load(path)


def test_recording_columns_in_canonical_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rec.csv"
    rows = "\n".join(f"{i / 100},{i},0,1" for i in range(5))
    path.write_text(
        "ax_g,time_s,ay_g,az_g\n"
        + "\n".join(
            ",".join([r.split(",")[1], r.split(",")[0], "0", "1"]) for r in rows.split("\n")
        )
        + "\n"
    )
    rec = read_recording(path)
    assert list(rec.samples.columns) == ["time_s", "ax_g", "ay_g", "az_g"]
    np.testing.assert_array_equal(rec.samples["ax_g"].to_numpy(), np.arange(5.0))
    np.testing.assert_allclose(rec.samples["time_s"].to_numpy(), np.arange(5) / 100)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 3 * 86400 * 1000), min_size=1, max_size=30),
    st.sampled_from(["time", "ymd", "ymd_colon", "mdy", "dmy", "no_fraction"]),
    st.booleans(),
    st.booleans(),
)
def test_fixed_width_clock_matches_general_parser(
    ms: list[int], layout: str, padded: bool, damaged: bool
) -> None:
    import pyarrow as pa

    import imu.formats._common as common

    cells: list[str | None] = []
    for value in ms:
        sec, f = divmod(value, 1000)
        day, sec = divmod(sec, 86400)
        h, rest = divmod(sec, 3600)
        m, s = divmod(rest, 60)
        y, mo, d = 2026, 1 + day % 12, 1 + (day * 7) % 31  # some dates do not exist
        clock = f"{h:02d}:{m:02d}:{s:02d}"
        cell = {
            "time": f"{clock}.{f:03d}",
            "ymd": f"{y}-{mo:02d}-{d:02d} {clock}.{f:03d}",
            "ymd_colon": f"{y}-{mo:02d}-{d:02d} {clock}:{f:03d}",
            "mdy": f"{mo:02d}/{d:02d}/{y} {clock}.{f:03d}",
            "dmy": f"{d:02d}.{mo:02d}.{y} {clock}.{f:03d}",
            "no_fraction": f"{y}/{mo:02d}/{d:02d} {clock}",
        }[layout]
        cells.append((" " if padded else "") + cell)
    if damaged:
        cells[len(cells) // 2] = "25:61:00.000"
    column = pa.chunked_array([pa.array(cells, pa.string())])
    fast = common.clock_seconds(column)
    original = common._fixed_width_clock
    common._fixed_width_clock = lambda *args: None  # the general parser alone
    try:
        general = common.clock_seconds(column)
    finally:
        common._fixed_width_clock = original
    np.testing.assert_array_equal(fast, general)


def test_fixed_width_clock_is_taken_for_a_regular_column() -> None:
    import pyarrow as pa

    from imu.formats._common import _CLOCK, _fixed_width_clock

    cells = [" 23:59:59.995", " 00:00:00.000", " 00:00:00.005"]
    column = pa.chunked_array([pa.array(cells)])
    seconds = _fixed_width_clock(column, cells[0].strip(), _CLOCK.match(cells[0].strip()))
    assert seconds is not None
    np.testing.assert_allclose(seconds, [86399.995, 0.0, 0.005])
    ragged = pa.chunked_array([pa.array(["9:26:53.589", "10:26:53.589"])])
    assert _fixed_width_clock(ragged, "9:26:53.589", _CLOCK.match("9:26:53.589")) is None


@pytest.mark.parametrize("n", [2, 3, 1000, 50_001, 150_001])
@pytest.mark.parametrize("gaps", [False, True])
def test_time_stats_from_the_longest_step_match_full_steps(n: int, gaps: bool) -> None:
    from imu.formats._normalise import time_stats

    rng = np.random.default_rng(n)
    step = 0.005 + rng.normal(0, 1e-5, n - 1)
    if gaps:
        step[rng.integers(0, n - 1, 3)] = 0.05
    t = np.concatenate([[0.0], np.cumsum(step)])
    full = time_stats(t, step=np.diff(t))
    assert time_stats(t, longest_step=float(np.diff(t).max())) == full
    assert time_stats(t) == full


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=30),
    st.lists(st.integers(0, 5), min_size=30, max_size=30),
)
def test_repeat_runs_matches_numpy_repeat(values: list[float], counts: list[int]) -> None:
    from imu.formats._normalise import repeat_runs

    v = np.array(values)
    c = np.array(counts[: len(values)], dtype=np.int64)
    np.testing.assert_array_equal(repeat_runs(v, c), np.repeat(v, c))
    same = np.full(v.size, max(1, counts[0]))  # runs all as long but the ends (a broadcast)
    if v.size:
        same[0], same[-1] = max(1, counts[1]), max(1, counts[2])
    np.testing.assert_array_equal(repeat_runs(v, same), np.repeat(v, same))


def _fitted_rate_reference(time_s: np.ndarray, anchors: np.ndarray) -> float | None:
    """The least-squares rate fit written plainly, one temporary array per step."""
    if anchors.size < 3:
        return None
    x = anchors.astype(np.float64)
    y = time_s[anchors]
    dx, dy = np.diff(x), np.diff(y)
    local = dy / dx
    positive = local[local > 0]
    if positive.size == 0:
        return None
    period = float(np.median(positive))
    excess = dy - dx * period
    spread = 1.4826 * float(np.median(np.abs(excess - np.median(excess))))
    split = (excess > max(period, 4.0 * spread)) | (dy <= 0)
    seg = np.concatenate([[0], np.cumsum(split)])
    counts = np.bincount(seg).astype(np.float64)
    xc = x - (np.bincount(seg, x) / counts)[seg]
    yc = y - (np.bincount(seg, y) / counts)[seg]
    denom = float((xc * xc).sum())
    if denom <= 0:
        return 1.0 / period
    slope = float((xc * yc).sum()) / denom
    return 1.0 / slope if slope > 0 and np.isfinite(slope) else None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=3, max_size=120),
    st.booleans(),
    st.sampled_from(["start", "end"]),
    st.floats(0.0, 0.004),
)
def test_fitted_rate_matches_plain_formula(
    ticks: list[int], ordered: bool, stamp_at: str, jitter: float
) -> None:
    from imu.formats._normalise import fitted_rate

    rng = np.random.default_rng(len(ticks))
    t = np.array(sorted(ticks) if ordered else ticks, dtype=np.float64) * 0.01
    t += rng.uniform(0.0, jitter, t.size) * (np.diff(t, prepend=-1.0) != 0)
    anchors = _anchors(t, stamp_at)
    changes = np.flatnonzero(np.diff(t) != 0)
    plain = (
        np.concatenate([[0], changes + 1])
        if stamp_at == "start"
        else np.concatenate([changes, [t.size - 1]])
    )
    np.testing.assert_array_equal(anchors, plain)
    assert fitted_rate(t, stamp_at=stamp_at) == _fitted_rate_reference(t, anchors)


def test_unwrap_counter_without_wraps_is_a_new_array() -> None:
    from imu.formats._normalise import unwrap_counter

    counter = np.array([5, 9, 200, 4000], dtype=np.int64)
    out = unwrap_counter(counter, 16)
    np.testing.assert_array_equal(out, counter)
    assert not np.shares_memory(out, counter)
    np.testing.assert_array_equal(
        unwrap_counter(np.array([65000, 65530, 10, 400]), 16), [65000, 65530, 65546, 65936]
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.just(np.nan), st.just(np.inf)), min_size=2, max_size=40
    ),
    st.integers(1, 7),
)
def test_step_range_by_blocks_matches_full_steps(times: list[float], block: int) -> None:
    import imu.recording as recording

    t = np.array(times)
    before = recording._STEP_BLOCK
    recording._STEP_BLOCK = block
    try:
        with np.errstate(invalid="ignore"):  # inf - inf (as inside finish)
            step = np.diff(t)
            low, high = step_range(t)
    finally:
        recording._STEP_BLOCK = before
    np.testing.assert_array_equal([low, high], [step.min(), step.max()])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=0, max_size=60),
    st.lists(st.integers(1, 20), min_size=1, max_size=6),
    st.integers(0, 5),
)
def test_valid_float_cells_match_the_cells_read_one_by_one(
    cells: list[float | None], cuts: list[int], skip: int
) -> None:
    import pyarrow as pa

    from imu.formats._table import _valid_float_cells

    # Pieces of the column as the parser hands them over, some of them slices (an offset
    # into their buffers), some with no empty cell, some with nothing else.
    chunks, start = [], 0
    for size in cuts:
        part = cells[start : start + size]
        start += size
        if not part:
            break
        whole = pa.array([None] * skip + part, type=pa.float64())
        chunks.append(whole.slice(skip))
    if start < len(cells):
        chunks.append(pa.array(cells[start:], type=pa.float64()))
    col = pa.chunked_array(chunks, type=pa.float64())
    rows, values = _valid_float_cells(col)
    kept = cells[: sum(len(c) for c in chunks)]
    expected_rows = [i for i, v in enumerate(kept) if v is not None]
    np.testing.assert_array_equal(rows, np.array(expected_rows, dtype=np.int64))
    np.testing.assert_array_equal(values, np.array([kept[i] for i in expected_rows]))


@pytest.mark.parametrize("scale", [1, 2**50])
def test_centred_row_numbers_match_running_sums(scale: int) -> None:
    from imu.formats._normalise import _centre_rows

    rows = np.array([0, 1, 2, 5, 6, 9, 10, 11, 12, 40], dtype=np.int64) * scale
    bounds = [0, 3, 5, 10]
    got = rows.astype(np.float64)
    _centre_rows(got, rows, bounds)
    # The mean of each stretch from a running sum of its values, as fitted_rate defines it.
    expected = rows.astype(np.float64)
    for a, b in pairwise(bounds):
        total = np.add.accumulate(expected[a:b])[-1]
        expected[a:b] -= total / np.float64(b - a)
    np.testing.assert_array_equal(got, expected)
