"""``hopscope report``: one recording in, one self-contained HTML session report out."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from analysis.cli._options import (
    add_body_mass_option,
    add_format_option,
    add_threshold_options,
    settings_from_args,
)
from imu.errors import HopscopeWarning, InvalidRecordingError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` sub-command."""
    p = subparsers.add_parser(
        "report",
        help="write an HTML report of one recording",
        description=(
            "Analyse one recording (any supported format) and write a self-contained HTML "
            "report: a verdict per set, plots, tables, data quality and definitions."
        ),
    )
    p.add_argument("recording", metavar="RECORDING", help="recording file (CSV or app export)")
    p.add_argument("-o", "--output", metavar="PATH.html", required=True, help="report to write")
    p.add_argument("--athlete", metavar="NAME", help="athlete name (default: from metadata)")
    p.add_argument("--leg", type=str.upper, choices=("L", "R"), help="leg (default: metadata)")
    p.add_argument("--title", metavar="TEXT", help="report title")
    add_body_mass_option(p)
    add_threshold_options(p)
    add_format_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``hopscope report``; return the exit code."""
    from analysis.pipeline import analyze
    from analysis.report import write_session_report
    from imu.formats import load

    settings = settings_from_args(args)
    out = Path(args.output)
    if not out.resolve().parent.is_dir():
        raise InvalidRecordingError(
            args.output, f"-o: the folder {out.resolve().parent} does not exist"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HopscopeWarning)
        recording = load(args.recording, format=args.format)
        meta = recording.meta
        if args.athlete is not None:
            meta = meta.replace(athlete=args.athlete)
        if args.leg is not None:
            meta = meta.replace(leg=args.leg)
        result = analyze(recording, settings=settings, meta=meta)
    for message in dict.fromkeys(" ".join(str(w.message).split()) for w in caught):
        print(f"hopscope: warning: {message}", file=sys.stderr)
    path = write_session_report(result, out, title=args.title, source=Path(args.recording).name)
    sets = result.sets
    failed = sum(
        1 for flags in sets["flags"] if set(flags) & {"below_target_frequency", "slow_rebound"}
    )
    print(
        f"{path}: {result.n_hops} hops in {len(sets)} set(s), "
        f"{len(sets) - failed} met the targets, {failed} fell short"
    )
    return 0
