"""Sensor Logger exports (Android, iOS): ``time,seconds_elapsed,z,y,x``.

One CSV per sensor, in a ZIP with ``Metadata.csv``, or a bare CSV. ``time`` is Unix ns (UTC),
``seconds_elapsed`` seconds from the Start tap; the axis order is z, y, x. ``TotalAcceleration``
(Android) holds m/s² with gravity and is used; ``Accelerometer`` (the only one on iOS) has gravity
removed and is refused; ``AccelerometerUncalibrated`` includes gravity (in g with flipped signs on
iOS unless "Standardise Units & Frames" was on). Spreadsheets damage ``time``
(``"1,70136286270131E+018"``): then ``seconds_elapsed`` gives the times.
"""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np

from imu.formats._common import Options, iso_utc, refuse_gravity_removed
from imu.formats._normalise import (
    G0,
    GRAVITY_MISSING_G,
    ClockTicks,
    Skips,
    finish,
    quiet_magnitude,
    table_clock_seconds,
)
from imu.formats._source import ZIP_ERRORS, Source, member_source, open_zip
from imu.formats._table import FLOAT, INT, column_names, read_table
from imu.recording import Recording

NAME = "sensor_logger"
SIGNATURE = "time,seconds_elapsed,"
EXAMPLE = "time,seconds_elapsed,z,y,x"
PREFERRED = ("TotalAcceleration.csv", "AccelerometerUncalibrated.csv", "Accelerometer.csv")
ADVICE = (
    "Sensor Logger's 'Accelerometer' has gravity removed: on Android export 'Total "
    "Acceleration'; on iOS enable 'Accelerometer (Uncalibrated)' or record with another app."
)


def sniff(src: Source) -> bool:
    """Whether the header starts ``time,seconds_elapsed,``."""
    return src.head.first_line.startswith(SIGNATURE)


def sniff_zip(names: list[str]) -> bool:
    """Whether an archive's members look like a Sensor Logger export."""
    base = {n.rsplit("/", 1)[-1] for n in names}
    return "Metadata.csv" in base and bool(base & {*PREFERRED, "Gravity.csv"})


def read(src: Source, options: Options) -> Recording:
    """Read a bare Sensor Logger CSV (the file name tells which sensor it is).

    Returns
    -------
    Recording
    """
    return _read_csv(src, sensor=src.file_name, meta={}, extra={}, platform=None, standardised=None)


def read_zip(src: Source, options: Options) -> Recording:
    """Read a Sensor Logger ZIP export: the best acceleration file and ``Metadata.csv``.

    Returns
    -------
    Recording
    """
    with open_zip(src) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        by_base = {n.rsplit("/", 1)[-1]: n for n in names}
        info: dict[str, str] = {}
        if "Metadata.csv" in by_base:
            info = _metadata(zf, by_base["Metadata.csv"])
        platform = info.get("platform", "").lower() or None
        standardised = info.get("standardisation", "").lower() == "true" if info else None
        meta: dict[str, object] = {}
        if info.get("device name"):
            meta["device"] = f"{info['device name']} (Sensor Logger)"
        if info.get("device id"):
            meta["device_id"] = info["device id"]
        extra: dict[str, object] = {f"metadata {k}": v for k, v in info.items() if k and v}
        for name in PREFERRED:
            if name in by_base:
                member = member_source(src, zf, by_base[name])
                return _read_csv(
                    member,
                    sensor=name,
                    meta=meta,
                    extra=extra,
                    platform=platform,
                    standardised=standardised,
                )
        raise src.error(
            "expected TotalAcceleration.csv, AccelerometerUncalibrated.csv or Accelerometer.csv "
            f"in the Sensor Logger archive; it holds {', '.join(sorted(by_base))}"
        )


def _metadata(zf: zipfile.ZipFile, member: str) -> dict[str, str]:
    try:
        text = zf.read(member).decode("utf-8", errors="replace")
        rows = list(csv.reader(io.StringIO(text)))
    except (*ZIP_ERRORS, csv.Error):
        return {}
    if len(rows) < 2:
        return {}
    return {k.strip().lower(): v.strip() for k, v in zip(rows[0], rows[1], strict=False)}


def _read_csv(
    src: Source,
    *,
    sensor: str,
    meta: dict[str, object],
    extra: dict[str, object],
    platform: str | None,
    standardised: bool | None,
) -> Recording:
    head = src.head
    if not sniff(src):
        raise src.error(f"expected the Sensor Logger header {EXAMPLE!r}", line=1)
    header = [h.strip() for h in head.first_line.split(",")]
    if not {"x", "y", "z"} <= set(header):
        raise src.error("expected columns x, y and z (in any order)", line=1)
    names = column_names(src, header, head.first_data_line(0), ",", line=2)
    table = read_table(
        src,
        offset=head.offset_after(0),
        names=names,
        columns={"time": INT, "x": FLOAT, "y": FLOAT, "z": FLOAT},
        delimiter=",",
    )
    skips = Skips()
    skips.add_table(table, 2)
    notes: list[str] = []
    first = table.first_valid("time")
    if table.bad_cells.get("time") or first is None:
        row, text = table.bad_example.get("time", (0, ""))
        notes.append(
            f"the 'time' column is damaged (e.g. {text!r} in data row {row + 1}, as after saving "
            "in a spreadsheet): times taken from 'seconds_elapsed'"
        )
        # Only needed now: read on its own (the same rows are skipped, so it lines up).
        backup = read_table(
            src,
            offset=head.offset_after(0),
            names=names,
            columns={"seconds_elapsed": FLOAT},
            delimiter=",",
        )
        if backup.rows != table.rows:
            raise src.error(
                "the 'time' column is damaged and 'seconds_elapsed' does not line up with it"
            )
        t = backup.float("seconds_elapsed")
        time_source = "seconds_elapsed (time damaged)"
    else:
        t = table_clock_seconds(table, "time", 1e9)
        time_source = "time (Unix ns)"
        meta = {**meta, "start_utc": iso_utc(int(first) / 1e9), "time_zone": "UTC"}
    acc = (table.parts("x"), table.parts("y"), table.parts("z"))
    scale, unit = 1.0 / G0, "m/s²"
    kind = sensor.rsplit(".", 1)[0]
    if kind == "AccelerometerUncalibrated" and platform == "ios" and not standardised:
        scale, unit = -1.0, "g (iOS, signs flipped)"
    if kind not in ("TotalAcceleration", "AccelerometerUncalibrated"):
        # A sensor that may have gravity removed: look at the quietest second first.
        acc = (table.float("x"), table.float("y"), table.float("z"))
        if isinstance(t, ClockTicks):
            t = t.seconds()
        seconds = t
        ok = np.isfinite(acc[0]) & np.isfinite(acc[1]) & np.isfinite(acc[2])
        if ok.any():
            step = np.diff(seconds[ok]) if ok.sum() > 1 else np.array([0.01])
            positive = step[step > 0]
            rate = 1.0 / float(np.median(positive)) if positive.size else 100.0
            mag = quiet_magnitude(tuple(a[ok] * scale for a in acc), rate)  # type: ignore[arg-type]
            if mag < GRAVITY_MISSING_G:
                raise refuse_gravity_removed(src, f"this Sensor Logger file ({sensor})", ADVICE)
    return finish(
        src,
        private_acc=True,
        fmt=NAME,
        time_s=t,
        acc=acc,
        scale_to_g=scale,
        unit=unit,
        skips=skips,
        time_source=time_source,
        meta={"device": "phone (Sensor Logger)", **meta},
        extra={**extra, "sensor": kind},
        notes=notes,
    )
