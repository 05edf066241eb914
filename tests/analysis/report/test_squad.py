from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import squad


def _summary(rows):
    cols = [
        "athlete",
        "leg",
        "date",
        "session",
        "sets",
        "sets_passed",
        "hops",
        "hop_hz",
        "contact_ms",
        "flags",
    ]
    return pd.DataFrame(rows, columns=cols)


def _sets(rows):
    cols = [
        "athlete",
        "leg",
        "date",
        "session",
        "status",
        "set",
        "hops",
        "hop_hz",
        "contact_ms",
        "set_flags",
        "session_flags",
    ]
    return pd.DataFrame(rows, columns=cols)


class TestSessionSummary:
    def test_aggregates_sets(self):
        sets = _sets(
            [
                ["A", "L", "2026-11-01", "s1", "ok", 1, 10, 3.0, 200.0, "", "slow_rebound"],
                [
                    "A",
                    "L",
                    "2026-11-01",
                    "s1",
                    "ok",
                    2,
                    30,
                    3.4,
                    180.0,
                    "slow_rebound",
                    "slow_rebound",
                ],
                ["B", "", "", "s2", "ok", np.nan, 0, np.nan, np.nan, "", ""],
                ["C", "", "", "bad", "error", np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            ]
        )
        out = squad.session_summary(sets)
        assert list(out["athlete"]) == ["A", "B"]  # the failed file is left out
        a = out.iloc[0]
        assert a["sets"] == 2 and a["sets_passed"] == 1 and a["hops"] == 40
        assert a["hop_hz"] == pytest.approx((3.0 * 10 + 3.4 * 30) / 40)
        assert a["contact_ms"] == pytest.approx((200 * 10 + 180 * 30) / 40)
        assert a["flags"] == "slow_rebound"
        b = out.iloc[1]
        assert b["sets"] == 0 and b["hops"] == 0 and np.isnan(b["hop_hz"])

    def test_median_contact_from_hops(self):
        sets = _sets([["A", "L", "2026-11-01", "s1", "ok", 1, 3, 3.0, 200.0, "", ""]])
        hops = pd.DataFrame(
            {
                "athlete": ["A"] * 3,
                "leg": ["L"] * 3,
                "date": ["2026-11-01"] * 3,
                "session": ["s1"] * 3,
                "contact_ms": [150.0, 170.0, 400.0],
            }
        )
        assert squad.session_summary(sets, hops)["contact_ms"].iloc[0] == 170.0

    def test_empty(self):
        out = squad.session_summary(_sets([]))
        assert out.empty and "hop_hz" in out.columns


def test_latest_sessions_keeps_both_legs_of_latest_date():
    s = _summary(
        [
            ["A", "L", "2026-11-01", "a1", 1, 1, 20, 3.1, 190, ""],
            ["A", "L", "2026-11-08", "a2", 1, 1, 20, 3.2, 185, ""],
            ["A", "R", "2026-11-08", "a3", 1, 1, 20, 3.0, 195, ""],
            ["B", "", "", "b1", 1, 0, 20, 2.5, 260, ""],
        ]
    )
    latest = squad.latest_sessions(s)
    assert list(latest["session"]) == ["a2", "a3", "b1"]


class TestSymmetry:
    def test_known_values(self):
        s = _summary(
            [
                ["A", "L", "2026-11-01", "a1", 1, 1, 20, 3.0, 200, ""],
                ["A", "R", "2026-11-01", "a2", 1, 1, 20, 2.4, 250, ""],
                ["A", "L", "2026-11-08", "a3", 1, 1, 20, 3.0, 200, ""],  # no right leg that day
            ]
        )
        sym = squad.symmetry(s).set_index("metric")
        assert len(sym) == 2
        assert sym.loc["hop_hz", "symmetry_pct"] == pytest.approx(80.0)
        assert sym.loc["hop_hz", "weaker_leg"] == "R"
        assert sym.loc["contact_ms", "symmetry_pct"] == pytest.approx(80.0)
        assert sym.loc["contact_ms", "weaker_leg"] == "R"  # the longer contact is weaker
        assert sym["flagged"].all()

    def test_threshold_and_even(self):
        s = _summary(
            [
                ["A", "L", "2026-11-01", "a1", 1, 1, 20, 3.0, 200, ""],
                ["A", "R", "2026-11-01", "a2", 1, 1, 20, 2.75, 200, ""],
            ]
        )
        sym = squad.symmetry(s).set_index("metric")
        assert sym.loc["hop_hz", "symmetry_pct"] == pytest.approx(91.667, abs=1e-3)
        assert not sym.loc["hop_hz", "flagged"]
        assert sym.loc["contact_ms", "symmetry_pct"] == 100.0
        assert sym.loc["contact_ms", "weaker_leg"] == ""
        with pytest.raises(ValueError, match="threshold_pct"):
            squad.symmetry(s, threshold_pct=0)


class TestBaseline:
    def _history(self, last_hz, last_contact):
        hz = [3.0, 3.1, 3.2, 3.1, last_hz]
        contact = [200, 205, 195, 200, last_contact]
        return _summary(
            [
                ["A", "L", f"2026-11-0{i + 1}", f"a{i}", 1, 1, 20, h, c, ""]
                for i, (h, c) in enumerate(zip(hz, contact, strict=True))
            ]
        )

    def test_worse_than_variation_is_flagged(self):
        out = squad.baseline_comparison(self._history(2.9, 200))
        last = out.iloc[-1]
        # baseline of the 4 earlier sessions: median 3.1 Hz, SD 0.0816 Hz
        assert last["hop_hz_baseline"] == pytest.approx(3.1)
        assert last["hop_hz_variation"] == pytest.approx(np.std([3.0, 3.1, 3.2, 3.1], ddof=1))
        assert bool(last["hop_hz_worse"]) and not bool(last["contact_ms_worse"])
        assert last["below_baseline"]

    def test_within_variation_not_flagged_and_early_sessions_not_judged(self):
        out = squad.baseline_comparison(self._history(3.05, 203))
        assert not out.iloc[-1]["below_baseline"]
        assert out["hop_hz_worse"].isna().sum() == 3  # sessions 1-3 build the baseline
        assert not out.iloc[:3]["below_baseline"].any()

    def test_contact_floor(self):
        # a perfectly steady athlete: SD 0, so the 5 ms floor decides
        s = _summary(
            [
                ["A", "L", f"2026-11-0{i + 1}", f"a{i}", 1, 1, 20, 3.0, c, ""]
                for i, c in enumerate([200, 200, 200, 204])
            ]
        )
        out = squad.baseline_comparison(s)
        assert out.iloc[-1]["contact_ms_variation"] == squad.BASELINE_FLOORS["contact_ms"]
        assert not out.iloc[-1]["below_baseline"]
        s.loc[3, "contact_ms"] = 206
        assert squad.baseline_comparison(s).iloc[-1]["below_baseline"]

    def test_legs_apart(self):
        s = self._history(2.9, 200)
        s.loc[4, "leg"] = "R"  # the slow session is the only right-leg one
        assert not squad.baseline_comparison(s)["below_baseline"].any()

    def test_errors(self):
        with pytest.raises(ValueError, match="window"):
            squad.baseline_comparison(_summary([]), window=0)
        with pytest.raises(ValueError, match="min_sessions"):
            squad.baseline_comparison(_summary([]), window=3, min_sessions=4)
