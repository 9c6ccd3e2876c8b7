"""The sections of the correlation report, one module per section.

Each module formats the numbers of :mod:`graphprior.analysis` into one
:class:`~graphprior.report.document.Section` (paragraphs, tables, figures);
:mod:`graphprior.report.compose` puts them in order. The sections and their
rules are described in docs/report.md. This package module only holds the
titles, so that the section modules can import them.
"""

__all__ = ["TITLES"]

#: Section titles (tests and docs refer to them).
TITLES: dict[str, str] = {
    "answer": "The answer: how much of robustness the wiring explains",
    "claims": "Claims",
    "arms": "The mapping arms side by side",
    "audit": "Confound audit: structure against size and interface",
    "run": "The run",
    "gates": "Attack validity",
    "mapping": "How a graph becomes a network",
    "trainability": "Trainability",
    "correlations": "Correlations between graph properties and robustness",
    "strongest": "Strongest associations",
    "twins": "Twins: structure beyond the degree sequence",
    "regression": "Regression: OLS with HC3 errors",
    "eps": "Robust accuracy vs ε per family",
    "init": "Initialisation",
    "baselines": "Graph nets vs pruned baselines at matched density",
    "related": "Measures from related studies",
    "weight": "Weight perturbation (Tsai et al. 2021)",
    "prunability": "Prunability and the generalisation gap (Kuhn et al. 2021)",
    "nc": "Neural collapse, clean vs perturbed (Su et al. 2023)",
}
