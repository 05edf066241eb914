"""`hopscope scan`, `record` and `decode` from the command line, against emulated devices."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.cli import main
from imu.emulate import EMULATORS
from imu.rawlog import read_rawlog
from imu.recording import read_recording, read_sidecar, repair_recording

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_record_emulated_polar_live_then_analysis(tmp_path, capsys):
    out = tmp_path / "x.csv"
    code, stdout, err = run_cli(
        capsys,
        "record",
        "--emulate",
        "polar",
        "--duration",
        "20",
        "--speed",
        "10",
        "--live",
        "--athlete",
        "A01",
        "--leg",
        "L",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "samples" in stdout and "hops in" in stdout
    rec = read_recording(out)
    assert rec.meta.athlete == "A01" and rec.meta.leg == "L" and rec.meta.sample_rate_hz == 416
    assert len(rec.samples) > 416 * 18
    # decode reproduces the recording from its raw log.
    again = tmp_path / "again.csv"
    code, stdout, _ = run_cli(
        capsys,
        "decode",
        str(out.with_name("x.rawlog.jsonl")),
        "--device",
        "polar",
        "--out",
        str(again),
    )
    assert code == 0
    assert again.read_text() == out.read_text()


def test_record_with_disconnect_fault_reconnects(tmp_path, capsys):
    out = tmp_path / "w.csv"
    code, stdout, err = run_cli(
        capsys,
        "record",
        "--emulate",
        "witmotion",
        "--duration",
        "10",
        "--speed",
        "10",
        "--fault",
        "disconnect:at=4,for=1.5",
        "--no-analysis",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "1 reconnect(s)" in stdout
    meta = read_sidecar(out.with_suffix(".json"))
    assert meta.extra["reconnects"] == 1 and meta.lost_samples > 200


def test_record_generic_uses_the_recommended_frame_when_emulated(tmp_path, capsys):
    out = tmp_path / "g.csv"
    code, _, err = run_cli(
        capsys,
        "record",
        "--emulate",
        "generic",
        "--duration",
        "5",
        "--speed",
        "10",
        "--no-analysis",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert len(read_recording(out).samples) > 900


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["record", "--out", "x.csv"], "--device KIND is required"),
        (
            ["record", "--device", "polar", "--fault", "loss:rate=0.1", "--out", "x.csv"],
            "need --emulate",
        ),
        (["record", "--emulate", "polar", "--out", "x.txt"], ".csv"),
        (["record", "--emulate", "nosuch", "--out", "x.csv"], "no emulated device"),
        (["record", "--emulate", "polar", "--fault", "zap", "--out", "x.csv"], "unknown fault"),
        (["record", "--emulate", "polar", "--duration", "-1", "--out", "x.csv"], "--duration"),
        (["record", "--device", "nosuch", "--out", "x.csv"], "unknown device"),
        (
            ["record", "--emulate", "polar", "--device-option", "variant=zz", "--out", "x.csv"],
            "variant",
        ),
        (["record", "--emulate", "polar", "--device-option", "zz", "--out", "x.csv"], "KEY=VALUE"),
        (["scan", "--emulate", "nosuch"], "no emulated device"),
        (["decode", "missing.rawlog.jsonl", "--out", "y.csv"], "file not found"),
    ],
)
def test_command_line_errors_are_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_device_not_found_gives_advice(tmp_path, capsys):
    code, _, err = run_cli(
        capsys,
        "record",
        "--emulate",
        "polar",
        "--name",
        "Polar Sense 00000000",
        "--scan-timeout",
        "0.5",
        "--out",
        str(tmp_path / "n.csv"),
    )
    assert code == 2 and "no device matching" in err and "switched on" in err
    assert list(tmp_path.iterdir()) == []


def test_device_that_never_answers_gives_advice(tmp_path, capsys):
    code, _, err = run_cli(
        capsys,
        "record",
        "--emulate",
        "witmotion",
        "--fault",
        "noanswer",
        "--speed",
        "10",
        "--out",
        str(tmp_path / "n.csv"),
    )
    assert code == 2 and "could not connect" in err and "Move closer" in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_decode_refuses_another_device(tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert (
        main(
            [
                "record",
                "--emulate",
                "metawear",
                "--duration",
                "3",
                "--speed",
                "10",
                "--no-analysis",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    code, _, err = run_cli(
        capsys,
        "decode",
        str(tmp_path / "m.rawlog.jsonl"),
        "--device",
        "polar",
        "--out",
        str(tmp_path / "d.csv"),
    )
    assert code == 2 and "recorded from a 'metawear' device" in err


def test_scan_lists_every_emulated_device(capsys):
    code, out, _ = run_cli(capsys, "scan", "--emulate", "all", "--timeout", "0.5")
    assert code == 0
    listed = [k for k in EMULATORS if k != "generic"]
    for kind in listed:
        assert f" {kind} " in out
    assert f"{len(listed)} supported device(s)" in out


def _spawn(tmp_path, *argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "analysis.cli", *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_rows(path, rows, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") > rows:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {rows} rows")


@pytest.mark.parametrize("kind", ["witmotion", "polar"])
def test_sigkill_leaves_a_recording_that_loads(tmp_path, kind):
    out = tmp_path / "k.csv"
    proc = _spawn(
        tmp_path,
        "record",
        "--emulate",
        kind,
        "--duration",
        "60",
        "--no-analysis",
        "--out",
        str(out),
    )
    try:
        _wait_rows(out, 200)
        time.sleep(1.3)
        before = out.read_bytes().count(b"\n")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    data = out.read_bytes()
    assert data.endswith(b"\n") and repair_recording(out) == 0
    rec = read_recording(out)
    assert len(rec.samples) >= before - 1 and len(rec.samples) > 200
    assert read_sidecar(out.with_suffix(".json")).device
    header, records = read_rawlog(out.with_name("k.rawlog.jsonl"))
    assert header["device"] == kind and sum(r.kind == "note" for r in records) > 5


def test_ctrl_c_stops_cleanly(tmp_path):
    out = tmp_path / "c.csv"
    proc = _spawn(tmp_path, "record", "--emulate", "polar", "--out", str(out))
    try:
        _wait_rows(out, 400)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "stopped after" in stdout
    rec = read_recording(out)
    assert rec.meta.extra["driver"] == "polar"
    lines = out.with_name("c.rawlog.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["event"] == "stopped"


def test_ctrl_c_while_scanning_writes_nothing(tmp_path):
    out = tmp_path / "never.csv"
    proc = _spawn(
        tmp_path,
        "record",
        "--emulate",
        "polar",
        "--name",
        "Nobody",
        "--scan-timeout",
        "30",
        "--out",
        str(out),
    )
    try:
        # Interrupt only once the recorder has said it is scanning (its stop handler is in place).
        assert "looking for" in proc.stdout.readline()
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "nothing was written" in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []
