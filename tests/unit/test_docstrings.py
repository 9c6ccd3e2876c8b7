"""Every example in a docstring runs and prints what the docstring says it prints."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import graphprior

MODULES = sorted(m.name for m in pkgutil.walk_packages(graphprior.__path__, "graphprior."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail"


def test_the_examples_are_found():
    """The doctest run above sees the package's examples (not zero by a wrong path)."""
    finder = doctest.DocTestFinder()
    examples = sum(
        len(test.examples)
        for name in ("graphprior.config.ids", "graphprior.stages", "graphprior.stages.job")
        for test in finder.find(importlib.import_module(name))
    )
    assert examples >= 4
