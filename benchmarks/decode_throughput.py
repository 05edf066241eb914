"""Decode throughput per driver, in samples per second.

Builds a realistic capture per device (the emulated device's payloads for a simulated session
at the device's highest useful rate), then times ``imu.decode`` over it (best of five).

Run: ``.venv/bin/python benchmarks/decode_throughput.py [--seconds 60]``
"""

from __future__ import annotations

import argparse
import time

from imu.decode import decode
from imu.devices import metawear as mw
from imu.devices import movesense as ms
from imu.devices import polar as pmd
from imu.devices import thingy52 as th
from imu.devices import witmotion as wm
from imu.emulate import make_emulator
from imu.emulate.generic import RECOMMENDED
from imu.simulate import Artefacts, simulate_session


def capture(kind: str, table, **options):
    """Run an emulated device over ``table`` and return (payloads, decode settings)."""
    p = make_emulator(kind, table, **options)
    settings: dict = {}
    if kind == "witmotion":
        p.registers[wm.REG_RATE] = wm.RATE_CODES[200.0]
        p.set_notify(wm.NOTIFY_UUID, True)
        uuid = wm.NOTIFY_UUID
    elif kind == "polar":
        p.set_notify(pmd.CP_UUID, True)
        p.set_notify(pmd.DATA_UUID, True)
        if options.get("variant", "verity") == "verity":
            p.write(pmd.CP_UUID, pmd.SDK_MODE_ON, True)
            p.write(pmd.CP_UUID, pmd.start_request(416, 16, 16, 3), True)
            settings = {"factor": p.factor, "sample_rate_hz": 416}
        else:
            p.write(pmd.CP_UUID, pmd.start_request(200, 16, 8), True)
            settings = {"variant": "h10", "sample_rate_hz": 200}
        uuid = pmd.DATA_UUID
    elif kind == "metawear":
        p.set_notify(mw.NOTIFY_UUID, True)
        for cmd in (
            mw.data_config("bmi270", 800.0, 16.0),
            b"\x03\x05\x01",
            b"\x03\x02\x01\x00",
            b"\x03\x01\x01",
        ):
            p.write(mw.COMMAND_UUID, cmd, False)
        settings = {"range_g": 16}
        uuid = mw.NOTIFY_UUID
    elif kind == "movesense":
        p.set_notify(ms.NOTIFY_UUID, True)
        p.write(ms.WRITE_UUID, ms.subscribe("/Meas/Acc/416"), True)
        settings = {"sample_rate_hz": 416}
        uuid = ms.NOTIFY_UUID
    elif kind == "thingy52":
        p.write(th.MOTION_CONFIG_UUID, th.motion_config(200), True)
        p.set_notify(th.RAW_DATA_UUID, True)
        uuid = th.RAW_DATA_UUID
    else:
        p.set_notify(RECOMMENDED["data_char_uuid"], True)
        settings = {"description": RECOMMENDED}
        uuid = RECOMMENDED["data_char_uuid"]
    payloads = [x for _, u, x in p.poll(1e9) if u == uuid]
    return payloads, settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each capture (s)")
    args = parser.parse_args()
    table = simulate_session(
        1, sample_rate_hz=2000.0, artefacts=Artefacts.clean(), gyro=True, rest_s=5.0
    ).samples
    table = table[table["time_s"] <= args.seconds]
    cases = [
        ("witmotion", "witmotion", {}, "200 Hz, 1-4 frames/notification"),
        ("polar", "polar", {"variant": "verity"}, "Verity 416 Hz, delta 0x80"),
        ("polar (H10)", "polar", {"variant": "h10"}, "H10 200 Hz, raw 0x01"),
        ("metawear", "metawear", {"chip": "bmi270"}, "800 Hz, packed"),
        ("movesense", "movesense", {}, "416 Hz, 16 samples/notification"),
        ("thingy52", "thingy52", {}, "200 Hz, 1 sample/notification"),
        ("generic", "generic", {}, "200 Hz, 10 samples/notification"),
    ]
    print(f"{'driver':<14}{'capture':<34}{'samples':>9}{'notifs':>8}{'samples/s':>14}")
    for label, kind, options, what in cases:
        payloads, settings = capture(kind, table, **options)
        best = float("inf")
        n = 0
        for _ in range(5):
            t0 = time.perf_counter()
            n = len(decode(kind, payloads, **settings))
            best = min(best, time.perf_counter() - t0)
        print(f"{label:<14}{what:<34}{n:>9}{len(payloads):>8}{n / best:>14,.0f}")


if __name__ == "__main__":
    main()
