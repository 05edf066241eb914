"""hopscope analysis side: contacts, flights, hop and set metrics, flags, plots and reports.

This package works on a plain sample table and never imports bleak.
"""

from typing import TYPE_CHECKING

from analysis._lazy import lazy_attributes

# Names load with their modules on first use: ``import analysis`` (and the command line's
# light commands) do not load scipy and pandas.
_EXPORTS = {
    "clipped_samples": "analysis.clean",
    "magnitude_g": "analysis.clean",
    "time_base": "analysis.clean",
    "detect_flights": "analysis.detect",
    "impact_peaks": "analysis.detect",
    "retime_takeoffs": "analysis.detect",
    "dalleau_stiffness_kn_per_m": "analysis.metrics",
    "flight_height_cm": "analysis.metrics",
    "hop_metrics": "analysis.metrics",
    "analyze": "analysis.pipeline",
    "analyze_file": "analysis.pipeline",
    "HopAnalysis": "analysis.result",
    "check_contacts": "analysis.sets",
    "group_flights": "analysis.sets",
    "pair_contacts": "analysis.sets",
    "set_frequency_hz": "analysis.sets",
    "set_summaries": "analysis.sets",
    "AnalysisSettings": "analysis.settings",
    "DetectionSettings": "analysis.settings",
}
__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)

if TYPE_CHECKING:
    from analysis.clean import clipped_samples, magnitude_g, time_base
    from analysis.detect import detect_flights, impact_peaks, retime_takeoffs
    from analysis.metrics import dalleau_stiffness_kn_per_m, flight_height_cm, hop_metrics
    from analysis.pipeline import analyze, analyze_file
    from analysis.result import HopAnalysis
    from analysis.sets import (
        check_contacts,
        group_flights,
        pair_contacts,
        set_frequency_hz,
        set_summaries,
    )
    from analysis.settings import AnalysisSettings, DetectionSettings

__all__ = [
    "AnalysisSettings",
    "DetectionSettings",
    "HopAnalysis",
    "analyze",
    "analyze_file",
    "check_contacts",
    "clipped_samples",
    "dalleau_stiffness_kn_per_m",
    "detect_flights",
    "flight_height_cm",
    "group_flights",
    "hop_metrics",
    "impact_peaks",
    "magnitude_g",
    "pair_contacts",
    "retime_takeoffs",
    "set_frequency_hz",
    "set_summaries",
    "time_base",
]
