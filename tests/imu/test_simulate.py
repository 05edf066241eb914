"""Tests of the session simulator: truth consistency, signal physics, sensor, radio, arguments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu.recording import read_recording
from imu.simulate import PRESETS, Artefacts, SetSpec, session_for, simulate_session
from imu.simulate.session import SimulatedSession

ACC = ["ax_g", "ay_g", "az_g"]


def _magnitude(sim: SimulatedSession) -> np.ndarray:
    return np.linalg.norm(sim.samples[ACC].to_numpy(), axis=1)


def _inside(time_s: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Boolean mask of samples inside any of the half-open intervals [start, end)."""
    idx = np.searchsorted(starts, time_s, side="right") - 1
    ok = idx >= 0
    out = np.zeros(time_s.size, dtype=bool)
    out[ok] = time_s[ok] < ends[idx[ok]]
    return out


def _flight_intervals(sim: SimulatedSession) -> tuple[np.ndarray, np.ndarray]:
    ev = sim.truth_events.sort_values("time_s")
    t = ev["time_s"].to_numpy()
    kind = ev["event"].to_numpy()
    starts, ends = [], []
    for i in range(len(t) - 1):
        if kind[i] == "takeoff" and kind[i + 1] == "landing":
            starts.append(t[i])
            ends.append(t[i + 1])
    return np.asarray(starts), np.asarray(ends)


@pytest.fixture(scope="module")
def clean_sim() -> SimulatedSession:
    sets = [SetSpec(hops=15, hop_hz=3.0), SetSpec(hops=12, hop_hz=2.6, contact_ms=240.0)]
    return simulate_session(11, sets=sets, artefacts=Artefacts.clean(), sample_rate_hz=400.0)


class TestTruth:
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_event_order_and_periods(self, seed: int) -> None:
        sim = simulate_session(seed, sets=[SetSpec(hops=25, variability=0.1, fatigue=0.2)] * 2)
        truth = sim.truth
        landing = truth["landing_s"].to_numpy()
        takeoff = truth["takeoff_s"].to_numpy()
        assert np.all(landing < takeoff)
        for _, group in truth.groupby("set"):
            lands = group["landing_s"].to_numpy()
            offs = group["takeoff_s"].to_numpy()
            assert np.all(offs[:-1] < lands[1:])
            period_ms = np.diff(lands) * 1000.0
            total = (group["contact_ms"] + group["flight_ms"]).to_numpy()
            np.testing.assert_allclose(total[:-1], period_ms, rtol=0, atol=1e-9)
            np.testing.assert_allclose(group["hop_hz"].to_numpy()[:-1], 1000.0 / period_ms)
        np.testing.assert_allclose(truth["contact_ms"], (takeoff - landing) * 1000.0)
        np.testing.assert_allclose(
            truth["duty_factor"], truth["contact_ms"] / (truth["contact_ms"] + truth["flight_ms"])
        )

    def test_no_standing_at_either_end(self) -> None:
        sim = simulate_session(
            23, sets=[SetSpec(hops=4)], standing_s=0.0, end_standing_s=0.0, sample_rate_hz=100.0
        )
        assert len(sim.truth) == 4
        assert sim.truth_events["time_s"].iloc[0] < 0.6  # the push-off starts at once
        mag = _magnitude(sim)
        assert mag[0] == pytest.approx(1.0, abs=0.1)

    def test_hop_count_per_set_and_numbering(self) -> None:
        sets = [SetSpec(hops=7), SetSpec(hops=1), SetSpec(hops=30, hop_hz=3.4)]
        sim = simulate_session(5, sets=sets)
        counts = sim.truth.groupby("set").size()
        assert counts.to_dict() == {1: 7, 2: 1, 3: 30}
        assert sim.truth_sets["hops"].tolist() == [7, 1, 30]
        for _, group in sim.truth.groupby("set"):
            assert group["hop"].tolist() == list(range(1, len(group) + 1))

    def test_set_frequency_formula(self) -> None:
        sim = simulate_session(3, sets=[SetSpec(hops=20, hop_hz=3.2), SetSpec(hops=1)])
        for row in sim.truth_sets.itertuples():
            lands = sim.truth.loc[sim.truth["set"] == row.set, "landing_s"].to_numpy()
            if row.hops < 2:
                assert math.isnan(row.hop_hz)
                continue
            expected = (len(lands) - 1) / (lands[-1] - lands[0])
            assert row.hop_hz == pytest.approx(expected, rel=1e-12)
            assert row.start_s == lands[0]

    def test_flight_ends_at_next_landing_including_final_landing(self) -> None:
        sim = simulate_session(4, sets=[SetSpec(hops=5)])
        ev = sim.truth_events
        last = sim.truth.iloc[-1]
        final = ev[(ev["contact"] == "final_landing") & (ev["event"] == "landing")]
        assert len(final) == 1
        next_landing = last["takeoff_s"] + last["flight_ms"] / 1000.0
        assert next_landing == pytest.approx(final["time_s"].iloc[0], abs=1e-9)

    def test_incomplete_contacts_are_events_not_truth(self) -> None:
        sim = simulate_session(6, sets=[SetSpec(hops=4)] * 2)
        ev = sim.truth_events
        push = ev[ev["contact"] == "push_off"]
        assert push["event"].tolist() == ["takeoff", "takeoff"]
        first_landing = sim.truth.groupby("set")["landing_s"].min().to_numpy()
        assert np.all(push["time_s"].to_numpy() < first_landing)
        n_landings = int((ev["event"] == "landing").sum())
        assert n_landings == 2 * (4 + 1)  # each set: 4 hops and the final landing

    def test_spec_frequency_and_duty_are_reached(self) -> None:
        spec = SetSpec(hops=40, hop_hz=3.2, duty_factor=0.5, variability=0.02)
        sim = simulate_session(8, sets=[spec])
        assert sim.truth_sets["hop_hz"].iloc[0] == pytest.approx(3.2, abs=0.05)
        assert sim.truth_sets["contact_ms"].iloc[0] == pytest.approx(156.25, rel=0.03)

    def test_fatigue_lengthens_contacts(self) -> None:
        sim = simulate_session(9, sets=[SetSpec(hops=30, fatigue=0.3, variability=0.01)])
        contact = sim.truth["contact_ms"].to_numpy()
        assert contact[-5:].mean() > 1.2 * contact[:5].mean()
        hz = sim.truth["hop_hz"].to_numpy()
        assert hz[-5:].mean() < hz[:5].mean()

    def test_stumbles_are_long_complete_contacts(self) -> None:
        sim = simulate_session(10, sets=[SetSpec(hops=20, stumbles=2)])
        truth = sim.truth
        assert len(truth) == 20
        assert truth["stumble"].sum() == 2
        assert truth.loc[truth["stumble"], "contact_ms"].between(450, 900).all()
        assert truth.loc[~truth["stumble"], "contact_ms"].max() < 300
        assert not truth["stumble"].iloc[[0, -1]].any()

    def test_rebound_jumps(self) -> None:
        spec = SetSpec(exercise="rebound", hops=3, contact_ms=600.0, flight_ms=420.0)
        sim = simulate_session(2, sets=[spec])
        truth = sim.truth
        assert len(truth) == 3
        assert (truth["exercise"] == "rebound").all()
        assert truth["contact_ms"].between(450, 750).all()
        assert truth["flight_ms"].between(330, 510).all()
        ev = sim.truth_events
        assert (ev["contact"] == "step_off").sum() == 3
        # Each rebound contact follows a drop from the box and precedes a landing into standing.
        assert ((ev["contact"] == "final_landing") & (ev["event"] == "landing")).sum() == 3

    def test_truth_does_not_depend_on_rate_or_sensor(self) -> None:
        a = simulate_session(21, sample_rate_hz=52.0, sets=[SetSpec(hops=10)])
        b = simulate_session(
            21,
            sample_rate_hz=833.0,
            sets=[SetSpec(hops=10)],
            artefacts=Artefacts(noise_g=0.05, packet_loss=0.1, rate_error=0.01),
            range_g=8.0,
        )
        pd.testing.assert_frame_equal(a.truth, b.truth)

    def test_walking_and_standing_have_no_contacts(self) -> None:
        for preset in ("walking_only", "standing_only"):
            sim = session_for(preset, 1)
            assert sim.truth.empty
            assert sim.truth_sets.empty
            assert sim.truth_events.empty
            assert list(sim.truth.columns)[:7] == [
                "set",
                "hop",
                "landing_s",
                "takeoff_s",
                "contact_ms",
                "flight_ms",
                "hop_hz",
            ]


class TestSignal:
    def test_flight_near_free_fall_when_clean(self, clean_sim: SimulatedSession) -> None:
        starts, ends = _flight_intervals(clean_sim)
        t = clean_sim.samples["time_s"].to_numpy()
        # Stay 3 ms away from the edges (take-off and impact transitions).
        mask = _inside(t, starts + 0.003, ends - 0.003)
        mag = _magnitude(clean_sim)[mask]
        assert mask.sum() > 1000
        assert mag.max() < 0.5
        assert np.median(mag) < 0.2

    def test_messy_flight_holds_magnitude_up(self) -> None:
        art = Artefacts.clean().replace(messy_flight=1.0, pre_landing=1.0)
        sim = simulate_session(12, sets=[SetSpec(hops=15, hop_hz=2.5)], artefacts=art)
        assert sim.truth["messy_flight"].all()
        starts, ends = _flight_intervals(sim)
        t = sim.samples["time_s"].to_numpy()
        mag = _magnitude(sim)
        above = [np.mean(mag[(t >= a) & (t < b)] > 0.3) for a, b in zip(starts, ends, strict=True)]
        assert np.median(above) > 0.4
        # Leg extension: the last 10 ms of every flight is well above free fall.
        late = _inside(t, ends - 0.010, ends)
        assert np.median(mag[late]) > 0.4

    def test_standing_reads_one_g(self) -> None:
        sim = session_for("standing_only", 3)
        mag = _magnitude(sim)
        assert np.median(mag) == pytest.approx(1.0, abs=0.05)
        assert mag.min() > 0.85

    def test_walking_has_no_free_fall_plateau(self) -> None:
        sim = session_for("walking_only", 4, artefacts=Artefacts.clean())
        mag = _magnitude(sim)
        assert mag.min() > 0.5
        assert mag.max() > 1.8  # heel strikes

    def test_impacts_and_contacts(self, clean_sim: SimulatedSession) -> None:
        t = clean_sim.samples["time_s"].to_numpy()
        mag = _magnitude(clean_sim)
        for row in clean_sim.truth.itertuples():
            window = (t >= row.landing_s) & (t < row.landing_s + 0.030)
            assert mag[window].max() >= 3.0
            mid = (t >= row.landing_s + 0.050) & (t < row.takeoff_s - 0.060)
            if mid.any():
                assert 0.3 < np.median(mag[mid]) < 2.0

    def test_slip_changes_axes_not_magnitude(self) -> None:
        kwargs = {"sets": [SetSpec(hops=8)], "artefacts": Artefacts.clean()}
        laces = simulate_session(31, **kwargs)
        slipped = simulate_session(
            31, **{**kwargs, "artefacts": Artefacts.clean().replace(slip_deg=40.0, slip_at_s=4.0)}
        )
        np.testing.assert_allclose(_magnitude(slipped), _magnitude(laces), atol=1e-9)
        t = laces.samples["time_s"].to_numpy()
        late = t > 4.3
        diff = np.abs(slipped.samples[ACC].to_numpy()[late] - laces.samples[ACC].to_numpy()[late])
        assert diff.max() > 0.2  # the axes did change

    def test_heel_mounting_sees_larger_stance_swings(self) -> None:
        sets = [SetSpec(hops=40, contact_ms=220.0, flight_ms=120.0)]
        spread = {}
        for placement in ("laces", "heel"):
            sim = simulate_session(41, sets=sets, placement=placement, artefacts=Artefacts.clean())
            t = sim.samples["time_s"].to_numpy()
            tr = sim.truth
            mask = _inside(t, tr["landing_s"].to_numpy() + 0.06, tr["takeoff_s"].to_numpy() - 0.07)
            spread[placement] = np.std(_magnitude(sim)[mask])
        assert spread["heel"] > spread["laces"]


class TestSensor:
    @pytest.mark.parametrize("range_g", [8.0, 16.0])
    def test_clipping_never_exceeds_range(self, range_g: float) -> None:
        spec = SetSpec(exercise="rebound", hops=2, box_height_m=0.6)
        sim = simulate_session(13, sets=[spec], range_g=range_g)
        acc = sim.samples[ACC].to_numpy()
        assert acc.max() <= range_g
        assert acc.min() >= -range_g
        assert np.isclose(np.abs(acc).max(), range_g, atol=2 * range_g / 65536)

    def test_quantisation_step(self) -> None:
        sim = simulate_session(14, sets=[SetSpec(hops=5)], range_g=8.0)
        step = 16.0 / 65536.0
        codes = sim.samples[ACC].to_numpy() / step
        np.testing.assert_allclose(codes, np.rint(codes), atol=1e-6)

    def test_unquantised_values_are_not_on_a_grid(self) -> None:
        art = Artefacts(quantise=False)
        sim = simulate_session(14, sets=[SetSpec(hops=5)], range_g=8.0, artefacts=art)
        codes = sim.samples[ACC].to_numpy() / (16.0 / 65536.0)
        assert np.abs(codes - np.rint(codes)).max() > 0.1

    @pytest.mark.parametrize("rate", [25.0, 52.0, 100.0, 416.0, 1000.0])
    def test_sample_rate(self, rate: float) -> None:
        sim = simulate_session(15, sample_rate_hz=rate, sets=[SetSpec(hops=6)])
        dt = np.diff(sim.samples["time_s"].to_numpy())
        assert np.median(dt) == pytest.approx(1.0 / rate, rel=1e-9)
        assert sim.meta.sample_rate_hz == rate
        duration = sim.truth_events["time_s"].max()
        assert len(sim.samples) >= duration * rate

    def test_rate_error_shows_in_timestamps(self) -> None:
        art = Artefacts(rate_error=-0.01)
        sim = simulate_session(16, sample_rate_hz=100.0, sets=[SetSpec(hops=5)], artefacts=art)
        dt = np.diff(sim.samples["time_s"].to_numpy())
        assert np.median(dt) == pytest.approx(1.0 / 99.0, rel=1e-9)
        assert sim.true_sample_rate_hz == pytest.approx(99.0)
        assert sim.meta.sample_rate_hz == 100.0

    def test_timestamp_jitter_keeps_time_increasing(self) -> None:
        art = Artefacts(timestamp_jitter=0.3)
        sim = simulate_session(17, sample_rate_hz=52.0, sets=[SetSpec(hops=5)], artefacts=art)
        dt = np.diff(sim.samples["time_s"].to_numpy())
        assert dt.min() > 0
        assert dt.std() > 0.1 / 52.0

    def test_packet_timestamps_sawtooth(self) -> None:
        art = Artefacts(rate_error=0.02, packet_timestamps=True, packet_samples=20)
        sim = simulate_session(22, sample_rate_hz=100.0, sets=[SetSpec(hops=5)], artefacts=art)
        t = sim.samples["time_s"].to_numpy()
        dt = np.diff(t)
        assert dt.min() > 0
        # Inside a packet the nominal spacing; each packet starts at its true time.
        np.testing.assert_allclose(dt[:19], 0.01, rtol=1e-9)
        assert t[20] == pytest.approx(20 / 102.0, rel=1e-12)
        assert np.mean(dt) == pytest.approx(1 / 102.0, rel=1e-3)

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_harsh_time_always_increases(self, seed: int) -> None:
        art = Artefacts.harsh().replace(rate_error=0.02, timestamp_jitter=1.0, packet_samples=24)
        sim = simulate_session(seed, sample_rate_hz=52.0, sets=[SetSpec(hops=10)], artefacts=art)
        assert np.diff(sim.samples["time_s"].to_numpy()).min() > 0

    def test_gyro_columns(self) -> None:
        sim = simulate_session(18, sets=[SetSpec(hops=5)], gyro=True)
        assert list(sim.samples.columns) == ["time_s", *ACC, "gx_dps", "gy_dps", "gz_dps"]
        gyro = sim.samples[["gx_dps", "gy_dps", "gz_dps"]].to_numpy()
        assert np.abs(gyro).max() > 50.0
        assert np.abs(gyro).max() <= 2000.0


class TestRadio:
    def test_lost_packets_are_time_gaps(self) -> None:
        art = Artefacts(packet_loss=0.05, packet_samples=8, loss_bursts_per_min=4.0)
        sim = simulate_session(19, sample_rate_hz=100.0, sets=[SetSpec(hops=20)], artefacts=art)
        ref = simulate_session(19, sample_rate_hz=100.0, sets=[SetSpec(hops=20)])
        t = sim.samples["time_s"].to_numpy()
        dt = np.diff(t)
        gaps = dt > 1.5 / 100.0
        assert gaps.any()
        assert np.all(dt[gaps] >= 8.5 / 100.0)  # whole packets of 8 samples go missing
        assert sim.meta.lost_samples == len(ref.samples) - len(sim.samples) > 0
        assert sim.meta.lost_packets >= sim.meta.lost_samples // 8
        # No invented values: every kept sample is one of the loss-free recording's samples.
        kept = np.isin(np.round(ref.samples["time_s"].to_numpy(), 9), np.round(t, 9))
        assert kept.sum() == len(t)

    def test_no_loss_by_default(self) -> None:
        sim = simulate_session(20, sets=[SetSpec(hops=5)])
        assert sim.meta.lost_samples == 0
        assert sim.meta.lost_packets == 0
        assert np.diff(sim.samples["time_s"].to_numpy()).max() < 1.5 / 200.0


class TestDeterminismAndMeta:
    def test_same_seed_same_session(self) -> None:
        a = session_for("harsh", 7)
        b = session_for("harsh", 7)
        pd.testing.assert_frame_equal(a.samples, b.samples)
        pd.testing.assert_frame_equal(a.truth, b.truth)
        assert a.meta == b.meta

    def test_other_seed_other_session(self) -> None:
        a = simulate_session(1, sets=[SetSpec(hops=5)])
        b = simulate_session(2, sets=[SetSpec(hops=5)])
        assert not a.truth["landing_s"].equals(b.truth["landing_s"])

    def test_meta(self) -> None:
        sim = simulate_session(
            3,
            sets=[SetSpec(hops=5)],
            placement="heel",
            range_g=8.0,
            athlete="A1",
            leg="R",
            body_mass_kg=70.0,
        )
        m = sim.meta
        assert m.device == "hopscope simulator"
        assert (m.sample_rate_hz, m.range_g, m.placement) == (200.0, 8.0, "heel")
        assert (m.athlete, m.leg, m.body_mass_kg) == ("A1", "R", 70.0)
        assert m.lost_samples == 0

    def test_write_round_trip(self, tmp_path) -> None:
        sim = session_for("low_rate_52hz_clipped", 2)
        path = sim.write(tmp_path / "rec.csv")
        rec = read_recording(path)
        assert rec.meta.device == "hopscope simulator"
        assert rec.meta.range_g == 8.0
        np.testing.assert_allclose(rec.samples["time_s"], sim.samples["time_s"], atol=1e-6)
        np.testing.assert_allclose(rec.samples[ACC], sim.samples[ACC], atol=1e-5)
        truth = pd.read_csv(tmp_path / "rec.truth.csv")
        assert len(truth) == len(sim.truth)
        np.testing.assert_allclose(truth["landing_s"], sim.truth["landing_s"], atol=1e-6)

    @pytest.mark.parametrize("preset", sorted(PRESETS))
    def test_presets_run(self, preset: str) -> None:
        sim = session_for(preset, 0)
        assert len(sim.samples) > 100
        assert sim.samples["time_s"].is_monotonic_increasing


class TestArguments:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"sample_rate_hz": 0.0}, "sample_rate_hz"),
            ({"sample_rate_hz": "200"}, "sample_rate_hz"),
            ({"placement": "wrist"}, "placement"),
            ({"range_g": -8.0}, "range_g"),
            ({"sets": [{"hops": 3}]}, r"sets\[0\]"),
            ({"sets": SetSpec()}, "sequence of SetSpec"),
            ({"artefacts": {"noise_g": 0.1}}, "artefacts"),
            ({"rest_s": float("nan")}, "rest_s"),
            ({"leg": "left"}, "leg"),
        ],
    )
    def test_simulate_session_errors(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            simulate_session(1, **kwargs)

    def test_bad_seed(self) -> None:
        with pytest.raises(ValueError, match="seed"):
            simulate_session(-1)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"exercise": "squats"}, "exercise"),
            ({"hops": 0}, "hops"),
            ({"hop_hz": 20.0}, "hop_hz"),
            ({"duty_factor": 0.95}, "duty_factor"),
            ({"duty_factor": 0.5, "contact_ms": 200.0}, "not both"),
            ({"hop_hz": 4.0, "contact_ms": 240.0}, "flight"),
            ({"variability": -0.1}, "variability"),
            ({"hops": 5, "stumbles": 4}, "stumbles"),
        ],
    )
    def test_set_spec_errors(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            SetSpec(**kwargs)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"packet_loss": 0.9}, "packet_loss"),
            ({"lowpass_fraction": 0.6}, "lowpass_fraction"),
            ({"packet_samples": 0}, "packet_samples"),
            ({"messy_flight": 2.0}, "messy_flight"),
            ({"packet_timestamps": True, "packet_samples": 100, "rate_error": 0.01}, "backwards"),
        ],
    )
    def test_artefact_errors(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            Artefacts(**kwargs)

    def test_unknown_preset_lists_known(self) -> None:
        with pytest.raises(ValueError, match="good_3p2hz"):
            session_for("nope", 1)


def _naive_threshold_contacts(sim: SimulatedSession, *, threshold_g: float = 0.5) -> np.ndarray:
    """Contact-time error (ms) of a naive free-fall threshold detector, per matched contact.

    Flight = a run of samples below ``threshold_g`` lasting at least 25 ms; the contact is the
    time from the end of the flight run before a true landing to the start of the run after it.
    """
    t = sim.samples["time_s"].to_numpy()
    low = _magnitude(sim) < threshold_g
    edges = np.diff(np.concatenate([[0], low.astype(np.int8), [0]]))
    start = np.flatnonzero(edges == 1)
    end = np.minimum(np.flatnonzero(edges == -1), t.size - 1)
    long_enough = t[end] - t[start] >= 0.025
    start_s, end_s = t[start[long_enough]], t[end[long_enough]]
    errors = []
    for row in sim.truth.itertuples():
        before = np.flatnonzero((end_s > row.landing_s - 0.08) & (end_s < row.landing_s + 0.03))
        after = np.flatnonzero((start_s > row.takeoff_s - 0.03) & (start_s < row.takeoff_s + 0.08))
        if before.size and after.size:
            errors.append((start_s[after[0]] - end_s[before[-1]]) * 1000.0 - row.contact_ms)
    return np.asarray(errors)


class TestMessyFlightDefeatsNaiveThreshold:
    """Messy flights must make a free-fall threshold detector report contacts >= 20 ms too long."""

    def test_clean_flights_threshold_is_close(self) -> None:
        sim = simulate_session(51, sets=[SetSpec(hops=30)] * 2)
        errors = _naive_threshold_contacts(sim)
        assert len(errors) == 60
        assert abs(np.median(errors)) < 6.0

    def test_messy_flights_threshold_reports_long_contacts(self) -> None:
        art = Artefacts(messy_flight=0.5, pre_landing=0.7)
        sim = simulate_session(51, sets=[SetSpec(hops=30)] * 2, artefacts=art)
        errors = _naive_threshold_contacts(sim)
        assert np.mean(errors) >= 20.0
        assert np.percentile(errors, 90) >= 40.0


class TestSampleData:
    def test_sample_files_are_rebuilt_by_the_generator(self, tmp_path) -> None:
        import importlib.util
        from pathlib import Path

        root = Path(__file__).resolve().parents[2] / "sample_data"
        spec = importlib.util.spec_from_file_location(
            "make_sample_data", root / "make_sample_data.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(tmp_path)
        for name in module.SAMPLES:
            fresh = read_recording(tmp_path / f"{name}.csv")
            stored = read_recording(root / f"{name}.csv")
            assert stored.meta == fresh.meta
            np.testing.assert_allclose(
                stored.samples.to_numpy(), fresh.samples.to_numpy(), atol=2e-5
            )
            pd.testing.assert_frame_equal(
                pd.read_csv(root / f"{name}.truth.csv"), pd.read_csv(tmp_path / f"{name}.truth.csv")
            )
            assert (root / f"{name}.csv").stat().st_size < 400 * 1024

    def test_sample_truth_matches_the_readme_claims(self) -> None:
        from pathlib import Path

        root = Path(__file__).resolve().parents[2] / "sample_data"
        good = pd.read_csv(root / "good_3p2hz.truth.csv")
        assert good.groupby("set").size().tolist() == [20, 20, 20]
        assert good.groupby("set")["contact_ms"].median().between(150, 170).all()
        slow = pd.read_csv(root / "slow_rebound.truth.csv")
        assert slow.groupby("set")["contact_ms"].median().between(280, 300).all()
        clipped = read_recording(root / "low_rate_52hz_clipped.csv")
        acc = clipped.samples[ACC].abs().to_numpy()
        assert (acc >= 8.0 - 2 * 8.0 / 65536).any(axis=1).sum() >= 5


def test_impact_scale_raises_impacts() -> None:
    soft = simulate_session(
        61, sets=[SetSpec(hops=20, impact_scale=0.5)], artefacts=Artefacts.clean()
    )
    hard = simulate_session(
        61, sets=[SetSpec(hops=20, impact_scale=2.0)], artefacts=Artefacts.clean()
    )
    assert _magnitude(hard).max() > 2.0 * _magnitude(soft).max()
    assert (hard.truth["impact_g"] > soft.truth["impact_g"]).all()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    hops=st.integers(1, 12),
    hop_hz=st.floats(1.5, 4.5),
    duty=st.floats(0.3, 0.75),
    variability=st.floats(0.0, 0.3),
    fatigue=st.floats(-0.5, 1.0),
    rate=st.sampled_from([25.0, 52.0, 104.0, 200.0, 500.0]),
    placement=st.sampled_from(["laces", "heel", "ankle"]),
)
def test_truth_invariants_for_any_schedule(
    seed: int,
    hops: int,
    hop_hz: float,
    duty: float,
    variability: float,
    fatigue: float,
    rate: float,
    placement: str,
) -> None:
    if (1.0 - duty) * 1000.0 / hop_hz < 30.0:
        duty = 1.0 - 0.031 * hop_hz
    spec = SetSpec(
        hops=hops, hop_hz=hop_hz, duty_factor=duty, variability=variability, fatigue=fatigue
    )
    sim = simulate_session(
        seed, sample_rate_hz=rate, sets=[spec], placement=placement, rest_s=2.0, standing_s=0.5
    )
    truth = sim.truth
    assert len(truth) == hops
    events = sim.truth_events["time_s"].to_numpy()
    assert np.all(np.diff(events) > 0)
    assert np.all(truth["contact_ms"] >= 60.0 - 1e-9)
    assert np.all(truth["flight_ms"] >= 25.0 - 1e-9)
    t = sim.samples["time_s"].to_numpy()
    assert np.all(np.diff(t) > 0)
    assert t[-1] > events[-1]
    assert np.isfinite(sim.samples.to_numpy()).all()
