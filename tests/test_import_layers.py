"""Imports flow one way: capabilities never reach up into the command line, nor back into the
modules that import them. The import graph is read from the source with ``ast`` (every import:
top-level, inside functions and under ``TYPE_CHECKING``), so a lazy import cannot hide a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "responsible_ai"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _reaches(start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        for module in GRAPH.get(current, ()):
            if module == goal:
                return True
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return False


def test_the_graph_is_read() -> None:
    # Guards the tests below from passing on an empty graph.
    assert "responsible_ai.cliutils" in GRAPH["responsible_ai.explain.cli"]
    assert "responsible_ai.fairness.options" in GRAPH["responsible_ai.fairness.evidence"]


def test_only_the_command_line_imports_the_command_line() -> None:
    importers = sorted(name for name, imported in GRAPH.items() if "responsible_ai.cli" in imported)
    assert importers == []


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("responsible_ai.review", "responsible_ai.report.html"),
        ("responsible_ai.fairness.evidence", "responsible_ai.fairness.checks"),
        ("responsible_ai.fairness.intervals", "responsible_ai.fairness.checks"),
        ("responsible_ai.fairness.options", "responsible_ai.fairness.checks"),
        ("responsible_ai.cliutils", "responsible_ai.cli"),
        ("responsible_ai.explain.cli", "responsible_ai.cli"),
        ("responsible_ai.privacy.dp.cli", "responsible_ai.cli"),
        ("responsible_ai.decisions", "responsible_ai.inputs"),
    ],
)
def test_lower_module_never_reaches_the_one_above(lower: str, upper: str) -> None:
    assert not _reaches(lower, upper), f"{lower} imports {upper}, directly or through others"


def test_review_does_not_import_the_report_package() -> None:
    assert not [m for m in GRAPH["responsible_ai.review"] if m.startswith("responsible_ai.report")]
