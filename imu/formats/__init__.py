"""Loading recordings from the hopscope format and from the exports of sensor and phone apps.

:func:`load` is the one entry point: it picks the format from the file's content (or takes
``format=``) and returns a :class:`imu.recording.Recording` with samples in the hopscope
conventions (``time_s`` from the first sample, acceleration in g with gravity). What the reader
measured (effective rate, jitter, gaps, clipping, skipped rows) is in ``meta.extra``; what
degrades a result is also issued as :class:`~imu.errors.HopscopeWarning`. See ``docs/formats.md``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from imu.errors import InvalidRecordingError
from imu.formats._common import ACC_UNITS, TIME_UNITS, Options
from imu.formats._source import open_source
from imu.formats.registry import FORMATS, GENERIC_HELP, FormatSpec, detect, get_format
from imu.recording import Recording

__all__ = ["FORMATS", "FormatSpec", "detect_format", "list_formats", "load"]

_UNIT_ALIASES = {
    "g": "g",
    "mg": "mg",
    "m/s2": "m/s2",
    "m/s^2": "m/s2",
    "m/s²": "m/s2",
    "ms2": "m/s2",
    "mps2": "m/s2",
}
_TIME_ALIASES = {"s": "s", "ms": "ms", "us": "us", "µs": "us", "ns": "ns"}


def _options(
    path: str,
    time_col: str | None,
    acc_cols: str | Sequence[str] | None,
    units: str | None,
    time_units: str | None,
    delimiter: str | None,
    decimal: str | None,
) -> Options:
    if acc_cols is not None:
        cols = (
            [c.strip() for c in acc_cols.split(",")]
            if isinstance(acc_cols, str)
            else list(acc_cols)
        )
        if len(cols) != 3 or not all(isinstance(c, str) and c for c in cols):
            raise ValueError(f"`acc_cols` must name three columns X,Y,Z, got {acc_cols!r}")
        acc_cols = tuple(cols)
    if units is not None:
        key = units.strip().lower()
        if key not in _UNIT_ALIASES:
            raise ValueError(f"`units` must be one of {', '.join(ACC_UNITS)}, got {units!r}")
        units = _UNIT_ALIASES[key]
    if time_units is not None:
        key = time_units.strip().lower()
        if key not in _TIME_ALIASES:
            raise ValueError(
                f"`time_units` must be one of {', '.join(TIME_UNITS)}, got {time_units!r}"
            )
        time_units = _TIME_ALIASES[key]
    if delimiter is not None:
        if delimiter.lower() in ("tab", "\\t"):
            delimiter = "\t"
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise ValueError(f"`delimiter` must be one character, got {delimiter!r}")
    if decimal is not None and decimal not in (".", ","):
        raise ValueError(f"`decimal` must be '.' or ',', got {decimal!r}")
    return Options(time_col, acc_cols, units, time_units, delimiter, decimal)  # type: ignore[arg-type]


def load(
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    time_col: str | None = None,
    acc_cols: str | Sequence[str] | None = None,
    units: str | None = None,
    time_units: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> Recording:
    r"""Load a recording from any supported format.

    Parameters
    ----------
    path : str or path-like
        The file to read (a CSV/TXT export, a ZIP export, or a hopscope recording).
    format : str, optional
        Force a format by name (see :func:`list_formats`) instead of detecting it from the
        content. ``"csv"`` is the generic reader.
    time_col : str, optional
        Generic reader: the time column (guessed from names like ``time`` when absent).
    acc_cols : str or sequence of str, optional
        Generic reader: the x, y, z acceleration columns (``"ax,ay,az"`` or a sequence).
    units : {"g", "mg", "m/s2"}, optional
        Generic reader: the acceleration unit (from column names or the resting magnitude
        when absent).
    time_units : {"s", "ms", "us", "ns"}, optional
        Generic reader: the unit of the time column (from its name or step size when absent).
    delimiter : str, optional
        Generic reader: the field delimiter (sniffed when absent).
    decimal : {".", ","}, optional
        Generic reader: the decimal mark (sniffed when absent).

    Returns
    -------
    Recording
        ``time_s`` in s from the first sample, ``ax_g``, ``ay_g``, ``az_g`` in g with gravity.
        ``meta.source_format`` names the format; ``meta.extra`` holds ``effective_rate_hz``,
        ``jitter_ms``, ``gap_count``, ``gap_lost_samples``, ``clipped_samples``,
        ``skipped_rows`` and ``warnings``.

    Raises
    ------
    InvalidRecordingError
        The file cannot be read, its format is unknown or unusable (gravity removed), or its
        content does not fit its format. The message names the file and what was expected.
    ValueError
        An option has an invalid value.

    Warns
    -----
    HopscopeWarning
        Clipping, skipped rows, rebuilt or interpolated times. (A low sample rate is judged
        by the analysis against its ``min_sample_rate_hz`` setting, not here.)

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> rows = "\\n".join(f"{i * 5},0,0,1000" for i in range(400))
    >>> _ = (folder / "log.csv").write_text("t_ms,ax_mg,ay_mg,az_mg\\n" + rows + "\\n")
    >>> rec = load(folder / "log.csv", format="csv", time_units="ms", units="mg")
    >>> float(rec.samples["az_g"].iloc[0]), float(rec.samples["time_s"].iloc[-1])
    (1.0, 1.995)
    """
    source = os.fspath(path)
    options = _options(source, time_col, acc_cols, units, time_units, delimiter, decimal)
    src = open_source(source)
    if format is not None:
        try:
            spec = get_format(format)
        except ValueError as exc:
            raise InvalidRecordingError(source, f"{exc}; {GENERIC_HELP}") from None
    elif options.given:
        spec = get_format("csv")
    else:
        spec = detect(src)
    if options.given and spec.name != "csv":
        raise InvalidRecordingError(
            source,
            f"the options {', '.join(options.given)} apply to the generic reader "
            f"(format 'csv'), not to {spec.name!r}",
        )
    is_zip = src.head.raw.startswith(b"PK\x03\x04")
    if is_zip and spec.sniff_zip is None and spec.name != "csv":
        try:
            spec = get_format(f"{spec.name}_zip")
        except ValueError:
            pass
    if spec.sniff_zip is not None and not is_zip:
        raise InvalidRecordingError(source, f"expected a ZIP archive for format {spec.name!r}")
    return spec.read(src, options)


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return the name of the format a file's content is in.

    Raises
    ------
    InvalidRecordingError
        The format is unknown or unusable.
    """
    return detect(open_source(os.fspath(path))).name


def list_formats() -> list[FormatSpec]:
    """Return the supported formats, in detection order."""
    return list(FORMATS)
