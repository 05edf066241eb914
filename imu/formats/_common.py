"""Small helpers shared by the readers: options, column matching, clock-string parsing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imu.formats._source import Source

ACC_UNITS = ("g", "mg", "m/s2")
TIME_UNITS = ("s", "ms", "us", "ns")


@dataclass(frozen=True)
class Options:
    """Options of the generic CSV reader (None = sniff or guess).

    Parameters
    ----------
    time_col : str, optional
        Name of the time column.
    acc_cols : tuple of str, optional
        Names of the x, y, z acceleration columns.
    units : {"g", "mg", "m/s2"}, optional
        Acceleration unit.
    time_units : {"s", "ms", "us", "ns"}, optional
        Unit of the time column.
    delimiter : str, optional
        Field delimiter.
    decimal : {".", ","}, optional
        Decimal mark.
    """

    time_col: str | None = None
    acc_cols: tuple[str, str, str] | None = None
    units: str | None = None
    time_units: str | None = None
    delimiter: str | None = None
    decimal: str | None = None

    @property
    def given(self) -> list[str]:
        """Names of the options that were given."""
        return [k for k, v in self.__dict__.items() if v is not None]


def stem(name: str) -> str:
    """Case-folded ASCII letters, digits and brackets of a column name (units kept)."""
    folded = name.strip().strip('"').casefold()
    return re.sub(r"[^a-z0-9()\[\]/^_.-]", "", folded.encode("ascii", "ignore").decode())


def find_column(names: Sequence[str], patterns: Iterable[str], *, stems: bool = True) -> str | None:
    """First name whose stem (or stripped, case-folded name) fully matches one of the patterns."""
    keys = [stem(n) if stems else n.strip().casefold() for n in names]
    for pattern in patterns:
        rx = re.compile(pattern)
        for name, key in zip(names, keys, strict=True):
            if rx.fullmatch(key):
                return name
    return None


_CLOCK = re.compile(
    r"^\s*(?:(?P<date>\S+)[ T_]+)?(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2})"
    r"(?:(?P<sep>[.:,])(?P<f>\d{1,9}))?\s*$"
)


_POW10 = np.power(10.0, np.arange(301))


def digit_runs(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find the runs of decimal digits in every cell of a text column, vectorised.

    Returns
    -------
    value : numpy.ndarray
        Value of each run (float64), in order.
    start, length : numpy.ndarray
        Byte offset of each run in the concatenated text, and its length.
    row : numpy.ndarray
        The row each run belongs to.

    Notes
    -----
    Works on the column's byte buffer: a digit starts a run when the byte before it is not a
    digit or belongs to another cell; each run's value is the sum of its digits times the
    powers of ten of their distance from the run's end.
    """
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    arr = arr.cast(pa.string())
    n = len(arr)
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[arr.offset : arr.offset + n + 1]
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or buffers[2] is None or offsets[-1] == offsets[0]:
        return np.zeros(0), empty, empty, empty
    base = int(offsets[0])
    data = np.frombuffer(buffers[2], dtype=np.uint8)[base : int(offsets[-1])]
    bounds = (offsets - base).astype(np.int64)
    is_digit = (data >= 48) & (data <= 57)
    cell_start = np.zeros(data.size + 1, dtype=bool)
    cell_start[bounds] = True
    before = np.concatenate([[False], is_digit[:-1]])
    after = np.concatenate([is_digit[1:], [False]])
    run_start = is_digit & (~before | cell_start[:-1])
    starts = np.flatnonzero(run_start)
    ends = np.flatnonzero(is_digit & (~after | cell_start[1:]))
    idx = np.flatnonzero(is_digit)
    run_of_digit = np.cumsum(run_start)[idx] - 1
    power = np.minimum(ends[run_of_digit] - idx, 300)
    contrib = (data[idx] - 48).astype(np.float64) * _POW10[power]
    first_digit = (np.cumsum(is_digit) - 1)[starts]
    value = np.add.reduceat(contrib, first_digit) if starts.size else np.zeros(0)
    cell_of_byte = np.repeat(np.arange(n), np.diff(bounds))
    row = cell_of_byte[starts]
    return value, starts, ends - starts + 1, row


def _date_format(date: str | None) -> str | None:
    """Return the strptime format of a date as written (``2025-10-9``, ``10/9/2025``, ...)."""
    if date is None:
        return ""
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", date):
        return "%Y-%m-%d "
    if re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", date):
        return "%Y/%m/%d "
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", date):
        return "%m/%d/%Y "
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", date):
        return "%d.%m.%Y "
    return None


def clock_seconds(text: pa.ChunkedArray) -> np.ndarray:
    """Parse ``[date ]H:M:S[.frac|:ms]`` text into seconds, vectorised.

    ``.`` introduces a decimal fraction, ``:`` a whole number of milliseconds (the WitMotion PC
    software's unpadded form, ``2025-10-9 8:18:9:94``). The layout is read off the first cell;
    cells that do not follow it are NaN. Consecutive equal cells (burst stamps) are parsed
    once. Without a date, a step back of more than 12 h is taken as midnight and adds a day.

    Returns
    -------
    numpy.ndarray
        Seconds on an arbitrary origin (NaN where a cell does not parse).
    """
    n = len(text)
    sec = np.full(n, np.nan)
    sample = first_text(text)
    match = _CLOCK.match(sample) if sample else None
    if match is None or n == 0:
        return sec
    fixed = _fixed_width_clock(text, sample, match)
    if fixed is not None:
        sec = fixed
        if not match["date"] and sec.size > 1:
            days = np.concatenate([[0], np.cumsum(np.diff(sec) < -43200)])
            sec = sec + days * 86400.0
        return sec
    text = pc.utf8_trim_whitespace(text.cast(pa.string()))
    # Parse each run of equal cells (a burst sharing one stamp) once.
    run, unique = _runs(text)
    date_format = _date_format(match["date"])
    sep = match["sep"]
    values = None
    if date_format is not None:
        if sep is not None:
            parts = pc.split_pattern(unique, sep, max_splits=1, reverse=True)
            shortest = pc.min(pc.list_value_length(parts)).as_py()
            if shortest is None or shortest < 2:  # cells without the mark: add an empty fraction
                padded = pc.if_else(
                    pc.match_substring(unique, sep),
                    unique,
                    pc.binary_join_element_wise(unique, "", sep),
                )
                parts = pc.split_pattern(padded, sep, max_splits=1, reverse=True)
            whole = pc.list_element(parts, 0)
            frac_text = pc.list_element(parts, 1)
        else:
            whole, frac_text = unique, None
        # The whole seconds change once a second at most: parse each run of them once.
        whole_run, whole_unique = _runs(whole)
        stamps = pc.strptime(
            whole_unique, format=date_format + "%H:%M:%S", unit="s", error_is_null=True
        )
        whole_s = stamps.cast(pa.int64()).take(pa.array(whole_run))
        origin = pc.min(whole_s).as_py()
        if origin is not None:
            whole_s = pc.subtract(whole_s, pa.scalar(origin, pa.int64()))
        seconds = whole_s.to_numpy(zero_copy_only=False).astype(np.float64)
        if frac_text is not None:
            ok = pc.fill_null(
                pc.and_(pc.utf8_is_digit(frac_text), pc.less_equal(pc.utf8_length(frac_text), 9)),
                False,
            )
            empty = pc.fill_null(pc.equal(frac_text, ""), False).to_numpy(zero_copy_only=False)
            frac_text = pc.if_else(ok, frac_text, pa.scalar(None, pa.string()))
            frac = pc.cast(frac_text, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
            frac[empty] = 0.0  # a whole second written without its fraction
            if sep == ":":
                seconds = seconds + frac / 1000.0
            else:
                digits = pc.utf8_length(frac_text).to_numpy(zero_copy_only=False)
                digits = np.where(empty, 0.0, digits.astype(np.float64))
                seconds = seconds + frac / np.power(10.0, digits)
        if np.isfinite(seconds).any():
            values = seconds
    if values is None:
        values = _clock_from_digits(unique, match)
    sec = values[run]
    finite = np.isfinite(sec)
    if not match["date"] and finite.sum() > 1:
        good_sec = sec[finite]
        days = np.concatenate([[0], np.cumsum(np.diff(good_sec) < -43200)])
        sec[finite] = good_sec + days * 86400.0
    return sec


#: Order of year, month and day in the dates :func:`_date_format` knows.
_DATE_ORDER = {"%Y-%m-%d ": "ymd", "%Y/%m/%d ": "ymd", "%m/%d/%Y ": "mdy", "%d.%m.%Y ": "dmy"}


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (integer arrays)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _fixed_width_clock(
    text: pa.ChunkedArray, sample: str, match: re.Match[str]
) -> np.ndarray | None:
    """Clock text to seconds when every cell has the first cell's layout, or None.

    Logger clocks are usually written with a fixed width (``09:26:53.589``): then every
    field sits at the same byte positions in every cell and is read from the column's bytes
    at once. Any cell that differs from the first one's layout (other width, other
    separators, a missing value) or holds an impossible date or time returns None, and the
    general parser takes over. The result is the general parser's: whole seconds from the
    earliest whole second, plus the fraction.
    """
    date_format = _date_format(match["date"])
    if date_format is None or (match["date"] and date_format not in _DATE_ORDER):
        return None
    arr = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    if arr.null_count or not pa.types.is_string(arr.type) or not sample.isascii():
        return None
    n = len(arr)
    if n == 0:
        return None
    first = arr[0].as_py()
    lead = len(first) - len(first.lstrip())
    if first.strip() != sample or not first.isascii():
        return None
    width = len(first)
    buffers = arr.buffers()
    if buffers[2] is None or width == 0:
        return None
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[arr.offset : arr.offset + n + 1]
    if not (np.diff(offsets) == width).all():
        return None
    raw = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(n, width)
    template = raw[0].copy()
    digit = (template >= 48) & (template <= 57)
    # Each byte position is read as one strided column. Other bytes must equal the template;
    # digit positions become one row each of digit values (any other byte there wraps
    # around below 0 or lands above 9: both above 9 in uint8).
    values = np.empty((int(digit.sum()), n), dtype=np.uint8)
    row_of = {}
    for pos in range(width):
        if digit[pos]:
            row_of[pos] = len(row_of)
            np.subtract(raw[:, pos], 48, out=values[row_of[pos]])
        elif not (raw[:, pos] == template[pos]).all():
            return None
    if values.size and values.max() > 9:
        return None

    def number(start: int, end: int) -> np.ndarray:
        # At most 9 digits per field: int32 holds them exactly.
        out = values[row_of[start + lead]].astype(np.int32)
        for pos in range(start + lead + 1, end + lead):
            out *= 10
            out += values[row_of[pos]]
        return out

    h, m, s = (number(*match.span(g)) for g in ("h", "m", "s"))
    ok = (h <= 23) & (m <= 59) & (s <= 59)
    whole = h * 3600 + m * 60 + s
    if match["date"]:
        start = match.start("date")
        runs = [(start + r.start(), start + r.end()) for r in re.finditer(r"\d+", match["date"])]
        if len(runs) != 3:
            return None
        parts = dict(zip(_DATE_ORDER[date_format], (number(a, b) for a, b in runs), strict=True))
        y, mo, d = parts["y"], parts["m"], parts["d"]
        ok &= (mo >= 1) & (mo <= 12) & (d >= 1) & (y >= 1)
        if not ok.all():
            return None
        month_days = _days_from_civil(y + (mo == 12), np.where(mo == 12, 1, mo + 1), 1)
        day = _days_from_civil(y, mo, d)
        if not (d <= month_days - _days_from_civil(y, mo, 1)).all():
            return None
        whole = whole.astype(np.int64) + day.astype(np.int64) * 86400
    elif not ok.all():
        return None
    seconds = (whole - whole.min()).astype(np.float64)
    if match["f"] is not None:
        frac = number(*match.span("f")).astype(np.float64)
        if match["sep"] == ":":
            seconds = seconds + frac / 1000.0
        else:
            seconds = seconds + frac / np.power(10.0, float(len(match["f"])))
    return seconds


def _runs(text: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.ChunkedArray | pa.Array]:
    """Index of each cell's run of equal neighbours, and the first cell of every run."""
    n = len(text)
    if n > 1:
        differs = pc.fill_null(pc.not_equal(text[1:], text[:-1]), True)
        change = np.concatenate([[True], differs.to_numpy(zero_copy_only=False).astype(bool)])
    else:
        change = np.ones(n, dtype=bool)
    return np.cumsum(change) - 1, text.filter(pa.array(change))


def _clock_from_digits(text: pa.ChunkedArray, match: re.Match[str]) -> np.ndarray:
    """Clock text to seconds from its digit runs (dates that strptime cannot read)."""
    n = len(text)
    sec = np.full(n, np.nan)
    date_runs = len(re.findall(r"\d+", match["date"])) if match["date"] else 0
    has_frac = match["f"] is not None
    per_row = date_runs + 3 + int(has_frac)
    value, _, length, row = digit_runs(text)
    counts = np.bincount(row, minlength=n)
    first = np.cumsum(counts) - counts
    rows = np.flatnonzero(counts == per_row)
    at = first[rows] + date_runs
    h, m, s = value[at], value[at + 1], value[at + 2]
    ok = (h < 48) & (m < 60) & (s < 61)
    total = h * 3600 + m * 60 + s
    if has_frac:
        f, flen = value[at + 3], length[at + 3]
        total = total + np.where(match["sep"] == ":", f / 1000.0, f / np.power(10.0, flen))
    sec[rows[ok]] = total[ok]
    finite = np.isfinite(sec)
    if finite.sum() > 1:
        good_sec = sec[finite]
        days = np.concatenate([[0], np.cumsum(np.diff(good_sec) < -43200)])
        sec[finite] = good_sec + days * 86400.0
    return sec


def first_text(col: pa.ChunkedArray | None) -> str | None:
    """First non-empty value of a text column."""
    if col is None:
        return None
    for chunk in col.chunks:
        for value in chunk.drop_null()[:10].to_pylist():
            if value is not None and str(value).strip():
                return str(value).strip()
    return None


def iso_utc(seconds: float) -> str | None:
    """ISO 8601 UTC string of a Unix time in s, or None when out of range."""
    try:
        return (
            datetime.fromtimestamp(seconds, tz=timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
    except (OverflowError, OSError, ValueError):
        return None


def sniff_decimal(value: str | None, delimiter: str) -> str:
    """Decimal comma when a value looks like ``-1,5`` or ``7,4E-2`` under a non-comma delimiter."""
    if delimiter == "," or value is None:
        return "."
    return "," if re.fullmatch(r"\s*-?\d+,\d+([eE][-+]?\d+)?\s*", value) else "."


def refuse_gravity_removed(src: Source, what: str, advice: str) -> Exception:
    """Build the error for a recognised gravity-removed export."""
    from imu.formats._normalise import GRAVITY_EXPLANATION

    return src.error(f"{what} has gravity removed; {GRAVITY_EXPLANATION}. {advice}")
