"""``hopscope scan``: list nearby supported BLE IMUs."""

from __future__ import annotations

import argparse
import asyncio
import sys

from imu.errors import HopscopeError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``scan`` sub-command."""
    p = subparsers.add_parser(
        "scan",
        help="list nearby supported BLE IMUs",
        description="Listen for Bluetooth adverts and list the IMUs a driver supports.",
    )
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan time, s (5)")
    p.add_argument(
        "--emulate",
        metavar="KIND[,KIND...]",
        default=None,
        help="scan emulated devices instead of the radio (a driver name, a list, or 'all')",
    )
    p.set_defaults(func=run)


def emulate_kinds(value: str) -> list[str]:
    """Parse ``--emulate``: driver names separated by commas, or ``all``."""
    from imu.emulate import EMULATORS

    kinds = sorted(EMULATORS) if value.strip() == "all" else [k.strip() for k in value.split(",")]
    unknown = [k for k in kinds if k not in EMULATORS]
    if unknown or not kinds:
        raise HopscopeError(
            f"--emulate: no emulated device {unknown[0] if unknown else value!r}; "
            f"known: {', '.join(sorted(EMULATORS))}"
        )
    return kinds


def run(args: argparse.Namespace) -> int:
    """Run ``hopscope scan``; return the exit code."""
    from rich.console import Console
    from rich.table import Table

    from imu.scan import scan

    if not args.timeout > 0:
        raise HopscopeError(f"--timeout must be > 0 s, got {args.timeout:g}")

    async def go() -> list:
        if args.emulate is None:
            return await scan(args.timeout)
        from imu.emulated import emulated_radio

        setup = emulated_radio(emulate_kinds(args.emulate), duration_s=10.0)
        try:
            return await scan(args.timeout, backend=setup.radio.scanner_backend)
        finally:
            await setup.radio.close()

    found = asyncio.run(go())
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    if not found:
        console.print(
            f"No supported device found in {args.timeout:g} s. Switch the sensor on, wake it "
            "(move it), and make sure no phone app is connected to it."
        )
        return 1
    table = Table(title=f"{len(found)} supported device(s)")
    for col in ("name", "address", "RSSI", "driver"):
        table.add_column(col, justify="right" if col == "RSSI" else "left")
    for d in found:
        table.add_row(d.name or "–", d.address, f"{d.rssi_dbm} dBm", d.driver)
    console.print(table)
    return 0
