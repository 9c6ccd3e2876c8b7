"""Rendering of a :class:`~graphprior.report.document.Report`: HTML and Markdown.

The HTML is one self-contained file (every figure embedded as a base64 PNG,
the CSS inline); the Markdown links the figures by file name. Every number of
a table or a paragraph is formatted by :func:`fmt`, so the same value reads
the same everywhere (docs/report.md).
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

import numpy as np
import pandas as pd

from graphprior.report.document import Report, Table

__all__ = ["FOLD_ROWS", "fmt", "fmt_interval", "to_markdown", "to_html"]

#: Tables longer than this are folded (HTML ``<details>``) in the HTML report.
FOLD_ROWS = 25

_VERDICT_CLASSES = {
    "supported": "good",
    "contradicted": "bad",
    "inconclusive": "meh",
    "insufficient": "meh",
}


def fmt(value: Any, digits: int = 3) -> str:
    """Format one number the way every table and paragraph of the report shows it.

    Floats get `digits` significant digits (``"nan"`` values become ``""``),
    integers and strings are shown as they are. Markdown and HTML both use
    this function, so the same value reads the same everywhere.

    Examples
    --------
    >>> fmt(-0.123456), fmt(3), fmt(float("nan")), fmt(12345.6)
    ('-0.123', '3', '', '1.23e+04')
    """
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if np.isnan(v):
            return ""
        if v == 0:
            return "0"
        if float(v).is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.{digits}g}"
    return str(value)


def fmt_interval(value: float, low: float, high: float, digits: int = 3) -> str:
    """``value [low, high]`` with :func:`fmt`; ``—`` without a value, ``[no interval]`` without bounds."""
    if not np.isfinite(value):
        return "—"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{fmt(value, digits)} [no interval]"
    return f"{fmt(value, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def to_markdown(report: Report, figure_dir: str = "figures") -> str:
    """The report as Markdown; figures are linked as ``{figure_dir}/{name}.png``."""
    out = [f"# {report.title}", ""]
    out += [p + "\n" for p in report.intro]
    contents = ["## Contents", ""]
    for s in report.sections:
        indent = "  " * (s.level - 2)
        contents.append(f"{indent}- [{s.title}](#{_slug(s.title)})")
    contents.append("")
    for i, s in enumerate(report.sections):
        if i == 1:  # the answer (first section) comes before the contents
            out += contents
        out += ["#" * s.level + f" {s.title}", ""]
        for block in s.blocks:
            if isinstance(block, str):
                out += [block, ""]
            elif isinstance(block, Table):
                out += [f"**{block.caption}**", ""]
                out += [_md_table(block.frame), ""]
                if block.note:
                    out += [f"*{block.note}*", ""]
            else:
                out += [f"![{block.caption}]({figure_dir}/{block.name}.png)", ""]
                out += [f"*Figure `{block.name}.png`: {block.caption}*", ""]
    if len(report.sections) < 2:
        out += contents
    return "\n".join(out)


def to_html(report: Report) -> str:
    """The report as one self-contained HTML file (figures as base64 data URIs)."""
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
    ]
    parts += [f"<p>{_inline(p)}</p>" for p in report.intro]
    nav = ["<nav><h2>Contents</h2><ol>"]
    for i, s in enumerate(report.sections):
        cls = " class='sub'" if s.level > 2 else ""
        nav.append(f"<li{cls}><a href='#s{i}'>{html.escape(s.title)}</a></li>")
    nav.append("</ol></nav>")
    for i, s in enumerate(report.sections):
        if i == 1:  # the answer (first section) comes before the contents
            parts += nav
        tag = f"h{min(max(s.level, 2), 4)}"
        parts.append(f"<section><{tag} id='s{i}'>{html.escape(s.title)}</{tag}>")
        for block in s.blocks:
            if isinstance(block, str):
                parts.append(f"<p>{_inline(block)}</p>")
            elif isinstance(block, Table):
                parts.append(_html_table_block(block))
            else:
                b64 = base64.b64encode(block.png).decode("ascii")
                parts.append(
                    f"<figure><img alt='{html.escape(block.caption, quote=True)}' "
                    f"data-single-point-lines='{int(block.single_point_lines)}' "
                    f"src='data:image/png;base64,{b64}'/>"
                    f"<figcaption>{_inline(block.caption)} "
                    f"<span class='fname'>({html.escape(block.name)}.png)</span>"
                    "</figcaption></figure>"
                )
        parts.append("</section>")
    if len(report.sections) < 2:
        parts += nav
    parts.append("</body></html>")
    return "\n".join(parts)


_CSS = (
    "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1150px;"
    "margin:auto;padding:1em 1.5em;line-height:1.45;color:#222}"
    "h1{border-bottom:2px solid #446;padding-bottom:.2em}"
    "h2{border-bottom:1px solid #bbb;margin-top:2em}"
    "nav{background:#f6f6f9;padding:.3em 1em;border:1px solid #ddd}"
    "nav li.sub{margin-left:1.5em;list-style:circle}"
    ".tw{overflow-x:auto;margin:.4em 0 1em 0}"
    "table{border-collapse:collapse;font-size:.82em}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}"
    "th{background:#eef;position:sticky;top:0}"
    "td.t{text-align:left;white-space:normal;max-width:30em}"
    "td.good{background:#d8f0d8}td.bad{background:#f6d5d5}td.meh{background:#f3f0d8}"
    "img{max-width:100%}figure{margin:1em 0}"
    "figcaption,.caption{color:#444;font-size:.9em}"
    ".caption{font-weight:bold;margin-bottom:.2em}.note{color:#666;font-size:.85em}"
    ".fname{color:#999}code{background:#f3f3f3;padding:0 .2em}"
    # on a wide screen the contents are a sidebar, beside the answer from the first screen
    "@media (min-width:1200px){body{margin:0 auto 0 270px;max-width:1080px}"
    "nav{position:fixed;top:0;left:0;bottom:0;width:235px;overflow-y:auto;border:none;"
    "border-right:1px solid #ddd;font-size:.82em;padding:.4em .8em}"
    "nav ol{padding-left:1.3em}nav h2{margin-top:.4em}}"
)


def _slug(title: str) -> str:
    """GitHub-style anchor of a Markdown heading."""
    slug = re.sub(r"[^\w\- ]", "", title.lower()).strip()
    return slug.replace(" ", "-")


def _inline(text: str) -> str:
    """Escape text for HTML and render ``**bold**`` and ```code``` spans."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def _md_cell(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def _md_table(df: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (cells by :func:`fmt`)."""
    if df.empty:
        return "*(no rows)*"
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _html_cell(value: Any) -> str:
    text = fmt(value)
    cls = _VERDICT_CLASSES.get(text)
    if cls is None and not isinstance(value, int | float | np.integer | np.floating):
        cls = "t"
    attr = f" class='{cls}'" if cls else ""
    return f"<td{attr}>{html.escape(text)}</td>"


def _html_table_block(block: Table) -> str:
    """Caption, table (folded above :data:`FOLD_ROWS` rows) and note as HTML."""
    df = block.frame
    caption = f"<p class='caption'>{_inline(block.caption)}</p>"
    if df.empty:
        body = "<p class='note'>(no rows)</p>"
    else:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
        rows = "".join(
            "<tr>" + "".join(_html_cell(v) for v in row) + "</tr>"
            for row in df.itertuples(index=False)
        )
        body = f"<div class='tw'><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
        if len(df) > FOLD_ROWS:
            body = f"<details><summary>show all {len(df)} rows</summary>{body}</details>"
    note = f"<p class='note'>{_inline(block.note)}</p>" if block.note else ""
    return caption + body + note
