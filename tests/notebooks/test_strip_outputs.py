import runpy
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "notebooks" / "strip_outputs.py"


def _main():
    return runpy.run_path(str(SCRIPT), run_name="strip_outputs")["main"]


def _executed(path):
    cell = new_code_cell("print(1)", execution_count=3)
    cell.outputs = [new_output("stream", name="stdout", text="1\n")]
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    nb = new_notebook(cells=[new_markdown_cell("# title"), cell])
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, path)


def test_strips_outputs_counts_and_widget_state(tmp_path):
    path = tmp_path / "a.ipynb"
    _executed(path)
    assert _main()([str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    code = nb.cells[1]
    assert code.outputs == [] and code.execution_count is None
    assert "execution" not in code.metadata and "widgets" not in nb.metadata
    assert code.source == "print(1)" and nb.cells[0].source == "# title"


def test_check_reports_without_changing(tmp_path, capsys):
    path = tmp_path / "a.ipynb"
    _executed(path)
    before = path.read_bytes()
    assert _main()(["--check", str(path)]) == 1
    assert path.read_bytes() == before
    assert "has outputs" in capsys.readouterr().out
    _main()([str(path)])
    assert _main()(["--check", str(path)]) == 0
