"""A landing whose impact is lost in a gap must not be timed, nor end the set frequency."""

import warnings

import numpy as np
import pytest

from analysis import analyze
from imu.errors import HopscopeWarning
from imu.simulate import Artefacts, SetSpec, simulate_session


@pytest.mark.parametrize(
    ("seed", "rate_hz", "cut_after_ms"), [(11, 100.0, 5.0), (12, 52.0, 20.0), (14, 100.0, 20.0)]
)
def test_gap_over_the_first_landing_gives_the_right_set_frequency(seed, rate_hz, cut_after_ms):
    # Heel mounting: the heel drop after the impact is a second bump that looks like one.
    sim = simulate_session(
        seed,
        sample_rate_hz=rate_hz,
        placement="heel",
        sets=[SetSpec(hops=16, hop_hz=3.1, duty_factor=0.55, variability=0.02, fatigue=0.1)],
        artefacts=Artefacts(),
    )
    first = float(sim.truth["landing_s"].iloc[0])
    t = sim.samples["time_s"].to_numpy()
    # Packets lost from the end of the flight to just after the impact: what follows the gap
    # is the impact's decay and ringing.
    lost = (t > first - 0.06) & (t < first + cut_after_ms / 1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)  # 52 Hz: coarse timing
        result = analyze(sim.samples.loc[~lost].reset_index(drop=True), meta=sim.meta)

    true_hz = float(sim.truth_sets["hop_hz"].iloc[0])
    assert len(result.sets) == 1
    assert abs(result.sets["hop_hz"].iloc[0] - true_hz) <= 0.02
    # Every reported landing is a true one (none taken from the ringing after the gap).
    landings = result.hops["landing_s"].to_numpy()
    true = sim.truth["landing_s"].to_numpy()
    assert len(landings) >= len(true) - 3
    tolerance_s = 0.015 if rate_hz >= 100 else 0.03
    assert np.abs(landings[:, None] - true[None, :]).min(axis=1).max() <= tolerance_s
    assert first not in landings
