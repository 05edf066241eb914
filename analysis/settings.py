"""Every setting of the analysis, with its documented default.

The defaults come from shared hop science: a 3.0 Hz target for single-leg hops with 0.05 Hz of
tolerance (a device clock 1 % off moves 3.00 Hz by 0.03 Hz), and 250 ms of contact as the
boundary between fast and slow stretch-shortening cycles (Flanagan & Comyns 2008).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

EXERCISES = ("hops", "rebound", "auto")


#: A recording is sampled too slowly only when its effective rate is more than this share
#: below ``min_sample_rate_hz``: a device clock runs up to about 1 % off its nominal rate,
#: and lost samples make the measured rate a little lower still.
RATE_TOLERANCE = 0.02


def rate_below(rate_hz: float, min_sample_rate_hz: float) -> bool:
    """Whether ``rate_hz`` (effective, Hz) is below ``min_sample_rate_hz`` beyond clock error.

    Examples
    --------
    >>> rate_below(99.6, 100.0), rate_below(52.0, 100.0)
    (False, True)
    """
    return bool(rate_hz < (1.0 - RATE_TOLERANCE) * min_sample_rate_hz)


@dataclass(frozen=True)
class DetectionSettings:
    """Settings of the flight detector, with documented defaults.

    Parameters
    ----------
    impact_min_g : float
        Lowest impact peak of a landing, in g (magnitude).
    impact_prominence_g : float
        Lowest prominence of an impact peak, in g.
    impact_relative_min : float
        A landing's impact is at least this fraction of the running median impact of the
        landings around it (0-1); weaker candidates between strong impacts are limb motion in
        flight.
    peak_distance_ms : float
        Impact candidates closer than this keep only the highest, in ms. Kept well below the
        shortest hop period: a heel-touch spike or a push-off hump can be higher than the
        impact of its contact and must not hide it.
    onset_slope_g_per_ms : float
        The impact's rising edge is where the magnitude rises faster than this, in g/ms; the
        landing is placed at its foot. Leg extension before landing rises far slower.
    onset_step_g : float
        At low sample rates a step of this many g between two samples is steep enough, in g
        (the on-device low-pass spreads the impact over more than one sample).
    takeoff_fall_g : float
        Smallest fall of the magnitude at take-off, in g, within ``fall_span_ms``.
    takeoff_bottom_g : float
        The take-off fall must end below this, in g (a heel-touch spike or the stance wobble
        falls back to about 1 g; the fall into flight towards 0 g), at sample periods up to
        10 ms (100 Hz and above).
    takeoff_bottom_coarse_g : float
        The same level at sample periods of 20 ms and longer (50 Hz and below), in g; between
        10 and 20 ms it goes linearly from ``takeoff_bottom_g`` to this
        (:meth:`takeoff_bottom_at`). At low rates the on-device low-pass fills in the brief
        dip into a flight that limb motion holds up at once.
    fall_span_ms : float
        Time over which the take-off fall is measured, in ms.
    flight_g : float
        Magnitude below which a sample is evidence of flight, in g.
    min_flight_evidence_ms : float
        A flight needs at least this long below ``flight_g`` (at least one sample), in ms.
    min_flight_ms, max_flight_ms : float
        Plausible flight times, in ms.
    impact_guard_ms : float
        The take-off of a contact is sought no earlier than this after its impact peak, in ms
        (skips the impact's decay and ringing).
    stance_check_ms : float
        A landing is followed by a contact: from ``impact_guard_ms`` to this long after its
        impact peak no sample may be below ``stance_g``, in ms. Rejects the rise of limb motion
        inside a flight. Keep it below the shortest contact.
    stance_g : float
        Level of the stance check, in g; the stance (about 1 g, with the foot's wobble
        sometimes down to about 0.3 g) stays above it.
    edge_level : float
        Edges are timed where the magnitude crosses this fraction (0-1) of the way between
        the levels either side of the edge (linear interpolation between the two samples that
        bracket the crossing; on a one-sample step 0.5 gives the mid-point of the interval,
        unbiased for an edge anywhere in it). A linear on-device low-pass delays both edges
        alike, so durations stay consistent across sample rates.
    landing_offset_ms : float
        Systematic correction added to every landing, in ms: from the half-way point of the
        impact's rise back to its start (half the typical 2-10 ms rise; default -3 ms).
    takeoff_offset_ms : float
        Systematic correction added to every take-off, in ms: from the half-way point of the
        take-off fall on to its end (about half the typical 5-15 ms fall).
    gap_level_fraction : float
        A landing with a gap between the flight before it and its impact peak is not timed
        when the gap ends inside the impact's rise or the magnitude between the gap and the
        rise already reaches this fraction (0-1) of the peak: the impact was then lost in the
        gap and the rise found is its ringing.
    landing_lead_ms : float
        Leg extension before landing can lift the magnitude above flight level this long
        before the impact, in ms: a flight whose landing was lost in a gap may have left flight
        level this long before the gap.
    takeoff_offset_periods : float
        Further correction of every take-off, in sample periods: an on-device low-pass
        (anti-alias filter, cut-off near 0.4 x the rate) stretches the broad take-off fall
        more than the sharp impact, so at low rates take-offs come out late.
    peak_timing_min_period_ms : float
        At sample periods of at least this (ms; 8 ms is 125 Hz), landings whose impact rises
        in a single sample step are refined by their peak
        (:func:`analysis.peak_timing.peak_refined_landings`): such an edge gives no more than
        its sample interval, while the vertex of the sampled peak moves with the sampling
        phase.
    peak_timing_min_landings : int
        The refinement needs this many such landings with an unclipped peak in the recording
        (the offset between edge and peak is their median).
    """

    impact_min_g: float = 1.5
    impact_prominence_g: float = 0.5
    impact_relative_min: float = 0.3
    peak_distance_ms: float = 50.0
    onset_slope_g_per_ms: float = 0.2
    onset_step_g: float = 0.8
    takeoff_fall_g: float = 0.8
    takeoff_bottom_g: float = 0.5
    takeoff_bottom_coarse_g: float = 0.7
    fall_span_ms: float = 12.0
    flight_g: float = 0.3
    min_flight_evidence_ms: float = 4.0
    min_flight_ms: float = 20.0
    max_flight_ms: float = 800.0
    impact_guard_ms: float = 40.0
    stance_check_ms: float = 70.0
    stance_g: float = 0.25
    edge_level: float = 0.5
    landing_offset_ms: float = -3.0
    takeoff_offset_ms: float = 5.8
    takeoff_offset_periods: float = -0.25
    gap_level_fraction: float = 0.2
    landing_lead_ms: float = 80.0
    peak_timing_min_period_ms: float = 8.0
    peak_timing_min_landings: int = 10

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_offset_ms", "_offset_periods")):
                if not -50 <= value <= 50:
                    raise ValueError(f"`{f.name}` must be in [-50, 50] ms, got {value!r}")
            elif not value > 0:
                raise ValueError(f"`{f.name}` must be greater than 0, got {value!r}")
        if self.min_flight_ms >= self.max_flight_ms:
            raise ValueError("`min_flight_ms` must be below `max_flight_ms`")

    def takeoff_bottom_at(self, sampling_rate_hz: float) -> float:
        """Return the level a take-off fall must end below at this sample rate, in g.

        Parameters
        ----------
        sampling_rate_hz : float
            Effective sample rate, in Hz.

        Returns
        -------
        float
            ``takeoff_bottom_g`` at sample periods up to 10 ms, ``takeoff_bottom_coarse_g``
            from 20 ms, linear in the period between.
        """
        period_ms = 1e3 / sampling_rate_hz
        w = min(max((period_ms - 10.0) / 10.0, 0.0), 1.0)
        return self.takeoff_bottom_g + w * (self.takeoff_bottom_coarse_g - self.takeoff_bottom_g)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of one analysis run; every report shows the values used.

    Parameters
    ----------
    exercise : {"hops", "rebound", "auto"}
        ``"hops"`` for repeated hops (default); ``"rebound"`` for rebound / drop jumps, where
        each contact lies between two flights and may last up to about 1 s; ``"auto"`` for a
        session of both, each set judged as what it is (:mod:`analysis.mixed`).
    target_hz : float
        Target hop frequency of a set, in Hz.
    target_tolerance_hz : float
        A set is below target when its frequency is below ``target_hz - target_tolerance_hz``.
    slow_contact_ms : float
        Contact time above which a rebound is slow, in ms.
    slow_share : float
        A set is also a slow rebound when more than this share (0–1) of its hops exceed
        ``slow_contact_ms``, even if its median does not.
    min_hops : int
        Sets with fewer complete contacts than this get the ``too_few_hops`` flag.
    set_gap_s : float
        A pause longer than this without flights ends a set, in s.
    min_sample_rate_hz : float
        Recordings sampled below this (by more than :data:`RATE_TOLERANCE`, a device clock's
        error) get the ``low_sample_rate`` flag, in Hz.
    max_gap_samples : float
        A time step longer than this many nominal sample periods is a gap (never bridged).
    body_mass_kg : float, optional
        Body mass for vertical stiffness, in kg. Taken from the recording's metadata when
        not given.
    rebound_set_gap_s : float
        ``"rebound"`` only: jumps (each one contact between two flights, with rest between)
        less than this apart, landing to landing, form one set, in s.
    min_contact_ms : float
        Shortest plausible contact, in ms; shorter contacts are rejected (listed, not used).
    max_contact_ms : float, optional
        Longest plausible contact, in ms; default 600 ms for ``"hops"`` and 1000 ms for
        ``"rebound"`` (see :attr:`contact_limit_ms`).
    period_tolerance : float
        A hop whose period (landing to next landing) differs from the running median of its
        set by more than this fraction is rejected as a stumble or a missed hop.
    contact_tolerance : float
        A contact whose time differs from the running median contact of its set by more than
        this fraction is rejected (an edge taken from the wrong place).
    retry_tolerance : float
        A contact whose time differs from the median contact of its set by more than this
        fraction has its take-off sought again near that median; the new one is kept only if
        it is closer (limb motion after take-off can hide the fall into flight).
    detection : DetectionSettings
        Settings of the flight detector.
    """

    exercise: str = "hops"
    target_hz: float = 3.0
    target_tolerance_hz: float = 0.05
    slow_contact_ms: float = 250.0
    slow_share: float = 0.5
    min_hops: int = 5
    set_gap_s: float = 1.0
    min_sample_rate_hz: float = 100.0
    max_gap_samples: float = 2.5
    body_mass_kg: float | None = None
    rebound_set_gap_s: float = 12.0
    min_contact_ms: float = 80.0
    max_contact_ms: float | None = None
    period_tolerance: float = 0.3
    contact_tolerance: float = 0.4
    retry_tolerance: float = 0.25
    detection: DetectionSettings = field(default_factory=DetectionSettings)

    @property
    def contact_limit_ms(self) -> float:
        """Longest plausible contact in ms: ``max_contact_ms`` or the exercise's default."""
        if self.max_contact_ms is not None:
            return float(self.max_contact_ms)
        return 1000.0 if self.exercise == "rebound" else 600.0

    def __post_init__(self) -> None:
        if not isinstance(self.detection, DetectionSettings):
            raise ValueError(
                f"`detection` must be a DetectionSettings, got {type(self.detection).__name__}"
            )
        if not self.min_contact_ms > 0:
            raise ValueError(
                f"`min_contact_ms` must be greater than 0, got {self.min_contact_ms!r}"
            )
        if self.max_contact_ms is not None and not self.max_contact_ms > self.min_contact_ms:
            raise ValueError(
                f"`max_contact_ms` must be above `min_contact_ms`, got {self.max_contact_ms!r}"
            )
        if not 0 < self.retry_tolerance:
            raise ValueError(
                f"`retry_tolerance` must be greater than 0, got {self.retry_tolerance!r}"
            )
        if not 0 < self.contact_tolerance:
            raise ValueError(
                f"`contact_tolerance` must be greater than 0, got {self.contact_tolerance!r}"
            )
        if not 0 < self.period_tolerance < 1:
            raise ValueError(f"`period_tolerance` must be in (0, 1), got {self.period_tolerance!r}")
        if self.exercise not in EXERCISES:
            raise ValueError(f"`exercise` must be one of {EXERCISES}, got {self.exercise!r}")
        for name in (
            "target_hz",
            "slow_contact_ms",
            "set_gap_s",
            "min_sample_rate_hz",
            "max_gap_samples",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"`{name}` must be greater than 0, got {value!r}")
        if not 0 <= self.target_tolerance_hz < self.target_hz:
            raise ValueError(
                f"`target_tolerance_hz` must be in [0, target_hz), got {self.target_tolerance_hz!r}"
            )
        if not 0 < self.slow_share <= 1:
            raise ValueError(f"`slow_share` must be in (0, 1], got {self.slow_share!r}")
        if self.min_hops < 1:
            raise ValueError(f"`min_hops` must be at least 1, got {self.min_hops!r}")
        if self.body_mass_kg is not None and not self.body_mass_kg > 0:
            raise ValueError(f"`body_mass_kg` must be greater than 0, got {self.body_mass_kg!r}")

    def replace(self, **changes: Any) -> AnalysisSettings:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict."""
        return dataclasses.asdict(self)
