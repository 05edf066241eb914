"""Sensor Logger exports (Android, iOS): ``time,seconds_elapsed,z,y,x``.

One CSV per sensor, in a ZIP with ``Metadata.csv``, or a bare CSV. ``time`` is Unix ns (UTC),
``seconds_elapsed`` seconds from the Start tap; the axis order is z, y, x. ``TotalAcceleration``
(Android) holds m/s² with gravity and is used; ``AccelerometerUncalibrated`` includes gravity
(in g with flipped signs on iOS unless "Standardise Units & Frames" was on). ``Accelerometer``
(the only acceleration file on iOS) has gravity removed: with ``Gravity.csv`` from the same
recording (in the ZIP, or next to a bare file) the two are added on their ``time`` column,
otherwise it is refused. Spreadsheets damage ``time`` (``"1,70136286270131E+018"``): then
``seconds_elapsed`` gives the times.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from concurrent.futures import wait

import numpy as np
import pyarrow as pa

from imu._median import median
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
from imu.formats._source import ZIP_ERRORS, Source, member_source, open_source, open_zip
from imu.formats._table import (
    FLOAT,
    INT,
    Chunked,
    Table,
    column_names,
    read_clean_table,
    read_table,
)
from imu.formats._threads import submit
from imu.recording import Recording, all_finite, pooled_array

NAME = "sensor_logger"
SIGNATURE = "time,seconds_elapsed,"
EXAMPLE = "time,seconds_elapsed,z,y,x"
PREFERRED = ("TotalAcceleration.csv", "AccelerometerUncalibrated.csv", "Accelerometer.csv")
GRAVITY_FILE = "Gravity.csv"
ADVICE = (
    "Export 'Gravity' with it (in the same ZIP or folder: the two are added together on their "
    "time column), or export 'Total Acceleration' (Android) or 'Accelerometer (Uncalibrated)' "
    "(iOS) instead."
)

#: The columns read from every Sensor Logger acceleration file.
_COLUMNS = {"time": INT, "x": FLOAT, "y": FLOAT, "z": FLOAT}
#: The columns read from ``Gravity.csv`` (``seconds_elapsed`` for a damaged ``time``).
_GRAVITY_COLUMNS = {"time": INT, "seconds_elapsed": FLOAT, "x": FLOAT, "y": FLOAT, "z": FLOAT}


def sniff(src: Source) -> bool:
    """Whether the header starts ``time,seconds_elapsed,``."""
    return src.head.first_line.startswith(SIGNATURE)


def sniff_zip(names: list[str]) -> bool:
    """Whether an archive's members look like a Sensor Logger export."""
    base = {n.rsplit("/", 1)[-1] for n in names}
    return "Metadata.csv" in base and bool(base & {*PREFERRED, GRAVITY_FILE})


def read(src: Source, options: Options) -> Recording:
    """Read a bare Sensor Logger CSV (the file name tells which sensor it is).

    A bare ``Accelerometer.csv`` of an unpacked export takes its gravity from the
    ``Gravity.csv`` (and its platform from the ``Metadata.csv``) in the same folder. A bare
    ``Gravity.csv`` (gravity alone, no motion) is refused.

    Returns
    -------
    Recording
    """
    if src.file_name == GRAVITY_FILE:
        # Same header as the acceleration files: only the name tells them apart.
        raise src.error(
            "expected acceleration: Gravity.csv holds Sensor Logger's estimate of gravity alone,"
            " without the motion of the foot; analyse TotalAcceleration.csv (Android), or"
            " Accelerometer.csv with Gravity.csv beside it (iOS), or the whole export ZIP"
        )
    if src.member is None and src.path is not None and src.file_name == "Accelerometer.csv":
        folder = src.path.parent
        if (folder / GRAVITY_FILE).is_file():
            gravity = _GravityAhead(lambda: open_source(folder / GRAVITY_FILE))
            try:
                info: dict[str, str] = {}
                if (folder / "Metadata.csv").is_file():
                    try:
                        info = _metadata_text((folder / "Metadata.csv").read_bytes())
                    except OSError:
                        info = {}
                return _read_csv(src, sensor=src.file_name, **_described(info), gravity=gravity)
            finally:
                gravity.close()
    return _read_csv(src, sensor=src.file_name, meta={}, extra={}, platform=None, standardised=None)


def read_zip(src: Source, options: Options) -> Recording:
    """Read a Sensor Logger ZIP export: the best acceleration file and ``Metadata.csv``.

    ``TotalAcceleration.csv`` is preferred, then ``AccelerometerUncalibrated.csv``, then
    ``Accelerometer.csv`` with ``Gravity.csv`` added back to it; a preferred file without a
    data row is passed over.

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
        described = _described(info)

        def gravity_member() -> Source:
            return member_source(src, zf, by_base[GRAVITY_FILE])

        candidates = [name for name in PREFERRED if name in by_base]
        for i, name in enumerate(candidates):
            member = member_source(src, zf, by_base[name])
            if i + 1 < len(candidates) and member.head.first_data_line(0) is None:
                # A sensor enabled but never delivered: the next file is used.
                described["extra"]["empty files passed over"] = ", ".join(candidates[: i + 1])
                continue
            if GRAVITY_FILE not in by_base or name != "Accelerometer.csv":
                # (Total and uncalibrated acceleration hold gravity: Gravity.csv is not used.)
                return _read_csv(member, sensor=name, **described, gravity=None)
            gravity = _GravityAhead(gravity_member)
            try:
                return _read_csv(member, sensor=name, **described, gravity=gravity)
            finally:
                gravity.close()  # before the archive is closed
        raise src.error(
            "expected TotalAcceleration.csv, AccelerometerUncalibrated.csv or Accelerometer.csv "
            f"in the Sensor Logger archive; it holds {', '.join(sorted(by_base))}"
        )


def _metadata(zf: zipfile.ZipFile, member: str) -> dict[str, str]:
    try:
        raw = zf.read(member)
    except ZIP_ERRORS:
        return {}
    return _metadata_text(raw)


def _metadata_text(raw: bytes) -> dict[str, str]:
    """Return the first row of ``Metadata.csv`` by lower-case column name (empty when unreadable)."""
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"))))
    except csv.Error:
        return {}
    if len(rows) < 2:
        return {}
    return {k.strip().lower(): v.strip() for k, v in zip(rows[0], rows[1], strict=False)}


def _described(info: dict[str, str]) -> dict[str, object]:
    """Platform, standardisation and recording metadata from ``Metadata.csv``'s row."""
    meta: dict[str, object] = {}
    if info.get("device name"):
        meta["device"] = f"{info['device name']} (Sensor Logger)"
    if info.get("device id"):
        meta["device_id"] = info["device id"]
    return {
        "meta": meta,
        "extra": {f"metadata {k}": v for k, v in info.items() if k and v},
        "platform": info.get("platform", "").lower() or None,
        "standardised": info.get("standardisation", "").lower() == "true" if info else None,
    }


def _names(src: Source) -> list[str]:
    """Check a Sensor Logger header; return the names of a row's fields."""
    head = src.head
    if not sniff(src):
        raise src.error(f"expected the Sensor Logger header {EXAMPLE!r}", line=1)
    header = [h.strip() for h in head.first_line.split(",")]
    if not {"x", "y", "z"} <= set(header):
        raise src.error("expected columns x, y and z (in any order)", line=1)
    return column_names(src, header, head.first_data_line(0), ",", line=2)


def _parse(src: Source, columns: dict[str, pa.DataType]) -> tuple[Table, list[str]]:
    """Check a Sensor Logger header and parse the data rows (the columns asked for)."""
    names = _names(src)
    table = read_table(
        src, offset=src.head.offset_after(0), names=names, columns=columns, delimiter=","
    )
    return table, names


def _clean_gravity(opener: Callable[[], Source]) -> tuple[Source, Table | None]:
    """Open and parse ``Gravity.csv`` (on a worker thread); no table when it is not clean.

    Only pyarrow's reader runs here (see :func:`~imu.formats._table.read_clean_table`);
    data it cannot read are parsed on the calling thread.
    """
    gsrc = opener()
    names = _names(gsrc)  # (first: it refuses a file without the header)
    table = read_clean_table(
        gsrc,
        offset=gsrc.head.offset_after(0),
        names=names,
        columns=_GRAVITY_COLUMNS,
        delimiter=",",
    )
    if table is not None:
        # The columns the merge takes, joined here while the accelerometer is still being
        # read or checked on the calling thread.
        table.int("time")
        _ = table.missing["time"]
        for axis in ("x", "y", "z"):
            table.float(axis)
    return gsrc, table


class _GravityAhead:
    """``Gravity.csv`` opened and parsed while ``Accelerometer.csv`` is read.

    Both are parsed side by side (each parse leaves part of the two cores idle; an archive
    member is decompressed meanwhile, which zlib does without the interpreter), and the
    accelerometer's own checks run while Gravity's parse finishes. Calling it returns
    Gravity's source and table, or raises what opening or parsing it raised, just as when it
    is read then. :meth:`close` waits for a parse whose result was not asked for (before an
    archive is closed, for one).

    Parameters
    ----------
    opener : callable
        Returns ``Gravity.csv`` as a :class:`~imu.formats._source.Source` (the file, or the
        archive member: nothing else reads the archive until the parse is done).
    """

    def __init__(self, opener: Callable[[], Source]) -> None:
        self.opener = opener
        self.job = submit(_clean_gravity, opener)

    def __call__(self) -> tuple[Source, Table]:
        if self.job is None:
            gsrc, table = self.opener(), None
        else:
            gsrc, table = self.job.result()
        if table is None:
            table = _parse(gsrc, _GRAVITY_COLUMNS)[0]
        return gsrc, table

    def close(self) -> None:
        """Cancel the parse if it has not started, or wait for it to end."""
        if self.job is not None and not self.job.cancel():
            wait([self.job])


def _time_damaged(table: Table) -> bool:
    """Whether a table's ``time`` column is unusable (spreadsheet damage or no value)."""
    return bool(table.bad_cells.get("time")) or table.first_valid("time") is None


def _elapsed(src: Source, table: Table, names: list[str]) -> np.ndarray:
    """Return the ``seconds_elapsed`` column of a parsed file, row for row with ``table``."""
    # Only needed now: read on its own (the same rows are skipped, so it lines up).
    backup = read_table(
        src,
        offset=src.head.offset_after(0),
        names=names,
        columns={"seconds_elapsed": FLOAT},
        delimiter=",",
    )
    if backup.rows != table.rows:
        raise src.error(
            "the 'time' column is damaged and 'seconds_elapsed' does not line up with it"
        )
    return backup.float("seconds_elapsed")


def _read_csv(
    src: Source,
    *,
    sensor: str,
    meta: dict[str, object],
    extra: dict[str, object],
    platform: str | None,
    standardised: bool | None,
    gravity: Callable[[], tuple[Source, Table]] | None = None,
) -> Recording:
    table, names = _parse(src, _COLUMNS)
    skips = Skips()
    skips.add_table(table, 2)
    notes: list[str] = []
    damaged = _time_damaged(table)
    if damaged:
        row, text = table.bad_example.get("time", (0, ""))
        notes.append(
            f"the 'time' column is damaged (e.g. {text!r} in data row {row + 1}, as after saving "
            "in a spreadsheet): times taken from 'seconds_elapsed'"
        )
        t = _elapsed(src, table, names)
        time_source = "seconds_elapsed (time damaged)"
    else:
        t = table_clock_seconds(table, "time", 1e9)
        time_source = "time (Unix ns)"
        first = table.first_valid("time")
        meta = {**meta, "start_utc": iso_utc(int(first) / 1e9), "time_zone": "UTC"}  # type: ignore[call-overload]
    acc = (table.parts("x"), table.parts("y"), table.parts("z"))
    scale, unit = 1.0 / G0, "m/s²"
    kind = sensor.rsplit(".", 1)[0]
    ios_frame = platform == "ios" and not standardised
    if kind == "AccelerometerUncalibrated" and ios_frame:
        scale, unit = -1.0, "g (iOS, signs flipped)"
    if kind not in ("TotalAcceleration", "AccelerometerUncalibrated"):
        # A sensor that may have gravity removed: look at the quietest second first.
        acc = (table.float("x"), table.float("y"), table.float("z"))
        if isinstance(t, ClockTicks):
            t = t.seconds()
        mag = _rest_magnitude(t, acc, scale)
        if mag is not None and mag < GRAVITY_MISSING_G:
            what = f"this Sensor Logger file ({sensor})"
            if gravity is None:
                raise refuse_gravity_removed(src, what, ADVICE)
            acc, t, added = _add_gravity(
                src,
                gravity(),
                acc=acc,  # type: ignore[arg-type]
                t=t,
                keys=_keys(table, "time") if not damaged else _keys_from_seconds(t),
                elapsed=lambda: _keys_from_seconds(_elapsed(src, table, names)),
                use_time=not damaged,
                skips=skips,
                what=what,
            )
            kind = f"{kind}+Gravity"
            if ios_frame:
                scale, unit = -1.0 / G0, "m/s² (Accelerometer + Gravity; iOS, signs flipped)"
            else:
                unit = "m/s² (Accelerometer + Gravity)"
            note = added.pop("gravity_note")
            first_ns = added.pop("first_time_ns")
            extra = {**extra, **added}
            meta = {**meta, "notes": note}
            if first_ns is not None:
                meta["start_utc"] = iso_utc(first_ns / 1e9)  # type: ignore[operator]
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


def _rest_magnitude(
    seconds: np.ndarray, acc: tuple[np.ndarray, np.ndarray, np.ndarray], scale: float
) -> float | None:
    """Return |a| in the quietest second (g: the values times ``scale``), or None.

    Only rows with a number on every axis count (None when there is none). The rate comes
    from the median of the positive steps between their times.
    """
    # With every value finite, every row counts and nothing needs to be selected.
    if not all(all_finite(a) for a in acc):
        ok = np.isfinite(acc[0]) & np.isfinite(acc[1]) & np.isfinite(acc[2])
        seconds, acc = seconds[ok], (acc[0][ok], acc[1][ok], acc[2][ok])
    n = seconds.size
    if n == 0:
        return None
    if n > 1:
        # numpy.diff, into pooled memory.
        step = np.subtract(seconds[1:], seconds[:-1], out=pooled_array(n - 1))
    else:
        step = np.array([0.01])
    positive = step if step.min() > 0 else step[step > 0]
    # (Either array is this function's own: the median may reorder it.)
    rate = 1.0 / median(positive, overwrite_input=True) if positive.size else 100.0
    with np.errstate(over="ignore", invalid="ignore"):  # finish() reports absurd values
        return quiet_magnitude(acc, rate, scale=scale)


def _keys(table: Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return an integer ns clock column as matching keys, and which rows have one."""
    return table.int(name), ~table.missing[name]


def _keys_from_seconds(seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds as integer ns matching keys, and which rows have one."""
    seconds = np.asarray(seconds, dtype=np.float64)
    valid = np.isfinite(seconds) & (np.abs(seconds) < 9e9)
    keys = np.zeros(seconds.size, dtype=np.int64)
    keys[valid] = np.round(seconds[valid] * 1e9).astype(np.int64)
    return keys, valid


def _interp(at: np.ndarray, knots: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``numpy.interp`` without floating-point warnings (absurd values: finish() skips them)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.interp(at, knots, values)


def _time_order(gkeys: np.ndarray, gvalid: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Gravity's usable rows in time order, the first row of each repeated time.

    Returns
    -------
    order : numpy.ndarray
        The rows, in time order.
    keys : numpy.ndarray
        Their times (strictly increasing).
    whole : bool
        Whether ``order`` is every row of the file, in file order.
    """
    if gvalid.all():  # (every row usable, the rule: nothing to gather)
        order, valid_keys = np.arange(gvalid.size), gkeys
    else:
        order = np.flatnonzero(gvalid)
        valid_keys = gkeys[order]
    if valid_keys.size < 2 or bool((valid_keys[1:] > valid_keys[:-1]).all()):
        # Strictly increasing already (the rule): nothing to sort, no time repeated. (Over a
        # span of 2**63 ns or more the steps of ``numpy.diff`` below wrap around and may
        # drop rows: such times take that path as they always did.)
        if valid_keys.size < 2 or int(valid_keys[-1]) - int(valid_keys[0]) < 2**63:
            return order, valid_keys, order.size == gkeys.size
    if valid_keys.size > 1 and not bool((valid_keys[1:] >= valid_keys[:-1]).all()):
        # (In time order already as a rule: then the stable sort would change nothing.)
        order = order[np.argsort(valid_keys, kind="stable")]
    gk = gkeys[order]
    first_of_time = np.concatenate([[True], np.diff(gk) > 0])  # a repeated time: its first row
    return order[first_of_time], gk[first_of_time], False


def _rows_inside(
    akeys: np.ndarray, has_key: np.ndarray, first: int, last: int
) -> np.ndarray | None:
    """Which rows have a time from ``first`` to ``last``; None when every row has."""
    if akeys.size and bool(has_key.all()) and akeys.min() >= first and akeys.max() <= last:
        return None  # (the rule: the extremes say it without a mask)
    return has_key & (akeys >= first) & (akeys <= last)


def _count_left_out(skips: Skips, has_key: np.ndarray, inside: np.ndarray) -> None:
    """Count the acceleration rows without a time, and those outside Gravity's span."""
    no_key = int((~has_key).sum())
    if no_key:
        first = int(np.flatnonzero(~has_key)[0])
        skips.add(f"no time to match with {GRAVITY_FILE}", no_key, f"data row {first + 1}")
    outside = has_key & ~inside
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        skips.add(
            f"outside the time span of {GRAVITY_FILE} (no gravity to add back)",
            int(outside.sum()),
            f"data row {first + 1}",
        )


def _same_times(kept: np.ndarray, gk: np.ndarray) -> bool:
    """Whether the acceleration rows kept have exactly Gravity's times, row for row.

    Only within 2**53 ns of the first time: there the times relative to it are exact in
    float64, so ``numpy.interp`` finds each one as a knot of its own and returns Gravity's
    value there unchanged.
    """
    return (
        kept.size == gk.size and int(gk[-1]) - int(gk[0]) < 2**53 and bool(np.array_equal(kept, gk))
    )


def _interpolated(
    kept: np.ndarray, gk: np.ndarray, gxyz: list[np.ndarray]
) -> tuple[int, list[np.ndarray]]:
    """Gravity interpolated at the times ``kept`` (within ``gk``), and how many are exact."""
    # Relative ns are exact in float64 for recordings of up to about 100 days.
    origin = gk[0]
    at = (kept - origin).astype(np.float64)
    knots = (gk - origin).astype(np.float64)
    pos = np.minimum(np.searchsorted(gk, kept), gk.size - 1)
    exact = int((gk[pos] == kept).sum())
    # The three axes are interpolated side by side (numpy lets go of the interpreter).
    jobs = [submit(_interp, at, knots, g) for g in gxyz[1:]]
    gravity = [_interp(at, knots, gxyz[0])] + [
        _interp(at, knots, g) if job is None else job.result()
        for job, g in zip(jobs, gxyz[1:], strict=True)
    ]
    return exact, gravity


def _plus_gravity(
    acc: tuple[np.ndarray, np.ndarray, np.ndarray],
    gravity: list[np.ndarray],
    inside: np.ndarray | None,
) -> tuple[Chunked, Chunked, Chunked]:
    """Acceleration plus gravity on the rows ``inside`` (all when None), for finish().

    The sums go to arrays of their own in pooled memory (no fresh pages to fault in), and
    as pieces, which finish() scales straight into the recording's block of columns.
    """
    out = []
    for a, g in zip(acc, gravity, strict=True):
        total = pooled_array(g.size)
        if inside is not None:
            a = np.compress(inside, a, out=total)
        with np.errstate(over="ignore", invalid="ignore"):  # absurd values: finish() skips them
            np.add(a, g, out=total)
        out.append(Chunked([total]))
    return out[0], out[1], out[2]


def _add_gravity(
    src: Source,
    gravity: tuple[Source, Table],
    *,
    acc: tuple[np.ndarray, np.ndarray, np.ndarray],
    t: np.ndarray,
    keys: tuple[np.ndarray, np.ndarray],
    elapsed: Callable[[], tuple[np.ndarray, np.ndarray]],
    use_time: bool,
    skips: Skips,
    what: str,
) -> tuple[tuple[Chunked, Chunked, Chunked], Chunked, dict[str, object]]:
    """Add ``Gravity.csv`` back to gravity-removed acceleration, matched on time.

    Rows are matched on ``time`` (Unix ns; on ``seconds_elapsed`` when either file's
    ``time`` is damaged). Equal times take Gravity's row as it is; other rows take Gravity
    linearly interpolated between its two neighbouring rows. Acceleration rows outside
    Gravity's time span (or without a time) have no gravity to add: they are left out and
    counted in ``skips``. ``gravity`` is ``Gravity.csv`` and its parsed table.

    Returns
    -------
    acc : tuple of Chunked
        x, y, z with gravity added (the unit of the files, m/s²), for the rows kept (arrays
        of their own, as one piece each).
    t : Chunked
        The times of the rows kept (one piece).
    added : dict
        What was done, for the recording's ``extra`` (``gravity_note`` for its notes,
        ``first_time_ns`` the Unix ns of the first row kept, or None).

    Raises
    ------
    InvalidRecordingError
        Gravity.csv holds no usable row, or covers none of the acceleration rows.
    """
    gsrc, grav = gravity
    if use_time and not _time_damaged(grav):
        gkeys, gvalid = _keys(grav, "time")
        basis = "time"
    else:
        if use_time:  # the accelerometer's clock is intact but Gravity's is not
            keys = elapsed()
        gkeys, gvalid = _keys_from_seconds(grav.float("seconds_elapsed"))
        basis = "seconds_elapsed"
    gxyz = [grav.float(axis) for axis in ("x", "y", "z")]
    if not all(all_finite(g) for g in gxyz):
        for values in gxyz:
            gvalid = gvalid & np.isfinite(values)
    if not gvalid.any():
        raise refuse_gravity_removed(
            src,
            what,
            f"{gsrc.file_name} holds no usable rows to add back (expected "
            f"'{EXAMPLE}' rows with numbers). {ADVICE}",
        )
    order, gk, whole = _time_order(gkeys, gvalid)
    akeys, has_key = keys
    inside = _rows_inside(akeys, has_key, gk[0], gk[-1])
    if inside is not None:
        _count_left_out(skips, has_key, inside)
    every_row = inside is None or bool(inside.all())
    kept = akeys if every_row else akeys[inside]
    if kept.size == 0:
        raise src.error(
            f"no acceleration row lies within the times of {gsrc.file_name}: expected "
            "Accelerometer.csv and Gravity.csv of the same recording"
        )
    if _same_times(kept, gk):
        # Both files stamped by the same motion updates (the rule): every row takes
        # Gravity's row as it is, which is what the interpolation gives at equal times.
        exact = kept.size
        gravity = gxyz if whole else [g[order] for g in gxyz]
    else:
        exact, gravity = _interpolated(kept, gk, [g[order] for g in gxyz])
    out = _plus_gravity(acc, gravity, None if every_row else inside)
    t_kept = Chunked([t if every_row else t[inside]])
    interpolated = kept.size - exact
    left_out = akeys.size - kept.size
    note = (
        f"gravity added back from {GRAVITY_FILE} (matched on {basis}: {exact} rows at equal "
        f"times, {interpolated} interpolated"
        + (f", {left_out} outside its span left out" if left_out else "")
        + ")"
    )
    added: dict[str, object] = {
        "gravity_added_from": gsrc.name,
        "gravity_note": note,
        "gravity_matched_on": basis,
        "gravity_exact_rows": exact,
        "gravity_interpolated_rows": interpolated,
        "gravity_rows_unusable": int(grav.rows - gvalid.sum()) + grav.bad_rows,
        "first_time_ns": int(kept[0]) if basis == "time" else None,
    }
    return out, t_kept, added
