"""The bundled sample recordings, analysed with the default settings, against their truth."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisSettings, analyze_file
from imu.errors import HopscopeWarning

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

# name: (exercise, contact MAE limit ms, expected verdicts per set)
CASES = {
    "good_3p2hz": ("hops", 3.0, set()),
    "below_target": ("hops", 3.0, {"below_target_frequency"}),
    "slow_rebound": ("hops", 3.0, {"below_target_frequency", "slow_rebound"}),
    # Coarse timing at 52 Hz (one sample is 19 ms) with messy flights and clipped impacts.
    "low_rate_52hz_clipped": ("hops", 10.0, set()),
    "rebound_jumps": ("rebound", 4.0, set()),
    # A hop set, rebound jumps with slow contacts, a slow hop set: each set judged as its drill.
    "mixed_session": (
        "auto",
        4.0,
        [set(), {"slow_rebound"}, {"below_target_frequency"}],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_recording_against_truth(name):
    path = SAMPLE_DATA / f"{name}.csv"
    truth_path = SAMPLE_DATA / f"{name}.truth.csv"
    if not path.exists() or not truth_path.exists():
        pytest.skip(f"{path.name} or its truth is not bundled")
    exercise, mae_limit, verdicts = CASES[name]
    truth = pd.read_csv(truth_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        result = analyze_file(path, settings=AnalysisSettings(exercise=exercise))
    hops = result.hops
    assert len(result.sets) == truth["set"].nunique()
    assert len(hops) >= 0.95 * len(truth)
    assert len(hops) <= len(truth)
    near = np.abs(hops["landing_s"].to_numpy()[:, None] - truth["landing_s"].to_numpy()[None, :])
    j = near.argmin(axis=1)
    assert (near[np.arange(len(hops)), j] < 0.03).all()
    err = hops["contact_ms"].to_numpy() - truth["contact_ms"].to_numpy()[j]
    assert np.abs(err).mean() <= mae_limit
    if isinstance(verdicts, set):
        verdicts = [verdicts] * len(result.sets)
    for flags, want in zip(result.sets["flags"], verdicts, strict=True):
        assert set(flags) & {"below_target_frequency", "slow_rebound"} == want
