"""The analysis side of fuzzing: analyse whatever file the importers accept."""

from __future__ import annotations

import traceback
import warnings
from pathlib import Path

from analysis import AnalysisSettings, analyze
from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import load


def check_analysis(path: Path) -> tuple[int, str | None]:
    """Analyse a file the importers accept, as repeated hops, rebound jumps and both (auto).

    Returns the number of analyses that ran to a result, and a description of anything other
    than a result or an :class:`~imu.errors.InvalidRecordingError` with
    :class:`~imu.errors.HopscopeWarning` warnings only (None when there is nothing). A file
    the importers refuse is not analysed (their own fuzzing checks the refusal and the
    importers' warnings).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the importers' warnings are checked on their own
        try:
            rec = load(path)
        except InvalidRecordingError:
            return 0, None
        except Exception:  # (what fuzzing looks for)
            return 0, f"load: {traceback.format_exc()}"
    done = 0
    for exercise in ("hops", "rebound", "auto"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = analyze(rec, settings=AnalysisSettings(exercise=exercise))
            except InvalidRecordingError:
                continue
            except Exception:  # (what fuzzing looks for)
                return done, f"{exercise}: {traceback.format_exc()}"
        if result.n_hops != len(result.hops):
            return done, f"{exercise}: {result.n_hops} hops counted, {len(result.hops)} listed"
        sets = result.sets
        if sets["set"].tolist() != list(range(1, len(sets) + 1)) or not set(
            result.hops["set"].tolist()
        ) <= set(sets["set"].tolist()):
            return done, f"{exercise}: sets {sets['set'].tolist()} do not number the hops' sets"
        kinds = set(sets["exercise"].tolist())
        if not kinds <= ({"hops", "rebound"} if exercise == "auto" else {exercise}):
            return done, f"{exercise}: sets of the exercise {sorted(kinds)}"
        done += 1
        stray = [w for w in caught if not issubclass(w.category, HopscopeWarning)]
        if stray:
            return (
                done,
                f"{exercise}: unexpected warning {stray[0].category.__name__}: {stray[0].message}",
            )
    return done, None
