"""What a simulated session is made of: set specifications and sensor/radio artefacts."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

EXERCISES = ("hops", "rebound")

#: Default duty factor (contact / period) of a hop set when neither it nor contact_ms is given.
DEFAULT_DUTY_FACTOR = 0.55
#: Shortest flight a hop schedule may ask for, in ms.
MIN_FLIGHT_MS = 30.0


def _check_range(name: str, value: Any, low: float, high: float) -> float:
    """Return ``value`` as a float; raise ValueError unless it is a number in [low, high]."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise ValueError(f"`{name}` must be a number in [{low}, {high}], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SetSpec:
    """One set of a simulated session.

    Parameters
    ----------
    exercise : {"hops", "rebound"}
        ``"hops"``: repeated single-leg hops, started by a push-off from standing and ended by a
        landing into standing. ``"rebound"``: drop / rebound jumps, each a step off a box, a
        drop, one rebound contact, a jump and a landing into standing, with rest between jumps.
    hops : int
        Complete ground contacts in the set (for ``"rebound"``: jumps), at least 1.
    hop_hz : float
        Hop frequency at the start of the set (before fatigue), 1 / (contact + flight), in Hz.
        Ignored for ``"rebound"`` and when both ``contact_ms`` and ``flight_ms`` are given.
    duty_factor : float, optional
        Contact / period at the start of the set (0.2–0.9). Used with ``hop_hz`` when
        ``contact_ms`` is not given; default 0.55.
    contact_ms : float, optional
        Contact time at the start of the set, in ms. For ``"hops"`` with ``hop_hz`` the flight
        is the rest of the period; for ``"rebound"`` the rebound contact (default 250 ms).
    flight_ms : float, optional
        Flight time, in ms. For ``"hops"`` together with ``contact_ms`` it replaces ``hop_hz``;
        for ``"rebound"`` it is the flight of the jump after the rebound contact (default 400).
    variability : float
        Hop-to-hop coefficient of variation of contact and flight times (0–0.3), e.g. 0.03.
    fatigue : float
        Relative lengthening of the contact time from the first to the last hop of the set
        (-0.5–1.0): 0.1 makes the last contact 10 % longer than the first. Flight times are
        unchanged, so the hop frequency falls over the set.
    box_height_m : float
        ``"rebound"`` only: height of the box stepped off, in m (0.1–1.0).
    jump_rest_s : float
        ``"rebound"`` only: rest between the landing of one jump and the step-off of the next,
        in s (standing, a few steps back onto the box, standing).
    impact_scale : float
        Scales the impact peaks (0.3–3): stiff landings or hard soles above 1, soft ones
        below. The impact amplitude is about 11 g per m/s of landing speed, limited to
        3–20 g before scaling and to 30 g after.
    stumbles : int
        ``"hops"`` only: this many hops (never the first or the last) are stumbles, a contact of
        0.45–0.9 s while the athlete regains balance before hopping on. They stay complete
        contacts in the truth (column ``stumble``).

    Raises
    ------
    ValueError
        An argument is outside its allowed range, or the hop schedule leaves less than 30 ms
        of flight.
    """

    exercise: str = "hops"
    hops: int = 20
    hop_hz: float = 3.0
    duty_factor: float | None = None
    contact_ms: float | None = None
    flight_ms: float | None = None
    variability: float = 0.03
    fatigue: float = 0.0
    box_height_m: float = 0.3
    jump_rest_s: float = 5.0
    impact_scale: float = 1.0
    stumbles: int = 0

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES:
            raise ValueError(f"`exercise` must be one of {EXERCISES}, got {self.exercise!r}")
        if isinstance(self.hops, bool) or not isinstance(self.hops, int) or self.hops < 1:
            raise ValueError(f"`hops` must be a whole number >= 1, got {self.hops!r}")
        _check_range("hop_hz", self.hop_hz, 0.5, 8.0)
        if self.duty_factor is not None:
            _check_range("duty_factor", self.duty_factor, 0.2, 0.9)
        if self.contact_ms is not None:
            _check_range("contact_ms", self.contact_ms, 50.0, 1500.0)
        if self.flight_ms is not None:
            _check_range("flight_ms", self.flight_ms, MIN_FLIGHT_MS, 1500.0)
        _check_range("variability", self.variability, 0.0, 0.3)
        _check_range("fatigue", self.fatigue, -0.5, 1.0)
        _check_range("box_height_m", self.box_height_m, 0.1, 1.0)
        _check_range("jump_rest_s", self.jump_rest_s, 1.0, 600.0)
        _check_range("impact_scale", self.impact_scale, 0.3, 3.0)
        if (
            isinstance(self.stumbles, bool)
            or not isinstance(self.stumbles, int)
            or not 0 <= self.stumbles <= max(0, self.hops - 2)
        ):
            raise ValueError(
                f"`stumbles` must be a whole number in [0, hops - 2], got {self.stumbles!r}"
            )
        if self.exercise == "hops" and self.duty_factor is not None and self.contact_ms is not None:
            raise ValueError("give `duty_factor` or `contact_ms` for a hop set, not both")
        if self.exercise == "hops":
            contact, flight = self.start_times_ms()
            if flight < MIN_FLIGHT_MS:
                raise ValueError(
                    f"the hop schedule leaves {flight:.0f} ms of flight (contact {contact:.0f} ms "
                    f"at {self.hop_hz} Hz); at least {MIN_FLIGHT_MS:.0f} ms is needed"
                )

    def start_times_ms(self) -> tuple[float, float]:
        """Return the (contact, flight) times in ms at the start of the set, before fatigue."""
        if self.exercise == "rebound":
            contact = 250.0 if self.contact_ms is None else float(self.contact_ms)
            flight = 400.0 if self.flight_ms is None else float(self.flight_ms)
            return contact, flight
        if self.contact_ms is not None and self.flight_ms is not None:
            return float(self.contact_ms), float(self.flight_ms)
        period_ms = 1000.0 / self.hop_hz
        if self.contact_ms is not None:
            contact = float(self.contact_ms)
        else:
            duty = DEFAULT_DUTY_FACTOR if self.duty_factor is None else self.duty_factor
            contact = duty * period_ms
        return contact, period_ms - contact

    def replace(self, **changes: Any) -> SetSpec:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Artefacts:
    """Sensor, mounting and radio imperfections of a simulated recording.

    The defaults describe a decent commodity IMU on a good radio link: on-device low-pass,
    a little bias and noise, 16-bit quantisation, per-axis clipping, clean flights, no
    packet loss. :meth:`clean` switches everything off; :meth:`harsh` turns on the faults
    real recordings show.

    Parameters
    ----------
    noise_g : float
        White noise SD per axis at the output, in g.
    bias_g : float
        Largest per-axis bias, in g; each axis draws a bias uniformly in ``±bias_g``.
    gain_error : float
        Largest per-axis relative scale error (e.g. 0.01 = ±1 %).
    lowpass_fraction : float or None
        Causal on-device low-pass: a second-order Butterworth filter with its cut-off at this
        fraction of the nominal sample rate (0.05–0.45), run at an internal rate of at least
        1 kHz before the output samples are taken. ``None``: no filter.
    quantise : bool
        Round to 16-bit codes over ``±range_g`` (step ``2 * range_g / 65536``).
    clip : bool
        Clip every axis at the full scale ``±range_g`` (the top code is one step below).
    rate_error : float
        Relative error of the true sample rate against the nominal one (true = nominal ×
        (1 + rate_error)), e.g. 2e-5 (20 ppm) or -0.01. ``time_s`` carries the true instants.
    timestamp_jitter : float
        SD of the timestamp error as a fraction of the sample period (a time base reconstructed
        from packets); clipped to ±0.45 periods so time always increases.
    packet_timestamps : bool
        Reconstruct the time base as many recorders do: each packet's first sample gets its true
        time, the others follow at the nominal spacing. With a rate error this gives a sawtooth
        timing error of up to ``packet_samples × |rate_error|`` sample periods.
    packet_samples : int
        Samples per radio packet.
    packet_loss : float
        Probability that a packet is lost (0–0.5).
    loss_bursts_per_min : float
        Rate of loss bursts (runs of consecutive lost packets), per minute of recording.
    burst_packets : float
        Mean length of a loss burst, in packets (geometric distribution).
    messy_flight : float
        Probability (0–1) that limb motion holds the magnitude at 0.3–2 g for much of a flight
        (from soon after take-off to 40–75 % of the flight).
    pre_landing : float
        Probability (0–1) that leg extension raises the magnitude to 0.5–1.5 g during the last
        20–60 ms of a flight, before the impact.
    heel_touch : float
        Probability (0–1) of a heel-touch spike inside a hop contact (doubled, and larger, for
        heel mounting).
    ringing : bool
        Damped ringing (40–120 Hz) after each impact.
    slip_deg : float
        The sensor slips in its clip by this angle (about a random axis) at ``slip_at_s``;
        the magnitude is unchanged. 0: no slip.
    slip_at_s : float or None
        Time of the slip on the session's time axis, in s; ``None``: a random time in the
        middle half of the session.

    Raises
    ------
    ValueError
        An argument is outside its allowed range.
    """

    noise_g: float = 0.01
    bias_g: float = 0.02
    gain_error: float = 0.005
    lowpass_fraction: float | None = 0.4
    quantise: bool = True
    clip: bool = True
    rate_error: float = 0.0
    timestamp_jitter: float = 0.0
    packet_timestamps: bool = False
    packet_samples: int = 10
    packet_loss: float = 0.0
    loss_bursts_per_min: float = 0.0
    burst_packets: float = 4.0
    messy_flight: float = 0.0
    pre_landing: float = 0.0
    heel_touch: float = 0.15
    ringing: bool = True
    slip_deg: float = 0.0
    slip_at_s: float | None = None

    def __post_init__(self) -> None:
        _check_range("noise_g", self.noise_g, 0.0, 1.0)
        _check_range("bias_g", self.bias_g, 0.0, 1.0)
        _check_range("gain_error", self.gain_error, 0.0, 0.2)
        if self.lowpass_fraction is not None:
            _check_range("lowpass_fraction", self.lowpass_fraction, 0.05, 0.45)
        _check_range("rate_error", self.rate_error, -0.05, 0.05)
        _check_range("timestamp_jitter", self.timestamp_jitter, 0.0, 1.0)
        if (
            isinstance(self.packet_samples, bool)
            or not isinstance(self.packet_samples, int)
            or not 1 <= self.packet_samples <= 1000
        ):
            raise ValueError(
                f"`packet_samples` must be a whole number in [1, 1000], got {self.packet_samples!r}"
            )
        if self.packet_timestamps and self.packet_samples * abs(self.rate_error) > 0.5:
            raise ValueError(
                "`packet_timestamps` with `packet_samples` × |`rate_error`| above 0.5 would make "
                f"time go backwards (got {self.packet_samples} × {self.rate_error})"
            )
        _check_range("packet_loss", self.packet_loss, 0.0, 0.5)
        _check_range("loss_bursts_per_min", self.loss_bursts_per_min, 0.0, 60.0)
        _check_range("burst_packets", self.burst_packets, 1.0, 1000.0)
        _check_range("messy_flight", self.messy_flight, 0.0, 1.0)
        _check_range("pre_landing", self.pre_landing, 0.0, 1.0)
        _check_range("heel_touch", self.heel_touch, 0.0, 1.0)
        _check_range("slip_deg", self.slip_deg, 0.0, 180.0)
        if self.slip_at_s is not None:
            _check_range("slip_at_s", self.slip_at_s, 0.0, 1e7)

    @classmethod
    def clean(cls) -> Artefacts:
        """Return an ideal sensor: no filter, noise, bias, quantisation, clipping or radio faults."""
        return cls(
            noise_g=0.0,
            bias_g=0.0,
            gain_error=0.0,
            lowpass_fraction=None,
            quantise=False,
            clip=False,
            heel_touch=0.0,
            ringing=False,
        )

    @classmethod
    def harsh(cls) -> Artefacts:
        """Return the faults of real recordings together: messy flights, loss, rate error, jitter.

        Messy flights (0.6) and leg extension (0.7), more heel touches (0.3), noise 0.02 g,
        bias 0.05 g, gain error 2 %, a 0.8 % rate error with packet time stamps and jitter
        (0.1 period), 1 % packet loss plus one loss burst a minute, and a 30° slip.
        """
        return cls(
            noise_g=0.02,
            bias_g=0.05,
            gain_error=0.02,
            rate_error=0.008,
            timestamp_jitter=0.1,
            packet_timestamps=True,
            packet_loss=0.01,
            loss_bursts_per_min=1.0,
            messy_flight=0.6,
            pre_landing=0.7,
            heel_touch=0.3,
            slip_deg=30.0,
        )

    def replace(self, **changes: Any) -> Artefacts:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)
