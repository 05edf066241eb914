"""Shimmer Consensys CSV exports.

A quoted ``"sep=<TAB>"`` (or ``"sep=,"``) line, a line of names ``<DeviceID>_<Signal>_CAL``,
optionally a ``CAL``/``RAW`` line, a units line, then data; every line may end with the
delimiter. Columns are matched by suffix. Acceleration in m/s² with gravity: the wide-range
accelerometer (``Accel_WR_*``, up to ±16 g) is preferred over the low-noise one
(``Accel_LN_*``, ±2 g, clips during hops). ``Timestamp_Unix_CAL`` is Unix ms with a fraction.
"""

from __future__ import annotations

import re

import numpy as np

from imu.formats._common import Options, find_column, iso_utc
from imu.formats._normalise import G0, Skips, finish
from imu.formats._source import Source
from imu.formats._table import FLOAT, column_names, read_table, split_fields
from imu.recording import Recording

NAME = "shimmer_consensys"
EXAMPLE = "Shimmer_CE9F_Timestamp_Unix_CAL<TAB>Shimmer_CE9F_Accel_LN_X_CAL<TAB>…"
#: Full scale of the low-noise accelerometer, ± g.
LN_RANGE_G = 2.0
_SEP = re.compile(r'^"?sep=(?P<d>.)"?\s*$')
_NUMBER = re.compile(r"^\s*[-+]?\d+([.,]\d*)?([eE][-+]?\d+)?\s*$")


def sniff(src: Source) -> bool:
    """Whether the content starts with ``"sep=`` and names a ``_Timestamp_Unix_CAL`` column."""
    lines = src.head.lines
    if not lines:
        return False
    if lines[0].startswith('"sep=') and len(lines) > 1:
        return "_Timestamp_Unix_CAL" in lines[1] or "_Timestamp_CAL" in lines[1]
    return "_Timestamp_Unix_CAL" in lines[0] and "_Accel_" in lines[0]


def read(src: Source, options: Options) -> Recording:
    """Read a Shimmer Consensys CSV.

    Returns
    -------
    Recording
        Acceleration in g (m/s² ÷ 9.80665) from ``Accel_WR`` (or ``Accel_LN``).
    """
    head = src.head
    lines = head.lines
    sep = _SEP.match(lines[0]) if lines else None
    delim = sep["d"] if sep else ("\t" if "\t" in head.first_line else ",")
    if delim not in ",;\t|":
        raise src.error(f"expected a tab, comma or semicolon after 'sep=', got {delim!r}", line=1)
    names_index = 1 if sep else 0
    if len(lines) <= names_index:
        raise src.error("expected a line of column names after 'sep='")
    header = [h.strip().strip('"') for h in split_fields(lines[names_index], delim)]
    data_index = None
    units: list[str] = []
    for i in range(names_index + 1, min(len(lines), names_index + 6)):
        fields = split_fields(lines[i], delim)
        if fields and _NUMBER.match(fields[0] or "x"):
            data_index = i
            break
        if any(f.strip() in ("ms", "m/(s^2)", "m/s^2") for f in fields):
            units = [f.strip() for f in fields]
    if data_index is None:
        if head.complete:
            data_index = len(lines)
        else:
            raise src.error("expected numeric data rows after the names and units lines")
    t_col = next((h for h in header if h.endswith("_Timestamp_Unix_CAL")), None)
    if t_col is None:
        raise src.error("expected a column ending '_Timestamp_Unix_CAL'", line=names_index + 1)
    wide = [next((h for h in header if h.endswith(f"_Accel_WR_{a}_CAL")), None) for a in "XYZ"]
    low = [next((h for h in header if h.endswith(f"_Accel_LN_{a}_CAL")), None) for a in "XYZ"]
    plain = [find_column(header, [rf".*_accel_{a.lower()}_cal"]) for a in "XYZ"]
    if None not in wide:
        acc, which, range_g = wide, "Accel_WR", None
    elif None not in low:
        acc, which, range_g = low, "Accel_LN", LN_RANGE_G
    elif None not in plain:
        acc, which, range_g = plain, "Accel", None
    else:
        raise src.error(
            "expected columns ending '_Accel_WR_X_CAL' or '_Accel_LN_X_CAL' (and Y, Z)",
            line=names_index + 1,
        )
    unit = "m/s²"
    scale = 1.0 / G0
    if units:
        col_unit = units[header.index(acc[0])] if header.index(acc[0]) < len(units) else ""  # type: ignore[arg-type]
        if col_unit.lower() == "g":
            unit, scale = "g", 1.0
    first = lines[data_index] if data_index < len(lines) else None
    names = column_names(src, header, first, delim, line=data_index + 1)
    offset = head.offset_after(data_index - 1) if data_index > 0 else 0
    table = read_table(
        src,
        offset=offset,
        names=names,
        columns={t_col: FLOAT, **dict.fromkeys(acc, FLOAT)},  # type: ignore[dict-item]
        delimiter=delim,
        decimal=".",
        first_line=data_index + 1,
    )
    skips = Skips()
    skips.add_table(table, data_index + 1)
    ms = table.float(t_col)
    ok = np.flatnonzero(np.isfinite(ms))
    meta: dict[str, object] = {"device": "Shimmer"}
    if ok.size:
        meta.update(start_utc=iso_utc(ms[ok[0]] / 1e3), time_zone="UTC")
    device_id = t_col[: -len("_Timestamp_Unix_CAL")]
    if device_id:
        meta["device_id"] = device_id
    extra: dict[str, object] = {"accelerometer": which, "delimiter": delim}
    notes = []
    if which == "Accel_LN":
        notes.append(
            "only the low-noise accelerometer (±2 g) is in the file: it clips at hop impacts; "
            "enable the wide-range accelerometer (Accel_WR) in Consensys"
        )
    return finish(
        src,
        private_acc=True,
        fmt=NAME,
        time_s=ms / 1e3,
        acc=tuple(table.parts(a) for a in acc),  # type: ignore[arg-type,misc]
        scale_to_g=scale,
        unit=unit,
        skips=skips,
        time_source="Timestamp_Unix_CAL (ms)",
        range_g=range_g,
        meta=meta,
        extra=extra,
        notes=notes,
    )
