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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_top_to_bottom(path, record_property):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    record_property("duration_s", round(time.perf_counter() - started, 1))
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                # Warnings a notebook expects are caught in it; anything else is a defect
                # (a deprecation, a pandas FutureWarning, a runtime warning...).
                problems.append(f"cell {i} wrote to stderr: {out.get('text', '')[:300]}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    # Every code cell ran, in order.
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
