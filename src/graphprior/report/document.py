"""The document model of the report: :class:`Report`, :class:`Section`, :class:`Table`, :class:`Figure`.

A report is a title, an introduction and a list of sections; a section is an
ordered list of paragraphs, tables and figures. Rendering lives in
:mod:`graphprior.report.render`, the sections in :mod:`graphprior.report.sections`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Figure", "Table", "Section", "Report"]


@dataclass
class Figure:
    """A figure: file name stem (unique within a report), caption and PNG bytes.

    ``single_point_lines`` counts its lines drawn through fewer than two points
    (:func:`graphprior.report.figures.single_point_lines`); the HTML report carries
    it on the image, where the browser test finds it 0 on every figure.
    """

    name: str
    caption: str
    png: bytes
    single_point_lines: int = 0


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
    """A report: a title, an introduction, a list of sections and the tables it is rendered from.

    ``data`` holds the machine-readable tables behind the text (``claims``:
    :data:`graphprior.io.tables.CLAIMS_SCHEMA`).
    """

    title: str
    sections: list[Section] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)
    data: dict[str, pd.DataFrame] = field(default_factory=dict)

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
