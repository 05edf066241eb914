"""Fast, tolerant parsing of the data part of a delimited text file with pyarrow and pandas.

Clean data go to one of two fast paths, so nothing loops over rows in Python: pyarrow's
multi-threaded CSV reader with the wanted columns typed, or pandas' C reader on the wanted
columns, with data of a few MB cut at line ends and the parts parsed side by side (each
layout names the one that costs it less; the other takes over when the first gives up).
Rows with the wrong number of fields (a file cut in the middle of a line) are skipped and
counted. When a cell cannot be converted (text in a number column, Excel-mangled clocks),
the columns are read again as text and converted with vectorised coercion; every cell that
fails is counted, never hidden.
"""

from __future__ import annotations

import csv
import warnings
from concurrent.futures import wait
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from imu.formats import _threads
from imu.formats._source import Source
from imu.formats._threads import submit

FLOAT = pa.float64()
INT = pa.int64()
TEXT = pa.string()

#: Share of rows with a wrong field count above which a file is refused instead of repaired.
MAX_BAD_ROW_SHARE = 0.01

_INT_PATTERN = r"^\s*[-+]?(\d{1,18}|[1-8]\d{18})\s*$"


class Chunked(list):  # type: ignore[type-arg]
    """One numeric column as the consecutive pieces the parser produced (numpy arrays).

    The pieces are views of the parser's memory (read-only). :func:`~imu.formats._normalise.
    finish` writes them straight into the recording's arrays, which saves joining them first.
    """

    @property
    def size(self) -> int:
        """Number of values in all pieces."""
        return sum(part.size for part in self)

    def join(self) -> np.ndarray:
        """Return the column as one array (a view when there is a single piece)."""
        if len(self) == 1:
            return self[0]
        return np.concatenate(self)


@dataclass
class Table:
    """Columns read from a delimited text file.

    Parameters
    ----------
    values : dict
        Column name to a numpy array (float64 with NaN for missing, int64 with 0 for missing)
        or, for text columns, a pyarrow ChunkedArray. Columns held in ``chunks`` are joined
        into an array on first access.
    missing : dict
        Column name to a boolean array: the cell was empty, ``NaN`` or could not be converted.
    bad_cells : dict
        Column name to the number of non-empty cells that could not be converted.
    bad_example : dict
        Column name to ``(row, text)`` of the first such cell (row counted from 0 in the data).
    rows : int
        Number of rows parsed.
    bad_rows : int
        Rows skipped because their field count differs from the header's.
    bad_row_example : str
        The text of the first such row.
    chunks : dict
        Numeric columns still in the parser's pieces (see :meth:`parts`).
    complete : set
        Columns known to have no missing cell (their masks are made only when asked for).
    columns : dict
        Numeric columns as the parser returned them; turned into ``chunks`` on first use.
    """

    values: dict[str, object]
    missing: dict[str, np.ndarray]
    bad_cells: dict[str, int] = field(default_factory=dict)
    bad_example: dict[str, tuple[int, str]] = field(default_factory=dict)
    rows: int = 0
    bad_rows: int = 0
    bad_row_example: str = ""
    chunks: dict[str, Chunked] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)
    columns: dict[str, pa.ChunkedArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.chunks = _PieceMap(self.chunks, self.columns)
        self.values = _JoinedMap(self.values, self.chunks)
        self.missing = _MissingMap(self.missing, self)

    def float(self, name: str) -> np.ndarray:
        """Return a column as float64 (NaN where missing)."""
        return self.values[name]  # type: ignore[return-value]

    def int(self, name: str) -> np.ndarray:
        """Return an integer column as int64 (0 where missing; see :attr:`missing`)."""
        return self.values[name]  # type: ignore[return-value]

    def parts(self, name: str) -> Chunked:
        """Return a numeric column as pieces, without joining them (one piece once joined)."""
        if name in self.chunks and not dict.__contains__(self.values, name):
            return self.chunks[name]
        return Chunked([self.values[name]])

    def present(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows of a float column that hold a number, and those numbers.

        Empty cells and ``NaN`` hold none. A column still as parsed is searched through its
        validity bits, without first filling its empty cells in an array of all rows.
        """
        col = self.columns.get(name)
        if col is not None and not dict.__contains__(self.chunks, name):
            if col.type == FLOAT:
                rows, values = _valid_float_cells(col)
            else:
                rows, values = _valid_cells(col)
            with np.errstate(over="ignore", invalid="ignore"):
                nan = np.isnan(values.sum())  # no NaN unless the sum is one (a pass, no mask)
            if nan:
                number = ~np.isnan(values)
                rows, values = rows[number], values[number]
            return rows, values
        rows_parts, value_parts, pos = [], [], 0
        for part in self.parts(name):
            at = np.flatnonzero(~np.isnan(part))
            rows_parts.append(at + pos)
            value_parts.append(part[at])
            pos += part.size
        if not rows_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(rows_parts), np.concatenate(value_parts)

    def has_missing(self, name: str) -> bool:
        """Whether a column has a missing cell."""
        return name not in self.complete and bool(self.missing[name].any())

    def first_valid(self, name: str) -> object:
        """Return the first value of a numeric column that is not missing, or None."""
        if name in self.complete:
            return self.item(name, 0) if self.rows else None
        missing = self.missing[name]
        if missing.size == 0 or missing.all():
            return None
        return self.item(name, int(np.argmin(missing)))

    def item(self, name: str, row: int) -> object:
        """Return one value of a numeric column, without joining its pieces."""
        for part in self.parts(name):
            if row < part.size:
                return part[row]
            row -= part.size
        raise IndexError(f"row {row} is beyond column {name!r}")


def _valid_cells(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows of a parsed numeric column that are not null, and their values."""
    found, pos = [], 0
    for chunk in col.chunks:
        if chunk.null_count == 0:
            found.append(np.arange(pos, pos + len(chunk), dtype=np.int64))
        elif chunk.null_count < len(chunk):
            at = pc.indices_nonzero(chunk.is_valid()).to_numpy()
            found.append(at.astype(np.int64) + pos)
        pos += len(chunk)
    rows = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return rows, col.drop_null().to_numpy().astype(np.float64, copy=False)


def _valid_float_cells(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_valid_cells` of a float64 column, from its buffers.

    Each piece's validity bits are unpacked into one byte per row and its values read in
    place, without pyarrow's filter (about half the time on a column that is mostly empty).
    """
    rows_parts, value_parts, pos = [], [], 0
    for chunk in col.chunks:
        n, offset = len(chunk), chunk.offset
        validity, data = chunk.buffers()
        values = np.frombuffer(data, dtype=np.float64, count=offset + n)[offset:]
        if chunk.null_count == 0:
            rows_parts.append(np.arange(pos, pos + n, dtype=np.int64))
            value_parts.append(values)
        elif chunk.null_count < n:
            bits = np.frombuffer(validity, dtype=np.uint8)
            valid = np.unpackbits(bits, count=offset + n, bitorder="little")[offset:]
            at = np.flatnonzero(valid.view(bool))
            value_parts.append(values[at])
            at += pos
            rows_parts.append(at)
        pos += n
    if not rows_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if len(rows_parts) == 1:  # its own arrays, or views of the parser's memory (read-only)
        return rows_parts[0], value_parts[0]
    return np.concatenate(rows_parts), np.concatenate(value_parts)


class _PieceMap(dict):  # type: ignore[type-arg]
    """Columns in pieces; parsed columns are turned into numpy pieces on first use."""

    def __init__(self, chunks: dict[str, Chunked], columns: dict[str, pa.ChunkedArray]) -> None:
        super().__init__(chunks)
        self._columns = columns

    def __missing__(self, name: str) -> Chunked:
        parts = _pieces(self._columns[name])
        self[name] = parts
        return parts

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self._columns


class _JoinedMap(dict):  # type: ignore[type-arg]
    """Column values; columns still in pieces are joined on first use."""

    def __init__(self, values: dict[str, object], chunks: dict[str, Chunked]) -> None:
        super().__init__(values)
        self._chunks = chunks

    def __missing__(self, name: str) -> object:
        value = self._chunks[name].join()
        self[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self._chunks


class _MissingMap(dict):  # type: ignore[type-arg]
    """Missing-cell masks, computed on first use.

    Complete columns get an all-False mask; in float columns NaN marks the missing cells.
    """

    def __init__(self, masks: dict[str, np.ndarray], table: Table) -> None:
        super().__init__(masks)
        self._table = table

    def __missing__(self, name: str) -> np.ndarray:
        table = self._table
        if name in table.complete:
            size = table.chunks[name].size if name in table.chunks else table.rows
            mask = np.zeros(size, dtype=bool)
        else:
            mask = np.isnan(table.values[name])  # type: ignore[call-overload]
        self[name] = mask
        return mask


def split_fields(line: str, delimiter: str) -> list[str]:
    """Split one line into fields the way the CSV parser will (double quotes honoured)."""
    if delimiter == " ":
        return line.split()
    clean = line.replace("\r", " ").replace("\x00", " ")
    try:
        return next(csv.reader([clean], delimiter=delimiter), [])
    except (csv.Error, TypeError):
        return clean.split(delimiter)


def column_names(
    src: Source, header: list[str], first_data: str | None, delimiter: str, *, line: int
) -> list[str]:
    """Names for the parser: the header, plus an unnamed column for a trailing delimiter.

    Raises
    ------
    InvalidRecordingError
        The first data line has a field count that does not fit the header.
    """
    names: list[str] = []
    for i, h in enumerate(header):
        name = h if h else f"_unnamed_{i}"
        names.append(name if name not in names else f"{name}_{i}")
    if first_data is None:
        return names
    fields = split_fields(first_data, delimiter)
    n = len(fields)
    if n == len(names) + 1 and fields[-1].strip() == "":
        return [*names, "_trailing_delimiter"]
    if n > len(names) + 1 or (n == len(names) + 1 and fields[-1].strip() != ""):
        hint = (
            " (numbers with decimal commas in a comma-separated file? export with a decimal "
            "point or another delimiter; locale exports of this kind are not supported)"
            if delimiter == ","
            else ""
        )
        raise src.error(
            f"expected {len(names)} fields per row as in the header, got {n}{hint}", line=line
        )
    return names


def read_table(
    src: Source,
    *,
    offset: int,
    names: list[str],
    columns: dict[str, pa.DataType],
    delimiter: str,
    decimal: str = ".",
    first_line: int = 2,
    parser: str = "arrow",
) -> Table:
    """Parse the data part of a delimited file.

    Parameters
    ----------
    src : Source
        The content.
    offset : int
        Byte offset where the data rows start (after any preamble and header).
    names : list of str
        Names of every field of a row, in order (see :func:`column_names`).
    columns : dict
        The wanted columns and their types (:data:`FLOAT`, :data:`INT` or :data:`TEXT`).
    delimiter : str
        Field delimiter (a single character; ``" "`` means runs of spaces).
    decimal : str
        Decimal mark, ``"."`` or ``","``.
    first_line : int
        1-based line number of the first data row, for messages.
    parser : {"arrow", "c"}
        The parser tried first on clean data: pyarrow's multi-threaded reader, or pandas' C
        reader (the least CPU time on some layouts: short numbers, columns left unread; used
        for numeric columns only). On clean data both give the same values; the other one
        takes over when the first gives up.

    Returns
    -------
    Table

    Raises
    ------
    InvalidRecordingError
        Too many rows have the wrong field count, or the data cannot be parsed at all.
    """
    data = src.buffer.slice(min(offset, src.size))
    if _blank(data):
        return _empty_table(columns)
    # The layout's faster parser first (see ``parser``), the other one when it gives up.
    numeric = TEXT not in columns.values()
    readers = [_read_fast, _read_arrow] if parser == "c" and numeric else [_read_arrow, _read_fast]
    where = _file_and_lines(src, offset)
    for reader in readers:
        fast = reader(
            data, names=names, columns=columns, delimiter=delimiter, decimal=decimal, path=where
        )
        if fast is not None:
            return fast
    if delimiter == " ":
        data = pa.py_buffer(_squeeze_spaces(data.to_pybytes()))
        delimiter = "\t"
    bad_rows: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row.text if not bad_rows else "")
        return "skip"

    def convert(types: dict[str, pa.DataType]) -> pacsv.ConvertOptions:
        return pacsv.ConvertOptions(
            include_columns=list(columns),
            column_types=types,
            decimal_point=decimal,
            strings_can_be_null=True,
            check_utf8=False,
        )

    def parse(types: dict[str, pa.DataType], tolerant: bool) -> pa.Table:
        bad_rows.clear()
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                invalid_row_handler=on_invalid if tolerant else None,
                ignore_empty_lines=True,
            ),
            convert_options=convert(types),
        )

    # Fast path: strict parse with the wanted types. Rows with a wrong field count make it
    # fail; the tolerant pass then skips and counts them (with damaged bytes replaced first,
    # since the parser hands such rows to Python as text). Unconvertible cells make it fail
    # too; the text pass then coerces and counts them.
    tolerant = False
    types = dict(columns)
    table = None
    for _ in range(3):
        try:
            table = parse(types, tolerant)
            break
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "conversion error" in message and types != dict.fromkeys(columns, TEXT):
                types = dict.fromkeys(columns, TEXT)
            elif not tolerant and "CSV parse error" in message:
                tolerant = True
                data = _valid_utf8(data)
            else:
                raise src.error(
                    f"cannot be parsed as {_delim_name(delimiter)} text: {message}"
                ) from None
    if table is None:
        raise src.error(f"cannot be parsed as {_delim_name(delimiter)} text")
    fallback = types != columns
    rows = table.num_rows
    out = Table(values={}, missing={}, rows=rows, bad_rows=len(bad_rows))
    if bad_rows:
        out.bad_row_example = bad_rows[0]
        if len(bad_rows) > max(2, MAX_BAD_ROW_SHARE * (rows + len(bad_rows))):
            raise src.error(
                f"expected {len(names)} fields per row as in the header; {len(bad_rows)} of "
                f"{rows + len(bad_rows)} rows differ (first: {bad_rows[0][:80]!r})",
            )
    for name, kind in columns.items():
        col = table.column(name)
        if fallback:
            _coerce(out, name, col, kind, decimal)
        elif kind == TEXT:
            col = valid_text(col)
            out.values[name] = col
            out.missing[name] = col.is_null().to_numpy(zero_copy_only=False)
        elif kind == INT:
            out.missing[name] = col.is_null().to_numpy(zero_copy_only=False)
            out.values[name] = col.fill_null(0).to_numpy()
        else:
            values = col.to_numpy().astype(np.float64, copy=False)
            out.values[name] = values
            out.missing[name] = np.isnan(values)
    return out


def read_clean_table(
    src: Source,
    *,
    offset: int,
    names: list[str],
    columns: dict[str, pa.DataType],
    delimiter: str,
    decimal: str = ".",
) -> Table | None:
    """:func:`read_table` with pyarrow's reader alone: clean data, or None.

    Whenever it returns a table, :func:`read_table` (``parser="arrow"``) returns the same.
    It may run on a worker thread while the interpreter does other work: unlike the other
    parsers it leaves the process-wide warning filters alone. Data it cannot read (None)
    are left to :func:`read_table`.
    """
    data = src.buffer.slice(min(offset, src.size))
    if _blank(data):
        return _empty_table(columns)
    return _read_arrow(data, names=names, columns=columns, delimiter=delimiter, decimal=decimal)


def _blank(data: pa.Buffer) -> bool:
    """Whether the data part is short and holds nothing but whitespace."""
    return data.size < 4096 and not data.to_pybytes().strip()


def _empty_table(columns: dict[str, pa.DataType]) -> Table:
    """Return a table of no rows with the wanted columns."""
    return Table(
        values={
            name: pa.chunked_array([pa.array([], TEXT)])
            if kind == TEXT
            else np.zeros(0, dtype=np.int64 if kind == INT else np.float64)
            for name, kind in columns.items()
        },
        missing={name: np.zeros(0, dtype=bool) for name in columns},
    )


def _read_arrow(
    data: pa.Buffer,
    *,
    names: list[str],
    columns: dict[str, pa.DataType],
    delimiter: str,
    decimal: str,
    path: tuple[str, int] | None = None,
) -> Table | None:
    """Parse clean data with pyarrow's multi-threaded reader, only the wanted columns.

    (``path`` is accepted for the signature the C reader shares, and not used.)

    Returns None (the next path takes over) for whitespace-separated data, cells padded with
    spaces (the parser does not trim them), or any row or cell that does not parse: the
    strict types make such data fail instead of being read wrongly.
    """
    if delimiter == " " or _padded(data, delimiter):
        return None
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_block_size(data.size)),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char='"', ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(columns),
                column_types=columns,
                decimal_point=decimal,
                strings_can_be_null=True,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = Table(values={}, missing={}, rows=table.num_rows)
    for name, kind in columns.items():
        col = table.column(name)
        if kind == TEXT:
            out.values[name] = col
            out.missing[name] = (
                col.is_null().to_numpy(zero_copy_only=False)
                if col.null_count
                else np.zeros(len(col), dtype=bool)
            )
        elif kind == INT and col.null_count:
            out.missing[name] = col.is_null().to_numpy(zero_copy_only=False)
            out.values[name] = _numpy(col.fill_null(0))
        else:
            # Left in the parser's pieces: they are joined only if a reader needs one array,
            # while the recording's columns are filled from them directly.
            if kind == INT:
                out.complete.add(name)
            out.columns[name] = col
    return out


#: The largest and the smallest block handed to pyarrow's parsing threads.
_MAX_BLOCK = 2 << 20
_MIN_BLOCK = 256 << 10


def _block_size(size: int) -> int:
    """Bytes per block for pyarrow's CSV reader on ``size`` bytes of data.

    Blocks of 2 MiB on large files: measurably faster than the default 1 MiB on exports of
    ten MB and more (fewer blocks to hand between the threads). Smaller data are cut into
    at least three blocks: with two (or one) the parsing threads wait for each other at the
    end, and three blocks read a 4 MB export about 0.2 ms faster, a 1 MB one 0.4 ms. (A
    line longer than a block, which no export has, is left to the next parser.)
    """
    return min(_MAX_BLOCK, max(_MIN_BLOCK, -(-size // 3)))


def _pieces(col: pa.ChunkedArray) -> Chunked:
    """Return a numeric column's chunks as numpy arrays (nulls as NaN for floats).

    Floats with empty cells are filled with NaN by pyarrow (in its memory pool) so that the
    arrays are views of pyarrow's memory like the others.
    """
    if col.num_chunks == 0:
        return Chunked([np.zeros(0, dtype=col.type.to_pandas_dtype())])
    parts = Chunked()
    for chunk in col.chunks:
        if chunk.null_count and pa.types.is_floating(chunk.type):
            chunk = pc.fill_null(chunk, np.nan)
        parts.append(chunk.to_numpy(zero_copy_only=False))
    return parts


def _numpy(col: pa.ChunkedArray) -> np.ndarray:
    """Return a numeric column as one numpy array (nulls as NaN for floats)."""
    if col.num_chunks == 1:
        return col.chunk(0).to_numpy(zero_copy_only=False)
    if col.num_chunks == 0:
        return np.zeros(0, dtype=col.type.to_pandas_dtype())
    # One copy into an array of its own (later steps may then work on it in place).
    return np.concatenate([chunk.to_numpy(zero_copy_only=False) for chunk in col.chunks])


def _padded(data: pa.Buffer, delimiter: str) -> bool:
    """Whether the first data lines have cells padded with spaces."""
    head = data[: min(data.size, 4096)].to_pybytes()
    head = head[: head.rfind(b"\n") + 1] or head
    sep = delimiter.encode()
    return head.startswith(b" ") or sep + b" " in head or b" " + sep in head or b" \n" in head


def _read_fast(
    data: pa.Buffer,
    *,
    names: list[str],
    columns: dict[str, pa.DataType],
    delimiter: str,
    decimal: str,
    path: tuple[str, int] | None = None,
) -> Table | None:
    """Parse clean data with pandas' C tokenizer; None when the data need the tolerant path.

    The C tokenizer needs the least CPU time of the parsers on several layouts, and it lets
    go of the interpreter while it works: data of a few MB are cut at line ends into one
    part per core, parsed side by side and kept as the column's pieces. Any surprise (a row
    with too many fields, an unreadable cell, an integer clock with gaps) returns None and
    the next path takes over, which counts and reports what it skips.
    """
    # Float columns are asked for as float64: the same values as pyarrow's (a lone "-0"
    # stays -0.0) and text in them fails at once. Integer columns are left to inference:
    # only a column of plain integers comes out as int64, so Excel's "1.54747E+12" or a gap
    # in an integer clock makes it float and sends it to the strict path.
    dtype: dict[str, object] = {n: np.float64 for n, kind in columns.items() if kind == FLOAT}
    usecols = _used_columns(names, columns, delimiter)
    # Numbers only, and no unnamed column at the end: first without looking cells up among
    # the spellings of a missing value (the last column then read as numbers too, so that a
    # short row still fails). A file with such a cell fails that read and is read again
    # with the look-ups; any read that succeeds gives what the second one would.
    plain = TEXT not in columns.values() and not names[-1].startswith(
        ("_unnamed_", "_trailing_delimiter")
    )
    for na_filter in (False, True) if plain else (True,):
        types = dtype if na_filter else {**dtype, names[-1]: np.float64}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                # Unconvertible values are detected from the dtypes below, not from warnings.
                warnings.simplefilter("ignore")
                frames = _read_c(
                    data, names, columns, types, delimiter, decimal, path, usecols, na_filter
                )
        except (
            ValueError,
            TypeError,
            OverflowError,
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
        ):
            continue
        return _fast_table(frames, data, names=names, columns=columns, delimiter=delimiter)
    return None


def _read_c(data, names, columns, dtype, delimiter, decimal, path, usecols, na_filter):  # type: ignore[no-untyped-def]
    """Return the frames of the C reader (in parts when large enough), field counts checked."""
    frames, count = _read_parts(data, names, dtype, delimiter, decimal, usecols, na_filter)
    if frames is not None and not _text_stays_text(frames, columns):
        # A part inferred a text column as numbers: what the whole would give depends on
        # the other parts, so the data are read in one piece.
        frames, count = None, None
    if frames is None:
        frames = [_read_csv_c(data, names, dtype, delimiter, decimal, path, usecols, na_filter)]
    if usecols is not None and not _field_count_fits(frames, data, names, delimiter, count):
        # A row may have more fields than the header (the reader drops the extra ones of a
        # row when it reads some columns only): read every column.
        frames = [_read_csv_c(data, names, dtype, delimiter, decimal, path, None, na_filter)]
    return frames


def _text_stays_text(frames: list[pd.DataFrame], columns: dict[str, pa.DataType]) -> bool:
    """Whether every part read the text columns as text (not inferred as numbers)."""
    return all(
        frame[name].dtype.kind not in "iufb"
        for name, kind in columns.items()
        if kind == TEXT
        for frame in frames
    )


#: Data of at least this size are parsed in parts side by side (one per core).
_PART_BYTES = 2 << 20
#: Files above this size are parsed by the C reader in chunks (bounded memory).
_ONE_PASS_BYTES = 64 << 20


def _read_parts(data, names, dtype, delimiter, decimal, usecols, na_filter=True):  # type: ignore[no-untyped-def]
    """Parse the data cut at line ends into one part per core, side by side.

    Returns the frames and, when only some columns are read (``usecols``), the delimiters
    counted in the parts as they are parsed (see :func:`_field_count_fits`); ``(None,
    None)`` when the data are not cut. A cut inside a quoted field leaves the part before it
    ending in an open quote, which the reader refuses: then the caller reads the data in
    one piece. The caller holds the warning filters (they are process-wide) until this
    returns, with every part done.
    """
    parts_wanted = min(_threads.cores(), data.size // _PART_BYTES)
    if parts_wanted < 2:
        return None, None
    raw = np.frombuffer(data, dtype=np.uint8)
    cuts = [0]
    for k in range(1, parts_wanted):
        at = int(data.size * k // parts_wanted)
        # The first line feed at or after the even split point (searched in a small window).
        found = np.flatnonzero(raw[at : at + 65536] == 10)
        if found.size == 0:
            return None, None
        cuts.append(at + int(found[0]) + 1)
    cuts.append(data.size)
    if any(b <= a for a, b in pairwise(cuts)):
        return None, None
    parts = [data.slice(a, b - a) for a, b in pairwise(cuts)]

    def read(part: pa.Buffer) -> tuple[pd.DataFrame, int]:
        with np.errstate(all="ignore"):  # per thread
            frame = _read_csv_c(part, names, dtype, delimiter, decimal, None, usecols, na_filter)
            return frame, 0 if usecols is None else _count_byte(part, delimiter)

    pending = [submit(read, part) for part in parts[1:]]
    if any(job is None for job in pending):  # no worker threads: read in one piece
        wait([job for job in pending if job is not None])
        return None, None
    try:
        done = [read(parts[0]), *(job.result() for job in pending)]
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError, pd.errors.EmptyDataError):
        for job in pending:
            job.cancel()
        wait(pending)
        return None, None
    return [frame for frame, _ in done], sum(count for _, count in done)


def _used_columns(
    names: list[str], columns: dict[str, pa.DataType], delimiter: str
) -> list[str] | None:
    """Columns the C reader must convert: the wanted ones and the last named one.

    None (all of them) when that is every column, for whitespace-separated data, and when
    the header ends with unnamed columns (a trailing delimiter some rows may lack).
    """
    if delimiter == " " or names[-1].startswith(("_unnamed_", "_trailing_delimiter")):
        return None
    used = set(columns) | {names[-1]}
    if len(used) == len(names):
        return None
    return [n for n in names if n in used]


#: Bytes compared at a time when counting delimiters (a buffer that stays in the cache).
_COUNT_BLOCK = 1 << 19


def _count_byte(data: pa.Buffer, char: str) -> int:
    """Count the occurrences of a one-byte character in the data, block by block."""
    raw = np.frombuffer(data, dtype=np.uint8)
    code = ord(char)
    hits = np.empty(min(_COUNT_BLOCK, raw.size), dtype=bool)
    count = 0
    for start in range(0, raw.size, _COUNT_BLOCK):
        block = raw[start : start + _COUNT_BLOCK]
        count += int(np.count_nonzero(np.equal(block, code, out=hits[: block.size])))
    return count


def _field_count_fits(
    frames: list[pd.DataFrame],
    data: pa.Buffer,
    names: list[str],
    delimiter: str,
    count: int | None = None,
) -> bool:
    """Whether the delimiters in the data are exactly those of the rows read.

    Rows with fewer fields show as empty cells in the last column (checked later); then no
    row has more fields either. A cut last line (dropped later) has its own count, which
    is always taken into account: a row with too many fields must not make up for it.
    Quoted delimiters also make the count differ: then every column is read.
    """
    rows = sum(len(f) for f in frames)
    if count is None:
        count = _count_byte(data, delimiter)
    expected = rows * (len(names) - 1)
    last = _last_line(data)
    fields = len(split_fields(last, delimiter))
    if last.strip() and fields < len(names):
        expected -= len(names) - fields
    return count == expected


def _last_line(data: pa.Buffer) -> str:
    """Return the last non-empty line of the data (from its last 4 KiB)."""
    tail = data[max(0, data.size - 4096) :].to_pybytes().rstrip(b"\r\n")
    return tail[tail.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")


def _file_and_lines(src: Source, offset: int) -> tuple[str, int] | None:
    """Return the file and its line count before ``offset``, when the C reader can use them.

    The C reader is fastest on a path; it then skips the preamble and header lines itself.
    Lone carriage returns would make its line count differ from ours, so they rule it out.
    """
    if src.path is None or src.member is not None or offset > len(src.head.raw):
        return None
    before = src.head.raw[:offset]
    if b"\r" in before.replace(b"\r\n", b""):
        return None
    lines = before.count(b"\n")
    header_line = before[before.rfind(b"\n", 0, max(len(before) - 1, 0)) + 1 :]
    try:
        header_line.decode("utf-8")
    except UnicodeDecodeError:
        return str(src.path), -lines  # skip it unread: the C reader would have to decode it
    return str(src.path), lines


def _read_csv_c(data, names, dtype, delimiter, decimal, path=None, usecols=None, na_filter=True):  # type: ignore[no-untyped-def]
    source, skip = (pa.BufferReader(data), 0) if path is None else path
    # On a file, the line before the data is read as a header and replaced by `names`:
    # measurably cheaper than skipping it (a negative count: skip them all unread).
    return pd.read_csv(
        source,
        skiprows=max(skip - 1, 0) if skip > 0 else -skip,
        header=0 if skip > 0 else None,
        skip_blank_lines=True,
        sep=r"\s+" if delimiter == " " else delimiter,
        names=names,
        dtype=dtype,
        decimal=decimal,
        quotechar='"',
        index_col=False,
        usecols=usecols,
        na_filter=na_filter,
        engine="c",
        # One pass (no chunks to join) unless the file is large.
        low_memory=data.size > _ONE_PASS_BYTES,
        on_bad_lines="error",
    )


def _fast_table(
    frames: list[pd.DataFrame],
    data: pa.Buffer,
    *,
    names: list[str],
    columns: dict[str, pa.DataType],
    delimiter: str,
) -> Table | None:
    bad_rows = 0
    example = ""
    if len(frames[-1]):
        last = _last_line(data)
        fields = len(split_fields(last, delimiter))
        if last.strip() and fields < len(names):
            frames = [*frames[:-1], frames[-1].iloc[:-1]]
            bad_rows, example = 1, last
    # Every row must have had exactly the header's fields. The C reader stops at a row with
    # too many, but pads a short row with empty cells at the end: an empty cell in the last
    # column (or a filled unnamed column after a trailing delimiter) sends the file to the
    # strict path, which counts such rows instead of misaligning them.
    unnamed = 0
    while unnamed < len(names) and names[len(names) - 1 - unnamed].startswith(
        ("_unnamed_", "_trailing_delimiter")
    ):
        unnamed += 1
    if unnamed == len(names):
        return None
    for frame in frames:
        if any(frame[n].notna().any() for n in names[len(names) - unnamed :]):
            return None
        if _has_empty_cell(frame[names[len(names) - 1 - unnamed]]):
            return None
    rows = sum(len(frame) for frame in frames)
    out = Table(values={}, missing={}, rows=rows, bad_rows=bad_rows, bad_row_example=example)
    if len(frames) > 1:
        # Columns in parts: numbers kept as the column's pieces, text as its chunks.
        for name, kind in columns.items():
            if kind == TEXT:
                chunks, masks = [], []
                for frame in frames:
                    col = frame[name]
                    arr = pa.array(col)  # zero-copy from pandas' Arrow-backed strings
                    if isinstance(arr, pa.ChunkedArray):
                        arr = arr.combine_chunks()
                    chunks.append(arr.cast(TEXT))
                    masks.append(col.isna().to_numpy())
                out.values[name] = pa.chunked_array(chunks, type=TEXT)
                out.missing[name] = np.concatenate(masks)
                continue
            pieces = Chunked()
            for frame in frames:
                col = frame[name]
                if kind == INT and col.dtype != np.int64:
                    return None
                if kind == FLOAT and col.dtype != np.float64:
                    return None
                pieces.append(col.to_numpy())
            out.chunks[name] = pieces
            if kind == INT:
                out.complete.add(name)
        return out
    frame = frames[0]
    for name, kind in columns.items():
        col = frame[name]
        if kind == TEXT:
            if col.dtype.kind in "iufb":  # a numeric-looking text column: back to text
                col = col.astype(str).where(col.notna())
            arr = pa.array(col)  # zero-copy from pandas' Arrow-backed strings
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            out.values[name] = pa.chunked_array([arr.cast(TEXT)])
            out.missing[name] = col.isna().to_numpy()
        elif kind == INT:
            if col.dtype != np.int64:
                return None
            out.values[name] = col.to_numpy(dtype=np.int64)
            out.missing[name] = np.zeros(len(col), dtype=bool)
        else:
            if col.dtype.kind not in "fiu":
                return None
            out.values[name] = col.to_numpy(dtype=np.float64)
    return out


def _has_empty_cell(col: pd.Series) -> bool:
    """Whether a column read by the C reader has an empty (or NA) cell.

    A float column has one only if its sum is NaN, which one pass without a mask shows.
    """
    if col.dtype == np.float64:
        values = col.to_numpy()
        with np.errstate(invalid="ignore", over="ignore"):  # (inf + -inf is NaN too)
            total = values.sum()
        return bool(np.isnan(total)) and bool(np.isnan(values).any())
    return bool(col.isna().any())


def valid_text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return a text column with invalid UTF-8 replaced (only damaged files take the slow path)."""
    try:
        col.validate(full=True)
        return col
    except pa.ArrowInvalid:
        raw = col.cast(pa.binary()).to_pylist()
        return pa.chunked_array(
            [pa.array([None if v is None else v.decode("utf-8", "replace") for v in raw], TEXT)]
        )


def _coerce(out: Table, name: str, col: pa.ChunkedArray, kind: pa.DataType, decimal: str) -> None:
    """Convert a text column to ``kind``, counting the cells that fail."""
    col = pc.utf8_trim_whitespace(valid_text(col.cast(TEXT)))
    null = col.is_null().to_numpy(zero_copy_only=False)
    if kind == TEXT:
        out.values[name] = col
        out.missing[name] = null
        return
    if kind == INT:
        ok = int_cells(col)
        values = to_ints(col, ok)
        good = ok.to_numpy(zero_copy_only=False)
        out.values[name] = values.fill_null(0).to_numpy()
    else:
        text = col if decimal == "." else pc.replace_substring(col, ",", ".")
        number = _to_float(text)
        good = ~np.isnan(number)
        out.values[name] = number
    missing = ~good
    out.missing[name] = missing
    bad = missing & ~null
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        out.bad_cells[name] = int(bad.sum())
        out.bad_example[name] = (row, str(col[row].as_py()))


def int_cells(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Which cells of a trimmed text column are whole numbers within int64 (no nulls)."""
    return pc.fill_null(pc.match_substring_regex(text, _INT_PATTERN), False)


def to_ints(text: pa.ChunkedArray, cells: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return the int64 values of the ``cells`` of :func:`int_cells` (null elsewhere).

    pyarrow's integer parser takes a minus sign but not a plus sign: a plus sign is dropped.
    """
    signless = pc.replace_substring_regex(text, r"^\+", "")
    return pc.cast(pc.if_else(cells, signless, pa.scalar(None, TEXT)), INT)


def _to_float(text: pa.ChunkedArray) -> np.ndarray:
    """Text to float64, NaN where a cell is not a number (vectorised)."""
    pattern = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
    ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, TEXT)), FLOAT)
    return values.to_numpy().astype(np.float64, copy=False)


def _valid_utf8(data: pa.Buffer) -> pa.Buffer:
    """Return the data with invalid UTF-8 replaced.

    The parser hands rows it cannot split to a Python callback as text; a row that is not
    valid UTF-8 would fail there, so damaged bytes are replaced first.
    """
    raw = data.to_pybytes()
    try:
        raw.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return pa.py_buffer(raw.decode("utf-8", errors="replace").encode("utf-8"))


def _squeeze_spaces(data: bytes) -> bytes:
    """Turn runs of spaces and tabs into single tabs, trimming each line (whitespace dialects)."""
    import re

    text = re.sub(rb"[ \t]+", b"\t", data)
    return re.sub(rb"(^|\n)\t|\t(\r?\n|$)", rb"\1\2", text)


def _delim_name(delimiter: str) -> str:
    return {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated"}.get(
        delimiter, f"{delimiter!r}-separated"
    )
