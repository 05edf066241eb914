import numpy as np
import pandas as pd
import pytest

from analysis.metrics import dalleau_stiffness_kn_per_m, flight_height_cm, hop_metrics
from analysis.result import HOP_COLUMNS


def test_flight_height():
    # h = g t^2 / 8: 167 ms of flight is 3.4 cm (hop_science table)
    assert flight_height_cm(np.array([167.0]))[0] == pytest.approx(3.42, abs=0.01)
    assert np.isnan(flight_height_cm(np.array([np.nan]))[0])


@pytest.mark.parametrize(
    ("contact", "flight", "k"),
    [(167, 167, 41.0), (200, 133, 32.7), (233, 100, 28.2), (273, 182, 17.6), (171, 114, 44.5)],
)
def test_dalleau_matches_model_table(contact, flight, k):
    got = float(dalleau_stiffness_kn_per_m(contact, flight, body_mass_kg=70.0))
    assert got == pytest.approx(k, rel=0.02)


def test_dalleau_requires_mass():
    with pytest.raises(ValueError, match="body_mass_kg"):
        dalleau_stiffness_kn_per_m(100.0, 100.0, body_mass_kg=0)


def _events(n=3):
    landing = np.array([1.0, 1.33, 1.66])[:n]
    return pd.DataFrame(
        {
            "set": [1, 1, 2][:n],
            "landing_s": landing,
            "takeoff_s": landing + 0.2,
            "next_landing_s": np.array([1.33, 1.66, np.nan])[:n],
            "impact_peak_g": [8.0, 9.0, 16.0][:n],
            "impact_clipped": [False, False, True][:n],
        }
    )


def test_hop_metrics_known_values():
    table = hop_metrics(_events(), body_mass_kg=70.0)
    assert list(table.columns) == [c for c in HOP_COLUMNS if c != "exercise"]  # (set by analyze)
    assert table["hop"].tolist() == [1, 2, 1]
    np.testing.assert_allclose(table["contact_ms"], 200.0)
    np.testing.assert_allclose(table["flight_ms"][:2], 130.0)
    np.testing.assert_allclose(table["hop_hz"][:2], 1 / 0.33)
    np.testing.assert_allclose(table["duty_factor"][:2], 200 / 330)
    np.testing.assert_allclose(table["reactive_strength_ratio"][:2], 130 / 200)
    h = 9.80665 * 0.13**2 / 8
    np.testing.assert_allclose(table["flight_height_cm"][:2], h * 100)
    np.testing.assert_allclose(table["reactive_strength_index_mps"][:2], h / 0.2)
    assert table["stiffness_kn_per_m"][:2].notna().all()
    # no landing follows the last contact: flight, rate and their metrics are NaN
    last = table.iloc[2]
    for col in ("flight_ms", "hop_hz", "duty_factor", "flight_height_cm", "stiffness_kn_per_m"):
        assert np.isnan(last[col])
    assert bool(last["impact_clipped"])


def test_no_mass_no_stiffness():
    assert hop_metrics(_events()).stiffness_kn_per_m.isna().all()


def test_empty():
    table = hop_metrics(_events(0))
    assert len(table) == 0
    assert list(table.columns) == [c for c in HOP_COLUMNS if c != "exercise"]  # (set by analyze)


def test_missing_column():
    with pytest.raises(ValueError, match="next_landing_s"):
        hop_metrics(_events().drop(columns="next_landing_s"))
