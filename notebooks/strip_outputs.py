"""Remove outputs, execution counts and widget state from notebooks before committing them.

The notebooks are committed without outputs so that diffs show only what a person wrote; the
test suite (``tests/notebooks``) fails on a notebook that still has outputs.

Usage, from the repository root::

    .venv/bin/python notebooks/strip_outputs.py            # every notebook in notebooks/
    .venv/bin/python notebooks/strip_outputs.py A.ipynb    # only these
    .venv/bin/python notebooks/strip_outputs.py --check    # list unstripped ones, exit 1 if any
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


def strip(nb: nbformat.NotebookNode) -> bool:
    """Strip a notebook in place; return whether anything changed."""
    changed = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            cell.outputs = []
            changed = True
        if cell.get("execution_count") is not None:
            cell.execution_count = None
            changed = True
        for key in ("execution", "collapsed", "scrolled"):
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    if "widgets" in nb.metadata:
        del nb.metadata["widgets"]
        changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    """Strip the notebooks named (default: all in notebooks/); return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*)")
    parser.add_argument("--check", action="store_true", help="only report, change nothing")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(HERE.glob("*.ipynb"))
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if strip(nb):
            dirty.append(path)
            if not args.check:
                nbformat.write(nb, path)
    for path in dirty:
        print(f"{'has outputs' if args.check else 'stripped'}: {path}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
