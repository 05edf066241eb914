"""Polar Sensor Logger ACC exports (Verity Sense, H10, OH1).

Header ``Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]``: semicolons, integers in
mg with gravity, ``sensor timestamp [ns]`` counting ns since 2000-01-01 on a clock set from the
phone (local time). File names ``Polar_<Model>_<DeviceId>_<yyyyMMdd>_<HHmmss>_ACC.txt`` carry
the model and the device id.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imu.formats._common import Options
from imu.formats._normalise import Skips, finish, table_clock_seconds
from imu.formats._source import Source
from imu.formats._table import FLOAT, INT, TEXT, column_names, read_table
from imu.recording import Recording

NAME = "polar_sensor_logger"
SIGNATURE = "Phone timestamp;sensor timestamp [ns];X [mg]"
EXAMPLE = "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"
FILE_NAME = re.compile(
    r"^Polar_(?P<model>.+?)_(?P<id>[0-9A-Fa-f]{6,12})_(?P<date>\d{8})_(?P<time>\d{6})"
    r"_ACC(?:_part\d+of\d+)?\.\w+$"
)
#: Full scale (± g) of models whose ACC range is fixed.
RANGE_BY_MODEL = {"sense": 8.0, "verity sense": 8.0}
EPOCH_2000 = datetime(2000, 1, 1)


def sniff(src: Source) -> bool:
    """Whether the content starts with the Polar ACC header."""
    return (
        src.head.first_line.replace(" ", "").lower().startswith(SIGNATURE.replace(" ", "").lower())
    )


def read(src: Source, options: Options) -> Recording:
    """Read a Polar Sensor Logger ACC file.

    Parameters
    ----------
    src : Source
        The content.
    options : Options
        Unused (the layout is fixed).

    Returns
    -------
    Recording
        Acceleration in g (mg ÷ 1000), time from the sensor's ns clock.
    """
    head = src.head
    header = [h.strip() for h in head.first_line.split(";")]
    keys = [h.lower() for h in header]
    try:
        t_name = header[keys.index("sensor timestamp [ns]")]
        acc = [header[keys.index(f"{a} [mg]")] for a in "xyz"]
        phone = header[keys.index("phone timestamp")]
    except ValueError:
        raise src.error(f"expected the header {EXAMPLE!r}", line=1) from None
    names = column_names(src, header, head.first_data_line(0), ";", line=2)
    table = read_table(
        src,
        offset=head.offset_after(0),
        names=names,
        columns={t_name: INT, **dict.fromkeys(acc, FLOAT)},
        delimiter=";",
        parser="c",  # leaves the phone's text clock unread: the least CPU time here
    )
    skips = Skips()
    skips.add_table(table, 2)
    notes: list[str] = []
    extra: dict[str, object] = {}
    if table.bad_cells.get(t_name):
        row, text = table.bad_example[t_name]
        notes.append(
            f"the sensor clock is damaged (e.g. {text!r} in data row {row + 1}, as after "
            "saving in a spreadsheet): times taken from 'Phone timestamp' instead"
        )
        # Read again with the phone's clock, so that the same rows are kept in every column
        # (a row can be malformed in a way only some of the columns show).
        table = read_table(
            src,
            offset=head.offset_after(0),
            names=names,
            columns={t_name: INT, **dict.fromkeys(acc, FLOAT), phone: TEXT},
            delimiter=";",
        )
        skips = Skips()
        skips.add_table(table, 2)
        stamps = _parse_stamps(table.values[phone])
        t = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64) / 1e6
        time_source, bursty = "Phone timestamp (sensor clock damaged)", True
        start = None
    else:
        t = table_clock_seconds(table, t_name, 1e9)
        time_source, bursty = "sensor timestamp [ns]", False
        first = table.first_valid(t_name)
        start = (
            (EPOCH_2000 + timedelta(microseconds=int(first) // 1000)).isoformat(
                timespec="milliseconds"
            )
            if first is not None
            else None
        )
    meta: dict[str, object] = {"start_utc": start, "time_zone": "local" if start else None}
    range_g = None
    match = FILE_NAME.match(src.file_name)
    if match:
        model = match["model"].replace("_", " ")
        meta.update(device=f"Polar {model}", device_id=match["id"].upper())
        range_g = RANGE_BY_MODEL.get(model.lower())
        d, t_ = match["date"], match["time"]
        extra["file_start_local"] = f"{d[:4]}-{d[4:6]}-{d[6:]}T{t_[:2]}:{t_[2:4]}:{t_[4:]}"
    return finish(
        src,
        private_acc=True,
        fmt=NAME,
        time_s=t,
        acc=tuple(table.parts(a) for a in acc),  # type: ignore[arg-type]
        scale_to_g=1e-3,
        unit="mg",
        skips=skips,
        time_source=time_source,
        bursty=bursty,
        range_g=range_g,
        meta=meta,
        extra=extra,
        notes=notes,
    )


def _parse_stamps(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO local date-times to timestamps (null where a cell does not parse)."""
    text = pc.utf8_trim_whitespace(text)
    ok = pc.fill_null(
        pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$"),
        False,
    )
    try:
        return pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.chunked_array([pa.nulls(len(text), pa.timestamp("us"))])
