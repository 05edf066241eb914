"""``hopscope formats`` and ``hopscope analyze`` on app exports."""

from __future__ import annotations

import pytest

from analysis.cli import main
from imu.formats import list_formats
from tests.imu.formats import exporters


def test_formats_lists_every_format_with_what_identifies_it(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # one table row per line
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for spec in list_formats():
        row = next(line for line in out.splitlines() if f"│ {spec.name} " in line)
        assert spec.identifies in row
    assert "Phone timestamp;sensor timestamp [ns];X [mg]" in out
    assert "--time-col" in out and "gravity-removed" in out.lower()


def test_formats_detect_prints_the_format(samples, tmp_path, capsys):
    path = exporters.shimmer(samples.iloc[:200], tmp_path)
    assert main(["formats", "--detect", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "shimmer_consensys"


def test_analyze_reads_an_export_and_refuses_gravity_removed(samples, tmp_path, capsys):
    path = exporters.phyphox(samples, tmp_path / "ok", archive=True)
    assert main(["analyze", str(path)]) == 0
    capsys.readouterr()
    linear = exporters.phyphox(samples.iloc[:400], tmp_path / "linear", variant="linear")
    assert main(["analyze", str(linear)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(linear) in err and "gravity removed" in err


@pytest.mark.parametrize("fmt", ["polar", "metabase"])
def test_analyze_format_option_forces_the_reader(fmt, samples, tmp_path, capsys):
    path = exporters.metabase(samples, tmp_path)
    code = main(["analyze", str(path), "--format", fmt])
    captured = capsys.readouterr()
    if fmt == "metabase":
        assert code == 0
    else:
        assert code == 2 and "Phone timestamp" in captured.err


def test_analyze_generic_options(samples, tmp_path, capsys):
    path = exporters.generic(samples, tmp_path)
    args = ["analyze", str(path), "--time-col", "t_ms", "--acc-cols", "acc_x,acc_y,acc_z"]
    assert main([*args, "--units", "mg", "--time-units", "ms"]) == 0
