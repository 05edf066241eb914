"""The bundled squad folder tells the story its generator describes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import squad
from analysis.batch import run_batch

SQUAD = Path(__file__).resolve().parents[3] / "sample_data" / "squad"


@pytest.fixture(scope="module")
def tables():
    result = run_batch([SQUAD], workers=2)
    assert result.failures == []
    summary = squad.session_summary(result.sessions, result.hops)
    return result, summary


def test_size_and_content():
    files = list(SQUAD.iterdir())
    assert sum(f.stat().st_size for f in files) < 3 * 1024 * 1024
    assert len([f for f in files if f.suffix == ".csv"]) == 28


def test_every_session_analysed(tables):
    result, summary = tables
    assert result.files == 28 and len(result.hops) > 28 * 25
    assert len(summary) == 28
    assert set(summary["athlete"]) == {"Ava", "Ben", "Cleo", "Dev"}
    assert (summary["sets"] == 2).all()


def test_story(tables):
    _, summary = tables
    latest = squad.latest_sessions(summary).set_index(["athlete", "leg"])
    assert (latest.loc["Ava", "flags"] == "").all()
    assert "below_target_frequency" in latest.loc[("Ben", "R"), "flags"]
    sym = squad.symmetry(summary)
    assert sym[sym["athlete"] == "Ben"]["flagged"].all()
    assert not sym[sym["athlete"] == "Ava"]["flagged"].any()
    base = squad.baseline_comparison(summary)
    flagged = summary[base["below_baseline"]]
    assert set(zip(flagged["athlete"], flagged["date"], strict=True)) == {("Cleo", "2026-11-18")}
    dev = summary[summary["athlete"] == "Dev"].sort_values("date")
    assert dev["hop_hz"].is_monotonic_increasing
    assert pd.Series(dev["sets_passed"]).iloc[-1] == 2
