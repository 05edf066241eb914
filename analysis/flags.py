"""Set verdicts and data-quality flags.

Every threshold comes from :class:`analysis.settings.AnalysisSettings`, whose defaults are
documented there and in ``docs/detection.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.result import (
    FLAG_BELOW_TARGET,
    FLAG_CLIPPING,
    FLAG_GAPS,
    FLAG_LOW_SAMPLE_RATE,
    FLAG_SLOW_REBOUND,
    FLAG_TOO_FEW_HOPS,
    FLAGS,
)
from analysis.settings import AnalysisSettings, rate_below


def set_flags(
    sets: pd.DataFrame,
    hops: pd.DataFrame,
    *,
    settings: AnalysisSettings,
    gaps_s: Sequence[tuple[float, float]] = (),
    low_sample_rate: bool = False,
) -> list[tuple[str, ...]]:
    """Return the flags of each set, in the order of :data:`analysis.result.FLAGS`.

    Parameters
    ----------
    sets : pandas.DataFrame
        Set summaries (:func:`analysis.sets.set_summaries`); an ``exercise`` column, when
        present, gives each set's drill (else ``settings.exercise``).
    hops : pandas.DataFrame
        The per-hop table the summaries came from.
    settings : AnalysisSettings
        Thresholds: ``target_hz``, ``target_tolerance_hz``, ``slow_contact_ms``,
        ``slow_share``, ``min_hops``.
    gaps_s : sequence of (start_s, end_s)
        Gaps of the recording; a set touched by one gets ``gaps``.
    low_sample_rate : bool
        Whether the recording's rate is below ``settings.min_sample_rate_hz``; every set then
        gets ``low_sample_rate``.

    Returns
    -------
    list of tuple of str
        One tuple of flag codes per set.

    Notes
    -----
    - ``below_target_frequency``: set hop frequency below ``target_hz − target_tolerance_hz``
      (hops only: rebound jumps have rest between them, so their rate means nothing).
    - ``slow_rebound``: median contact above ``slow_contact_ms``, or more than ``slow_share``
      of the hops above it.
    - ``too_few_hops``: fewer than ``min_hops`` complete contacts.
    - ``clipping``: an impact of the set reached the sensor's full scale.
    - ``gaps``: a gap (lost samples) lies between the set's first landing and last take-off,
      or less than the detector's ``max_flight_ms`` before or after them (where it may have
      swallowed the set's first or last hops), or one of its hops has an edge lost in a gap.
    """
    gap_start = np.array([g[0] for g in gaps_s], dtype=np.float64)
    gap_end = np.array([g[1] for g in gaps_s], dtype=np.float64)
    clipped_sets = set(hops.loc[hops["impact_clipped"].astype(bool), "set"].tolist())
    edge_lost_sets = (
        set(hops.loc[hops["edge_lost"].astype(str) != "", "set"].tolist())
        if "edge_lost" in hops
        else set()
    )
    reach_s = settings.detection.max_flight_ms / 1e3
    out = []
    threshold_hz = settings.target_hz - settings.target_tolerance_hz
    for row in sets.itertuples(index=False):
        found = set()
        exercise = getattr(row, "exercise", settings.exercise)
        if exercise == "hops" and math.isfinite(row.hop_hz) and row.hop_hz < threshold_hz:
            found.add(FLAG_BELOW_TARGET)
        if (math.isfinite(row.contact_ms) and row.contact_ms > settings.slow_contact_ms) or (
            row.slow_share > settings.slow_share
        ):
            found.add(FLAG_SLOW_REBOUND)
        if row.hops < settings.min_hops:
            found.add(FLAG_TOO_FEW_HOPS)
        if row.set in clipped_sets:
            found.add(FLAG_CLIPPING)
        if row.set in edge_lost_sets or (
            len(gap_start)
            and ((gap_end > row.start_s - reach_s) & (gap_start < row.end_s + reach_s)).any()
        ):
            found.add(FLAG_GAPS)
        if low_sample_rate:
            found.add(FLAG_LOW_SAMPLE_RATE)
        out.append(tuple(f for f in FLAGS if f in found))
    return out


def recording_flags(quality: Mapping[str, Any], *, settings: AnalysisSettings) -> tuple[str, ...]:
    """Return the recording-level data-quality flags.

    Parameters
    ----------
    quality : mapping
        The quality dict of :func:`analysis.quality.quality_report`.
    settings : AnalysisSettings
        ``min_sample_rate_hz`` is used.

    Returns
    -------
    tuple of str
        ``low_sample_rate`` when the effective rate is below ``min_sample_rate_hz``;
        ``clipping`` when any impact was clipped; ``gaps`` when the time axis has gaps or the
        recorder counted lost packets or samples.
    """
    found = set()
    rate = quality.get("effective_rate_hz")
    if rate is not None and math.isfinite(rate) and rate_below(rate, settings.min_sample_rate_hz):
        found.add(FLAG_LOW_SAMPLE_RATE)
    if quality.get("clipped_impacts", 0) > 0:
        found.add(FLAG_CLIPPING)
    if (
        quality.get("gaps", 0) > 0
        or (quality.get("lost_packets_reported") or 0) > 0
        or (quality.get("lost_samples_reported") or 0) > 0
    ):
        found.add(FLAG_GAPS)
    return tuple(f for f in FLAGS if f in found)


def union_flags(*groups: Sequence[str]) -> tuple[str, ...]:
    """Return the union of flag groups in the canonical order of :data:`FLAGS`."""
    found = {f for g in groups for f in g}
    return tuple(f for f in FLAGS if f in found)
