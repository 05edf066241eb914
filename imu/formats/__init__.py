"""Loading recordings from any supported file format.

:func:`load` is the one entry point: it picks the format from the file's content (or takes
``format=``) and returns a :class:`imu.recording.Recording` with samples in the hopscope
conventions (``time_s`` from the start, acceleration in g with gravity).
"""

from __future__ import annotations

import os
from typing import Any

from imu.errors import InvalidRecordingError
from imu.recording import Recording, read_recording

__all__ = ["load"]


def load(path: str | os.PathLike[str], *, format: str | None = None, **options: Any) -> Recording:
    """Load a recording from any supported format.

    Parameters
    ----------
    path : str or path-like
        The file to read.
    format : str, optional
        Force a format by name instead of detecting it from the content.
    **options
        Options of the format's reader.

    Returns
    -------
    Recording
        Samples and metadata.

    Raises
    ------
    InvalidRecordingError
        The file cannot be read or its format is not known.
    """
    if format not in (None, "hopscope"):
        raise InvalidRecordingError(str(path), f"unknown format {format!r}; known: hopscope")
    return read_recording(path, **options)
