"""Live hop counting on a stream of samples (``hopscope record --live``).

:class:`LiveHopCounter` keeps the last few seconds of samples and runs the analysis engine's
flight detector (:func:`analysis.detect.detect_flights`, then the contact pairing and
plausibility checks of :mod:`analysis.sets`) on them. A hop can only be completed by a landing,
so the detector runs as soon as ``settle_s`` of samples have arrived after a possible impact
(a magnitude above the detector's ``impact_min_g``), and otherwise at most every
``update_interval_s`` while samples arrive. A complete ground contact (a landing, then the
take-off of the next flight, whose landing is also seen) is counted once: a contact is new
unless a counted landing lies within ``min_contact_ms`` of it.

Latency is measured from the arrival of the notification that completed the settle time after
an impact to the end of the detector run it triggered.

It works on plain arrays (time in s, acceleration in g) and never imports bleak; the command
line feeds it from the recorder.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.clean import time_base
from analysis.detect import detect_flights
from analysis.sets import check_contacts, group_flights, pair_contacts
from analysis.settings import AnalysisSettings


@dataclass
class LiveState:
    """What the live view shows.

    Attributes
    ----------
    hops : int
        Complete contacts counted so far.
    last_contact_ms : float
        Contact time of the latest contact, ms (NaN before the first).
    last_landing_s : float
        Landing time of the latest contact, s on the stream's time axis (NaN before the first).
    hop_hz : float
        Hop rate over the latest contacts of the current set, Hz (NaN when fewer than three).
    updates : int
        Detector runs so far.
    """

    hops: int = 0
    last_contact_ms: float = math.nan
    last_landing_s: float = math.nan
    hop_hz: float = math.nan
    updates: int = 0


class LiveHopCounter:
    """Count hops as samples stream in.

    Parameters
    ----------
    settings : AnalysisSettings, optional
        Detector and set settings (default: the analysis defaults).
    window_s : float
        Seconds of the most recent samples searched at each update.
    update_interval_s : float
        Longest time between two detector runs while samples arrive, in s of ``clock_ns``
        time (runs triggered by an impact come sooner).
    rate_hops : int
        Contacts over which the live hop rate is measured.
    settle_s : float
        A contact is counted once the landing that ends its flight is this far from the newest
        sample, in s (an impact in the last samples can still move).
    clock_ns : callable
        Clock giving the current time in ns (for latency figures); default
        :func:`time.monotonic_ns`.

    Raises
    ------
    ValueError
        ``window_s`` or ``update_interval_s`` is not positive.
    """

    def __init__(
        self,
        *,
        settings: AnalysisSettings | None = None,
        window_s: float = 4.0,
        update_interval_s: float = 1.0,
        rate_hops: int = 6,
        settle_s: float = 0.15,
        clock_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        if not window_s > 0:
            raise ValueError(f"`window_s` must be > 0, got {window_s!r}")
        if not update_interval_s > 0:
            raise ValueError(f"`update_interval_s` must be > 0, got {update_interval_s!r}")
        self.settings = settings or AnalysisSettings()
        self.window_s = float(window_s)
        self.update_interval_ns = int(update_interval_s * 1e9)
        self.clock_ns = clock_ns
        self.state = LiveState()
        self.latencies_ms: deque[float] = deque(maxlen=20000)
        self._blocks: deque[tuple[np.ndarray, np.ndarray]] = deque()
        self._impact_g = float(self.settings.detection.impact_min_g)
        self._flight_g = float(self.settings.detection.flight_g)
        self._armed = True
        self._trigger_s = math.inf
        self._due_ns: int | None = None
        self._fresh = False
        self._last_t = -math.inf
        self._last_run_ns: int | None = None
        self._landings: deque[float] = deque(maxlen=max(2, rate_hops))
        self._counted: deque[float] = deque(maxlen=64)
        self.settle_s = float(settle_s)
        self._min_gap_s = self.settings.min_contact_ms * 1e-3

    def feed(self, time_s: np.ndarray, acc_g: np.ndarray, arrival_ns: int | None = None) -> None:
        """Add samples: ``time_s`` (n,) in s, ``acc_g`` (n, 3) in g, arrival time in ns."""
        t = np.asarray(time_s, dtype=np.float64)
        keep = t > self._last_t
        if not keep.all():
            t = t[keep]
            acc_g = np.asarray(acc_g)[keep]
        if len(t) == 0:
            return
        mag = np.sqrt(np.einsum("ij,ij->i", acc_g, acc_g))
        self._blocks.append((t, mag))
        self._last_t = float(t[-1])
        self._fresh = True
        start = 0
        if not self._armed:
            # Re-arm on the next flight sample (a landing always follows a flight).
            low = np.flatnonzero(mag < self._flight_g)
            if len(low):
                self._armed, start = True, int(low[0])
        if self._armed:
            above = np.flatnonzero(mag[start:] > self._impact_g)
            if len(above):
                self._trigger_s = float(t[start + above[0]]) + self.settle_s
                self._armed = False
        if self._trigger_s <= self._last_t and self._due_ns is None:
            self._due_ns = arrival_ns if arrival_ns is not None else self.clock_ns()
            self._trigger_s = math.inf
        while self._blocks and self._blocks[0][0][-1] < self._last_t - self.window_s:
            self._blocks.popleft()

    def update(self, now_ns: int | None = None, *, force: bool = False) -> bool:
        """Run the detector if an impact has settled, or the interval has passed.

        Parameters
        ----------
        now_ns : int, optional
            Current time of ``clock_ns``, in ns.
        force : bool
            Run whenever there are new samples.

        Returns
        -------
        bool
            Whether the detector ran.
        """
        now_ns = self.clock_ns() if now_ns is None else now_ns
        if not self._fresh:
            return False
        periodic = (
            self._last_run_ns is None or now_ns - self._last_run_ns >= self.update_interval_ns
        )
        if self._due_ns is None and not periodic and not force:
            return False
        self._last_run_ns = now_ns
        self._fresh = False
        self._detect()
        if self._due_ns is not None:
            self.latencies_ms.append((self.clock_ns() - self._due_ns) * 1e-6)
            self._due_ns = None
        self.state.updates += 1
        return True

    def _detect(self) -> None:
        if not self._blocks:
            return
        t = np.concatenate([b[0] for b in self._blocks])
        mag = np.concatenate([b[1] for b in self._blocks])
        if len(t) < 20 or t[-1] - t[0] < 0.5:
            return
        s = self.settings
        flights = self._flights(t, mag)
        if len(flights) < 2:
            return
        flights = flights.assign(
            set=group_flights(
                flights["takeoff_s"].to_numpy(),
                flights["landing_s"].to_numpy(),
                set_gap_s=s.set_gap_s,
            )
        )
        contacts = pair_contacts(flights)
        if not len(contacts):
            return
        reasons = check_contacts(
            contacts,
            min_contact_ms=s.min_contact_ms,
            max_contact_ms=s.contact_limit_ms,
            period_tolerance=s.period_tolerance,
        )
        contacts = contacts.loc[reasons == ""]
        # Count contacts whose next landing lies well inside the window (a landing in the last
        # samples may still move), each once: a contact is new unless a counted landing lies
        # within ``min_contact_ms`` of it.
        settled = t[-1] - self.settle_s
        counted = self._counted
        for landing, takeoff, next_landing in zip(
            contacts["landing_s"].to_numpy(),
            contacts["takeoff_s"].to_numpy(),
            contacts["next_landing_s"].to_numpy(),
            strict=True,
        ):
            if not next_landing <= settled:
                continue
            if any(abs(landing - c) < self._min_gap_s for c in counted):
                continue
            counted.append(float(landing))
            self.state.hops += 1
            if landing < self.state.last_landing_s:
                continue  # a late find of an earlier contact: counted, not the latest
            if self._landings and landing - self._landings[-1] > s.set_gap_s + 1.0:
                self._landings.clear()
            self._landings.append(float(landing))
            self.state.last_contact_ms = float((takeoff - landing) * 1e3)
            self.state.last_landing_s = float(landing)
        last = self.state.last_landing_s
        if len(self._landings) >= 3:
            span = self._landings[-1] - self._landings[0]
            self.state.hop_hz = (len(self._landings) - 1) / span if span > 0 else math.nan
        if not math.isnan(last) and self._last_t - last > s.set_gap_s + 1.0:
            self.state.hop_hz = math.nan

    def _flights(self, t: np.ndarray, mag: np.ndarray) -> pd.DataFrame:
        s = self.settings
        tb = time_base(t, max_gap_samples=s.max_gap_samples)
        flights, _ = detect_flights(
            t,
            mag,
            sampling_rate_hz=tb.effective_rate_hz,
            gap_index=tb.gap_index,
            settings=s.detection,
        )
        return flights

    def latency_percentiles_ms(self) -> tuple[float, float]:
        """Return the p50 and p95 of notification-to-count latency so far, in ms."""
        if not self.latencies_ms:
            return math.nan, math.nan
        arr = np.fromiter(self.latencies_ms, dtype=np.float64)
        return float(np.percentile(arr, 50)), float(np.percentile(arr, 95))
