"""WitMotion exports: the Android app CSV and the PC-software TXT dialects.

All carry acceleration in g with gravity. The Android app writes
``Time,Device name,Chip Time(),Acceleration X(g),…`` with a byte-order mark, a leading space
before every value and a trailing comma on data lines; its ``Time`` is the phone's reception
time (``HH:MM:SS.mmm``, no date) and rows arrive in bursts, so sample times are rebuilt from the
row index. The PC software writes tab- (or space-) separated text, possibly with decimal commas,
in GBK, after an optional ``Start time`` line, with date-times like ``2025-10-9 8:18:9:94``
(milliseconds after a colon).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from imu.formats._common import Options, clock_seconds, find_column, first_text, sniff_decimal, stem
from imu.formats._normalise import Skips, finish
from imu.formats._source import Source
from imu.formats._table import FLOAT, TEXT, column_names, read_table, split_fields
from imu.recording import Recording

APP = "witmotion_app"
TXT = "witmotion_txt"
APP_SIGNATURE = "Time,Device name,Chip Time()"
APP_EXAMPLE = (
    "Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g),"
    "Angular velocity X(°/s),…,Quaternions 3()"
)
TXT_EXAMPLE = (
    "time\tDeviceName\tAccX(g)\tAccY(g)\tAccZ(g)\tAsX(°/s)\tAsY(°/s)\tAsZ(°/s)\tAngleX(°)\t…"
)
#: WitMotion accelerometers measure ±16 g.
RANGE_G = 16.0

_ACC = {
    a: [
        rf"acc(eleration)?_?{a}\(g\)",
        rf"a{a}\(g\)",
        rf"{a}\(g\)",
        rf"a{a}",
        rf"acc{a}",
    ]
    for a in "xyz"
}
_TXT_MARKERS = ("asx", "anglex", "angularvelocityx", "ax(g)", "accx(g)", "accelerationx(g)")


def _is_start_line(line: str) -> bool:
    folded = line.strip().casefold()
    return folded.startswith("start time") or folded.startswith("开始时间")


def sniff_app(src: Source) -> bool:
    """Whether the content is a WitMotion Android app CSV."""
    return src.head.first_line.startswith(APP_SIGNATURE)


def _txt_header(src: Source) -> int | None:
    head = src.head
    for i, line in enumerate(head.lines[:3]):
        if i == 0 and _is_start_line(line):
            continue
        if "," in line and "\t" not in line:
            return None
        joined = "".join(stem(t) for t in re.split(r"[\t ]+", line.strip()) if t)
        if any(m in joined for m in _TXT_MARKERS) and find_column(
            re.split(r"[\t ]+", line.strip()), _ACC["x"]
        ):
            return i
        return None
    return None


def sniff_txt(src: Source) -> bool:
    """Whether the content is a WitMotion PC-software TXT export (any dialect)."""
    return _txt_header(src) is not None


def read_app(src: Source, options: Options) -> Recording:
    """Read a WitMotion Android app CSV.

    Returns
    -------
    Recording
        Acceleration in g; sample times rebuilt from the row index (bursty reception stamps).
    """
    head = src.head
    header = [h.strip() for h in head.first_line.split(",")]
    return _read(src, header, header_index=0, delimiter=",", decimal=".", fmt=APP, bursty=True)


def read_txt(src: Source, options: Options) -> Recording:
    """Read a WitMotion PC-software TXT export (tabs or spaces, decimal point or comma).

    Returns
    -------
    Recording
        Acceleration in g, time from the chip or PC clock column.
    """
    head = src.head
    index = _txt_header(src)
    if index is None:
        raise src.error("expected a WitMotion TXT header with AccX(g)/ax(g) columns", line=1)
    line = head.lines[index]
    delimiter = "\t" if "\t" in line else " "
    header = [h.strip() for h in (line.split("\t") if delimiter == "\t" else line.split())]
    # The whitespace dialect writes date and time as two tokens under "Date Time".
    return _read(
        src, header, header_index=index, delimiter=delimiter, decimal=None, fmt=TXT, bursty=False
    )


def _read(
    src: Source,
    header: list[str],
    *,
    header_index: int,
    delimiter: str,
    decimal: str | None,
    fmt: str,
    bursty: bool,
) -> Recording:
    head = src.head
    first = head.first_data_line(header_index)
    acc = [find_column(header, _ACC[a]) for a in "xyz"]
    if None in acc:
        raise src.error(
            "expected acceleration columns like 'Acceleration X(g)', 'AccX(g)' or 'ax(g)'",
            line=header_index + 1,
        )
    chip = find_column(header, [r"chip_?time\(\)", r"chip_?time", r"chiptime\(.*\)"])
    time_col = find_column(header, [r"time", r"时间", r"date_?time"]) or chip
    device_col = find_column(header, [r"device_?name", r"devicename"])
    if time_col is None:
        raise src.error("expected a 'time' or 'Chip Time()' column", line=header_index + 1)
    if fmt == TXT and chip is not None:
        time_col = chip
    fields = split_fields(first, delimiter) if first is not None else []
    if decimal is None:
        idx = header.index(acc[0])  # type: ignore[arg-type]
        sample = fields[idx] if idx < len(fields) else None
        decimal = sniff_decimal(sample, delimiter)
    names = column_names(src, header, first, delimiter, line=header_index + 2)
    wanted = {time_col: TEXT, **dict.fromkeys(acc, FLOAT)}  # type: ignore[dict-item]
    table = read_table(
        src,
        offset=head.offset_after(header_index),
        names=names,
        columns=wanted,
        delimiter=delimiter,
        decimal=decimal,
        first_line=header_index + 2,
    )
    skips = Skips()
    skips.add_table(table, header_index + 2)
    t = clock_seconds(table.values[time_col])  # type: ignore[arg-type]
    meta: dict[str, object] = {}
    extra: dict[str, object] = {"decimal": decimal, "delimiter": delimiter}
    first_time = first_text(table.values[time_col])  # type: ignore[arg-type]
    if device_col is not None and first is not None:
        idx = header.index(device_col)
        if idx < len(fields) and fields[idx].strip():
            meta["device_id"] = fields[idx].strip()
    if header_index > 0:
        extra["start_line"] = head.lines[0].strip()
    start = _start_time(src, first_time, fmt)
    if start:
        meta.update(start_utc=start, time_zone="local")
    meta["device"] = "WitMotion"
    return finish(
        src,
        fmt=fmt,
        time_s=t,
        acc=tuple(table.parts(a) for a in acc),  # type: ignore[arg-type,misc]
        scale_to_g=1.0,
        unit="g",
        skips=skips,
        time_source=f"{time_col} (rebuilt from the row index)" if bursty else str(time_col),
        bursty=bursty,
        range_g=RANGE_G,
        meta=meta,
        extra=extra,
    )


def _start_time(src: Source, first_time: str | None, fmt: str) -> str | None:
    """Local start time: the date from the app's folder name, or the date-time in the file."""
    if first_time is None:
        return None
    if fmt == APP and src.path is not None:
        folder = Path(src.path).parent.parent.name
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", folder):
            match = re.fullmatch(r"(\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,3})", first_time)
            if match:
                h, m, s, ms = (int(g) for g in match.groups())
                try:
                    day = datetime.strptime(folder, "%Y-%m-%d")
                    return day.replace(hour=h, minute=m, second=s, microsecond=ms * 1000).isoformat(
                        timespec="milliseconds"
                    )
                except ValueError:
                    return None
        return None
    match = re.fullmatch(
        r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.:](\d{1,3}))?",
        first_time,
    )
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) for g in match.groups()[:6])
    try:
        return datetime(y, mo, d, h, mi, s).isoformat()
    except ValueError:
        return None
