"""hopscope analysis side: contacts, flights, hop and set metrics, flags, plots and reports.

This package works on a plain sample table and never imports bleak.
"""

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
