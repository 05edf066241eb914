"""Squad summaries over many sessions: one row per session, latest per athlete, symmetry, baseline.

All functions take the per-set table that :func:`analysis.batch.run_batch` writes as
``sessions.csv`` (one row per session and set) and return new DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "BASELINE_FLOORS",
    "BASELINE_MIN_SESSIONS",
    "BASELINE_WINDOW",
    "FLAG_ASYMMETRY",
    "FLAG_BELOW_BASELINE",
    "SYMMETRY_THRESHOLD_PCT",
    "baseline_comparison",
    "latest_sessions",
    "session_summary",
    "symmetry",
]

#: Flag of a session worse than the athlete's own baseline by more than its normal variation.
FLAG_BELOW_BASELINE = "below_baseline"
#: Flag of a date whose left/right symmetry is below :data:`SYMMETRY_THRESHOLD_PCT`.
FLAG_ASYMMETRY = "asymmetry"

#: Left/right symmetry below this is flagged, in %.
SYMMETRY_THRESHOLD_PCT = 90.0
#: Number of earlier sessions (same athlete and leg) that make the baseline.
BASELINE_WINDOW = 5
#: Fewest earlier sessions needed before a baseline is judged.
BASELINE_MIN_SESSIONS = 3
#: Smallest "normal variation" per metric, so a very steady athlete is not flagged for a change
#: below what the measurement itself can resolve: 0.05 Hz (the target tolerance, about a 1 %
#: device clock error at 3 Hz) and 5 ms of contact (a sample at 200 Hz).
BASELINE_FLOORS = {"hop_hz": 0.05, "contact_ms": 5.0}
#: Whether a higher value of a metric is better.
HIGHER_IS_BETTER = {"hop_hz": True, "contact_ms": False}

_KEYS = ["athlete", "leg", "date", "session"]


def session_summary(sets: pd.DataFrame, hops: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return one row per analysed session from the per-set table.

    Parameters
    ----------
    sets : pandas.DataFrame
        Rows of ``sessions.csv``: ``athlete``, ``leg``, ``date``, ``session``, ``status``,
        ``set``, ``hops``, ``hop_hz``, ``contact_ms``, ``set_flags``, ``session_flags``.
    hops : pandas.DataFrame, optional
        Rows of ``hops.csv``; when given the session's median contact is the median over all
        its hops, otherwise the hop-weighted mean of the set medians.

    Notes
    -----
    A session of both drills (an ``exercise`` column with "hops" and "rebound" sets, from
    ``--exercise auto``) takes its hop rate and contact from its hop sets only; ``sets``,
    ``sets_passed`` and ``hops`` count every set.

    Returns
    -------
    pandas.DataFrame
        Columns ``athlete``, ``leg``, ``date``, ``session``, ``sets``, ``sets_passed``,
        ``hops``, ``hop_hz`` (hop-weighted mean of set rates, Hz), ``contact_ms`` (ms),
        ``flags`` (``;``-joined union), ``report`` (the session report's path relative to the
        output folder, or empty), sorted by athlete, date and session. Failed files are left
        out.
    """
    ok = sets[sets["status"] != "error"].copy()
    if ok.empty:
        return pd.DataFrame(
            columns=[
                *_KEYS,
                "sets",
                "sets_passed",
                "hops",
                "hop_hz",
                "contact_ms",
                "flags",
                "report",
            ]
        )
    for col in ("athlete", "leg", "date"):
        ok[col] = ok[col].astype(object).fillna("")
    ok["_hops"] = ok["hops"].fillna(0).astype(float)
    # The sets the session's metrics come from: its hop sets when it has both drills.
    ok["_weight"] = ok["_hops"] * _metric_sets(ok)
    ok["_w_hz"] = ok["hop_hz"].astype(float) * ok["_weight"]
    ok["_w_contact"] = ok["contact_ms"].astype(float) * ok["_weight"]
    verdict = ok["set_flags"].fillna("").str.contains("below_target_frequency|slow_rebound")
    ok["_passed"] = (~verdict) & ok["set"].notna()
    ok["_is_set"] = ok["set"].notna()
    if "report" not in ok.columns:
        ok["report"] = ""
    grouped = ok.groupby(_KEYS, sort=True, dropna=False)
    out = grouped.agg(
        sets=("_is_set", "sum"),
        sets_passed=("_passed", "sum"),
        hops=("_hops", "sum"),
        _weight=("_weight", "sum"),
        _w_hz=("_w_hz", "sum"),
        _w_contact=("_w_contact", "sum"),
        flags=("session_flags", "first"),
        report=("report", "first"),
    ).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["hop_hz"] = np.where(out["_weight"] > 0, out["_w_hz"] / out["_weight"], np.nan)
        out["contact_ms"] = np.where(out["_weight"] > 0, out["_w_contact"] / out["_weight"], np.nan)
    if hops is not None and len(hops):
        hops = hops.assign(
            **{c: hops[c].astype(object).fillna("") for c in ("athlete", "leg", "date")}
        )
        if "exercise" in ok.columns and "set" in hops.columns:
            used = ok.loc[ok["_weight"] > 0, [*_KEYS, "set"]].drop_duplicates()
            used["set"] = used["set"].astype(float)
            hops = hops.assign(set=hops["set"].astype(float)).merge(
                used, on=[*_KEYS, "set"], how="inner"
            )
        med = (
            hops.groupby(_KEYS, dropna=False)["contact_ms"]
            .median()
            .rename("_median_contact")
            .reset_index()
        )
        out = out.merge(med, on=_KEYS, how="left")
        out["contact_ms"] = out["_median_contact"].where(out["_median_contact"].notna(), np.nan)
    # (Text columns read back from a CSV are floats when every cell is empty.)
    out["flags"] = out["flags"].astype(object).fillna("")
    out["report"] = out["report"].astype(object).fillna("").astype(str)
    out["sets"] = out["sets"].astype(int)
    out["sets_passed"] = out["sets_passed"].astype(int)
    out["hops"] = out["hops"].astype(int)
    cols = [*_KEYS, "sets", "sets_passed", "hops", "hop_hz", "contact_ms", "flags", "report"]
    return out[cols].sort_values(["athlete", "date", "session"]).reset_index(drop=True)


def _metric_sets(rows: pd.DataFrame) -> np.ndarray:
    """Whether each set row counts towards its session's hop rate and contact (1.0 or 0.0).

    A session of both drills (``exercise`` "hops" and "rebound", from ``--exercise auto``)
    is summarised over its hop sets, so that the jump rate and the longer contacts of rebound
    jumps do not mix into the hop metrics; any other session over all its sets.
    """
    if "exercise" not in rows.columns:
        return np.ones(len(rows))
    kind = rows["exercise"].astype(object).fillna("")
    is_hop = (kind == "hops").to_numpy()
    has_hops = kind.eq("hops").groupby([rows[k] for k in _KEYS], dropna=False).transform("any")
    return np.where(~has_hops.to_numpy() | is_hop, 1.0, 0.0)


def latest_sessions(summary: pd.DataFrame) -> pd.DataFrame:
    """Return each athlete's sessions on their latest date (both legs when both were recorded).

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`session_summary`.

    Returns
    -------
    pandas.DataFrame
        The rows of ``summary`` on each athlete's latest date; undated sessions count only when
        an athlete has no dated one.
    """
    if summary.empty:
        return summary.copy()
    dated = summary.assign(_d=summary["date"].replace("", np.nan))
    latest = dated.groupby("athlete")["_d"].transform(lambda d: d.max() if d.notna().any() else "")
    keep = dated["_d"].fillna("") == latest.fillna("")
    return summary[keep.to_numpy()].reset_index(drop=True)


def symmetry(
    summary: pd.DataFrame, *, threshold_pct: float = SYMMETRY_THRESHOLD_PCT
) -> pd.DataFrame:
    """Return the left/right limb symmetry of every athlete and date with both legs recorded.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`session_summary`.
    threshold_pct : float
        Symmetry below this is flagged, in %. Default 90.

    Returns
    -------
    pandas.DataFrame
        One row per athlete, date and metric (``hop_hz``, ``contact_ms``): ``left``, ``right``
        (the legs' session values; several sessions of one leg on a date are averaged),
        ``symmetry_pct`` = 100 × worse / better leg (shorter / longer contact is better, higher
        rate is better), ``weaker_leg`` and ``flagged`` (symmetry below ``threshold_pct``).

    Notes
    -----
    This is the limb symmetry index used in return-to-sport testing, written so that 100 % is
    perfect symmetry whichever leg is weaker.
    """
    if not 0 < threshold_pct <= 100:
        raise ValueError(f"`threshold_pct` must be in (0, 100], got {threshold_pct!r}")
    cols = ["athlete", "date", "metric", "left", "right", "symmetry_pct", "weaker_leg", "flagged"]
    legs = summary[summary["leg"].isin(["L", "R"])]
    rows = []
    for (athlete, date), group in legs.groupby(["athlete", "date"], sort=True):
        by_leg = group.groupby("leg")[["hop_hz", "contact_ms"]].mean()
        if not {"L", "R"} <= set(by_leg.index):
            continue
        for metric, higher in HIGHER_IS_BETTER.items():
            left, right = float(by_leg.loc["L", metric]), float(by_leg.loc["R", metric])
            if not (np.isfinite(left) and np.isfinite(right)) or min(left, right) <= 0:
                continue
            pct = 100.0 * min(left, right) / max(left, right)
            if higher:
                weaker = "L" if left < right else "R"
            else:
                weaker = "L" if left > right else "R"
            if left == right:
                weaker = ""
            rows.append([athlete, date, metric, left, right, pct, weaker, pct < threshold_pct])
    return pd.DataFrame(rows, columns=cols)


def baseline_comparison(
    summary: pd.DataFrame,
    *,
    window: int = BASELINE_WINDOW,
    min_sessions: int = BASELINE_MIN_SESSIONS,
) -> pd.DataFrame:
    """Compare every session with the same athlete's and leg's earlier sessions.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`session_summary`.
    window : int
        How many of the most recent earlier sessions make the baseline. Default 5.
    min_sessions : int
        Fewest earlier sessions needed to judge. Default 3.

    Returns
    -------
    pandas.DataFrame
        ``summary``'s key columns and, per metric ``m`` in ``hop_hz`` and ``contact_ms``:
        ``m_baseline`` (median of the earlier sessions), ``m_variation`` (their standard
        deviation, at least :data:`BASELINE_FLOORS`), ``m_worse`` (True when the session is
        worse than the baseline by more than the variation; NaN while fewer than
        ``min_sessions`` earlier sessions exist), and ``below_baseline`` (any metric worse).

    Notes
    -----
    The rule, per athlete and leg in date order: baseline = median of the last ``window``
    earlier sessions; normal variation = their sample standard deviation, but never below the
    floor; a session is worse when its hop rate is below baseline − variation or its median
    contact is above baseline + variation. Sessions without a date are not judged.
    """
    if window < 1:
        raise ValueError(f"`window` must be at least 1, got {window!r}")
    if not 1 <= min_sessions <= window:
        raise ValueError(f"`min_sessions` must be in [1, window], got {min_sessions!r}")
    out = summary[_KEYS].copy()
    for metric in HIGHER_IS_BETTER:
        out[f"{metric}_baseline"] = np.nan
        out[f"{metric}_variation"] = np.nan
        out[f"{metric}_worse"] = pd.Series(pd.NA, index=out.index, dtype="boolean")
    dated = summary[summary["date"].fillna("") != ""]
    for _, group in dated.groupby(["athlete", "leg"], sort=False, dropna=False):
        group = group.sort_values(["date", "session"])
        for pos, (idx, row) in enumerate(group.iterrows()):
            earlier = group.iloc[max(0, pos - window) : pos]
            earlier = earlier[earlier["date"] < row["date"]]
            if len(earlier) < min_sessions:
                continue
            for metric, higher in HIGHER_IS_BETTER.items():
                values = earlier[metric].astype(float).dropna()
                if len(values) < min_sessions or not np.isfinite(row[metric]):
                    continue
                base = float(values.median())
                spread = max(float(values.std(ddof=1)), BASELINE_FLOORS[metric])
                worse = row[metric] < base - spread if higher else row[metric] > base + spread
                out.loc[idx, f"{metric}_baseline"] = base
                out.loc[idx, f"{metric}_variation"] = spread
                out.loc[idx, f"{metric}_worse"] = bool(worse)
    worse_cols = [f"{m}_worse" for m in HIGHER_IS_BETTER]
    out["below_baseline"] = out[worse_cols].fillna(False).any(axis=1).astype(bool)
    return out
