"""``hopscope batch``: analyse a squad's recordings in parallel; tables and squad pages out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli._options import (
    add_body_mass_option,
    add_format_option,
    add_threshold_options,
    settings_from_args,
)
from imu.errors import HopscopeError

EXIT_SOME_FAILED = 1


class _BatchError(HopscopeError):
    """The batch cannot start (bad option, nothing to analyse)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``batch`` sub-command."""
    p = subparsers.add_parser(
        "batch",
        help="analyse many recordings; write squad tables and pages",
        description=(
            "Analyse every recording under the given files and folders in parallel and write "
            "sessions.csv, hops.csv (and Parquet copies) and index.html with a page per "
            "athlete. Athlete, leg and date come from each recording's metadata, or from its "
            "file name through --pattern. Exit code 1 when any file failed."
        ),
    )
    p.add_argument("paths", metavar="PATH", nargs="+", help="recording files or folders")
    p.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="output folder")
    p.add_argument("--workers", type=int, default=None, help="worker processes (all cores)")
    p.add_argument(
        "--pattern",
        default="{athlete}_{leg}_{date}",
        help="file name pattern for labels the metadata lacks; fields {athlete}, {leg}, "
        "{date}, {session}, {*} (default '{athlete}_{leg}_{date}')",
    )
    add_threshold_options(p)
    add_body_mass_option(p)
    add_format_option(p)
    p.add_argument(
        "--reports",
        action="store_true",
        help="also write a session report per recording into OUTDIR/sessions/ (slower)",
    )
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``hopscope batch``; return the exit code."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from analysis.batch import compile_pattern, find_recordings, run_batch, write_outputs

    settings = settings_from_args(args)
    if args.workers is not None and args.workers < 1:
        raise _BatchError(f"--workers must be at least 1, got {args.workers}")
    try:
        compile_pattern(args.pattern)
        files = find_recordings(args.paths, exclude=[args.output])
    except (ValueError, FileNotFoundError) as exc:
        raise _BatchError(str(exc).replace("`", "")) from None
    if not files:
        raise _BatchError(f"no recordings found under {', '.join(args.paths)}")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise _BatchError(f"{out}: -o must be a folder")
    console = Console(file=sys.stderr)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.no_progress,
        transient=False,
    ) as progress:
        task = progress.add_task("analysing", total=len(files))
        result = run_batch(
            files,
            workers=args.workers,
            settings=settings,
            pattern=args.pattern,
            format=args.format,
            progress=lambda done, total, f: progress.update(task, completed=done),
            report_dir=out / "sessions" if args.reports else None,
            exclude=[out],
        )
        progress.update(task, description="writing pages")
        paths = write_outputs(result, out, settings=settings, workers=args.workers)
        progress.update(task, description="done")
    ok = result.files - len(result.failures)
    athletes = result.sessions.loc[result.sessions["status"] != "error", "athlete"].nunique()
    print(
        f"{ok} of {result.files} recordings analysed ({athletes} athletes); "
        f"{len(result.hops)} hops; overview: {paths['index']}"
    )
    for file, error in result.failures:
        print(f"failed: {file}: {error}")
    return EXIT_SOME_FAILED if result.failures else 0
