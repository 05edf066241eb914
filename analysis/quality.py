"""The data-quality figures of a recording, reported beside every result."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import TimeBase
from analysis.settings import rate_below
from imu.recording import RecordingMeta


def quality_report(
    tb: TimeBase,
    *,
    n_samples: int,
    meta: RecordingMeta,
    clipped: np.ndarray,
    hops: pd.DataFrame,
    rejected_contacts: int,
    min_sample_rate_hz: float,
) -> dict[str, Any]:
    """Return the quality dict of an analysis; keys carry their units.

    Parameters
    ----------
    tb : TimeBase
        The recording's time base (:func:`analysis.clean.time_base`).
    n_samples : int
        Number of samples.
    meta : RecordingMeta
        Metadata: nominal rate, range and the recorder's loss counts.
    clipped : numpy.ndarray of bool
        Clipped samples.
    hops : pandas.DataFrame
        The per-hop table (``impact_clipped`` is counted).
    rejected_contacts : int
        Contacts rejected as implausible.
    min_sample_rate_hz : float
        Rate below which timing is called coarse, in Hz.

    Returns
    -------
    dict
        ``samples``, ``duration_s``, ``nominal_rate_hz`` (None when unknown),
        ``effective_rate_hz``, ``rate_error`` (effective / nominal − 1, None when unknown),
        ``jitter_ms``, ``gaps``, ``lost_samples`` (estimated from the gaps),
        ``lost_packets_reported`` and ``lost_samples_reported`` (from the recorder),
        ``range_g``, ``clipped_samples``, ``clipped_impacts``, ``clipped_impact_share``,
        ``rejected_contacts``, ``timing_resolution_ms`` (one sample period) and
        ``coarse_timing`` (rate below ``min_sample_rate_hz``).
    """
    nominal = meta.sample_rate_hz
    clipped_impacts = int(hops["impact_clipped"].astype(bool).sum()) if len(hops) else 0
    return {
        "samples": int(n_samples),
        "duration_s": tb.duration_s,
        "nominal_rate_hz": nominal,
        "effective_rate_hz": tb.effective_rate_hz,
        "rate_error": (tb.effective_rate_hz / nominal - 1.0) if nominal else None,
        "jitter_ms": tb.jitter_ms,
        "gaps": len(tb.gap_index),
        "lost_samples": tb.lost_samples,
        "lost_packets_reported": meta.lost_packets,
        "lost_samples_reported": meta.lost_samples,
        "range_g": meta.range_g,
        "clipped_samples": int(np.count_nonzero(clipped)),
        "clipped_impacts": clipped_impacts,
        "clipped_impact_share": clipped_impacts / len(hops) if len(hops) else 0.0,
        "rejected_contacts": int(rejected_contacts),
        "timing_resolution_ms": 1e3 / tb.effective_rate_hz,
        "coarse_timing": rate_below(tb.effective_rate_hz, min_sample_rate_hz),
    }
