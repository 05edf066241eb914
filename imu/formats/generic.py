"""The generic CSV reader: any delimited table with a time column and three acceleration columns.

Columns are named by ``time_col`` and ``acc_cols`` or guessed from common names; the delimiter
and decimal mark are sniffed from the first lines; units come from the options, the column
names (``(g)``, ``[mg]``, ``m/s^2``) or, failing both, the resting magnitude (1 g, 9.81 m/s² or
1000 mg) and the size of the time steps, each guess being reported.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imu._median import median
from imu.formats._common import ACC_UNITS, TIME_UNITS, Options, find_column, first_text, stem
from imu.formats._normalise import G0, Skips, estimate_rate, finish, quiet_magnitude
from imu.formats._source import Source
from imu.formats._table import (
    FLOAT,
    TEXT,
    column_names,
    int_cells,
    read_table,
    split_fields,
    to_ints,
)

NAME = "csv"
DELIMITERS = (",", ";", "\t", "|")
UNIT_SCALE = {"g": 1.0, "mg": 1e-3, "m/s2": 1.0 / G0}
TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")
_TIME_NAMES = [
    r"time_?s",
    r"time\(s\)",
    r"time",
    r"timestamp.*",
    r"t",
    r"t_?(s|ms|us|ns)",
    r"t[(\[](s|ms|us|ns)[)\]]",
    r"time.*",
    r"seconds.*",
    r"elapsed.*",
    r".*time.*",
]


def _acc_patterns(axis: str) -> list[str]:
    return [
        rf"a{axis}(_g|_mg|_ms2|_mps2)?",
        rf"acc(el(eration)?)?[_ .-]?{axis}.*",
        rf"{axis}[_ .-]?acc(el(eration)?)?.*",
        rf"{axis}([_ .-]?axis)?(\(.*\)|\[.*\])?",
        rf"a_{axis}.*",
        rf"gf{axis}",
        rf".*acc.*[_ .-]{axis}(_.*|\(.*\)|\[.*\])?",
    ]


def sniff_delimiter(lines: list[str]) -> str:
    """Return the delimiter that splits the first lines into the most, equally many fields."""
    best, best_score = ",", (0, 0, 0)
    sample = [line for line in lines[:20] if line.strip()]
    for delim in DELIMITERS:
        counts = [len(split_fields(line, delim)) for line in sample]
        if not counts or max(counts) < 2:
            continue
        tail = counts[-min(len(counts), 10) :]
        mode = max(set(tail), key=tail.count)
        score = (int(counts[0] == mode), tail.count(mode), mode)
        if score > best_score:
            best, best_score = delim, score
    if best_score == (0, 0, 0) and sample and len(sample[0].split()) >= 2:
        return " "
    return best


def _is_numeric_row(fields: list[str]) -> bool:
    cells = [f for f in fields if f.strip()]
    return bool(cells) and sum(bool(_NUMBER.match(f)) for f in cells) >= max(1, len(cells) - 1)


def read(src: Source, options: Options) -> object:
    """Read a delimited table with the generic options.

    Returns
    -------
    Recording

    Raises
    ------
    InvalidRecordingError
        No header line, a named column is missing, or units cannot be decided.
    """
    head = src.head
    lines = head.lines
    if not lines:
        raise src.error("expected a header line and data rows; the file is empty")
    delim = options.delimiter or sniff_delimiter(lines)
    if delim == "\\t" or delim.lower() == "tab":
        delim = "\t"
    header_index = None
    for i, line in enumerate(lines[:60]):
        fields = split_fields(line, delim)
        if len(fields) >= 4 and not _is_numeric_row(fields):
            nxt = head.first_data_line(i)
            if nxt is not None and _is_numeric_row(split_fields(nxt, delim)):
                header_index = i
                break
    if header_index is None:
        raise src.error(
            "expected a header line naming a time column and three acceleration columns, "
            f"followed by numeric rows (delimiter {delim!r})"
        )
    header = [h.strip().strip('"') for h in split_fields(lines[header_index], delim)]
    time_col = _pick(src, header, options.time_col, _TIME_NAMES, "time", header_index)
    if options.acc_cols is not None:
        acc = [_pick(src, header, c, [], "acceleration", header_index) for c in options.acc_cols]
    else:
        acc = [find_column(header, _acc_patterns(a)) for a in "xyz"]
        if None in acc or len(set(acc)) < 3:
            raise src.error(
                "cannot tell which columns hold acceleration: give them with "
                f"acc_cols=X,Y,Z (--acc-cols); columns are {', '.join(header)}",
                line=header_index + 1,
            )
    first = head.first_data_line(header_index)
    fields = split_fields(first or "", delim)
    decimal = options.decimal
    if decimal is None:
        decimal = "."
        if delim != ",":
            values = [f for f in fields if f.strip()]
            if values and any(re.fullmatch(r"\s*-?\d+,\d+([eE][-+]?\d+)?\s*", f) for f in values):
                decimal = ","
    names = column_names(src, header, first, delim, line=header_index + 2)
    table = read_table(
        src,
        offset=head.offset_after(header_index),
        names=names,
        columns={time_col: TEXT, **dict.fromkeys(acc, FLOAT)},  # type: ignore[dict-item]
        delimiter=delim,
        decimal=decimal,
        first_line=header_index + 2,
    )
    skips = Skips()
    skips.add_table(table, header_index + 2)
    notes: list[str] = []
    raw_t, time_kind = _time_values(table.values[time_col], decimal)  # type: ignore[arg-type]
    acc_values = tuple(table.float(a) for a in acc)  # type: ignore[arg-type]
    t_units = options.time_units
    if time_kind == "datetime":
        t = raw_t
        t_units = "s"
    else:
        if t_units is None:
            t_units = _unit_from_name(
                time_col, {"ms": "ms", "us": "us", "µs": "us", "ns": "ns", "s": "s"}
            )
        if t_units is None:
            t_units = _guess_time_units(raw_t)
            notes.append(
                f"time unit not given: read {time_col!r} as {t_units} (from its step size)"
            )
        t = raw_t * TIME_SCALE[t_units]
    units = options.units
    if units is None:
        units = _acc_unit_from_names(acc)  # type: ignore[arg-type]
    if units is None:
        units = _guess_units(src, acc_values, t)
        notes.append(f"acceleration unit not given: read as {units} (from the resting magnitude)")
    return finish(
        src,
        fmt=NAME,
        time_s=t,
        acc=acc_values,  # type: ignore[arg-type]
        scale_to_g=UNIT_SCALE[units],
        unit=units,
        skips=skips,
        time_source=f"{time_col} ({t_units})",
        extra={"columns": [time_col, *acc], "delimiter": delim, "decimal": decimal},
        notes=notes,
    )


def _pick(
    src: Source, header: list[str], wanted: str | None, patterns: list[str], what: str, line: int
) -> str:
    if wanted is not None:
        for h in header:
            if h == wanted:
                return h
        for h in header:
            if h.strip().casefold() == wanted.strip().casefold():
                return h
        raise src.error(
            f"no {what} column named {wanted!r}; columns are {', '.join(header)}", line=line + 1
        )
    found = find_column(header, patterns)
    if found is None:
        raise src.error(
            f"cannot tell which column holds {what}: give it with time_col= (--time-col); "
            f"columns are {', '.join(header)}",
            line=line + 1,
        )
    return found


def _time_values(text: pa.ChunkedArray, decimal: str) -> tuple[np.ndarray, str]:
    """Numbers (float64, NaN where unreadable) or, for date-time text, seconds."""
    text = pc.utf8_trim_whitespace(text)
    if decimal == ",":
        text = pc.replace_substring(text, ",", ".")
    pattern = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
    ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    n_ok = pc.sum(ok).as_py() or 0
    if n_ok == 0 and len(text):
        sample = first_text(text)
        if sample and re.match(r"^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}", sample):
            good = pc.fill_null(
                pc.match_substring_regex(
                    text,
                    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$",
                ),
                False,
            )
            try:
                stamps = pc.cast(
                    pc.if_else(good, text, pa.scalar(None, pa.string())), pa.timestamp("ns")
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                stamps = None
            if stamps is not None:
                ns = stamps.cast(pa.int64())
                values = ns.to_numpy(zero_copy_only=False).astype(np.float64)
                first = pc.min(ns).as_py()
                if first is not None:
                    values = (values - float(first)) / 1e9
                return values, "datetime"
    integers = int_cells(text)
    if pc.all(pc.or_(integers, pc.invert(ok))).as_py():
        ints = to_ints(text, integers)
        first = pc.min(ints).as_py()
        if first is not None:
            rel = pc.subtract(ints, pa.scalar(first, pa.int64()))
            return rel.to_numpy(zero_copy_only=False).astype(np.float64), "number"
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    return values.to_numpy(zero_copy_only=False).astype(np.float64), "number"


def _unit_from_name(name: str, table: dict[str, str]) -> str | None:
    s = name.casefold()
    m = re.search(r"[(\[]\s*(ms|us|µs|ns|s)\s*[)\]]|[_ ](ms|us|ns|s)$", s)
    if m:
        return table.get(m.group(1) or m.group(2))
    return None


def _acc_unit_from_names(names: list[str]) -> str | None:
    units = set()
    for name in names:
        s = stem(name)
        if re.search(r"m/\(?s\^?2\)?|m/s2|ms2|mps2|m/s/s", s):
            units.add("m/s2")
        elif re.search(r"[(\[_]mg[)\]]?$", s):
            units.add("mg")
        elif re.search(r"[(\[_]g[)\]]?$", s) or s.startswith("gf"):
            units.add("g")
    return units.pop() if len(units) == 1 else None


def _guess_time_units(t: np.ndarray) -> str:
    """s, ms, µs or ns from the median step (typical IMU rates span 10 Hz to 3 kHz)."""
    finite = t[np.isfinite(t)]
    step = np.diff(finite)
    step = step[step > 0]
    if step.size == 0:
        return "s"
    med = median(step, overwrite_input=True)
    if med < 0.25:
        return "s"
    if med < 250:
        return "ms"
    if med < 2.5e5:
        return "us"
    return "ns"


def _guess_units(src: Source, acc: tuple[np.ndarray, ...], t: np.ndarray) -> str:
    ok = np.isfinite(acc[0]) & np.isfinite(acc[1]) & np.isfinite(acc[2])
    if not ok.any():
        return "g"
    rate = estimate_rate(t[np.isfinite(t)]) or 100.0
    mag = quiet_magnitude(tuple(a[ok] for a in acc), rate)
    for unit, (low, high) in {"g": (0.3, 2.0), "m/s2": (5.0, 16.0), "mg": (300.0, 2000.0)}.items():
        if low <= mag <= high:
            return unit
    raise src.error(
        f"cannot tell the acceleration unit (|a| at rest is {mag:.3g}): give units= "
        f"(--units) as one of {', '.join(ACC_UNITS)}"
    )


__all__ = ["NAME", "TIME_UNITS", "read", "sniff_delimiter"]
