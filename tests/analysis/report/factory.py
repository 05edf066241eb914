"""Hand-built HopAnalysis objects with the documented columns, for plot and report tests.

They do not depend on the detector: hops are laid out exactly as asked, the signal is a simple
free-fall / impact shape around them, and the set table and flags follow the documented rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.result import (
    FLAG_BELOW_TARGET,
    FLAG_GAPS,
    FLAG_SLOW_REBOUND,
    FLAG_TOO_FEW_HOPS,
    HOP_COLUMNS,
    SET_COLUMNS,
    HopAnalysis,
)
from analysis.settings import AnalysisSettings
from imu.recording import RecordingMeta

G = 9.80665


@dataclass(frozen=True)
class FakeSet:
    hops: int = 20
    hop_hz: float = 3.2
    contact_ms: float = 180.0
    contact_drift_ms: float = 0.0  # added per hop (fatigue)


def make_result(
    sets: Sequence[FakeSet] = (FakeSet(), FakeSet(hop_hz=2.7, contact_ms=270.0)),
    *,
    sample_rate_hz: float = 200.0,
    rest_s: float = 5.0,
    gap: tuple[float, float] | None = None,
    meta: RecordingMeta | None = None,
    settings: AnalysisSettings | None = None,
    seed: int = 0,
) -> HopAnalysis:
    settings = settings or AnalysisSettings()
    rng = np.random.default_rng(seed)
    hop_rows = []
    t = rest_s
    for number, spec in enumerate(sets, start=1):
        period = 1.0 / spec.hop_hz
        landings = t + period * np.arange(spec.hops)
        for i, landing in enumerate(landings):
            contact = (spec.contact_ms + spec.contact_drift_ms * i + rng.normal(0, 3)) / 1000
            contact = min(contact, period * 0.9)
            has_next = i + 1 < spec.hops
            flight = (landings[i + 1] - landing - contact) if has_next else np.nan
            hop_rows.append(
                {
                    "set": number,
                    "hop": i + 1,
                    "landing_s": landing,
                    "takeoff_s": landing + contact,
                    "contact_ms": contact * 1000,
                    "flight_ms": flight * 1000,
                    "hop_hz": 1 / (landings[i + 1] - landing) if has_next else np.nan,
                    "duty_factor": contact / (contact + flight) if has_next else np.nan,
                    "flight_height_cm": G * flight**2 / 8 * 100,
                    "reactive_strength_ratio": flight / contact,
                    "reactive_strength_index_mps": G * flight**2 / 8 / contact,
                    "impact_peak_g": 6.0 + rng.normal(0, 0.5),
                    "impact_clipped": False,
                    "stiffness_kn_per_m": np.nan,
                    "edge_lost": "",
                }
            )
        t = landings[-1] + period + rest_s
    hops = pd.DataFrame(hop_rows, columns=list(HOP_COLUMNS))
    set_rows = []
    for number, group in hops.groupby("set"):
        contact = group["contact_ms"]
        flight = group["flight_ms"].dropna()
        lands = group["landing_s"].to_numpy()
        hop_hz = (len(lands) - 1) / (lands[-1] - lands[0])
        slow_share = float((contact > settings.slow_contact_ms).mean())
        flags = []
        if hop_hz < settings.target_hz - settings.target_tolerance_hz:
            flags.append(FLAG_BELOW_TARGET)
        if contact.median() > settings.slow_contact_ms or slow_share > settings.slow_share:
            flags.append(FLAG_SLOW_REBOUND)
        if len(group) < settings.min_hops:
            flags.append(FLAG_TOO_FEW_HOPS)
        x = np.arange(len(group))
        set_rows.append(
            {
                "set": int(number),
                "exercise": settings.exercise,
                "start_s": float(lands[0]),
                "end_s": float(group["takeoff_s"].iloc[-1]),
                "hops": len(group),
                "hop_hz": hop_hz,
                "contact_ms": float(contact.median()),
                "contact_iqr_ms": float(contact.quantile(0.75) - contact.quantile(0.25)),
                "flight_ms": float(flight.median()) if len(flight) else np.nan,
                "flight_iqr_ms": float(flight.quantile(0.75) - flight.quantile(0.25))
                if len(flight)
                else np.nan,
                "contact_cv": float(contact.std() / contact.mean()),
                "flight_cv": float(flight.std() / flight.mean()) if len(flight) > 1 else np.nan,
                "duty_factor": float(group["duty_factor"].median()),
                "slow_share": slow_share,
                "contact_trend_ms_per_hop": float(np.polyfit(x, contact, 1)[0])
                if len(group) > 1
                else np.nan,
                "hop_hz_trend_per_hop": 0.0,
                "flags": tuple(flags),
            }
        )
    set_table = pd.DataFrame(set_rows, columns=list(SET_COLUMNS))

    duration = t
    time_s = np.arange(0, duration, 1 / sample_rate_hz)
    magnitude = np.ones_like(time_s) + rng.normal(0, 0.03, time_s.size)
    for row in hops.itertuples():
        in_contact = (time_s >= row.landing_s) & (time_s < row.takeoff_s)
        phase = (time_s[in_contact] - row.landing_s) / (row.takeoff_s - row.landing_s)
        magnitude[in_contact] = 1 + 4 * np.sin(np.pi * phase)
        end = (
            row.landing_s + 1 / 3
            if np.isnan(row.flight_ms)
            else row.takeoff_s + row.flight_ms / 1000
        )
        in_flight = (time_s >= row.takeoff_s) & (time_s < end)
        magnitude[in_flight] = 0.1 + rng.normal(0, 0.02, in_flight.sum())
    gaps = []
    if gap is not None:
        keep = (time_s < gap[0]) | (time_s >= gap[1])
        time_s, magnitude = time_s[keep], magnitude[keep]
        before = time_s[time_s < gap[0]][-1]
        after = time_s[time_s >= gap[1]][0]
        gaps = [(float(before), float(after))]
    flags = sorted({f for fl in set_table["flags"] for f in fl} | ({FLAG_GAPS} if gaps else set()))
    meta = meta or RecordingMeta(
        device="Simulated IMU",
        sample_rate_hz=sample_rate_hz,
        range_g=16.0,
        start_utc="2026-11-20T07:31:02Z",
        athlete="A01",
        leg="L",
        placement="laces",
    )
    quality = {
        "samples": int(time_s.size),
        "duration_s": float(time_s[-1] - time_s[0]),
        "nominal_rate_hz": meta.sample_rate_hz,
        "effective_rate_hz": sample_rate_hz,
        "jitter_ms": 0.1,
        "gaps": len(gaps),
        "lost_samples": int(sum((b - a) * sample_rate_hz - 1 for a, b in gaps)),
        "lost_packets_reported": meta.lost_packets,
        "range_g": meta.range_g,
        "clipped_impacts": 0,
        "timing_resolution_ms": 1000 / sample_rate_hz,
    }
    return HopAnalysis(
        hops=hops,
        sets=set_table,
        flags=tuple(flags),
        quality=quality,
        settings=settings,
        meta=meta,
        info={"time_s": time_s, "magnitude_g": magnitude, "gaps": gaps},
    )
