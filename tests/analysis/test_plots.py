from __future__ import annotations

import dataclasses

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from analysis import plots
from analysis.plots import (
    plot_contact_flight,
    plot_fatigue,
    plot_hop_rate,
    plot_signal,
    plot_squad_trend,
    plot_symmetry,
)
from tests.analysis.report.factory import FakeSet, make_result

matplotlib.use("Agg")


def _by_gid(fig: Figure, gid: str) -> list:
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


@pytest.fixture(scope="module")
def result():
    return make_result(
        (FakeSet(hops=12), FakeSet(hops=15, hop_hz=2.6, contact_ms=270.0, contact_drift_ms=2.0)),
        gap=(7.0, 7.2),
    )


class TestPlotSignal:
    def test_contacts_shaded_one_span_per_hop(self, result):
        fig = plot_signal(result)
        (contacts,) = _by_gid(fig, "contacts")
        assert isinstance(contacts, PolyCollection)
        assert len(contacts.get_paths()) == result.n_hops == 27
        # each span covers exactly landing..takeoff
        first = contacts.get_paths()[0].vertices
        assert first[:, 0].min() == pytest.approx(result.hops["landing_s"].iloc[0])
        assert first[:, 0].max() == pytest.approx(result.hops["takeoff_s"].iloc[0])

    def test_landings_and_takeoffs_marked(self, result):
        fig = plot_signal(result)
        (landings,) = _by_gid(fig, "landings")
        (takeoffs,) = _by_gid(fig, "takeoffs")
        np.testing.assert_allclose(landings.get_xdata(), result.hops["landing_s"])
        np.testing.assert_allclose(takeoffs.get_xdata(), result.hops["takeoff_s"])
        ax = fig.axes[0]
        assert ax.get_xlabel() == "time (s)"
        assert ax.get_ylabel() == "|a| (g)"
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert {"landing", "take-off", "ground contact"} <= set(labels)

    def test_gap_drawn_and_line_broken(self, result):
        fig = plot_signal(result)
        (gaps,) = _by_gid(fig, "gaps")
        assert len(gaps.get_paths()) == 1
        (line,) = _by_gid(fig, "signal")
        assert np.isnan(line.get_ydata()).sum() == 1

    def test_set_number_limits_to_set(self, result):
        fig = plot_signal(result, set_number=2)
        (contacts,) = _by_gid(fig, "contacts")
        assert len(contacts.get_paths()) == 15
        row = result.sets.set_index("set").loc[2]
        lo, hi = fig.axes[0].get_xlim()
        assert lo == pytest.approx(row["start_s"] - plots.SET_MARGIN_S)
        assert hi == pytest.approx(row["end_s"] + plots.SET_MARGIN_S)
        assert "Set 2" in fig.axes[0].get_title(loc="left")
        assert not _by_gid(fig, "gaps")  # the gap is in set 1

    def test_draws_into_given_axes(self, result):
        fig = Figure()
        ax1, ax2 = fig.subplots(2)
        out = plot_signal(result, ax=ax2, set_number=1)
        assert out is fig
        assert not ax1.has_data()
        assert ax2.has_data()

    def test_no_pyplot_figures_leak(self, result):
        import matplotlib.pyplot as plt

        before = plt.get_fignums()
        for _ in range(3):
            plot_signal(result)
            plot_fatigue(result)
        assert plt.get_fignums() == before

    def test_long_signal_reduced_but_peaks_kept(self):
        r = make_result((FakeSet(hops=200),), sample_rate_hz=1000.0)
        fig = plot_signal(r, max_points=2000)
        (line,) = _by_gid(fig, "signal")
        y = line.get_ydata()
        assert len(y) <= 2100
        assert np.nanmax(y) == pytest.approx(r.info["magnitude_g"].max())
        assert np.nanmin(y) == pytest.approx(r.info["magnitude_g"].min())

    def test_no_hops(self, result):
        empty = dataclasses.replace(result, hops=result.hops.iloc[:0], sets=result.sets.iloc[:0])
        fig = plot_signal(empty)
        assert not _by_gid(fig, "contacts")
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert "no hops found" in texts

    def test_errors(self, result):
        with pytest.raises(ValueError, match="set_number"):
            plot_signal(result, set_number=7)
        with pytest.raises(TypeError, match="result"):
            plot_signal("not a result")
        with pytest.raises(TypeError, match="ax"):
            plot_signal(result, ax="axes")
        no_signal = dataclasses.replace(result, info={})
        with pytest.raises(ValueError, match="time_s"):
            plot_signal(no_signal)


class TestPerHopPlots:
    def test_contact_flight(self, result):
        fig = plot_contact_flight(result)
        (contact,) = _by_gid(fig, "contact")
        (flight,) = _by_gid(fig, "flight")
        (threshold,) = _by_gid(fig, "threshold")
        np.testing.assert_allclose(contact.get_ydata(), result.hops["contact_ms"])
        np.testing.assert_allclose(flight.get_ydata(), result.hops["flight_ms"])
        assert threshold.get_ydata()[0] == 250.0
        assert fig.axes[0].get_ylabel() == "time (ms)"

    def test_contact_flight_one_set(self, result):
        fig = plot_contact_flight(result, set_number=1)
        (contact,) = _by_gid(fig, "contact")
        assert len(contact.get_xdata()) == 12

    def test_hop_rate_target_line_and_sets(self, result):
        fig = plot_hop_rate(result)
        (target,) = _by_gid(fig, "target")
        assert target.get_ydata()[0] == pytest.approx(3.0)
        s1, s2 = _by_gid(fig, "set-1"), _by_gid(fig, "set-2")
        assert s1 and s2
        assert s1[0].get_xdata()[0] == 0.0
        assert np.nanmean(s2[0].get_ydata()) == pytest.approx(2.6)
        assert fig.axes[0].get_ylabel() == "hop rate (Hz)"

    def test_hop_rate_uses_settings_target(self):
        from analysis.settings import AnalysisSettings

        r = make_result(settings=AnalysisSettings(target_hz=3.5))
        (target,) = _by_gid(plot_hop_rate(r), "target")
        assert target.get_ydata()[0] == pytest.approx(3.5)

    def test_fatigue_trend_slope(self, result):
        fig = plot_fatigue(result)
        trends = _by_gid(fig, "trend")
        assert len(trends) == 2
        labels = [t.get_label() for t in trends]
        assert labels[0].startswith("set 1:")
        x, y = trends[1].get_xdata(), trends[1].get_ydata()
        slope = (y[-1] - y[0]) / (x[-1] - x[0])
        assert slope == pytest.approx(2.0, abs=0.5)  # contact_drift_ms of set 2

    @pytest.mark.parametrize("func", [plot_contact_flight, plot_hop_rate, plot_fatigue])
    def test_errors(self, result, func):
        with pytest.raises(ValueError, match="set_number"):
            func(result, set_number=3)


class TestSquadPlots:
    def test_squad_trend_lines_per_leg_and_flags(self):
        import pandas as pd

        sessions = pd.DataFrame(
            {
                "date": ["2026-11-01", "2026-11-08", "2026-11-01", "2026-11-08"],
                "leg": ["L", "L", "R", "R"],
                "hop_hz": [3.1, 3.2, 2.8, 2.9],
                "flagged": [False, False, True, True],
            }
        )
        fig = plot_squad_trend(
            sessions,
            metric="hop_hz",
            reference=3.0,
            reference_label="target",
            flag_column="flagged",
        )
        assert _by_gid(fig, "leg-L") and _by_gid(fig, "leg-R")
        (flagged,) = _by_gid(fig, "flagged")
        assert len(flagged.get_xdata()) == 2
        (target,) = _by_gid(fig, "target")
        assert target.get_ydata()[0] == 3.0
        with pytest.raises(ValueError, match="contact_ms"):
            plot_squad_trend(sessions, metric="contact_ms")

    def test_symmetry(self):
        import pandas as pd

        sym = pd.DataFrame(
            {
                "date": ["2026-11-01", "2026-11-08"],
                "metric": ["hop_hz"] * 2,
                "symmetry_pct": [95, 85],
            }
        )
        fig = plot_symmetry(sym)
        (line,) = _by_gid(fig, "symmetry-hop_hz")
        np.testing.assert_allclose(line.get_ydata(), [95, 85])
        (thr,) = _by_gid(fig, "threshold")
        assert thr.get_ydata()[0] == 90.0


def test_squad_overview_colours_follow_target_and_tolerance():
    import pandas as pd

    from analysis.plots import COLOR_FAIL, plot_squad_overview

    latest = pd.DataFrame(
        {
            "athlete": ["A", "B", "C"],
            "leg": ["L", "L", "R"],
            "hop_hz": [3.2, 2.97, 2.9],
            "contact_ms": [180.0, 240.0, 260.0],
        }
    )
    fig = plot_squad_overview(latest, target_hz=3.0, slow_contact_ms=250.0, tolerance_hz=0.05)
    rate_ax, contact_ax = fig.axes
    # bars are drawn bottom-up in reverse athlete order: C, B, A
    rate_red = [
        p.get_facecolor()[:3] == matplotlib.colors.to_rgb(COLOR_FAIL) for p in rate_ax.patches
    ]
    contact_red = [
        p.get_facecolor()[:3] == matplotlib.colors.to_rgb(COLOR_FAIL) for p in contact_ax.patches
    ]
    assert rate_red == [True, False, False]  # 2.97 Hz is within the tolerance
    assert contact_red == [True, False, False]
    assert [t.get_text() for t in rate_ax.get_yticklabels()] == ["C R", "B L", "A L"]
