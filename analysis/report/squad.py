"""Squad pages: an overview of every athlete's latest session and one page per athlete.

The pages read the batch tables (``sessions.csv`` and ``hops.csv`` rows, see
``docs/reports.md``) and are self-contained like the session report.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis import plots, squad
from analysis.report.html import esc, figure_img, flag_badges, fmt, mark, page, table
from analysis.report.verdict import FLAG_TEXT

__all__ = ["athlete_slug", "render_athlete_page", "render_squad_index", "write_squad_pages"]

_FLAG_TEXT = {
    **FLAG_TEXT,
    squad.FLAG_BELOW_BASELINE: "worse than the athlete's own baseline by more than its normal "
    "variation",
    squad.FLAG_ASYMMETRY: f"left/right symmetry below {squad.SYMMETRY_THRESHOLD_PCT:g} %",
}

BASELINE_RULE = (
    f"Baseline: for each athlete and leg, the median of the {squad.BASELINE_WINDOW} most recent "
    f"earlier sessions (judged once there are at least {squad.BASELINE_MIN_SESSIONS}). Normal "
    "variation: the standard deviation of those sessions, but at least "
    f"{squad.BASELINE_FLOORS['hop_hz']:g} Hz of hop rate and "
    f"{squad.BASELINE_FLOORS['contact_ms']:g} ms of contact (what the measurement can resolve). "
    "A session is flagged below_baseline when its hop rate is lower than baseline − variation "
    "or its median contact is longer than baseline + variation."
)
SYMMETRY_RULE = (
    "Symmetry on a date with both legs recorded: 100 × the weaker leg's value / the stronger "
    "leg's (lower hop rate over higher; longer contact over shorter, inverted so shorter is "
    f"stronger). 100 % is perfectly even; below {squad.SYMMETRY_THRESHOLD_PCT:g} % is flagged."
)


def athlete_slug(athlete: str) -> str:
    """Return a file-name-safe, collision-free page name for an athlete."""
    clean = re.sub(r"[^A-Za-z0-9]+", "-", athlete).strip("-")[:40] or "athlete"
    digest = hashlib.sha1(athlete.encode("utf-8")).hexdigest()[:6]
    return f"{clean}-{digest}"


def _flags_of(row: pd.Series, extra: Sequence[str] = ()) -> list[str]:
    flags = [f for f in str(row.get("flags") or "").split(";") if f]
    return flags + [f for f in extra if f not in flags]


def _extra_flags(summary: pd.DataFrame, base: pd.DataFrame, sym: pd.DataFrame) -> pd.Series:
    """Baseline and symmetry flags per session row of ``summary``."""
    below = base["below_baseline"].to_numpy(dtype=bool) if len(base) else np.zeros(0, bool)
    asym = set()
    if len(sym):
        for r in sym[sym["flagged"]].itertuples(index=False):
            asym.add((r.athlete, r.date))
    out = []
    for i, r in enumerate(summary.itertuples(index=False)):
        extra = []
        if len(below) and below[i]:
            extra.append(squad.FLAG_BELOW_BASELINE)
        if (r.athlete, r.date) in asym:
            extra.append(squad.FLAG_ASYMMETRY)
        out.append(extra)
    return pd.Series(out, index=summary.index, dtype=object)


def _link_tables() -> str:
    files = ["sessions.csv", "hops.csv", "sessions.parquet", "hops.parquet"]
    links = " &middot; ".join(f'<a href="{f}">{f}</a>' for f in files)
    return f'<p class="muted no-print">Tables: {links} (columns in docs/reports.md).</p>'


def render_squad_index(
    sessions: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    extra: pd.Series,
    target_hz: float,
    slow_contact_ms: float,
    tolerance_hz: float = 0.0,
    failures: Sequence[tuple[str, str]] = (),
    title: str = "Squad overview",
) -> str:
    """Return the squad overview page (latest session per athlete, with flags).

    Parameters
    ----------
    sessions : pandas.DataFrame
        The ``sessions.csv`` rows.
    summary : pandas.DataFrame
        :func:`analysis.squad.session_summary` of ``sessions``.
    extra : pandas.Series
        Extra flag lists (baseline, symmetry) aligned with ``summary``.
    target_hz, slow_contact_ms : float
        Thresholds used, shown on the page and in the plot.
    tolerance_hz : float
        Tolerance below the target, Hz.
    failures : sequence of (file, error)
        Files that could not be analysed.
    title : str
        Page title.

    Returns
    -------
    str
        The HTML document.
    """
    latest = squad.latest_sessions(summary.assign(extra_flags=extra))
    athletes = sorted(summary["athlete"].unique()) if len(summary) else []
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    n_files = sessions["file"].nunique() if len(sessions) else 0
    parts = [
        f'<header class="report"><h1>{esc(title)}</h1><div class="meta">'
        f"<span><b>Files:</b> {n_files}</span>"
        f"<span><b>Sessions analysed:</b> {len(summary)}</span>"
        f"<span><b>Athletes:</b> {len(athletes)}</span>"
        f"<span><b>Target:</b> {target_hz:g} Hz (tolerance {tolerance_hz:g} Hz)</span>"
        f"<span><b>Slow rebound above:</b> {slow_contact_ms:g} ms</span>"
        f"<span><b>Made:</b> {esc(now)}</span></div></header>"
    ]
    if failures:
        parts.append(
            f'<div class="banner fail">&#10008; {len(failures)} file(s) could not be analysed; '
            'see <a href="#failures">Failed files</a>. Every other file was analysed.</div>'
        )
    if len(latest):
        flagged = [
            r
            for r in latest.itertuples(index=False)
            if r.sets_passed < r.sets or r.extra_flags or not r.sets
        ]
        cls = "fail" if flagged else "pass"
        text = (
            f"{len(flagged)} of {len(latest)} latest sessions need attention (red rows)."
            if flagged
            else f"All {len(latest)} latest sessions met the targets."
        )
        parts.append(f'<div class="banner {cls}">{esc(text)}</div>')
        rows, classes = [], []
        for r in latest.sort_values(["athlete", "leg"]).itertuples(index=False):
            flags = _flags_of(pd.Series(r._asdict()), r.extra_flags)
            href = f"athletes/{athlete_slug(r.athlete)}.html"
            passed = r.sets > 0 and r.sets_passed == r.sets
            rows.append(
                [
                    f'<a href="{esc(href)}">{esc(r.athlete)}</a>',
                    esc(r.date or "undated"),
                    esc(r.leg or "–"),
                    _session_link(r.session, r.report, prefix=""),
                    f"{r.sets_passed}/{r.sets} {mark(passed, yes='met', no='short')}",
                    fmt(r.hop_hz, 2),
                    fmt(r.contact_ms, 0),
                    flag_badges(flags, _FLAG_TEXT.get),
                ]
            )
            classes.append("" if passed and not r.extra_flags else "fail")
        header = [
            "athlete",
            "latest date",
            "leg",
            "session",
            "sets met target",
            "hop rate (Hz)",
            "median contact (ms)",
            "flags",
        ]
        fig = plots.plot_squad_overview(
            latest, target_hz=target_hz, slow_contact_ms=slow_contact_ms, tolerance_hz=tolerance_hz
        )
        parts.append("<h2>Latest session per athlete</h2>")
        parts.append(f'<div class="scroll">{table(rows, header, row_classes=classes)}</div>')
        parts.append(
            f"<figure>{figure_img(fig, alt='latest hop rate and contact per athlete')}"
            "<figcaption>Latest session of each athlete and leg against the target and the "
            "slow-rebound threshold (red: missed).</figcaption></figure>"
        )
        links = "".join(
            f'<li><a href="athletes/{esc(athlete_slug(a))}.html">{esc(a)}</a></li>'
            for a in athletes
        )
        parts.append(f'<h2>Athletes</h2><ul class="athletes">{links}</ul>')
    else:
        parts.append('<div class="banner fail">No session could be analysed.</div>')
    if failures:
        rows = [[esc(f), esc(e)] for f, e in failures]
        parts.append(
            '<h2 id="failures">Failed files</h2>'
            + table(rows, ["file", "error"], css_class="data text")
        )
    flag_defs = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in _FLAG_TEXT.items())
    parts.append(
        f'<h2>How to read this</h2><dl class="defs">{flag_defs}</dl>'
        f"<p>{esc(BASELINE_RULE)}</p><p>{esc(SYMMETRY_RULE)}</p>"
    )
    parts.append(_link_tables())
    return page(title, "".join(parts))


def render_athlete_page(
    athlete: str,
    summary: pd.DataFrame,
    baseline: pd.DataFrame,
    sym: pd.DataFrame,
    extra: pd.Series,
    *,
    target_hz: float,
    slow_contact_ms: float,
    failures: Sequence[tuple[str, str]] = (),
) -> str:
    """Return one athlete's page: trends over dates, symmetry, baseline, every session.

    Parameters
    ----------
    athlete : str
        The athlete.
    summary, baseline, sym : pandas.DataFrame
        This athlete's rows of :func:`analysis.squad.session_summary`,
        :func:`analysis.squad.baseline_comparison` (aligned with ``summary``) and
        :func:`analysis.squad.symmetry`.
    extra : pandas.Series
        Extra flag lists aligned with ``summary``.
    target_hz, slow_contact_ms : float
        Thresholds used.
    failures : sequence of (file, error)
        This athlete's files that failed.

    Returns
    -------
    str
        The HTML document.
    """
    data = summary.assign(
        _flagged=[
            bool(e) or (r.sets_passed < r.sets)
            for e, r in zip(extra, summary.itertuples(index=False), strict=True)
        ]
    )
    dated = data[data["date"] != ""]
    parts = [
        '<p class="no-print"><a href="../index.html">&larr; Squad overview</a></p>',
        f'<header class="report"><h1>{esc(athlete)}</h1><div class="meta">'
        f"<span><b>Sessions:</b> {len(summary)}</span>"
        f"<span><b>Dates:</b> {esc(_date_range(summary))}</span>"
        f"<span><b>Legs:</b> {esc(', '.join(sorted(set(summary['leg']) - {''})) or 'not given')}"
        "</span></div></header>",
    ]
    if len(dated):
        # one figure with both trends: half the drawing overhead of two figures
        fig = Figure(figsize=(11.0, 2.8))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.2, top=0.88, wspace=0.22)
        trends = (
            ("hop_hz", target_hz, f"target {target_hz:g} Hz", True, "hop rate (Hz)", "Hop rate"),
            (
                "contact_ms",
                slow_contact_ms,
                f"slow above {slow_contact_ms:g} ms",
                False,
                "median contact (ms)",
                "Median contact",
            ),
        )
        for ax, (metric, reference, label, higher, ylabel, title) in zip(
            fig.subplots(1, 2), trends, strict=True
        ):
            plots.plot_squad_trend(
                dated,
                metric=metric,
                ax=ax,
                reference=reference,
                higher_is_better=higher,
                reference_label=label,
                flag_column="_flagged",
            )
            ax.set_ylabel(ylabel)
            ax.set_title(f"{title} over dates", loc="left", fontsize=10)
        parts.append(
            "<h2>Trends</h2>"
            f"<figure>{figure_img(fig, alt='hop rate and median contact over dates')}"
            "<figcaption>Hop rate and median contact per session and leg; red rings: sessions "
            "with a flag.</figcaption></figure>"
        )
    rows, classes = [], []
    for (_, r), (_, b), flags_extra in zip(
        data.iterrows(), baseline.iterrows(), extra, strict=True
    ):
        flags = _flags_of(r, flags_extra)
        base_text = _baseline_text(b, r)
        rows.append(
            [
                esc(r["date"] or "undated"),
                esc(r["leg"] or "–"),
                _session_link(r["session"], r.get("report", ""), prefix="../"),
                f"{int(r['sets_passed'])}/{int(r['sets'])}",
                str(int(r["hops"])),
                fmt(r["hop_hz"], 2),
                fmt(r["contact_ms"], 0),
                base_text,
                flag_badges(flags, _FLAG_TEXT.get),
            ]
        )
        classes.append("fail" if r["_flagged"] else "")
    header = [
        "date",
        "leg",
        "session",
        "sets met",
        "hops",
        "hop rate (Hz)",
        "median contact (ms)",
        "against own baseline",
        "flags",
    ]
    parts.append("<h2>Sessions</h2>")
    parts.append(f'<div class="scroll">{table(rows, header, row_classes=classes)}</div>')
    parts.append(f'<p class="muted">{esc(BASELINE_RULE)}</p>')

    parts.append("<h2>Left / right symmetry</h2>")
    if len(sym):
        rows = [
            [
                esc(s.date),
                esc(s.metric),
                fmt(s.left, 2 if s.metric == "hop_hz" else 0),
                fmt(s.right, 2 if s.metric == "hop_hz" else 0),
                fmt(s.symmetry_pct, 1, "%"),
                esc(s.weaker_leg or "–"),
                mark(not s.flagged, yes="even", no="asymmetric"),
            ]
            for s in sym.itertuples(index=False)
        ]
        fig = plots.plot_symmetry(sym, threshold_pct=squad.SYMMETRY_THRESHOLD_PCT)
        fig.axes[0].set_title("Left/right symmetry over dates", loc="left", fontsize=10)
        parts.append(
            table(rows, ["date", "metric", "left", "right", "symmetry", "weaker leg", ""])
            + f"<figure>{figure_img(fig, alt='left/right symmetry over dates')}</figure>"
        )
    else:
        parts.append('<p class="muted">No date with both a left-leg and a right-leg session.</p>')
    parts.append(f'<p class="muted">{esc(SYMMETRY_RULE)}</p>')
    if failures:
        rows = [[esc(f), esc(e)] for f, e in failures]
        parts.append(
            "<h2>Failed files</h2>" + table(rows, ["file", "error"], css_class="data text")
        )
    return page(f"{athlete} – hop trends", "".join(parts))


def _write_athlete_page(job: tuple) -> None:
    """Render and write one athlete page (a top-level function, so worker processes can run it)."""
    path, athlete, rows, base, sym, extra, kwargs = job
    path.write_text(render_athlete_page(athlete, rows, base, sym, extra, **kwargs), "utf-8")


def _session_link(session: str, report: str | None, *, prefix: str) -> str:
    """Return the session name, linked to its report when one was written."""
    if not report:
        return esc(session)
    return f'<a href="{esc(prefix + report)}">{esc(session)}</a>'


def _date_range(summary: pd.DataFrame) -> str:
    dates = sorted(d for d in summary["date"] if d)
    if not dates:
        return "undated"
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"


def _baseline_text(b: pd.Series, session: pd.Series) -> str:
    """Return the session against its baseline per metric: worse, normal or better."""
    parts = []
    for metric, unit, digits in (("hop_hz", "Hz", 2), ("contact_ms", "ms", 0)):
        worse = b.get(f"{metric}_worse")
        if worse is pd.NA or worse is None or (isinstance(worse, float) and np.isnan(worse)):
            continue
        base = float(b[f"{metric}_baseline"])
        var = float(b[f"{metric}_variation"])
        change = float(session[metric]) - base
        better = change > var if squad.HIGHER_IS_BETTER[metric] else change < -var
        word = "worse" if bool(worse) else ("better" if better else "normal")
        cls = "reason" if bool(worse) else "muted"
        label = "hop rate" if metric == "hop_hz" else "contact"
        parts.append(
            f'<span class="{cls}">{label} {word} '
            f"(baseline {fmt(base, digits)} ± {fmt(var, digits)} {unit})</span>"
        )
    if not parts:
        return '<span class="muted">building baseline</span>'
    return "<br>".join(parts)


def write_squad_pages(
    sessions: pd.DataFrame,
    hops: pd.DataFrame,
    outdir: str | os.PathLike[str],
    *,
    target_hz: float = 3.0,
    slow_contact_ms: float = 250.0,
    tolerance_hz: float = 0.05,
    failures: Sequence[tuple[str, str]] = (),
    workers: int | None = None,
) -> Path:
    """Write ``index.html`` and ``athletes/<name>.html`` into ``outdir``; return the index path.

    Parameters
    ----------
    sessions : pandas.DataFrame
        The ``sessions.csv`` rows (failed files included).
    hops : pandas.DataFrame
        The ``hops.csv`` rows.
    outdir : path-like
        Output folder (created when missing).
    target_hz, slow_contact_ms : float
        Thresholds used, shown on the pages.
    tolerance_hz : float
        Tolerance below the target, Hz.
    failures : sequence of (file, error)
        Files that could not be analysed.
    workers : int, optional
        Processes that draw the athlete pages in parallel; 1 (in this process) by default.

    Returns
    -------
    pathlib.Path
        The written ``index.html``.
    """
    out = Path(outdir)
    (out / "athletes").mkdir(parents=True, exist_ok=True)
    summary = squad.session_summary(sessions, hops)
    base = squad.baseline_comparison(summary)
    sym = squad.symmetry(summary)
    extra = _extra_flags(summary, base, sym)
    index = out / "index.html"
    index.write_text(
        render_squad_index(
            sessions,
            summary,
            extra=extra,
            target_hz=target_hz,
            slow_contact_ms=slow_contact_ms,
            tolerance_hz=tolerance_hz,
            failures=failures,
        ),
        encoding="utf-8",
    )
    failed_by_athlete: dict[str, list[tuple[str, str]]] = {}
    if len(sessions):
        errors = sessions[sessions["status"] == "error"]
        for r in errors.itertuples(index=False):
            failed_by_athlete.setdefault(r.athlete, []).append((r.file, r.error))
    jobs = [
        (
            out / "athletes" / f"{athlete_slug(athlete)}.html",
            athlete,
            rows,
            base.loc[rows.index],
            sym[sym["athlete"] == athlete] if len(sym) else sym,
            extra.loc[rows.index],
            {
                "target_hz": target_hz,
                "slow_contact_ms": slow_contact_ms,
                "failures": failed_by_athlete.get(athlete, []),
            },
        )
        for athlete, rows in summary.groupby("athlete", sort=True)
    ]
    workers = min(workers or 1, len(jobs))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_athlete_page, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
    else:
        for job in jobs:
            _write_athlete_page(job)
    return index
