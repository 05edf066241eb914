"""The frozen result of a whole analysis and the column schemas of its tables.

The schemas are documented for users in ``docs/schemas.md``; keep the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.settings import AnalysisSettings
from imu.recording import RecordingMeta

#: Per-hop table, one row per complete ground contact (landing then take-off).
HOP_COLUMNS: tuple[str, ...] = (
    "set",  # 1-based set number
    "hop",  # 1-based contact number within the set
    "landing_s",  # initial contact, s on the recording's time axis
    "takeoff_s",  # take-off, s
    "contact_ms",  # takeoff_s - landing_s, ms
    "flight_ms",  # next landing - this take-off, ms; NaN when no landing follows in the set
    "hop_hz",  # 1 / (next landing - this landing), Hz; NaN when no landing follows
    "duty_factor",  # contact / (contact + flight), 0-1
    "flight_height_cm",  # g * t_f^2 / 8, cm
    "reactive_strength_ratio",  # t_f / t_c (RSR, Healy et al. 2018), dimensionless
    "reactive_strength_index_mps",  # flight height / contact time (RSI), m/s
    "impact_peak_g",  # largest |a| in the first part of the contact, g
    "impact_clipped",  # True when the impact reached the sensor's full scale
    "stiffness_kn_per_m",  # Dalleau et al. 2004 vertical stiffness, kN/m; NaN without body mass
    "edge_lost",  # "landing" or "takeoff" when that edge fell in a gap of the data (then NaN), else ""
    "exercise",  # the drill of the hop's set: "hops" or "rebound" (see SET_COLUMNS)
)

#: Per-set table, one row per set.
SET_COLUMNS: tuple[str, ...] = (
    "set",  # 1-based set number
    "exercise",  # "hops" (repeated hops) or "rebound" (rebound jumps): the rules it is judged by
    "start_s",  # first landing, s
    "end_s",  # last take-off, s
    "hops",  # complete contacts in the set
    "hop_hz",  # (landings - 1) / (last landing - first landing), Hz
    "contact_ms",  # median contact, ms
    "contact_iqr_ms",  # interquartile range of contact, ms
    "flight_ms",  # median flight, ms
    "flight_iqr_ms",  # interquartile range of flight, ms
    "contact_cv",  # coefficient of variation of contact (SD / mean), 0-1
    "flight_cv",  # coefficient of variation of flight, 0-1
    "duty_factor",  # median duty factor, 0-1
    "slow_share",  # share of hops with contact above the slow threshold, 0-1
    "contact_trend_ms_per_hop",  # least-squares slope of contact over hop number, ms/hop
    "hop_hz_trend_per_hop",  # slope of per-hop frequency over hop number, Hz/hop
    "flags",  # tuple of flag codes of this set
)

#: Flag codes, exactly as they appear in JSON and CSV outputs.
FLAG_BELOW_TARGET = "below_target_frequency"
FLAG_SLOW_REBOUND = "slow_rebound"
FLAG_LOW_SAMPLE_RATE = "low_sample_rate"
FLAG_CLIPPING = "clipping"
FLAG_GAPS = "gaps"
FLAG_TOO_FEW_HOPS = "too_few_hops"
FLAGS: tuple[str, ...] = (
    FLAG_BELOW_TARGET,
    FLAG_SLOW_REBOUND,
    FLAG_LOW_SAMPLE_RATE,
    FLAG_CLIPPING,
    FLAG_GAPS,
    FLAG_TOO_FEW_HOPS,
)
#: The flags that fail a set's verdict (hop rate, contacts); the others say how far the
#: verdict can be trusted.
VERDICT_FLAGS: frozenset[str] = frozenset({FLAG_BELOW_TARGET, FLAG_SLOW_REBOUND})


def _json_value(value: Any) -> Any:
    """Convert numpy and pandas scalars to JSON values; NaN becomes None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class HopAnalysis:
    """Everything one analysis found, with every setting it used.

    Parameters
    ----------
    hops : pandas.DataFrame
        One row per complete contact, columns :data:`HOP_COLUMNS`.
    sets : pandas.DataFrame
        One row per set, columns :data:`SET_COLUMNS`.
    flags : tuple of str
        Union of the sets' flags and the recording's data-quality flags.
    quality : dict
        Data-quality figures (effective sample rate, jitter, gaps, lost samples, clipped share,
        ...); keys carry units.
    settings : AnalysisSettings
        The settings used.
    meta : RecordingMeta
        Metadata of the recording analysed.
    info : dict
        Intermediate detection output for plots and research (e.g. the magnitude signal and
        rejected candidates); not part of the stable output schema.
    """

    hops: pd.DataFrame
    sets: pd.DataFrame
    flags: tuple[str, ...]
    quality: dict[str, Any]
    settings: AnalysisSettings
    meta: RecordingMeta = field(default_factory=RecordingMeta)
    info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_hops(self) -> int:
        """Number of complete contacts in all sets."""
        return len(self.hops)

    def summary_dict(self) -> dict[str, Any]:
        """Return the JSON summary documented in ``docs/schemas.md``."""
        sets = []
        for row in self.sets.itertuples(index=False):
            sets.append(
                {
                    "set": int(row.set),
                    "exercise": row.exercise,
                    "start_s": row.start_s,
                    "end_s": row.end_s,
                    "hops": int(row.hops),
                    "hop_hz": row.hop_hz,
                    "contact_ms": row.contact_ms,
                    "flight_ms": row.flight_ms,
                    "contact_iqr_ms": row.contact_iqr_ms,
                    "flight_iqr_ms": row.flight_iqr_ms,
                    "contact_cv": row.contact_cv,
                    "flight_cv": row.flight_cv,
                    "duty_factor": row.duty_factor,
                    "slow_share": row.slow_share,
                    "contact_trend_ms_per_hop": row.contact_trend_ms_per_hop,
                    "hop_hz_trend_per_hop": row.hop_hz_trend_per_hop,
                    "flags": list(row.flags),
                }
            )
        return _json_value(
            {
                "hops": self.n_hops,
                "sets": sets,
                "flags": list(self.flags),
                "settings": self.settings.to_dict(),
                "quality": self.quality,
                "meta": self.meta.to_dict(),
            }
        )

    def hops_table(self) -> pd.DataFrame:
        """Return the per-hop table as written to ``--hops-csv`` (a copy)."""
        return self.hops.loc[:, list(HOP_COLUMNS)].copy()
