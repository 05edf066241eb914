"""The same simulated session exported in every vendor layout gives the same hops as its
hopscope recording: identical hop count, landings within one sample, contacts within one
sample period."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analysis import analyze
from imu.errors import HopscopeWarning
from imu.formats import load
from imu.recording import write_recording
from imu.simulate import Artefacts
from tests.imu.formats.conftest import short_session
from tests.imu.formats.exporters import VARIANTS

CASES = {
    # name: (seed, simulate_session keyword arguments)
    "200Hz-default": (31, {}),
    "416Hz-harsh": (83, {"sample_rate_hz": 416.0, "artefacts": Artefacts.harsh()}),
    "104Hz-lossy-jitter": (
        47,
        {
            "sample_rate_hz": 104.0,
            "artefacts": Artefacts(packet_loss=0.03, packet_samples=8, timestamp_jitter=0.1),
        },
    ),
}


def _analyse(rec):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        return analyze(rec)


@pytest.fixture(scope="module", params=sorted(CASES))
def reference(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    seed, kwargs = CASES[request.param]
    session = short_session(seed, **kwargs)
    folder = tmp_path_factory.mktemp(request.param)
    native = write_recording(folder / "native.csv", session.samples, session.meta)
    result = _analyse(load(native))
    assert len(result.hops) >= 20  # the session has hops to compare
    return session, result, folder


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_export_gives_the_same_hops_as_the_native_recording(variant, reference):
    session, native, folder = reference
    path = VARIANTS[variant](session.samples, folder / variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HopscopeWarning)
        rec = load(path)
    got = _analyse(rec).hops
    want = native.hops
    period_s = 1.0 / session.meta.sample_rate_hz
    assert len(got) == len(want)
    np.testing.assert_array_equal(got["set"].to_numpy(), want["set"].to_numpy())
    # (An edge lost in a gap of the data is NaN in both.)
    np.testing.assert_array_equal(got["edge_lost"].to_numpy(), want["edge_lost"].to_numpy())
    assert np.nanmax(np.abs(got["landing_s"].to_numpy() - want["landing_s"].to_numpy())) <= period_s
    contact_diff_ms = np.abs(got["contact_ms"].to_numpy() - want["contact_ms"].to_numpy())
    assert np.nanmax(contact_diff_ms) <= period_s * 1e3
