"""Small HTML building blocks shared by the session report and the squad pages.

Everything that reaches the page from a user or a file goes through :func:`esc`. Images are
embedded as base64 PNG data URIs, so a page needs no network and no other file.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from string import Template
from typing import Any

from matplotlib.figure import Figure

#: Resolution of embedded plots, in dots per inch.
PLOT_DPI = 96


def esc(value: Any) -> str:
    """Return ``value`` as text safe to put in HTML content or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def figure_img(fig: Figure, *, alt: str, dpi: int = PLOT_DPI, css_class: str = "plot") -> str:
    """Render a Figure as an ``<img>`` tag holding a base64 PNG, then release the Figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is cleared after rendering.
    alt : str
        Alternative text (escaped here).
    dpi : int
        Resolution in dots per inch.
    css_class : str
        Class of the ``<img>`` element.

    Returns
    -------
    str
        The ``<img>`` element.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    fig.clear()
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="{esc(css_class)}" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    """Format a number for a table: fixed digits, an en dash for missing values, escaped."""
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) or hasattr(value, "__float__"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return esc(value)
        if not math.isfinite(number):
            return "&ndash;"
        text = f"{number:.{digits}f}"
        return esc(f"{text} {unit}".strip())
    return esc(value)


def table(
    rows: Iterable[Sequence[str]],
    header: Sequence[str],
    *,
    css_class: str = "data",
    row_classes: Sequence[str] | None = None,
) -> str:
    """Return an HTML table. Cells are inserted as given: escape or format them first."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{esc(row_classes[i])}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    return (
        f'<table class="{esc(css_class)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def key_value_table(items: Mapping[str, str], *, css_class: str = "kv") -> str:
    """Return a two-column table of already escaped labels and values."""
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items.items())
    return f'<table class="{esc(css_class)}"><tbody>{rows}</tbody></table>'


def mark(passed: bool | None, *, yes: str = "pass", no: str = "fail") -> str:
    """Return a pass / fail / not-judged badge with the given words."""
    if passed is None:
        return '<span class="mark na" title="not judged">&ndash; n/a</span>'
    if passed:
        return f'<span class="mark pass" title="pass">&#10004; {esc(yes)}</span>'
    return f'<span class="mark fail" title="fail">&#10008; {esc(no)}</span>'


STYLE = """
:root { --pass: #1a7f37; --fail: #c62828; --warn: #9a6700; --ink: #1f2328; --muted: #57606a;
  --line: #d0d7de; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 16px 20px 40px;
  line-height: 1.4; font-size: 15px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 12px 0 6px; }
.muted { color: var(--muted); }
header.report { border-bottom: 3px solid var(--ink); padding-bottom: 8px; margin-bottom: 12px; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 0.9rem; }
.meta span b { color: var(--muted); font-weight: 600; }
.banner { padding: 10px 14px; border-radius: 6px; margin: 10px 0; font-weight: 600; }
.banner.pass { background: #dafbe1; border: 1px solid var(--pass); }
.banner.fail { background: #ffebe9; border: 1px solid var(--fail); }
.banner.warn { background: #fff8c5; border: 1px solid var(--warn); font-weight: 400; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 10px;
  align-items: start; }
.card { border: 2px solid var(--line); border-radius: 8px; padding: 10px 12px;
  break-inside: avoid; page-break-inside: avoid; }
.card.pass { border-color: var(--pass); }
.card.fail { border-color: var(--fail); }
.card h3 { margin-top: 0; display: flex; justify-content: space-between; }
.check { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; margin: 6px 0; }
.check .value { font-size: 1.15rem; font-weight: 700; }
.check .rule { grid-column: 1 / -1; font-size: 0.85rem; color: var(--muted); }
.reason { grid-column: 1 / -1; font-size: 0.9rem; color: var(--fail); }
.note { font-size: 0.85rem; color: var(--warn); margin: 4px 0 0; }
.mark { display: inline-block; border-radius: 4px; padding: 1px 8px; font-weight: 700;
  font-size: 0.9rem; white-space: nowrap; }
.mark.pass { background: var(--pass); color: #fff; }
.mark.fail { background: var(--fail); color: #fff; }
.mark.na { background: var(--line); color: var(--ink); }
.flag { display: inline-block; border: 1px solid var(--fail); color: var(--fail);
  border-radius: 10px; padding: 0 7px; font-size: 0.78rem; margin: 1px 2px; white-space: nowrap; }
.flag.quality { border-color: var(--warn); color: var(--warn); }
.ok { color: var(--pass); font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0; font-size: 0.85rem; }
table.data th, table.data td { border: 1px solid var(--line); padding: 3px 7px; text-align: right; }
table.data th { background: var(--bg-soft); }
table.data td { white-space: nowrap; }
table.data td:last-child, table.data th:last-child { white-space: normal; text-align: left; }
table.data td:first-child, table.data th:first-child, table.text td, table.text th { text-align: left; }
table.data tr.fail td { background: #fff5f5; }
table.kv th { text-align: left; padding: 2px 12px 2px 0; color: var(--muted); font-weight: 600;
  vertical-align: top; }
table.kv td { padding: 2px 0; }
figure { margin: 8px 0; break-inside: avoid; page-break-inside: avoid; }
figure img, img.plot { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.8rem; color: var(--muted); }
.plots { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.plots figure.zoom { cursor: zoom-in; }
.plots figure.zoomed { grid-column: 1 / -1; cursor: zoom-out; }
details { margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
dl.defs dt { font-weight: 700; margin-top: 6px; }
dl.defs dd { margin: 0 0 0 16px; }
.scroll { overflow-x: auto; }
footer { margin-top: 30px; font-size: 0.8rem; color: var(--muted); }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .plots { grid-template-columns: 1fr 1fr; }
  .cards { grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); }
  .no-print { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .card, .banner, .mark { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

#: A few lines of script: click a plot to zoom it to the full width and back.
SCRIPT = """
document.querySelectorAll('figure.zoom').forEach(function (f) {
  f.addEventListener('click', function () { f.classList.toggle('zoomed'); });
});
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hopscope">
<title>$title</title>
<style>$style</style>
</head>
<body>
$body
<script>$script</script>
</body>
</html>
"""
)


def page(title: str, body: str) -> str:
    """Return a complete self-contained HTML page; ``title`` is escaped, ``body`` is not."""
    return PAGE.substitute(title=esc(title), style=STYLE, body=body, script=SCRIPT)


def flag_badges(flags: Iterable[str], describe: Callable[[str], str] | None = None) -> str:
    """Return flag codes as small badges (data-quality flags in amber)."""
    quality = {"low_sample_rate", "clipping", "gaps", "too_few_hops"}
    out = []
    for code in flags:
        cls = "flag quality" if code in quality else "flag"
        title = f' title="{esc(describe(code))}"' if describe else ""
        out.append(f'<span class="{cls}"{title}>{esc(code)}</span>')
    return "".join(out) or '<span class="ok">none</span>'
