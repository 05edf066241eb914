"""The hopscope recording format (``time_s,ax_g,ay_g,az_g``), read by :mod:`imu.recording`."""

from __future__ import annotations

import warnings

from imu.errors import HopscopeWarning
from imu.formats._common import Options
from imu.formats._normalise import checked_time_stats, clipped_samples
from imu.formats._source import Source
from imu.recording import (
    ACC_COLUMNS,
    KNOWN_COLUMNS,
    REQUIRED_COLUMNS,
    Recording,
    _read_recording,
)

NAME = "hopscope"
EXAMPLE = "time_s,ax_g,ay_g,az_g"


def sniff(src: Source) -> bool:
    """Whether the header holds exactly hopscope columns."""
    cols = [c.strip() for c in src.head.first_line.split(",")]
    return set(REQUIRED_COLUMNS) <= set(cols) and set(cols) <= set(KNOWN_COLUMNS)


def read(src: Source, options: Options) -> Recording:
    """Read a hopscope recording (and its sidecar) and report rate, jitter, gaps and clipping.

    Returns
    -------
    Recording
    """
    if src.path is None or src.member is not None:
        raise src.error("hopscope recordings are read from a file, not from inside an archive")
    rec, longest_step, extremes = _read_recording(src.path)
    t = rec.samples["time_s"].to_numpy()
    acc = tuple(rec.samples[c].to_numpy() for c in ACC_COLUMNS)
    stats = checked_time_stats(src, t, longest_step=longest_step)
    known = [extremes[c] for c in ACC_COLUMNS] if set(ACC_COLUMNS) <= set(extremes) else None
    clipped, rule = clipped_samples(acc, rec.meta.range_g, extremes=known)
    extra = {**rec.meta.extra, **stats, "clipped_samples": clipped, "clipping_rule": rule}
    messages = []
    if clipped:
        messages.append(f"{clipped} samples are clipped ({rule})")
    extra["warnings"] = messages
    for message in messages:
        warnings.warn(f"{src.name}: {message}", HopscopeWarning, stacklevel=3)
    meta = rec.meta.replace(source_format=rec.meta.source_format or NAME, extra=extra)
    return Recording(rec.samples, meta, source=rec.source)
