"""Every notebook runs top to bottom on the sample data and is committed without outputs."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {
    "01_quickstart.ipynb",
    "02_validation.ipynb",
    "03_squad_trends.ipynb",
    "04_raw_ble.ipynb",
}
#: Longest a single cell may run before the kernel is interrupted, in s. This only stops a hung
#: notebook; how long the notebooks take is reported by the test, not asserted.
CELL_TIMEOUT_S = 300
#: A private name imported from the package: notebooks use the public API only.
PRIVATE_IMPORT = re.compile(r"^\s*from\s+(?:analysis|imu)[\w.]*\s+import\s+.*\b_\w+", re.M)
#: How the warnings module prints a warning: ``file:line: SomeWarning: message``.
PYTHON_WARNING = re.compile(r"\b\w*Warning: ")
PRIVATE_MODULE = re.compile(r"^\s*(?:from|import)\s+(?:analysis|imu)(?:\.\w+)*\._\w+", re.M)


def _ids(paths):
    return [p.name for p in paths]


def test_all_notebooks_exist():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), (
                f"{path.name} cell {i} has outputs: run notebooks/strip_outputs.py"
            )
            assert cell.get("execution_count") is None, (
                f"{path.name} cell {i} has an execution count: run notebooks/strip_outputs.py"
            )
    assert "widgets" not in nb.metadata, f"{path.name} keeps widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_uses_public_api_only(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not PRIVATE_IMPORT.search(code), f"{path.name} imports a private name"
    assert not PRIVATE_MODULE.search(code), f"{path.name} imports a private module"


def test_docs_describe_every_notebook():
    text = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    for p in NOTEBOOKS:
        assert p.name in text, f"docs/notebooks.md does not mention {p.name}"


def execute(nb: nbformat.NotebookNode, *, cwd: Path = NOTEBOOK_DIR) -> list[str]:
    """Run a notebook in place in a fresh kernel; return what went wrong (empty: nothing)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        return [str(exc).strip().splitlines()[-1]]
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                # Warnings a notebook expects are caught in it; any other Python warning is a
                # defect (a deprecation, a pandas FutureWarning, a runtime warning...). Log
                # messages (e.g. the recorder noting a device's rate) are allowed.
                text = out.get("text", "")
                if PYTHON_WARNING.search(text):
                    problems.append(f"cell {i} raised a warning: {text[:300]}")
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"cells did not all run in order: execution counts {counts}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_top_to_bottom(path, record_property):
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    problems = execute(nb)
    record_property("duration_s", round(time.perf_counter() - started, 1))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_execute_reports_errors_and_warnings(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    warns = new_notebook(
        cells=[
            new_code_cell("import warnings"),
            new_code_cell("warnings.warn('old API', FutureWarning)"),
            new_code_cell("import logging; logging.getLogger('x').warning('a log line')"),
        ]
    )
    problems = execute(warns, cwd=tmp_path)
    assert len(problems) == 1 and "cell 1" in problems[0] and "FutureWarning" in problems[0]
    fails = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0")])
    problems = execute(fails, cwd=tmp_path)
    assert len(problems) == 1 and "ZeroDivisionError" in problems[0]
