"""Simulated hop sessions with exact ground truth (hop_science §8)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from imu.recording import (
    ACC_COLUMNS,
    GYRO_COLUMNS,
    TIME_COLUMN,
    Recording,
    RecordingMeta,
    write_recording,
)
from imu.simulate.sensor import lost_mask, record
from imu.simulate.spec import Artefacts, SetSpec, _check_range
from imu.simulate.timeline import build_timeline, truth_tables

logger = logging.getLogger(__name__)

DEVICE_NAME = "hopscope simulator"
PLACEMENTS = ("laces", "heel", "ankle")


@dataclass(frozen=True)
class SimulatedSession:
    """A simulated recording and its exact ground truth.

    Attributes
    ----------
    samples : pandas.DataFrame
        The sample table: ``time_s`` (device clock, s), ``ax_g``, ``ay_g``, ``az_g`` (g,
        gravity included) and, when asked for, ``gx_dps``, ``gy_dps``, ``gz_dps``. Lost
        packets are gaps in ``time_s``.
    meta : RecordingMeta
        Metadata as a recorder would write it (device ``"hopscope simulator"``, nominal
        ``sample_rate_hz``, ``range_g``, ``placement``, ``lost_packets``, ``lost_samples``...).
    truth : pandas.DataFrame
        One row per complete ground contact (a landing followed by a take-off), in time order:
        ``set`` (1-based), ``hop`` (1-based within the set), ``landing_s``, ``takeoff_s``
        (s on the ``time_s`` axis), ``contact_ms``, ``flight_ms`` (next landing − this
        take-off), ``hop_hz`` (1 / (next landing − this landing)), ``duty_factor``,
        ``impact_g`` (amplitude of the modelled impact above the 1 g support, before the
        sensor; the true peak is about 1 g more), ``heel_touch``, ``messy_flight`` (the flight
        after this take-off is held up by limb motion), ``pre_landing`` (leg extension raised
        the signal before this landing), ``stumble`` (a long contact while regaining balance),
        ``exercise``.
    truth_sets : pandas.DataFrame
        One row per set: ``set``, ``exercise``, ``start_s`` (first landing), ``end_s`` (last
        take-off), ``hops`` (complete contacts), ``hop_hz`` = (hops − 1) / (last landing −
        first landing) over the landings of complete contacts (NaN below 2 hops),
        ``contact_ms``, ``flight_ms``, ``duty_factor`` (medians).
    truth_events : pandas.DataFrame
        Every landing and take-off, complete contact or not: ``set`` (0 outside sets),
        ``time_s``, ``event`` (``"landing"``/``"takeoff"``) and ``contact`` (``"push_off"``
        from standing, ``"hop"``, ``"final_landing"`` into standing, ``"step_off"`` from a box,
        ``"rebound"``).
    seed : int
        The seed the session was made from.
    true_sample_rate_hz : float
        The rate the samples were really taken at (nominal × (1 + rate_error)), in Hz.
    sets : tuple of SetSpec
        The set specifications.
    artefacts : Artefacts
        The sensor and radio artefacts.
    slip_at_s : float or None
        When the sensor slipped, in s (None: no slip).

    Notes
    -----
    Truth conventions. A set starts from standing with a push-off (a take-off with no landing
    before it) and ends with a landing into standing (no take-off after it); neither is a
    complete contact, so a set of ``hops=N`` has exactly N rows in ``truth``. A landing
    always follows the take-off of a complete contact inside its set (the next hop, or the
    final landing into standing), so ``flight_ms`` and ``hop_hz`` are defined for every row,
    the last hop of a set included; ``flight_ms`` of a rebound jump is the flight of the jump.
    The set frequency uses only the landings of complete contacts (the final landing into
    standing is not one of them). All times are on the recording's ``time_s`` axis: the
    simulated device clock is exact, so a rate error shows as sample spacing that differs from
    1 / nominal rate, not as a stretched time axis.
    """

    samples: pd.DataFrame
    meta: RecordingMeta
    truth: pd.DataFrame
    truth_sets: pd.DataFrame
    truth_events: pd.DataFrame
    seed: int
    true_sample_rate_hz: float
    sets: tuple[SetSpec, ...] = field(default_factory=tuple)
    artefacts: Artefacts = field(default_factory=Artefacts)
    slip_at_s: float | None = None

    def recording(self) -> Recording:
        """Return the samples and metadata as a :class:`~imu.recording.Recording`."""
        return Recording(self.samples, self.meta, source=f"<simulated seed {self.seed}>")

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write ``NAME.csv``, its ``NAME.json`` sidecar and ``NAME.truth.csv``.

        Parameters
        ----------
        path : str or path-like
            Destination ``NAME.csv``.

        Returns
        -------
        pathlib.Path
            The recording CSV written.
        """
        path = Path(path)
        write_recording(path, self.samples, self.meta)
        truth = self.truth.copy()
        for col in ("landing_s", "takeoff_s"):
            truth[col] = truth[col].round(6)
        for col in ("contact_ms", "flight_ms", "impact_g"):
            truth[col] = truth[col].round(3)
        truth["hop_hz"] = truth["hop_hz"].round(5)
        truth["duty_factor"] = truth["duty_factor"].round(5)
        truth.to_csv(path.with_suffix(".truth.csv"), index=False)
        return path


def simulate_session(
    seed: int,
    *,
    sample_rate_hz: float = 200.0,
    sets: Sequence[SetSpec] | None = None,
    placement: str = "laces",
    artefacts: Artefacts | None = None,
    range_g: float = 16.0,
    gyro: bool = False,
    standing_s: float = 3.0,
    rest_s: float = 15.0,
    walking_s: float = 5.0,
    end_standing_s: float = 2.0,
    athlete: str | None = None,
    leg: str | None = None,
    body_mass_kg: float | None = None,
    start_utc: str | None = None,
) -> SimulatedSession:
    """Simulate a hop session recorded by a shoe-mounted IMU, with exact ground truth.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same arguments and seed give the same session. The
        motion (and so the truth) depends only on the seed, the sets and the session layout,
        not on the sample rate or the artefacts' sensor settings.
    sample_rate_hz : float
        Nominal sample rate, in Hz (10–5000).
    sets : sequence of SetSpec, optional
        The sets, in order; default three sets of ``SetSpec()`` (20 hops at 3.0 Hz). An
        empty sequence gives standing, ``walking_s`` of walking, and standing.
    placement : {"laces", "heel", "ankle"}
        Where the sensor is clipped; the mounting rotation is random per session.
    artefacts : Artefacts, optional
        Sensor and radio imperfections; default ``Artefacts()``.
    range_g : float
        Accelerometer full scale, ± g (1–64); per-axis clipping and quantisation use it.
    gyro : bool
        Add gyroscope columns (foot pitch rate in sensor axes, ±2000 °/s).
    standing_s : float
        Standing before the first set, in s.
    rest_s : float
        Rest between sets, in s (standing, ``walking_s`` of walking, standing).
    walking_s : float
        Walking inside each rest (at most ``rest_s`` − 1 s), in s.
    end_standing_s : float
        Standing after the last set, in s (at least 0.5 s is used).
    athlete, leg, body_mass_kg, start_utc : optional
        Copied into the metadata.

    Returns
    -------
    SimulatedSession
        Samples, metadata and truth tables (see :class:`SimulatedSession` for the conventions).

    Raises
    ------
    ValueError
        An argument is outside its allowed range or of the wrong type.

    Notes
    -----
    The session is laid out as segments (standing, walking strides, flights and contacts)
    whose boundaries are the true landing and take-off instants. Each segment's specific force
    ``f = a - g`` (hop_science §4) is evaluated on an internal grid of at least 1 kHz, turned
    into foot axes (foot pitch) and sensor axes (mounting rotation, optional slip), filtered
    by a causal second-order Butterworth low-pass, sampled at the true rate, then given gain
    error, bias, noise, 16-bit quantisation and per-axis clipping; timestamps get jitter and
    lost packets are removed. Generation is vectorised and chunked: an hour at 1 kHz takes a
    few seconds.

    Examples
    --------
    >>> from imu.simulate import SetSpec, simulate_session
    >>> sim = simulate_session(1, sets=[SetSpec(hops=10, hop_hz=3.2)])
    >>> len(sim.truth)
    10
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative whole number, got {seed!r}")
    rate = _check_range("sample_rate_hz", sample_rate_hz, 10.0, 5000.0)
    range_g = _check_range("range_g", range_g, 1.0, 64.0)
    standing_s = _check_range("standing_s", standing_s, 0.0, 36000.0)
    rest_s = _check_range("rest_s", rest_s, 1.0, 36000.0)
    walking_s = _check_range("walking_s", walking_s, 0.0, 36000.0)
    end_standing_s = _check_range("end_standing_s", end_standing_s, 0.0, 36000.0)
    if placement not in PLACEMENTS:
        raise ValueError(f"`placement` must be one of {PLACEMENTS}, got {placement!r}")
    if artefacts is None:
        artefacts = Artefacts()
    if not isinstance(artefacts, Artefacts):
        raise ValueError(f"`artefacts` must be an Artefacts, got {type(artefacts).__name__}")
    if isinstance(sets, (SetSpec, str, bytes)) or not (sets is None or isinstance(sets, Sequence)):
        raise ValueError(f"`sets` must be a sequence of SetSpec, got {type(sets).__name__}")
    set_list = [SetSpec(), SetSpec(), SetSpec()] if sets is None else list(sets)
    for i, spec in enumerate(set_list):
        if not isinstance(spec, SetSpec):
            raise ValueError(f"`sets[{i}]` must be a SetSpec, got {type(spec).__name__}")
    if leg is not None and leg not in ("L", "R"):
        raise ValueError(f"`leg` must be 'L' or 'R', got {leg!r}")
    if body_mass_kg is not None:
        _check_range("body_mass_kg", body_mass_kg, 1.0, 500.0)

    motion_ss, sensor_ss, radio_ss = np.random.SeedSequence(int(seed)).spawn(3)
    rng_motion = np.random.default_rng(motion_ss)
    rng_sensor = np.random.default_rng(sensor_ss)
    rng_radio = np.random.default_rng(radio_ss)

    tl = build_timeline(
        rng_motion,
        set_list,
        placement=placement,
        art=artefacts,
        standing_s=standing_s,
        rest_s=rest_s,
        walking_s=walking_s,
        end_standing_s=end_standing_s,
    )
    slip_at = None
    if artefacts.slip_deg > 0:
        slip_at = artefacts.slip_at_s
        if slip_at is None:
            slip_at = float(rng_radio.uniform(0.25, 0.75) * tl.duration_s)
    out = record(
        tl,
        rng_sensor,
        sample_rate_hz=rate,
        range_g=range_g,
        placement=placement,
        art=artefacts,
        gyro=gyro,
        slip_at_s=slip_at,
    )
    keep, lost_packets = lost_mask(rng_radio, out.n_samples, tl.duration_s, artefacts)
    columns = {TIME_COLUMN: out.time_s[keep]}
    for j, name in enumerate(ACC_COLUMNS):
        columns[name] = out.acc_g[keep, j]
    if out.gyro_dps is not None:
        for j, name in enumerate(GYRO_COLUMNS):
            columns[name] = out.gyro_dps[keep, j]
    samples = pd.DataFrame(columns, copy=False)  # the column arrays are fresh: no second copy
    lost_samples = int(out.n_samples - keep.sum())

    truth, truth_sets, events = truth_tables(tl)
    meta = RecordingMeta(
        device=DEVICE_NAME,
        device_id=f"sim-{int(seed)}",
        sample_rate_hz=rate,
        range_g=range_g,
        start_utc=start_utc,
        time_zone="UTC" if start_utc is not None else None,
        athlete=athlete,
        leg=leg,
        placement=placement,
        body_mass_kg=None if body_mass_kg is None else float(body_mass_kg),
        lost_packets=lost_packets,
        lost_samples=lost_samples,
        notes=f"simulated session, seed {int(seed)}",
        extra={"true_sample_rate_hz": round(out.true_rate_hz, 9)},
    )
    logger.debug(
        "simulated %d samples (%d lost), %d complete contacts",
        out.n_samples,
        lost_samples,
        len(truth),
    )
    return SimulatedSession(
        samples=samples,
        meta=meta,
        truth=truth,
        truth_sets=truth_sets,
        truth_events=events,
        seed=int(seed),
        true_sample_rate_hz=out.true_rate_hz,
        sets=tuple(set_list),
        artefacts=artefacts,
        slip_at_s=slip_at,
    )
