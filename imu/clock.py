"""Clocks for streaming: the host's monotonic clock, or a scaled one for emulated sessions.

The recorder stamps every notification with ``clock.now_ns()`` and waits with
``await clock.sleep(s)``. Against real hardware the clock is :class:`MonotonicClock`. Against an
emulated device both sides share one clock; :class:`ScaledClock` runs it faster than real time so
that a long session is recorded in a few seconds of test time.
"""

from __future__ import annotations

import asyncio
import math
import time


class MonotonicClock:
    """The host's monotonic clock (``time.monotonic_ns``), in real time."""

    speed = 1.0

    def now_ns(self) -> int:
        """Return the current time in ns (arbitrary origin, never goes backwards)."""
        return time.monotonic_ns()

    def now_s(self) -> float:
        """Return the current time in s (arbitrary origin)."""
        return self.now_ns() * 1e-9

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        await asyncio.sleep(max(seconds, 0.0))


class ScaledClock(MonotonicClock):
    """A monotonic clock running ``speed`` times faster than real time.

    Parameters
    ----------
    speed : float
        Clock seconds per real second; 1.0 is real time.

    Raises
    ------
    ValueError
        ``speed`` is not a positive finite number.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if not (isinstance(speed, (int, float)) and math.isfinite(speed) and speed > 0):
            raise ValueError(f"`speed` must be a positive number, got {speed!r}")
        self.speed = float(speed)
        self._origin_ns = time.monotonic_ns()

    def now_ns(self) -> int:
        """Return the scaled time in ns since the clock was made."""
        return int((time.monotonic_ns() - self._origin_ns) * self.speed)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of scaled time (``seconds / speed`` of real time)."""
        await asyncio.sleep(max(seconds, 0.0) / self.speed)


def make_clock(speed: float = 1.0) -> MonotonicClock:
    """Return the real monotonic clock for ``speed == 1``, otherwise a :class:`ScaledClock`."""
    return MonotonicClock() if speed == 1.0 else ScaledClock(speed)
