"""The side-by-side paths give the same recordings, bit for bit, as the step-by-step ones.

Large files are parsed in parts (one per core) and their axes scaled while the time base is
worked out. Here the thresholds are lowered so that the short test files take those paths,
and every result is compared with the one read with both switched off: samples, metadata,
warnings and refusals.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import _normalise, _table, _threads, load
from tests.imu.formats import exporters
from tests.imu.formats.exporters import VARIANTS


def _read(path: Path, **kwargs: object) -> tuple:  # type: ignore[type-arg]
    """Samples (as bytes), metadata and warnings of a load, or the refusal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HopscopeWarning)
        try:
            rec = load(path, **kwargs)  # type: ignore[arg-type]
        except InvalidRecordingError as exc:
            return ("refused", str(exc))
    columns = tuple(rec.samples.columns)
    data = tuple(rec.samples[c].to_numpy().tobytes() for c in columns)
    return ("read", columns, data, repr(rec.meta), [str(w.message) for w in caught])


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> tuple:  # type: ignore[type-arg]
    """The load with the parallel paths switched off, then forced on; they must agree."""
    with monkeypatch.context() as m:
        m.setattr(_normalise, "PARALLEL_ROWS", 10**12)
        m.setattr(_table, "_PART_BYTES", 1 << 60)
        serial = _read(path, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(_normalise, "PARALLEL_ROWS", 0)
        m.setattr(_table, "_PART_BYTES", 4096)
        m.setattr(_threads, "cores", lambda: 3)  # more parts than this machine may have
        parallel = _read(path, **kwargs)
    assert parallel == serial
    return serial


@pytest.fixture
def head(samples):  # type: ignore[no-untyped-def]
    return samples.iloc[:3000].reset_index(drop=True)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_layout_reads_the_same_side_by_side(variant, head, tmp_path, monkeypatch):
    path = VARIANTS[variant](head, tmp_path)
    result = _both_ways(path, monkeypatch)
    assert result[0] == "read"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _mutations() -> dict[str, object]:
    def nan_rows(lines: list[bytes]) -> list[bytes]:
        n = len(lines[1].split(b","))
        lines[2000] = b",".join([b"NaN"] * n)
        lines[2500] = b",".join([b""] * n)
        return lines

    def extra_field(lines: list[bytes]) -> list[bytes]:
        lines[2200] += b",7"
        return lines

    def quoted_line_feed(lines: list[bytes]) -> list[bytes]:
        lines[1500] += b',"a\nb"'
        return lines

    def blank_lines(lines: list[bytes]) -> list[bytes]:
        lines[1700] += b"\n\n\r\n"
        return lines

    def cut_last_line(lines: list[bytes]) -> list[bytes]:
        while not lines[-1]:
            lines.pop()
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
        return lines

    def text_cell(lines: list[bytes]) -> list[bytes]:
        cells = lines[2900].split(b",")
        cells[-1] = b"n/a?"
        lines[2900] = b",".join(cells)
        return lines

    def negative_zero(lines: list[bytes]) -> list[bytes]:
        cells = lines[100].split(b",")
        cells[-1] = b"-0"
        lines[100] = b",".join(cells)
        return lines

    return {
        "nan_rows": nan_rows,
        "extra_field": extra_field,
        "quoted_line_feed": quoted_line_feed,
        "blank_lines": blank_lines,
        "cut_last_line": cut_last_line,
        "text_cell": text_cell,
        "negative_zero": negative_zero,
    }


@pytest.mark.parametrize("mutation", sorted(_mutations()))
@pytest.mark.parametrize(
    "writer",
    [
        lambda s, f: exporters.metabase(s, f),
        lambda s, f: exporters.phyphox(s, f, variant="android_simple"),
        lambda s, f: exporters.movesense(s, f),
        lambda s, f: exporters.movesense(s, f, packet=8, boot_ms=2**32 - 5000),
        lambda s, f: exporters.sensor_logger(s, f, archive=False),
        lambda s, f: exporters.witmotion_txt(s, f, dialect="txt2", start_line=False),
    ],
    ids=["metabase", "phyphox", "movesense", "movesense_wrapping", "sensor_logger", "wit_txt2"],
)
def test_damaged_files_read_the_same_side_by_side(mutation, writer, head, tmp_path, monkeypatch):
    path = writer(head, tmp_path)
    path.write_bytes(b"\n".join(_mutations()[mutation](_lines(path))))  # type: ignore[operator]
    _both_ways(path, monkeypatch)


def test_a_row_with_an_extra_field_is_not_read_past_when_columns_are_left_out(
    head, tmp_path, monkeypatch
):
    # MetaBase: the C reader leaves the text clock unread, which hides extra fields; the
    # delimiter count finds the row, and it is skipped and counted as in any other read.
    path = exporters.metabase(head, tmp_path)
    lines = _lines(path)
    lines[2200] += b",7"
    path.write_bytes(b"\n".join(lines))
    result = _both_ways(path, monkeypatch)
    assert result[0] == "read"
    assert "1 rows skipped (wrong number of fields" in result[3]


def test_rows_without_acceleration_are_skipped_after_the_side_by_side_start(
    head, tmp_path, monkeypatch
):
    path = exporters.phyphox(head, tmp_path)
    lines = _lines(path)
    lines[2000] = b"1.0E0,NaN,NaN,NaN,NaN"
    path.write_bytes(b"\n".join(lines))
    result = _both_ways(path, monkeypatch)
    assert result[0] == "read"
    assert "'skipped_rows': 1" in result[3]
    assert len(np.frombuffer(result[2][0])) == len(head) - 1


def test_a_forked_process_gets_its_own_worker_threads(monkeypatch):
    first = _threads.executor()
    assert _threads.executor() is first
    monkeypatch.setattr(_threads.os, "getpid", lambda: -1)
    other = _threads.executor()
    assert other is not first
    assert other.submit(lambda: 42).result() == 42


@pytest.mark.parametrize("packet", [2, 4, 13])
def test_movesense_packets_with_losses_rebuild_the_same_times(
    lossy_session, packet, tmp_path, monkeypatch
):
    # Times rebuilt from the packets alone equal those rebuilt from every row's stamp.
    path = exporters.movesense(lossy_session.samples, tmp_path, packet=packet)
    result = _both_ways(path, monkeypatch)
    assert result[0] == "read"
    assert "'time_rebuilt': True" in result[3]


def test_without_worker_threads_the_work_is_done_in_place(head, tmp_path, monkeypatch):
    # At interpreter shutdown the pool refuses new work: every step then runs in the caller.
    path = exporters.sensor_logger_ios(head, tmp_path, archive=False)
    expected = _both_ways(path, monkeypatch)

    class Closed:
        def submit(self, *args: object) -> None:
            raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(_threads, "executor", lambda: Closed())
    monkeypatch.setattr(_normalise, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(_table, "_PART_BYTES", 4096)
    monkeypatch.setattr(_threads, "cores", lambda: 3)
    assert _read(path) == expected
