"""Plots of one analysis and of a squad's sessions over time.

Every function accepts ``ax=`` (draw into an existing Axes) and returns the
:class:`matplotlib.figure.Figure` it drew on. Without ``ax`` a new Figure is made directly
(``matplotlib.figure.Figure``), never through pyplot, so nothing is left open in pyplot's
global figure list and the functions are safe in servers, workers and tests.

Artists carry ``gid`` values so that tests and other tools can find them: ``"signal"``,
``"contacts"`` (one rectangle per contact), ``"landings"``, ``"takeoffs"``, ``"gaps"``,
``"target"``, ``"threshold"`` and ``"trend"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from analysis.result import HopAnalysis

__all__ = [
    "plot_contact_flight",
    "plot_fatigue",
    "plot_hop_rate",
    "plot_signal",
    "plot_squad_overview",
    "plot_squad_trend",
    "plot_symmetry",
]

#: Colours used across the plots (colour-blind safe, from the Okabe-Ito palette).
COLOR_SIGNAL = "#333333"
COLOR_CONTACT = "#E69F00"
COLOR_FLIGHT = "#56B4E9"
COLOR_LANDING = "#D55E00"
COLOR_TAKEOFF = "#009E73"
COLOR_TARGET = "#0072B2"
COLOR_FAIL = "#CC2222"
COLOR_GAP = "#999999"
LEG_COLORS = {"L": "#0072B2", "R": "#D55E00"}

#: Seconds shown either side of a set when a plot is limited to one set.
SET_MARGIN_S = 0.5


#: Margins around a single plot, in inches: left, right, bottom, top. Fixed margins instead of
#: matplotlib's constrained layout halve the drawing time of the small plots in the reports.
MARGINS_IN = (0.75, 0.2, 0.55, 0.4)


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return the Figure and Axes to draw on, making a pyplot-free Figure when ``ax`` is None."""
    if ax is None:
        width, height = figsize
        left, right, bottom, top = MARGINS_IN
        fig = Figure(figsize=figsize)
        fig.subplots_adjust(
            left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height
        )
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}")
    fig = ax.get_figure(root=True)
    return fig, ax


def _check_result(result: HopAnalysis) -> None:
    if not isinstance(result, HopAnalysis):
        raise TypeError(f"`result` must be a HopAnalysis, got {type(result).__name__}")


def _set_row(result: HopAnalysis, set_number: int | None) -> pd.Series | None:
    """Return the row of ``result.sets`` for ``set_number`` (None for the whole session)."""
    if set_number is None:
        return None
    if isinstance(set_number, bool) or not isinstance(set_number, (int, np.integer)):
        raise TypeError(f"`set_number` must be an int or None, got {set_number!r}")
    rows = result.sets[result.sets["set"] == set_number]
    if rows.empty:
        known = ", ".join(str(int(s)) for s in result.sets["set"]) or "none"
        raise ValueError(f"`set_number` {set_number} is not a set of this result (sets: {known})")
    return rows.iloc[0]


def _hops_of(result: HopAnalysis, set_number: int | None) -> pd.DataFrame:
    if set_number is None:
        return result.hops
    return result.hops[result.hops["set"] == set_number]


def _hop_plot(
    result: HopAnalysis, ax: Axes | None, set_number: int | None
) -> tuple[Figure, Axes, pd.DataFrame]:
    """Check the arguments of a per-hop plot; return its Figure, Axes and the hops to draw."""
    _check_result(result)
    _set_row(result, set_number)
    fig, ax = _figure_and_axes(ax, (8.0, 3.0))
    return fig, ax, _hops_of(result, set_number)


def _no_hops_note(ax: Axes, hops: pd.DataFrame, **kwargs: object) -> None:
    """Write "no hops found" in the middle of ``ax`` when ``hops`` is empty."""
    if len(hops) == 0:
        ax.text(
            0.5, 0.5, "no hops found", transform=ax.transAxes, ha="center", va="center", **kwargs
        )


def _slow_contact_line(ax: Axes, result: HopAnalysis) -> None:
    """Draw the slow-rebound contact threshold of ``result.settings`` (``gid="threshold"``)."""
    threshold = float(result.settings.slow_contact_ms)
    ax.axhline(
        threshold,
        color=COLOR_FAIL,
        linestyle="--",
        linewidth=1,
        label=f"slow-rebound threshold {threshold:g} ms",
        gid="threshold",
    )


def _require_columns(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    """Raise ValueError naming the first of ``columns`` that ``table`` (argument ``name``) lacks."""
    for column in columns:
        if column not in table.columns:
            raise ValueError(f"`{name}` has no column {column!r}")


def _signal(result: HopAnalysis) -> tuple[np.ndarray, np.ndarray]:
    info = result.info or {}
    if "time_s" not in info or "magnitude_g" not in info:
        raise ValueError(
            "`result.info` must hold 'time_s' and 'magnitude_g' arrays to plot the signal"
        )
    time_s = np.asarray(info["time_s"], dtype=float)
    magnitude_g = np.asarray(info["magnitude_g"], dtype=float)
    if time_s.shape != magnitude_g.shape or time_s.ndim != 1:
        raise ValueError(
            "`result.info['time_s']` and `result.info['magnitude_g']` must be 1-D arrays of "
            f"one length, got shapes {time_s.shape} and {magnitude_g.shape}"
        )
    return time_s, magnitude_g


def _decimate_for_plot(
    time_s: np.ndarray, values: np.ndarray, max_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a long trace to at most about ``max_points`` points, keeping every extreme.

    Each bucket of samples contributes its minimum and its maximum in time order, so impact
    peaks and free-fall plateaus stay visible at any zoom level the figure is drawn at.
    """
    n = len(time_s)
    if n <= max_points:
        return time_s, values
    bucket = math.ceil(n / (max_points / 2))
    usable = (n // bucket) * bucket
    t = time_s[:usable].reshape(-1, bucket)
    v = values[:usable].reshape(-1, bucket)
    i_min = np.nanargmin(v, axis=1)
    i_max = np.nanargmax(v, axis=1)
    first = np.minimum(i_min, i_max)
    second = np.maximum(i_min, i_max)
    rows = np.arange(t.shape[0])
    out_t = np.column_stack([t[rows, first], t[rows, second]]).ravel()
    out_v = np.column_stack([v[rows, first], v[rows, second]]).ravel()
    if usable < n:
        out_t = np.concatenate([out_t, time_s[usable:]])
        out_v = np.concatenate([out_v, values[usable:]])
    return out_t, out_v


def _break_at_gaps(
    time_s: np.ndarray, values: np.ndarray, gaps: Sequence[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN after the last sample before each gap so the line is not drawn across it."""
    if not gaps or len(time_s) == 0:
        return time_s, values
    starts = np.array([float(g[0]) for g in gaps])
    idx = np.searchsorted(time_s, starts, side="right")
    idx = idx[(idx > 0) & (idx < len(time_s))]
    if idx.size == 0:
        return time_s, values
    return (np.insert(time_s, idx, np.nan), np.insert(values, idx, np.nan))


def _spans(ax: Axes, starts: np.ndarray, ends: np.ndarray, **kwargs: object) -> PolyCollection:
    """Shade vertical spans ``[start, end)`` over the full height of ``ax`` as one collection.

    A span with a missing end (NaN: an edge lost in a gap of the data) is left out.
    """
    verts = [
        [(s, 0.0), (s, 1.0), (e, 1.0), (e, 0.0)]
        for s, e in zip(starts, ends, strict=True)
        if np.isfinite(s) and np.isfinite(e)
    ]
    coll = PolyCollection(verts, transform=ax.get_xaxis_transform(), **kwargs)
    ax.add_collection(coll, autolim=False)
    return coll


def plot_signal(
    result: HopAnalysis,
    *,
    ax: Axes | None = None,
    set_number: int | None = None,
    max_points: int = 20_000,
) -> Figure:
    """Plot the acceleration magnitude with contacts shaded and landings/take-offs marked.

    Parameters
    ----------
    result : HopAnalysis
        The analysis; ``result.info`` must hold ``time_s`` (s) and ``magnitude_g`` (g) and may
        hold ``gaps`` (list of ``(start_s, end_s)``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new Figure is made when not given.
    set_number : int, optional
        Show only this set (with half a second either side); the whole recording when None.
    max_points : int
        Longest trace drawn; longer signals are reduced to the minimum and maximum of each
        bucket of samples, which keeps every peak. Default 20 000.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    TypeError
        ``result`` is not a HopAnalysis or ``ax`` is not an Axes.
    ValueError
        ``set_number`` is not a set of ``result``, or ``result.info`` lacks the signal.

    Examples
    --------
    >>> from analysis.plots import plot_signal
    >>> fig = plot_signal(result)  # doctest: +SKIP
    >>> fig.savefig("signal.png")  # doctest: +SKIP
    """
    _check_result(result)
    if max_points < 100:
        raise ValueError(f"`max_points` must be at least 100, got {max_points!r}")
    row = _set_row(result, set_number)
    time_s, magnitude_g = _signal(result)
    fig, ax = _figure_and_axes(ax, (10.0, 3.2) if set_number is None else (8.0, 2.6))
    hops = _hops_of(result, set_number)
    gaps = [tuple(map(float, g)) for g in (result.info or {}).get("gaps", [])]

    if row is not None:
        lo, hi = float(row["start_s"]) - SET_MARGIN_S, float(row["end_s"]) + SET_MARGIN_S
        i0, i1 = np.searchsorted(time_s, [lo, hi])
        time_s, magnitude_g = time_s[i0:i1], magnitude_g[i0:i1]
        gaps = [g for g in gaps if g[1] > lo and g[0] < hi]
    t_plot, m_plot = _decimate_for_plot(time_s, magnitude_g, max_points)
    t_plot, m_plot = _break_at_gaps(t_plot, m_plot, gaps)
    ax.plot(t_plot, m_plot, color=COLOR_SIGNAL, linewidth=0.6, label="|a| (g)", gid="signal")

    landing = hops["landing_s"].to_numpy(dtype=float)
    takeoff = hops["takeoff_s"].to_numpy(dtype=float)
    if len(hops):
        _spans(
            ax,
            landing,
            takeoff,
            facecolor=COLOR_CONTACT,
            alpha=0.3,
            edgecolor="none",
            label="ground contact",
            gid="contacts",
        )
        if len(time_s):
            ax.plot(
                landing,
                np.interp(landing, time_s, magnitude_g),
                linestyle="none",
                marker="v",
                markersize=4,
                color=COLOR_LANDING,
                label="landing",
                gid="landings",
            )
            ax.plot(
                takeoff,
                np.interp(takeoff, time_s, magnitude_g),
                linestyle="none",
                marker="^",
                markersize=4,
                color=COLOR_TAKEOFF,
                label="take-off",
                gid="takeoffs",
            )
    if gaps:
        g = np.array(gaps, dtype=float)
        _spans(
            ax,
            g[:, 0],
            g[:, 1],
            facecolor="none",
            edgecolor=COLOR_GAP,
            hatch="///",
            label="gap (lost samples)",
            gid="gaps",
        )

    if row is None and len(result.sets) > 1:
        for s in result.sets.itertuples(index=False):
            ax.annotate(
                f"set {int(s.set)}",
                xy=(float(s.start_s), 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                va="top",
                fontsize=8,
                color=COLOR_TARGET,
            )
    if row is not None:
        ax.set_xlim(lo, hi)
        ax.set_title(f"Set {int(row['set'])}: acceleration magnitude", loc="left")
    else:
        ax.set_title("Acceleration magnitude", loc="left")
        if len(time_s):
            ax.set_xlim(float(time_s[0]), float(time_s[-1]))
    _no_hops_note(ax, hops, color=COLOR_FAIL)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("|a| (g)")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncols=5, frameon=False)
    return fig


def _hop_x(hops: pd.DataFrame) -> np.ndarray:
    """Hop number across the session (1..n) in time order."""
    return np.arange(1, len(hops) + 1, dtype=float)


def _set_separators(ax: Axes, hops: pd.DataFrame) -> None:
    """Draw a thin line and a label where each set starts on a hop-number axis."""
    sets = hops["set"].to_numpy()
    if len(sets) == 0 or len(np.unique(sets)) < 2:
        return
    starts = np.flatnonzero(np.r_[True, sets[1:] != sets[:-1]])
    for i in starts:
        ax.axvline(i + 0.5, color=COLOR_GAP, linewidth=0.6, linestyle=":")
        ax.annotate(
            f"set {int(sets[i])}",
            xy=(i + 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color=COLOR_GAP,
        )


def plot_contact_flight(
    result: HopAnalysis, *, ax: Axes | None = None, set_number: int | None = None
) -> Figure:
    """Plot contact and flight time of every hop, with the slow-rebound threshold.

    Parameters
    ----------
    result : HopAnalysis
        The analysis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new Figure is made when not given.
    set_number : int, optional
        Show only this set; every hop of the session (sets separated) when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. The contact line has ``gid="contact"``, the flight line
        ``gid="flight"``, the threshold ``gid="threshold"``.

    Raises
    ------
    TypeError, ValueError
        As :func:`plot_signal`.
    """
    fig, ax, hops = _hop_plot(result, ax, set_number)
    hops = hops.sort_values("landing_s")
    x = _hop_x(hops)
    contact = hops["contact_ms"].to_numpy(dtype=float)
    flight = hops["flight_ms"].to_numpy(dtype=float)
    ax.plot(
        x,
        contact,
        marker="o",
        markersize=3,
        linewidth=1,
        color=COLOR_CONTACT,
        label="contact (ms)",
        gid="contact",
    )
    ax.plot(
        x,
        flight,
        marker="s",
        markersize=3,
        linewidth=1,
        color=COLOR_FLIGHT,
        label="flight (ms)",
        gid="flight",
    )
    _slow_contact_line(ax, result)
    if set_number is None:
        _set_separators(ax, hops)
    ax.set_xlabel("hop" if set_number is not None else "hop (session order)")
    ax.set_ylabel("time (ms)")
    ax.set_title("Contact and flight per hop" + (f", set {set_number}" if set_number else ""))
    ax.set_ylim(bottom=0)
    _no_hops_note(ax, hops)
    ax.legend(loc="lower right", fontsize=7, framealpha=0.8)
    return fig


def plot_hop_rate(
    result: HopAnalysis, *, ax: Axes | None = None, set_number: int | None = None
) -> Figure:
    """Plot the hop rate of every hop over the time in its set, with the target line.

    Each set is one line of per-hop rates (1 / time to the next landing) against the time since
    the set's first landing, so sets lie on top of each other; the target and its tolerance
    band are drawn across. Sets of rebound jumps (``exercise`` "rebound") are left out.

    Parameters
    ----------
    result : HopAnalysis
        The analysis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new Figure is made when not given.
    set_number : int, optional
        Show only this set; every set when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Set lines have ``gid="set-N"``, the target ``gid="target"``.

    Raises
    ------
    TypeError, ValueError
        As :func:`plot_signal`.
    """
    fig, ax, hops = _hop_plot(result, ax, set_number)
    settings = result.settings
    sets = result.sets
    rebound = set(sets.loc[sets["exercise"] == "rebound", "set"].tolist())
    for number, group in hops.groupby("set", sort=True):
        if number in rebound:
            continue  # (jumps per second: the target does not apply)
        group = group.sort_values("landing_s")
        t = group["landing_s"].to_numpy(dtype=float)
        ax.plot(
            t - t[0],
            group["hop_hz"].to_numpy(dtype=float),
            marker="o",
            markersize=3,
            linewidth=1,
            label=f"set {int(number)}",
            gid=f"set-{int(number)}",
        )
    target = float(settings.target_hz)
    tol = float(settings.target_tolerance_hz)
    ax.axhspan(target - tol, target + tol, color=COLOR_TARGET, alpha=0.12, linewidth=0)
    ax.axhline(
        target,
        color=COLOR_TARGET,
        linestyle="--",
        linewidth=1.2,
        label=f"target {target:g} Hz",
        gid="target",
    )
    ax.set_xlabel("time since the set's first landing (s)")
    ax.set_ylabel("hop rate (Hz)")
    ax.set_title("Hop rate over the set" + (f" {set_number}" if set_number else "s"))
    _no_hops_note(ax, hops)
    ax.legend(loc="best", fontsize=7, ncols=3, framealpha=0.8)
    return fig


def _trend_line(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Least-squares line of ``y`` over hop number 1..n (NaN ignored); None if too few points."""
    x = np.arange(1, len(y) + 1, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return None
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    return x, slope * x + intercept, float(slope)


def plot_fatigue(
    result: HopAnalysis, *, ax: Axes | None = None, set_number: int | None = None
) -> Figure:
    """Plot the fatigue trend: contact time over the hops of each set with its fitted slope.

    A rising contact time over a set (positive slope, ms per hop) is the usual sign of a calf
    tiring; the legend gives each set's slope.

    Parameters
    ----------
    result : HopAnalysis
        The analysis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new Figure is made when not given.
    set_number : int, optional
        Show only this set; every set when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. Trend lines have ``gid="trend"``.

    Raises
    ------
    TypeError, ValueError
        As :func:`plot_signal`.

    Notes
    -----
    The slope is an ordinary least-squares fit of contact time against hop number within the
    set, the same quantity as the set table's ``contact_trend_ms_per_hop``.
    """
    fig, ax, hops = _hop_plot(result, ax, set_number)
    colors = [f"C{i % 10}" for i in range(max(1, hops["set"].nunique() if len(hops) else 1))]
    for color, (number, group) in zip(colors, hops.groupby("set", sort=True), strict=False):
        y = group.sort_values("landing_s")["contact_ms"].to_numpy(dtype=float)
        x = np.arange(1, len(y) + 1, dtype=float)
        ax.plot(x, y, linestyle="none", marker="o", markersize=3, color=color, alpha=0.6)
        fit = _trend_line(y)
        if fit is not None:
            fx, fy, slope = fit
            ax.plot(
                fx,
                fy,
                color=color,
                linewidth=1.5,
                gid="trend",
                label=f"set {int(number)}: {slope:+.2f} ms/hop",
            )
    _slow_contact_line(ax, result)
    ax.set_xlabel("hop within the set")
    ax.set_ylabel("contact (ms)")
    ax.set_title("Fatigue trend: contact time over the set")
    _no_hops_note(ax, hops)
    ax.legend(loc="best", fontsize=7, ncols=2, framealpha=0.8)
    return fig


def _date_axis(ax: Axes) -> None:
    """Few, compact date ticks (fast to lay out and readable on small plots)."""
    locator = AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=7)


def plot_squad_trend(
    sessions: pd.DataFrame,
    *,
    metric: str,
    ax: Axes | None = None,
    reference: float | None = None,
    reference_label: str | None = None,
    higher_is_better: bool = True,
    flag_column: str | None = None,
) -> Figure:
    """Plot one metric of an athlete's sessions over dates, one line per leg.

    Parameters
    ----------
    sessions : pandas.DataFrame
        One row per session with columns ``date`` (datetime-like or ISO text), ``leg``
        (``"L"``, ``"R"`` or missing) and ``metric``.
    metric : str
        Column to plot, e.g. ``"hop_hz"`` or ``"contact_ms"``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new Figure is made when not given.
    reference : float, optional
        A horizontal reference line (target or threshold), drawn with ``gid="target"``.
    reference_label : str, optional
        Legend text of the reference line.
    higher_is_better : bool
        Only used for the title hint.
    flag_column : str, optional
        Boolean column; rows where it is True get a red ring (``gid="flagged"``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on; leg lines have ``gid="leg-L"``, ``"leg-R"`` or ``"leg-?"``.

    Raises
    ------
    ValueError
        A required column is missing.
    """
    _require_columns(
        sessions, "sessions", ("date", "leg", metric, *([flag_column] if flag_column else []))
    )
    fig, ax = _figure_and_axes(ax, (6.0, 2.6))
    data = sessions.assign(_date=pd.to_datetime(sessions["date"], errors="coerce"))
    data = data.assign(_leg=data["leg"].fillna("?").astype(str))
    for leg, group in data.sort_values("_date").groupby("_leg", sort=True):
        ax.plot(
            group["_date"],
            group[metric].astype(float),
            marker="o",
            markersize=4,
            linewidth=1.2,
            color=LEG_COLORS.get(leg, COLOR_SIGNAL),
            label=f"leg {leg}" if leg != "?" else "leg not given",
            gid=f"leg-{leg}",
        )
        if flag_column:
            bad = group[group[flag_column].astype(bool)]
            if len(bad):
                ax.plot(
                    bad["_date"],
                    bad[metric].astype(float),
                    linestyle="none",
                    marker="o",
                    markersize=9,
                    markerfacecolor="none",
                    markeredgecolor=COLOR_FAIL,
                    gid="flagged",
                )
    if reference is not None:
        ax.axhline(
            reference,
            color=COLOR_FAIL if not higher_is_better else COLOR_TARGET,
            linestyle="--",
            linewidth=1,
            label=reference_label,
            gid="target",
        )
    ax.set_ylabel(metric)
    _date_axis(ax)
    ax.legend(loc="best", fontsize=7, framealpha=0.8)
    return fig


def plot_symmetry(
    symmetry: pd.DataFrame,
    *,
    ax: Axes | None = None,
    threshold_pct: float = 90.0,
) -> Figure:
    """Plot the left/right limb symmetry index of each date with the flag threshold.

    Parameters
    ----------
    symmetry : pandas.DataFrame
        Columns ``date`` and ``metric`` (name) and ``symmetry_pct`` (weaker / stronger leg x
        100, so 100 % is perfect symmetry).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new Figure is made when not given.
    threshold_pct : float
        Symmetry below this is flagged, in %. Default 90.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    ValueError
        A required column is missing.
    """
    _require_columns(symmetry, "symmetry", ("date", "metric", "symmetry_pct"))
    fig, ax = _figure_and_axes(ax, (6.0, 2.6))
    data = symmetry.assign(_date=pd.to_datetime(symmetry["date"], errors="coerce"))
    for metric, group in data.sort_values("_date").groupby("metric", sort=True):
        ax.plot(
            group["_date"],
            group["symmetry_pct"].astype(float),
            marker="o",
            markersize=4,
            linewidth=1.2,
            label=str(metric),
            gid=f"symmetry-{metric}",
        )
    ax.axhline(
        threshold_pct,
        color=COLOR_FAIL,
        linestyle="--",
        linewidth=1,
        label=f"flag below {threshold_pct:g} %",
        gid="threshold",
    )
    ax.set_ylabel("L/R symmetry (%)")
    ax.set_ylim(top=max(101.0, ax.get_ylim()[1]))
    _date_axis(ax)
    ax.legend(loc="lower left", fontsize=7, framealpha=0.8)
    return fig


def plot_squad_overview(
    latest: pd.DataFrame,
    *,
    target_hz: float = 3.0,
    slow_contact_ms: float = 250.0,
    tolerance_hz: float = 0.0,
    fig: Figure | None = None,
) -> Figure:
    """Plot every athlete's latest hop rate and median contact against the thresholds.

    Parameters
    ----------
    latest : pandas.DataFrame
        One row per athlete and leg with ``athlete``, ``leg``, ``hop_hz`` (Hz) and
        ``contact_ms`` (ms), e.g. :func:`analysis.squad.latest_sessions`.
    target_hz : float
        Target hop rate, drawn as a line (``gid="target"``), Hz.
    slow_contact_ms : float
        Slow-rebound threshold, drawn as a line (``gid="threshold"``), ms.
    tolerance_hz : float
        A rate counts as below target only below ``target_hz - tolerance_hz``, Hz.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (two Axes are added); a new one when not given.

    Returns
    -------
    matplotlib.figure.Figure
        Bars of athletes below target or above the threshold are red.

    Raises
    ------
    ValueError
        A required column is missing.
    """
    _require_columns(latest, "latest", ("athlete", "leg", "hop_hz", "contact_ms"))
    n = len(latest)
    if fig is None:
        fig = Figure(figsize=(9.0, max(2.2, 0.28 * n + 1.0)), layout="constrained")
    ax_rate, ax_contact = fig.subplots(1, 2, sharey=True)
    data = latest.sort_values(["athlete", "leg"], ascending=False)
    labels = [f"{a} {leg}".strip() for a, leg in zip(data["athlete"], data["leg"], strict=True)]
    y = np.arange(n)
    rate = data["hop_hz"].to_numpy(dtype=float)
    contact = data["contact_ms"].to_numpy(dtype=float)
    ax_rate.barh(
        y,
        np.nan_to_num(rate),
        color=[COLOR_FAIL if r < target_hz - tolerance_hz else COLOR_TAKEOFF for r in rate],
        gid="rate-bars",
    )
    ax_rate.axvline(
        target_hz,
        color=COLOR_TARGET,
        linestyle="--",
        gid="target",
        label=f"target {target_hz:g} Hz",
    )
    ax_contact.barh(
        y,
        np.nan_to_num(contact),
        color=[COLOR_FAIL if c > slow_contact_ms else COLOR_TAKEOFF for c in contact],
        gid="contact-bars",
    )
    ax_contact.axvline(
        slow_contact_ms,
        color=COLOR_FAIL,
        linestyle="--",
        gid="threshold",
        label=f"slow above {slow_contact_ms:g} ms",
    )
    ax_rate.set_yticks(y, labels, fontsize=8)
    ax_rate.set_xlabel("hop rate (Hz)")
    ax_contact.set_xlabel("median contact (ms)")
    ax_rate.set_title("Latest hop rate", loc="left", fontsize=10)
    ax_contact.set_title("Latest median contact", loc="left", fontsize=10)
    if n:
        finite = rate[np.isfinite(rate)]
        ax_rate.set_xlim(0, max(target_hz, finite.max() if finite.size else 0) * 1.1)
    for ax in (ax_rate, ax_contact):
        ax.legend(loc="lower right", fontsize=7, framealpha=0.8)
    return fig
