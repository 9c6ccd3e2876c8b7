"""Options of the benchmark suite (benchmarks/suite.py) and the path its modules import from."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The benchmarks compare against the tests' references (tests/art_reference.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bench-args",
        default="",
        help="options passed to the selected benchmark(s), as one shell-quoted string",
    )


@pytest.fixture
def bench_args(request: pytest.FixtureRequest) -> str:
    """The ``--bench-args`` string (``make benchmarks BENCH_ARGS=...``)."""
    return request.config.getoption("--bench-args")
