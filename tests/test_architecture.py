"""The dependency rule (DESIGN.md §3): the core never imports Telegram/HTTP libraries or
adapters, and adapters never import each other. `make lint` also runs import-linter."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = ("bot", "forms", "scheduler")
FORBIDDEN = {
    "crm": ("aiogram", "aiohttp", "apscheduler", "app", *ADAPTERS),
    "models": ("aiogram", "aiohttp", "apscheduler", "app", "crm", *ADAPTERS),
    **{a: tuple(x for x in ("app", *ADAPTERS) if x != a) for a in ADAPTERS},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_dependency_rule(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & set(FORBIDDEN[package]))
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_rule_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import aiogram\nfrom aiohttp import web\n")
    assert imported_roots(bad) == {"aiogram", "aiohttp"}
