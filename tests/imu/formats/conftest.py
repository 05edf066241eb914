"""Simulated sessions shared by the format tests (short, so the suite stays fast)."""

from __future__ import annotations

import pandas as pd
import pytest

from imu.simulate import Artefacts, SetSpec, simulate_session


def short_session(seed: int, **kwargs):  # type: ignore[no-untyped-def]
    """Two short sets with rest between them: ~35 s of data."""
    return simulate_session(
        seed,
        sets=[SetSpec(hops=12), SetSpec(hops=12, hop_hz=3.3)],
        rest_s=8.0,
        walking_s=3.0,
        **kwargs,
    )


@pytest.fixture(scope="session")
def session():  # type: ignore[no-untyped-def]
    return short_session(5)


@pytest.fixture(scope="session")
def samples(session) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return session.samples


@pytest.fixture(scope="session")
def lossy_session():  # type: ignore[no-untyped-def]
    """104 Hz, lost packets and timestamp jitter: gaps and ms-quantised stamps."""
    return short_session(
        23,
        sample_rate_hz=104.0,
        artefacts=Artefacts(packet_loss=0.03, packet_samples=8, timestamp_jitter=0.1),
    )
