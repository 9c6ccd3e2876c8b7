"""The correlation report: one self-contained HTML file, a Markdown summary, figures.

This module holds the document model (:class:`Report`, :class:`Section`,
:class:`Figure`, :class:`Table`), its two renderings (HTML with every figure
embedded as a base64 PNG, and Markdown that links the figures by file name)
and :func:`build_report`, the entry point of the ``correlation_report`` rule.
The statistics and figures themselves are computed in
:mod:`graphprior.report.sections` (:func:`~graphprior.report.sections.compose_report`).

Every number in the text is formatted from a table by :func:`fmt`; nothing is
typed in. The sections and the verdict rules are described in ``docs/report.md``.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from graphprior.io import tables as T  # noqa: E402

__all__ = [
    "Figure",
    "Table",
    "Section",
    "Report",
    "fmt",
    "fig_to_png",
    "build_report",
]

log = logging.getLogger(__name__)

#: Tables longer than this are folded (HTML ``<details>``) in the HTML report.
FOLD_ROWS = 25

_VERDICT_CLASSES = {"supported": "ok", "contradicted": "bad", "inconclusive": "meh"}


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


@dataclass
class Figure:
    """A figure: file name stem (unique within a report), caption and PNG bytes."""

    name: str
    caption: str
    png: bytes


@dataclass
class Table:
    """A table shown in the report, with a caption and an optional note below it."""

    caption: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class Section:
    """One report section: an ordered list of paragraphs, tables and figures.

    Parameters
    ----------
    title : str
        Heading of the section (also its entry in the table of contents).
    level : int
        2 for a section, 3 for a subsection.
    blocks : list
        Paragraphs (``str``), :class:`Table` and :class:`Figure` objects in
        the order they are shown.
    """

    title: str
    level: int = 2
    blocks: list[str | Table | Figure] = field(default_factory=list)

    def text(self, paragraph: str) -> None:
        """Append a paragraph (Markdown-light: ``**bold**`` and ```code``` are rendered)."""
        self.blocks.append(paragraph)

    def table(self, caption: str, frame: pd.DataFrame, note: str = "") -> None:
        """Append a table."""
        self.blocks.append(Table(caption, frame, note))

    def figure(self, figure: Figure | None) -> None:
        """Append a figure (``None`` is ignored)."""
        if figure is not None:
            self.blocks.append(figure)

    @property
    def paragraphs(self) -> list[str]:
        """The paragraphs of the section, in order."""
        return [b for b in self.blocks if isinstance(b, str)]

    @property
    def tables(self) -> list[Table]:
        """The tables of the section, in order."""
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        """The figures of the section, in order."""
        return [b for b in self.blocks if isinstance(b, Figure)]


@dataclass
class Report:
    """A report: a title, an introduction and a list of sections."""

    title: str
    sections: list[Section] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)

    def section(self, title: str) -> Section:
        """The section with this title (``KeyError`` if none)."""
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)

    @property
    def figures(self) -> list[Figure]:
        """Every figure of the report, in order."""
        return [f for s in self.sections for f in s.figures]

    # ------------------------------------------------------------------ Markdown

    def to_markdown(self, figure_dir: str = "figures") -> str:
        """The report as Markdown; figures are linked as ``{figure_dir}/{name}.png``."""
        out = [f"# {self.title}", ""]
        out += [p + "\n" for p in self.intro]
        out += ["## Contents", ""]
        for s in self.sections:
            indent = "  " * (s.level - 2)
            out.append(f"{indent}- [{s.title}](#{_slug(s.title)})")
        out.append("")
        for s in self.sections:
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
        return "\n".join(out)

    # ---------------------------------------------------------------------- HTML

    def to_html(self) -> str:
        """The report as one self-contained HTML file (figures as base64 data URIs)."""
        parts = [
            "<!DOCTYPE html>",
            "<html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        parts += [f"<p>{_inline(p)}</p>" for p in self.intro]
        parts.append("<nav><h2>Contents</h2><ol>")
        for i, s in enumerate(self.sections):
            cls = " class='sub'" if s.level > 2 else ""
            parts.append(f"<li{cls}><a href='#s{i}'>{html.escape(s.title)}</a></li>")
        parts.append("</ol></nav>")
        for i, s in enumerate(self.sections):
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
                        f"src='data:image/png;base64,{b64}'/>"
                        f"<figcaption>{_inline(block.caption)} "
                        f"<span class='fname'>({html.escape(block.name)}.png)</span>"
                        "</figcaption></figure>"
                    )
            parts.append("</section>")
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
    "td.ok{background:#d8f0d8}td.bad{background:#f6d5d5}td.meh{background:#f3f0d8}"
    "img{max-width:100%}figure{margin:1em 0}"
    "figcaption,.caption{color:#444;font-size:.9em}"
    ".caption{font-weight:bold;margin-bottom:.2em}.note{color:#666;font-size:.85em}"
    ".fname{color:#999}code{background:#f3f3f3;padding:0 .2em}"
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


def fig_to_png(fig: plt.Figure, dpi: int = 90) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    Figures are drawn with ``layout="constrained"``; ``bbox_inches="tight"`` is
    not used because it renders every figure twice.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def build_report(inputs: dict[str, str], outputs: dict[str, str], config: dict) -> None:
    """Read the tables, compute the statistics, write HTML, Markdown, correlations and figures.

    Parameters
    ----------
    inputs : dict
        Paths of the Parquet tables ``graphs``, ``graph_properties``,
        ``models``, ``robustness`` and ``study``.
    outputs : dict
        Paths ``html``, ``markdown``, ``correlations`` and ``table`` (both get
        the correlations table) and ``figures`` (a folder; every figure is
        written there as ``{name}.png``).
    config : dict
        The validated study configuration (section ``report`` in particular).
    """
    from graphprior.config import config_hash
    from graphprior.report.sections import compose_report

    start = time.perf_counter()
    tables = {
        name: T.read_table(inputs[name])
        for name in ("graphs", "graph_properties", "models", "robustness", "study", "failures")
        if name in inputs
    }
    report, correlations = compose_report(tables, config)
    meta = T.file_metadata(config_hash(config), str(config.get("study", "")))
    for key in ("correlations", "table"):
        if outputs.get(key):
            T.write_table(correlations, outputs[key], T.CORRELATIONS_SCHEMA, "correlations", meta)
    fig_dir = Path(outputs["figures"])
    fig_dir.mkdir(parents=True, exist_ok=True)
    for figure in report.figures:
        (fig_dir / f"{figure.name}.png").write_bytes(figure.png)
    markdown_path = Path(outputs["markdown"])
    rel = Path(_relpath(fig_dir, markdown_path.parent))
    markdown_path.write_text(report.to_markdown(rel.as_posix()))
    Path(outputs["html"]).write_text(report.to_html())
    log.info(
        "report written: %d sections, %d figures, %d correlation rows in %.1f s",
        len(report.sections),
        len(report.figures),
        len(correlations),
        time.perf_counter() - start,
    )


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target.resolve(), start.resolve())
