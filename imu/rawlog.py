"""The raw notification log written beside every live recording (``NAME.rawlog.jsonl``).

JSON lines, UTF-8. The first line is a header object; every other line is either a
notification or an event:

* header: ``{"format": "hopscope-rawlog", "version": 1, "device": "polar",
  "config": {"sample_rate_hz": 416.0, "range_g": 16.0, "gyro": false, "options": {...}},
  "chars": ["fb005c82-...", "fb005c81-..."], "start_utc": "...", "clock": "monotonic_ns"}``;
  ``chars`` lists the notifying characteristics, referred to by index below.
* notification: ``[arrival_ns, char_index, "hex payload"]``, where ``arrival_ns`` is the host's
  monotonic clock (ns) when the notification reached the recorder.
* event: ``{"event": NAME, "t_ns": arrival_ns, ...}`` with NAME one of ``connected``,
  ``streaming`` (the device was configured and started: data from here on is recorded),
  ``config`` (the configuration in force, after the device answered: key ``config``),
  ``disconnected``, ``stopped``.

Everything needed to decode the capture again (:func:`imu.recorder.replay_rawlog`,
``hopscope decode``) is in the file. A log cut short by a killed process ends with at most one
partial line, which readers skip.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from imu.errors import InvalidRecordingError

logger = logging.getLogger(__name__)

RAWLOG_FORMAT = "hopscope-rawlog"
RAWLOG_VERSION = 1
RAWLOG_SUFFIX = ".rawlog.jsonl"


def rawlog_path(csv_path: str | os.PathLike[str]) -> Path:
    """Return the raw log path that belongs to a recording CSV (``NAME.rawlog.jsonl``)."""
    path = Path(csv_path)
    return path.with_name(path.stem + RAWLOG_SUFFIX)


class RawLogWriter:
    """Append notifications and events to a raw log.

    Parameters
    ----------
    path : str or path-like
        Destination (created or truncated).
    header : dict
        Header fields besides ``format`` and ``version`` (device, config, chars, ...).
    """

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.chars: list[str] = [c.lower() for c in header.get("chars", [])]
        self._index = {c: i for i, c in enumerate(self.chars)}
        self._fh: TextIO = self.path.open("w", encoding="utf-8", newline="\n")
        head = {"format": RAWLOG_FORMAT, "version": RAWLOG_VERSION, **header, "chars": self.chars}
        self._fh.write(json.dumps(head, sort_keys=True) + "\n")
        self.flush()

    def note(self, arrival_ns: int, char_uuid: str, payload: bytes) -> None:
        """Log one notification."""
        idx = self._index.get(char_uuid)
        if idx is None:
            idx = self._index[char_uuid] = len(self.chars)
            self.chars.append(char_uuid)
            self.event(arrival_ns, "char", uuid=char_uuid, index=idx)
        self._fh.write(f'[{arrival_ns},{idx},"{payload.hex()}"]\n')

    def event(self, t_ns: int, name: str, **info: Any) -> None:
        """Log an event (connected, streaming, disconnected, stopped...)."""
        self._fh.write(json.dumps({"event": name, "t_ns": int(t_ns), **info}) + "\n")

    def flush(self) -> None:
        """Push what was written to the disk."""
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Flush and close."""
        if not self._fh.closed:
            self.flush()
            self._fh.close()


@dataclass(frozen=True)
class RawRecord:
    """One line of a raw log after the header.

    ``kind`` is ``"note"`` (``char_uuid`` and ``payload`` set) or ``"event"`` (``event`` and
    ``info`` set); ``t_ns`` is the host arrival time in ns.
    """

    kind: str
    t_ns: int
    char_uuid: str = ""
    payload: bytes = b""
    event: str = ""
    info: dict[str, Any] | None = None


def read_rawlog(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Iterator[RawRecord]]:
    """Open a raw log: return its header and an iterator over its records.

    Parameters
    ----------
    path : str or path-like
        A ``.rawlog.jsonl`` file.

    Returns
    -------
    header : dict
    records : iterator of RawRecord

    Raises
    ------
    InvalidRecordingError
        The file is missing, its header is not a hopscope raw log, or a line (other than a
        partial last line) is malformed; the error names the line.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InvalidRecordingError(source, "file not found")
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        header = json.loads(first.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != RAWLOG_FORMAT:
        raise InvalidRecordingError(
            source, f'expected a raw log header {{"format": "{RAWLOG_FORMAT}", ...}}', line=1
        )
    if header.get("version") != RAWLOG_VERSION:
        raise InvalidRecordingError(
            source, f"raw log version {header.get('version')!r} is not supported", line=1
        )
    return header, _records(path, len(first), list(header.get("chars", [])), source)


def _records(path: Path, offset: int, chars: list[str], source: str) -> Iterator[RawRecord]:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        fh.seek(offset)
        line_no = 1
        for line in fh:
            line_no += 1
            if not line.endswith("\n"):
                logger.warning("%s: skipping the partial last line %d", source, line_no)
                return
            try:
                item = json.loads(line)
                if isinstance(item, list):
                    t_ns, idx, hexdata = item
                    yield RawRecord("note", int(t_ns), chars[idx], bytes.fromhex(hexdata))
                elif isinstance(item, dict) and "event" in item:
                    info = {k: v for k, v in item.items() if k not in ("event", "t_ns")}
                    if item["event"] == "char":
                        while len(chars) <= info["index"]:
                            chars.append("")
                        chars[info["index"]] = info["uuid"]
                    yield RawRecord("event", int(item["t_ns"]), event=item["event"], info=info)
                else:
                    raise ValueError("neither a notification nor an event")
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                raise InvalidRecordingError(
                    source,
                    f"expected [arrival_ns, char_index, hex] or an event object ({exc})",
                    line=line_no,
                ) from None


def char_list(uuids: Sequence[str]) -> list[str]:
    """Return lower-case characteristic UUIDs without duplicates, in order."""
    out: list[str] = []
    for u in uuids:
        if u and u.lower() not in out:
            out.append(u.lower())
    return out
