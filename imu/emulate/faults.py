"""Radio faults for emulated devices: dropped links, lost, bursty and malformed packets.

Faults act between an emulated peripheral and the bleak client that talks to it, the way a bad
radio link would. They are described by short specifications, as given to
``hopscope record --fault SPEC``:

============================  ==============================================================
``disconnect:at=T,for=D``     the link drops at device time T s; the device is out of reach
                              for D s, then connectable again (may be given several times)
``loss:rate=P``               each streamed notification is lost with probability P
``burst:every=E,hold=H``      streamed notifications are held back for H s every E s and then
                              delivered all at once (a congested link)
``malformed:rate=P``          each streamed notification is corrupted with probability P
                              (truncated, or its first byte changed)
``noanswer``                  the device advertises but never completes a connection
``drift:ppm=X``               the device's clock runs X ppm fast (negative: slow)
``seed:value=N``              seed of the random faults (default 0)
============================  ==============================================================

Times are device time: seconds since the device's first connection. Only streamed data
(:meth:`EmulatedPeripheral.poll`) is lost, held or corrupted; command responses always arrive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from imu.errors import HopscopeError

FAULT_HELP = (
    "disconnect:at=T,for=D | loss:rate=P | burst:every=E,hold=H | malformed:rate=P | "
    "noanswer | drift:ppm=X | seed:value=N"
)


@dataclass(frozen=True)
class Faults:
    """The radio faults of one emulated link.

    Parameters
    ----------
    disconnects : tuple of (float, float)
        ``(at_s, for_s)`` pairs: the link drops at device time ``at_s`` and the device is out
        of reach for ``for_s`` seconds.
    loss_rate : float
        Probability that a streamed notification is lost, in [0, 1).
    burst_every_s, burst_hold_s : float
        Every ``burst_every_s`` seconds, notifications are held back for ``burst_hold_s``
        seconds, then delivered together. 0 disables bursts.
    malformed_rate : float
        Probability that a streamed notification is corrupted, in [0, 1).
    no_answer : bool
        The device advertises but never completes a connection.
    drift_ppm : float
        Device clock error in parts per million (an option of the emulated peripheral).
    seed : int
        Seed of the random faults.
    """

    disconnects: tuple[tuple[float, float], ...] = ()
    loss_rate: float = 0.0
    burst_every_s: float = 0.0
    burst_hold_s: float = 0.0
    malformed_rate: float = 0.0
    no_answer: bool = False
    drift_ppm: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("loss_rate", "malformed_rate"):
            value = getattr(self, name)
            if not (0.0 <= value < 1.0):
                raise ValueError(f"`{name}` must be in [0, 1), got {value!r}")
        if self.burst_hold_s < 0 or self.burst_every_s < 0:
            raise ValueError("burst times must be non-negative")
        if self.burst_hold_s and self.burst_hold_s >= self.burst_every_s:
            raise ValueError(
                f"burst hold ({self.burst_hold_s} s) must be shorter than its period "
                f"({self.burst_every_s} s)"
            )
        for at_s, for_s in self.disconnects:
            if at_s < 0 or for_s <= 0:
                raise ValueError(f"disconnect needs at >= 0 and for > 0, got {at_s}, {for_s}")

    @property
    def any(self) -> bool:
        """Whether any fault is set."""
        return self != Faults(seed=self.seed)


_KEYS = {
    "disconnect": ("at", "for"),
    "loss": ("rate",),
    "burst": ("every", "hold"),
    "malformed": ("rate",),
    "noanswer": (),
    "drift": ("ppm",),
    "seed": ("value",),
}


def _parse_one(spec: str) -> tuple[str, dict[str, float]]:
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in _KEYS:
        raise HopscopeError(f"unknown fault {spec!r}; expected one of: {FAULT_HELP}")
    values: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, raw = item.partition("=")
        key = key.strip().lower()
        if not eq or key not in _KEYS[kind]:
            raise HopscopeError(
                f"fault {spec!r}: unexpected {item!r}; {kind} takes "
                + (", ".join(f"{k}=<number>" for k in _KEYS[kind]) or "no parameters")
            )
        try:
            number = float(raw)
        except ValueError:
            raise HopscopeError(f"fault {spec!r}: {key} must be a number, got {raw!r}") from None
        if not math.isfinite(number):
            raise HopscopeError(f"fault {spec!r}: {key} must be finite, got {raw!r}")
        values[key] = number
    missing = [k for k in _KEYS[kind] if k not in values]
    if missing:
        raise HopscopeError(f"fault {spec!r}: missing {', '.join(k + '=' for k in missing)}")
    return kind, values


def parse_faults(specs: list[str] | tuple[str, ...] | None) -> Faults:
    """Parse fault specifications (see the module docstring) into :class:`Faults`.

    Parameters
    ----------
    specs : list of str
        e.g. ``["disconnect:at=5,for=2", "loss:rate=0.02"]``.

    Returns
    -------
    Faults

    Raises
    ------
    HopscopeError
        A specification is unknown, lacks a parameter or has a bad value.

    Examples
    --------
    >>> parse_faults(["loss:rate=0.1", "disconnect:at=3,for=1"]).disconnects
    ((3.0, 1.0),)
    """
    kwargs: dict[str, object] = {}
    disconnects: list[tuple[float, float]] = []
    for spec in specs or ():
        kind, v = _parse_one(spec)
        if kind == "disconnect":
            disconnects.append((v["at"], v["for"]))
        elif kind == "loss":
            kwargs["loss_rate"] = v["rate"]
        elif kind == "burst":
            kwargs["burst_every_s"], kwargs["burst_hold_s"] = v["every"], v["hold"]
        elif kind == "malformed":
            kwargs["malformed_rate"] = v["rate"]
        elif kind == "noanswer":
            kwargs["no_answer"] = True
        elif kind == "drift":
            kwargs["drift_ppm"] = v["ppm"]
        elif kind == "seed":
            kwargs["seed"] = int(v["value"])
    try:
        return Faults(disconnects=tuple(sorted(disconnects)), **kwargs)  # type: ignore[arg-type]
    except ValueError as exc:
        raise HopscopeError(f"bad fault specification: {exc}") from None


@dataclass
class FaultStats:
    """What the emulated radio did to the stream (for tests and benchmarks)."""

    sent: int = 0
    lost: int = 0
    malformed: int = 0
    held: int = 0
    lost_while_down: int = 0
    lost_payloads: list[tuple[float, str, bytes]] = field(default_factory=list)
    malformed_payloads: list[tuple[float, str, bytes]] = field(default_factory=list)


class FaultInjector:
    """Apply :class:`Faults` to the notifications of one link.

    Parameters
    ----------
    faults : Faults
        What to inject.
    keep_payloads : bool
        Keep every lost and corrupted payload in :attr:`stats` (for tests).
    """

    def __init__(self, faults: Faults, *, keep_payloads: bool = False) -> None:
        self.faults = faults
        self.keep_payloads = keep_payloads
        self.stats = FaultStats()
        self._rng = np.random.default_rng(faults.seed)

    def link_up(self, t_s: float) -> bool:
        """Whether the device is in reach at device time ``t_s``."""
        return not any(at <= t_s < at + d for at, d in self.faults.disconnects)

    def next_drop(self, after_s: float) -> float | None:
        """Device time of the next link drop at or after ``after_s``, or None."""
        starts = [at for at, _ in self.faults.disconnects if at >= after_s]
        return min(starts) if starts else None

    def back_at(self, t_s: float) -> float:
        """Device time from which the device is in reach again (``t_s`` when it is now)."""
        for at, d in self.faults.disconnects:
            if at <= t_s < at + d:
                return at + d
        return t_s

    def stream(self, notes: list[tuple[float, str, bytes]]) -> list[tuple[float, str, bytes]]:
        """Apply loss, corruption and bursts to streamed notifications.

        Parameters
        ----------
        notes : list of (due_s, char_uuid, payload)
            Notifications from :meth:`EmulatedPeripheral.poll`, in order.

        Returns
        -------
        list of (deliver_s, char_uuid, payload)
            What reaches the client and when, in order.
        """
        f = self.faults
        out: list[tuple[float, str, bytes]] = []
        for due_s, uuid, payload in notes:
            self.stats.sent += 1
            if f.loss_rate and self._rng.random() < f.loss_rate:
                self.stats.lost += 1
                if self.keep_payloads:
                    self.stats.lost_payloads.append((due_s, uuid, payload))
                continue
            if f.malformed_rate and self._rng.random() < f.malformed_rate:
                payload = self._corrupt(payload)
                self.stats.malformed += 1
                if self.keep_payloads:
                    self.stats.malformed_payloads.append((due_s, uuid, payload))
            deliver_s = due_s
            if f.burst_hold_s:
                phase = due_s % f.burst_every_s
                if phase < f.burst_hold_s:
                    deliver_s = due_s - phase + f.burst_hold_s
                    self.stats.held += 1
            out.append((deliver_s, uuid, payload))
        return out

    def drop_all(self, notes: list[tuple[float, str, bytes]]) -> None:
        """Count notifications sent while the link was down (they reach no one)."""
        self.stats.sent += len(notes)
        self.stats.lost_while_down += len(notes)
        if self.keep_payloads:
            self.stats.lost_payloads.extend(notes)

    def _corrupt(self, payload: bytes) -> bytes:
        if len(payload) > 2 and self._rng.random() < 0.5:
            return payload[: len(payload) // 2 + 1]
        return bytes([(payload[0] ^ 0xA5) if payload else 0xA5]) + payload[1:]
