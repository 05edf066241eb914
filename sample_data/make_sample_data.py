"""Rebuild the simulated recordings in sample_data/ (deterministic: fixed presets and seeds).

Run from the repository root::

    .venv/bin/python sample_data/make_sample_data.py

Each recording is written as ``NAME.csv`` (samples), ``NAME.json`` (metadata sidecar) and
``NAME.truth.csv`` (the exact ground truth of every complete contact).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from imu.simulate import session_for  # noqa: E402

#: File name -> (preset, seed). The seeds are fixed so the files never change by accident.
SAMPLES: dict[str, tuple[str, int]] = {
    "good_3p2hz": ("good_3p2hz", 3201),
    "below_target": ("below_target", 2601),
    "slow_rebound": ("slow_rebound", 2901),
    "low_rate_52hz_clipped": ("low_rate_52hz_clipped", 5201),
    "rebound_jumps": ("rebound_jumps", 4501),
    "mixed_session": ("mixed_session", 6101),
}

#: Metadata of the sample athlete.
ATHLETE = {"athlete": "sample", "leg": "R", "body_mass_kg": 70.0}
START_UTC = "2026-01-15T09:30:00Z"


def main(out_dir: Path = HERE) -> None:
    """Write every sample recording into ``out_dir`` and print a one-line summary of each."""
    for name, (preset, seed) in SAMPLES.items():
        sim = session_for(preset, seed, start_utc=START_UTC, **ATHLETE)
        path = sim.write(out_dir / f"{name}.csv")
        sets = sim.truth_sets
        size_kb = path.stat().st_size / 1024
        print(
            f"{path.name}: {len(sim.samples)} samples, {size_kb:.0f} KB, {len(sim.truth)} contacts, "
            f"set hop_hz {', '.join(f'{v:.2f}' for v in sets['hop_hz'])}, "
            f"median contact {', '.join(f'{v:.0f}' for v in sets['contact_ms'])} ms"
        )


if __name__ == "__main__":
    main()
