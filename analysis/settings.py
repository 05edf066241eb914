"""Every setting of the analysis, with its documented default.

The defaults come from shared hop science: a 3.0 Hz target for single-leg hops with 0.05 Hz of
tolerance (a device clock 1 % off moves 3.00 Hz by 0.03 Hz), and 250 ms of contact as the
boundary between fast and slow stretch-shortening cycles (Flanagan & Comyns 2008).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

EXERCISES = ("hops", "rebound")


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of one analysis run; every report shows the values used.

    Parameters
    ----------
    exercise : {"hops", "rebound"}
        ``"hops"`` for repeated hops (default); ``"rebound"`` for rebound / drop jumps, where
        each contact lies between two flights and may last up to about 1 s.
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
        Recordings sampled below this get the ``low_sample_rate`` flag, in Hz.
    max_gap_samples : float
        A time step longer than this many nominal sample periods is a gap (never bridged).
    body_mass_kg : float, optional
        Body mass for vertical stiffness, in kg. Taken from the recording's metadata when
        not given.
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

    def __post_init__(self) -> None:
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
