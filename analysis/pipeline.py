"""The one entry point: a recording in, a :class:`~analysis.result.HopAnalysis` out."""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from analysis.clean import CLIP_FRACTION, TimeBase, _magnitude_top, _time_base, clipped_samples
from analysis.contacts import flight_sets, resolve_contacts
from analysis.detect import detect_flights
from analysis.flags import recording_flags, set_flags, union_flags
from analysis.metrics import hop_metrics
from analysis.mixed import combine, hop_set_spans, in_spans
from analysis.quality import quality_report
from analysis.result import HOP_COLUMNS, SET_COLUMNS, HopAnalysis
from analysis.sets import rebound_set_hz, set_frequency_hz, set_summaries
from analysis.settings import AnalysisSettings, rate_below
from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.recording import Recording, RecordingMeta, validate_samples

logger = logging.getLogger(__name__)


def _checked(samples: pd.DataFrame, source: str) -> pd.DataFrame:
    """Return the sample table checked; the full check (with its messages) only when needed.

    A table already in the canonical layout (float64 columns) is used as it is: time is
    checked by :func:`analysis.clean.time_base` and the acceleration through its magnitude in
    :func:`analyze`; anything else, and any failure of those checks, goes through
    :func:`imu.recording.validate_samples`, which says where the problem is.
    """
    cols = list(samples.columns)
    if (
        len(samples) >= 2
        and cols[:4] == ["time_s", "ax_g", "ay_g", "az_g"]
        and set(cols[4:]) <= {"gx_dps", "gy_dps", "gz_dps"}
        and all(samples[c].dtype == np.float64 for c in cols)
    ):
        # Time is checked by analysis.clean.time_base (finite, strictly increasing) and the
        # acceleration by its magnitude (finite only if all three axes are).
        if len(cols) in (4, 7) and all(np.isfinite(samples[c].to_numpy()).all() for c in cols[4:]):
            return samples
    return validate_samples(samples, source=source)


def _empty_hops() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in HOP_COLUMNS})
    return out.astype(
        {
            "set": np.int64,
            "hop": np.int64,
            "impact_clipped": bool,
            "edge_lost": object,
            "exercise": object,
        }
    )


def analyze(
    data: Recording | pd.DataFrame,
    *,
    settings: AnalysisSettings | None = None,
    meta: RecordingMeta | None = None,
) -> HopAnalysis:
    """Find every contact and flight of a recording and summarise its sets.

    Parameters
    ----------
    data : Recording or pandas.DataFrame
        A recording, or a sample table with ``time_s`` (s) and ``ax_g``, ``ay_g``, ``az_g``
        (g, gravity included). Not modified.
    settings : AnalysisSettings, optional
        Thresholds and detector settings; defaults documented in ``docs/detection.md``.
    meta : RecordingMeta, optional
        Metadata (nominal rate, range, body mass, loss counts); overrides the recording's.

    Returns
    -------
    HopAnalysis
        With ``settings.exercise`` "auto", a session of both drills: each set found as repeated
        hops or rebound jumps and judged by that drill's rules (:mod:`analysis.mixed`).
        Per-hop table, set table, flags, quality figures, the settings used, the metadata and
        ``info`` with the analysed signal (``time_s``, ``magnitude_g``), ``gaps`` as
        ``(start_s, end_s)`` pairs, the flight table (``flights``), impact candidates that did
        not end a flight (``rejected_candidates``) and implausible contacts
        (``rejected_contacts``, with a ``reason`` column).

    Raises
    ------
    InvalidRecordingError
        The sample table is not valid (missing columns, non-finite values, time not
        strictly increasing, no samples).
    TypeError
        ``data`` is neither a Recording nor a DataFrame.

    Warns
    -----
    HopscopeWarning
        The effective sample rate is below ``settings.min_sample_rate_hz`` (timing is coarse).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.arange(0, 5, 0.01)
    >>> still = pd.DataFrame({"time_s": t, "ax_g": 0 * t, "ay_g": 0 * t, "az_g": 1 + 0 * t})
    >>> analyze(still).n_hops
    0
    """
    settings = settings or AnalysisSettings()
    # The time base, the magnitude and the flights do not depend on the drill: found once.
    signal = _signal(data, settings, meta)
    if settings.exercise == "auto":
        return _analyze_both(signal, settings)
    return _analyze(signal, settings)


def _analyze_both(signal: _Signal, settings: AnalysisSettings) -> HopAnalysis:
    """:func:`analyze` of a session of both drills (``exercise="auto"``, :mod:`analysis.mixed`).

    The recording is analysed as repeated hops, then as rebound jumps outside the hop sets
    found (so that each rebound set holds jumps only; skipped when no flight lies outside
    them), and the two are joined.
    """
    hops = _analyze(signal, settings.replace(exercise="hops"))
    spans = hop_set_spans(hops, margin_s=settings.set_gap_s)
    flights = hops.info["flights"]
    if len(flights) and not _outside(flights, spans).any():
        # Every flight is within a hop set: the rebound analysis would find nothing.
        return combine(hops, None, settings)
    rebound = _analyze(signal, settings.replace(exercise="rebound"), skip_spans=spans)
    return combine(hops, rebound, settings)


def _outside(flights: pd.DataFrame, spans: np.ndarray) -> np.ndarray:
    """Whether each flight has neither edge within the spans (what :func:`_analyze` keeps)."""
    return ~(in_spans(flights["takeoff_s"], spans) | in_spans(flights["landing_s"], spans))


class _Signal(NamedTuple):
    """What the analysis of either drill starts from (:func:`_signal`)."""

    meta: RecordingMeta
    source: str
    time_s: np.ndarray
    time_base: TimeBase
    #: The gaps as (start_s, end_s) pairs.
    gaps: list[tuple[float, float]]
    magnitude_g: np.ndarray
    clipped: np.ndarray
    flights: pd.DataFrame
    candidates: pd.DataFrame


def _signal(
    data: Recording | pd.DataFrame, settings: AnalysisSettings, meta: RecordingMeta | None
) -> _Signal:
    """Check the samples; find the time base, the magnitude, clipping and the flights.

    None of these depends on the drill (``settings.exercise``).
    """
    if isinstance(data, Recording):
        samples = data.samples
        meta = meta or data.meta
        source = data.source or "<recording>"
    elif isinstance(data, pd.DataFrame):
        samples = data
        meta = meta or RecordingMeta()
        source = "<samples>"
    else:
        raise TypeError(f"`data` must be a Recording or a DataFrame, got {type(data).__name__}")
    samples = _checked(samples, source)
    if len(samples) < 2:
        raise InvalidRecordingError(source, "expected at least two samples")

    t = samples["time_s"].to_numpy(dtype=np.float64)
    try:
        tb = _time_base(t, max_gap_samples=settings.max_gap_samples)
    except ValueError as exc:
        validate_samples(samples, source=source)  # raises with the line and what is wrong
        raise InvalidRecordingError(source, str(exc)) from None
    if rate_below(tb.effective_rate_hz, settings.min_sample_rate_hz):
        warnings.warn(
            f"sample rate {tb.effective_rate_hz:.0f} Hz is below {settings.min_sample_rate_hz:g} Hz:"
            f" event timing is coarse (one sample = {1e3 / tb.effective_rate_hz:.1f} ms);"
            " record at 200 Hz or more",
            HopscopeWarning,
            stacklevel=2,
        )
    # The largest magnitude (taken block by block with it) is NaN or infinite when any is.
    mag, top_g = _magnitude_top(samples)
    if not np.isfinite(top_g):
        validate_samples(samples, source=source)  # raises with the line and the column
        raise InvalidRecordingError(
            source, "expected acceleration values of a plausible size (their magnitude overflows)"
        )
    if meta.range_g is not None and meta.range_g > 0 and top_g < CLIP_FRACTION * meta.range_g:
        # No axis can be at full scale when the magnitude never gets there.
        clipped = np.zeros(len(mag), dtype=bool)
    else:
        clipped = clipped_samples(samples, range_g=meta.range_g, magnitude=mag)

    flights, candidates = detect_flights(
        t,
        mag,
        sampling_rate_hz=tb.effective_rate_hz,
        clipped=clipped,
        gap_index=tb.gap_index,
        settings=settings.detection,
    )
    return _Signal(meta, source, t, tb, tb.gaps_s(t), mag, clipped, flights, candidates)


def _analyze(
    signal: _Signal, settings: AnalysisSettings, *, skip_spans: np.ndarray | None = None
) -> HopAnalysis:
    """:func:`analyze` for one drill; flights with an edge within ``skip_spans`` are left out.

    ``skip_spans`` is a ``(k, 2)`` array of (start_s, end_s).
    """
    meta, source, t, tb, gaps, mag, clipped, flights, candidates = signal
    body_mass = settings.body_mass_kg if settings.body_mass_kg is not None else meta.body_mass_kg
    if skip_spans is not None and len(skip_spans) and len(flights):
        flights = flights.loc[_outside(flights, skip_spans)].reset_index(drop=True)
    flights = flights.assign(set=flight_sets(flights, gaps, settings))
    resolved = resolve_contacts(
        flights,
        candidates,
        time_s=t,
        magnitude_g=mag,
        time_base=tb,
        gaps=gaps,
        settings=settings,
        skip_spans=skip_spans,
    )
    contacts, rejected_contacts = resolved.plausible, resolved.rejected
    rebound = settings.exercise == "rebound"
    set_hz: dict[int, float] = {}
    if not rebound and len(contacts):
        # Set frequency from the set's landings, rejected contacts included: a contact left
        # out (or lost in a gap) must not lower the set's rate.
        # (Grouped with numpy: sets in order, each set's landings in their order.)
        landings = resolved.landings
        set_of = landings["set"].to_numpy()
        order = np.argsort(set_of, kind="stable")
        keys, first = np.unique(set_of[order], return_index=True)
        groups = np.split(landings["landing_s"].to_numpy()[order], first[1:])[: len(keys)]
        takeoff_groups = np.split(
            landings["takeoff_s"].to_numpy(dtype=np.float64)[order], first[1:]
        )[: len(keys)]
        of_set = contacts["set"].to_numpy()
        edge_lost = contacts["edge_lost"].to_numpy()
        lost_landing = edge_lost == "landing"
        contact_edges = (
            edge_lost,
            contacts["landing_s"].to_numpy(dtype=np.float64),
            contacts["takeoff_s"].to_numpy(dtype=np.float64),
        )
        sets_with_lost = set(of_set[lost_landing].tolist())
        for old_set, landings, takeoffs in zip(keys.tolist(), groups, takeoff_groups, strict=True):
            if old_set in sets_with_lost:
                in_set = of_set == old_set
                landings, takeoffs = _lost_end_landings(
                    landings, takeoffs, *(a[in_set] for a in contact_edges)
                )
            set_hz[int(old_set)] = set_frequency_hz(landings, takeoff_s=takeoffs)
    if rebound and len(contacts):
        set_hz = rebound_set_hz(contacts, gaps, settings)
    # Renumber sets 1.. over the sets that kept a contact.
    if len(contacts):
        old_sets, contacts["set"] = np.unique(contacts["set"].to_numpy(), return_inverse=True)
        contacts["set"] += 1
        set_hz = {i + 1: set_hz[int(o)] for i, o in enumerate(old_sets) if int(o) in set_hz}
    hops = hop_metrics(contacts, body_mass_kg=body_mass) if len(contacts) else _empty_hops()
    hops["exercise"] = settings.exercise

    quality = quality_report(
        tb,
        n_samples=len(t),
        meta=meta,
        clipped=clipped,
        hops=hops,
        rejected_contacts=len(rejected_contacts),
        min_sample_rate_hz=settings.min_sample_rate_hz,
    )
    low_rate = bool(quality["coarse_timing"])
    sets = set_summaries(hops, slow_contact_ms=settings.slow_contact_ms, set_hz=set_hz)
    sets["exercise"] = settings.exercise
    sets["flags"] = set_flags(sets, hops, settings=settings, gaps_s=gaps, low_sample_rate=low_rate)
    sets = sets.loc[:, list(SET_COLUMNS)]
    flags = union_flags(recording_flags(quality, settings=settings), *sets["flags"].tolist())
    info: dict[str, Any] = {
        "time_s": t,
        "magnitude_g": mag,
        "gaps": gaps,
        "clipped": clipped,
        "flights": flights,
        "rejected_candidates": candidates,
        "rejected_contacts": rejected_contacts,
        "sampling_rate_hz": tb.effective_rate_hz,
        "source": source,
    }
    if not len(hops):
        logger.info("no complete contacts found in %s", source)
    return HopAnalysis(
        hops=hops,
        sets=sets,
        flags=flags,
        quality=quality,
        settings=settings,
        meta=meta,
        info=info,
    )


def _lost_end_landings(
    landing_s: np.ndarray,
    takeoff_s: np.ndarray,
    edge_lost: np.ndarray,
    contact_landing_s: np.ndarray,
    contact_takeoff_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return a set's landings, with its first and last put back when lost in a gap.

    ``takeoff_s`` are the take-offs of ``landing_s``; they are returned with the landings,
    NaN for a landing put back (its contact time was not measured).

    ``(n − 1) / (last − first)`` needs the set's first and last landings. When the set's
    first (or last) contact kept only its take-off (``edge_lost`` "landing"), its landing lay
    a whole number of hop periods before the first recorded landing (after the last): that
    number is the one nearest to where the take-off, less the set's median contact, puts it,
    and the period is the median of the three recorded periods nearest that end. The
    landing is put half-way between that place and the take-off less the median contact of
    the three timed contacts at that end, unless the two are a quarter period apart or
    more (then the rhythm's place is kept). Without three recorded periods the landings are
    returned as they are.

    ``edge_lost``, ``contact_landing_s`` and ``contact_takeoff_s`` are the set's contacts'
    columns of those names, in set order.
    """
    landing_s = np.asarray(landing_s, dtype=np.float64)
    if len(landing_s) < 4 or not (edge_lost == "landing").any():
        return landing_s, takeoff_s
    # The contact times of the timed contacts (both edges recorded), in set order.
    timed_s = (contact_takeoff_s - contact_landing_s)[edge_lost == ""]
    contact_s = float(np.median(timed_s)) if len(timed_s) else np.nan
    steps = np.diff(landing_s)
    out = landing_s
    for end in (0, -1):
        if edge_lost[end] != "landing" or not np.isfinite(contact_s):
            continue
        period = float(np.median(steps[:3] if end == 0 else steps[-3:]))
        guess = float(contact_takeoff_s[end]) - contact_s
        k = round(((landing_s[0] - guess) if end == 0 else (guess - landing_s[-1])) / period)
        if k < 1:
            continue
        place = landing_s[0] - k * period if end == 0 else landing_s[-1] + k * period
        # A second estimate: the take-off less the contact time of the three timed contacts
        # at that end. Their errors are independent, so the two are averaged, unless they
        # are a quarter period apart or more: one is then wrong, and the rhythm is kept.
        near = timed_s[:3] if end == 0 else timed_s[-3:]
        by_contact = float(contact_takeoff_s[end]) - float(np.median(near))
        if abs(by_contact - place) < 0.25 * period:
            place = 0.5 * (place + by_contact)
        if end == 0:
            out = np.r_[place, out]
            takeoff_s = np.r_[np.nan, takeoff_s]
        else:
            out = np.r_[out, place]
            takeoff_s = np.r_[takeoff_s, np.nan]
    return out, takeoff_s


def analyze_file(
    path: str | os.PathLike[str],
    *,
    settings: AnalysisSettings | None = None,
    format: str | None = None,
    **load_options: Any,
) -> HopAnalysis:
    """Load a recording in any supported format and analyse it.

    Parameters
    ----------
    path : str or path-like
        The recording file.
    settings : AnalysisSettings, optional
        Analysis settings.
    format : str, optional
        Format name, when it should not be detected from the content.
    **load_options
        Options of :func:`imu.formats.load` (``time_col``, ``acc_cols``, ``units``,
        ``time_units``, ...).

    Returns
    -------
    HopAnalysis
        The analysis (see :func:`analyze`).

    Raises
    ------
    InvalidRecordingError
        The file cannot be read or holds bad values.
    """
    from imu.formats import load

    recording = load(path, format=format, **load_options)
    return analyze(recording, settings=settings)
