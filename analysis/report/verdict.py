"""Plain-language verdicts per set: hop rate against the target, contact against the threshold.

The pass/fail marks follow the set's flags from the analysis (the single source of truth);
this module only turns the flags and the numbers behind them into sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from analysis.result import (
    FLAG_BELOW_TARGET,
    FLAG_CLIPPING,
    FLAG_GAPS,
    FLAG_LOW_SAMPLE_RATE,
    FLAG_SLOW_REBOUND,
    FLAG_TOO_FEW_HOPS,
    HopAnalysis,
)

__all__ = ["FLAG_TEXT", "SetVerdict", "set_verdicts"]

#: One-line meaning of each flag code, for tooltips, legends and the squad pages.
FLAG_TEXT: dict[str, str] = {
    FLAG_BELOW_TARGET: "hop rate below the target",
    FLAG_SLOW_REBOUND: "ground contacts too long (slow rebound)",
    FLAG_LOW_SAMPLE_RATE: "sample rate too low for precise contact timing",
    FLAG_CLIPPING: "impacts reached the sensor's full scale (clipped)",
    FLAG_GAPS: "samples lost on the radio (gaps in the recording)",
    FLAG_TOO_FEW_HOPS: "too few hops for a reliable verdict",
}


@dataclass(frozen=True)
class SetVerdict:
    """The verdict on one set.

    Parameters
    ----------
    set : int
        Set number.
    hops : int
        Complete contacts in the set.
    hop_hz : float
        Set hop rate, Hz.
    rate_pass : bool or None
        Whether the hop rate met the target (no ``below_target_frequency`` flag); None when
        the rate is not judged (rebound jumps, where rest between jumps sets the rate, and a
        set without a hop rate: a single hop).
    rate_rule : str
        The threshold used, in words.
    rate_reason : str
        Why it failed, in plain language (empty when it passed).
    contact_ms : float
        Median contact, ms.
    contact_pass : bool
        Whether contacts were quick enough (no ``slow_rebound`` flag).
    contact_rule : str
        The threshold used, in words.
    contact_reason : str
        Why it failed (empty when it passed).
    notes : tuple of str
        Data-quality remarks that limit trust in this set's numbers.
    flags : tuple of str
        The set's flag codes.
    exercise : str
        The drill the set was judged as: ``"hops"`` or ``"rebound"``.
    """

    set: int
    hops: int
    hop_hz: float
    rate_pass: bool | None
    rate_rule: str
    rate_reason: str
    contact_ms: float
    contact_pass: bool
    contact_rule: str
    contact_reason: str
    notes: tuple[str, ...] = field(default=())
    flags: tuple[str, ...] = field(default=())
    exercise: str = "hops"

    @property
    def passed(self) -> bool:
        """True when the set met the contact threshold and, where judged, the hop-rate target."""
        return self.rate_pass is not False and self.contact_pass


def _num(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def set_verdicts(result: HopAnalysis) -> list[SetVerdict]:
    """Return one verdict per set of ``result``, in set order.

    Parameters
    ----------
    result : HopAnalysis
        The analysis.

    Returns
    -------
    list of SetVerdict
        Pass/fail of hop rate and contact time with the thresholds used and, on failure, a
        reason a reader without the tool's vocabulary can follow.

    Raises
    ------
    TypeError
        ``result`` is not a HopAnalysis.
    """
    if not isinstance(result, HopAnalysis):
        raise TypeError(f"`result` must be a HopAnalysis, got {type(result).__name__}")
    s = result.settings
    limit_hz = s.target_hz - s.target_tolerance_hz
    rate_rule = f"target {s.target_hz:g} Hz (passes from {limit_hz:.2f} Hz)"
    contact_rule = (
        f"median at most {s.slow_contact_ms:g} ms and no more than "
        f"{s.slow_share:.0%} of hops above it"
    )
    verdicts = []
    for row in result.sets.sort_values("set").itertuples(index=False):
        flags = tuple(row.flags)
        hop_hz = _num(row.hop_hz)
        contact_ms = _num(row.contact_ms)
        slow_share = _num(row.slow_share)
        hops = int(row.hops)

        rate_pass: bool | None = FLAG_BELOW_TARGET not in flags
        rate_reason = ""
        rule = rate_rule
        if rate_pass and getattr(row, "exercise", s.exercise) == "rebound":
            rate_pass = None
            rule = "not judged for rebound jumps (the rest between jumps sets the rate)"
        elif rate_pass and not math.isfinite(hop_hz):
            rate_pass = None
            rule = "not judged: the set has no hop rate (it needs two landings or more)"
        if rate_pass is False:
            if math.isfinite(hop_hz):
                short = (1 - hop_hz / s.target_hz) * 100
                rate_reason = (
                    f"{hop_hz:.2f} hops per second is below the {s.target_hz:g} Hz target "
                    f"({short:.0f} % too slow). Hop quicker: spend less time on the ground "
                    "and keep the hops low."
                )
            else:
                rate_reason = "The hop rate could not be measured in this set."

        contact_pass = FLAG_SLOW_REBOUND not in flags
        contact_reason = ""
        if not contact_pass:
            if math.isfinite(contact_ms) and contact_ms > s.slow_contact_ms:
                contact_reason = (
                    f"Median contact {contact_ms:.0f} ms is longer than {s.slow_contact_ms:g} ms: "
                    "the foot stays on the ground too long instead of bouncing off it "
                    "(a slow rebound). Aim for short, stiff, springy contacts on the toes."
                )
            elif math.isfinite(slow_share):
                contact_reason = (
                    f"{slow_share:.0%} of the hops had contacts longer than "
                    f"{s.slow_contact_ms:g} ms (more than the {s.slow_share:.0%} allowed), "
                    f"although the median was {contact_ms:.0f} ms: the rebound slowed down."
                )
            else:
                contact_reason = "Contacts were flagged as slow rebounds."

        notes = []
        if FLAG_TOO_FEW_HOPS in flags:
            notes.append(
                f"Only {hops} hops were found (fewer than {s.min_hops}): "
                "treat this verdict as uncertain."
            )
        if FLAG_GAPS in flags:
            notes.append("Samples were lost during this set: hops next to the gap may be missing.")
        if FLAG_CLIPPING in flags:
            notes.append(
                "Some impacts exceeded the sensor's range: impact peaks are underestimated; "
                "contact timing is usually still fine."
            )
        if FLAG_LOW_SAMPLE_RATE in flags:
            notes.append(
                "The sample rate is low: contact and flight times are less precise "
                "(see Data quality)."
            )
        verdicts.append(
            SetVerdict(
                set=int(row.set),
                hops=hops,
                hop_hz=hop_hz,
                rate_pass=rate_pass,
                rate_rule=rule,
                rate_reason=rate_reason,
                contact_ms=contact_ms,
                contact_pass=contact_pass,
                contact_rule=contact_rule,
                contact_reason=contact_reason,
                notes=tuple(notes),
                flags=flags,
                exercise=str(getattr(row, "exercise", s.exercise)),
            )
        )
    return verdicts
