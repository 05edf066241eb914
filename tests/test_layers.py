"""The layers the project keeps: imu never imports analysis, analysis never imports bleak."""

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[str]:
    found = [package]
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        found.append(info.name)
    return found


def _loaded_after_importing(modules: list[str], then: str = "") -> set[str]:
    """The modules loaded in a fresh interpreter that imports ``modules`` and runs ``then``."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"{then}\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_imu_never_imports_analysis():
    modules = _modules("imu")
    loaded = _loaded_after_importing(modules)
    assert "imu.recording" in loaded
    assert not any(m == "analysis" or m.startswith("analysis.") for m in loaded)


def test_analysis_never_imports_bleak():
    # The command line joins the two sides: it may use bleak, inside its commands.
    modules = [m for m in _modules("analysis") if not m.startswith("analysis.cli")]
    loaded = _loaded_after_importing(modules)
    assert "analysis.pipeline" in loaded
    assert not any(m == "bleak" or m.startswith("bleak.") for m in loaded)


def test_the_light_commands_do_not_load_the_analysis():
    # ``hopscope --help`` builds every sub-command's parser; scipy loads only when a
    # command needs the analysis.
    loaded = _loaded_after_importing(
        ["analysis.cli"], then="sys.modules['analysis.cli'].build_parser()"
    )
    assert "analysis.cli.analyze" in loaded
    assert "scipy" not in loaded
    assert "analysis.pipeline" not in loaded
