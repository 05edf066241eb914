"""The ``hopscope`` command line: the one place that joins acquisition and analysis.

Each sub-command lives in its own module of this package with a ``register(subparsers)``
function that adds its parser and sets ``func`` (taking the parsed arguments, returning the
exit code). Modules that need bleak import it inside their command function, so that the
analysis commands run on machines without Bluetooth.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from imu.errors import HopscopeError

#: Sub-command modules, in the order ``hopscope --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "analyze",
    "report",
    "batch",
    "scan",
    "record",
    "decode",
    "formats",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command registered."""
    parser = _Parser(
        prog="hopscope",
        description="Hop quality from a shoe-mounted IMU: contacts, flights, hop rate, flags.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"analysis.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Errors a user can cause (bad files, bad settings, devices not found) end with one line on
    standard error and exit code 2; nothing ends in a traceback unless ``--debug`` is given.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="hopscope: %(message)s")
    try:
        return int(args.func(args) or 0)
    except HopscopeError as exc:
        print(f"hopscope: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hopscope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"hopscope: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
