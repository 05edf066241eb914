"""Small helpers shared by the readers: options, column matching, clock-string parsing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from imu.formats._source import Source

ACC_UNITS = ("g", "mg", "m/s2")
TIME_UNITS = ("s", "ms", "us", "ns")


@dataclass(frozen=True)
class Options:
    """Options of the generic CSV reader (None = sniff or guess).

    Parameters
    ----------
    time_col : str, optional
        Name of the time column.
    acc_cols : tuple of str, optional
        Names of the x, y, z acceleration columns.
    units : {"g", "mg", "m/s2"}, optional
        Acceleration unit.
    time_units : {"s", "ms", "us", "ns"}, optional
        Unit of the time column.
    delimiter : str, optional
        Field delimiter.
    decimal : {".", ","}, optional
        Decimal mark.
    """

    time_col: str | None = None
    acc_cols: tuple[str, str, str] | None = None
    units: str | None = None
    time_units: str | None = None
    delimiter: str | None = None
    decimal: str | None = None

    @property
    def given(self) -> list[str]:
        """Names of the options that were given."""
        return [k for k, v in self.__dict__.items() if v is not None]


def stem(name: str) -> str:
    """Case-folded ASCII letters, digits and brackets of a column name (units kept)."""
    folded = name.strip().strip('"').casefold()
    return re.sub(r"[^a-z0-9()\[\]/^_.-]", "", folded.encode("ascii", "ignore").decode())


def find_column(names: Sequence[str], patterns: Iterable[str], *, stems: bool = True) -> str | None:
    """First name whose stem (or stripped, case-folded name) fully matches one of the patterns."""
    keys = [stem(n) if stems else n.strip().casefold() for n in names]
    for pattern in patterns:
        rx = re.compile(pattern)
        for name, key in zip(names, keys, strict=True):
            if rx.fullmatch(key):
                return name
    return None


def clock_seconds(text: pa.ChunkedArray) -> np.ndarray:
    """Parse ``[date ]H:M:S[.frac|:ms]`` text into seconds of the day, vectorised.

    ``.`` introduces a decimal fraction, ``:`` a whole number of milliseconds (the WitMotion PC
    software's unpadded form, ``8:18:9:94``). Day changes are unwrapped: a step back of more
    than 12 h adds a day.

    Returns
    -------
    numpy.ndarray
        Seconds (NaN where a cell does not parse).
    """
    pattern = (
        r"^\s*(?:(?P<date>\S+)[ T_]+)?(?P<h>\d{1,2}):(?P<m>\d{1,2}):(?P<s>\d{1,2})"
        r"(?:(?P<sep>[.:,])(?P<f>\d{1,9}))?\s*$"
    )
    parts = pc.extract_regex(pc.cast(text, pa.string()), pattern)
    valid = parts.is_valid().to_numpy(zero_copy_only=False)

    def num(field: str) -> np.ndarray:
        arr = pc.struct_field(parts, field)
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)

    h, m, s = num("h"), num("m"), num("s")
    f_text = pc.struct_field(parts, "f")
    sep = pc.struct_field(parts, "sep")
    digits = pc.utf8_length(f_text).to_numpy(zero_copy_only=False).astype(np.float64)
    f_val = num("f")
    is_ms = pc.equal(sep, ":").to_numpy(zero_copy_only=False).astype(bool)
    frac = np.where(is_ms, f_val / 1000.0, f_val / np.power(10.0, digits))
    frac = np.where(np.isnan(f_val), 0.0, frac)
    sec = h * 3600 + m * 60 + s + frac
    sec[~valid] = np.nan
    ok = np.isfinite(sec)
    if ok.sum() > 1:
        good = sec[ok]
        step = np.diff(good)
        days = np.concatenate([[0], np.cumsum(step < -43200)])
        sec[ok] = good + days * 86400.0
    return sec


def first_text(col: pa.ChunkedArray | None) -> str | None:
    """First non-empty value of a text column."""
    if col is None:
        return None
    for chunk in col.chunks:
        for value in chunk.drop_null()[:10].to_pylist():
            if value is not None and str(value).strip():
                return str(value).strip()
    return None


def iso_utc(seconds: float) -> str | None:
    """ISO 8601 UTC string of a Unix time in s, or None when out of range."""
    try:
        return (
            datetime.fromtimestamp(seconds, tz=timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
    except (OverflowError, OSError, ValueError):
        return None


def sniff_decimal(value: str | None, delimiter: str) -> str:
    """Decimal comma when a value looks like ``-1,5`` or ``7,4E-2`` under a non-comma delimiter."""
    if delimiter == "," or value is None:
        return "."
    return "," if re.fullmatch(r"\s*-?\d+,\d+([eE][-+]?\d+)?\s*", value) else "."


def first_valid(values: np.ndarray, missing: np.ndarray) -> int | None:
    """Index of the first value not missing."""
    idx = np.flatnonzero(~missing)
    return int(idx[0]) if idx.size else None


def refuse_gravity_removed(src: Source, what: str, advice: str) -> Exception:
    """Build the error for a recognised gravity-removed export."""
    from imu.formats._normalise import GRAVITY_EXPLANATION

    return src.error(f"{what} has gravity removed; {GRAVITY_EXPLANATION}. {advice}")
