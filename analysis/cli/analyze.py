"""``hopscope analyze``: contacts, flights, hop rate and flags of one recording."""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.cli._options import (
    add_body_mass_option,
    add_format_option,
    add_loader_options,
    add_threshold_options,
    load_options_from_args,
    settings_from_args,
)
from imu.errors import HopscopeWarning, InvalidRecordingError

if TYPE_CHECKING:
    from analysis.result import HopAnalysis


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` sub-command."""
    p = subparsers.add_parser(
        "analyze",
        help="find contacts and flights in a recording and judge its sets",
        description=(
            "Find every ground contact and flight of a recording, summarise each set and flag "
            "sets below the target hop rate or with slow rebounds."
        ),
    )
    p.add_argument("recording", metavar="RECORDING", help="recording file (CSV or app export)")
    add_threshold_options(p)
    add_body_mass_option(p)
    p.add_argument("--hops-csv", metavar="PATH", help="write one row per contact to this CSV")
    p.add_argument("--json", metavar="PATH", help="write the session summary as JSON")
    p.add_argument("--plot", metavar="PATH.png", help="write a plot of the signal and contacts")
    p.add_argument("--report", metavar="PATH.html", help="write an HTML session report")
    add_format_option(p)
    add_loader_options(p)
    p.set_defaults(func=run)


def _fmt(value: float, spec: str) -> str:
    return "–" if value is None or not math.isfinite(value) else format(value, spec)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a HopscopeWarning as one short line."""
    if issubclass(category, HopscopeWarning):
        print(f"hopscope: warning: {message}", file=sys.stderr)
    else:  # pragma: no cover - other libraries' warnings keep their format
        print(warnings.formatwarning(message, category, filename, lineno, line), file=sys.stderr)


def print_summary(result: HopAnalysis, *, source: str, file: Any = None) -> None:
    """Print a readable summary of an analysis with rich."""
    from rich.console import Console
    from rich.table import Table

    from analysis.mixed import drill_hint
    from analysis.result import FLAG_TOO_FEW_HOPS, VERDICT_FLAGS

    console = Console(file=file or sys.stdout, highlight=False, soft_wrap=True)
    s = result.settings
    rebound = s.exercise == "rebound"
    auto = s.exercise == "auto"
    q = result.quality
    console.print(f"[bold]{source}[/bold]")
    console.print(
        f"{q['samples']} samples over {q['duration_s']:.1f} s at "
        f"{q['effective_rate_hz']:.1f} Hz effective"
        + (f" ({q['nominal_rate_hz']:g} Hz nominal)" if q.get("nominal_rate_hz") else "")
        + f"; {q['gaps']} gap(s), {q['lost_samples']} sample(s) lost, "
        f"{q['clipped_impacts']} clipped impact(s)"
    )
    if result.n_hops == 0:
        console.print("No hops found: no complete ground contact (landing then take-off).")
    else:
        untimed = int((result.hops["edge_lost"] != "").sum())
        caption = (
            "Hz: jumps per second over the set"
            if rebound
            else f"Hz: set hop rate, target ≥{s.target_hz - s.target_tolerance_hz:g} for hop"
            " sets (jumps: jumps per second over the set, no target)"
            if auto
            else "Hz: set hop rate"
        ) + "; contact and flight: set medians"
        if untimed:
            caption += (
                f"; {untimed} hop(s) with a landing or take-off lost in a gap of the data"
                " are counted but not timed"
            )
        if any(FLAG_TOO_FEW_HOPS in flags for flags in result.sets["flags"]):
            caption += f"; ?: fewer than {s.min_hops} hops, the verdict is uncertain"
        title = f"{result.n_hops} hops in {len(result.sets)} set(s)"
        if auto:
            # (Both drills: how many of the contacts are hops and how many rebound jumps.)
            kind = result.hops["exercise"].to_numpy()
            title = (
                f"{result.n_hops} contacts in {len(result.sets)} set(s):"
                f" {int((kind == 'hops').sum())} hops, {int((kind == 'rebound').sum())} rebound"
                " jumps"
            )
        table = Table(title=title, caption=caption)
        # (A session of both drills names each set's drill beside its number.)
        table.add_column("set", justify="left" if auto else "right", no_wrap=True)
        table.add_column("hops", justify="right")
        # (A rebound set's rate, jumps per second, has no target.)
        # (With both drills the target, for hop sets only, is in the caption.)
        rate_head = "Hz" if rebound or auto else f"Hz (≥{s.target_hz - s.target_tolerance_hz:g})"
        table.add_column(rate_head, justify="right")
        table.add_column(f"contact ms (≤{s.slow_contact_ms:g})", justify="right")
        table.add_column("flight ms", justify="right")
        table.add_column("result", no_wrap=True)
        table.add_column("flags", no_wrap=True)
        threshold = s.target_hz - s.target_tolerance_hz
        for row in result.sets.itertuples(index=False):
            # The verdict of the HTML report; a set with too few hops keeps it, marked as
            # uncertain.
            passed = not (VERDICT_FLAGS & set(row.flags))
            uncertain = "?" if FLAG_TOO_FEW_HOPS in row.flags else ""
            rate_ok = math.isfinite(row.hop_hz) and row.hop_hz >= threshold
            contact_ok = math.isfinite(row.contact_ms) and row.contact_ms <= s.slow_contact_ms
            if row.exercise == "rebound" or not math.isfinite(row.hop_hz):
                rate = _fmt(row.hop_hz, ".2f")
            else:
                rate = f"{row.hop_hz:.2f}" if rate_ok else f"[red]{row.hop_hz:.2f}[/red]"
            contact = _fmt(row.contact_ms, ".0f")
            drill = (" jumps" if row.exercise == "rebound" else " hops") if auto else ""
            table.add_row(
                f"{row.set}{drill}",
                str(row.hops),
                rate,
                contact if contact_ok else f"[red]{contact}[/red]",
                _fmt(row.flight_ms, ".0f"),
                f"[green]PASS{uncertain}[/green]" if passed else f"[red]FAIL{uncertain}[/red]",
                "\n".join(row.flags) or "–",
            )
        console.print(table)
    console.print("Flags: " + (", ".join(result.flags) if result.flags else "none"))
    rejected = result.info.get("rejected_contacts")
    if rejected is not None and len(rejected):
        reasons = ", ".join(f"{k}: {v}" for k, v in rejected["reason"].value_counts().items())
        console.print(f"{len(rejected)} implausible contact(s) left out ({reasons}).")
    hint = drill_hint(result)
    if hint:
        console.print(hint)
    if auto:
        rule = (
            f"exercise auto (sets of repeated hops and of rebound jumps), hop sets: target"
            f" {s.target_hz:g} Hz (tolerance {s.target_tolerance_hz:g}), set gap"
            f" {s.set_gap_s:g} s; rebound jumps less than {s.rebound_set_gap_s:g} s apart form"
            f" a set; slow contact > {s.slow_contact_ms:g} ms or > {s.slow_share:.0%} of"
            f" contacts, at least {s.min_hops} contacts"
        )
    elif rebound:
        rule = (
            f"exercise rebound, slow contact > {s.slow_contact_ms:g} ms or > {s.slow_share:.0%}"
            f" of jumps, at least {s.min_hops} jumps, jumps less than"
            f" {s.rebound_set_gap_s:g} s apart form a set"
        )
    else:
        rule = (
            f"exercise {s.exercise}, target {s.target_hz:g} Hz (tolerance "
            f"{s.target_tolerance_hz:g}), slow contact > {s.slow_contact_ms:g} ms or > "
            f"{s.slow_share:.0%} of hops, at least {s.min_hops} hops, set gap {s.set_gap_s:g} s"
        )
    console.print(
        f"Settings: {rule}"
        + (
            f", body mass {s.body_mass_kg:g} kg"
            if s.body_mass_kg
            else (
                f", body mass {result.meta.body_mass_kg:g} kg (metadata)"
                if result.meta.body_mass_kg
                else ""
            )
        )
    )
    if q.get("coarse_timing"):
        console.print(
            f"Timing is coarse at this sample rate: one sample is {q['timing_resolution_ms']:.1f} ms."
        )


def write_hops_csv(result: HopAnalysis, path: str | Path) -> Path:
    """Write the per-hop table (:data:`HOP_COLUMNS`) as CSV; NaN cells are left empty.

    Times (``*_s``) are written with 6 decimals (µs), other numbers with 6 significant digits.
    """
    from analysis.result import HOP_COLUMNS

    path = Path(path)
    table = result.hops_table()
    arrays = [table[name].to_numpy() for name in HOP_COLUMNS]
    specs = [  # the format of each float column; "" for the others (written with str)
        (".6f" if name.endswith("_s") else ".6g") if a.dtype.kind == "f" else ""
        for name, a in zip(HOP_COLUMNS, arrays, strict=True)
    ]
    columns = [a.tolist() for a in arrays]
    # A whole row at a time: one %-format per row costs less than a format() per cell
    # ("%.6f" % v is format(v, ".6f"), "%s" % v is str(v)). A float column without any value
    # (stiffness without a body mass) is empty in every row; the rows with an empty cell in
    # another column (the last hop of a set has no flight) are written cell by cell.
    no_value = [
        bool(spec) and bool(np.isnan(a).all()) for a, spec in zip(arrays, specs, strict=True)
    ]
    row_format = ",".join(
        "" if skip else f"%{spec}" if spec else "%s"
        for spec, skip in zip(specs, no_value, strict=True)
    )
    kept = [c for c, skip in zip(columns, no_value, strict=True) if not skip]
    lines = [row_format % row for row in zip(*kept, strict=True)]
    has_nan = np.zeros(len(table), dtype=bool)
    for a, spec, skip in zip(arrays, specs, no_value, strict=True):
        if spec and not skip:
            has_nan |= np.isnan(a)
    for i in np.flatnonzero(has_nan).tolist():
        lines[i] = ",".join(
            ("" if c[i] != c[i] else format(c[i], spec)) if spec else str(c[i])
            for c, spec in zip(columns, specs, strict=True)
        )
    text = ",".join(HOP_COLUMNS) + "\n" + "".join(f"{line}\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def write_json(result: HopAnalysis, path: str | Path) -> Path:
    """Write :meth:`HopAnalysis.summary_dict` as JSON."""
    path = Path(path)
    path.write_text(json.dumps(result.summary_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def _check_output(path: str | None, option: str) -> None:
    if path is None:
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise InvalidRecordingError(path, f"{option}: the folder {parent} does not exist")


def run(args: argparse.Namespace) -> int:
    """Run ``hopscope analyze``; return the exit code."""
    from analysis.pipeline import analyze_file

    settings = settings_from_args(args)
    options = load_options_from_args(args)
    for path, option in (
        (args.hops_csv, "--hops-csv"),
        (args.json, "--json"),
        (args.plot, "--plot"),
        (args.report, "--report"),
    ):
        _check_output(path, option)
    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", HopscopeWarning)
            result = analyze_file(args.recording, settings=settings, format=args.format, **options)
    finally:
        warnings.showwarning = previous
    print_summary(result, source=args.recording)
    if args.hops_csv:
        write_hops_csv(result, args.hops_csv)
    if args.json:
        write_json(result, args.json)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from analysis.plots import plot_signal

        fig = plot_signal(result)
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
    if args.report:
        from analysis.report import write_session_report

        write_session_report(result, args.report)
    return 0
