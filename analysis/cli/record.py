"""``hopscope record``: stream a BLE IMU to a recording, with a live view, then analyse it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from imu.errors import ConnectionFailedError, HopscopeError, HopscopeWarning, InvalidRecordingError

#: Seconds of simulated session behind an emulated device when no --duration is given.
EMULATED_SESSION_S = 600.0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``record`` sub-command."""
    p = subparsers.add_parser(
        "record",
        help="record a BLE IMU (or an emulated one) to a recording CSV",
        description=(
            "Connect to a BLE IMU, configure it, stream and write the recording (CSV, JSON "
            "sidecar and raw notification log), show a live status, stop on Ctrl-C or after "
            "--duration, then print the session analysis."
        ),
    )
    p.add_argument("--device", metavar="KIND", default=None, help="driver (e.g. polar, witmotion)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--address", metavar="ADDR", default=None, help="BLE address of the device")
    who.add_argument("--name", metavar="NAME", default=None, help="advertised name of the device")
    p.add_argument("--rate", type=float, metavar="HZ", default=None, help="sample rate, Hz")
    p.add_argument("--range", type=float, metavar="G", default=None, help="full scale, ± g")
    p.add_argument("--duration", type=float, metavar="S", default=None, help="stop after S s")
    p.add_argument("--athlete", metavar="NAME", default=None, help="athlete name or code")
    p.add_argument("--leg", choices=("L", "R", "l", "r"), default=None, help="leg (L or R)")
    p.add_argument(
        "--placement", choices=("laces", "heel", "ankle", "other"), default=None, help="mounting"
    )
    p.add_argument("--out", metavar="FILE.csv", required=True, help="recording CSV to write")
    p.add_argument("--live", action="store_true", help="show live hop counts while recording")
    p.add_argument(
        "--device-description",
        metavar="FILE.toml",
        default=None,
        help="description of a DIY board (for --device generic)",
    )
    p.add_argument(
        "--device-option",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="driver option, e.g. variant=h10 for a Polar H10 (repeatable)",
    )
    p.add_argument("--scan-timeout", type=float, default=10.0, metavar="S", help="scan time (10)")
    p.add_argument("--no-analysis", action="store_true", help="do not analyse at the end")
    emu = p.add_argument_group("emulation (no hardware)")
    emu.add_argument("--emulate", metavar="KIND", default=None, help="record an emulated device")
    emu.add_argument(
        "--fault",
        metavar="SPEC",
        action="append",
        default=[],
        help="radio fault for the emulated device, e.g. disconnect:at=5,for=2, loss:rate=0.02, "
        "burst:every=2,hold=0.5, malformed:rate=0.01, noanswer, drift:ppm=100 (repeatable)",
    )
    emu.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="run the emulated clock X times faster than real time (1)",
    )
    emu.add_argument("--seed", type=int, default=0, help="seed of the simulated session (0)")
    p.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> str:
    device = args.device or args.emulate
    if device is None:
        raise HopscopeError("--device KIND is required (or --emulate KIND for a demo)")
    if args.emulate is not None and args.device is not None and args.device != args.emulate:
        raise HopscopeError(f"--device {args.device} and --emulate {args.emulate} differ")
    if args.emulate is None and (args.fault or args.speed != 1.0):
        raise HopscopeError("--fault and --speed need --emulate")
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise HopscopeError(f"--speed must be > 0, got {args.speed:g}")
    for name in ("rate", "range", "duration", "scan_timeout"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise HopscopeError(f"--{name.replace('_', '-')} must be > 0, got {value:g}")
    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise HopscopeError(f"--out must name a .csv file, got {args.out!r}")
    if not out.resolve().parent.is_dir():
        raise InvalidRecordingError(args.out, "--out: the folder does not exist")
    return device


class _Display:
    """The status line (or, with --live, the panel) shown while recording."""

    def __init__(self, *, live: Any, target_hz: float, enabled: bool) -> None:
        from rich.console import Console

        self.live_counter = live
        self.target_hz = target_hz
        self.console = Console(file=sys.stderr, highlight=False)
        self.enabled = enabled and self.console.is_terminal
        self._rich_live: Any = None
        self._last = 0.0

    def __enter__(self) -> _Display:
        if self.enabled:
            from rich.live import Live

            self._rich_live = Live(console=self.console, auto_refresh=False, transient=False)
            self._rich_live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich_live is not None:
            self._rich_live.__exit__(None, None, None)

    def update(self, status: Any, *, force: bool = False) -> None:
        if self._rich_live is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.25:
            return
        self._last = now
        self._rich_live.update(self.render(status), refresh=True)

    def render(self, status: Any) -> Any:
        from rich.panel import Panel
        from rich.table import Table

        lost = status.lost_packets
        loss_pct = 100.0 * lost / max(lost + status.packets, 1)
        rows = [
            ("device", f"{status.device_label} {status.address}".strip()),
            ("state", status.state),
            ("elapsed", f"{status.elapsed_s:6.1f} s"),
            ("samples/s", f"{status.samples_per_s:6.1f}  (configured {status.rate_hz:g} Hz)"),
            (
                "packet loss",
                f"{lost} packet(s), {status.lost_samples} sample(s) ({loss_pct:.1f} %)"
                + (f", {status.malformed} malformed" if status.malformed else "")
                + (f", {status.reconnects} reconnect(s)" if status.reconnects else ""),
            ),
        ]
        counter = self.live_counter
        if counter is not None:
            st = counter.state
            if math.isnan(st.hop_hz):
                rate = "–"
            else:
                ok = st.hop_hz >= self.target_hz
                colour = "green" if ok else "red"
                rate = (
                    f"[{colour}]{st.hop_hz:.2f} Hz[/{colour}] "
                    f"{'≥' if ok else '<'} {self.target_hz:g} Hz target"
                )
            rows += [
                ("hops", f"[bold]{st.hops}[/bold]"),
                ("hop rate", rate),
                (
                    "last contact",
                    "–" if math.isnan(st.last_contact_ms) else f"{st.last_contact_ms:.0f} ms",
                ),
            ]
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        for key, value in rows:
            table.add_row(key, value)
        return Panel(table, title="hopscope record", subtitle="Ctrl-C stops", expand=False)


def _install_stop(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> list[int]:
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    return installed


def run(args: argparse.Namespace) -> int:
    """Run ``hopscope record``; return the exit code."""
    from imu.emulate.faults import parse_faults
    from imu.recorder import Recorder, RecordingCancelled, RecordSettings

    device = _check_args(args)
    faults = parse_faults(args.fault)
    driver_options: dict[str, Any] = {}
    for item in args.device_option:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise HopscopeError(f"--device-option expects KEY=VALUE, got {item!r}")
        driver_options[key.strip()] = value.strip()
    if args.device_description is not None:
        if device != "generic":
            raise HopscopeError("--device-description is for --device generic")
        driver_options["description"] = args.device_description
    elif device == "generic":
        if args.emulate is None:
            raise HopscopeError("--device generic needs --device-description FILE.toml")
        from imu.emulate.generic import RECOMMENDED

        driver_options["description"] = dict(RECOMMENDED)
    settings = RecordSettings(
        device=device,
        out=Path(args.out),
        address=args.address,
        name=args.name,
        rate_hz=args.rate,
        range_g=args.range,
        duration_s=args.duration,
        athlete=args.athlete,
        leg=args.leg.upper() if args.leg else None,
        placement=args.placement,
        scan_timeout_s=args.scan_timeout,
        driver_options=driver_options,
    )
    if args.emulate is not None:
        # An emulated device that never answers fails fast (the real timeout is 15 s).
        settings.connect_timeout_s = 15.0 if not faults.no_answer else 3.0

    async def go() -> Any:
        setup = None
        backends: dict[str, Any] = {}
        clock = None
        if args.emulate is not None:
            from imu.emulate import EMULATORS
            from imu.emulated import emulated_radio

            if args.emulate not in EMULATORS:
                raise HopscopeError(
                    f"--emulate: no emulated device {args.emulate!r}; "
                    f"known: {', '.join(sorted(EMULATORS))}"
                )
            length = (args.duration or EMULATED_SESSION_S) + 30.0
            try:
                setup = emulated_radio(
                    args.emulate,
                    duration_s=length,
                    seed=args.seed,
                    faults=faults,
                    speed=args.speed,
                    device_options=driver_options,
                )
            except (TypeError, ValueError) as exc:
                raise HopscopeError(f"emulated {args.emulate}: {exc}".replace("`", "")) from None
            backends = {
                "scanner_backend": setup.radio.scanner_backend,
                "client_backend": setup.radio.client_backend,
            }
            clock = setup.clock
        live = None
        if args.live:
            from analysis.live import LiveHopCounter

            live = LiveHopCounter(clock_ns=(clock.now_ns if clock else time.monotonic_ns))
        stop = asyncio.Event()
        installed = _install_stop(asyncio.get_running_loop(), stop)
        target = settings.name or settings.address or device
        print(
            f"looking for {target} (up to {settings.scan_timeout_s:g} s); Ctrl-C stops",
            flush=True,
        )
        display = _Display(live=live, target_hz=3.0, enabled=True)

        def on_tick(status: Any) -> None:
            if live is not None:
                live.update()
            display.update(status)

        recorder = Recorder(
            settings,
            clock=clock,
            on_block=live.feed if live is not None else None,
            on_tick=on_tick,
            **backends,
        )
        try:
            with display:
                try:
                    result = await recorder.run(stop)
                finally:
                    display.update(recorder.status, force=True)
        finally:
            for sig in installed:
                asyncio.get_running_loop().remove_signal_handler(sig)
            if setup is not None:
                await setup.radio.close()
        return result

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            result = asyncio.run(go())
    except RecordingCancelled as exc:
        print(f"hopscope: {exc}", file=sys.stderr)
        return 130
    except ConnectionFailedError as exc:
        raise HopscopeError(
            f"{exc}. Move closer, switch the sensor off and on, and make sure no phone app "
            "is connected to it"
        ) from None
    m = result.meta
    print(
        f"{result.csv_path}: {result.samples_written} samples, {m.lost_samples} lost in "
        f"{m.lost_packets} packet(s), {result.malformed} malformed, "
        f"{result.reconnects} reconnect(s) ({result.reason} after {result.duration_s:.1f} s); "
        f"raw log {result.rawlog_path.name}"
    )
    if not args.no_analysis:
        _print_analysis(result.csv_path)
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one short line."""
    print(f"hopscope: warning: {message}", file=sys.stderr)


def _print_analysis(path: Path) -> None:
    from analysis import analyze
    from imu.recording import read_recording

    try:
        recording = read_recording(path)
    except InvalidRecordingError as exc:
        print(f"hopscope: no analysis: {exc}", file=sys.stderr)
        return
    if len(recording.samples) < 2:
        print("hopscope: no analysis: fewer than two samples were recorded", file=sys.stderr)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HopscopeWarning)
        result = analyze(recording)
    for w in caught:
        if issubclass(w.category, HopscopeWarning):
            print(f"hopscope: warning: {w.message}", file=sys.stderr)
    try:
        from analysis.cli.analyze import print_summary
    except ImportError:  # pragma: no cover - the analyze command is part of the package
        print(f"{result.n_hops} hops in {len(result.sets)} set(s); flags: {result.flags}")
        return
    print_summary(result, source=str(path))
