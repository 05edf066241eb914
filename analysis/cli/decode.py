"""``hopscope decode``: decode a raw notification log again into a recording."""

from __future__ import annotations

import argparse
from pathlib import Path

from imu.errors import HopscopeError, InvalidRecordingError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``decode`` sub-command."""
    p = subparsers.add_parser(
        "decode",
        help="decode a raw notification log (NAME.rawlog.jsonl) into a recording",
        description=(
            "Decode the raw log that `hopscope record` writes beside every recording, exactly "
            "as the recorder did, into a recording CSV and its sidecar."
        ),
    )
    p.add_argument("rawlog", metavar="RAWLOG", help="raw log file (NAME.rawlog.jsonl)")
    p.add_argument(
        "--device", metavar="KIND", default=None, help="driver (checked against the log header)"
    )
    p.add_argument("--out", metavar="FILE.csv", required=True, help="recording CSV to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``hopscope decode``; return the exit code."""
    from imu.rawlog import read_rawlog
    from imu.recorder import replay_rawlog

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise HopscopeError(f"--out must name a .csv file, got {args.out!r}")
    if not out.resolve().parent.is_dir():
        raise InvalidRecordingError(args.out, "--out: the folder does not exist")
    header, _ = read_rawlog(args.rawlog)
    logged = header.get("device")
    if args.device is not None and args.device != logged:
        raise HopscopeError(
            f"{args.rawlog}: the log was recorded from a {logged!r} device, not {args.device!r}"
        )
    samples, meta = replay_rawlog(args.rawlog, out=out)
    print(
        f"{out}: {len(samples)} samples from {logged}, {meta.lost_samples} lost in "
        f"{meta.lost_packets} packet(s), {meta.extra.get('malformed_packets', 0)} malformed"
    )
    return 0
