"""Xsens DOT / Movella DOT CSV exports.

A preamble (``sep=,``, ``Key:,value`` lines, a copyright line, a blank line) precedes the header
``PacketCounter,SampleTimeFine,…``. ``Acc_*`` is m/s² with gravity; ``FreeAcc_*`` has gravity
removed (refused). ``SampleTimeFine`` is a µs counter (uint32, wraps every ≈71.6 min) and
``PacketCounter`` (uint16) shows dropped packets.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import numpy as np

from imu.formats._common import Options, find_column, refuse_gravity_removed
from imu.formats._normalise import G0, Skips, finish, unwrap_counter
from imu.formats._source import Source
from imu.formats._table import FLOAT, INT, column_names, read_table
from imu.recording import Recording

NAME = "xsens_dot"
EXAMPLE = "PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z"
#: DOT accelerometer full scale, ± g.
RANGE_G = 16.0


def _header_index(src: Source) -> int | None:
    return src.head.find_line(lambda line: line.startswith("PacketCounter,"), limit=60)


def sniff(src: Source) -> bool:
    """Whether the content has the DOT preamble (``sep=,``) and a ``PacketCounter`` header."""
    head = src.head
    if not head.first_line.strip().startswith("sep=,"):
        return head.first_line.startswith("PacketCounter,SampleTimeFine")
    return _header_index(src) is not None


def read(src: Source, options: Options) -> Recording:
    """Read an Xsens/Movella DOT CSV.

    Returns
    -------
    Recording
        Acceleration in g (``Acc_*`` ÷ 9.80665), time from the unwrapped ``SampleTimeFine``.
    """
    head = src.head
    index = _header_index(src)
    if index is None:
        raise src.error("expected a header line starting 'PacketCounter,' after the preamble")
    info: dict[str, str] = {}
    for line in head.lines[:index]:
        if ":" in line and "," in line:
            key, _, value = line.partition(",")
            info[key.strip().rstrip(":").strip()] = value.strip().rstrip(",").strip()
    header = [h.strip() for h in head.lines[index].split(",")]
    acc = [find_column(header, [rf"acc_{a}"]) for a in "xyz"]
    if None in acc:
        if find_column(header, [r"freeacc_x"]):
            raise refuse_gravity_removed(
                src,
                "this DOT export (FreeAcc_X/Y/Z only)",
                "Record in a measurement mode that outputs 'Acceleration' (Acc_X/Y/Z), e.g. "
                "'Custom mode' or on-sensor recording.",
            )
        raise src.error("expected columns Acc_X, Acc_Y, Acc_Z", line=index + 1)
    stf_header = find_column(header, [r"sampletimefine"])
    if stf_header is None:
        raise src.error("expected a SampleTimeFine column", line=index + 1)
    names = column_names(src, header, head.first_data_line(index), ",", line=index + 2)
    stf = names[header.index(stf_header)]
    pc_col = find_column(header, [r"packetcounter"])
    columns = {stf: INT, **dict.fromkeys(acc, FLOAT)}  # type: ignore[dict-item]
    if pc_col is not None:
        columns[pc_col] = INT
    table = read_table(
        src, offset=head.offset_after(index), names=names, columns=columns, delimiter=",",
        first_line=index + 2,
    )  # fmt: skip
    skips = Skips()
    skips.add_table(table, index + 2)
    ax, ay, az = (table.float(a) for a in acc)  # type: ignore[arg-type]
    fine = table.int(stf)
    missing = table.missing[stf].copy()
    # On-sensor recordings start with a placeholder row of zeros.
    zero = (fine == 0) & (ax == 0) & (ay == 0) & (az == 0)
    if zero.any():
        skips.add("all-zero placeholder row", int(zero.sum()))
        missing |= zero
        ax, ay, az = (np.where(zero, np.nan, a) for a in (ax, ay, az))
    t = np.full(fine.size, np.nan)
    good = np.flatnonzero(~missing)
    if good.size:
        us = unwrap_counter(fine[good], 32)
        t[good] = (us - us[0]).astype(np.float64) / 1e6
    meta: dict[str, object] = {"device": "Xsens DOT"}
    extra: dict[str, object] = {f"preamble {k}": v for k, v in info.items()}
    if "DeviceTag" in info:
        meta["device_id"] = info["DeviceTag"]
    if "FirmwareVersion" in info:
        meta["firmware"] = info["FirmwareVersion"]
    if any("Movella" in line for line in head.lines[:index]):
        meta["device"] = "Movella DOT"
    nominal = None
    rate = re.fullmatch(r"(\d+(?:\.\d+)?)\s*Hz", info.get("OutputRate", ""))
    if rate:
        nominal = float(rate.group(1))
    start = _start(info.get("StartTime", ""))
    if start:
        meta.update(start_utc=start, time_zone="UTC")
    if pc_col is not None:
        counter = table.int(pc_col)[~table.missing[pc_col]]
        if counter.size > 1:
            step = np.diff(unwrap_counter(counter, 16))
            lost = int(np.sum(step[step > 1] - 1))
            meta["lost_packets"] = lost
            extra["packet_counter_gaps"] = int(np.sum(step > 1))
    return finish(
        src,
        private_acc=True,
        fmt=NAME,
        time_s=t,
        acc=(ax, ay, az),
        scale_to_g=1.0 / G0,
        unit="m/s²",
        skips=skips,
        time_source="SampleTimeFine (µs, unwrapped)",
        nominal_rate_hz=nominal,
        range_g=RANGE_G,
        meta=meta,
        extra=extra,
    )


def _start(text: str) -> str | None:
    """``2021-08-20_20:21:13_829 GMT+8`` to ISO UTC."""
    m = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2}):(\d{2})_(\d{3})\s*(?:GMT([+-]\d{1,2})(?::?(\d{2}))?)?",
        text.strip(),
    )
    if not m:
        return None
    y, mo, d, h, mi, s, ms = (int(g) for g in m.groups()[:7])
    try:
        local = datetime(y, mo, d, h, mi, s, ms * 1000)
    except ValueError:
        return None
    hours = int(m.group(8) or 0)
    minutes = int(m.group(9) or 0) * (1 if hours >= 0 else -1)
    utc = local - timedelta(hours=hours, minutes=minutes)
    return (
        utc.replace(tzinfo=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
