"""The session timeline: a gap-free sequence of motion segments with exact event times.

A session is cut into segments, each one of four kinds: standing, one walking stride, a flight,
or a ground contact. Every segment carries the random parameters of its signal shape (drawn
here, vectorised per set), so the signal of any instant depends only on the segment it falls
in (:mod:`imu.simulate.motion`). Contacts start at the landing and end at the take-off, so the
ground truth is read straight off the segment boundaries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imu.simulate.spec import Artefacts, SetSpec

G_MPS2 = 9.80665

STAND, WALK, FLIGHT, CONTACT = 0, 1, 2, 3

#: Role of a contact segment.
ROLE_NONE, ROLE_FIRST, ROLE_HOP, ROLE_FINAL, ROLE_STEP_OFF, ROLE_REBOUND = 0, 1, 2, 3, 4, 5
ROLE_NAMES = {
    ROLE_FIRST: "push_off",
    ROLE_HOP: "hop",
    ROLE_FINAL: "final_landing",
    ROLE_STEP_OFF: "step_off",
    ROLE_REBOUND: "rebound",
}

PARAMS = (
    # contacts
    "c_in",  # 1 when a flight precedes the contact (it starts with an impact)
    "c_out",  # 1 when a flight follows (it ends with a take-off edge)
    "imp_amp",  # impact amplitude, g
    "imp_rise",  # impact rise time, s
    "imp_tau",  # impact decay time constant, s
    "imp_a",  # impact direction: angle from vertical in the sagittal plane, rad
    "ring_amp",  # ringing amplitude, g
    "ring_f",  # ringing frequency, Hz
    "ring_tau",  # ringing decay time constant, s
    "ring_a",  # ringing direction angles, rad
    "ring_b",
    "wob_amp",  # stance wobble (pivot about the forefoot) amplitude, g
    "wob_k",  # wobble cycles per contact
    "wob_phi",  # wobble phase, rad
    "wob_a",  # wobble direction angle, rad
    "heel_amp",  # heel-touch spike amplitude, g (0: none)
    "heel_u",  # heel-touch position as a fraction of the contact
    "push_amp",  # push-off hump above 1 g, g
    "push_len",  # push-off hump length, s
    "fall_len",  # take-off falling edge length, s
    "push_a",  # push direction angle, rad
    "dip_amp",  # countermovement dip below 1 g at the start of a push-off from standing, g
    "carry_amp",  # magnitude carried in from the end of the preceding flight, g
    "carry_a",  # its direction angle, rad
    # flights
    "ankle_amp",  # small ankle motion, g
    "ankle_a",
    "hold_amp",  # limb motion holding the magnitude up during flight, g (0: clean flight)
    "hold_a",
    "hold_rise",  # s
    "hold_frac",  # end of the hold as a fraction of the flight
    "pre_amp",  # leg extension before landing, g (0: none)
    "pre_lead",  # s before the landing where it starts
    "pre_a",
    # walking strides
    "hs_amp",  # heel-strike impact, g
    "swing_amp",  # fore-aft swing acceleration, g
    "swing_v",  # dip of the vertical specific force at mid-swing, g
    "stance_frac",  # share of the stride on the ground
    # standing
    "sway_amp",  # g
    "sway_f",  # Hz
    "sway_a",
    # every kind
    "pitch_amp",  # foot pitch amplitude, rad
    "stumble",  # 1 on a contact stretched by a stumble
)


@dataclass(frozen=True)
class Timeline:
    """Segments of a session, in order, without gaps.

    Attributes
    ----------
    kind, start_s, dur_s, role, set_no, hop_no : numpy.ndarray
        Per segment: kind code, start and duration (s, true time), contact role, 1-based set
        number (0 outside sets), 1-based complete-contact number (0 otherwise).
    params : dict of str to numpy.ndarray
        Per-segment shape parameters (see ``PARAMS``).
    set_exercise : list of str
        Exercise of each set.
    """

    kind: np.ndarray
    start_s: np.ndarray
    dur_s: np.ndarray
    role: np.ndarray
    set_no: np.ndarray
    hop_no: np.ndarray
    params: dict[str, np.ndarray]
    set_exercise: list[str]

    @property
    def duration_s(self) -> float:
        """Total duration of the session, in s."""
        return float(self.start_s[-1] + self.dur_s[-1])


class _Builder:
    """Collects blocks of segments and concatenates them once."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, np.ndarray]] = []

    def add(self, kind: int | np.ndarray, dur_s: np.ndarray, **fields: np.ndarray) -> None:
        dur = np.atleast_1d(np.asarray(dur_s, dtype=np.float64))
        n = dur.size
        block = {"kind": np.broadcast_to(np.asarray(kind, dtype=np.int8), (n,)).copy()}
        block["dur"] = dur
        for name, value in fields.items():
            block[name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
        self.blocks.append(block)

    def build(self, set_exercise: list[str]) -> Timeline:
        kind = np.concatenate([b["kind"] for b in self.blocks])
        dur = np.concatenate([b["dur"] for b in self.blocks])
        start = np.concatenate([[0.0], np.cumsum(dur)[:-1]])

        def column(name: str, dtype: type = np.float64) -> np.ndarray:
            return np.concatenate(
                [b.get(name, np.zeros(b["dur"].size)) for b in self.blocks]
            ).astype(dtype)

        params = {name: column(name) for name in PARAMS}
        return Timeline(
            kind=kind,
            start_s=start,
            dur_s=dur,
            role=column("role", np.int8),
            set_no=column("set_no", np.int32),
            hop_no=column("hop_no", np.int32),
            params=params,
            set_exercise=set_exercise,
        )


def _placement_factors(placement: str) -> dict[str, float]:
    """Scale factors of the signal components by where the sensor sits."""
    if placement == "heel":
        # Farther from the forefoot pivot: larger stance swings, more and larger heel touches.
        return {"impact": 1.2, "wobble": 1.7, "heel_p": 2.0, "heel_amp": 2.0, "pitch": 1.0}
    if placement == "ankle":
        return {"impact": 0.7, "wobble": 0.6, "heel_p": 0.5, "heel_amp": 0.7, "pitch": 0.5}
    return {"impact": 1.0, "wobble": 1.0, "heel_p": 1.0, "heel_amp": 1.0, "pitch": 1.0}


def _u(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return rng.uniform(low, high, n)


def _contacts(
    rng: np.random.Generator,
    dur_s: np.ndarray,
    speed_mps: np.ndarray,
    carry: tuple[np.ndarray, np.ndarray],
    role: np.ndarray,
    *,
    placement: str,
    art: Artefacts,
    impact_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """Shape parameters of contact segments.

    ``speed_mps`` is the landing speed (0 when no flight precedes); ``carry`` the amplitude and
    direction of the signal at the end of the preceding flight.
    """
    n = dur_s.size
    pf = _placement_factors(placement)
    landed = speed_mps > 0
    hop_like = (role == ROLE_HOP) | (role == ROLE_REBOUND)
    takes_off = hop_like | (role == ROLE_FIRST) | (role == ROLE_STEP_OFF)
    # Impact amplitude grows with landing speed v = g t_f / 2 (about 11 g per m/s), 3-20 g.
    amp = np.clip(11.0 * speed_mps * rng.lognormal(0.0, 0.2, n), 3.0, 20.0) * pf["impact"]
    amp = np.where(landed, np.minimum(amp * impact_scale, 30.0), 0.0)
    rise = _u(rng, 0.002, 0.010, n)
    tau = _u(rng, 0.010, 0.040, n) / 3.0
    ring_on = 1.0 if art.ringing else 0.0
    # Push-off hump: 1.5-4 g total in the last 30-60 ms; falls to ~0 within 5-15 ms.
    push_len = np.minimum(_u(rng, 0.030, 0.060, n), 0.45 * dur_s)
    fall_len = np.minimum(_u(rng, 0.005, 0.015, n), 0.5 * push_len)
    push_amp = _u(rng, 0.5, 3.0, n)
    first = role == ROLE_FIRST
    push_len = np.where(first, _u(rng, 0.10, 0.15, n), push_len)
    push_amp = np.where(first, _u(rng, 1.0, 2.5, n), push_amp)
    step = role == ROLE_STEP_OFF
    push_len = np.where(step, _u(rng, 0.10, 0.20, n), push_len)
    push_amp = np.where(step, _u(rng, 0.1, 0.4, n), push_amp)
    fall_len = np.where(step, _u(rng, 0.020, 0.040, n), fall_len)
    push_amp = np.where(takes_off, push_amp, 0.0)
    # Heel touch: on some hop contacts mid-stance; usually on a landing into standing.
    heel_p = np.where(role == ROLE_FINAL, 0.7, np.minimum(1.0, art.heel_touch * pf["heel_p"]))
    heel_p = np.where(first | step, 0.0, heel_p)
    heel_on = rng.random(n) < heel_p
    heel_u = np.where(role == ROLE_FINAL, _u(rng, 0.15, 0.35, n), _u(rng, 0.35, 0.6, n))
    return {
        "c_in": landed.astype(np.float64),
        "c_out": takes_off.astype(np.float64),
        "imp_amp": amp,
        "imp_rise": rise,
        "imp_tau": tau,
        "imp_a": rng.normal(0.0, 0.3, n),
        "ring_amp": ring_on * _u(rng, 0.15, 0.4, n) * amp,
        "ring_f": _u(rng, 40.0, 120.0, n),
        "ring_tau": _u(rng, 0.006, 0.015, n),
        "ring_a": _u(rng, -math.pi, math.pi, n),
        "ring_b": _u(rng, -0.6, 0.6, n),
        "wob_amp": _u(rng, 0.3, 0.6, n) * pf["wobble"],
        "wob_k": _u(rng, 0.8, 1.6, n),
        "wob_phi": _u(rng, -math.pi, math.pi, n),
        "wob_a": rng.choice([-1.0, 1.0], n) * _u(rng, 0.2, 1.2, n),
        "heel_amp": np.where(heel_on, _u(rng, 1.0, 3.0, n) * pf["heel_amp"], 0.0),
        "heel_u": heel_u,
        "push_amp": push_amp,
        "push_len": push_len,
        "fall_len": fall_len,
        "push_a": _u(rng, 0.1, 0.5, n),
        "dip_amp": np.where(first, _u(rng, 0.2, 0.5, n), 0.0),
        "carry_amp": np.where(landed, carry[0], 0.0),
        "carry_a": carry[1],
        "pitch_amp": np.radians(_u(rng, 5.0, 15.0, n)) * pf["pitch"],
    }


def _flights(
    rng: np.random.Generator, dur_s: np.ndarray, *, art: Artefacts
) -> dict[str, np.ndarray]:
    """Shape parameters of flight segments."""
    n = dur_s.size
    hold_on = rng.random(n) < art.messy_flight
    longness = np.clip((dur_s - 0.120) / 0.130, 0.0, 1.0)
    hold_lo = 0.15 + 0.25 * longness
    hold_hi = 0.40 + 0.35 * longness
    pre_on = rng.random(n) < art.pre_landing
    return {
        "ankle_amp": _u(rng, 0.02, 0.3, n),
        "ankle_a": _u(rng, -math.pi, math.pi, n),
        "hold_amp": np.where(hold_on, _u(rng, 0.3, 2.0, n), 0.0),
        "hold_a": rng.normal(0.0, 0.6, n),
        "hold_rise": np.minimum(_u(rng, 0.015, 0.040, n), 0.3 * dur_s),
        # Limb motion holds up much of a long flight (40-75 % of it from 250 ms of flight),
        # less of a short one (15-40 % below 120 ms).
        "hold_frac": _u(rng, 0.0, 1.0, n) * (hold_hi - hold_lo) + hold_lo,
        "pre_amp": np.where(pre_on, _u(rng, 0.5, 1.5, n), 0.0),
        "pre_lead": np.minimum(_u(rng, 0.020, 0.060, n), 0.35 * dur_s),
        "pre_a": math.pi + rng.normal(0.0, 0.5, n),
        "pitch_amp": -np.radians(_u(rng, 10.0, 25.0, n)),
    }


def _vary(rng: np.random.Generator, n: int, cv: float) -> np.ndarray:
    """Multiplicative hop-to-hop variation with coefficient of variation ``cv``."""
    return 1.0 + cv * np.clip(rng.standard_normal(n), -3.0, 3.0)


def _add_alternating(
    b: _Builder,
    contact_dur: np.ndarray,
    flight_dur: np.ndarray,
    roles: np.ndarray,
    speeds: np.ndarray,
    *,
    set_no: int,
    hop_no: np.ndarray,
    rng: np.random.Generator,
    placement: str,
    art: Artefacts,
    impact_scale: float,
    stumble: np.ndarray | None = None,
) -> None:
    """Add contact, flight, contact, ..., contact (one more contact than flights)."""
    nf = flight_dur.size
    fl = _flights(rng, flight_dur, art=art)
    carry_amp = np.concatenate([[0.0], fl["pre_amp"]])
    carry_a = np.concatenate([[0.0], fl["pre_a"]])
    co = _contacts(
        rng,
        contact_dur,
        speeds,
        (carry_amp, carry_a),
        roles,
        placement=placement,
        art=art,
        impact_scale=impact_scale,
    )
    n = contact_dur.size + nf
    kind = np.empty(n, dtype=np.int8)
    kind[0::2] = CONTACT
    kind[1::2] = FLIGHT
    dur = np.empty(n)
    dur[0::2] = contact_dur
    dur[1::2] = flight_dur
    fields: dict[str, np.ndarray] = {}
    for name in PARAMS:
        col = np.zeros(n)
        if name in co:
            col[0::2] = co[name]
        if name in fl:
            col[1::2] = fl[name]
        if name in co or name in fl:
            fields[name] = col
    if stumble is not None:
        fields["stumble"] = np.zeros(n)
        fields["stumble"][0::2] = stumble
    role = np.zeros(n)
    role[0::2] = roles
    hop = np.zeros(n)
    hop[0::2] = hop_no
    b.add(kind, dur, role=role, set_no=np.full(n, float(set_no)), hop_no=hop, **fields)


def _stand(b: _Builder, rng: np.random.Generator, dur_s: float, set_no: int = 0) -> None:
    if dur_s <= 0:
        return
    b.add(
        STAND,
        np.array([dur_s]),
        sway_amp=rng.uniform(0.005, 0.03),
        sway_f=rng.uniform(0.3, 2.0),
        sway_a=rng.uniform(-math.pi, math.pi),
        set_no=float(set_no),
    )


def _walk(b: _Builder, rng: np.random.Generator, strides: int, set_no: int = 0) -> float:
    """Add walking strides of the instrumented foot; return their total duration in s."""
    if strides <= 0:
        return 0.0
    dur = rng.uniform(0.95, 1.2, strides)
    b.add(
        WALK,
        dur,
        hs_amp=rng.uniform(1.0, 2.5, strides),
        swing_amp=rng.uniform(0.8, 1.8, strides),
        swing_v=rng.uniform(0.15, 0.45, strides),
        stance_frac=rng.uniform(0.58, 0.64, strides),
        pitch_amp=np.radians(rng.uniform(15.0, 30.0, strides)),
        set_no=float(set_no),
    )
    return float(dur.sum())


def _rest(b: _Builder, rng: np.random.Generator, rest_s: float, walking_s: float) -> None:
    """Standing, some walking, standing."""
    walk = min(walking_s, max(rest_s - 1.0, 0.0))
    strides = int(walk / 1.075)
    half = 0.5 * (rest_s - strides * 1.075)
    _stand(b, rng, half)
    walked = _walk(b, rng, strides)
    _stand(b, rng, max(rest_s - half - walked, 0.3))


def _set_contacts_s(rng: np.random.Generator, spec: SetSpec) -> tuple[np.ndarray, float]:
    """Return the contact times of a set, in s, and its starting flight time, in ms.

    Contacts start at the set's contact time, lengthen linearly by ``spec.fatigue`` over the
    set, vary by ``spec.variability`` and last at least 60 ms.
    """
    n = spec.hops
    c0_ms, f0_ms = spec.start_times_ms()
    ramp = np.arange(n) / max(n - 1, 1)
    contact = c0_ms * (1.0 + spec.fatigue * ramp) * _vary(rng, n, spec.variability) / 1000.0
    return np.maximum(contact, 0.060), f0_ms


def _hop_set(
    b: _Builder,
    rng: np.random.Generator,
    spec: SetSpec,
    set_no: int,
    *,
    placement: str,
    art: Artefacts,
) -> None:
    n = spec.hops
    contact, f0_ms = _set_contacts_s(rng, spec)
    flights = f0_ms * _vary(rng, n + 1, spec.variability) / 1000.0
    flights[0] = f0_ms * rng.uniform(0.9, 1.3) / 1000.0
    flights = np.maximum(flights, 0.025)
    stumble = np.zeros(n + 2)
    if spec.stumbles:
        # A stumble: the athlete regains balance on the ground for 0.45-0.9 s, then hops on.
        where = rng.choice(np.arange(1, n - 1), size=spec.stumbles, replace=False)
        contact[where] = rng.uniform(0.45, 0.9, spec.stumbles)
        stumble[where + 1] = 1.0
    contact_dur = np.concatenate([[rng.uniform(0.35, 0.55)], contact, [rng.uniform(0.3, 0.45)]])
    roles = np.array([ROLE_FIRST, *([ROLE_HOP] * n), ROLE_FINAL], dtype=np.float64)
    speeds = np.concatenate([[0.0], G_MPS2 * flights / 2.0])
    hop_no = np.concatenate([[0], np.arange(1, n + 1), [0]]).astype(np.float64)
    _add_alternating(
        b,
        contact_dur,
        flights,
        roles,
        speeds,
        set_no=set_no,
        hop_no=hop_no,
        rng=rng,
        placement=placement,
        art=art,
        impact_scale=spec.impact_scale,
        stumble=stumble,
    )


def _rebound_set(
    b: _Builder,
    rng: np.random.Generator,
    spec: SetSpec,
    set_no: int,
    *,
    placement: str,
    art: Artefacts,
) -> None:
    n = spec.hops
    contact, f0_ms = _set_contacts_s(rng, spec)
    jump = np.maximum(f0_ms * _vary(rng, n, spec.variability) / 1000.0, 0.025)
    drop_speed = math.sqrt(2.0 * G_MPS2 * spec.box_height_m)
    for j in range(n):
        if j > 0:
            rest = spec.jump_rest_s * rng.uniform(0.85, 1.15)
            strides = min(3, int((rest - 1.0) / 1.1))
            stand_a = max(0.5, 0.4 * (rest - 1.1 * strides))
            _stand(b, rng, stand_a, set_no)
            walked = _walk(b, rng, strides, set_no)
            _stand(b, rng, max(rest - stand_a - walked, 0.5), set_no)
        drop = math.sqrt(2.0 * spec.box_height_m / G_MPS2) * rng.uniform(0.97, 1.05)
        contact_dur = np.array([rng.uniform(0.3, 0.5), contact[j], rng.uniform(0.3, 0.45)])
        flights = np.array([drop, jump[j]])
        roles = np.array([ROLE_STEP_OFF, ROLE_REBOUND, ROLE_FINAL], dtype=np.float64)
        speeds = np.array([0.0, drop_speed, G_MPS2 * jump[j] / 2.0])
        _add_alternating(
            b,
            contact_dur,
            flights,
            roles,
            speeds,
            set_no=set_no,
            hop_no=np.array([0.0, j + 1.0, 0.0]),
            rng=rng,
            placement=placement,
            art=art,
            impact_scale=spec.impact_scale,
        )


def build_timeline(
    rng: np.random.Generator,
    sets: list[SetSpec],
    *,
    placement: str,
    art: Artefacts,
    standing_s: float,
    rest_s: float,
    walking_s: float,
    end_standing_s: float,
) -> Timeline:
    """Lay out a whole session: standing, sets separated by rest, standing."""
    b = _Builder()
    if not sets:
        _stand(b, rng, standing_s)
        _walk(b, rng, int(walking_s / 1.075))
        _stand(b, rng, max(end_standing_s, 0.5))
        return b.build([])
    _stand(b, rng, standing_s)
    for i, spec in enumerate(sets, start=1):
        if i > 1:
            _rest(b, rng, rest_s, walking_s)
        if spec.exercise == "rebound":
            _rebound_set(b, rng, spec, i, placement=placement, art=art)
        else:
            _hop_set(b, rng, spec, i, placement=placement, art=art)
    _stand(b, rng, max(end_standing_s, 0.5))
    return b.build([s.exercise for s in sets])


TRUTH_COLUMNS = (
    "set",
    "hop",
    "landing_s",
    "takeoff_s",
    "contact_ms",
    "flight_ms",
    "hop_hz",
    "duty_factor",
    "impact_g",
    "heel_touch",
    "messy_flight",
    "pre_landing",
    "stumble",
    "exercise",
)

TRUTH_SET_COLUMNS = (
    "set",
    "exercise",
    "start_s",
    "end_s",
    "hops",
    "hop_hz",
    "contact_ms",
    "flight_ms",
    "duty_factor",
)


def truth_tables(tl: Timeline) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (truth, truth_sets, truth_events) read off the timeline.

    Times are true times (s), which the caller maps to the recording's time axis.
    """
    p = tl.params
    complete = np.flatnonzero(
        (tl.kind == CONTACT) & ((tl.role == ROLE_HOP) | (tl.role == ROLE_REBOUND))
    )
    landing = tl.start_s[complete]
    takeoff = landing + tl.dur_s[complete]
    # In a simulated set a flight and a landing (a hop or the landing into standing) always
    # follow a complete contact.
    next_landing = tl.start_s[complete + 2]
    set_no = tl.set_no[complete]
    exercise = np.array([tl.set_exercise[s - 1] for s in set_no], dtype=object)
    truth = pd.DataFrame(
        {
            "set": set_no.astype(np.int64),
            "hop": tl.hop_no[complete].astype(np.int64),
            "landing_s": landing,
            "takeoff_s": takeoff,
            "contact_ms": (takeoff - landing) * 1000.0,
            "flight_ms": (next_landing - takeoff) * 1000.0,
            "hop_hz": 1.0 / (next_landing - landing),
            "duty_factor": (takeoff - landing) / (next_landing - landing),
            "impact_g": p["imp_amp"][complete],
            "heel_touch": p["heel_amp"][complete] > 0,
            "messy_flight": p["hold_amp"][complete + 1] > 0,
            "pre_landing": p["pre_amp"][complete - 1] > 0,
            "stumble": p["stumble"][complete] > 0,
            "exercise": pd.array(exercise, dtype="string"),
        }
    )
    rows = []
    for s, exercise_name in enumerate(tl.set_exercise, start=1):
        t = truth[truth["set"] == s]
        n = len(t)
        lands = t["landing_s"].to_numpy()
        hz = (n - 1) / (lands[-1] - lands[0]) if n >= 2 else math.nan
        rows.append(
            {
                "set": s,
                "exercise": exercise_name,
                "start_s": float(lands[0]) if n else math.nan,
                "end_s": float(t["takeoff_s"].iloc[-1]) if n else math.nan,
                "hops": n,
                "hop_hz": hz,
                "contact_ms": float(t["contact_ms"].median()) if n else math.nan,
                "flight_ms": float(t["flight_ms"].median()) if n else math.nan,
                "duty_factor": float(t["duty_factor"].median()) if n else math.nan,
            }
        )
    truth_sets = pd.DataFrame(rows, columns=list(TRUTH_SET_COLUMNS))
    truth_sets = truth_sets.astype({"set": np.int64, "hops": np.int64})
    truth_sets["exercise"] = truth_sets["exercise"].astype("string")

    contacts = np.flatnonzero(tl.kind == CONTACT)
    lands = contacts[p["c_in"][contacts] > 0]
    offs = contacts[p["c_out"][contacts] > 0]
    idx = np.concatenate([lands, offs])
    times = np.concatenate([tl.start_s[lands], tl.start_s[offs] + tl.dur_s[offs]])
    names = np.array(["landing"] * lands.size + ["takeoff"] * offs.size, dtype=object)
    order = np.argsort(times, kind="stable")
    role_names = np.array([ROLE_NAMES.get(r, "contact") for r in range(6)], dtype=object)
    events = pd.DataFrame(
        {
            "set": tl.set_no[idx][order].astype(np.int64),
            "time_s": times[order],
            "event": pd.array(names[order], dtype="string"),
            "contact": pd.array(role_names[tl.role[idx][order]], dtype="string"),
        }
    )
    return truth, truth_sets, events
