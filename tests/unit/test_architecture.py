"""The package's shape: layers, sizes, one hop from rule to code, a lazy public API."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "graphprior"
SCRIPTS = REPO / "workflow" / "scripts"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
RULES = (
    "download_dataset",
    "generate_graphs",
    "compute_graph_properties",
    "train_sparse_nets",
    "prune_baseline",
    "attack",
    "attack_baseline",
    "aggregate_parquet",
    "correlation_report",
)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_module_is_too_long():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long():
    long = {}
    for path in _modules():
        for fn in _functions(ast.parse(path.read_text())):
            n = fn.end_lineno - fn.lineno + 1
            if n > MAX_FUNCTION_LINES:
                long[f"{path.relative_to(PACKAGE)}:{fn.name}"] = n
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_graphprior_import_inside_a_function():
    hidden = []
    for path in _modules():
        for fn in _functions(ast.parse(path.read_text())):
            for node in ast.walk(fn):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                elif isinstance(node, ast.ImportFrom):
                    names = ["(relative)"]
                if any(n == "graphprior" or n.startswith(("graphprior.", "(")) for n in names):
                    hidden.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not hidden, f"graphprior imports inside functions: {hidden}"


def test_layer_contract_holds():
    """import-linter: layers (no upward import, so no circle across layers) and no torch."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_import_circle_inside_a_layer():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("graphprior")
    modules = sorted(m for m in graph.modules if m.startswith("graphprior."))
    circles = [
        (a, b)
        for a in modules
        for b in graph.find_modules_directly_imported_by(a)
        if a < b
        and b.startswith("graphprior.")
        and graph.chain_exists(importer=b, imported=a)
        and not (a.startswith(b + ".") or b.startswith(a + "."))
    ]
    assert not circles, f"import circles: {circles}"


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_is_one_hop_from_its_code(rule):
    """workflow/scripts/R.py is at most 20 lines and calls graphprior.stages.R.run."""
    text = (SCRIPTS / f"{rule}.py").read_text()
    assert len(text.splitlines()) <= 20
    assert f"from graphprior.stages import {rule}\n" in text
    assert f"{rule}.run(snakemake)" in text
    assert (PACKAGE / "stages" / f"{rule}.py").is_file()
    tree = ast.parse((PACKAGE / "stages" / f"{rule}.py").read_text())
    assert any(isinstance(n, ast.FunctionDef) and n.name == "run" for n in tree.body)


def test_every_rule_declares_its_config_keys():
    from graphprior.stages import CONFIG_KEYS

    assert set(CONFIG_KEYS) == set(RULES)


def _imports_torch(code: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip() == "True"


@pytest.mark.parametrize(
    "module",
    [
        "graphprior",
        "graphprior.config",
        "graphprior.graphs.selection",
        "graphprior.stages",
        "graphprior.analysis",
        "graphprior.report",
    ],
)
def test_torch_free_layers_do_not_import_torch(module):
    assert not _imports_torch(f"import {module}")


def test_public_api_resolves_lazily():
    assert not _imports_torch("from graphprior import load_config")
    assert _imports_torch("from graphprior import load_dataset, load_model")
    import graphprior
    from graphprior.data import load_dataset
    from graphprior.nets.checkpoints import load_model

    assert graphprior.load_dataset is load_dataset
    assert graphprior.load_model is load_model


def test_no_reference_to_a_document_outside_the_repository():
    pattern = re.compile(r"DESIGN\s*§")
    roots = ["src", "docs", "config", "workflow", "tests", "benchmarks", "README.md"]
    hits = []
    for root in roots:
        path = REPO / root
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for f in files:
            if f.suffix in {".pyc", ".png"} or "__pycache__" in f.parts:
                continue
            if pattern.search(f.read_text(errors="ignore")):
                hits.append(str(f.relative_to(REPO)))
    assert not hits, f"references to a design document outside the repository: {hits}"


def test_art_is_a_test_dependency_only():
    """ART is the tests' reference, not a requirement of the package: the stage never imports it."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    art = "adversarial-robustness-toolbox"
    assert not any(dep.startswith(art) for dep in project["dependencies"])
    assert any(dep.startswith(art) for dep in project["optional-dependencies"]["test"])
    code = (
        "import graphprior.robustness, graphprior.stages.attack, sys; "
        "print(any(m == 'art' or m.startswith('art.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_code_states_decisions_not_measurements():
    """No date, session number or speed ratio in src/: those go stale; docs/benchmarks.md
    holds them, and the code names the benchmark instead."""
    stale = re.compile(
        r"20\d\d-\d\d-\d\d"  # a date
        r"|\bsession \d"  # a work session
        r"|\b\d+\.\d+x\b"  # a speed ratio, 0.75x
        r"|\b\d+\.\d+×(?!IQR)"  # or 0.75× (the paper's 1.5×IQR rule is a rule)
    )
    hits = [
        f"{p.relative_to(PACKAGE)}:{i}: {line.strip()}"
        for p in _modules()
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if stale.search(line)
    ]
    assert not hits, "\n".join(hits)


def test_benchmarks_are_one_suite_with_one_entry_point():
    """benchmarks/ holds at most 10 scripts, every maintained benchmark is a function of
    ``argv`` that suite.py lists, and none runs on its own (``make benchmarks`` runs them)."""
    folder = REPO / "benchmarks"
    scripts = sorted(p.name for p in folder.iterdir() if p.suffix in {".py", ".sh"})
    assert len(scripts) <= 10, scripts
    suite = ast.parse((folder / "suite.py").read_text())
    listed = next(
        ast.literal_eval(node.value)
        for node in suite.body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "BENCHMARKS"
    )
    for name, (module, function, need) in listed.items():
        tree = ast.parse((folder / f"{module}.py").read_text())
        defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert function in defs, f"{name}: no {module}.{function}"
        assert [a.arg for a in defs[function].args.args] == ["argv"], name
        assert need in (None, "cuda", "finished_run"), name
    for script in scripts:
        text = (folder / script).read_text()
        assert '__name__ == "__main__"' not in text, f"{script} runs on its own"
    assert "benchmarks/suite.py" in (REPO / "Makefile").read_text()
