"""``hopscope formats``: the file formats hopscope reads and what identifies each."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``formats`` sub-command."""
    p = subparsers.add_parser(
        "formats",
        help="list the export formats hopscope reads and how each is recognised",
        description=(
            "List the formats `hopscope analyze` reads. The format is detected from the file's "
            "content; --format NAME forces one. Other tables: --format csv with --time-col, "
            "--acc-cols X,Y,Z, --units g|mg|m/s2 and --time-units s|ms|us|ns."
        ),
    )
    p.add_argument(
        "--detect", metavar="FILE", default=None, help="only print the format detected for FILE"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the formats as a table (or the format of one file)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from imu.formats import detect_format, list_formats
    from imu.formats.registry import GENERIC_HELP

    console = Console()
    if args.detect is not None:
        print(detect_format(args.detect))
        return 0
    table = Table(title="Formats hopscope reads (detected from content; --format NAME forces one)")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("source; units, time")
    table.add_column("identified by", ratio=2)
    aliases = []
    for spec in list_formats():
        table.add_row(spec.name, escape(f"{spec.title}; {spec.units}"), escape(spec.identifies))
        aliases += [f"{a} = {spec.name}" for a in spec.aliases]
    console.print(table)
    console.print("Aliases: " + ", ".join(aliases) + ".", highlight=False)
    console.print(
        "Refused: gravity-removed exports (phyphox 'without g'/Linear Acceleration, Sensor Logger "
        "Accelerometer.csv without Gravity.csv, DOT FreeAcc_*, MetaBase Linear Acceleration), "
        "Excel workbooks, HDF5, FIT and WitMotion SD binaries.",
        highlight=False,
    )
    console.print(GENERIC_HELP[0].upper() + GENERIC_HELP[1:] + ".", highlight=False)
    return 0
