"""The session report: one self-contained HTML page about one recording.

The first screen answers the runner's question (did each set meet the target, and if not,
why); plots, tables, data quality and definitions follow.
"""

from __future__ import annotations

import logging
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from analysis import plots
from analysis.mixed import drill_hint
from analysis.report.html import (
    esc,
    figure_img,
    flag_badges,
    fmt,
    key_value_table,
    mark,
    page,
    table,
)
from analysis.report.text import METRIC_DEFINITIONS, QUALITY_LABELS, SETTING_TEXT
from analysis.report.verdict import FLAG_TEXT, SetVerdict, set_verdicts
from analysis.result import (
    FLAG_CLIPPING,
    FLAG_GAPS,
    FLAG_LOW_SAMPLE_RATE,
    HopAnalysis,
)
from imu.recording import LEGS

__all__ = ["render_session_report", "write_session_report"]

logger = logging.getLogger(__name__)

LEG_NAMES = {"L": "left", "R": "right"}


def _format_start(start: str | None, time_zone: str | None) -> str:
    """Return the recording's start as ``YYYY-MM-DD HH:MM`` with its zone, or as given."""
    if not start:
        return "not recorded"
    try:
        when = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        return start
    if when.tzinfo is not None:
        return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    zone = " (local time)" if (time_zone or "").lower() == "local" else ""
    return when.strftime("%Y-%m-%d %H:%M") + zone


#: How the header names each exercise setting.
_EXERCISE_NAMES = {
    "hops": "repeated hops",
    "rebound": "rebound jumps",
    "auto": "auto (sets of repeated hops and of rebound jumps)",
}


def _header(
    result: HopAnalysis, *, athlete: str | None, leg: str | None, title: str, source: str | None
) -> str:
    meta = result.meta
    rate = meta.sample_rate_hz
    effective = result.quality.get("effective_rate_hz")
    rate_text = "not recorded" if rate is None else f"{rate:g} Hz"
    if effective is not None and np.isfinite(effective):
        rate_text += f" (measured {float(effective):.1f} Hz)"
    leg_text = f"{leg} ({LEG_NAMES[leg]})" if leg in LEG_NAMES else (leg or "not given")
    items = {
        "Athlete": athlete or "not given",
        "Date": _format_start(meta.start_utc, meta.time_zone),
        "Leg": leg_text,
        "Device": meta.device or "not recorded",
        "Sample rate": rate_text,
        "Placement": meta.placement or "not given",
        "Exercise": _EXERCISE_NAMES.get(result.settings.exercise, result.settings.exercise),
    }
    if source:
        items["File"] = source
    spans = "".join(f"<span><b>{esc(k)}:</b> {esc(v)}</span>" for k, v in items.items())
    return f'<header class="report"><h1>{esc(title)}</h1><div class="meta">{spans}</div></header>'


def _banner(verdicts: list[SetVerdict], result: HopAnalysis) -> str:
    if not verdicts:
        return (
            '<div class="banner fail">No hops were found in this recording, so there is '
            "nothing to judge. Check that the sensor was on the shoe and the drill was "
            "recorded (see Data quality).</div>"
        )
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        n = len(verdicts)
        text = "The set met" if n == 1 else f"All {n} sets met"
        rate = (
            f"the hop-rate target ({result.settings.target_hz:g} Hz) and "
            if any(v.rate_pass is not None for v in verdicts)
            else ""
        )
        return (
            f'<div class="banner pass">&#10004; {text} {rate}the contact-time limit '
            f"({result.settings.slow_contact_ms:g} ms).</div>"
        )
    parts = []
    for v in failed:
        why = []
        if v.rate_pass is False:
            why.append("hop rate too low")
        if not v.contact_pass:
            why.append("contacts too long")
        parts.append(f"set {v.set} ({' and '.join(why)})")
    return (
        f'<div class="banner fail">&#10008; {len(failed)} of {len(verdicts)} sets fell short: '
        f"{esc('; '.join(parts))}.</div>"
    )


def _quality_banner(result: HopAnalysis) -> str:
    issues = [f for f in (FLAG_LOW_SAMPLE_RATE, FLAG_CLIPPING, FLAG_GAPS) if f in result.flags]
    if not issues:
        return ""
    text = "; ".join(FLAG_TEXT[f] for f in issues)
    return (
        f'<div class="banner warn">&#9888; Data quality: {esc(text)}. '
        'See <a href="#quality">Data quality</a> for what this means for the numbers.</div>'
    )


def _drill_banner(result: HopAnalysis) -> str:
    """Advice on the drill when the sets look like another one (:func:`drill_hint`)."""
    hint = drill_hint(result)
    return f'<div class="banner warn"><b>Drill:</b> {esc(hint)}</div>' if hint else ""


def _card(v: SetVerdict, *, drill: bool = False) -> str:
    """One set's verdict; ``drill`` names the set's drill (a session of both)."""
    state = "pass" if v.passed else "fail"
    kind = ""
    if drill:
        kind = " &middot; rebound jumps" if v.exercise == "rebound" else " &middot; repeated hops"
    rate_reason = f'<div class="reason">{esc(v.rate_reason)}</div>' if v.rate_reason else ""
    contact_reason = (
        f'<div class="reason">{esc(v.contact_reason)}</div>' if v.contact_reason else ""
    )
    notes = "".join(f'<p class="note">&#9888; {esc(n)}</p>' for n in v.notes)
    return (
        f'<div class="card {state}" id="verdict-set-{v.set}">'
        f"<h3><span>Set {v.set}{kind} &middot; {v.hops} hops</span>"
        f"{mark(v.passed, yes='target met', no='fell short')}</h3>"
        f'<div class="check"><span>Hop rate <span class="value">{fmt(v.hop_hz, 2, "Hz")}'
        f"</span></span>{mark(v.rate_pass)}"
        f'<span class="rule">{esc(v.rate_rule)}</span>{rate_reason}</div>'
        f'<div class="check"><span>Median contact <span class="value">'
        f"{fmt(v.contact_ms, 0, 'ms')}</span></span>{mark(v.contact_pass)}"
        f'<span class="rule">{esc(v.contact_rule)}</span>{contact_reason}</div>'
        f"{notes}</div>"
    )


def _plots(result: HopAnalysis, verdicts: list[SetVerdict]) -> str:
    has_signal = "time_s" in result.info and "magnitude_g" in result.info
    out = []
    if has_signal:
        img = figure_img(plots.plot_signal(result), alt="acceleration magnitude, whole recording")
        out.append(
            f"<figure>{img}<figcaption>The whole recording: acceleration magnitude, ground "
            "contacts shaded, landings (&#9660;) and take-offs (&#9650;) marked.</figcaption>"
            "</figure>"
        )
        per_set = []
        for v in verdicts:
            img = figure_img(
                plots.plot_signal(result, set_number=v.set),
                alt=f"acceleration magnitude, set {v.set}",
            )
            per_set.append(
                f'<figure class="zoom" id="plot-set-{v.set}">{img}<figcaption>Set {v.set} '
                f"{mark(v.passed)} (click to zoom)</figcaption></figure>"
            )
        if per_set:
            out.append(f'<h3>Each set</h3><div class="plots">{"".join(per_set)}</div>')
    else:
        out.append('<p class="muted">The signal is not available for plotting.</p>')
    if len(result.hops):
        figs = [
            (
                plots.plot_contact_flight(result),
                "contact and flight time per hop",
                "Contact and flight time of every hop, with the slow-rebound threshold.",
            ),
        ]
        if (result.sets["exercise"] != "rebound").any():
            figs.append(
                (
                    plots.plot_hop_rate(result),
                    "hop rate over each set with the target",
                    "Hop rate of every hop over the set, with the target line and its tolerance.",
                )
            )
        figs += [
            (
                plots.plot_fatigue(result),
                "contact time trend over each set",
                "Fatigue trend: contact time over the hops of each set and its fitted slope.",
            ),
        ]
        cells = "".join(
            f'<figure class="zoom">{figure_img(fig, alt=alt)}<figcaption>{esc(cap)}'
            "</figcaption></figure>"
            for fig, alt, cap in figs
        )
        out.append(f'<h3>Per hop</h3><div class="plots">{cells}</div>')
    return "".join(out)


def _set_table(result: HopAnalysis) -> str:
    header = [
        "set",
        "hops",
        "hop rate (Hz)",
        "median contact (ms)",
        "contact IQR (ms)",
        "median flight (ms)",
        "flight IQR (ms)",
        "contact CV",
        "duty factor",
        "slow share",
        "contact trend (ms/hop)",
        "start (s)",
        "end (s)",
        "flags",
    ]
    drill = result.settings.exercise == "auto"
    if drill:
        header.insert(1, "drill")
    rows, classes = [], []
    for r in result.sets.sort_values("set").itertuples(index=False):
        rows.append(
            [
                str(int(r.set)),
                *([str(r.exercise)] if drill else []),
                str(int(r.hops)),
                fmt(r.hop_hz, 2),
                fmt(r.contact_ms, 0),
                fmt(r.contact_iqr_ms, 0),
                fmt(r.flight_ms, 0),
                fmt(r.flight_iqr_ms, 0),
                fmt(r.contact_cv, 2),
                fmt(r.duty_factor, 2),
                fmt(r.slow_share, 2),
                fmt(r.contact_trend_ms_per_hop, 2),
                fmt(r.start_s, 2),
                fmt(r.end_s, 2),
                flag_badges(r.flags, FLAG_TEXT.get),
            ]
        )
        classes.append("fail" if r.flags else "")
    if not rows:
        return '<p class="muted">No sets.</p>'
    return f'<div class="scroll">{table(rows, header, row_classes=classes)}</div>'


def _hop_table(result: HopAnalysis) -> str:
    hops = result.hops
    if hops.empty:
        return '<p class="muted">No hops.</p>'
    with_stiffness = bool(np.isfinite(hops["stiffness_kn_per_m"].to_numpy(dtype=float)).any())
    header = [
        "set",
        "hop",
        "landing (s)",
        "take-off (s)",
        "contact (ms)",
        "flight (ms)",
        "hop rate (Hz)",
        "duty factor",
        "flight height (cm)",
        "RSR",
        "RSI (m/s)",
        "impact peak (g)",
    ]
    if with_stiffness:
        header.append("stiffness (kN/m)")
    rows = []
    for r in hops.itertuples(index=False):
        peak = fmt(r.impact_peak_g, 1) + (" (clipped)" if bool(r.impact_clipped) else "")
        lost = getattr(r, "edge_lost", "")
        row = [
            str(int(r.set)),
            str(int(r.hop)),
            _LOST_IN_GAP if lost == "landing" else fmt(r.landing_s, 3),
            _LOST_IN_GAP if lost == "takeoff" else fmt(r.takeoff_s, 3),
            fmt(r.contact_ms, 0),
            fmt(r.flight_ms, 0),
            fmt(r.hop_hz, 2),
            fmt(r.duty_factor, 2),
            fmt(r.flight_height_cm, 1),
            fmt(r.reactive_strength_ratio, 2),
            fmt(r.reactive_strength_index_mps, 2),
            peak,
        ]
        if with_stiffness:
            row.append(fmt(r.stiffness_kn_per_m, 1))
        rows.append(row)
    return (
        f'<details id="hops"><summary>Every hop ({len(hops)} hops; click to open)</summary>'
        f'<div class="scroll">{table(rows, header)}</div></details>'
    )


#: Table cell of an edge that fell in a gap of the data.
_LOST_IN_GAP = '<span title="lost in a gap of the data: not timed">lost in gap</span>'


def _quality_value(key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return fmt(value)
    if isinstance(value, (int, np.integer)):
        return esc(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if key.endswith("_share") or key == "rate_error":
            return fmt(number * 100, 2, "%")
        return fmt(number, 3 if abs(number) < 10 else 1)
    if isinstance(value, (list, tuple)):
        return esc(f"{len(value)} item(s)") if len(value) > 5 else esc(value)
    return esc(value)


def _quality(result: HopAnalysis) -> str:
    q = result.quality
    meta = result.meta
    settings = result.settings
    flags = set(result.flags)
    notes = []

    rate = q.get("effective_rate_hz", meta.sample_rate_hz)
    if rate is not None and math.isfinite(float(rate)):
        period_ms = 1000 / float(rate)
        ok = FLAG_LOW_SAMPLE_RATE not in flags
        notes.append(
            (
                "Sample rate",
                ok,
                f"{float(rate):.1f} Hz: one sample every {period_ms:.1f} ms. "
                + (
                    "Contact and flight times are resolved well below the differences that "
                    "matter here."
                    if ok
                    else f"Below {settings.min_sample_rate_hz:g} Hz, so each landing and "
                    f"take-off can be off by several ms; trust differences of less than about "
                    f"{2 * period_ms:.0f} ms between hops or sessions less."
                ),
            )
        )
    else:
        notes.append(("Sample rate", None, "Not known."))

    clipped = q.get("clipped_impacts")
    if FLAG_CLIPPING in flags:
        n = f"{int(clipped)} impacts" if clipped is not None else "Some impacts"
        range_text = f" (±{meta.range_g:g} g)" if meta.range_g else ""
        notes.append(
            (
                "Clipping",
                False,
                f"{n} reached the sensor's full scale{range_text}. Impact peaks and stiffness "
                "are underestimated; landings are still found from the rise, so contact "
                "times stay usable. A larger range setting avoids this.",
            )
        )
    else:
        notes.append(("Clipping", True, "No impact reached the sensor's full scale."))

    gaps = q.get("gaps")
    n_gaps = len(gaps) if isinstance(gaps, (list, tuple)) else gaps
    lost = q.get("lost_samples", q.get("lost_samples_reported"))
    packets = q.get("lost_packets_reported", meta.lost_packets)
    if FLAG_GAPS in flags:
        parts = []
        if n_gaps:
            parts.append(f"{int(n_gaps)} gap(s) in the time axis")
        if lost:
            parts.append(f"about {int(lost)} samples lost")
        if packets:
            parts.append(f"{int(packets)} radio packets lost")
        detail = ", ".join(parts) or "samples were lost"
        notes.append(
            (
                "Gaps and packet loss",
                False,
                f"{detail[0].upper()}{detail[1:]}. Nothing is invented to fill a gap: a hop "
                "that falls into one is missing, and the hop rate of a set with a gap may be "
                "slightly off. Keep the phone close to the sensor.",
            )
        )
    else:
        notes.append(("Gaps and packet loss", True, "No samples were lost."))

    rows = [[esc(name), mark(ok), esc(text)] for name, ok, text in notes]
    figures = {
        esc(QUALITY_LABELS.get(k, k)): _quality_value(k, v)
        for k, v in q.items()
        if not isinstance(v, (dict,))
    }
    if meta.sample_rate_hz is not None:
        figures.setdefault(esc("nominal sample rate (Hz)"), fmt(meta.sample_rate_hz, 1))
    if meta.range_g is not None:
        figures.setdefault(esc(QUALITY_LABELS["range_g"]), fmt(meta.range_g, 0))
    return (
        table(rows, ["check", "", "what it means for the numbers"], css_class="data text")
        + "<h3>All quality figures</h3>"
        + key_value_table(figures)
    )


def _definitions(result: HopAnalysis) -> str:
    items = "".join(
        f"<dt>{esc(name)} ({esc(unit)})</dt><dd>{esc(text)}</dd>"
        for name, unit, text in METRIC_DEFINITIONS
    )
    flag_items = "".join(
        f"<dt>{esc(code)}</dt><dd>{esc(text)}</dd>" for code, text in FLAG_TEXT.items()
    )
    settings = {
        esc(k): f"<b>{esc('not given' if v is None else v)}</b> "
        f'<span class="muted">{esc(SETTING_TEXT.get(k, ""))}</span>'
        for k, v in result.settings.to_dict().items()
    }
    return (
        f'<dl class="defs">{items}</dl><h3>Flags</h3><dl class="defs">{flag_items}</dl>'
        f"<h3>Settings used</h3>{key_value_table(settings)}"
    )


def render_session_report(
    result: HopAnalysis,
    *,
    athlete: str | None = None,
    leg: str | None = None,
    title: str | None = None,
    source: str | None = None,
) -> str:
    """Return the session report as one self-contained HTML document.

    Parameters
    ----------
    result : HopAnalysis
        The analysis to report.
    athlete : str, optional
        Athlete name; ``result.meta.athlete`` when not given.
    leg : {"L", "R"}, optional
        Leg the sensor was on; ``result.meta.leg`` when not given.
    title : str, optional
        Page title; default "Hop session report".
    source : str, optional
        The recording's file name, shown in the header.

    Returns
    -------
    str
        The HTML document. Every text from the user or the file is escaped.

    Raises
    ------
    TypeError
        ``result`` is not a HopAnalysis.
    ValueError
        ``leg`` is not "L" or "R".
    """
    if not isinstance(result, HopAnalysis):
        raise TypeError(f"`result` must be a HopAnalysis, got {type(result).__name__}")
    if leg is not None and str(leg).upper() not in LEGS:
        raise ValueError(f"`leg` must be 'L' or 'R', got {leg!r}")
    athlete = athlete if athlete is not None else result.meta.athlete
    leg = str(leg).upper() if leg is not None else result.meta.leg
    title = title or "Hop session report"
    verdicts = set_verdicts(result)

    cards = "".join(_card(v, drill=result.settings.exercise == "auto") for v in verdicts)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        _header(result, athlete=athlete, leg=leg, title=title, source=source)
        + _banner(verdicts, result)
        + _quality_banner(result)
        + _drill_banner(result)
        + (f'<section id="verdicts"><div class="cards">{cards}</div></section>' if cards else "")
        + f'<section id="plots"><h2>Plots</h2>{_plots(result, verdicts)}</section>'
        + f'<section id="sets"><h2>Sets</h2>{_set_table(result)}{_hop_table(result)}</section>'
        + f'<section id="quality"><h2>Data quality</h2>{_quality(result)}</section>'
        + f'<section id="definitions"><h2>Definitions</h2>{_definitions(result)}</section>'
        + f"<footer>Made by hopscope on {esc(now)}.</footer>"
    )
    page_title = f"{title} – {athlete}" if athlete else title
    return page(page_title, body)


def write_session_report(
    result: HopAnalysis,
    path: str | os.PathLike[str],
    *,
    athlete: str | None = None,
    leg: str | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Path:
    """Write the session report to ``path`` and return the path.

    Parameters
    ----------
    result : HopAnalysis
        The analysis to report.
    path : str or path-like
        The HTML file to write (its folder must exist).
    athlete, leg, title, source
        As :func:`render_session_report`.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    TypeError, ValueError
        As :func:`render_session_report`.
    OSError
        The file cannot be written.

    Examples
    --------
    >>> from analysis.report import write_session_report
    >>> write_session_report(result, "report.html", athlete="A01")  # doctest: +SKIP
    """
    document = render_session_report(result, athlete=athlete, leg=leg, title=title, source=source)
    out = Path(path)
    out.write_text(document, encoding="utf-8")
    logger.debug("wrote session report %s (%d bytes)", out, len(document))
    return out
