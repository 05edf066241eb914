"""Benchmark of ``hopscope record --live`` against the emulated devices.

Measures, and prints as tables:

1. CPU share of recording with the live hop count, at each device's highest rate, in real time
   (``--seconds`` per device): the whole process, and without the emulated device's own work
   (its ``poll`` calls, which a real device does on its own hardware).
2. Latency from a notification's arrival to the live hop count that includes it (p50, p95).
3. Resident memory over a two-hour emulated session (WitMotion, 200 Hz, with the live count),
   run on an accelerated clock.
4. Reconnection time after the device comes back from a 3 s outage (real time).

Run: ``.venv/bin/python benchmarks/record_live.py [--seconds 15] [--memory-speed 80]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.live import LiveHopCounter  # noqa: E402
from imu.devices import get_driver  # noqa: E402
from imu.emulate.faults import parse_faults  # noqa: E402
from imu.emulated import emulated_radio  # noqa: E402
from imu.errors import HopscopeWarning  # noqa: E402
from imu.rawlog import read_rawlog  # noqa: E402
from imu.recorder import Recorder, RecordSettings  # noqa: E402

DEVICES = ("polar", "witmotion", "metawear", "movesense", "thingy52", "generic")


def rss_mb() -> float:
    """Resident set size of this process, in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def driver_options(kind: str) -> dict:
    if kind == "generic":
        from imu.emulate.generic import RECOMMENDED

        return {"description": dict(RECOMMENDED)}
    return {}


def top_rate(kind: str) -> float:
    return max(get_driver(kind, **driver_options(kind)).rates_hz)


async def run_recording(
    kind: str,
    out: Path,
    *,
    duration_s: float,
    speed: float = 1.0,
    faults: tuple[str, ...] = (),
    rate_hz: float | None = None,
    live: bool = True,
    sample_rss: list | None = None,
) -> dict:
    """Record an emulated device in this process; return timings and figures."""
    setup = emulated_radio(
        kind,
        duration_s=duration_s + 30,
        faults=parse_faults(list(faults)),
        speed=speed,
        device_options=driver_options(kind),
        simulation_rate_hz=max(2 * (rate_hz or 200.0), 400.0) if duration_s > 600 else 1000.0,
    )
    peripheral = setup.peripherals[0]
    emu_s = [0.0]
    poll = peripheral.poll

    def timed_poll(now_s: float):
        t0 = time.process_time()
        try:
            return poll(now_s)
        finally:
            emu_s[0] += time.process_time() - t0

    peripheral.poll = timed_poll
    counter = LiveHopCounter(clock_ns=setup.clock.now_ns) if live else None
    last_rss = [0.0]

    def on_tick(status) -> None:
        if counter is not None:
            counter.update()
        if sample_rss is not None and time.monotonic() - last_rss[0] >= 2.0:
            last_rss[0] = time.monotonic()
            sample_rss.append((status.elapsed_s, rss_mb()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        recorder = Recorder(
            RecordSettings(
                device=kind,
                out=out,
                rate_hz=rate_hz,
                duration_s=duration_s,
                driver_options=driver_options(kind),
            ),
            scanner_backend=setup.radio.scanner_backend,
            client_backend=setup.radio.client_backend,
            clock=setup.clock,
            on_block=counter.feed if counter is not None else None,
            on_tick=on_tick,
        )
    started = {}

    def mark(status) -> None:
        if status.state == "streaming" and "cpu" not in started:
            started["cpu"] = time.process_time()
            started["wall"] = time.monotonic()
            started["emu"] = emu_s[0]
        on_tick(status)

    recorder.on_tick = mark
    try:
        result = await recorder.run()
    finally:
        await setup.radio.close()
    cpu = time.process_time() - started["cpu"]
    wall = time.monotonic() - started["wall"]
    emu = emu_s[0] - started["emu"]
    link = next(iter(setup.radio.links.values()))
    return {
        "result": result,
        "cpu_share": cpu / wall,
        "cpu_share_no_emulator": (cpu - emu) / wall,
        "rate_hz": recorder.cfg.sample_rate_hz,
        "latency": counter.latency_percentiles_ms() if counter else (float("nan"),) * 2,
        "hops": counter.state.hops if counter else 0,
        "link": link,
    }


def bench_cpu(seconds: float, tmp: Path) -> list[dict]:
    rows = []
    for kind in DEVICES:
        rate = top_rate(kind)
        r = asyncio.run(
            run_recording(kind, tmp / f"cpu_{kind}.csv", duration_s=seconds, rate_hz=rate)
        )
        rows.append({"device": kind, **r})
    return rows


def bench_memory(speed: float, tmp: Path) -> list[tuple[float, float]]:
    samples: list[tuple[float, float]] = []
    asyncio.run(
        run_recording(
            "witmotion",
            tmp / "memory.csv",
            duration_s=7200.0,
            speed=speed,
            rate_hz=200.0,
            sample_rss=samples,
        )
    )
    return samples


def bench_reconnect(tmp: Path) -> list[dict]:
    rows = []
    for kind in ("polar", "witmotion", "movesense"):
        r = asyncio.run(
            run_recording(
                kind,
                tmp / f"reconnect_{kind}.csv",
                duration_s=12.0,
                faults=("disconnect:at=4,for=3",),
                live=False,
            )
        )
        link = r["link"]
        back_ns = link.origin_ns + int(7e9)
        _, records = read_rawlog(r["result"].rawlog_path)
        events = [(x.event, x.t_ns) for x in records if x.kind == "event"]
        connected = [t for e, t in events if e == "connected"][1:]
        streaming = [t for e, t in events if e == "streaming"][1:]
        rows.append(
            {
                "device": kind,
                "connected_s": (connected[0] - back_ns) * 1e-9 if connected else float("nan"),
                "streaming_s": (streaming[0] - back_ns) * 1e-9 if streaming else float("nan"),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="real seconds per device")
    parser.add_argument("--memory-speed", type=float, default=80.0, help="clock speed, 2 h run")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"## record --live, real time, {args.seconds:g} s per device at its highest rate\n")
        print(
            "| device | rate (Hz) | CPU, whole process | CPU without emulator | "
            "live latency p50 / p95 (ms) | hops counted |"
        )
        print("|---|---|---|---|---|---|")
        for r in bench_cpu(args.seconds, tmp):
            p50, p95 = r["latency"]
            print(
                f"| {r['device']} | {r['rate_hz']:g} | {100 * r['cpu_share']:.1f} % | "
                f"{100 * r['cpu_share_no_emulator']:.1f} % | {p50:.0f} / {p95:.0f} | "
                f"{r['hops']} |"
            )
        print("\nTargets: < 5 % of one core at 416 Hz; latency p95 < 100 ms.\n")
        print("## reconnection after a 3 s outage (real time)\n")
        print("| device | reconnected after device is back (s) | streaming again (s) |")
        print("|---|---|---|")
        for r in bench_reconnect(tmp):
            print(f"| {r['device']} | {r['connected_s']:.2f} | {r['streaming_s']:.2f} |")
        print("\nTarget: reconnection within 5 s of the device coming back.\n")
        if not args.skip_memory:
            t0 = time.monotonic()
            rss = bench_memory(args.memory_speed, tmp)
            took = time.monotonic() - t0
            print(
                f"## resident memory, 2 h emulated WitMotion session at 200 Hz with the live "
                f"count (clock x{args.memory_speed:g}, {took:.0f} s real)\n"
            )
            print("| emulated time | RSS (MB) |")
            print("|---|---|")
            marks = [600, 1800, 3600, 5400, 7200]
            for m in marks:
                near = min(rss, key=lambda x: abs(x[0] - m))
                print(f"| {near[0] / 60:.0f} min | {near[1]:.1f} |")
            first = [v for t, v in rss if t >= 600]
            if first:
                print(
                    f"\nGrowth from 10 min to the end: {first[-1] - first[0]:+.1f} MB "
                    f"(min {min(first):.1f}, max {max(first):.1f})."
                )


if __name__ == "__main__":
    main()
