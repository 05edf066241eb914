"""Generated and mutated export files for fuzzing the sniffers and parsers.

:func:`seed_files` writes small valid exports of every layout; :func:`mutate` damages bytes the
ways real files get damaged (and worse); :func:`random_export` builds files from known headers
and random cells; :func:`check_file` loads one file and returns a description of anything that
is not a :class:`~imu.recording.Recording` or an :class:`~imu.errors.InvalidRecordingError` with
:class:`~imu.errors.HopscopeWarning` warnings only.
"""

from __future__ import annotations

import functools
import io
import random
import tempfile
import traceback
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings

from imu.errors import HopscopeWarning, InvalidRecordingError
from imu.formats import load
from imu.recording import validate_samples, write_recording
from tests.imu.formats import exporters

TOKENS = [
    b",", b";", b"\t", b" ", b"\n", b"\r\n", b"\r", b'"', b"NaN", b"nan", b"", b"-", b"E+", b"e-7",
    b"1.54747E+12", b'"1,70136286270131E+018"', b"\xef\xbb\xbf", b"\x00", b"\xa1\xe3", b"\xff\xfe",
    b"9" * 25, b"-0", b"+", b"+7", b"1,5", b"inf", b"-inf", b"1e308", b"1e-320", b"sep=,", b'"sep=\t"',
    b"PacketCounter,", b"Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]",
    b"time,seconds_elapsed,z,y,x", b'"Time (s)"', b"epoch (ms),time (01:00),elapsed (s),x-axis (g)",
    b"Time,Device name,Chip Time()", b"2025-10-9 8:18:9:94", b"25:61:61.999", b"PK\x03\x04",
    b"timestamp,x,y,z", b"Start time", b"\xe6\x97\xb6\xe9\x97\xb4",
]  # fmt: skip

HEADERS = [
    "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]",
    exporters.WIT_APP_HEADER,
    exporters.WIT_TXT3_HEADER,
    exporters.WIT_TXT4_HEADER,
    "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)",
    "epoc (ms),timestamp (-0500),elapsed (s),x-axis (g),y-axis (g),z-axis (g)",
    "Epoch,Timestamp (+0100),Elapsed (s),X,Y,Z",
    '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"',
    '"Time (s)"\t"X (m/s^2)"\t"Y (m/s^2)"\t"Z (m/s^2)"',
    '"Time (s)";"Acceleration x (m/s^2)";"Acceleration y (m/s^2)";"Acceleration z (m/s^2)"',
    "time,seconds_elapsed,z,y,x",
    "timestamp,x,y,z",
    "Timestamp (ms),X: (m/s^2),Y: (m/s^2),Z: (m/s^2)",
    "sep=,\nDeviceTag:,x\nOutputRate:,60Hz\n\nPacketCounter,SampleTimeFine,Acc_X,Acc_Y,Acc_Z",
    '"sep=\t"\nS_Timestamp_Unix_CAL\tS_Accel_WR_X_CAL\tS_Accel_WR_Y_CAL\tS_Accel_WR_Z_CAL\t\nms\tm/(s^2)\tm/(s^2)\tm/(s^2)\t',
    "time_s,ax_g,ay_g,az_g",
    "t,ax,ay,az",
]  # fmt: skip

CELLS = [
    "0", "1", "-1", "0.5", " 0.25", "1,5", "NaN", "", "1.54747E+12", "704201974831254116",
    "1547219408431", "9.81", "-9.81", "1000", "-1000", "16:39:37.564", "2025-10-9 8:18:9:94",
    "abc", "1e400", "-0.0", "3.352406400E-2", "7,488203049E-2", "4294967295", "65535",
    "+1547219408431", "+0.5",
]  # fmt: skip


def fuzz_settings(max_examples: int) -> Any:
    """Hypothesis settings of the fuzz tests: derandomized (the same cases in every run)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )


@functools.cache
def session_seed_files(session_seed: int, rows: int) -> dict[str, tuple[str, bytes]]:
    """:func:`seed_files` of the first ``rows`` samples of a short simulated session (cached)."""
    from tests.imu.formats.conftest import short_session

    samples = short_session(session_seed).samples.iloc[:rows].reset_index(drop=True)
    with tempfile.TemporaryDirectory() as tmp:
        return seed_files(samples, Path(tmp))


def seed_files(samples: pd.DataFrame, folder: Path) -> dict[str, tuple[str, bytes]]:
    """Small valid exports of every layout: variant -> (file name, bytes)."""
    out: dict[str, tuple[str, bytes]] = {}
    for name, writer in exporters.VARIANTS.items():
        path = writer(samples, folder / name)
        out[name] = (path.name, path.read_bytes())
    (folder / "hopscope").mkdir(parents=True, exist_ok=True)
    path = write_recording(folder / "hopscope" / "rec.csv", samples)
    out["hopscope"] = (path.name, path.read_bytes())
    path = exporters.generic(samples, folder / "generic")
    out["generic"] = (path.name, path.read_bytes())
    return out


def _mutate_bytes(data: bytes, rnd: random.Random) -> bytes:
    kind = rnd.randrange(11)
    n = len(data)
    pos = rnd.randrange(n + 1)
    if kind == 0:  # truncate
        return data[:pos]
    if kind == 1:  # delete a range
        return data[:pos] + data[pos + rnd.randrange(1, 64) :]
    if kind == 2:  # insert a token
        return data[:pos] + rnd.choice(TOKENS) + data[pos:]
    if kind == 3:  # random bytes
        return data[:pos] + rnd.randbytes(rnd.randrange(1, 16)) + data[pos:]
    if kind == 4:  # flip a byte
        if n == 0:
            return data
        p = min(pos, n - 1)
        return data[:p] + bytes([data[p] ^ (1 << rnd.randrange(8))]) + data[p + 1 :]
    lines = data.split(b"\n")
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    if kind == 5:  # duplicate a line
        lines.insert(j, lines[i])
    elif kind == 6:  # swap two lines
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 7:  # replace a cell
        for delim in (b",", b";", b"\t"):
            if delim in lines[i]:
                cells = lines[i].split(delim)
                cells[rnd.randrange(len(cells))] = rnd.choice(TOKENS)
                lines[i] = delim.join(cells)
                break
    elif kind == 8:  # change every delimiter
        a, b = rnd.sample([b",", b";", b"\t", b" "], 2)
        return data.replace(a, b)
    elif kind == 9:  # delete a line
        del lines[i]
    else:  # change line endings or decimal marks
        return data.replace(b"\n", b"\r\n") if rnd.random() < 0.5 else data.replace(b".", b",")
    return b"\n".join(lines)


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """Apply one to four random mutations; inside ZIP archives, usually to a member."""
    if data.startswith(b"PK\x03\x04") and rnd.random() < 0.8:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                members = {m: zf.read(m) for m in zf.namelist()}
        except zipfile.BadZipFile:  # pragma: no cover - the seeds are valid archives
            return data
        target = rnd.choice(sorted(members))
        members[target] = mutate(members[target], rnd)
        if rnd.random() < 0.2:
            del members[rnd.choice(sorted(members))]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, content in members.items():
                zf.writestr(name, content)
        return buf.getvalue()
    for _ in range(rnd.randrange(1, 5)):
        data = _mutate_bytes(data, rnd)
    return data


def random_export(rnd: random.Random) -> bytes:
    """A file with a known header (sometimes mangled) and random rows of plausible cells."""
    header = rnd.choice(HEADERS)
    delim = rnd.choice([",", ";", "\t"]) if rnd.random() < 0.2 else None
    last = header.split("\n")[-1]
    if delim is None:
        delim = "\t" if "\t" in last else (";" if ";" in last else ",")
    width = last.count(delim) + 1 + rnd.choice([0, 0, 0, 1, -1])
    rows = []
    for _ in range(rnd.randrange(0, 80)):
        rows.append(delim.join(rnd.choice(CELLS) for _ in range(max(1, width))))
    text = header + "\n" + "\n".join(rows) + ("\n" if rnd.random() < 0.7 else "")
    encoding = rnd.choice(["utf-8", "utf-8", "gb18030", "latin-1"])
    data = text.encode(encoding, errors="replace")
    return (b"\xef\xbb\xbf" if rnd.random() < 0.1 else b"") + data


def numeric_export(rnd: random.Random) -> bytes:
    """A structurally valid export with random numbers (extreme values included)."""
    n = rnd.randrange(1, 300)
    rng = np.random.default_rng(rnd.randrange(1 << 30))
    t = np.cumsum(rng.choice([0.005, 0.005, 0.005, 0.0, -0.005, 0.5, 1e-9], size=n))
    acc = rng.normal(0, rng.choice([1e-3, 1, 10, 1e4]), size=(n, 3))
    acc[:, 2] += rng.choice([0.0, 1.0, 9.8, 1000.0])
    frame = pd.DataFrame({"time_s": t, "ax_g": acc[:, 0], "ay_g": acc[:, 1], "az_g": acc[:, 2]})
    writer = rnd.choice(list(exporters.VARIANTS.values()))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = writer(frame, Path(tmp))
        except (ValueError, OverflowError, IndexError):
            return b""
        return path.read_bytes()


def check_file(path: Path) -> str | None:
    """Load one file; describe any outcome other than a checked recording or a clean refusal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rec = load(path)
        except InvalidRecordingError as exc:
            if str(path) not in str(exc):
                return f"refusal does not name the file: {exc}"
            rec = None
        except Exception:
            return traceback.format_exc()
    for w in caught:
        if not issubclass(w.category, HopscopeWarning):
            return f"unexpected warning {w.category.__name__}: {w.message}"
    if rec is not None:
        try:
            validate_samples(rec.samples, source=str(path))
        except InvalidRecordingError as exc:
            return f"returned samples that do not validate: {exc}"
        if list(rec.samples.columns) != ["time_s", "ax_g", "ay_g", "az_g"]:
            return f"unexpected columns {list(rec.samples.columns)}"
    return None
