"""What every benchmark does with its result: print it and keep it under benchmarks/results/."""

from __future__ import annotations

from pathlib import Path


def record(text: str, out: str | Path) -> None:
    """Print ``text`` and write it, newline-terminated, to ``out`` (folders created)."""
    print(text)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")
