"""Generate the simulated squad folder that ``hopscope batch sample_data/squad -o out/`` reads.

Four athletes, weekly sessions over four weeks, left and right legs, each session two short
sets of single-leg hops recorded at 100 Hz. Every file is simulated (``imu.simulate``); the
numbers below are the story the overview should tell:

- Ava: steady and quick on both legs (passes).
- Ben: right leg clearly slower than the left (left/right symmetry below 90 %).
- Cleo: three good weeks, then a tired week (worse than her own baseline).
- Dev: left leg only, below target at first and improving.

Half the athletes have a JSON sidecar with athlete, leg and start time; the others are plain
CSVs whose labels come from the file name (``{athlete}_{leg}_{date}``).

Run from the repository root: ``python sample_data/squad/generate.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from imu.recording import write_recording  # noqa: E402
from imu.simulate import SetSpec, simulate_session  # noqa: E402

OUT = Path(__file__).resolve().parent
DATES = ("2026-10-28", "2026-11-04", "2026-11-11", "2026-11-18")
SAMPLE_RATE_HZ = 100.0

#: athlete -> (legs, sidecar?, per-date (hop_hz, contact_ms) per leg)
SQUAD: dict[str, tuple[tuple[str, ...], bool, dict[str, list[tuple[float, float]]]]] = {
    "Ava": (
        ("L", "R"),
        True,
        {
            "L": [(3.25, 175), (3.3, 172), (3.3, 170), (3.35, 168)],
            "R": [(3.2, 178), (3.25, 175), (3.3, 172), (3.3, 170)],
        },
    ),
    "Ben": (
        ("L", "R"),
        False,
        {
            "L": [(3.15, 190), (3.2, 185), (3.2, 185), (3.25, 182)],
            "R": [(2.7, 265), (2.75, 262), (2.8, 258), (2.75, 262)],
        },
    ),
    "Cleo": (
        ("L", "R"),
        True,
        {
            "L": [(3.3, 180), (3.3, 178), (3.35, 176), (2.85, 235)],
            "R": [(3.3, 182), (3.35, 178), (3.3, 180), (2.9, 230)],
        },
    ),
    "Dev": (
        ("L",),
        False,
        {"L": [(2.6, 255), (2.75, 240), (2.9, 222), (3.05, 205)]},
    ),
}


def main() -> None:
    """Write every recording of the squad (and remove nothing else)."""
    seed = 100
    for athlete, (legs, sidecar, plan) in SQUAD.items():
        for leg in legs:
            for date, (hop_hz, contact_ms) in zip(DATES, plan[leg], strict=True):
                seed += 1
                sim = simulate_session(
                    seed,
                    sample_rate_hz=SAMPLE_RATE_HZ,
                    sets=[
                        SetSpec(hops=16, hop_hz=hop_hz, contact_ms=contact_ms, fatigue=0.05),
                        SetSpec(hops=16, hop_hz=hop_hz - 0.05, contact_ms=contact_ms + 5),
                    ],
                    standing_s=1.5,
                    rest_s=4.0,
                    walking_s=0.0,
                    end_standing_s=1.0,
                    athlete=athlete if sidecar else None,
                    leg=leg if sidecar else None,
                    start_utc=f"{date}T07:30:00Z" if sidecar else None,
                    body_mass_kg=65.0 if sidecar else None,
                )
                path = OUT / f"{athlete}_{leg}_{date}.csv"
                write_recording(path, sim.samples, sim.meta if sidecar else None)
                print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
