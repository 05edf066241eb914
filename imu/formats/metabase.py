"""MbientLab MetaBase exports (MetaMotion R/S/C): Android, legacy iOS/macOS and MetaBase 5.

``epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)`` (Android),
``epoc (ms),timestamp (-0500),…`` (legacy iOS, no final newline) and
``Epoch,Timestamp (+0100),Elapsed (s),X,Y,Z`` (MetaBase 5). Acceleration in g with gravity,
``epoch`` in Unix ms (UTC). The zone label in the header varies and is only kept as metadata.
Spreadsheets turn the epoch into ``1.54747E+12``: then ``elapsed (s)`` gives the times.
"""

from __future__ import annotations

import re

import numpy as np

from imu.formats._common import Options, find_column, iso_utc
from imu.formats._normalise import Skips, finish, table_clock_seconds
from imu.formats._source import Source
from imu.formats._table import FLOAT, INT, column_names, read_table
from imu.recording import Recording

NAME = "metabase"
EXAMPLE = "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)"
_FIRST = re.compile(r"^\ufeff?\s*(epoch?\s*\(ms\)|epoch)\s*,", re.IGNORECASE)
_TIME = re.compile(r"time(stamp)?\s*\(([^)]*)\)", re.IGNORECASE)
FILE_NAME = re.compile(
    r"^(?P<device>.+?)_(?P<start>\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.\d{3})_"
    r"(?P<mac>[0-9A-Fa-f]{12}|(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2})_(?P<sensor>.+?)_"
    r"(?P<rate>\d+(?:\.\d+)?)Hz(?:_(?P<firmware>[\d.]+))?\.csv$"
)


def sniff(src: Source) -> bool:
    """Whether the header is a MetaBase one (epoch, time label, elapsed)."""
    line = src.head.first_line
    return bool(_FIRST.match(line)) and bool(_TIME.search(line)) and "elapsed" in line.lower()


def read(src: Source, options: Options) -> Recording:
    """Read a MetaBase accelerometer CSV.

    Returns
    -------
    Recording
        Acceleration in g; time from ``epoch (ms)``, or ``elapsed (s)`` when the epoch is damaged.
    """
    head = src.head
    header = [h.strip() for h in head.first_line.split(",")]
    epoch = find_column(header, [r"epoch?\(ms\)", r"epoch"], stems=True)
    elapsed = find_column(header, [r"elapsed\(s\)"])
    acc = [find_column(header, [rf"{a}-axis\(g\)", rf"{a}", rf"{a}\(g\)"]) for a in "xyz"]
    if epoch is None or None in acc:
        raise src.error(f"expected a MetaBase header like {EXAMPLE!r}", line=1)
    if any("linear" in h.lower() for h in header) or "linear" in src.file_name.lower():
        from imu.formats._common import refuse_gravity_removed

        raise refuse_gravity_removed(
            src,
            "this MetaBase sensor-fusion 'Linear Acceleration' export",
            "Export the 'Accelerometer' sensor instead.",
        )
    names = column_names(src, header, head.first_data_line(0), ",", line=2)
    columns = {epoch: INT, **dict.fromkeys(acc, FLOAT)}  # type: ignore[dict-item]
    # The C reader leaves the text clock column unread and parses the short numbers fastest.
    table = read_table(
        src, offset=head.offset_after(0), names=names, columns=columns, delimiter=",", parser="c"
    )
    skips = Skips()
    skips.add_table(table, 2)
    notes: list[str] = []
    extra: dict[str, object] = {}
    label = _TIME.search(head.first_line)
    if label:
        extra["time_zone_label"] = label.group(2)
    meta: dict[str, object] = {"device": "MbientLab MetaMotion"}
    nominal = None
    match = FILE_NAME.match(src.file_name)
    if match:
        meta.update(
            device=match["device"], device_id=match["mac"].upper(), firmware=match["firmware"]
        )
        nominal = float(match["rate"])
        extra["sensor"] = match["sensor"]
    first = table.first_valid(epoch)
    if table.bad_cells.get(epoch) or (first is None and table.rows > 0):
        row, text = table.bad_example.get(epoch, (0, ""))
        # The elapsed column is only needed now: read it on its own (the same rows are
        # skipped, so it lines up with the first read).
        backup = (
            read_table(
                src,
                offset=head.offset_after(0),
                names=names,
                columns={elapsed: FLOAT},
                delimiter=",",
            )
            if elapsed is not None
            else None
        )
        if backup is not None and backup.rows == table.rows and not backup.missing[elapsed].all():
            t = backup.float(elapsed)  # type: ignore[arg-type]
            time_source = "elapsed (s) (epoch damaged)"
        elif nominal is not None:
            t = np.arange(table.rows) / nominal
            time_source = f"row index at the {nominal:g} Hz of the file name (epoch damaged)"
        else:
            raise src.error(
                f"the epoch clock is damaged (e.g. {text!r} in data row {row + 1}) and no "
                "other time column or sample rate is available",
                column=epoch,
            )
        notes.append(
            f"the epoch clock is damaged (e.g. {text!r} in data row {row + 1}, as after saving "
            f"in a spreadsheet): times taken from the {time_source.split(' (epoch')[0]}"
        )
    else:
        t = table_clock_seconds(table, epoch, 1e3)
        time_source = "epoch (ms)"
        if first is not None:
            meta.update(start_utc=iso_utc(int(first) / 1e3), time_zone="UTC")
    return finish(
        src,
        fmt=NAME,
        time_s=t,
        acc=tuple(table.parts(a) for a in acc),  # type: ignore[arg-type,misc]
        scale_to_g=1.0,
        unit="g",
        skips=skips,
        time_source=time_source,
        nominal_rate_hz=nominal,
        meta=meta,
        extra=extra,
        notes=notes,
    )
