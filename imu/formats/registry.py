"""The known formats, how each is recognised, and detection from a file's content.

Detection looks at the content only, never the name: binary magic first (ZIP, OLE2, HDF5,
FIT, WitMotion SD packets), then text signatures, most specific first. Recognised formats that
cannot be used (Excel workbooks, HDF5, FIT metrics) are refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imu.formats import (
    generic,
    hopscope,
    metabase,
    movesense,
    phyphox,
    polar,
    sensor_logger,
    shimmer,
    witmotion,
    xsens,
)
from imu.formats._common import Options
from imu.formats._source import HDF5_MAGIC, OLE2_MAGIC, ZIP_MAGIC, Source, open_zip
from imu.recording import Recording

Reader = Callable[[Source, Options], Recording]


@dataclass(frozen=True)
class FormatSpec:
    """One supported format.

    Parameters
    ----------
    name : str
        The name given to ``format=`` / ``--format``.
    title : str
        Human-readable name (app and devices).
    identifies : str
        What in the content identifies it.
    example : str
        An example header.
    units : str
        Acceleration unit and time base in the file.
    read : callable
        ``read(source, options) -> Recording``.
    sniff : callable, optional
        ``sniff(source) -> bool`` on text content; None for archives and the generic reader.
    sniff_zip : callable, optional
        ``sniff_zip(member_names) -> bool`` for ZIP archives.
    aliases : tuple of str
        Other accepted names.
    """

    name: str
    title: str
    identifies: str
    example: str
    units: str
    read: Reader
    sniff: Callable[[Source], bool] | None = None
    sniff_zip: Callable[[list[str]], bool] | None = None
    aliases: tuple[str, ...] = ()


#: Text formats in detection order (most specific first), then archives, then generic.
FORMATS: tuple[FormatSpec, ...] = (
    FormatSpec(
        hopscope.NAME, "hopscope recording", "header of only time_s, ax_g, ay_g, az_g (+ gyro)",
        hopscope.EXAMPLE, "g; s from start", hopscope.read, hopscope.sniff,
    ),
    FormatSpec(
        xsens.NAME, "Xsens / Movella DOT CSV", "line 1 'sep=,', preamble, header 'PacketCounter,SampleTimeFine'",
        xsens.EXAMPLE, "m/s²; SampleTimeFine µs (uint32)", xsens.read, xsens.sniff,
        aliases=("xsens", "dot", "movella", "movella_dot"),
    ),
    FormatSpec(
        shimmer.NAME, "Shimmer Consensys CSV", "line 1 '\"sep=', line 2 '…_Timestamp_Unix_CAL'",
        shimmer.EXAMPLE, "m/s²; Unix ms", shimmer.read, shimmer.sniff,
        aliases=("shimmer", "consensys"),
    ),
    FormatSpec(
        polar.NAME, "Polar Sensor Logger ACC (Verity Sense, H10, OH1)",
        "starts 'Phone timestamp;sensor timestamp [ns];X [mg]'", polar.EXAMPLE,
        "mg; sensor ns since 2000", polar.read, polar.sniff, aliases=("polar",),
    ),
    FormatSpec(
        witmotion.APP, "WitMotion Android app CSV", "starts 'Time,Device name,Chip Time()' (after a BOM)",
        witmotion.APP_EXAMPLE, "g; phone HH:MM:SS.mmm (bursty)", witmotion.read_app, witmotion.sniff_app,
        aliases=("witmotion", "witmotion_android"),
    ),
    FormatSpec(
        witmotion.TXT, "WitMotion PC software TXT", "tab/space header with AccX(g)/ax(g) and AsX/AngleX; optional 'Start time' line",
        witmotion.TXT_EXAMPLE, "g; date-time text (ms after ':')", witmotion.read_txt, witmotion.sniff_txt,
        aliases=("witmotion_pc",),
    ),
    FormatSpec(
        metabase.NAME, "MbientLab MetaBase (Android, iOS, MetaBase 5)",
        "starts 'epoch (ms),time (' / 'epoc (ms),timestamp (' / 'Epoch,Timestamp (' with 'elapsed (s)'",
        metabase.EXAMPLE, "g; Unix ms", metabase.read, metabase.sniff, aliases=("mbientlab", "metamotion"),
    ),
    FormatSpec(
        phyphox.NAME, "phyphox CSV (Acceleration with g, Accelerometer)",
        "first cell '\"Time (s)\"'; delimiter after its closing quote", phyphox.EXAMPLE,
        "m/s²; s from start", phyphox.read, phyphox.sniff,
    ),
    FormatSpec(
        sensor_logger.NAME, "Sensor Logger CSV (TotalAcceleration)", "starts 'time,seconds_elapsed,'",
        sensor_logger.EXAMPLE, "m/s²; Unix ns", sensor_logger.read, sensor_logger.sniff,
        aliases=("sensorlogger",),
    ),
    FormatSpec(
        movesense.NAME, "Movesense Showcase log", "'timestamp,x,y,z' and rows starting ',' (or 'Timestamp (ms),X: (m/s^2)')",
        movesense.EXAMPLE, "m/s²; sensor ms per packet", movesense.read, movesense.sniff,
        aliases=("movesense",),
    ),
    FormatSpec(
        "phyphox_zip", "phyphox ZIP export", "ZIP archive containing meta/time.csv",
        '(archive) Raw Data.csv, meta/time.csv, meta/device.csv', "m/s²; s from start + Unix start",
        phyphox.read_zip, sniff_zip=phyphox.sniff_zip,
    ),
    FormatSpec(
        "sensor_logger_zip", "Sensor Logger ZIP export", "ZIP archive with Metadata.csv and TotalAcceleration.csv, AccelerometerUncalibrated.csv or Accelerometer.csv + Gravity.csv",
        "(archive) TotalAcceleration.csv, Metadata.csv, …", "m/s²; Unix ns",
        sensor_logger.read_zip, sniff_zip=sensor_logger.sniff_zip,
    ),
    FormatSpec(
        generic.NAME, "any delimited table (generic reader)",
        "used when named, or when time_col/acc_cols/units/time_units are given",
        "time,ax,ay,az", "from units= / names / resting magnitude", generic.read,  # type: ignore[arg-type]
        aliases=("generic",),
    ),
)  # fmt: skip

GENERIC_HELP = (
    "for another table use the generic reader: format='csv' (--format csv) with time_col= "
    "(--time-col), acc_cols=X,Y,Z (--acc-cols), units=g|mg|m/s2 (--units), "
    "time_units=s|ms|us|ns (--time-units)"
)


def get_format(name: str) -> FormatSpec:
    """Look a format up by name or alias.

    Raises
    ------
    ValueError
        The name is not known (the message lists the known names).
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    for spec in FORMATS:
        if key == spec.name or key in spec.aliases:
            return spec
    raise ValueError(f"unknown format {name!r}; known: {', '.join(s.name for s in FORMATS)}")


def known_names() -> str:
    """Return the format names, comma-separated."""
    return ", ".join(s.name for s in FORMATS)


def detect(src: Source) -> FormatSpec:
    """Pick the format from the content.

    Raises
    ------
    InvalidRecordingError
        The content is empty, a recognised but unusable format, or unknown (the message lists
        the known formats and the generic options).
    """
    raw = src.head.raw
    if not raw.strip():
        raise src.error("the file is empty: expected an export with a header and data rows")
    if raw.startswith(ZIP_MAGIC):
        with open_zip(src) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
        for spec in FORMATS:
            if spec.sniff_zip is not None and spec.sniff_zip(names):
                return spec
        if any(n.startswith("xl/") for n in names):
            raise src.error(
                "this is an Excel workbook (.xlsx): export the data as CSV from the app "
                "(phyphox: 'CSV (Comma, decimal point)')"
            )
        shown = ", ".join(names[:6]) + (" …" if len(names) > 6 else "")
        raise src.error(
            f"a ZIP archive of unknown origin ({shown}); expected a phyphox export "
            "(meta/time.csv) or a Sensor Logger export (Metadata.csv + TotalAcceleration.csv,"
            " or Accelerometer.csv + Gravity.csv)"
        )
    if raw.startswith(OLE2_MAGIC):
        raise src.error(
            "this is an old Excel workbook (.xls): export the data as CSV from the app instead"
        )
    if raw.startswith(HDF5_MAGIC):
        raise src.error(
            "this is an HDF5 file (e.g. APDM Opal): not supported; export the accelerometer "
            f"as CSV ({GENERIC_HELP})"
        )
    if len(raw) >= 12 and raw[8:12] == b".FIT":
        raise src.error(
            "this is a Garmin FIT file: it holds running-dynamics metrics, not raw "
            "acceleration, so hops cannot be measured from it"
        )
    if len(raw) >= 12 and raw[0] == 0x55 and 0x50 <= raw[1] <= 0x5F and raw[11] == 0x55:
        raise src.error(
            "this looks like a WitMotion SD-card binary log (0x55 packets): not supported; "
            "export a CSV with the WitMotion app or PC software"
        )
    if b"\x00" in raw[:1024]:
        raise src.error(
            f"binary content of unknown origin; expected a text export of one of: {known_names()}"
        )
    for spec in FORMATS:
        if spec.sniff is not None and spec.sniff(src):
            return spec
    first = src.head.first_line[:120]
    raise src.error(
        f"unknown export (first line {first!r}); known formats: {known_names()}; {GENERIC_HELP}"
    )
