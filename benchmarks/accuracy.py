"""Accuracy of the hop analysis against simulated sessions with exact truth.

For each sample rate, random sessions (fresh seeds: the detector's defaults were set while
looking at seeds 0-199 and 1000-1059; the default run uses seeds from 2000 on) are simulated with random sets, mounting and artefacts,
analysed with the default settings, and compared with the truth:

- hop sensitivity and precision (a detected contact matches a true one when its landing is
  within 50 ms, or its take-off when its landing was lost in a gap of the data);
- bias, SD, 95 % limits of agreement (Bland-Altman) and MAE of contact and flight time;
- set hop frequency error, also over the sets whose first and last landings were recorded
  (a lost end landing leaves the frequency of the hops between the recorded ones);
- flags: below_target_frequency and slow_rebound compared with the truth-derived verdict on
  every set whose frequency is at least 0.15 Hz and whose median contact is at least 30 ms
  from the thresholds;
- hops found in sessions of only standing and walking;
- with ``--mixed-sessions``, sessions of both drills (hop sets and rebound jumps in random
  order, rests of 4-20 s) analysed with ``exercise="auto"``: the same figures over both kinds
  of set, and the true sets found as a set of their own drill; and how many of the hop and
  rebound sessions above give, analysed with ``exercise="auto"``, the same contacts and sets
  as with their own drill.

Run: ``.venv/bin/python benchmarks/accuracy.py [--sessions N] [--seed0 S] [--rates 52,100]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import AnalysisSettings, analyze
from analysis.result import FLAG_BELOW_TARGET, FLAG_SLOW_REBOUND
from analysis.validation import agreement, match_hops
from imu.errors import HopscopeWarning
from imu.simulate import Artefacts, SetSpec, simulate_session

RATES_HZ = (52.0, 100.0, 200.0, 416.0, 800.0)
MATCH_TOLERANCE_S = 0.05


#: Artefact levels of ``--artefacts``: ``mixed`` draws one of the next four per session;
#: ``heavy-loss`` is harsh with three times the packet loss (never used while developing).
ARTEFACT_LEVELS = ("mixed", "clean", "messy", "lossy", "harsh", "heavy-loss")


def random_session(
    seed: int, sample_rate_hz: float, *, exercise: str = "hops", artefacts: str = "mixed"
):
    """Simulate one random session: 1-3 sets (2-4 for "mixed"), random placement, range, artefacts.

    ``artefacts`` is one of :data:`ARTEFACT_LEVELS`; ``mixed`` draws the level per session.
    """
    rng = np.random.default_rng([seed, 7])
    sets = []
    n_sets = int(rng.integers(1, 4)) if exercise != "mixed" else int(rng.integers(2, 5))
    # A session of both drills: one set of each at least, in random order, two rebound sets
    # never one after the other (the rest between them is longer than the 12 s that joins
    # jumps into a set, as in the rebound sessions; here rests are 4-20 s).
    kinds = [exercise] * n_sets
    if exercise == "mixed":
        kinds = []
        for _ in range(n_sets):
            after_jumps = bool(kinds) and kinds[-1] == "rebound"
            kinds.append("hops" if after_jumps else str(rng.choice(["hops", "rebound"])))
        if "rebound" not in kinds:
            kinds[int(rng.integers(0, n_sets))] = "rebound"
    for kind in kinds:
        if kind == "rebound":
            sets.append(
                SetSpec(
                    exercise="rebound",
                    hops=int(rng.integers(3, 7)),
                    contact_ms=float(rng.uniform(150, 700)),
                    flight_ms=float(rng.uniform(250, 550)),
                    variability=float(rng.uniform(0.02, 0.08)),
                    box_height_m=float(rng.uniform(0.2, 0.6)),
                    jump_rest_s=float(rng.uniform(3, 7)),
                )
            )
            continue
        hop_hz = float(rng.uniform(2.2, 3.8))
        duty = float(rng.uniform(0.4, 0.72))
        if (1 - duty) / hop_hz < 0.035:
            duty = 1 - 0.035 * hop_hz
        sets.append(
            SetSpec(
                hops=int(rng.integers(10, 31)),
                hop_hz=hop_hz,
                duty_factor=duty,
                variability=float(rng.uniform(0.01, 0.06)),
                fatigue=float(rng.uniform(-0.05, 0.2)),
            )
        )
    kind = int(rng.integers(0, 4))
    if artefacts != "mixed":
        kind = ARTEFACT_LEVELS.index(artefacts) - 1
    if kind == 0:
        art = Artefacts()
    elif kind == 1:
        art = Artefacts(messy_flight=0.5, pre_landing=0.6, heel_touch=0.3)
    elif kind == 2:
        art = Artefacts(
            packet_loss=0.01,
            loss_bursts_per_min=1.0,
            rate_error=float(rng.uniform(-0.01, 0.01)),
            timestamp_jitter=0.1,
            messy_flight=0.3,
            pre_landing=0.3,
        )
    elif kind == 3:
        art = Artefacts.harsh()
    else:
        art = Artefacts.harsh().replace(packet_loss=0.03, loss_bursts_per_min=3.0)
    return simulate_session(
        seed,
        sample_rate_hz=sample_rate_hz,
        sets=sets,
        placement=str(rng.choice(["laces", "laces", "heel"])),
        artefacts=art,
        range_g=float(rng.choice([8.0, 16.0, 16.0])),
        rest_s=float(
            rng.uniform(8, 20)
            if exercise == "hops"
            else rng.uniform(4, 20)
            if exercise == "mixed"
            else rng.uniform(20, 40)
        ),
        walking_s=float(rng.uniform(2, 6)),
        body_mass_kg=70.0,
    )


def gap_hops(sim, *, events: str = "all") -> np.ndarray:
    """Mark true contacts with an event (landing, take-off, next landing) inside lost data.

    With ``events="landing"`` only the contact's own landing is looked at.

    An event is lost when it falls within 15 ms (at least one sample period) of a gap (a time step longer
    than 2.5 median periods): its edge was never recorded, so no detector can time it.
    """
    t = sim.samples["time_s"].to_numpy()
    step = np.diff(t)
    period = float(np.median(step))
    g = np.flatnonzero(step > 2.5 * period)
    pad = max(period, 0.015)
    lo, hi = t[g] - pad, t[g + 1] + pad
    out = np.zeros(len(sim.truth), dtype=bool)
    if not len(g):
        return out
    landing = sim.truth["landing_s"].to_numpy()
    takeoff = sim.truth["takeoff_s"].to_numpy()
    nxt = landing + (sim.truth["flight_ms"].to_numpy() + sim.truth["contact_ms"].to_numpy()) / 1e3
    for ev in (landing, takeoff, nxt) if events == "all" else (landing,):
        j = np.searchsorted(lo, ev, side="right") - 1
        out |= (j >= 0) & (ev <= hi[np.maximum(j, 0)])
    return out


@dataclass
class RateStats:
    """Accumulated comparisons for one sample rate."""

    true_hops: int = 0
    found_hops: int = 0
    matched: int = 0
    timable_hops: int = 0
    timable_matched: int = 0
    #: Per session, the matched (detected, true) contact and flight times, ms.
    contact_ms: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    flight_ms: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    set_hz_err: list[float] = field(default_factory=list)
    #: Whether each set's first and last landings were recorded (not in lost data).
    set_ends_recorded: list[bool] = field(default_factory=list)
    #: True sets found as a set of their own drill (``exercise``), and those compared.
    drill_right: int = 0
    drill_checked: int = 0
    flag_checked: int = 0
    flag_wrong: int = 0
    flag_examples: list[str] = field(default_factory=list)
    #: Sets over 0.02 Hz off whose ends were recorded.
    rate_examples: list[str] = field(default_factory=list)


def _verdict(hop_hz: float, contact_ms: float, s: AnalysisSettings, exercise: str) -> set[str]:
    out = set()
    if exercise == "hops" and hop_hz < s.target_hz - s.target_tolerance_hz:
        out.add(FLAG_BELOW_TARGET)
    if contact_ms > s.slow_contact_ms:
        out.add(FLAG_SLOW_REBOUND)
    return out


def compare(sim, result, stats: RateStats, settings: AnalysisSettings) -> None:
    """Add one session's comparison to ``stats``."""
    truth = sim.truth
    hops = result.hops
    stats.true_hops += len(truth)
    stats.found_hops += len(hops)
    ti, hi = match_hops(truth, hops, tolerance_s=MATCH_TOLERANCE_S)
    stats.matched += len(ti)
    lost = gap_hops(sim)
    landing_lost = gap_hops(sim, events="landing")
    stats.timable_hops += int((~lost).sum())
    stats.timable_matched += int((~lost[ti]).sum())
    t = truth.iloc[ti]
    h = hops.iloc[hi]
    stats.contact_ms.append((h["contact_ms"].to_numpy(), t["contact_ms"].to_numpy()))
    stats.flight_ms.append((h["flight_ms"].to_numpy(), t["flight_ms"].to_numpy()))
    # Sets: match each true set to the detected set holding most of its matched hops.
    for ts in sim.truth_sets.itertuples(index=False):
        in_set = t["set"].to_numpy() == ts.set
        if not in_set.any():
            continue
        det_set = pd.Series(h["set"].to_numpy()[in_set]).mode().iloc[0]
        row = result.sets[result.sets["set"] == det_set].iloc[0]
        stats.drill_checked += 1
        stats.drill_right += int(row["exercise"] == ts.exercise)
        if np.isfinite(ts.hop_hz) and np.isfinite(row["hop_hz"]):
            stats.set_hz_err.append(float(row["hop_hz"] - ts.hop_hz))
            of_set = np.flatnonzero(truth["set"].to_numpy() == ts.set)
            # The set's first landing, and its last hop whole (landing, take-off and the
            # landing that ends its flight: without them it is not told from the set's final
            # landing into standing).
            ends_recorded = not (landing_lost[of_set[0]] or lost[of_set[-1]])
            stats.set_ends_recorded.append(ends_recorded)
            if ends_recorded and abs(stats.set_hz_err[-1]) > 0.02:
                stats.rate_examples.append(
                    f"seed {sim.seed} set {ts.set} ({ts.exercise}): {stats.set_hz_err[-1]:+.4f} Hz"
                )
        far_hz = abs(ts.hop_hz - (settings.target_hz - settings.target_tolerance_hz)) >= 0.15
        far_ct = abs(ts.contact_ms - settings.slow_contact_ms) >= 30
        if far_hz and far_ct and (np.isfinite(ts.hop_hz) or ts.exercise == "rebound"):
            stats.flag_checked += 1
            want = _verdict(ts.hop_hz, ts.contact_ms, settings, ts.exercise)
            got = set(row["flags"]) & {FLAG_BELOW_TARGET, FLAG_SLOW_REBOUND}
            if want != got:
                stats.flag_wrong += 1
                stats.flag_examples.append(
                    f"seed {sim.seed} set {ts.set}: want {sorted(want)} got {sorted(got)}"
                )


def run(
    seeds: range, rates: tuple[float, ...], *, exercise: str = "hops", artefacts: str = "mixed"
) -> dict:
    settings = AnalysisSettings(exercise="auto" if exercise == "mixed" else exercise)
    out = {}
    for rate in rates:
        stats = RateStats()
        for seed in seeds:
            sim = random_session(seed, rate, exercise=exercise, artefacts=artefacts)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", HopscopeWarning)
                result = analyze(sim.recording(), settings=settings)
            compare(sim, result, stats, settings)
        out[rate] = stats
    return out


def auto_agreement(seeds: range, rates: tuple[float, ...], *, exercise: str) -> dict:
    """Sessions of one drill whose ``exercise="auto"`` analysis equals that drill's own.

    Equal: the same contacts (landing and take-off) and the same set table but for the
    ``exercise`` column. Returns, per rate, (equal sessions, sessions).
    """
    out = {}
    for rate in rates:
        equal = 0
        for seed in seeds:
            sim = random_session(seed, rate, exercise=exercise)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", HopscopeWarning)
                own = analyze(sim.recording(), settings=AnalysisSettings(exercise=exercise))
                auto = analyze(sim.recording(), settings=AnalysisSettings(exercise="auto"))
            edges = ["landing_s", "takeoff_s"]
            equal += int(
                auto.hops[edges].equals(own.hops[edges])
                and auto.sets.drop(columns="exercise").equals(own.sets.drop(columns="exercise"))
                and (auto.sets["exercise"] == exercise).all()
            )
        out[rate] = (equal, len(seeds))
    return out


def walking_hops(seeds: range, rates: tuple[float, ...]) -> int:
    """Hops found in sessions of only standing and walking (should be 0)."""
    found = 0
    for rate in rates:
        for seed in seeds:
            sim = simulate_session(seed, sample_rate_hz=rate, sets=[], walking_s=60.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", HopscopeWarning)
                found += analyze(sim.recording()).n_hops
    return found


def _agreement(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, ...]:
    """Bias, SD, limits of agreement and MAE of all sessions' (detected, true) pairs."""
    detected = np.concatenate([d for d, _ in pairs]) if pairs else np.zeros(0)
    true = np.concatenate([t for _, t in pairs]) if pairs else np.zeros(0)
    a = agreement(detected, true)
    return a["bias"], a["sd"], a["loa_low"], a["loa_high"], a["mae"]


def report(results: dict, walking: int, *, title: str, drills: bool = False) -> str:
    """Return the accuracy table (markdown); ``drills`` adds the sets found as their drill."""
    lines = [title, ""]
    lines.append(
        "| rate Hz | true hops | sens % | sens % (edges recorded) | prec % | contact bias ± SD ms | contact LoA ms |"
        " contact MAE ms | flight bias ± SD ms | flight LoA ms | flight MAE ms |"
        " set Hz err median / max | sets within 0.02 Hz | (ends recorded) | flags right |"
    )
    lines.append("|" + "---|" * 15)
    for rate, st in results.items():
        cb, cs, cl, ch, cm = _agreement(st.contact_ms)
        fb, fsd, fl, fh, fm = _agreement(st.flight_ms)
        sens = 100 * st.matched / st.true_hops if st.true_hops else np.nan
        sens_t = 100 * st.timable_matched / st.timable_hops if st.timable_hops else np.nan
        prec = 100 * st.matched / st.found_hops if st.found_hops else np.nan
        hz_err = np.abs(np.asarray(st.set_hz_err)) if st.set_hz_err else np.full(1, np.nan)
        hz = f"{np.median(hz_err):.4f} / {hz_err.max():.4f}"
        within = f"{(hz_err <= 0.02).sum()}/{len(st.set_hz_err)}"
        ends = np.asarray(st.set_ends_recorded, dtype=bool)
        within_ends = f"{(hz_err[ends] <= 0.02).sum()}/{ends.sum()}" if len(ends) else "–"
        lines.append(
            f"| {rate:g} | {st.true_hops} | {sens:.2f} | {sens_t:.2f} | {prec:.2f} | {cb:+.2f} ± {cs:.2f} |"
            f" {cl:+.1f} … {ch:+.1f} | {cm:.2f} | {fb:+.2f} ± {fsd:.2f} | {fl:+.1f} … {fh:+.1f} |"
            f" {fm:.2f} | {hz} | {within} | {within_ends} |"
            f" {st.flag_checked - st.flag_wrong}/{st.flag_checked} |"
        )
    lines.append("")
    if drills:
        drills = ", ".join(
            f"{st.drill_right}/{st.drill_checked} at {rate:g} Hz" for rate, st in results.items()
        )
        lines.append(f"Sets found as their own drill: {drills}")
    lines.append(f"Hops found in standing-and-walking sessions: {walking}")
    for rate, st in results.items():
        for ex in st.flag_examples[:5]:
            lines.append(f"flag mismatch at {rate:g} Hz: {ex}")
        for ex in st.rate_examples[:5]:
            lines.append(f"set rate over 0.02 Hz with its ends recorded at {rate:g} Hz: {ex}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40, help="sessions per sample rate")
    parser.add_argument(
        "--seed0", type=int, default=2000, help="first seed (development used 0-199, 1000-1059)"
    )
    parser.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES_HZ))
    parser.add_argument("--rebound-sessions", type=int, default=15)
    parser.add_argument(
        "--mixed-sessions",
        type=int,
        default=0,
        help="sessions of hop sets and rebound jumps together, analysed with exercise auto",
    )
    parser.add_argument(
        "--artefacts",
        choices=ARTEFACT_LEVELS,
        default="mixed",
        help="artefact level of every session (default: drawn per session)",
    )
    args = parser.parse_args(argv)
    rates = tuple(float(r) for r in args.rates.split(","))
    seeds = range(args.seed0, args.seed0 + args.sessions)
    level = "" if args.artefacts == "mixed" else f", artefacts {args.artefacts}"
    t0 = time.perf_counter()
    if args.sessions:
        results = run(seeds, rates, artefacts=args.artefacts)
        walking = walking_hops(range(args.seed0, args.seed0 + 5), rates)
        title = f"Hops: seeds {seeds.start}-{seeds.stop - 1}{level}"
        print(report(results, walking, title=title))
    if args.rebound_sessions:
        rseeds = range(args.seed0, args.seed0 + args.rebound_sessions)
        rres = run(rseeds, rates, exercise="rebound", artefacts=args.artefacts)
        print()
        title = f"Rebound jumps: seeds {rseeds.start}-{rseeds.stop - 1}{level}"
        print(report(rres, 0, title=title))
    if args.mixed_sessions:
        mseeds = range(args.seed0, args.seed0 + args.mixed_sessions)
        mres = run(mseeds, rates, exercise="mixed", artefacts=args.artefacts)
        print()
        title = (
            f"Both drills in one session (exercise auto): seeds {mseeds.start}-"
            f"{mseeds.stop - 1}{level}"
        )
        print(report(mres, 0, title=title, drills=True))
        for kind, count in (("hops", args.sessions), ("rebound", args.rebound_sessions)):
            if not count:
                continue
            same = auto_agreement(range(args.seed0, args.seed0 + count), rates, exercise=kind)
            text = ", ".join(f"{e}/{n} at {rate:g} Hz" for rate, (e, n) in same.items())
            print(
                f"Sessions of {kind} only whose exercise-auto analysis equals the {kind} one: {text}"
            )
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
