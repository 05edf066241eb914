"""phyphox exports: "Acceleration with g" and the simple accelerometer experiments.

Header cells are double-quoted (``"Time (s)","Acceleration x (m/s^2)",…``); the delimiter is
the character after the first cell's closing quote (comma, tab or semicolon) and values use a
decimal point or, with tab or semicolon, a decimal comma. Acceleration is in m/s². The ZIP
export holds one CSV per set plus ``meta/time.csv`` (experiment time to Unix time) and
``meta/device.csv``. "Linear Acceleration" sets have gravity removed and are refused.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from imu.formats._common import Options, find_column, iso_utc, refuse_gravity_removed, sniff_decimal
from imu.formats._normalise import G0, Skips, finish
from imu.formats._source import ZIP_ERRORS, Source, member_source, open_zip
from imu.formats._table import FLOAT, column_names, read_table, split_fields
from imu.recording import Recording

NAME = "phyphox"
EXAMPLE = (
    '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)",'
    '"Absolute acceleration (m/s^2)"'
)
_FIRST = re.compile(r'^"Time \(s\)"(?P<delim>[,;\t])')
_LINEAR = re.compile(r"linear\s+acceleration", re.IGNORECASE)
_ACC = {a: [rf"acceleration{a}\(m/s\^2\)", rf"{a}\(m/s\^2\)"] for a in "xyz"}
LINEAR_ADVICE = (
    "In phyphox use the 'Acceleration with g' experiment (or the simple 'Accelerometer'), not "
    "'Acceleration (without g)' or 'Linear Acceleration'."
)


def sniff(src: Source) -> bool:
    """Whether the first cell is phyphox's quoted ``"Time (s)"``."""
    return bool(_FIRST.match(src.head.first_line))


def sniff_zip(names: list[str]) -> bool:
    """Whether an archive's member list is a phyphox export (``meta/time.csv``)."""
    return any(n == "meta/time.csv" or n.endswith("/meta/time.csv") for n in names)


def read(src: Source, options: Options) -> Recording:
    """Read a phyphox CSV (one set).

    Returns
    -------
    Recording
        Acceleration in g (m/s² ÷ 9.80665), time from ``Time (s)``.
    """
    return _read_csv(src, meta={}, extra={})


def read_zip(src: Source, options: Options) -> Recording:
    """Read a phyphox ZIP export: the acceleration set and the start time from ``meta/time.csv``.

    Returns
    -------
    Recording
    """
    with open_zip(src) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        sets = [n for n in names if n.lower().endswith(".csv") and "meta/" not in n]
        chosen = linear = None
        for name in sets:
            member = member_source(src, zf, name)
            if not sniff(member):
                continue
            if _LINEAR.search(member.head.first_line):
                linear = linear or name
                continue
            if find_column(_header(member), _ACC["x"]):
                chosen = member
                break
        if chosen is None:
            if linear is not None:
                raise refuse_gravity_removed(src, f"the phyphox set {linear!r}", LINEAR_ADVICE)
            raise src.error(
                "expected a phyphox set with acceleration columns ('Acceleration x (m/s^2)' or "
                f"'X (m/s^2)'); the archive holds {', '.join(sets) or 'no CSV set'}"
            )
        meta: dict[str, object] = {}
        extra: dict[str, object] = {"set": chosen.member}
        time_member = next(n for n in names if n.endswith("meta/time.csv"))
        start = _start_time(zf, time_member)
        if start is not None:
            meta.update(start_utc=iso_utc(start), time_zone="UTC")
        device_member = next((n for n in names if n.endswith("meta/device.csv")), None)
        if device_member is not None:
            device = _device(zf, device_member)
            if device:
                meta["device"] = device
        return _read_csv(chosen, meta=meta, extra=extra)


def _header(src: Source) -> list[str]:
    match = _FIRST.match(src.head.first_line)
    delim = match["delim"] if match else ","
    return [h.strip() for h in split_fields(src.head.first_line, delim)]


def _read_csv(src: Source, *, meta: dict[str, object], extra: dict[str, object]) -> Recording:
    head = src.head
    match = _FIRST.match(head.first_line)
    if match is None:
        raise src.error(
            f"expected a phyphox header starting '\"Time (s)\"', like {EXAMPLE}", line=1
        )
    delim = match["delim"]
    header = [h.strip() for h in split_fields(head.first_line, delim)]
    if _LINEAR.search(head.first_line):
        raise refuse_gravity_removed(
            src, "this phyphox export (Linear Acceleration)", LINEAR_ADVICE
        )
    acc = [find_column(header, _ACC[a]) for a in "xyz"]
    if None in acc:
        raise src.error(
            "expected acceleration columns 'Acceleration x (m/s^2)' or 'X (m/s^2)'; got "
            + ", ".join(repr(h) for h in header[1:]),
            line=1,
        )
    first = head.first_data_line(0)
    decimal = sniff_decimal(split_fields(first, delim)[0] if first else None, delim)
    names = column_names(src, header, first, delim, line=2)
    time_col = header[0]
    table = read_table(
        src,
        offset=head.offset_after(0),
        names=names,
        columns={time_col: FLOAT, **dict.fromkeys(acc, FLOAT)},  # type: ignore[dict-item]
        delimiter=delim,
        decimal=decimal,
        parser="c",  # the least CPU time on phyphox's numbers (e.g. 3.352406400E-2)
    )
    skips = Skips()
    skips.add_table(table, 2)
    extra = {**extra, "delimiter": delim, "decimal": decimal}
    if not any("absolute" in h.lower() for h in header):
        extra["experiment"] = "simple accelerometer"
    else:
        extra["experiment"] = "Acceleration with g"
    return finish(
        src,
        private_acc=True,
        fmt=NAME,
        time_s=table.parts(time_col),
        acc=tuple(table.parts(a) for a in acc),  # type: ignore[arg-type,misc]
        scale_to_g=1.0 / G0,
        unit="m/s²",
        skips=skips,
        time_source="Time (s)",
        meta={"device": "phone (phyphox)", **meta},
        extra=extra,
    )


def _rows(zf: zipfile.ZipFile, member: str) -> list[list[str]]:
    text = zf.read(member).decode("utf-8", errors="replace")
    first = text.split("\n", 1)[0]
    delim = "\t" if "\t" in first else (";" if ";" in first else ",")
    return list(csv.reader(io.StringIO(text), delimiter=delim))


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _start_time(zf: zipfile.ZipFile, member: str) -> float | None:
    """Unix time (s) of experiment time 0, from the first START event."""
    try:
        rows = _rows(zf, member)
    except (*ZIP_ERRORS, csv.Error):
        return None
    for row in rows[1:]:
        if len(row) >= 3 and row[0].strip().upper() == "START":
            exp, system = _number(row[1]), _number(row[2])
            if exp is not None and system is not None:
                return system - exp
    return None


def _device(zf: zipfile.ZipFile, member: str) -> str | None:
    """Phone model from ``meta/device.csv`` (property/value rows)."""
    try:
        rows = _rows(zf, member)
    except (*ZIP_ERRORS, csv.Error):
        return None
    props = {r[0].strip().lower(): r[1].strip() for r in rows if len(r) >= 2}
    parts = [props.get(k) for k in ("devicebrand", "devicemodel", "device brand", "device model")]
    parts = [p for p in parts if p]
    return " ".join(parts) if parts else None
