"""Sessions of both drills: sets of repeated hops and rebound jumps in one recording.

``exercise="auto"`` analyses a recording twice, as repeated hops and as rebound jumps, and
keeps from each what it is made for:

- **hop sets** are the sets of the hop analysis with at least :data:`MIN_HOP_SET_CONTACTS`
  contacts (contacts less than ``set_gap_s`` apart: repeated hops);
- **rebound jumps** are the contacts of the rebound analysis, which leaves out every flight
  within a hop set (widened by ``set_gap_s`` on each side): its sets then hold jumps only,
  and their contacts are checked against each other, not against hops. They keep the
  rebound analysis' sets (jumps less than ``rebound_set_gap_s`` apart), split wherever a hop
  set comes between two jumps.

A rebound jump is one contact between two flights, so the hop analysis sees it as a "set"
of one hop, or not at all when its contact is longer than the hop limit (600 ms); either
way it is taken from the rebound analysis, which times its take-off with the rebound rules
and accepts contacts up to 1 s. Each set is judged by its own drill's rules: the hop-rate
target applies to hop sets only. ``docs/detection.md`` describes the rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.flags import recording_flags, set_flags, union_flags
from analysis.result import SET_COLUMNS, HopAnalysis
from analysis.sets import rebound_set_hz, set_summaries
from analysis.settings import AnalysisSettings

#: A set of the hop analysis is repeated hops from this many contacts on. (A rebound jump
#: whose contact the hop analysis splits in two, at a heel touch or a dip of the stance,
#: reads as a set of two.)
MIN_HOP_SET_CONTACTS = 3


def _hop_sets(hop_analysis: HopAnalysis) -> pd.DataFrame:
    """Return the rows of the hop analysis' set table that are sets of repeated hops."""
    sets = hop_analysis.sets
    return sets.loc[sets["hops"].to_numpy() >= MIN_HOP_SET_CONTACTS]


def hop_set_spans(hop_analysis: HopAnalysis, *, margin_s: float) -> np.ndarray:
    """Return the time spans of the hop analysis' sets of repeated hops, widened.

    A set of :data:`MIN_HOP_SET_CONTACTS` contacts or more (less than ``set_gap_s`` apart).

    Parameters
    ----------
    hop_analysis : HopAnalysis
        The analysis as repeated hops.
    margin_s : float
        Widening on each side, in s.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` array of (start_s, end_s), in time order.
    """
    multi = _hop_sets(hop_analysis)
    start = multi["start_s"].to_numpy(dtype=np.float64) - margin_s
    end = multi["end_s"].to_numpy(dtype=np.float64) + margin_s
    return np.column_stack([start, end]) if len(multi) else np.zeros((0, 2))


def _contact_time(hops: pd.DataFrame) -> np.ndarray:
    """Each contact's landing, or its take-off when the landing was lost in a gap (s)."""
    landing = hops["landing_s"].to_numpy(dtype=np.float64)
    return np.where(np.isfinite(landing), landing, hops["takeoff_s"].to_numpy(dtype=np.float64))


def in_spans(times: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Whether each time (s) lies within one of the ``(k, 2)`` spans (start_s, end_s)."""
    times = np.asarray(times, dtype=np.float64)
    if not len(spans):
        return np.zeros(len(times), dtype=bool)
    inside = (times[:, None] >= spans[None, :, 0]) & (times[:, None] <= spans[None, :, 1])
    return inside.any(axis=1)


def combine(
    hop_analysis: HopAnalysis, rebound_analysis: HopAnalysis | None, settings: AnalysisSettings
) -> HopAnalysis:
    """Join the hop sets of one analysis and the rebound jumps of the other into one.

    Parameters
    ----------
    hop_analysis : HopAnalysis
        The recording analysed as repeated hops (``exercise="hops"``).
    rebound_analysis : HopAnalysis or None
        The same recording analysed as rebound jumps (``exercise="rebound"``), without the
        flights within the hop sets (:func:`analysis.pipeline.analyze` does so); any contact
        within a hop set is left out here all the same. None when it was not run (no flight
        outside the hop sets): no rebound jumps.
    settings : AnalysisSettings
        The settings asked for (``exercise="auto"``); kept in the result.

    Returns
    -------
    HopAnalysis
        Sets in time order, numbered from 1, each with its ``exercise`` ("hops" or
        "rebound") and flags by its drill's rules; the hop analysis' quality figures (the
        clipped-impact count of the contacts kept, the rejected contacts of both parts), and
        its signal and flights in ``info``.
    """
    spans = hop_set_spans(hop_analysis, margin_s=settings.set_gap_s)
    hops_h = hop_analysis.hops
    hop_rows = hops_h.loc[np.isin(hops_h["set"].to_numpy(), _hop_sets(hop_analysis)["set"])]
    jumps = rebound_analysis.hops if rebound_analysis is not None else hops_h.iloc[:0]
    at = _contact_time(jumps)
    outside = ~in_spans(at, spans)
    jumps, at = jumps.loc[outside], at[outside]
    # Rebound sets split wherever a hop set comes between two of their jumps.
    jump_set = jumps["set"].to_numpy()
    between = np.searchsorted(spans[:, 0], at[1:]) > np.searchsorted(spans[:, 0], at[:-1])
    new = np.r_[True, (jump_set[1:] != jump_set[:-1]) | between] if len(jumps) else np.zeros(0)
    jumps = jumps.assign(set=np.cumsum(new).astype(np.int64))
    # Number the sets of both kinds in time order.
    parts = []
    for kind, rows in (("hops", hop_rows), ("rebound", jumps)):
        if len(rows):
            parts.append(rows.assign(_kind=kind, _old=rows["set"].to_numpy()))
    rejected = _rejected_contacts(hop_analysis, rebound_analysis, spans)
    if not parts:
        return _with_sets(hop_analysis, hops_h.iloc[:0], {}, {}, settings, rejected)
    both = pd.concat(parts, ignore_index=True)
    first = both.assign(_t=_contact_time(both)).groupby(["_kind", "_old"], sort=False)["_t"].min()
    order = first.sort_values(kind="stable")
    number = {key: i + 1 for i, key in enumerate(order.index)}
    both["set"] = [number[(k, o)] for k, o in zip(both["_kind"], both["_old"], strict=True)]
    both = both.sort_values(["set"], kind="stable").reset_index(drop=True)
    both["hop"] = both.groupby("set").cumcount().astype(np.int64) + 1
    kinds = {number[key]: key[0] for key in order.index}
    # Set rates: the hop analysis' own (robust to lost and extra landings) for hop sets.
    hop_hz = dict(
        zip(
            hop_analysis.sets["set"].tolist(),
            hop_analysis.sets["hop_hz"].tolist(),
            strict=True,
        )
    )
    set_hz = {number[("hops", o)]: hop_hz[o] for (k, o) in order.index if k == "hops"}
    rebound_rows = both.loc[both["_kind"].to_numpy() == "rebound"]
    if rebound_analysis is not None:
        set_hz.update(
            rebound_set_hz(rebound_rows, rebound_analysis.info["gaps"], rebound_analysis.settings)
        )
    hops_out = both.drop(columns=["_kind", "_old"])
    return _with_sets(hop_analysis, hops_out, set_hz, kinds, settings, rejected)


def _with_sets(
    hop_analysis: HopAnalysis,
    hops: pd.DataFrame,
    set_hz: dict[int, float],
    kinds: dict[int, str],
    settings: AnalysisSettings,
    rejected: pd.DataFrame,
) -> HopAnalysis:
    """Summarise and flag the joined sets; the result with the hop analysis' quality."""
    sets = set_summaries(hops, slow_contact_ms=settings.slow_contact_ms, set_hz=set_hz)
    sets["exercise"] = [kinds[int(k)] for k in sets["set"]]
    info: dict[str, Any] = dict(hop_analysis.info)
    gaps = info.get("gaps", [])
    low_rate = bool(hop_analysis.quality["coarse_timing"])
    sets["flags"] = set_flags(sets, hops, settings=settings, gaps_s=gaps, low_sample_rate=low_rate)
    sets = sets.loc[:, list(SET_COLUMNS)]
    quality = dict(hop_analysis.quality)
    clipped = int(hops["impact_clipped"].astype(bool).sum()) if len(hops) else 0
    quality["clipped_impacts"] = clipped
    quality["clipped_impact_share"] = clipped / len(hops) if len(hops) else 0.0
    quality["rejected_contacts"] = len(rejected)
    info["rejected_contacts"] = rejected
    flags = union_flags(recording_flags(quality, settings=settings), *sets["flags"].tolist())
    return HopAnalysis(
        hops=hops.reset_index(drop=True),
        sets=sets,
        flags=flags,
        quality=quality,
        settings=settings,
        meta=hop_analysis.meta,
        info=info,
    )


def _rejected_contacts(
    hop_analysis: HopAnalysis, rebound_analysis: HopAnalysis | None, spans: np.ndarray
) -> pd.DataFrame:
    """Return the hop analysis' rejected contacts in hop sets, the rebound one's elsewhere."""
    tables = []
    for analysis, keep_inside in ((hop_analysis, True), (rebound_analysis, False)):
        if analysis is None:
            continue
        rejected = analysis.info.get("rejected_contacts")
        if rejected is None or not len(rejected):
            continue
        inside = in_spans(_contact_time(rejected), spans)
        tables.append(rejected.loc[inside if keep_inside else ~inside])
    if not tables:
        empty = hop_analysis.info.get("rejected_contacts")
        return empty.iloc[:0] if isinstance(empty, pd.DataFrame) else pd.DataFrame()
    out = pd.concat(tables, ignore_index=True)
    return out.sort_values("landing_s", kind="stable").reset_index(drop=True)


#: Single-contact sets from which a repeated-hop analysis suggests rebound jumps.
_REBOUND_HINT_SETS = 3


def _single_contact_sets(result: HopAnalysis) -> list[int]:
    """Return the sets that hold a single contact (rebound jumps analysed as hops?).

    An empty list when there are fewer than :data:`_REBOUND_HINT_SETS` such sets.
    """
    sets = result.sets
    single = sets.loc[sets["hops"].to_numpy() == 1, "set"].astype(int).tolist()
    return single if len(single) >= _REBOUND_HINT_SETS else []


#: A rebound "set" whose landings come this close (median, s) holds repeated hops.
_HOPS_HINT_PERIOD_S = 1.0


def _repeated_hop_sets(result: HopAnalysis) -> list[int]:
    """Return the sets of a rebound analysis whose contacts come like repeated hops.

    Rebound jumps come seconds apart (a jump, then the walk back to the box); a set of at
    least ``min_hops`` contacts whose landings are less than :data:`_HOPS_HINT_PERIOD_S`
    apart (median) is a set of repeated hops.
    """
    hops = result.hops
    out = []
    for number, landing in hops.groupby("set", sort=True)["landing_s"]:
        times = np.sort(landing.to_numpy(dtype=float))
        times = times[np.isfinite(times)]
        if len(times) < max(result.settings.min_hops, 2):
            continue
        if float(np.median(np.diff(times))) < _HOPS_HINT_PERIOD_S:
            out.append(int(number))
    return out


def _isolated_landings(result: HopAnalysis) -> int:
    """Count the landings at least :data:`_HOPS_HINT_PERIOD_S` from both neighbours (jumps).

    A hop of a set has a neighbour less than a second away; a rebound jump has none.
    """
    times = np.sort(result.hops["landing_s"].to_numpy(dtype=float))
    times = times[np.isfinite(times)]
    if len(times) < 2:
        return len(times)
    gap = np.diff(times)
    before = np.r_[np.inf, gap]
    after = np.r_[gap, np.inf]
    return int(np.count_nonzero((before >= _HOPS_HINT_PERIOD_S) & (after >= _HOPS_HINT_PERIOD_S)))


def _set_list(numbers: list[int]) -> str:
    """Return set numbers in short form: ``[2, 3, 4, 7]`` as ``"2-4, 7"``."""
    runs: list[list[int]] = []
    for k in numbers:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)


def drill_hint(result: HopAnalysis) -> str | None:
    """Return advice on ``--exercise`` when the sets look like another drill; else None.

    - Repeated hops (``exercise="hops"``) with :data:`_REBOUND_HINT_SETS` or more sets of a
      single contact between two flights: rebound jumps, each taken for a set of its own.
      With sets of repeated hops beside them the recording holds both drills (``auto``).
    - Rebound jumps (``exercise="rebound"``) with sets whose contacts come less than 1 s
      apart: repeated hops. With a jump beside them (a landing 1 s or more from both
      neighbours) the recording holds both drills (``auto``).

    Parameters
    ----------
    result : HopAnalysis
        The analysis.

    Returns
    -------
    str or None
        One sentence naming the sets and the ``--exercise`` to use.
    """
    exercise = result.settings.exercise
    single = _single_contact_sets(result) if exercise == "hops" else []
    if single:
        both = bool((result.sets["hops"].to_numpy() >= MIN_HOP_SET_CONTACTS).any())
        return (
            f"{len(single)} sets hold a single contact between two flights (sets"
            f" {_set_list(single)}): if these are rebound (box) jumps, analyse "
            + (
                "the recording with --exercise auto (each set as its own drill)."
                if both
                else "them with --exercise rebound."
            )
        )
    repeated = _repeated_hop_sets(result) if exercise == "rebound" and result.n_hops else []
    if repeated:
        both = _isolated_landings(result) > 0
        return (
            f"Set{'s' if len(repeated) > 1 else ''} {_set_list(repeated)}: contacts less than"
            f" {_HOPS_HINT_PERIOD_S:g} s apart, like repeated hops; analyse with --exercise"
            + (
                " auto (hop sets and rebound jumps, each set as its own drill)."
                if both
                else " hops for hop sets and their hop-rate verdict."
            )
        )
    return None
