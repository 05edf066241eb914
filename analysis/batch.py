"""Analyse many recordings in parallel and collect their sets and hops in squad tables.

:func:`run_batch` finds recordings, analyses each one in a worker process, and returns the
tables written as ``sessions.csv`` (one row per session and set) and ``hops.csv`` (every
hop), documented in ``docs/reports.md``. A file that fails becomes one row with its error;
the others still complete.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.result import HOP_COLUMNS, SET_COLUMNS
from analysis.settings import AnalysisSettings
from imu.errors import HopscopeError

__all__ = [
    "DEFAULT_PATTERN",
    "HOPS_COLUMNS",
    "RECORDING_SUFFIXES",
    "SESSIONS_COLUMNS",
    "BatchResult",
    "SessionOutcome",
    "analyze_recording",
    "compile_pattern",
    "find_recordings",
    "run_batch",
]

logger = logging.getLogger(__name__)

#: File name pattern used when none is given: athlete, leg and date separated by underscores.
DEFAULT_PATTERN = "{athlete}_{leg}_{date}"

#: File suffixes taken as recordings when a folder is searched (files named on the command
#: line are always tried). A ``.json`` file beside a recording of the same name is its sidecar.
RECORDING_SUFFIXES = (".csv", ".txt", ".tsv", ".zip", ".xls", ".xlsx", ".json")

#: Ground-truth tables the simulator writes beside its recordings; not recordings themselves.
TRUTH_SUFFIX = ".truth.csv"

_LABEL_COLUMNS = ["athlete", "leg", "date", "session", "file"]

#: Columns of ``sessions.csv``: one row per session and set (see docs/reports.md).
SESSIONS_COLUMNS: tuple[str, ...] = (
    *_LABEL_COLUMNS,
    "status",  # ok, no_hops or error
    "error",  # one-line error of a failed file
    "set",  # 1-based set number; empty when the session has no set
    "exercise",  # the set's drill: hops or rebound (both in one session with --exercise auto)
    # the set's metrics (analysis.result.SET_COLUMNS from hops on), then its start and end
    *SET_COLUMNS[SET_COLUMNS.index("hops") : SET_COLUMNS.index("flags")],
    "start_s",
    "end_s",
    "set_flags",  # ";"-joined flag codes of the set
    "session_flags",  # ";"-joined flag codes of the whole session
    "start_utc",
    "device",
    "placement",
    "source_format",
    "sample_rate_hz",  # nominal, Hz
    "effective_rate_hz",
    "duration_s",
    "gaps",
    "lost_samples",
    "clipped_impacts",
    "target_hz",
    "slow_contact_ms",
    "warnings",  # ";"-joined warnings raised while loading or analysing
    "report",  # session report, relative to the output folder (with --reports), else empty
)

#: Columns of ``hops.csv``: the labels, then the per-hop table of the analysis.
HOPS_COLUMNS: tuple[str, ...] = (*_LABEL_COLUMNS, *HOP_COLUMNS)

_SET_METRICS = SESSIONS_COLUMNS[
    SESSIONS_COLUMNS.index("hops") : SESSIONS_COLUMNS.index("end_s") + 1
]

_FIELD_PATTERNS = {
    "athlete": r"(?P<athlete>.+?)",
    "leg": r"(?P<leg>[LRlr])",
    "date": r"(?P<date>\d{4}-?\d{2}-?\d{2})",
    "session": r"(?P<session>.+?)",
}


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Turn a file name pattern such as ``'{athlete}_{leg}_{date}'`` into a regular expression.

    Parameters
    ----------
    pattern : str
        Literal text with the fields ``{athlete}``, ``{leg}`` (``L`` or ``R``), ``{date}``
        (``YYYY-MM-DD`` or ``YYYYMMDD``), ``{session}`` and ``{*}`` (any text, ignored). The
        pattern must match the start of the file name without its suffix; anything after the
        match is ignored.

    Returns
    -------
    re.Pattern
        A compiled expression with named groups.

    Raises
    ------
    ValueError
        An unknown or repeated field, or no field at all.
    """
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"`pattern` must be non-empty text, got {pattern!r}")
    parts = []
    seen: set[str] = set()
    pos = 0
    for match in re.finditer(r"\{(\w+|\*)\}", pattern):
        parts.append(re.escape(pattern[pos : match.start()]))
        name = match.group(1)
        if name == "*":
            parts.append(r".*?")
        elif name not in _FIELD_PATTERNS:
            known = ", ".join("{" + k + "}" for k in (*_FIELD_PATTERNS, "*"))
            raise ValueError(f"`pattern` has the unknown field {{{name}}}; known: {known}")
        elif name in seen:
            raise ValueError(f"`pattern` has the field {{{name}}} twice")
        else:
            seen.add(name)
            parts.append(_FIELD_PATTERNS[name])
        pos = match.end()
    parts.append(re.escape(pattern[pos:]))
    if not seen:
        raise ValueError(f"`pattern` {pattern!r} has no field such as {{athlete}}")
    return re.compile("^" + "".join(parts) + r"(?=$|[_\-. ])", re.IGNORECASE)


def _normalise_date(text: str | None) -> str | None:
    """Return ``YYYY-MM-DD`` from an ISO date or time, ``YYYYMMDD``, or None when not a date."""
    if not text:
        return None
    text = str(text).strip()
    m = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})", text)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3])).date().isoformat()
    except ValueError:
        return None


def find_recordings(
    paths: Iterable[str | os.PathLike[str]],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Return the recordings named or found (recursively) under ``paths``, sorted, no repeats.

    Parameters
    ----------
    paths : iterable of path-like
        Files (always taken) and folders (searched for :data:`RECORDING_SUFFIXES`; hidden
        files and folders are skipped; a ``.json`` sidecar beside a recording and a
        simulator's ``NAME.truth.csv`` are not recordings themselves).
    exclude : iterable of path-like
        Folders not to search, such as the batch's own output folder.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    FileNotFoundError
        A path does not exist.
    """
    found: dict[Path, None] = {}
    skip = {Path(p).resolve() for p in exclude}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found[path] = None
            continue
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such file or folder")
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".") and Path(dirpath, d).resolve() not in skip
            )
            if Path(dirpath).resolve() in skip:
                continue
            stems = {Path(f).stem for f in filenames if Path(f).suffix.lower() != ".json"}
            for name in sorted(filenames):
                p = Path(dirpath, name)
                suffix = p.suffix.lower()
                if name.startswith(".") or suffix not in RECORDING_SUFFIXES:
                    continue
                if suffix == ".json" and p.stem in stems:
                    continue
                if name.lower().endswith(TRUTH_SUFFIX):
                    continue
                found[p] = None
    return sorted(found)


@dataclass
class SessionOutcome:
    """What the analysis of one file produced (small and picklable; no signal arrays).

    Parameters
    ----------
    file : str
        The file, as given or found.
    labels : dict
        ``athlete``, ``leg``, ``date``, ``session``, ``file``.
    sets : pandas.DataFrame
        Rows in :data:`SESSIONS_COLUMNS`.
    hops : pandas.DataFrame
        Rows in :data:`HOPS_COLUMNS`.
    error : str, optional
        One-line error when the file failed.
    """

    file: str
    labels: dict[str, Any]
    sets: pd.DataFrame
    hops: pd.DataFrame
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def _labels(
    path: Path, session: str, meta: Any | None, pattern: re.Pattern[str] | None
) -> dict[str, Any]:
    """Athlete, leg and date from metadata first, then from the file name."""
    from_name: dict[str, str] = {}
    if pattern is not None:
        m = pattern.match(path.stem)
        if m:
            from_name = {k: v for k, v in m.groupdict().items() if v}
    athlete = (getattr(meta, "athlete", None) or from_name.get("athlete") or "").strip()
    leg = getattr(meta, "leg", None) or from_name.get("leg")
    leg = leg.upper() if leg else ""
    date = _normalise_date(getattr(meta, "start_utc", None)) or _normalise_date(
        from_name.get("date")
    )
    return {
        "athlete": athlete or "unknown",
        "leg": leg,
        "date": date or "",
        "session": from_name.get("session") or session,
        "file": str(path),
    }


def report_file_name(session: str) -> str:
    """Return a safe, unique HTML file name for a session's report."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", session).strip("-.")[:80] or "session"
    digest = hashlib.sha1(session.encode("utf-8")).hexdigest()[:6]
    return f"{clean}-{digest}.html"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, HopscopeError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _join(flags: Iterable[str]) -> str:
    return ";".join(flags)


def analyze_recording(
    path: str | os.PathLike[str],
    *,
    session: str | None = None,
    settings: AnalysisSettings | None = None,
    pattern: str | None = DEFAULT_PATTERN,
    format: str | None = None,
    report_dir: str | os.PathLike[str] | None = None,
) -> SessionOutcome:
    """Load and analyse one recording for a batch; never raises for a bad file.

    Parameters
    ----------
    path : path-like
        The recording (any format :func:`imu.formats.load` reads).
    session : str, optional
        Session name; the file name without suffix by default.
    settings : AnalysisSettings, optional
        Analysis settings.
    pattern : str, optional
        File name pattern for labels the metadata lacks (:func:`compile_pattern`).
    format : str, optional
        Force an input format.
    report_dir : path-like, optional
        Write the session report (:func:`analysis.report.write_session_report`) into this
        existing folder as ``<session>.html``.

    Returns
    -------
    SessionOutcome
        The set rows and hop rows, or one row with ``status="error"`` and the error.
    """
    from analysis.pipeline import analyze
    from imu.formats import load

    path = Path(path)
    settings = settings or AnalysisSettings()
    regex = compile_pattern(pattern) if pattern else None
    session = session or path.stem
    caught: list[warnings.WarningMessage] = []
    meta = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            recording = load(path, format=format)
            meta = recording.meta
            result = analyze(recording, settings=settings)
    except Exception as exc:  # a bad file must not stop the batch
        labels = _labels(path, session, meta, regex)
        return _failed(
            path, labels, exc, warning_text=_join(" ".join(str(w.message).split()) for w in caught)
        )
    messages = [" ".join(str(w.message).split()) for w in caught]
    labels = _labels(path, session, result.meta, regex)
    report = ""
    if report_dir is not None:
        from analysis.report import write_session_report

        name = report_file_name(session)
        try:
            write_session_report(
                result, Path(report_dir, name), athlete=labels["athlete"], source=path.name
            )
            report = f"{Path(report_dir).name}/{name}"
        except Exception as exc:  # a report that cannot be drawn must not lose the analysis
            messages.append(f"session report not written: {_one_line(exc)}")
    q = result.quality
    common = {
        **labels,
        "status": "ok" if result.n_hops else "no_hops",
        "error": "",
        "session_flags": _join(result.flags),
        "start_utc": result.meta.start_utc,
        "device": result.meta.device,
        "placement": result.meta.placement,
        "source_format": result.meta.source_format,
        "sample_rate_hz": result.meta.sample_rate_hz,
        "effective_rate_hz": q.get("effective_rate_hz"),
        "duration_s": q.get("duration_s"),
        "gaps": q.get("gaps"),
        "lost_samples": q.get("lost_samples"),
        "clipped_impacts": q.get("clipped_impacts"),
        "target_hz": settings.target_hz,
        "slow_contact_ms": settings.slow_contact_ms,
        "warnings": _join(messages),
        "report": report,
    }
    if len(result.sets):
        sets = result.sets.loc[:, [c for c in _SET_METRICS if c in result.sets.columns]].copy()
        sets.insert(0, "set", result.sets["set"].to_numpy())
        sets.insert(1, "exercise", result.sets["exercise"].to_numpy())
        sets["set_flags"] = [_join(f) for f in result.sets["flags"]]
        for key, value in common.items():
            sets[key] = value
    else:
        sets = pd.DataFrame([{**common, "hops": 0, "set_flags": ""}])
    hops = result.hops_table()
    for i, key in enumerate(_LABEL_COLUMNS):
        hops.insert(i, key, labels[key])
    return SessionOutcome(
        file=str(path),
        labels=labels,
        sets=sets.reindex(columns=list(SESSIONS_COLUMNS)),
        hops=hops.reindex(columns=list(HOPS_COLUMNS)),
        warnings=messages,
    )


@dataclass
class BatchResult:
    """Everything a batch produced.

    Parameters
    ----------
    sessions : pandas.DataFrame
        One row per session and set (:data:`SESSIONS_COLUMNS`), failed files included.
    hops : pandas.DataFrame
        Every hop (:data:`HOPS_COLUMNS`).
    failures : list of (str, str)
        ``(file, error)`` of every file that failed.
    files : int
        Number of files analysed.
    """

    sessions: pd.DataFrame
    hops: pd.DataFrame
    failures: list[tuple[str, str]]
    files: int

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failures


def _session_names(files: Sequence[Path]) -> list[str]:
    """File stems, made unique by their folder where two files share a stem."""
    stems = [f.stem for f in files]
    counts = pd.Series(stems).value_counts()
    names = []
    for f, stem in zip(files, stems, strict=True):
        names.append(stem if counts[stem] == 1 else f"{f.parent.name}/{stem}")
    return names


def run_batch(
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    settings: AnalysisSettings | None = None,
    pattern: str | None = DEFAULT_PATTERN,
    format: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    report_dir: str | os.PathLike[str] | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> BatchResult:
    """Analyse every recording under ``paths``, in parallel processes.

    Parameters
    ----------
    paths : iterable of path-like
        Files and folders (see :func:`find_recordings`).
    workers : int, optional
        Worker processes; ``os.cpu_count()`` by default. ``1`` runs in this process.
    settings : AnalysisSettings, optional
        Analysis settings for every file.
    pattern : str, optional
        File name pattern (:func:`compile_pattern`) for labels the metadata lacks.
    format : str, optional
        Force an input format for every file.
    progress : callable, optional
        Called as ``progress(done, total, file)`` after each file.
    report_dir : path-like, optional
        Also write a session report per recording into this folder (created when missing).
    exclude : iterable of path-like
        Folders not to search (:func:`find_recordings`).

    Returns
    -------
    BatchResult
        Tables sorted by athlete, date, session and set.

    Raises
    ------
    ValueError
        ``workers`` below 1 or a bad ``pattern``.
    FileNotFoundError
        A path does not exist.
    """
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ValueError(f"`workers` must be at least 1, got {workers!r}")
    if pattern:
        compile_pattern(pattern)  # fail early, in this process
    files = find_recordings(paths, exclude=exclude)
    names = _session_names(files)
    settings = settings or AnalysisSettings()
    workers = min(workers or os.cpu_count() or 1, max(1, len(files)))
    outcomes: list[SessionOutcome] = []
    if report_dir is not None:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
    kwargs = {"settings": settings, "pattern": pattern, "format": format, "report_dir": report_dir}
    if workers == 1:
        for i, (f, name) in enumerate(zip(files, names, strict=True), start=1):
            outcomes.append(analyze_recording(f, session=name, **kwargs))
            if progress:
                progress(i, len(files), str(f))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(analyze_recording, f, session=name, **kwargs): f
                for f, name in zip(files, names, strict=True)
            }
            for i, future in enumerate(as_completed(futures), start=1):
                f = futures[future]
                try:
                    outcomes.append(future.result())
                except Exception as exc:  # the worker itself died
                    outcomes.append(_crashed(f, exc))
                if progress:
                    progress(i, len(files), str(f))
    return _collect(outcomes, len(files))


def _failed(
    path: Path, labels: dict[str, str], exc: BaseException, *, warning_text: str | None = None
) -> SessionOutcome:
    """Return the outcome of a file that could not be analysed: one error row, no hops."""
    row = {**labels, "status": "error", "error": _one_line(exc)}
    if warning_text is not None:
        row["warnings"] = warning_text
    return SessionOutcome(
        file=str(path),
        labels=labels,
        sets=pd.DataFrame([row], columns=list(SESSIONS_COLUMNS)),
        hops=pd.DataFrame(columns=list(HOPS_COLUMNS)),
        error=row["error"],
    )


def _crashed(path: Path, exc: BaseException) -> SessionOutcome:
    labels = {"athlete": "unknown", "leg": "", "date": "", "session": path.stem, "file": str(path)}
    return _failed(path, labels, exc)


def _concat(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # all-NaN columns of failed rows
        return pd.concat(frames, ignore_index=True).reindex(columns=list(columns))


def _collect(outcomes: list[SessionOutcome], n_files: int) -> BatchResult:
    sessions = _concat([o.sets for o in outcomes], SESSIONS_COLUMNS)
    hops = _concat([o.hops for o in outcomes], HOPS_COLUMNS)
    if len(sessions):
        sessions = sessions.sort_values(
            ["athlete", "date", "session", "set"], na_position="first", kind="stable"
        ).reset_index(drop=True)
    if len(hops):
        hops = hops.sort_values(["athlete", "date", "session", "set", "hop"], kind="stable")
        hops = hops.reset_index(drop=True)
    failures = sorted((o.file, o.error) for o in outcomes if o.error)
    return BatchResult(sessions=sessions, hops=hops, failures=failures, files=n_files)


def write_outputs(
    result: BatchResult,
    outdir: str | os.PathLike[str],
    *,
    settings: AnalysisSettings | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """Write the batch tables (CSV and Parquet) and the squad pages into ``outdir``.

    Parameters
    ----------
    result : BatchResult
        Output of :func:`run_batch`.
    outdir : path-like
        Folder to write into (created when missing).
    settings : AnalysisSettings, optional
        The settings the batch used (for the thresholds shown on the pages).
    workers : int, optional
        Processes drawing the athlete pages; ``os.cpu_count()`` by default.

    Returns
    -------
    dict
        ``sessions_csv``, ``hops_csv``, ``sessions_parquet``, ``hops_parquet``, ``index``.

    Raises
    ------
    OSError
        The folder or a file cannot be written.
    """
    from analysis.report.squad import write_squad_pages

    settings = settings or AnalysisSettings()
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    sessions = _typed(result.sessions, SESSIONS_COLUMNS)
    hops = _typed(result.hops, HOPS_COLUMNS)
    paths = {
        "sessions_csv": out / "sessions.csv",
        "hops_csv": out / "hops.csv",
        "sessions_parquet": out / "sessions.parquet",
        "hops_parquet": out / "hops.parquet",
    }
    sessions.to_csv(paths["sessions_csv"], index=False, float_format="%.6g")
    hops.to_csv(paths["hops_csv"], index=False, float_format="%.6g")
    sessions.to_parquet(paths["sessions_parquet"], index=False)
    hops.to_parquet(paths["hops_parquet"], index=False)
    paths["index"] = write_squad_pages(
        sessions,
        hops,
        out,
        target_hz=settings.target_hz,
        slow_contact_ms=settings.slow_contact_ms,
        tolerance_hz=settings.target_tolerance_hz,
        failures=result.failures,
        workers=workers or os.cpu_count() or 1,
    )
    return paths


_TEXT_COLUMNS = {
    "athlete",
    "leg",
    "date",
    "session",
    "file",
    "status",
    "error",
    "exercise",
    "set_flags",
    "session_flags",
    "start_utc",
    "device",
    "placement",
    "source_format",
    "warnings",
    "report",
}
_INT_COLUMNS = {"set", "hop", "hops", "gaps", "lost_samples", "clipped_impacts"}


def _typed(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return the table with stable column types: text, nullable integers, floats, booleans."""
    out = table.reindex(columns=list(columns)).copy()
    for col in out.columns:
        if col in _TEXT_COLUMNS:
            out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str)
        elif col in _INT_COLUMNS:
            out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
        elif col == "impact_clipped":
            out[col] = out[col].astype("boolean")
        else:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out
