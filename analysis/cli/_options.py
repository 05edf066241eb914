"""Command-line options shared by the sub-commands that analyse recordings."""

from __future__ import annotations

import argparse
from typing import Any

from analysis.settings import EXERCISES, AnalysisSettings
from imu.errors import HopscopeError

#: Loader options passed to :func:`imu.formats.load` only when given on the command line.
LOAD_OPTIONS = ("time_col", "acc_cols", "units", "time_units")


class OptionError(HopscopeError):
    """A command-line option is out of range."""


def add_threshold_options(p: argparse.ArgumentParser) -> None:
    """Add ``--target-hz``, ``--tolerance-hz``, ``--slow-contact-ms`` and ``--exercise``."""
    p.add_argument("--target-hz", type=float, default=3.0, help="target hop rate, Hz (3.0)")
    p.add_argument(
        "--tolerance-hz", type=float, default=0.05, help="tolerance below the target, Hz (0.05)"
    )
    p.add_argument(
        "--slow-contact-ms",
        type=float,
        default=250.0,
        help="contact time above which a rebound is slow, ms (250)",
    )
    p.add_argument(
        "--exercise",
        choices=EXERCISES,
        default="hops",
        help="hops: repeated hops (default); rebound: rebound or drop jumps, one contact "
        "between two flights each; auto: a session of both, each set found and judged as "
        "what it is",
    )


def add_body_mass_option(p: argparse.ArgumentParser) -> None:
    """Add ``--body-mass-kg``."""
    p.add_argument("--body-mass-kg", type=float, default=None, help="body mass for stiffness, kg")


def add_format_option(p: argparse.ArgumentParser) -> None:
    """Add ``--format``."""
    p.add_argument("--format", metavar="NAME", default=None, help="input format (detected)")


def add_loader_options(p: argparse.ArgumentParser) -> None:
    """Add the loader options of :data:`LOAD_OPTIONS` (column names and units)."""
    p.add_argument("--time-col", metavar="C", default=None, help="name of the time column")
    p.add_argument(
        "--acc-cols", metavar="X,Y,Z", default=None, help="names of the three acceleration columns"
    )
    p.add_argument("--units", choices=("g", "mg", "m/s2"), default=None, help="acceleration unit")
    p.add_argument("--time-units", choices=("s", "ms", "us", "ns"), default=None, help="time unit")


def settings_from_args(args: argparse.Namespace) -> AnalysisSettings:
    """Build analysis settings from the shared command-line options.

    Raises
    ------
    OptionError
        When a setting is out of range (the message names it).
    """
    try:
        return AnalysisSettings(
            exercise=args.exercise,
            target_hz=args.target_hz,
            target_tolerance_hz=args.tolerance_hz,
            slow_contact_ms=args.slow_contact_ms,
            body_mass_kg=args.body_mass_kg,
        )
    except ValueError as exc:
        raise OptionError(str(exc).replace("`", "")) from None


def load_options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Return the loader options given on the command line, as keyword arguments.

    Raises
    ------
    OptionError
        When ``--acc-cols`` does not name three columns.
    """
    options: dict[str, Any] = {}
    for name in LOAD_OPTIONS:
        value = getattr(args, name)
        if value is None:
            continue
        if name == "acc_cols":
            cols = [c.strip() for c in value.split(",")]
            if len(cols) != 3 or not all(cols):
                raise OptionError(f"--acc-cols expects three names X,Y,Z, got {value!r}")
            value = cols
        options[name] = value
    return options
