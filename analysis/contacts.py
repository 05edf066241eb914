"""From flights to plausible contacts, including those that gaps and the rhythm reveal.

The detector (:mod:`analysis.detect`) gives flights; this module groups them into sets, pairs
them into contacts (a landing, then the take-off of the next flight), rejects implausible
contacts with a reason, seeks take-offs again near the set's median contact, and recovers what
the magnitude alone misses: contacts with an edge lost in a gap of the data, two contacts
joined by a gap over a whole flight, one contact split by a landing inside it, and contacts
hidden in a flight that spans whole hop periods. ``docs/detection.md`` describes each rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import TimeBase
from analysis.detect import (
    PUSH_OFF_MS,
    PUSH_OFF_RISE_G,
    UNLOADED_G,
    _crosses_gap,
    doubled_rows,
    retime_takeoffs,
    takeoffs_after_stance_dips,
    takeoffs_before_limb_motion,
)
from analysis.lead_in import lead_in_contacts
from analysis.lead_out import CLEAR_FLIGHT_G, lead_out_contacts
from analysis.sets import check_contacts, group_flights, jumps_lost_in_gaps, pair_contacts
from analysis.settings import AnalysisSettings


@dataclass(frozen=True)
class Contacts:
    """The contacts of a recording, as :func:`resolve_contacts` settles them.

    Attributes
    ----------
    plausible : pandas.DataFrame
        Contacts kept (:data:`analysis.sets.CONTACT_EVENT_COLUMNS` and ``edge_lost``), with
        the set numbers of the flights (not yet renumbered).
    rejected : pandas.DataFrame
        Implausible contacts, with a ``reason`` column.
    landings : pandas.DataFrame
        ``set``, ``landing_s`` and ``takeoff_s`` (s; NaN where not found) of the landings the
        set frequency is taken from.
    """

    plausible: pd.DataFrame
    rejected: pd.DataFrame
    landings: pd.DataFrame


def flight_sets(
    flights: pd.DataFrame, gaps: list[tuple[float, float]], settings: AnalysisSettings
) -> np.ndarray:
    """Set number of each flight (:func:`analysis.sets.group_flights`).

    Ground time after a flight whose landing was lost in a gap is counted from the end of the
    gap; for rebound jumps, a flight whose landing comes soon enough after the landing before
    it stays with that landing (:func:`_rebound_jump_flights`).

    Parameters
    ----------
    flights : pandas.DataFrame
        The detector's flights (:func:`analysis.detect.detect_flights`).
    gaps : list of (float, float)
        Gaps of the recording, (start_s, end_s).
    settings : AnalysisSettings
        ``set_gap_s``, the exercise and its limits.

    Returns
    -------
    numpy.ndarray of int
        1-based set number of each flight.
    """
    set_of = group_flights(
        flights["takeoff_s"].to_numpy(),
        _landing_or_gap_end(flights, gaps),
        set_gap_s=settings.set_gap_s,
        gaps_s=gaps,
    )
    if settings.exercise == "rebound":
        set_of = _rebound_jump_flights(flights, set_of, settings)
    return set_of


def _dip_filled(time_base: TimeBase, settings: AnalysisSettings) -> bool:
    """Whether the sample period is coarse enough for a take-off's dip to be filled in.

    That is where a take-off fall need not reach ``takeoff_bottom_g``
    (:meth:`~analysis.settings.DetectionSettings.takeoff_bottom_at`: periods over 10 ms).
    """
    detection = settings.detection
    rate_hz = time_base.effective_rate_hz
    return detection.takeoff_bottom_at(rate_hz) > detection.takeoff_bottom_g


def resolve_contacts(
    flights: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    time_base: TimeBase,
    gaps: list[tuple[float, float]],
    settings: AnalysisSettings,
    skip_spans: np.ndarray | None = None,
) -> Contacts:
    """Turn flights into plausible contacts, rejected contacts and the landings of each set.

    Parameters
    ----------
    flights : pandas.DataFrame
        The detector's flights with a ``set`` column (:func:`flight_sets`).
    candidates : pandas.DataFrame
        Impact candidates that ended no flight (:data:`analysis.detect.CANDIDATE_COLUMNS`).
    time_s, magnitude_g : numpy.ndarray
        The signal analysed (s, g).
    time_base : analysis.clean.TimeBase
        Its time base (effective rate, gaps).
    gaps : list of (float, float)
        Gaps of the recording, (start_s, end_s).
    settings : AnalysisSettings
        Plausibility limits and tolerances, the exercise, detector settings.
    skip_spans : numpy.ndarray, optional
        ``(k, 2)`` spans (start_s, end_s) whose flights were left out (the hop sets of a
        session of both drills): no rebound jump is taken to be lost in a gap across one.

    Returns
    -------
    Contacts
        The contacts kept, those rejected with their reason, and the landings for the set
        frequency.
    """
    contacts = pair_contacts(flights)
    # A landing that touches a gap is not timed (its impact may be lost in the gap): the
    # contact before it keeps its landing and take-off but has no flight (the next landing
    # is unknown), and the contact it starts is rejected below. A flight with a gap inside
    # is not measured either: whole contacts may be lost in the gap.
    gap_next = contacts["next_landing_gap"].to_numpy(dtype=bool) | _flight_has_gap(contacts, gaps)
    # (The next landing still bounds the search for a take-off found again below.)
    next_landing = contacts["next_landing_s"].to_numpy()
    if gap_next.any():
        contacts = contacts.assign(
            next_landing_s=np.where(gap_next, np.nan, contacts["next_landing_s"].to_numpy())
        )
    at_gap = contacts["landing_gap"].to_numpy(dtype=bool)
    # A take-off lost in a gap is not sought again: a later fall would be limb motion.
    takeoff_lost = contacts["takeoff_gap"].to_numpy(dtype=bool) & ~at_gap
    rebound = settings.exercise == "rebound"
    split_off = contacts.iloc[:0]  # second contacts of those joined into one
    # Where take-offs are sought again below (a take-off lost in a gap is not: it goes in
    # as NaN, and none comes back for it).
    search: dict[str, Any] = {
        "sampling_rate_hz": time_base.effective_rate_hz,
        "gap_index": time_base.gap_index,
        "settings": settings.detection,
    }
    if rebound:
        # One contact per jump: group the jumps into sets first, so that each contact is
        # checked against the other jumps of its set. Rest between jumps makes periods
        # meaningless, so they are not checked.
        contacts = _group_rebounds(contacts, gaps, settings, skip_spans)
        # A dip of a long stance taken for a flight splits one jump's contact in two: the
        # two are joined before the take-off is sought again, so that the push-off after the
        # dip is sought in the whole contact.
        second = _rebound_dip_splits(
            contacts, at_gap | takeoff_lost, gap_next, time_s, magnitude_g, settings
        )
        if second.any():
            contacts, split_off, next_landing, at_gap, takeoff_lost = _join_split(
                contacts, second, second, next_landing, at_gap, takeoff_lost
            )
        # A dip of a long stance taken for the take-off: the push-off after it is; and the
        # end of limb motion in the flight taken for it: the push-off before it is.
        takeoff = np.where(takeoff_lost, np.nan, contacts["takeoff_s"].to_numpy())
        later = takeoffs_after_stance_dips(
            time_s,
            magnitude_g,
            takeoff_s=takeoff,
            next_landing_s=contacts["next_landing_s"].to_numpy(),
            **search,
        )
        takeoff = np.where(np.isfinite(later), later, takeoff)
        earlier = takeoffs_before_limb_motion(
            time_s,
            magnitude_g,
            landing_s=contacts["landing_s"].to_numpy(),
            takeoff_s=takeoff,
            weak_push_off=True,
            **search,
        )
        takeoff = np.where(np.isfinite(earlier), earlier, takeoff)
        contacts = contacts.assign(
            takeoff_s=np.where(takeoff_lost, contacts["takeoff_s"].to_numpy(), takeoff)
        )
    elif _dip_filled(time_base, settings):
        # Repeated hops at a coarse rate, where the low-pass can fill in the dip between
        # the push-off and limb motion right after it: a take-off taken from a fall with no
        # push-off before it (no rise of PUSH_OFF_RISE_G) is the end of that motion, and the
        # last push-off before it whose fall ends below UNLOADED_G is the take-off (a heel
        # touch falls back to body weight). (At finer rates the dip is sampled and such a
        # fall is a take-off from a weak push-off.)
        earlier = takeoffs_before_limb_motion(
            time_s,
            magnitude_g,
            landing_s=contacts["landing_s"].to_numpy(),
            takeoff_s=np.where(takeoff_lost, np.nan, contacts["takeoff_s"].to_numpy()),
            plateau_rise_g=PUSH_OFF_RISE_G,
            plateau_ms=PUSH_OFF_MS,
            push_off_below_g=UNLOADED_G,
            **search,
        )
        contacts = contacts.assign(
            takeoff_s=np.where(np.isfinite(earlier), earlier, contacts["takeoff_s"].to_numpy())
        )
    check = {
        "min_contact_ms": settings.min_contact_ms,
        "max_contact_ms": settings.contact_limit_ms,
        "period_tolerance": np.inf if rebound else settings.period_tolerance,
        "contact_tolerance": settings.contact_tolerance,
    }
    reasons = _checked_contacts(contacts, at_gap, takeoff_lost, check)
    # A push-off peak or a limb bump (repeated hops), or a heel touch or push-off peak after a
    # dip of the stance, taken for a landing splits one contact in two; the two are joined.
    # The second contact's take-off is kept after a dip (``after_dip``); the take-off of
    # other repeated hops is sought again below.
    after_dip = _dip_split_contacts(contacts, reasons, at_gap, time_s, magnitude_g, settings)
    if rebound:
        extra = after_dip
    else:
        extra = _split_contacts(contacts, reasons, at_gap, settings)
        if after_dip.any():  # (the set medians only when there is something to confirm)
            after_dip &= _dip_in_rhythm(contacts, reasons, settings)
            # (A contact joined by the rhythm is not joined again.)
            after_dip &= ~(extra | np.r_[extra[1:], False] | np.r_[False, extra[:-1]])
        extra |= after_dip
    if extra.any():
        contacts, joined, next_landing, at_gap, takeoff_lost = _join_split(
            contacts, extra, after_dip, next_landing, at_gap, takeoff_lost
        )
        split_off = pd.concat([split_off, joined]) if len(split_off) else joined
        reasons = _checked_contacts(contacts, at_gap, takeoff_lost, check)
    # Contacts whose take-off was taken from the wrong fall: look again near the contact
    # time of the set's other hops (implausible ones, and those more than retry_tolerance
    # from the set's median contact, plausible or rejected for their period only: an early
    # take-off before a missed landing; a new take-off is kept only if it is closer to it).
    retry = np.isin(
        reasons,
        ["irregular contact", "take-off not found", "contact too short", "contact too long"],
    )
    good = contacts.loc[reasons == ""]
    expected = _expected_contact_ms(contacts, good)
    if rebound:
        # A rebound contact that may have lost its take-off in a gap inside it, and been
        # timed at the end of limb motion after the gap, is left out of the contact expected
        # (with few jumps in a set, it moves the median a long way).
        suspect = _rebound_takeoff_in_gap(contacts, reasons, at_gap | takeoff_lost, gaps, settings)
        if suspect.any():
            expected = _expected_contact_ms(contacts, contacts.loc[(reasons == "") & ~suspect])
    contact_now = (contacts["takeoff_s"] - contacts["landing_s"]).to_numpy() * 1e3
    with np.errstate(invalid="ignore", divide="ignore"):
        off_now = np.abs(contact_now / expected - 1.0)
    retry |= np.isin(reasons, ["", "irregular period"]) & (off_now > settings.retry_tolerance)
    if retry.any():
        new_takeoff = retime_takeoffs(
            time_s,
            magnitude_g,
            sampling_rate_hz=time_base.effective_rate_hz,
            landing_s=contacts["landing_s"].to_numpy()[retry],
            expected_contact_ms=expected[retry],
            next_landing_s=next_landing[retry],
            tolerance=settings.contact_tolerance,
            gap_index=time_base.gap_index,
            settings=settings.detection,
        )
        takeoffs = contacts["takeoff_s"].to_numpy().copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            off_new = np.abs(
                (new_takeoff - contacts["landing_s"].to_numpy()[retry]) * 1e3 / expected[retry]
                - 1.0
            )
        # Keep the new take-off when the old one was not plausible or the new one is closer.
        found = np.isfinite(new_takeoff) & ~(off_new >= np.nan_to_num(off_now[retry], nan=np.inf))
        takeoffs[np.flatnonzero(retry)[found]] = new_takeoff[found]
        contacts = contacts.assign(takeoff_s=takeoffs)
        reasons = _checked_contacts(contacts, at_gap, takeoff_lost, check)
    if rebound:
        # A take-off lost in a gap where the set's other jumps take off: the fall found after
        # the gap (and no take-off sought again before it) is the end of limb motion.
        lost = _rebound_takeoff_in_gap(contacts, reasons, at_gap | takeoff_lost, gaps, settings)
        if lost.any():
            takeoff_lost = takeoff_lost | lost
            reasons = _checked_contacts(contacts, at_gap, takeoff_lost, check)
    # A contact with an edge lost in a gap happened all the same: it is kept, counted and
    # shown with the lost edge empty (NaN), and gives no contact time.
    edge_lost = _lost_edges(contacts, reasons, at_gap, gaps, next_landing, settings)
    if (edge_lost != "").any():
        reasons = np.where(edge_lost != "", "", reasons)
        contacts = contacts.assign(
            landing_s=np.where(edge_lost == "landing", np.nan, contacts["landing_s"]),
            takeoff_s=np.where(edge_lost == "takeoff", np.nan, contacts["takeoff_s"]),
        )
    contacts = contacts.assign(edge_lost=edge_lost)
    if not rebound:
        # A soft landing missed, and the push-off peak of its contact taken for the landing.
        late = _late_landings(contacts, reasons, next_landing, settings)
        if late.any():
            contacts, reasons, next_landing, dropped = _landings_in_rhythm(
                contacts,
                reasons,
                late,
                next_landing,
                time_s,
                magnitude_g,
                candidates,
                gaps,
                time_base,
                settings,
            )
            if len(dropped):
                split_off = pd.concat([split_off, dropped])
        # A regular contact whose next landing comes a whole number of hop periods later:
        # the flight after it hides contacts that left no impact and is not measured.
        periods = _spans_missed_hops(contacts, reasons, settings)
        spans = periods > 0
        reasons = np.where(spans, "", reasons)
        contacts = contacts.assign(
            next_landing_s=np.where(spans, np.nan, contacts["next_landing_s"].to_numpy())
        )
        # One hop hidden in a flight two hop periods long (seen, or with a gap in it): sought
        # where the rhythm puts it.
        periods = np.maximum(
            periods, _gap_flight_periods(contacts, reasons, next_landing, settings)
        )
        hidden = _hidden_contacts(
            contacts,
            periods,
            next_landing,
            reasons,
            time_s,
            magnitude_g,
            candidates,
            gaps,
            time_base,
            settings,
        )
        if len(hidden):
            contacts, reasons, next_landing = _insert_hidden(
                contacts, reasons, hidden, next_landing, gaps
            )
        # A take-off lost in a gap that swallowed whole hops as well.
        lost = _takeoff_lost_over_hops(contacts, reasons, next_landing, gaps, settings)
        if lost.any():
            reasons = np.where(lost, "", reasons)
            contacts = contacts.assign(
                takeoff_s=np.where(lost, np.nan, contacts["takeoff_s"].to_numpy()),
                next_landing_s=np.where(lost, np.nan, contacts["next_landing_s"].to_numpy()),
                edge_lost=np.where(lost, "takeoff", contacts["edge_lost"].to_numpy()),
            )
        # A gap over a whole flight joins the contacts before and after it into one.
        joined = _flight_in_gap(contacts, reasons, gaps, next_landing, settings)
        if joined.any():
            contacts, reasons = _split_at_gap(contacts, reasons, joined)
        # A soft first landing hides the set's first contact in the flight into the set.
        lead_ins = lead_in_contacts(
            contacts, reasons, flights, time_s, magnitude_g, time_base, gaps, settings
        )
        if len(lead_ins):
            before = lead_ins["before"].to_numpy()
            contacts, order = _inserted(contacts, lead_ins.drop(columns="before"), before - 0.5)
            reasons = np.r_[reasons, [""] * len(lead_ins)][order]
        # A soft final landing hides the set's last hop (no flight after its landing).
        lead_outs = lead_out_contacts(
            contacts, reasons, flights, time_s, magnitude_g, time_base, gaps, settings
        )
        if len(lead_outs):
            after = lead_outs["after"].to_numpy()
            contacts, order = _inserted(contacts, lead_outs.drop(columns="after"), after + 0.5)
            reasons = np.r_[reasons, [""] * len(lead_outs)][order]
    bad = reasons != ""
    rejected_contacts = contacts.loc[bad].assign(reason=reasons[bad])
    if len(split_off):
        rejected_contacts = pd.concat(
            [rejected_contacts, split_off.assign(edge_lost="", reason=REASON_SPLIT)]
        ).sort_values("landing_s", kind="stable")
    rejected_contacts = rejected_contacts.reset_index(drop=True)
    # Landings for the set frequency: those of plausible contacts and of contacts too long
    # (a take-off found late). A contact too short, an irregular contact or period, or one
    # without a take-off may come from a wrong landing (an extra one, one taken late, or one
    # whose contact has no fall into flight), and landings at a gap are not timed; the
    # frequency counts the whole hop periods between the landings it keeps, so leaving one
    # out does not lower it.
    all_landings = contacts.loc[
        np.isin(reasons, ["", "contact too long"]), ["set", "landing_s", "takeoff_s"]
    ]
    all_landings = all_landings.loc[np.isfinite(all_landings["landing_s"].to_numpy())]
    contacts = contacts.loc[~bad].reset_index(drop=True)
    return Contacts(plausible=contacts, rejected=rejected_contacts, landings=all_landings)


def _flight_has_gap(contacts: pd.DataFrame, gaps: list[tuple[float, float]]) -> np.ndarray:
    """Whether a gap lies within each contact's flight (take-off, or landing, to next landing)."""
    out = np.zeros(len(contacts), dtype=bool)
    if not gaps or not len(contacts):
        return out
    start = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    start = np.where(np.isfinite(start), start, contacts["landing_s"].to_numpy(dtype=np.float64))
    end = contacts["next_landing_s"].to_numpy(dtype=np.float64)
    gap_start = np.array([g[0] for g in gaps])
    # A gap starting at or after the flight's start and before its end.
    out = _crosses_gap(gap_start, start, end)
    return out & np.isfinite(end)


#: Reason given in ``info["rejected_contacts"]`` for a contact whose landing touches a gap.
REASON_LANDING_GAP = "landing at a gap"
#: Reason given in ``info["rejected_contacts"]`` for a contact whose take-off was lost in a gap.
REASON_TAKEOFF_GAP = "take-off at a gap"


def _checked_contacts(
    contacts: pd.DataFrame, at_gap: np.ndarray, takeoff_lost: np.ndarray, check: dict[str, Any]
) -> np.ndarray:
    """:func:`analysis.sets.check_contacts`, and contacts with an edge at a gap rejected."""
    reasons = check_contacts(contacts, **check)
    reasons[takeoff_lost] = REASON_TAKEOFF_GAP
    reasons[at_gap] = REASON_LANDING_GAP
    return reasons


#: Reason given in ``info["rejected_contacts"]`` for a landing found inside a contact.
REASON_SPLIT = "landing inside a contact"


#: What a contact split in two by a landing inside it is rejected for.
_SPLIT_REASONS = (
    "irregular period",
    "irregular contact",
    "contact too short",
    "take-off not found",
)


def _split_contacts(
    contacts: pd.DataFrame, reasons: np.ndarray, at_gap: np.ndarray, settings: AnalysisSettings
) -> np.ndarray:
    """Landings that split one contact in two (repeated hops): True for the second contact.

    A push-off peak, or limb motion right after take-off, can end a short dip of the magnitude
    within a contact and be taken for a landing. Two consecutive contacts of a set are then
    both implausible (:data:`_SPLIT_REASONS`) and too short in period (by more than
    ``period_tolerance``), and together they last one hop period: their periods add up to
    the set's median period (of its plausible contacts) within ``period_tolerance``. The first
    contact's own landing must be in rhythm with the landing before it (when that is known),
    and no landing involved may touch a gap.
    """
    n = len(contacts)
    out = np.zeros(n, dtype=bool)
    maybe = np.isin(reasons, _SPLIT_REASONS)
    if n < 2 or not (maybe[:-1] & maybe[1:]).any():
        return out
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    nxt = contacts["next_landing_s"].to_numpy(dtype=np.float64)
    sets = contacts["set"].to_numpy()
    ok = reasons == ""
    set_period = _set_median(nxt - landing, ok, sets)
    tol = settings.period_tolerance
    gap = at_gap | contacts["next_landing_gap"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        short = maybe & ((nxt - landing) < (1 - tol) * set_period)
        short &= ~gap
        pair = short[:-1] & short[1:] & (sets[:-1] == sets[1:])
        whole = np.abs((nxt[1:] - landing[:-1]) / set_period[:-1] - 1.0) <= tol
        prev = np.r_[np.nan, landing[:-2]]
        prev_same = np.r_[False, sets[1:-1] == sets[:-2]]
        in_rhythm = ~prev_same | (np.abs((landing[:-1] - prev) / set_period[:-1] - 1.0) <= tol)
    pair &= whole & in_rhythm
    # A contact joined to the one before cannot also be joined to the one after.
    for i in np.flatnonzero(pair):
        if i == 0 or not out[i]:
            out[i + 1] = True
    return out


#: Retimed or not, these reasons may mean that the take-off was lost in a gap.
_TAKEOFF_MISSING = ("take-off not found", "irregular contact", "contact too long")


def _joined_without_flight(
    contacts: pd.DataFrame,
    pair: np.ndarray,
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Second contacts of the pairs that are one contact with no flight between them.

    ``pair[i]`` marks contacts ``i`` and ``i + 1`` as candidates (the caller's own
    conditions). A pair is joined when both lie in one set, the second impact is the weaker,
    the joined contact (to the second contact's take-off, where it has one) is no longer than
    the exercise's contact limit, and the magnitude stays at or above
    :data:`analysis.detect.CLEAR_FLIGHT_G` from the first landing's impact peak (the landing
    lies on the impact's rise, and the peak is sought within ``impact_guard_ms``) to the
    second landing. A contact joined to the one before it is not also joined to the one
    after.
    """
    out = np.zeros(len(contacts), dtype=bool)
    if len(contacts) < 2:
        return out
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    sets = contacts["set"].to_numpy()
    peak = contacts["impact_peak_g"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        joined_ms = (takeoff[1:] - landing[:-1]) * 1e3
        pair = (
            pair
            & (peak[1:] < peak[:-1])
            & (sets[:-1] == sets[1:])
            & ((joined_ms <= settings.contact_limit_ms) | np.isnan(takeoff[1:]))
        )
    guard_s = settings.detection.impact_guard_ms / 1e3
    for i in np.flatnonzero(pair).tolist():
        if out[i]:
            continue
        a, top, b = np.searchsorted(time_s, [landing[i], landing[i] + guard_s, landing[i + 1]])
        if b <= a:
            continue
        a += int(np.argmax(magnitude_g[a : max(min(top, b), a + 1)]))
        if float(magnitude_g[a:b].min()) >= CLEAR_FLIGHT_G:
            out[i + 1] = True
    return out


def _dip_split_contacts(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    at_gap: np.ndarray,
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Landings after a dip of the stance that split a contact in two: True for the second.

    After a forefoot landing the magnitude can dip just below ``flight_g`` before the heel
    comes down, and the heel touch is then taken for a landing (a push-off peak after such a
    dip, too, at low rates). Two consecutive contacts of a set are joined when the first is
    implausible (:data:`_SPLIT_REASONS`) and the second implausible for one of those reasons
    or plausible, neither landing touches a gap, the second impact is the weaker (the
    landing is the contact's hardest impact; limb motion late in a flight, taken for a
    landing, is weaker than the impact after it), the magnitude never falls below
    :data:`analysis.detect.CLEAR_FLIGHT_G` from the first landing's impact peak to the
    second landing (no flight: a real one comes near free fall), and the joined contact, to
    the second contact's take-off, is no longer than the exercise's contact limit. The
    second contact may have no take-off: a push-off peak taken for a landing falls into the
    flight too soon after it for a take-off to be sought from it (the joined contact's
    take-off is then sought again near the set's median contact). Repeated hops must also
    keep their rhythm (:func:`_dip_in_rhythm`).
    """
    n = len(contacts)
    maybe = np.isin(reasons, _SPLIT_REASONS)
    # (The second may look plausible on its own: from the heel touch to the take-off.)
    second = maybe[1:] | (reasons[1:] == "")
    if n < 2 or not (maybe[:-1] & second).any():
        return np.zeros(n, dtype=bool)
    gap = at_gap | contacts["next_landing_gap"].to_numpy(dtype=bool)
    pair = maybe[:-1] & second & ~gap[:-1] & ~gap[1:]
    return _joined_without_flight(contacts, pair, time_s, magnitude_g, settings)


def _join_split(
    contacts: pd.DataFrame,
    second: np.ndarray,
    keep_takeoff: np.ndarray,
    next_landing: np.ndarray,
    at_gap: np.ndarray,
    takeoff_lost: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Join each contact marked ``second`` to the contact before it.

    The joined contact keeps the first landing and takes the second contact's next landing
    (and its flags), its take-off where ``keep_takeoff`` marks the second contact (else NaN:
    sought again) and whether that take-off was lost in a gap.

    Returns
    -------
    tuple
        The contacts after joining, the second contacts taken out, and ``next_landing``,
        ``at_gap`` and ``takeoff_lost`` for the contacts after joining.
    """
    first = np.flatnonzero(np.r_[second[1:], False])
    after = first + 1
    columns = {
        name: contacts[name].to_numpy().copy()
        for name in ("takeoff_s", "next_landing_s", "next_landing_gap")
    }
    columns["takeoff_s"][first] = np.where(keep_takeoff[after], columns["takeoff_s"][after], np.nan)
    for name in ("next_landing_s", "next_landing_gap"):
        columns[name][first] = columns[name][after]
    next_landing, takeoff_lost = next_landing.copy(), takeoff_lost.copy()
    next_landing[first] = next_landing[after]
    takeoff_lost[first] = takeoff_lost[after] & keep_takeoff[after]
    contacts = contacts.assign(**columns)
    keep = ~second
    return (
        contacts.loc[keep].reset_index(drop=True),
        contacts.loc[second],
        next_landing[keep],
        at_gap[keep],
        takeoff_lost[keep],
    )


def _rebound_dip_splits(
    contacts: pd.DataFrame,
    at_gap: np.ndarray,
    gap_next: np.ndarray,
    time_s: np.ndarray,
    magnitude_g: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Rebound contacts split in two by a dip of the stance: True for the second.

    A long stance can dip well below ``flight_g`` (the heel dropping after a heel touch, or
    the leg unloading before the push-off), and the push-off peak after the dip is then taken
    for a landing. A rebound jump has one contact between two flights, so two contacts of a
    set with no flight between them are one: they are joined when the magnitude never falls
    below :data:`analysis.detect.CLEAR_FLIGHT_G` from the first landing's impact peak to the
    second landing (a real flight comes near free fall), the second impact is the weaker,
    the first contact has a take-off, neither landing and no flight between them touches a
    gap, and the joined contact, to the second contact's take-off, is no longer than the
    exercise's contact limit. Unlike :func:`_dip_split_contacts`, the first contact need not
    be implausible: a set has few jumps, and the median it is checked against may itself
    come from split contacts.

    Parameters
    ----------
    contacts : pandas.DataFrame
        The contacts with their ``set`` (:func:`_group_rebounds`).
    at_gap : numpy.ndarray of bool
        Contacts with an edge at a gap.
    gap_next : numpy.ndarray of bool
        Contacts whose flight after them touches a gap.
    time_s, magnitude_g : numpy.ndarray
        The signal (s, g).
    settings : AnalysisSettings
        Contact limit and detector settings.

    Returns
    -------
    numpy.ndarray of bool
        True for the second contact of each pair to join; a contact joined to the one
        before it is not also joined to the one after.
    """
    if len(contacts) < 2:
        return np.zeros(len(contacts), dtype=bool)
    has_takeoff = np.isfinite(contacts["takeoff_s"].to_numpy(dtype=np.float64))
    pair = ~at_gap[:-1] & ~at_gap[1:] & ~gap_next[:-1] & has_takeoff[:-1]
    return _joined_without_flight(contacts, pair, time_s, magnitude_g, settings)


def _dip_in_rhythm(
    contacts: pd.DataFrame, reasons: np.ndarray, settings: AnalysisSettings
) -> np.ndarray:
    """Which second contacts of :func:`_dip_split_contacts` the hop rhythm confirms.

    For repeated hops the first contact must have no take-off (the dip before the heel
    touch had no fall into flight) and the joined contact must last one hop period: the
    first landing to the second contact's next landing within ``period_tolerance`` of the
    set's median period (of its plausible contacts).
    """
    n = len(contacts)
    if n < 2:
        return np.zeros(n, dtype=bool)
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    nxt = contacts["next_landing_s"].to_numpy(dtype=np.float64)
    period = _set_median(nxt - landing, reasons == "", contacts["set"].to_numpy())
    with np.errstate(invalid="ignore"):
        whole = np.abs((nxt[1:] - landing[:-1]) / period[:-1] - 1.0) <= settings.period_tolerance
    return np.r_[False, whole & np.isnan(takeoff[:-1])]


def _lost_edges(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    at_gap: np.ndarray,
    gaps: list[tuple[float, float]],
    next_landing: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Which edge of each contact was lost in a gap: ``"landing"``, ``"takeoff"`` or ``""``.

    The landing is lost when it touches a gap (its impact may be in the gap) and the
    take-off after it was timed; the contact is kept when it can have lasted
    ``min_contact_ms`` (from the start of the gap to the take-off), no longer than the
    exercise's contact limit (from the end of the gap) and, for repeated hops,
    when the previous landing and the next one are two hop periods apart (the set's median
    period, within ``period_tolerance``): limb motion in a flight interrupted by a gap fails
    both; for rebound jumps and the first contact of a set, instead, when the flight after
    it is within ``contact_tolerance`` of the median flight of the set's other contacts.
    For repeated hops a gap before the take-off (or the landing found after a gap over the
    flight) must also reach a place one set period (within ``period_tolerance``) before the
    next landing. The take-off is lost
    when the landing was timed and the fall into flight ran
    across a gap, or when no plausible take-off was found and a gap lies between the landing
    and the take-off found (or the next landing, or the longest plausible contact); for
    repeated hops, its period must then be regular when the next landing is known, and for
    rebound jumps its landing must not end the flight of a jump kept before it (that landing
    is the jump's final landing, and a gap in the standing after it is no take-off).
    """
    out = np.full(len(contacts), "", dtype=object)
    if not len(contacts) or not gaps:
        return out
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    takeoff_gap = contacts["takeoff_gap"].to_numpy(dtype=bool)
    sets = contacts["set"].to_numpy()
    nxt = np.asarray(next_landing, dtype=np.float64)
    gap_start = np.array([g[0] for g in gaps])
    hops = settings.exercise != "rebound"
    # The set's hop period: the median period of its plausible contacts.
    ok = reasons == ""
    set_period = _set_median(nxt - landing, ok, sets)
    tol = settings.period_tolerance

    # Lost landings.
    cand = at_gap & np.isfinite(takeoff) & ~takeoff_gap
    g = np.maximum(np.searchsorted(gap_start, takeoff) - 1, 0)
    gap_end = np.array([gap[1] for gap in gaps])
    g0, g1 = gap_start[g], gap_end[g]
    cand &= (takeoff - g0) * 1e3 >= settings.min_contact_ms
    cand &= (takeoff - g1) * 1e3 <= settings.contact_limit_ms
    # The flight after the contact like the set's other flights (rebound jumps, which have
    # no rhythm, and the first contact of a set, which has no landing before it).
    set_flight = _set_median(nxt - takeoff, ok, sets)
    with np.errstate(invalid="ignore"):
        usual_flight = np.abs((nxt - takeoff) / set_flight - 1.0) <= settings.contact_tolerance
    if hops:
        prev_landing = np.r_[np.nan, landing[:-1]]
        prev_same = np.r_[False, sets[1:] == sets[:-1]]
        with np.errstate(invalid="ignore"):
            two = (nxt - prev_landing) / (2 * set_period)
        cand &= np.where(prev_same, np.abs(two - 1.0) <= tol, usual_flight)
        # ... and the landing, in a gap before the take-off or where it was found (after
        # a gap over the flight), can lie one hop period before the next landing (within
        # ``period_tolerance``).
        with np.errstate(invalid="ignore"):
            lo = nxt - (1 + tol) * set_period
            hi = np.fmin(nxt - (1 - tol) * set_period, takeoff)
            seen = (landing >= lo) & (landing <= hi)
        cand &= _gap_within(gap_start, gap_end, lo, hi) | seen
    else:
        # (A jump whose flight ran into a gap too has no flight to compare: its contact
        # from the end of the first gap to its take-off was seen whole.)
        flight_lost = np.isnan(nxt) & contacts["next_landing_gap"].to_numpy(dtype=bool)
        cand &= usual_flight | flight_lost
    out[cand] = "landing"

    # Lost take-offs.
    end = np.fmax(takeoff, nxt)
    end = np.where(np.isfinite(end), end, landing + settings.contact_limit_ms / 1e3)
    gap_in = _crosses_gap(gap_start, landing, end)
    missing = (reasons == REASON_TAKEOFF_GAP) | (np.isin(reasons, _TAKEOFF_MISSING) & gap_in)
    missing &= ~at_gap & np.isfinite(landing)
    if hops:
        with np.errstate(invalid="ignore"):
            irregular = np.abs((nxt - landing) / set_period - 1.0) > tol
        missing &= ~irregular
    else:
        # A rebound jump's flight ends in its final landing, and a gap in the standing after
        # it is no take-off: a landing that ends the flight of the jump before (one kept)
        # starts no jump of its own.
        kept = ok | (out == "landing")
        final = np.r_[False, kept[:-1] & (sets[:-1] == sets[1:]) & (nxt[:-1] == landing[1:])]
        missing &= ~final
    out[missing] = "takeoff"
    return out


def _rebound_takeoff_in_gap(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    at_gap: np.ndarray,
    gaps: list[tuple[float, float]],
    settings: AnalysisSettings,
) -> np.ndarray:
    """Rebound contacts whose take-off was lost in a gap inside the contact.

    A gap inside a contact can swallow its take-off; the first fall after the gap is then
    the end of limb motion in the flight, and the contact reads long. Such a contact's
    take-off is taken as lost when it is more than ``contact_tolerance`` longer than the
    median of its set's other plausible contacts without a gap (one at least), and a gap
    inside it lies where those take off (within ``contact_tolerance`` of that median after
    the landing). ``at_gap``: contacts with an edge already at a gap, left alone.
    """
    out = np.zeros(len(contacts), dtype=bool)
    if not gaps or not len(contacts):
        return out
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    gap_start = np.array([g[0] for g in gaps])
    gap_end = np.array([g[1] for g in gaps])
    timed = np.isfinite(landing) & np.isfinite(takeoff) & ~np.asarray(at_gap, dtype=bool)
    inside = timed & _crosses_gap(gap_start, landing, takeoff)  # a gap starts in the contact
    if not inside.any():
        return out
    contact = takeoff - landing
    usual = _set_median(contact, (reasons == "") & timed & ~inside, contacts["set"].to_numpy())
    tol = settings.contact_tolerance
    with np.errstate(invalid="ignore"):
        long = contact > (1.0 + tol) * usual
        lo, hi = landing + (1.0 - tol) * usual, landing + (1.0 + tol) * usual
    cand = inside & long
    cand &= _gap_within(gap_start, gap_end, np.where(cand, lo, np.nan), np.fmin(hi, takeoff))
    return cand


def _takeoff_lost_over_hops(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    next_landing: np.ndarray,
    gaps: list[tuple[float, float]],
    settings: AnalysisSettings,
) -> np.ndarray:
    """Contacts whose take-off was lost in a gap that swallowed whole hops too (repeated hops).

    A contact rejected for its take-off lost in a gap (its landing timed) is kept, with the
    take-off lost, when the next landing comes a whole number k >= 2 of local periods later
    (the median of the three plausible periods of the set nearest the contact; within
    ``period_tolerance`` periods of k) and each of the k - 1 landings between lies within a
    gap where the rhythm puts it (:func:`_landings_in_gaps`). (One period:
    :func:`_lost_edges`.)

    So is a contact whose take-off was not found at all, when a gap lies where its take-off
    would be (within ``contact_tolerance`` of the set's median contact after the landing):
    the ground seen after such a gap is the next contact, whose landing was lost too, so no
    fall into flight is left to find.
    """
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    kept = (contacts["edge_lost"].to_numpy() == "") & np.isfinite(landing)
    cand = (reasons == REASON_TAKEOFF_GAP) & kept
    unfound = (reasons == "take-off not found") & kept
    if not gaps or not (cand | unfound).any():
        return np.zeros(len(contacts), dtype=bool)
    gap_start = np.array([g[0] for g in gaps])
    gap_end = np.array([g[1] for g in gaps])
    if unfound.any():
        median_s = _expected_contact_ms(contacts, contacts.loc[reasons == ""]) / 1e3
        lo = landing + median_s * (1 - settings.contact_tolerance)
        hi = landing + median_s * (1 + settings.contact_tolerance)
        cand |= unfound & _gap_within(gap_start, gap_end, lo, hi)
    if not cand.any():
        return np.zeros(len(contacts), dtype=bool)
    nxt = np.asarray(next_landing, dtype=np.float64)
    local = _local_period(nxt - landing, reasons == "", contacts["set"].to_numpy(), cand)
    with np.errstate(invalid="ignore"):
        periods = np.where(cand, (nxt - landing) / local, np.nan)
    return _landings_in_gaps(landing, periods, local, gap_start, gap_end, settings.period_tolerance)


def _landings_in_gaps(
    landing_s: np.ndarray,
    periods: np.ndarray,
    period_s: np.ndarray,
    gap_start: np.ndarray,
    gap_end: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Whether each interval is k >= 2 hop periods whose k - 1 landings all fell in gaps.

    ``periods`` is each interval in hop periods of ``period_s`` (s) from ``landing_s``
    (s); it must be within ``tolerance`` periods of a whole number k >= 2, and each place
    ``landing_s + j * period_s`` (j = 1 .. k - 1) within a gap (``gap_start`` to
    ``gap_end``, s), give or take ``tolerance`` periods.
    """
    with np.errstate(invalid="ignore"):
        k = np.round(periods)
        out = (k >= 2) & (np.abs(periods - k) <= tolerance)
    for i in np.flatnonzero(out):
        places = landing_s[i] + np.arange(1, int(k[i])) * period_s[i]
        slack = tolerance * period_s[i]
        out[i] = bool(_gap_within(gap_start, gap_end, places - slack, places + slack).all())
    return out


def _gap_within(
    gap_start: np.ndarray, gap_end: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Whether a gap overlaps each interval ``[lo, hi]`` (s; False where either is NaN).

    ``gap_start`` and ``gap_end`` are the gaps' edges (s), in time order and apart.
    """
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    known = np.isfinite(lo) & np.isfinite(hi)
    # The last gap starting at or before hi has the latest end of those that do.
    last = np.searchsorted(gap_start, np.where(known, hi, -np.inf), side="right") - 1
    return known & (last >= 0) & (gap_end[np.maximum(last, 0)] >= lo)


def _spans_missed_hops(
    contacts: pd.DataFrame, reasons: np.ndarray, settings: AnalysisSettings
) -> np.ndarray:
    """Contacts rejected only for their period, whose period spans k >= 2 hops (k; else 0).

    A contact is regular (within ``contact_tolerance`` of its set's median contact) and its
    period, to the next landing, is a whole number k >= 2 of its set's median period (within
    ``period_tolerance`` periods): the landings between were not seen (a soft landing in a
    messy flight), but the contact itself was timed. Such a contact is kept without a flight.
    """
    cand = (reasons == "irregular period") & (contacts["edge_lost"].to_numpy() == "")
    if not cand.any():
        return cand
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    nxt = contacts["next_landing_s"].to_numpy(dtype=np.float64)
    sets = contacts["set"].to_numpy()
    ok = reasons == ""
    set_period = _set_median(nxt - landing, ok, sets)
    expected = _expected_contact_ms(contacts, contacts.loc[ok])
    contact_ms = (contacts["takeoff_s"].to_numpy(dtype=np.float64) - landing) * 1e3
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (nxt - landing) / set_period
        k = np.round(ratio)
        regular = np.abs(contact_ms / expected - 1.0) <= settings.contact_tolerance
        whole = (k >= 2) & (np.abs(ratio - k) <= settings.period_tolerance)
    return np.where(cand & regular & whole, k, 0).astype(np.int64)


def _late_landings(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    next_landing: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Contacts whose next landing was found late, at the push-off of a hop (repeated hops).

    A soft landing (a weak impact with no sharp onset) can go unseen, and the push-off peak
    of its contact, after a dip, then taken for the landing. The contact before it (row
    ``i``) is regular but rejected for its period only, which is longer than the set's
    median period; the contact the false landing starts (row ``i + 1``, same set) is
    implausible; and the landing after that comes two median periods (within
    ``period_tolerance``) after contact ``i``'s landing, as if one hop lay between. True for
    row ``i``.
    """
    n = len(contacts)
    out = np.zeros(n, dtype=bool)
    cand = reasons == "irregular period"
    if n < 2 or not (cand[:-1] & np.isin(reasons[1:], _SPLIT_REASONS)).any():
        return out
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    sets = contacts["set"].to_numpy()
    nxt = np.asarray(next_landing, dtype=np.float64)
    ok = (reasons == "") & np.isfinite(contacts["next_landing_s"].to_numpy(dtype=np.float64))
    period = _set_median(nxt - landing, ok, sets)
    tol = settings.period_tolerance
    after = np.r_[nxt[1:], np.nan]  # the landing after the false one
    with np.errstate(invalid="ignore", divide="ignore"):
        long = (nxt - landing) / period > 1.0 + tol
        two = np.abs((after - landing) / (2.0 * period) - 1.0) <= tol / 2.0
    cand &= np.r_[np.isin(reasons[1:], _SPLIT_REASONS) & (sets[1:] == sets[:-1]), False]
    cand &= np.r_[~contacts["next_landing_gap"].to_numpy(dtype=bool)[1:], False]
    cand &= np.isfinite(landing) & np.isfinite(takeoff) & long & two
    cand &= contacts["edge_lost"].to_numpy() == ""
    # (Two in a row cannot both be: the late landing's period, to the landing two periods
    # after the first, is less than one period, not more.)
    return cand


def _landings_in_rhythm(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    late: np.ndarray,
    next_landing: np.ndarray,
    t: np.ndarray,
    mag: np.ndarray,
    candidates: pd.DataFrame,
    gaps: list[tuple[float, float]],
    tb: TimeBase,
    settings: AnalysisSettings,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame]:
    """Put the soft landing missed before each late landing (:func:`_late_landings`) back.

    The late landing is dropped and the flight before it taken to span two periods, up to
    the landing after it; the contact hidden there is sought as in
    :func:`_hidden_contacts` (an impact candidate set aside, half-way within half of
    ``period_tolerance``, after a flight).
    Where none is found, nothing changes. Returns the contacts, their reasons, the
    detector's next landings, and the contacts dropped.
    """
    nxt = np.asarray(next_landing, dtype=np.float64)
    # The flight of each contact taken to run on to the late landing's next landing.
    joined = np.where(late, np.r_[nxt[1:], np.nan], nxt)
    next_gap = contacts["next_landing_gap"].to_numpy(dtype=bool)
    joined_gap = np.r_[next_gap[1:], False]

    def over_two_periods(rows: np.ndarray) -> pd.DataFrame:
        return contacts.assign(
            next_landing_s=np.where(rows, joined, contacts["next_landing_s"].to_numpy()),
            next_landing_gap=np.where(rows, joined_gap, next_gap),
        )

    trial = over_two_periods(late)
    periods = np.where(late, 2, 0)
    # (Half the usual window: a bump of the sagging stance can lie a quarter period late.)
    hidden = _hidden_contacts(
        trial,
        periods,
        joined,
        reasons,
        t,
        mag,
        candidates,
        gaps,
        tb,
        settings,
        tolerance=settings.period_tolerance / 2,
        soft=True,
    )
    if len(hidden):  # (only those whose landing was found: one lost in a gap is not put back)
        hidden = hidden.loc[np.isfinite(hidden["landing_s"].to_numpy(dtype=np.float64))]
    if not len(hidden):
        return contacts, reasons, nxt, contacts.iloc[:0]
    after = hidden["after"].to_numpy()
    keep_late = np.zeros(len(contacts), dtype=bool)
    keep_late[after] = True
    # The rows found: the contact before keeps its flight over two periods, the late one is
    # dropped.
    base = over_two_periods(keep_late)
    detected = np.where(keep_late, joined, nxt)
    reasons = np.where(keep_late, "", reasons)
    drop = np.zeros(len(contacts), dtype=bool)
    drop[after + 1] = True
    dropped = contacts.loc[drop]
    keep = ~drop
    # Positions of the rows kept: the hidden contacts follow the same rows after the drop.
    new_after = np.cumsum(keep)[after] - 1
    base = base.loc[keep].reset_index(drop=True)
    out, reasons, detected = _insert_hidden(
        base, reasons[keep], hidden.assign(after=new_after), detected[keep], gaps
    )
    return out, reasons, detected, dropped


def _gap_flight_periods(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    next_landing: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Hop periods k >= 2 spanned by each plausible flight with a gap in it (else 0).

    A flight with a gap inside is not measured (``next_landing_s`` NaN, though the detector
    found the next landing); its period, to that landing, is compared with the set's median
    period as in :func:`_spans_missed_hops`.
    """
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    nxt = np.asarray(next_landing, dtype=np.float64)
    cand = (reasons == "") & (contacts["edge_lost"].to_numpy() == "")
    cand &= ~np.isfinite(contacts["next_landing_s"].to_numpy(dtype=np.float64))
    cand &= ~contacts["next_landing_gap"].to_numpy(dtype=bool) & np.isfinite(landing)
    if not cand.any():
        return np.zeros(len(contacts), dtype=np.int64)
    sets = contacts["set"].to_numpy()
    ok = (reasons == "") & np.isfinite(contacts["next_landing_s"].to_numpy(dtype=np.float64))
    set_period = _set_median(nxt - landing, ok, sets)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (nxt - landing) / set_period
        k = np.round(ratio)
        whole = (k >= 2) & (np.abs(ratio - k) <= settings.period_tolerance)
    return np.where(cand & whole, k, 0).astype(np.int64)


def _hidden_contacts(
    contacts: pd.DataFrame,
    periods: np.ndarray,
    next_landing: np.ndarray,
    reasons: np.ndarray,
    t: np.ndarray,
    mag: np.ndarray,
    candidates: pd.DataFrame,
    gaps: list[tuple[float, float]],
    tb: TimeBase,
    settings: AnalysisSettings,
    *,
    tolerance: float | None = None,
    soft: bool = False,
) -> pd.DataFrame:
    """Find the one contact hidden in each flight that spans two hop periods, where it shows.

    ``periods`` is the number of hop periods each contact's flight spans, up to the next
    landing the detector found (``next_landing``); 0 for a usual flight. The hidden landing
    is expected half-way between the landings around the flight (within ``tolerance`` of a
    period: ``period_tolerance`` unless given). It is either

    - an impact candidate the detector set aside (too soft an onset, or no flight-level
      sample before it) whose landing lies there, after a flight whose magnitude fell below
      ``takeoff_bottom_g``; or
    - lost in a gap that covers the expected time, the contact showing after the gap; or,
      with ``soft`` and no gap in the flight, a landing too soft to be an impact candidate
      (:func:`_soft_landing`).

    Its take-off is the fall nearest to the set's median contact after that landing
    (:func:`analysis.detect.retime_takeoffs`, within ``contact_tolerance``), and after the
    gap. Returns the new contacts (columns of ``contacts``, plus ``after``: the row each
    follows).
    """
    if not (periods == 2).any():
        return pd.DataFrame()
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    nxt = np.asarray(next_landing, dtype=np.float64)
    sets = contacts["set"].to_numpy()
    usual = (reasons == "") & (periods == 0)
    median_contact = _expected_contact_ms(contacts, contacts.loc[usual])
    rows = np.flatnonzero((periods == 2) & np.isfinite(takeoff) & np.isfinite(median_contact))
    out: list[dict[str, Any]] = []
    tol = settings.period_tolerance if tolerance is None else tolerance
    ctol = settings.contact_tolerance
    next_gap = contacts["next_landing_gap"].to_numpy(dtype=bool)
    cand_land = candidates["landing_s"].to_numpy(dtype=np.float64)
    gap_start = np.array([g[0] for g in gaps]) if gaps else np.zeros(0)
    gap_end = np.array([g[1] for g in gaps]) if gaps else np.zeros(0)
    for i in rows:
        period = (nxt[i] - landing[i]) / 2
        expected = landing[i] + period
        lo, hi = expected - tol * period, expected + tol * period
        contact_s = median_contact[i] / 1e3
        new_landing, peak_g, clipped, after_gap = np.nan, np.nan, False, np.nan
        # The flight before the hidden landing, and its contact, free of gaps.
        in_flight = (gap_end > takeoff[i]) & (gap_start < nxt[i])
        near = np.flatnonzero((cand_land > max(lo, takeoff[i])) & (cand_land < hi))
        if len(near):
            j = near[np.argmin(np.abs(cand_land[near] - expected))]
            a, b = np.searchsorted(t, [takeoff[i], cand_land[j]])
            clear = not (in_flight & (gap_start < cand_land[j] + contact_s)).any()
            if clear and b > a and mag[a:b].min() < settings.detection.takeoff_bottom_g:
                new_landing = float(cand_land[j])
                peak_g = float(candidates["peak_g"].iloc[j])
                clipped = bool(candidates["peak_clipped"].iloc[j])
        if np.isnan(new_landing) and soft and not (in_flight & (gap_start < hi)).any():
            new_landing = _soft_landing(t, mag, max(lo, takeoff[i]), hi, expected, settings, tb)
            if np.isfinite(new_landing):  # its impact peak: the highest sample soon after
                a, b = np.searchsorted(t, [new_landing, new_landing + contact_s / 2])
                peak_g = float(mag[a : max(b, a + 1)].max())
        if np.isnan(new_landing):
            g = np.flatnonzero(in_flight & (gap_start < hi) & (gap_end > lo))
            if len(g) != 1 or gap_end[g[0]] > nxt[i] - contact_s * (1 - ctol):
                continue
            after_gap = float(gap_end[g[0]])
        lost = np.isfinite(after_gap)
        new_takeoff = retime_takeoffs(
            t,
            mag,
            sampling_rate_hz=tb.effective_rate_hz,
            landing_s=np.array([expected if lost else new_landing]),
            expected_contact_ms=np.array([median_contact[i]]),
            next_landing_s=np.array([nxt[i]]),
            tolerance=ctol,
            gap_index=tb.gap_index,
            settings=settings.detection,
        )[0]
        if not np.isfinite(new_takeoff) or (lost and not new_takeoff > after_gap):
            continue
        if not lost and abs((new_takeoff - new_landing) / contact_s - 1.0) > ctol:
            continue
        out.append(
            {
                "set": sets[i],
                "landing_s": np.nan if lost else new_landing,
                "takeoff_s": new_takeoff,
                "next_landing_s": np.nan if next_gap[i] else nxt[i],
                "impact_peak_g": peak_g,
                "impact_clipped": clipped,
                "landing_gap": lost,
                "next_landing_gap": bool(next_gap[i]),
                "takeoff_gap": False,
                "edge_lost": "landing" if lost else "",
                "after": i,
            }
        )
    return pd.DataFrame(out)


def _soft_landing(
    t: np.ndarray,
    mag: np.ndarray,
    lo: float,
    hi: float,
    expected: float,
    settings: AnalysisSettings,
    tb: TimeBase,
) -> float:
    """Time a landing too soft to be an impact candidate, between ``lo`` and ``hi`` (s).

    The magnitude rises out of flight: a sample below ``flight_g``, then one at or above
    ``takeoff_bottom_g``, and the magnitude stays above ``flight_g`` for ``impact_guard_ms``
    (the ground, not a bump of limb motion). The landing is where the rise crosses
    ``takeoff_bottom_g`` (linear between the two samples); of several, the one nearest
    ``expected``. NaN when there is none.
    """
    s = settings.detection
    a, b = np.searchsorted(t, [lo, hi])
    a = max(int(a), 1)
    guard = max(1, int(np.ceil(s.impact_guard_ms * tb.effective_rate_hz / 1e3)))
    if b <= a or b + guard > len(mag):
        return np.nan
    level = s.takeoff_bottom_g
    j = a + np.flatnonzero((mag[a - 1 : b - 1] < s.flight_g) & (mag[a:b] >= level))
    j = j[np.array([bool((mag[k : k + guard] > s.flight_g).all()) for k in j.tolist()], bool)]
    if not len(j):
        return np.nan
    crossing = t[j - 1] + (level - mag[j - 1]) / (mag[j] - mag[j - 1]) * (t[j] - t[j - 1])
    return float(crossing[np.argmin(np.abs(crossing - expected))])


def _insert_hidden(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    hidden: pd.DataFrame,
    next_landing: np.ndarray,
    gaps: list[tuple[float, float]],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Insert each hidden contact after the contact whose flight it was in.

    Returns the contacts, their reasons and their next landings as found by the detector
    (``next_landing``, extended). A flight with a gap inside stays unmeasured.
    """
    after = hidden["after"].to_numpy()
    found = hidden["landing_s"].to_numpy(dtype=np.float64)
    nxt = contacts["next_landing_s"].to_numpy().copy()
    detected = np.asarray(next_landing, dtype=np.float64).copy()
    hidden_next = detected[after]
    # The flight before a hidden contact whose landing was found is measured again.
    nxt[after] = found
    detected[after] = np.where(np.isfinite(found), found, detected[after])
    contacts = contacts.assign(next_landing_s=nxt)
    out, order = _inserted(contacts, hidden.drop(columns="after"), after + 0.5)
    gap_inside = _flight_has_gap(out, gaps)
    if gap_inside.any():
        out = out.assign(
            next_landing_s=np.where(gap_inside, np.nan, out["next_landing_s"].to_numpy())
        )
    return out, np.r_[reasons, [""] * len(hidden)][order], np.r_[detected, hidden_next][order]


def _inserted(
    contacts: pd.DataFrame, new: pd.DataFrame, position: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the contacts with the rows of ``new`` inserted at ``position`` (row ``i`` at ``i``).

    Returns the table and the order taken from the rows of ``contacts`` then ``new`` (to
    carry other per-row arrays along).
    """
    src = pd.concat([contacts, new.astype(contacts.dtypes.to_dict())], ignore_index=True)
    order = np.argsort(np.r_[np.arange(len(contacts)), position], kind="stable")
    return src.iloc[order].reset_index(drop=True), order


def _flight_in_gap(
    contacts: pd.DataFrame,
    reasons: np.ndarray,
    gaps: list[tuple[float, float]],
    next_landing: np.ndarray,
    settings: AnalysisSettings,
) -> np.ndarray:
    """Rejected contacts that are two contacts joined by a gap over the flight between them.

    When the gap swallows a take-off, the whole flight after it and the next landing, the
    landing before the gap and the take-off after it look like one long contact. It is two
    when (repeated hops) the landing before the gap and the landing after the take-off lie
    two hop periods apart (the set's median period, within ``period_tolerance``), each of
    the two contacts can have lasted the set's median contact (within ``contact_tolerance``)
    with its lost edge somewhere in the gap, and the flight after the take-off is within
    ``contact_tolerance`` of the set's median flight.

    A longer gap may swallow whole hops as well: the two landings then lie a whole number
    k >= 3 of local periods apart (the median of the three plausible periods of the set
    nearest the contact; within ``period_tolerance`` periods of k), and the gap is long
    enough to hold the k - 2 hops between the two contacts (at least ``1 -
    period_tolerance`` times k - 2 periods). Those hops are not invented; the set frequency
    counts their periods all the same.
    """
    out = np.zeros(len(contacts), dtype=bool)
    cand = np.isin(reasons, (*_TAKEOFF_MISSING, "irregular period"))
    cand &= contacts["edge_lost"].to_numpy() == ""
    if not gaps or not cand.any():
        return out
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    takeoff = contacts["takeoff_s"].to_numpy(dtype=np.float64)
    nxt = np.asarray(next_landing, dtype=np.float64)
    sets = contacts["set"].to_numpy()
    ok = reasons == ""
    set_period = _set_median(nxt - landing, ok, sets)
    median_contact = _expected_contact_ms(contacts, contacts.loc[ok]) / 1e3
    gap_start = np.array([g[0] for g in gaps])
    gap_end = np.array([g[1] for g in gaps])
    # The first gap starting after the landing; it must end before the take-off.
    j = np.minimum(np.searchsorted(gap_start, landing, side="right"), len(gaps) - 1)
    g0, g1 = gap_start[j], gap_end[j]
    lo = median_contact * (1 - settings.contact_tolerance)
    hi = median_contact * (1 + settings.contact_tolerance)
    with np.errstate(invalid="ignore"):
        inside = (g0 > landing) & (g1 < takeoff)
        ratio = (nxt - landing) / set_period
        two = np.abs(ratio / 2 - 1.0) <= settings.period_tolerance
        # More periods: whole hops lost in the gap between the two contacts, counted in the
        # local period (the period drifts over a set).
        local = _local_period(nxt - landing, ok, sets, cand & inside & ~two)
        ratio = (nxt - landing) / local
        k = np.round(ratio)
        two |= (
            (k >= 3)
            & (np.abs(ratio - k) <= settings.period_tolerance)
            & (g1 - g0 >= (k - 2) * local * (1 - settings.period_tolerance))
        )
        # Contact before the gap: from the landing to a take-off within the gap.
        before = (g1 - landing >= lo) & (g0 - landing <= hi)
        # Contact after it: from a landing within the gap to the take-off.
        after = (takeoff - g0 >= lo) & (takeoff - g1 <= hi)
        # ... and its flight like the set's other flights.
        set_flight = _set_median(nxt - takeoff, ok, sets)
        after &= np.abs((nxt - takeoff) / set_flight - 1.0) <= settings.contact_tolerance
    return cand & inside & two & before & after


def _split_at_gap(
    contacts: pd.DataFrame, reasons: np.ndarray, joined: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each ``joined`` contact as two: its take-off and the next landing lost in the gap."""
    rows, first, second = doubled_rows(joined)
    out = contacts.iloc[rows].reset_index(drop=True)
    col = out.columns.get_loc
    # The contact before the gap: its take-off, and so its flight, are unknown.
    out.iloc[first, col("takeoff_s")] = np.nan
    out.iloc[first, col("next_landing_s")] = np.nan
    out.iloc[first, col("takeoff_gap")] = True
    out.iloc[first, col("next_landing_gap")] = True
    out.iloc[first, col("edge_lost")] = "takeoff"
    # The contact after it: its landing (and impact) are unknown.
    out.iloc[second, col("landing_s")] = np.nan
    out.iloc[second, col("impact_peak_g")] = np.nan
    out.iloc[second, col("impact_clipped")] = False
    out.iloc[second, col("landing_gap")] = True
    out.iloc[second, col("edge_lost")] = "landing"
    new_reasons = reasons[rows].copy()
    new_reasons[first] = ""
    new_reasons[second] = ""
    return out, new_reasons


def _local_period(
    period_s: np.ndarray, ok: np.ndarray, sets: np.ndarray, rows: np.ndarray, n: int = 3
) -> np.ndarray:
    """Median of the ``n`` ``ok`` periods of the set nearest each of ``rows`` (s; else NaN)."""
    out = np.full(len(period_s), np.nan)
    known = ok & np.isfinite(period_s)
    for i in np.flatnonzero(rows):
        same = np.flatnonzero(known & (sets == sets[i]))
        near = same[np.argsort(np.abs(same - i), kind="stable")[:n]]
        if len(near):
            out[i] = float(np.median(period_s[near]))
    return out


def _set_median(values: np.ndarray, ok: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """Median of ``values`` over the ``ok`` rows of each row's set (NaN when none).

    NaN values are left out (:func:`_group_medians`).
    """
    values = np.asarray(values, dtype=np.float64)
    sets = np.asarray(sets)
    ok = np.asarray(ok, dtype=bool)
    return _per_row(*_group_medians(values[ok], sets[ok]), sets)


def _group_medians(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the groups (sorted) and the median of each group's values that are not NaN.

    The values of all groups are sorted once; a median is the middle value or the mean
    ``(low + high) / 2`` of the middle two (the values of a pandas group-by median, without
    its per-call overhead). A group whose values are all NaN is left out.
    """
    keep = ~np.isnan(values)
    v, g = values[keep], groups[keep]
    if not len(v):
        return g, v
    order = np.lexsort((v, g))
    v, g = v[order], g[order]
    keys, start, count = np.unique(g, return_index=True, return_counts=True)
    half = count // 2
    odd = count % 2 == 1
    high = v[start + half]
    low = v[start + np.maximum(half - 1, 0)]
    return keys, np.where(odd, high, (low + high) / 2)


def _per_row(keys: np.ndarray, value: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Return each row's group's value (``keys`` sorted; NaN for a group not among them)."""
    out = np.full(len(groups), np.nan)
    if not len(keys):
        return out
    pos = np.minimum(np.searchsorted(keys, groups), len(keys) - 1)
    found = keys[pos] == groups
    out[found] = value[pos[found]]
    return out


def _expected_contact_ms(contacts: pd.DataFrame, good: pd.DataFrame) -> np.ndarray:
    """Median contact of the plausible contacts of each contact's set (NaN when none), ms."""
    contact_ms = (good["takeoff_s"] - good["landing_s"]).to_numpy(dtype=np.float64) * 1e3
    keys, median = _group_medians(contact_ms, good["set"].to_numpy())
    return _per_row(keys, median, contacts["set"].to_numpy())


def _landing_or_gap_end(flights: pd.DataFrame, gaps: list[tuple[float, float]]) -> np.ndarray:
    """Each flight's landing; for one whose landing was lost in a gap, the end of that gap.

    The ground time after such a flight is counted from the end of the gap (at least that
    much of it was on the ground), so that a set ends after a landing lost in a gap as after
    any other.
    """
    landing = flights["landing_s"].to_numpy(dtype=np.float64)
    lost = np.isnan(landing) & flights["landing_gap"].to_numpy(dtype=bool)
    if not lost.any() or not gaps:
        return landing
    takeoff = flights["takeoff_s"].to_numpy(dtype=np.float64)
    gap_end = np.array([g[1] for g in gaps])
    # The first gap ending after the take-off.
    j = np.searchsorted(gap_end, takeoff[lost])
    found = j < len(gaps)
    out = landing.copy()
    rows = np.flatnonzero(lost)[found]
    out[rows] = gap_end[j[found]]
    return out


def _rebound_jump_flights(
    flights: pd.DataFrame, set_of: np.ndarray, settings: AnalysisSettings
) -> np.ndarray:
    """Keep a rebound jump's flight with the landing before it, whatever its take-off.

    :func:`analysis.sets.group_flights` starts a new set at a flight whose take-off comes
    more than ``set_gap_s`` after the previous landing (or, take-off unknown, whose landing
    does); a rebound jump's contact can be that long, and a take-off found late (limb motion
    holding the magnitude up after it) makes it look longer still. A flight whose landing
    comes at most the contact limit plus ``max_flight_ms`` after the previous landing stays
    in that landing's set. The contact is then paired, and its take-off sought again (or it
    is rejected with its reason) instead of being dropped unseen.
    """
    if len(set_of) < 2:
        return set_of
    landing = flights["landing_s"].to_numpy(dtype=np.float64)
    limit_s = (settings.contact_limit_ms + settings.detection.max_flight_ms) / 1e3
    with np.errstate(invalid="ignore"):
        join = landing[1:] - landing[:-1] <= limit_s
    new_set = np.r_[True, (set_of[1:] != set_of[:-1]) & ~join]
    return np.cumsum(new_set).astype(np.int64)


def _group_rebounds(
    contacts: pd.DataFrame,
    gaps: list[tuple[float, float]],
    settings: AnalysisSettings,
    skip_spans: np.ndarray | None = None,
) -> pd.DataFrame:
    """Group rebound jumps: one less than ``rebound_set_gap_s`` after the last joins its set.

    Jumps are placed by their landing, or by their take-off when the landing was lost. Two
    jumps further apart stay in one set when a jump between them was lost whole in a gap
    (:func:`analysis.sets.jumps_lost_in_gaps`: a gap lies where it would be, and the
    interval is two of the set's), unless one of ``skip_spans`` (``(k, 2)``, s) lies
    between them.
    """
    if not len(contacts):
        return contacts
    landing = contacts["landing_s"].to_numpy(dtype=np.float64)
    # A contact whose landing was lost in a gap is placed by its take-off.
    at = np.where(np.isnan(landing), contacts["takeoff_s"].to_numpy(dtype=np.float64), landing)
    new_set = np.r_[True, np.diff(at) > settings.rebound_set_gap_s]
    split = np.flatnonzero(new_set[1:])
    if skip_spans is not None and len(skip_spans) and len(split):
        spans = np.asarray(skip_spans, dtype=np.float64).reshape(-1, 2)
        across = (spans[None, :, 0] < at[split + 1, None]) & (spans[None, :, 1] > at[split, None])
        split = split[~across.any(axis=1)]
    if gaps and len(split):
        lost = jumps_lost_in_gaps(at, np.cumsum(new_set), split, gaps, settings)
        new_set[split[lost] + 1] = False
    return contacts.assign(set=np.cumsum(new_set).astype(np.int64))
