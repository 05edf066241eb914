"""Words of the reports: metric definitions, setting descriptions, data-quality explanations."""

from __future__ import annotations

#: (name, unit, definition) of every metric the report shows.
METRIC_DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("landing", "s", "The first instant the foot touches the ground (initial contact)."),
    ("take-off", "s", "The last instant the foot touches the ground before the next flight."),
    ("contact", "ms", "Ground contact time: take-off minus landing of the same contact."),
    (
        "flight",
        "ms",
        "Time in the air after a take-off until the next landing; empty for the last hop of a set.",
    ),
    (
        "hop rate (per hop)",
        "Hz",
        "1 / (next landing − this landing): hops per second of one hop; empty for the last hop.",
    ),
    (
        "hop rate (per set)",
        "Hz",
        "(landings − 1) / (last landing − first landing): the average rate over the whole set.",
    ),
    (
        "duty factor",
        "0–1",
        "contact / (contact + flight): the share of each hop spent on the ground.",
    ),
    (
        "flight height",
        "cm",
        "g · flight² / 8: how high the body rose, assuming the same posture at take-off and landing.",
    ),
    ("reactive strength ratio (RSR)", "–", "flight / contact (Healy et al. 2018)."),
    (
        "reactive strength index (RSI)",
        "m/s",
        "flight height / contact time; not the same number as RSR.",
    ),
    (
        "impact peak",
        "g",
        "Largest acceleration magnitude early in the contact; marked when clipped.",
    ),
    (
        "vertical stiffness",
        "kN/m",
        "Sine-wave spring-mass model of Dalleau et al. (2004) from body mass, contact and flight; "
        "only with a body mass.",
    ),
    ("median, IQR", "as the metric", "Middle value of a set, and the spread of its middle half."),
    ("CV", "0–1", "Coefficient of variation: standard deviation / mean; lower is more regular."),
    (
        "contact trend",
        "ms/hop",
        "Least-squares slope of contact time over the hops of a set; a rising contact "
        "(positive slope) is the usual sign of fatigue.",
    ),
    (
        "slow share",
        "0–1",
        "Share of the hops of a set whose contact is longer than the slow-rebound threshold.",
    ),
)

#: What each analysis setting means, keyed by its name in AnalysisSettings.
SETTING_TEXT: dict[str, str] = {
    "exercise": "kind of drill: repeated hops or rebound / drop jumps",
    "target_hz": "target hop rate of a set, Hz",
    "target_tolerance_hz": "a set fails the target below target − tolerance, Hz",
    "slow_contact_ms": "contact longer than this is a slow rebound, ms",
    "slow_share": "a set is also slow when more than this share of hops exceed the threshold",
    "min_hops": "sets with fewer complete contacts get too_few_hops",
    "set_gap_s": "a pause longer than this without flights ends a set, s",
    "min_sample_rate_hz": "recordings sampled below this get low_sample_rate, Hz",
    "max_gap_samples": "a time step longer than this many sample periods is a gap",
    "body_mass_kg": "body mass for vertical stiffness, kg",
}

#: Labels for quality figures the analysis reports; unknown keys are shown as they are.
QUALITY_LABELS: dict[str, str] = {
    "effective_rate_hz": "effective sample rate (Hz)",
    "nominal_rate_hz": "nominal sample rate (Hz)",
    "median_period_s": "median sample period (s)",
    "jitter_ms": "timestamp jitter (ms)",
    "duration_s": "duration (s)",
    "samples": "samples",
    "gaps": "gaps in the time axis",
    "gap_total_s": "time lost in gaps (s)",
    "lost_samples": "samples lost in gaps (estimated)",
    "lost_samples_reported": "samples lost (reported by the recorder)",
    "lost_packets_reported": "radio packets lost (reported by the recorder)",
    "clipped_samples": "clipped samples",
    "clipped_share": "share of samples clipped",
    "clipped_impacts": "impacts clipped",
    "range_g": "sensor range (± g)",
    "rate_error": "clock error: effective / nominal rate − 1",
    "clipped_impact_share": "share of impacts clipped",
    "rejected_contacts": "implausible contacts left out",
    "timing_resolution_ms": "timing resolution: one sample period (ms)",
    "coarse_timing": "timing coarse (rate below the minimum)",
}
