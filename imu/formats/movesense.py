"""Movesense Showcase logs: only the first sample of each BLE packet carries a stamp.

iOS: ``timestamp,x,y,z`` with stamped rows (sensor ms since boot, uint32) followed by rows that
start with an empty cell; Android loggers based on the sample code: ``Timestamp (ms),X: (m/s^2),
…`` with a trailing ``", "``. Acceleration in m/s² with gravity. Each row takes its packet's
stamp; the rows of a packet are then placed one sample period apart on a grid whose rate is
fitted to the stamps, with lost packets kept as gaps.
"""

from __future__ import annotations

import re

import numpy as np

from imu.formats._common import Options, find_column
from imu.formats._normalise import G0, PacketTimes, Skips, finish, unwrap_counter
from imu.formats._source import Source
from imu.formats._table import FLOAT, column_names, read_table
from imu.recording import Recording

NAME = "movesense_showcase"
EXAMPLE = "timestamp,x,y,z"
ANDROID_EXAMPLE = "Timestamp (ms),X: (m/s^2),Y: (m/s^2),Z: (m/s^2)"
_IOS = re.compile(r"^timestamp,x,y,z\s*$")
_ANDROID = re.compile(r"^Timestamp \(ms\),\s*X: \(m/s\^2\)", re.IGNORECASE)


def sniff(src: Source) -> bool:
    """Whether the header and rows look like a Movesense Showcase log."""
    head = src.head
    first = head.first_line.strip()
    if _ANDROID.match(first):
        return True
    if not _IOS.match(first):
        return False
    return any(line.startswith(",") for line in head.lines[1:200])


def read(src: Source, options: Options) -> Recording:
    """Read a Movesense Showcase CSV.

    Returns
    -------
    Recording
        Acceleration in g (m/s² ÷ 9.80665); times from the packet stamps on a fitted grid.
    """
    head = src.head
    header = [h.strip() for h in head.first_line.split(",")]
    t_col = find_column(header, [r"timestamp", r"timestamp\(ms\)"])
    acc = [find_column(header, [rf"{a}", rf"{a}:\(m/s\^2\)"]) for a in "xyz"]
    if t_col is None or None in acc:
        raise src.error(f"expected the header {EXAMPLE!r} or {ANDROID_EXAMPLE!r}", line=1)
    names = column_names(src, header, head.first_data_line(0), ",", line=2)
    table = read_table(
        src,
        offset=head.offset_after(0),
        names=names,
        # Stamps are uint32 ms, exact in float64; most cells are empty by design.
        columns={t_col: FLOAT, **dict.fromkeys(acc, FLOAT)},  # type: ignore[dict-item]
        delimiter=",",
    )
    skips = Skips()
    skips.add_table(table, 2)
    # The stamped rows and their stamps (most cells are empty).
    idx, raw = table.present(t_col)
    extra: dict[str, object] = {}
    notes: list[str] = []
    if not idx.size:
        t = np.full(table.rows, np.nan)
    else:
        if not (np.abs(raw) < 2**53).all():
            raise src.error("expected packet stamps in ms (whole numbers)", column=t_col)
        ms = unwrap_counter(np.round(raw).astype(np.int64), 32)
        stamps = (ms - ms[0]).astype(np.float64) / 1e3
        # Every row takes its packet's stamp; the grid rebuild then places the rows of each
        # packet one sample period apart after the stamp, with lost packets kept as gaps.
        # (Rows before the first stamp take the first packet's.)
        starts = idx.copy()
        starts[0] = 0
        t = PacketTimes(stamps, starts, table.rows)
        per_packet = table.rows / idx.size
        extra.update(packets=int(idx.size), samples_per_packet=round(per_packet, 3))
        if per_packet < 1.5 and _ANDROID.match(head.first_line.strip()):
            notes.append(
                "every row carries a stamp: this logger keeps only one sample per packet, so the "
                "effective rate is a fraction of the sensor's"
            )
    if table.bad_cells.get(t_col):
        row, text = table.bad_example[t_col]
        notes.append(
            f"unreadable packet stamps (e.g. {text!r} in data row {row + 1}) were interpolated"
        )
    return finish(
        src,
        private_acc=True,
        fmt=NAME,
        time_s=t,
        acc=tuple(table.parts(a) for a in acc),  # type: ignore[arg-type,misc]
        scale_to_g=1.0 / G0,
        unit="m/s²",
        skips=skips,
        time_source="packet stamps (ms): rows of a packet one sample period apart",
        meta={"device": "Movesense"},
        extra=extra,
        notes=notes,
        bursty=True,
        stamp_at="start",
    )
