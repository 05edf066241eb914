"""The hopscope recording format: a sample CSV and an optional JSON sidecar.

A recording is ``NAME.csv`` with the header ``time_s,ax_g,ay_g,az_g`` (optionally followed by
``gx_dps,gy_dps,gz_dps``), one row per sample, and an optional ``NAME.json`` beside it holding
:class:`RecordingMeta`. See ``docs/recording_format.md``.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import numpy as np
import pandas as pd

from imu.errors import InvalidRecordingError

TIME_COLUMN = "time_s"
ACC_COLUMNS = ("ax_g", "ay_g", "az_g")
GYRO_COLUMNS = ("gx_dps", "gy_dps", "gz_dps")
REQUIRED_COLUMNS = (TIME_COLUMN, *ACC_COLUMNS)
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *GYRO_COLUMNS)

LEGS = ("L", "R")
PLACEMENTS = ("laces", "heel", "ankle", "other")


@dataclass(frozen=True)
class RecordingMeta:
    """Metadata of a recording; every field is optional.

    Parameters
    ----------
    device : str, optional
        Device model, e.g. ``"Polar Verity Sense"``.
    device_id : str, optional
        Serial number or BLE address.
    firmware : str, optional
        Firmware version.
    sample_rate_hz : float, optional
        Nominal (configured) sample rate, in Hz.
    range_g : float, optional
        Accelerometer full scale, in ± g.
    start_utc : str, optional
        Start of the recording as an ISO 8601 string (UTC, or local time when the source only
        knows local time; then ``time_zone`` says ``"local"``).
    time_zone : str, optional
        ``"UTC"`` or ``"local"``.
    athlete : str, optional
        Athlete name or code.
    leg : {"L", "R"}, optional
        The leg the sensor is on.
    placement : {"laces", "heel", "ankle", "other"}, optional
        Where the sensor is clipped.
    body_mass_kg : float, optional
        Body mass in kg (needed for vertical stiffness).
    lost_packets : int, optional
        Packets lost on the radio, as counted by the recorder.
    lost_samples : int, optional
        Samples lost on the radio, as counted or estimated by the recorder.
    source_format : str, optional
        Format the samples were read from (``"hopscope"``, ``"polar_sensor_logger"``, ...).
    notes : str, optional
        Free text.
    extra : dict
        Anything else the sidecar or source file carried.
    """

    device: str | None = None
    device_id: str | None = None
    firmware: str | None = None
    sample_rate_hz: float | None = None
    range_g: float | None = None
    start_utc: str | None = None
    time_zone: str | None = None
    athlete: str | None = None
    leg: str | None = None
    placement: str | None = None
    body_mass_kg: float | None = None
    lost_packets: int | None = None
    lost_samples: int | None = None
    source_format: str | None = None
    notes: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    def replace(self, **changes: Any) -> RecordingMeta:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields that are set, as JSON-ready values."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "extra":
                out.update({k: v for k, v in value.items() if k not in out})
            elif value is not None:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<metadata>") -> RecordingMeta:
        """Build metadata from a mapping, checking types.

        Parameters
        ----------
        data : mapping
            Keys are field names; unknown keys go to ``extra``.
        source : str
            File name used in error messages.

        Raises
        ------
        InvalidRecordingError
            A known field has a value of the wrong type or outside its allowed set.
        """
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "extra"}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or value is None:
                if key not in known:
                    extra[key] = value
                continue
            kwargs[key] = _check_meta_value(key, value, source)
        return cls(**kwargs, extra=extra)


_FLOAT_FIELDS = {"sample_rate_hz", "range_g", "body_mass_kg"}
_INT_FIELDS = {"lost_packets", "lost_samples"}


def _check_meta_value(key: str, value: Any, source: str) -> Any:
    if key in _FLOAT_FIELDS:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise InvalidRecordingError(source, f"{key} must be a positive number, got {value!r}")
        return float(value)
    if key in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidRecordingError(
                source, f"{key} must be a non-negative whole number, got {value!r}"
            )
        return value
    if not isinstance(value, str):
        raise InvalidRecordingError(source, f"{key} must be text, got {value!r}")
    if key == "leg" and value.upper() not in LEGS:
        raise InvalidRecordingError(source, f"leg must be 'L' or 'R', got {value!r}")
    if key == "leg":
        return value.upper()
    if key == "placement" and value not in PLACEMENTS:
        raise InvalidRecordingError(
            source, f"placement must be one of {', '.join(PLACEMENTS)}, got {value!r}"
        )
    return value


@dataclass(frozen=True)
class Recording:
    """A sample table and its metadata.

    Parameters
    ----------
    samples : pandas.DataFrame
        Columns ``time_s`` (s), ``ax_g``, ``ay_g``, ``az_g`` (g, gravity included), optional
        ``gx_dps``, ``gy_dps``, ``gz_dps`` (°/s). Time strictly increases; lost samples are
        gaps in ``time_s``.
    meta : RecordingMeta
        Metadata.
    source : str, optional
        The file the recording came from.
    """

    samples: pd.DataFrame
    meta: RecordingMeta = field(default_factory=RecordingMeta)
    source: str | None = None


def sidecar_path(csv_path: str | os.PathLike[str]) -> Path:
    """Return the JSON sidecar path that belongs to a recording CSV."""
    return Path(csv_path).with_suffix(".json")


def validate_samples(samples: pd.DataFrame, *, source: str = "<samples>") -> pd.DataFrame:
    """Check a sample table and return it with float64 columns in canonical order.

    Parameters
    ----------
    samples : pandas.DataFrame
        The table to check.
    source : str
        Name used in error messages (a file name).

    Returns
    -------
    pandas.DataFrame
        A new table with the known columns in canonical order, as float64.

    Raises
    ------
    InvalidRecordingError
        A required column is missing, a column is unknown, a value is not a finite number,
        or time does not strictly increase. Line numbers assume one header line.
    """
    cols = [str(c) for c in samples.columns]
    _check_columns(cols, source)
    if len(samples) == 0:
        raise InvalidRecordingError(source, "no samples: expected at least one data row")
    order = [c for c in KNOWN_COLUMNS if c in cols]
    out: dict[str, np.ndarray] = {}
    for name in order:
        col = samples[name]
        try:
            values = col.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
            bad = int(np.flatnonzero(np.isnan(values))[0])
            raise InvalidRecordingError(
                source, f"expected a number, got {col.iloc[bad]!r}", line=bad + 2, column=name
            ) from None
        out[name] = values
    _check_values(out, source)
    return pd.DataFrame(out, copy=False)


def _check_columns(cols: list[str], source: str) -> None:
    """Check column names: the required ones present, none unknown, gyroscope all or none."""
    unknown = [c for c in cols if c not in KNOWN_COLUMNS]
    if unknown:
        raise InvalidRecordingError(
            source,
            f"unknown column {unknown[0]!r}; expected {','.join(REQUIRED_COLUMNS)}"
            f" and optionally {','.join(GYRO_COLUMNS)}",
            column=unknown[0],
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise InvalidRecordingError(
            source,
            f"missing column {missing[0]!r}; expected header {','.join(REQUIRED_COLUMNS)}",
            column=missing[0],
        )
    gyro = [c for c in GYRO_COLUMNS if c in cols]
    if gyro and len(gyro) != 3:
        absent = next(c for c in GYRO_COLUMNS if c not in cols)
        raise InvalidRecordingError(
            source,
            f"gyroscope columns come as a set of three; {absent!r} is missing",
            column=absent,
        )


def all_finite(values: np.ndarray) -> bool:
    """Whether every value is finite: one pass, no temporary array when they all are.

    A sum is finite only if every term is (NaN and infinity propagate); a sum that overflows
    is checked value by value.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(values.sum())) or bool(np.isfinite(values).all())


def _check_values(
    columns: dict[str, np.ndarray],
    source: str,
    *,
    finite: frozenset[str] = frozenset(),
    steps: tuple[float, float] | None = None,
) -> float | None:
    """Check that every value is finite and time strictly increases (columns in order).

    Parameters
    ----------
    columns : dict
        Column name to float64 values, in canonical order.
    source : str
        Name used in error messages.
    finite : frozenset of str
        Columns already known to hold only finite values.
    steps : tuple of float, optional
        The shortest and longest time step (:func:`step_range`), when already taken.

    Returns
    -------
    float or None
        The longest time step, or None with fewer than two samples.

    Raises
    ------
    InvalidRecordingError
        A value is not finite, or time does not strictly increase.
    """
    for name, values in columns.items():
        if name in finite or all_finite(values):
            continue
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise InvalidRecordingError(
            source,
            f"expected a finite number, got {float(values[bad])!r}",
            line=bad + 2,
            column=name,
        )
    t = columns[TIME_COLUMN]
    if len(t) < 2:
        return None
    shortest, longest = step_range(t) if steps is None else steps
    if not shortest > 0:
        step = np.diff(t)
        bad = int(np.flatnonzero(step <= 0)[0]) + 1
        what = "repeats" if step[bad - 1] == 0 else "goes backwards"
        raise InvalidRecordingError(
            source,
            f"time {what} ({float(t[bad - 1])!r} then {float(t[bad])!r});"
            " expected strictly increasing time_s",
            line=bad + 2,
            column=TIME_COLUMN,
        )
    return longest


#: Samples per block when scanning time steps (the block's steps stay in the CPU cache).
_STEP_BLOCK = 1 << 16


def step_blocks(t: np.ndarray) -> Iterator[np.ndarray]:
    """Yield the steps between consecutive times, block by block, in order.

    Each block is computed into one small buffer (reused: a block is valid until the next
    is asked for), without an array of all the steps (a fresh large array costs a page
    fault per page). Nothing is yielded for fewer than two times.
    """
    if t.size < 2:
        return
    buffer = pooled_array(min(_STEP_BLOCK, t.size - 1))
    for start in range(0, t.size - 1, _STEP_BLOCK):
        stop = min(start + _STEP_BLOCK, t.size - 1)
        yield np.subtract(t[start + 1 : stop + 1], t[start:stop], out=buffer[: stop - start])


def step_range(t: np.ndarray) -> tuple[float, float]:
    """Return the shortest and the longest step between consecutive times.

    The steps are taken block by block (:func:`step_blocks`). Both are NaN when there is no
    step (a single time) or when any step is NaN.
    """
    if t.size < 2:
        return np.nan, np.nan
    lows, highs = [], []
    for block in step_blocks(t):
        lows.append(block.min())
        highs.append(block.max())
    # np.min / np.max keep a NaN of any block (the builtins would drop it).
    return float(np.min(lows)), float(np.max(highs))


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a hopscope recording CSV and its sidecar, if any.

    Parameters
    ----------
    path : str or path-like
        The CSV file. ``NAME.json`` beside it is read as metadata when present.

    Returns
    -------
    Recording
        Validated samples and metadata.

    Raises
    ------
    InvalidRecordingError
        The file is missing, empty, not in the hopscope layout, or holds bad values.

    Examples
    --------
    >>> from imu.recording import read_recording
    >>> rec = read_recording("sample_data/good_3p2hz.csv")  # doctest: +SKIP
    >>> list(rec.samples.columns)[:4]  # doctest: +SKIP
    ['time_s', 'ax_g', 'ay_g', 'az_g']
    """
    return _read_recording(path)[0]


def _read_recording(
    path: str | os.PathLike[str],
) -> tuple[Recording, float | None, dict[str, tuple[float, float]]]:
    """:func:`read_recording`, also returning what its checks computed on the way.

    Returns the recording, the longest time step (None below 2 rows) and the ``(max, min)``
    of the acceleration columns.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InvalidRecordingError(source, "file not found")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise InvalidRecordingError(
            source, "the file is empty; expected a header time_s,ax_g,ay_g,az_g"
        )
    header_line = head.splitlines()[0].decode("utf-8-sig", errors="replace")
    header = [h.strip() for h in header_line.split(",")]
    # Header problems first: they give the clearest message.
    validate_header(header, source=source)
    columns, finite, extremes, steps = _read_columns(path, header, source)
    if not len(columns[header[0]]):
        raise InvalidRecordingError(source, "no samples: expected at least one data row")
    ordered = {c: columns[c] for c in KNOWN_COLUMNS if c in columns}
    longest = _check_values(ordered, source, finite=finite, steps=steps)
    samples = pd.DataFrame(ordered, copy=False)
    meta = read_sidecar(sidecar_path(path)) if sidecar_path(path).is_file() else RecordingMeta()
    if meta.source_format is None:
        meta = meta.replace(source_format="hopscope")
    return Recording(samples=samples, meta=meta, source=source), longest, extremes


def validate_header(header: list[str], *, source: str) -> None:
    """Check a recording header, raising :class:`InvalidRecordingError` when it is wrong."""
    _check_columns(header, source)
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InvalidRecordingError(source, f"column {dup!r} appears twice", line=1, column=dup)


#: Threads that join and check the columns of a large file (numpy and pyarrow release the
#: interpreter lock while they copy and reduce).
_JOIN_WORKERS = max(1, min(2, os.cpu_count() or 1))

#: Rows from which the columns are joined in parallel.
_PARALLEL_ROWS = 1 << 18

#: Files from this size (bytes) are parsed in pieces side by side (:func:`_read_in_pieces`).
_PIECES_MIN_BYTES = 1 << 23

#: Pieces per parsing thread: two, so that a thread given little CPU time (a busy machine)
#: leaves part of its share to the others; more pieces cost more than they balance.
_PIECES_PER_WORKER = 2


class _Column(NamedTuple):
    """A column joined into one array, and what was learnt about it on the way."""

    values: np.ndarray
    #: Every value is known to be finite.
    finite: bool
    #: ``(max, min)`` of a finite acceleration column, else None.
    extremes: tuple[float, float] | None
    #: Shortest and longest step of a finite time column, else None.
    step_range: tuple[float, float] | None


def _read_inferred(path: Path, header: list[str]) -> Any:
    """Read the CSV with pyarrow's type inference; None unless every column is numeric.

    The first read of a file below :data:`_PIECES_MIN_BYTES` (larger ones are read by
    :func:`_read_in_pieces`); integer and empty columns are cast to float64. It skips work a
    file of plain numbers does not need: quotes are not looked for and no cell is compared
    with pyarrow's list of null spellings (``NA``, ``null``, ...; ``nan`` still parses as
    NaN), a few per cent of the parse. Anything else (text, a quoted or empty cell, a column
    whose type changes down the file, a header that is not exactly ``header``) returns None,
    and the caller reads the file as float64 columns with pyarrow's usual options, which
    reads quoted numbers and finds the bad cell.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(quote_char=False),
            convert_options=pacsv.ConvertOptions(null_values=[], strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    types = table.schema.types
    if table.column_names != header or not all(
        pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t) for t in types
    ):
        return None
    if all(t == pa.float64() for t in types):
        return table
    try:
        return table.cast(pa.schema([(h, pa.float64()) for h in header]))
    except pa.ArrowInvalid:  # an integer beyond 2**53: parsed as a float64 by the caller
        return None


def _read_in_pieces(path: Path, header: list[str]) -> Any:
    """Read a large CSV of plain numbers as float64 columns, in pieces parsed side by side.

    The rows after the header are cut at line ends into :data:`_PIECES_PER_WORKER` pieces per
    thread, each parsed by pyarrow on one thread (from the memory-mapped file, without a
    copy); the pieces' chunks are then laid end to end. This costs less CPU time than
    pyarrow's own multi-threaded reader of the whole file (4-8 % less on the one-hour
    benchmark recording), and the values are the same: the same parser reads every cell as
    float64 (a whole number is the float64 that pyarrow's integer column would be cast to).

    Like :func:`_read_inferred` it neither looks for quotes nor compares cells with pyarrow's
    null spellings, and it returns None for anything but plain numbers under the names of
    ``header`` (spaces around them allowed): the caller then reads the file with pyarrow's
    usual options, which finds the bad cell.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with pa.memory_map(str(path)) as source:
        data = source.read_buffer()
    view = memoryview(data)
    head_end = bytes(view[:65536]).find(b"\n") + 1
    names = bytes(view[: max(head_end - 1, 0)]).rstrip(b"\r").decode("utf-8-sig", "replace")
    if not head_end or [name.strip() for name in names.split(",")] != header:
        return None
    size = len(data)
    n_pieces = _JOIN_WORKERS * _PIECES_PER_WORKER
    cuts = [head_end]
    for j in range(1, n_pieces):
        start = max(cuts[-1], head_end + (size - head_end) * j // n_pieces)
        step = bytes(view[start : start + 65536]).find(b"\n")
        if step < 0 and start + 65536 < size:
            return None  # (a line over 64 kB long: not a recording of numbers)
        cuts.append(start + step + 1 if step >= 0 else size)
    cuts.append(size)
    del view
    options = {
        "read_options": pacsv.ReadOptions(use_threads=False, column_names=header),
        "parse_options": pacsv.ParseOptions(quote_char=False),
        "convert_options": pacsv.ConvertOptions(
            column_types={h: pa.float64() for h in header},
            null_values=[],
            strings_can_be_null=False,
        ),
    }

    def parse(piece: tuple[int, int]) -> Any:
        start, stop = piece
        if stop <= start:
            return None
        return pacsv.read_csv(pa.BufferReader(data.slice(start, stop - start)), **options)

    try:
        with ThreadPoolExecutor(max_workers=_JOIN_WORKERS) as pool:
            tables = list(pool.map(parse, itertools.pairwise(cuts)))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    tables = [t for t in tables if t is not None]
    if not tables:
        return None
    return pa.concat_tables(tables)


def _read_columns(
    path: Path, header: list[str], source: str
) -> tuple[
    dict[str, np.ndarray],
    frozenset[str],
    dict[str, tuple[float, float]],
    tuple[float, float] | None,
]:
    """Read the CSV fast with pyarrow, straight to numpy; on failure, find the first bad line.

    Returns the columns (float64), the names of those known to hold only finite values, the
    ``(max, min)`` of the acceleration columns that hold only finite values, and the shortest
    and longest time step when the time column holds only finite values (else None).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if path.stat().st_size >= _PIECES_MIN_BYTES and _JOIN_WORKERS > 1:
        table = _read_in_pieces(path, header)
    else:
        table = _read_inferred(path, header)
    if table is None:
        try:
            table = pacsv.read_csv(
                path,
                # (The header's names as checked, spaces around them stripped.)
                read_options=pacsv.ReadOptions(skip_rows=1, column_names=header),
                convert_options=pacsv.ConvertOptions(
                    column_types={h: pa.float64() for h in header}, strings_can_be_null=False
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
            _locate_bad_cell(path, header, source)
            raise InvalidRecordingError(source, "cannot be read as a numeric CSV table") from None

    def join(name: str) -> _Column:
        return _join_chunks(table.column(name), acc=name in ACC_COLUMNS, time=name == TIME_COLUMN)

    # Empty cells arrive as NaN (null); report them with their place. A finite sum (or
    # finite extremes, which the clipping count needs anyway) means every value is finite,
    # so only a column with NaN or infinity is looked at cell by cell. Sums and extremes are
    # taken chunk by chunk while the chunks are joined, when each chunk is in the CPU cache;
    # the columns of a large file are joined in parallel.
    if table.num_rows >= _PARALLEL_ROWS and _JOIN_WORKERS > 1:
        with ThreadPoolExecutor(max_workers=_JOIN_WORKERS) as pool:
            joined = list(pool.map(join, header))
    else:
        joined = [join(name) for name in header]
    columns: dict[str, np.ndarray] = {}
    finite: set[str] = set()
    extremes: dict[str, tuple[float, float]] = {}
    steps = None
    for name, col in zip(header, joined, strict=True):
        columns[name] = col.values
        if col.finite:
            finite.add(name)
            if col.extremes is not None:
                extremes[name] = col.extremes
            if col.step_range is not None:
                steps = col.step_range
            continue
        nan = np.isnan(col.values)
        if nan.any():
            bad = int(np.flatnonzero(nan)[0])
            raise InvalidRecordingError(
                source, "expected a number, got an empty cell or NaN", line=bad + 2, column=name
            )
    return columns, frozenset(finite), extremes, steps


def pooled_array(n: int, dtype: type = np.float64) -> np.ndarray:
    """Return an uninitialised, writable array of ``n`` values from pyarrow's memory pool.

    The pool keeps freed memory for reuse, while a large numpy allocation is usually mapped
    fresh from the system and then faulted in page by page as it is first written (about a
    third of a millisecond per column of a file of a few MB, several milliseconds for a
    column of an hour at 1 kHz). The array keeps its buffer alive.
    """
    import pyarrow as pa

    kind = np.dtype(dtype)
    return np.frombuffer(pa.allocate_buffer(kind.itemsize * n), dtype=kind)


def _join_chunks(column: Any, *, acc: bool, time: bool = False) -> _Column:
    """Join a pyarrow column's chunks into one float64 array, checking them on the way.

    Each chunk is checked right after it is copied, while it is in the CPU cache. Every
    value is known to be finite when an acceleration column has finite extremes (kept, for
    the clipping count), the time column (``time``) a finite first value and finite steps
    (whose shortest and longest, :func:`step_range`, are kept for the time checks: a step
    from or to a NaN or an infinity is not finite), or another column a finite sum.
    """
    chunks = [c.to_numpy(zero_copy_only=False) for c in column.chunks]
    if not chunks:
        return _Column(np.zeros(0, dtype=np.float64), True, None, None)
    if len(chunks) == 1:
        out = chunks[0]
    else:
        out = pooled_array(sum(len(c) for c in chunks))
    ok = True
    highs, lows = [], []
    if time:
        steps = pooled_array(max(len(c) for c in chunks))
        previous = None  # the last time of the chunk before
    pos = 0
    for chunk in chunks:
        if len(chunks) > 1:
            out[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        if not ok or not len(chunk):
            continue
        if acc:
            high, low = chunk.max(), chunk.min()
            ok = bool(np.isfinite(high) and np.isfinite(low))
            highs.append(high)
            lows.append(low)
        elif time:
            if previous is None:  # the first chunk: the first time must be finite
                ok = bool(np.isfinite(chunk[0]))
            # (A step from or to an infinity is NaN or infinite, quietly: it is not finite.)
            with np.errstate(invalid="ignore", over="ignore"):
                if previous is not None:  # the step from the chunk before
                    lows.append(chunk[0] - previous)
                    highs.append(chunk[0] - previous)
                block = np.subtract(chunk[1:], chunk[:-1], out=steps[: len(chunk) - 1])
            if len(block):
                lows.append(np.minimum.reduce(block))
                highs.append(np.maximum.reduce(block))
            previous = chunk[-1]
        else:
            ok = all_finite(chunk)
    if acc:
        if not out.size:
            # (An empty acceleration column: checked like any other below.)
            return _Column(out, bool(np.isfinite(out.sum())), None, None)
        if ok:
            return _Column(out, True, (max(highs), min(lows)), None)
    if time and ok and len(out) >= 2:
        # np.min / np.max keep a NaN (the builtins would drop it).
        shortest, longest = float(np.min(lows)), float(np.max(highs))
        if np.isfinite(shortest) and np.isfinite(longest):
            return _Column(out, True, None, (shortest, longest))
        ok = False
    return _Column(out, ok, None, None)


def _locate_bad_cell(path: Path, header: list[str], source: str) -> None:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise InvalidRecordingError(
                    source,
                    f"expected {len(header)} fields as in the header, got {len(row)}",
                    line=line_no,
                )
            for name, cell in zip(header, row, strict=True):
                try:
                    float(cell)
                except ValueError:
                    raise InvalidRecordingError(
                        source, f"expected a number, got {cell!r}", line=line_no, column=name
                    ) from None


def read_sidecar(path: str | os.PathLike[str]) -> RecordingMeta:
    """Read a JSON metadata sidecar.

    Raises
    ------
    InvalidRecordingError
        The file is not a JSON object or a field has the wrong type.
    """
    source = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRecordingError(source, f"cannot read metadata sidecar: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidRecordingError(
            source, f"expected JSON metadata: {exc.msg}", line=exc.lineno
        ) from None
    if not isinstance(data, dict):
        raise InvalidRecordingError(source, "expected a JSON object with metadata fields")
    return RecordingMeta.from_dict(data, source=source)


def write_sidecar(path: str | os.PathLike[str], meta: RecordingMeta) -> None:
    """Write metadata as a JSON sidecar (atomically: written aside, then renamed)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(meta.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _format_block(samples: pd.DataFrame, columns: list[str]) -> str:
    """Format rows as CSV text: time with 6 decimals (µs), acceleration 5, rotation 3."""
    parts = []
    for name in columns:
        values = samples[name].to_numpy(dtype=np.float64)
        digits = 6 if name == TIME_COLUMN else (5 if name.endswith("_g") else 3)
        parts.append(np.char.mod(f"%.{digits}f", values))
    rows = parts[0]
    for p in parts[1:]:
        rows = np.char.add(np.char.add(rows, ","), p)
    return "\n".join(rows.tolist()) + "\n" if len(rows) else ""


def write_recording(
    path: str | os.PathLike[str],
    samples: pd.DataFrame,
    meta: RecordingMeta | None = None,
) -> Path:
    """Write a recording CSV (and its sidecar when ``meta`` is given).

    Parameters
    ----------
    path : str or path-like
        Destination ``NAME.csv``.
    samples : pandas.DataFrame
        Sample table (checked with :func:`validate_samples`).
    meta : RecordingMeta, optional
        Metadata for ``NAME.json``.

    Returns
    -------
    pathlib.Path
        The CSV path written.
    """
    path = Path(path)
    clean = validate_samples(samples, source=str(path))
    with RecordingWriter(path, gyro=GYRO_COLUMNS[0] in clean.columns, meta=meta) as writer:
        writer.append(clean)
    return path


class RecordingWriter:
    """Append samples to a recording CSV in order, flushing to disk on request.

    The header is written and flushed on open, so a process killed at any moment leaves a file
    that loads, complete up to the last :meth:`flush`. A partly written last line (killed mid
    write) is the only thing that can be lost; :func:`repair_recording` trims it.

    Parameters
    ----------
    path : str or path-like
        Destination ``NAME.csv`` (created or truncated).
    gyro : bool
        Whether gyroscope columns are written.
    meta : RecordingMeta, optional
        Written to the sidecar on open and again on :meth:`close`.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, gyro: bool = False, meta: RecordingMeta | None = None
    ) -> None:
        self.path = Path(path)
        self.columns = list(REQUIRED_COLUMNS) + (list(GYRO_COLUMNS) if gyro else [])
        self.meta = meta
        self.rows_written = 0
        self._last_time = -math.inf
        self._fh: TextIO = self.path.open("w", encoding="utf-8", newline="\n")
        self._fh.write(",".join(self.columns) + "\n")
        self.flush()
        if meta is not None:
            write_sidecar(sidecar_path(self.path), meta)

    def append(self, samples: pd.DataFrame) -> None:
        """Append rows; time must continue to increase strictly."""
        if len(samples) == 0:
            return
        t = samples[TIME_COLUMN].to_numpy(dtype=np.float64)
        if t[0] <= self._last_time or (len(t) > 1 and not (np.diff(t) > 0).all()):
            raise ValueError(
                "`samples` must continue the recording with strictly increasing time_s"
            )
        self._fh.write(_format_block(samples, self.columns))
        self._last_time = float(t[-1])
        self.rows_written += len(samples)

    def flush(self) -> None:
        """Push written rows to the operating system and the disk."""
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def update_meta(self, meta: RecordingMeta) -> None:
        """Replace the sidecar metadata (written atomically)."""
        self.meta = meta
        write_sidecar(sidecar_path(self.path), meta)

    def close(self) -> None:
        """Flush and close the file, and write the sidecar once more."""
        if self._fh.closed:
            return
        self.flush()
        self._fh.close()
        if self.meta is not None:
            write_sidecar(sidecar_path(self.path), self.meta)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_recording(path: str | os.PathLike[str]) -> int:
    """Trim a partly written last line left by a killed recorder.

    Returns
    -------
    int
        The number of bytes removed (0 when the file ended cleanly).
    """
    path = Path(path)
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as fh:
        fh.truncate(keep)
    return len(data) - keep
