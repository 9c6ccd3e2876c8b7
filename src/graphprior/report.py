"""The correlation report: statistics, figures, one self-contained HTML file and Markdown.

Every number in the text is computed here from the tables; nothing is typed in.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from graphprior import tables as T  # noqa: E402

__all__ = ["build_report", "Section", "Report"]

log = logging.getLogger(__name__)


@dataclass
class Section:
    """One report section: a title, Markdown-ish paragraphs, tables and figures."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)  # (caption, png bytes)


@dataclass
class Report:
    title: str
    sections: list[Section] = field(default_factory=list)

    def to_markdown(self, figure_dir: str | None = None) -> str:
        out = [f"# {self.title}", ""]
        for s in self.sections:
            out += [f"## {s.title}", ""]
            out += [p + "\n" for p in s.paragraphs]
            for caption, df in s.tables:
                out += [f"**{caption}**", "", _md_table(df), ""]
            for caption, _ in s.figures:
                out += [f"*Figure: {caption}* (see report.html)", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        parts = [
            "<!DOCTYPE html><html><head><meta charset='utf-8'>",
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em;}"
            "table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0;}"
            "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;}"
            "th{background:#eee;} img{max-width:100%;} .caption{color:#555;font-size:0.9em;}</style>",
            "</head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
            "<nav><ol>"
            + "".join(
                f"<li><a href='#s{i}'>{html.escape(s.title)}</a></li>"
                for i, s in enumerate(self.sections)
            )
            + "</ol></nav>",
        ]
        for i, s in enumerate(self.sections):
            parts.append(f"<h2 id='s{i}'>{html.escape(s.title)}</h2>")
            parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
            for caption, df in s.tables:
                parts.append(f"<p class='caption'><b>{html.escape(caption)}</b></p>")
                parts.append(_html_table(df))
            for caption, png in s.figures:
                b64 = base64.b64encode(png).decode()
                parts.append(
                    f"<figure><img src='data:image/png;base64,{b64}'/>"
                    f"<figcaption class='caption'>{html.escape(caption)}</figcaption></figure>"
                )
        parts.append("</body></html>")
        return "\n".join(parts)


def _fmt_cell(v) -> str:
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    return str(v)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(_fmt_cell(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt_cell(row[c]))}</td>" for c in df.columns) + "</tr>"
        for _, row in df.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fig_to_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def build_report(inputs: dict[str, str], outputs: dict[str, str], config: dict) -> None:
    """Read the tables, compute the statistics, write HTML, Markdown, correlations and figures."""
    from graphprior.report_sections import compose_report

    tables = {
        name: T.read_table(inputs[name])
        for name in ("graphs", "graph_properties", "models", "robustness", "study")
    }
    report, correlations = compose_report(tables, config)
    meta = T.file_metadata(_hash(config), config.get("study", ""))
    T.write_table(
        correlations, outputs["correlations"], T.CORRELATIONS_SCHEMA, "correlations", meta
    )
    T.write_table(correlations, outputs["table"], T.CORRELATIONS_SCHEMA, "correlations", meta)
    fig_dir = Path(outputs["figures"])
    fig_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    for s in report.sections:
        for _caption, png in s.figures:
            n += 1
            (fig_dir / f"figure{n:02d}.png").write_bytes(png)
    Path(outputs["markdown"]).write_text(report.to_markdown())
    Path(outputs["html"]).write_text(report.to_html())
    log.info("report written: %d sections, %d figures", len(report.sections), n)


def _hash(config: dict) -> str:
    from graphprior.config import config_hash

    return config_hash(config)
