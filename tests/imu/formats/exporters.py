"""Write a sample table in the exact layouts of vendor apps (headers, number formats,
delimiters, encodings and quirks as documented in shared/formats.md).

Every writer takes a hopscope sample table (``time_s``, ``ax_g``, ``ay_g``, ``az_g``) and a
folder, and returns the path written. They are vectorised so that large files for the
benchmarks are quick to make.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

G0 = 9.80665
START = datetime(2026, 3, 14, 9, 26, 53, 589000)  # local wall clock of the simulated session
START_UNIX_S = 1773480413.589  # the same instant as a Unix time (UTC)


def _cols(samples: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return tuple(samples[c].to_numpy(dtype=np.float64) for c in ("time_s", "ax_g", "ay_g", "az_g"))  # type: ignore[return-value]


def _fmt(values: np.ndarray, spec: str) -> np.ndarray:
    return np.char.mod(spec, values)


def _join(columns: list[np.ndarray], sep: str) -> list[str]:
    rows = columns[0].astype(object)
    for col in columns[1:]:
        rows = rows + sep + col.astype(object)
    return rows.tolist()


def _write(path: Path, header: str, rows: list[str], *, newline: str = "\n", final: bool = True,
           encoding: str = "utf-8", bom: bool = False) -> Path:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    text = header + newline + newline.join(rows) + (newline if final else "")
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def java_sci(values: np.ndarray, *, decimal: str = ".") -> np.ndarray:
    """Numbers as phyphox writes them: ``3.352406400E-2``, ``9.849455833E0``."""
    text = _fmt(values, "%.9E")
    joined = "\x1f".join(text.tolist())
    joined = re.sub(r"E\+?(-?)0*(\d)", r"E\1\2", joined)
    if decimal == ",":
        joined = joined.replace(".", ",")
    return np.array(joined.split("\x1f"), dtype=object)


def clock_text(seconds: np.ndarray, *, style: str) -> np.ndarray:
    """Local clock strings of ``START + seconds``.

    ``style``: ``"hms_ms"`` ``16:39:37.564``; ``"iso_ms"`` ``2022-04-25T11:39:36.978``;
    ``"dotted"`` ``2022-08-05T15.26.13.153``; ``"wit_colon"`` ``2025-10-9 8:18:9:94``
    (unpadded, ms after a colon).
    """
    base = np.datetime64(START.isoformat(), "ms")
    stamps = base + np.round(seconds * 1000).astype("int64").astype("timedelta64[ms]")
    iso = np.datetime_as_string(stamps, unit="ms")  # 2026-03-14T09:26:53.589
    if style == "iso_ms":
        return iso.astype(object)
    if style == "dotted":
        return np.char.replace(iso, ":", ".").astype(object)
    if style == "hms_ms":
        return np.array([s[11:] for s in iso.tolist()], dtype=object)
    if style == "wit_colon":
        s = pd.Series(iso)
        y, mo, d = (
            s.str[0:4],
            s.str[5:7].astype(int).astype(str),
            s.str[8:10].astype(int).astype(str),
        )
        h, mi, se = (s.str[a:b].astype(int).astype(str) for a, b in ((11, 13), (14, 16), (17, 19)))
        ms = s.str[20:23].astype(int).astype(str)
        return (y + "-" + mo + "-" + d + " " + h + ":" + mi + ":" + se + ":" + ms).to_numpy(
            dtype=object
        )
    raise ValueError(style)


def _run_starts(t: np.ndarray, size: int) -> np.ndarray:
    """First sample of each packet of up to ``size`` consecutive samples (a gap starts one)."""
    n = t.size
    step = np.diff(t)
    gap = np.concatenate([[True], step > 1.5 * np.median(step)]) if n > 1 else np.ones(n, bool)
    run = np.arange(n) - np.maximum.accumulate(np.where(gap, np.arange(n), 0))
    return gap | (run % size == 0)


# --- Polar Sensor Logger -----------------------------------------------------------------------


def polar(samples: pd.DataFrame, folder: Path, *, model: str = "H10", device_id: str = "A1B2C3D4",
          batch: int = 36, clip_g: float | None = None) -> Path:  # fmt: skip
    """``Polar_<Model>_<Id>_<date>_<time>_ACC.txt``: ``;``, mg integers, ns since 2000 (local)."""
    t, ax, ay, az = _cols(samples)
    if clip_g is not None:
        ax, ay, az = (np.clip(a, -clip_g, clip_g) for a in (ax, ay, az))
    ns0 = int((START - datetime(2000, 1, 1)) / timedelta(microseconds=1)) * 1000
    ns = ns0 + np.round(t * 1e9).astype(np.int64)
    # Phone time: the batch's arrival (latency 15-35 ms), spread back over the batch by the
    # app at the median sample period.
    index = np.arange(t.size)
    batch_end = np.minimum((index // batch + 1) * batch - 1, t.size - 1)
    latency = np.random.default_rng(t.size).uniform(0.015, 0.035, index[-1] // batch + 1)
    period = float(np.median(np.diff(t))) if t.size > 1 else 0.005
    arrival = t[batch_end] + latency[index // batch]
    phone = clock_text(arrival - (batch_end - index) * period, style="iso_ms")
    mg = [_fmt(np.round(a * 1000).astype(np.int64), "%d") for a in (ax, ay, az)]
    rows = _join([phone, _fmt(ns, "%d"), *mg], ";")
    name = f"Polar_{model}_{device_id}_{START:%Y%m%d}_{START:%H%M%S}_ACC.txt"
    return _write(folder / name, "Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]", rows)


# --- WitMotion ---------------------------------------------------------------------------------

WIT_APP_HEADER = (
    "Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g),"
    "Angular velocity X(°/s),Angular velocity Y(°/s),Angular velocity Z(°/s),Angle X(°),"
    "Angle Y(°),Angle Z(°),Magnetic field X(ʯt),Magnetic field Y(ʯt),Magnetic field Z(ʯt),"
    "Temperature(℃),Quaternions 0(),Quaternions 1(),Quaternions 2(),Quaternions 3()"
)


def witmotion_app(samples: pd.DataFrame, folder: Path, *, burst: int = 5) -> Path:
    """Android app: BOM, leading spaces, trailing commas, bursty phone time, chip RTC unset."""
    t, ax, ay, az = _cols(samples)
    n = t.size
    # A burst is what one BLE connection event delivers: up to `burst` consecutive samples; a
    # lost packet ends a burst (the samples around it do not arrive together).
    new_burst = _run_starts(t, burst)
    burst_id = np.cumsum(new_burst) - 1
    burst_end = np.r_[np.flatnonzero(new_burst)[1:] - 1, n - 1][burst_id]
    phone = clock_text(t[burst_end] + 0.012, style="hms_ms")
    chip_s = np.floor(t * 10) / 10 + 3653.3
    chip = np.array(
        [
            f"2015-1-1 {int(s // 3600)}:{int(s % 3600 // 60)}:{s % 60:.3f}".replace(":0.", ":0.")
            for s in chip_s[:1]
        ],
        dtype=object,
    )
    chip = np.repeat(chip, n)
    zeros = _fmt(np.zeros(n), " %.3f").astype(object)
    acc = [_fmt(np.round(a, 3), " %.3f").astype(object) for a in (ax, ay, az)]
    cols = [" " + phone, np.full(n, "da:3b:72:d6:a6:5f", dtype=object), " " + chip, *acc]
    cols += [zeros] * 9 + [_fmt(np.full(n, 23.76), " %.2f").astype(object)] + [zeros] * 4
    rows = [r + "," for r in _join(cols, ",")]
    sub = folder / f"{START:%Y-%m-%d}" / f"{START:%H-%M-%S}-{START.microsecond // 1000:03d}"
    return _write(sub / "data__1.csv", WIT_APP_HEADER, rows, bom=True)


WIT_TXT3_HEADER = (
    "time\tDeviceName\tAccX(g)\tAccY(g)\tAccZ(g)\tAsX(°/s)\tAsY(°/s)\tAsZ(°/s)\tAngleX(°)\t"
    "AngleY(°)\tAngleZ(°)\tHX(uT)\tHY(uT)\tHZ(uT)\tQ0()\tQ1()\tQ2()\tQ3()\tTemperature(°C)"
)
WIT_TXT4_HEADER = (
    "Chip Time()\tAcceleration X(g)\tAcceleration Y(g)\tAcceleration Z(g)\tAngular velocity X(°/s)\t"
    "Angular velocity Y(°/s)\tAngular velocity Z(°/s)\tAngle X(°)\tAngle Y(°)\tAngle Z(°)\t"
    "Quaternions 0()\tQuaternions 1()\tQuaternions 2()\tQuaternions 3()"
)
WIT_TXT1_HEADER = "Time(s)\tChipTime\tax(g)\tay(g)\taz(g)\twx(deg/s)\twy(deg/s)\twz(deg/s)\tAngleX(deg)\tAngleY(deg)\tAngleZ(deg)"


def witmotion_txt(samples: pd.DataFrame, folder: Path, *, dialect: str = "txt3", decimal: str = ".",
                  encoding: str = "gbk", start_line: bool = True, crlf: bool = True) -> Path:  # fmt: skip
    """PC software TXT: TAB, optional decimal comma, GBK, ``Start time`` line, ms after ``:``."""
    t, ax, ay, az = _cols(samples)
    n = t.size
    acc = [_fmt(np.round(a, 4), "%.4f") for a in (ax, ay, az)]
    zeros = _fmt(np.zeros(n), "%.3f")
    if decimal == ",":
        acc = [np.char.replace(a, ".", ",") for a in acc]
        zeros = np.char.replace(zeros, ".", ",")
    if dialect == "txt3":
        header = WIT_TXT3_HEADER
        cols = [
            clock_text(t, style="wit_colon"),
            np.full(n, "WT901BLE68(e8:cb:ed:5a:91:3a)", dtype=object),
            *acc,
        ]
        cols += [zeros] * 13 + [_fmt(np.full(n, 25.1), "%.2f")]
    elif dialect == "txt4":
        header = WIT_TXT4_HEADER
        cols = [clock_text(t, style="wit_colon"), *acc] + [zeros] * 10
    elif dialect == "txt2":
        header = "Date Time ax ay az wx wy wz AngleX AngleY AngleZ"
        iso = clock_text(t, style="iso_ms")
        day = np.array([v[:10] for v in iso], dtype=object)
        clock = np.array([v[11:] for v in iso], dtype=object)
        cols = [day, clock, *acc] + [zeros] * 6
        rows = _join([np.asarray(c, dtype=object) for c in cols], "  ")
        return _write(folder / "wit_txt2.txt", header, rows, encoding=encoding)
    elif dialect == "txt1":
        header = WIT_TXT1_HEADER
        iso = clock_text(t, style="iso_ms")
        chip = np.array([s.replace("T", " ") for s in iso], dtype=object)
        cols = [_fmt(np.round(t, 3), "%.3f"), chip, *acc] + [zeros] * 6
    else:
        raise ValueError(dialect)
    rows = _join([np.asarray(c, dtype=object) for c in cols], "\t")
    if start_line:
        header = (
            f"Start time：{START:%Y-%m-%d %H:%M:%S}\r\n" + header
            if crlf
            else f"Start time：{START:%Y-%m-%d %H:%M:%S}\n" + header
        )
    return _write(folder / f"{START:%Y%m%d%H%M%S}.txt", header, rows, newline="\r\n" if crlf else "\n",
                  encoding=encoding)  # fmt: skip


# --- MetaBase ----------------------------------------------------------------------------------


def metabase(samples: pd.DataFrame, folder: Path, *, variant: str = "android", excel: bool = False,
             rate_hz: float = 200.0) -> Path:  # fmt: skip
    """MetaBase Android (``epoch (ms),time (01:00)``), legacy iOS (``epoc``, dotted time, no final
    newline) or MetaBase 5 (``Epoch,Timestamp (+0100)``); ``excel`` damages the epoch."""
    t, ax, ay, az = _cols(samples)
    epoch = round(START_UNIX_S * 1000) + np.round(t * 1000).astype(np.int64)
    epoch_text = _fmt(epoch.astype(np.float64), "%.5E") if excel else _fmt(epoch, "%d")
    acc = [_fmt(np.round(a, 3) + 0.0, "%.3f") for a in (ax, ay, az)]
    elapsed = _fmt(np.round(t, 3), "%.3f")
    if excel:
        elapsed = np.array(
            [re.sub(r"\.?0+$", "", e) if "." in e else e for e in elapsed.tolist()], dtype=object
        )
        elapsed[elapsed == ""] = "0"
    if variant == "android":
        header = "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)"
        stamp = clock_text(t, style="iso_ms")
        name = f"MetaWear_{START:%Y-%m-%dT%H.%M.%S}.589_C8B2A1E3D4F5_Accelerometer_{rate_hz:.3f}Hz_1.4.4.csv"
        final = True
    elif variant == "ios":
        header = "epoc (ms),timestamp (-0500),elapsed (s),x-axis (g),y-axis (g),z-axis (g)"
        stamp = clock_text(t, style="dotted")
        name = "Accelerometer.csv"
        final = False
    elif variant == "mb5":
        header = "Epoch,Timestamp (+0100),Elapsed (s),X,Y,Z"
        stamp = clock_text(t, style="iso_ms")
        name = "MetaMotionS Accelerometer.csv"
        final = True
    else:
        raise ValueError(variant)
    rows = _join(
        [np.asarray(epoch_text, dtype=object), stamp, np.asarray(elapsed, dtype=object), *acc], ","
    )
    return _write(folder / name, header, rows, final=final)


# --- phyphox -----------------------------------------------------------------------------------

PHYPHOX_HEADERS = {
    "with_g": (
        "Acceleration x (m/s^2)",
        "Acceleration y (m/s^2)",
        "Acceleration z (m/s^2)",
        "Absolute acceleration (m/s^2)",
    ),
    "android_simple": (
        "Acceleration x (m/s^2)",
        "Acceleration y (m/s^2)",
        "Acceleration z (m/s^2)",
    ),
    "ios_simple": ("X (m/s^2)", "Y (m/s^2)", "Z (m/s^2)"),
    "linear": (
        "Linear Acceleration x (m/s^2)",
        "Linear Acceleration y (m/s^2)",
        "Linear Acceleration z (m/s^2)",
        "Absolute acceleration (m/s^2)",
    ),
}


def _phyphox_text(samples: pd.DataFrame, variant: str, delimiter: str, decimal: str) -> str:
    t, ax, ay, az = _cols(samples)
    names = PHYPHOX_HEADERS[variant]
    acc = [a * G0 for a in (ax, ay, az)]
    if variant == "linear":
        acc = [a - float(np.median(a)) for a in acc]
    cols = [java_sci(t + 0.033524064, decimal=decimal)]
    cols += [java_sci(a, decimal=decimal) for a in acc]
    if len(names) == 4:
        cols.append(java_sci(np.sqrt(acc[0] ** 2 + acc[1] ** 2 + acc[2] ** 2), decimal=decimal))
    header = delimiter.join(f'"{h}"' for h in ("Time (s)", *names))
    return header + "\n" + "\n".join(_join(cols, delimiter)) + "\n"


def phyphox(samples: pd.DataFrame, folder: Path, *, variant: str = "with_g", delimiter: str = ",",
            decimal: str = ".", archive: bool = False) -> Path:  # fmt: skip
    """A phyphox set as a bare CSV or inside the ZIP export with ``meta/time.csv``."""
    text = _phyphox_text(samples, variant, delimiter, decimal)
    set_name = "Raw Data.csv" if variant in ("with_g", "linear") else "Accelerometer.csv"
    folder.mkdir(parents=True, exist_ok=True)
    if not archive:
        path = folder / set_name
        path.write_text(text, encoding="utf-8")
        return path
    path = folder / f"Acceleration with g {START:%Y-%m-%d %H-%M-%S}.zip"
    time_csv = (
        '"event"\t"experiment time"\t"system time"\t"system time text"\n'
        f'"START"\t0.000000000000000E0\t{START_UNIX_S:.15E}\t"{START:%Y-%m-%d %H:%M:%S}.589 UTC+00:00"\n'
        '"PAUSE"\t6.000000000000000E1\t1.773480473589000E9\t"2026-03-14 09:27:53.589 UTC+00:00"\n'
    ).replace("E+09", "E9")
    device_csv = '"property"\t"value"\n"deviceModel"\t"Pixel 7"\n"deviceBrand"\t"Google"\n'
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(set_name, text)
        zf.writestr("meta/time.csv", time_csv)
        zf.writestr("meta/device.csv", device_csv)
    return path


# --- Sensor Logger -----------------------------------------------------------------------------

SENSOR_LOGGER_METADATA = (
    "version,device name,recording epoch time,recording time,recording timezone,platform,"
    "appVersion,device id,sensors,sampleRateMs,standardisation,platform version\n"
    "3,Pixel 7,{epoch_ms},2026-03-14_09-26-53,Europe/Berlin,{platform},1.60.0,abc123,"
    "TotalAcceleration|Accelerometer|Gravity,5,false,14"
)


def _sensor_logger_text(samples: pd.DataFrame, *, linear: bool = False, excel: bool = False) -> str:
    t, ax, ay, az = _cols(samples)
    acc = [a * G0 for a in (ax, ay, az)]
    if linear:
        acc = [a - float(np.median(a)) for a in acc]
    return _sensor_logger_csv(t, acc, excel=excel)


def _sensor_logger_csv(t: np.ndarray, acc: list[np.ndarray], *, excel: bool = False) -> str:
    """One Sensor Logger sensor file: ``time`` (Unix ns), ``seconds_elapsed``, then z, y, x."""
    ns = round(START_UNIX_S * 1e3) * 1_000_000 + np.round(t * 1e9).astype(np.int64)
    time_col = _fmt(ns, "%d")
    if excel:
        time_col = np.array(
            [
                '"' + f"{v:.14E}".replace(".", ",").replace("E+", "E+0") + '"'
                for v in ns.astype(float)
            ],
            dtype=object,
        )
    elapsed = _fmt(t + 0.1272509765625, "%.17g")
    cols = [
        np.asarray(time_col, dtype=object),
        elapsed,
        *(_fmt(a, "%.17g") for a in (acc[2], acc[1], acc[0])),
    ]
    return (
        "time,seconds_elapsed,z,y,x\n"
        + "\n".join(_join([np.asarray(c, dtype=object) for c in cols], ","))
        + "\n"
    )


def sensor_logger(samples: pd.DataFrame, folder: Path, *, archive: bool = True, platform: str = "android",
                  excel: bool = False) -> Path:  # fmt: skip
    """Sensor Logger: ZIP with ``TotalAcceleration.csv`` (Android) or only ``Accelerometer.csv``
    (iOS, gravity removed), ``Metadata.csv`` without a final newline; or a bare CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    total = _sensor_logger_text(samples, excel=excel)
    linear = _sensor_logger_text(samples, linear=True)
    if not archive:
        path = folder / ("TotalAcceleration.csv" if platform == "android" else "Accelerometer.csv")
        path.write_text(total if platform == "android" else linear, encoding="utf-8")
        return path
    path = folder / f"{START:%Y-%m-%d_%H-%M-%S}.zip"
    meta = SENSOR_LOGGER_METADATA.format(epoch_ms=int(START_UNIX_S * 1000), platform=platform)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Metadata.csv", meta)
        zf.writestr("Accelerometer.csv", linear)
        if platform == "android":
            zf.writestr("TotalAcceleration.csv", total)
        zf.writestr("Gravity.csv", "time,seconds_elapsed,z,y,x\n")
    return path


SENSOR_LOGGER_IOS_METADATA = (
    SENSOR_LOGGER_METADATA.split("\n", 1)[0] + "\n"
    "3,iPhone 15,{epoch_ms},2026-03-14_09-26-53,Europe/Berlin,ios,1.60.0,"
    "5E0C1A7B-93D2-4F8E-A6B1-2C4D6E8F0A1B,Accelerometer|Gravity,10,{standardisation},17.5"
)


def _gravity_ms2(
    t: np.ndarray, acc_ms2: list[np.ndarray], window_s: float = 1.0
) -> list[np.ndarray]:
    """A phone's gravity estimate: the total acceleration averaged over about ``window_s``,
    scaled to 9.80665 m/s² (a slowly turning vector, as the phone's sensor fusion reports)."""
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.01
    # At most the whole recording: fuzzed clocks may step by 0 or 1 ns (a window of 1e9
    # samples would exhaust the memory).
    whole = max(1, t.size) | 1
    width = min(max(1, round(window_s / step) | 1), whole) if step > 0 else whole
    kernel = np.ones(width) / width
    smooth = [
        np.convolve(np.pad(a, width // 2, mode="edge"), kernel, mode="valid") for a in acc_ms2
    ]
    norm = np.sqrt(sum(a * a for a in smooth))
    return [a / norm * G0 for a in smooth]


def sensor_logger_ios(samples: pd.DataFrame, folder: Path, *, archive: bool = True,
                      standardised: bool = False, gravity_shift_s: float = 0.0,
                      gravity_trim_s: tuple[float, float] = (0.0, 0.0), excel: bool = False,
                      excel_gravity: bool = False) -> Path:  # fmt: skip
    """Sensor Logger on iOS: ``Accelerometer.csv`` (gravity removed) and ``Gravity.csv``, in m/s²,
    with every sign flipped (iOS frame) unless "Standardise Units & Frames" is on; a ZIP with
    ``Metadata.csv`` (platform ios) or the unpacked folder (the path of ``Accelerometer.csv``).

    ``Gravity.csv`` is stamped like ``Accelerometer.csv`` (both come from one motion update)
    unless ``gravity_shift_s`` moves its stamps; ``gravity_trim_s`` cuts that many seconds of
    Gravity rows at the start and at the end; ``excel`` (``excel_gravity``) writes the ``time``
    of Accelerometer.csv (Gravity.csv) as a spreadsheet leaves it."""
    t, ax, ay, az = _cols(samples)
    total = [a * G0 for a in (ax, ay, az)]
    gravity = _gravity_ms2(t, total)
    sign = 1.0 if standardised else -1.0
    linear = [sign * (a - g) for a, g in zip(total, gravity, strict=True)]
    t_g = t + gravity_shift_s
    keep = (t_g >= t[0] + gravity_trim_s[0]) & (t_g <= t[-1] - gravity_trim_s[1])
    t_g = t_g[keep]
    gravity_rows = [sign * np.interp(t_g, t, g) for g in gravity]
    files = {
        "Metadata.csv": SENSOR_LOGGER_IOS_METADATA.format(
            epoch_ms=int(START_UNIX_S * 1000), standardisation=str(standardised).lower()
        ),
        "Accelerometer.csv": _sensor_logger_csv(t, linear, excel=excel),
        "Gravity.csv": _sensor_logger_csv(t_g, gravity_rows, excel=excel_gravity),
    }
    folder.mkdir(parents=True, exist_ok=True)
    if not archive:
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder / "Accelerometer.csv"
    path = folder / f"{START:%Y-%m-%d_%H-%M-%S}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


# --- Movesense ---------------------------------------------------------------------------------


def movesense(
    samples: pd.DataFrame, folder: Path, *, packet: int = 4, boot_ms: int = 599025762
) -> Path:
    """Showcase iOS: ``timestamp,x,y,z``; only each packet's first sample is stamped (ms)."""
    t, ax, ay, az = _cols(samples)
    stamp = (boot_ms + np.round(t * 1000).astype(np.int64)) % (1 << 32)
    # A packet holds `packet` consecutive samples; a lost packet ends one early.
    stamped = _run_starts(t, packet)
    first = np.where(stamped, _fmt(stamp, "%d"), "").astype(object)
    acc = [_fmt(a * G0, "%.8g").astype(object) for a in (ax, ay, az)]
    return _write(folder / "MovesenseAcc.csv", "timestamp,x,y,z", _join([first, *acc], ","))


# --- Xsens DOT ---------------------------------------------------------------------------------


def xsens_dot(samples: pd.DataFrame, folder: Path, *, rate_hz: float = 200.0, free_acc: bool = False,
              wrap: bool = True) -> Path:  # fmt: skip
    """DOT CSV: preamble, ``PacketCounter,SampleTimeFine,…,Acc_X…`` (µs uint32, starting close
    to the wrap when ``wrap``), or the live export with only ``FreeAcc_*``."""
    t, ax, ay, az = _cols(samples)
    n = t.size
    start_us = (1 << 32) - 2_000_000 if wrap else 2974031395
    fine = (start_us + np.round(t * 1e6).astype(np.int64)) % (1 << 32)
    counter = (np.round(t * rate_hz).astype(np.int64) + 1) % 65536
    acc = [_fmt(a * G0, "%.14f") for a in (ax, ay, az)]
    zeros = _fmt(np.zeros(n), "%.6f")
    preamble = (
        "sep=,\nDeviceTag:,lfoot\nFirmwareVersion:,2.0.0\nAppVersion:,2021.0\nSyncStatus:,Synced\n"
        f"OutputRate:,{rate_hz:g}Hz\nFilterProfile:,General\n"
        "Measurement Mode:,Sensor fusion Mode - Extended(Quaternion)\n"
        "StartTime: ,2026-03-14_09:26:53_589 GMT+1\n© Xsens Technologies B. V. 2005-2021\n\n"
    )
    if free_acc:
        header = "PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,FreeAcc_X,FreeAcc_Y,FreeAcc_Z,Status"
        lin = [_fmt((a - np.median(a)) * G0, "%.6f") for a in (ax, ay, az)]
        cols = [
            _fmt(counter, "%d"),
            _fmt(fine, "%d"),
            zeros,
            zeros,
            zeros,
            zeros,
            *lin,
            _fmt(np.zeros(n, int), "%d"),
        ]
    else:
        header = "PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z"
        cols = [
            _fmt(counter, "%d"),
            _fmt(fine, "%d"),
            zeros,
            zeros,
            zeros,
            *acc,
            zeros,
            zeros,
            zeros,
        ]
    rows = _join([np.asarray(c, dtype=object) for c in cols], ",")
    return _write(folder / "lfoot_20260314_092653_589.csv", preamble + header, rows)


# --- Shimmer -----------------------------------------------------------------------------------


def shimmer(
    samples: pd.DataFrame, folder: Path, *, accel: str = "WR", delimiter: str = "\t"
) -> Path:
    """Consensys: ``"sep=<TAB>"``, names and units lines, every line ending with the delimiter."""
    t, ax, ay, az = _cols(samples)
    n = t.size
    dev = "Shimmer_CE9F"
    ms = START_UNIX_S * 1000 + t * 1000
    acc_vals = [a * G0 for a in (ax, ay, az)]
    if accel == "LN":
        acc_vals = [np.clip(a, -2 * G0, 2 * G0) for a in acc_vals]
    names = [f"{dev}_Timestamp_Unix_CAL"] + [f"{dev}_Accel_{accel}_{a}_CAL" for a in "XYZ"]
    names += [f"{dev}_Gyro_{a}_CAL" for a in "XYZ"]
    units = ["ms"] + ["m/(s^2)"] * 3 + ["deg/s"] * 3
    cols = (
        [_fmt(ms, "%.2f")] + [_fmt(a, "%.14g") for a in acc_vals] + [_fmt(np.zeros(n), "%.3f")] * 3
    )
    d = delimiter
    header = f'"sep={d}"\n' + d.join(names) + d + "\n" + d.join(units) + d
    rows = [r + d for r in _join([np.asarray(c, dtype=object) for c in cols], d)]
    return _write(folder / "shimmer_session.csv", header, rows)


# --- generic -----------------------------------------------------------------------------------


def generic(
    samples: pd.DataFrame, folder: Path, *, delimiter: str = ";", decimal: str = ","
) -> Path:
    """A lab logger's table: ``t_ms;acc_x_mg;…`` with decimal commas."""
    t, ax, ay, az = _cols(samples)
    cols = [_fmt(np.round(t * 1000, 3), "%.3f")] + [_fmt(a * 1000, "%.2f") for a in (ax, ay, az)]
    if decimal == ",":
        cols = [np.char.replace(c, ".", ",") for c in cols]
    rows = _join([np.asarray(c, dtype=object) for c in cols], delimiter)
    return _write(folder / "logger.csv", delimiter.join(["t_ms", "acc_x", "acc_y", "acc_z"]), rows)


#: Every exporter variant used by the format tests: name -> writer(samples, folder) -> path.
VARIANTS = {
    "polar": lambda s, f: polar(s, f),
    "witmotion_app": lambda s, f: witmotion_app(s, f),
    "witmotion_txt3_comma_gbk": lambda s, f: witmotion_txt(s, f, dialect="txt3", decimal=","),
    "witmotion_txt3_point_utf8": lambda s, f: witmotion_txt(
        s, f, dialect="txt3", encoding="utf-8", start_line=False, crlf=False
    ),
    "witmotion_txt4": lambda s, f: witmotion_txt(s, f, dialect="txt4", start_line=False),
    "witmotion_txt1": lambda s, f: witmotion_txt(s, f, dialect="txt1", decimal=","),
    "witmotion_txt2_spaces": lambda s, f: witmotion_txt(s, f, dialect="txt2", start_line=False),
    "metabase_android": lambda s, f: metabase(s, f, variant="android"),
    "metabase_ios": lambda s, f: metabase(s, f, variant="ios"),
    "metabase_5": lambda s, f: metabase(s, f, variant="mb5"),
    "phyphox_with_g_comma": lambda s, f: phyphox(s, f, variant="with_g"),
    "phyphox_with_g_tab_decimal_comma": lambda s, f: phyphox(s, f, delimiter="\t", decimal=","),
    "phyphox_semicolon_decimal_comma": lambda s, f: phyphox(s, f, delimiter=";", decimal=","),
    "phyphox_android_simple": lambda s, f: phyphox(s, f, variant="android_simple"),
    "phyphox_ios_simple_tab": lambda s, f: phyphox(s, f, variant="ios_simple", delimiter="\t"),
    "phyphox_zip": lambda s, f: phyphox(s, f, archive=True),
    "sensor_logger_zip": lambda s, f: sensor_logger(s, f),
    "sensor_logger_csv": lambda s, f: sensor_logger(s, f, archive=False),
    "sensor_logger_ios_zip": lambda s, f: sensor_logger_ios(s, f),
    "sensor_logger_ios_folder": lambda s, f: sensor_logger_ios(s, f, archive=False),
    "movesense": lambda s, f: movesense(s, f),
    "xsens_dot": lambda s, f: xsens_dot(s, f),
    "shimmer_tab": lambda s, f: shimmer(s, f),
    "shimmer_comma": lambda s, f: shimmer(s, f, delimiter=","),
}

#: The format each variant must be detected as.
EXPECTED_FORMAT = {
    "polar": "polar_sensor_logger",
    "witmotion_app": "witmotion_app",
    "metabase_android": "metabase",
    "metabase_ios": "metabase",
    "metabase_5": "metabase",
    "phyphox_zip": "phyphox_zip",
    "sensor_logger_zip": "sensor_logger_zip",
    "sensor_logger_csv": "sensor_logger",
    "sensor_logger_ios_zip": "sensor_logger_zip",
    "sensor_logger_ios_folder": "sensor_logger",
    "movesense": "movesense_showcase",
    "xsens_dot": "xsens_dot",
    "shimmer_tab": "shimmer_consensys",
    "shimmer_comma": "shimmer_consensys",
}
for _name in VARIANTS:
    if _name.startswith("witmotion_txt"):
        EXPECTED_FORMAT[_name] = "witmotion_txt"
    elif _name.startswith("phyphox") and _name != "phyphox_zip":
        EXPECTED_FORMAT[_name] = "phyphox"


def to_bytes(path: Path) -> bytes:
    """The bytes of a written export (for mutation in robustness tests)."""
    return path.read_bytes()


__all__ = ["EXPECTED_FORMAT", "VARIANTS", "io", "timezone"]
