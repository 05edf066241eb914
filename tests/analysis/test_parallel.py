"""The passes shared out to threads on long recordings give what one thread gives."""

from __future__ import annotations

import pytest

import analysis.clean as clean
from analysis import AnalysisSettings, analyze
from imu.simulate import Artefacts, SetSpec, simulate_session


@pytest.fixture(scope="module")
def long_recording():  # type: ignore[no-untyped-def]
    # Every fault at once (gaps, clipping, messy flights, heel touches), long enough for the
    # threaded passes (clean._PARALLEL_MIN samples and more).
    sim = simulate_session(
        7,
        sample_rate_hz=1000.0,
        sets=[SetSpec(hops=20, hop_hz=3.0)] * 4,
        rest_s=90.0,
        artefacts=Artefacts.harsh(),
    )
    recording = sim.recording()
    assert len(recording.samples) > clean._PARALLEL_MIN
    return recording


@pytest.mark.parametrize("exercise", ["hops", "rebound"])
def test_threads_change_nothing(long_recording, exercise, monkeypatch):  # type: ignore[no-untyped-def]
    settings = AnalysisSettings(exercise=exercise)
    monkeypatch.setattr(clean, "_WORKERS", 2)  # threads even on a one-core machine
    threaded = analyze(long_recording, settings=settings)
    monkeypatch.setattr(clean, "_WORKERS", 1)
    single = analyze(long_recording, settings=settings)
    assert threaded.n_hops == single.n_hops
    assert threaded.hops.equals(single.hops)
    assert threaded.sets.equals(single.sets)
    assert threaded.flags == single.flags
    assert threaded.quality == single.quality
    assert (threaded.info["magnitude_g"] == single.info["magnitude_g"]).all()
