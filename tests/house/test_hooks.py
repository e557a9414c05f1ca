"""What runs where one module lets others act (ecabinet.common.hooks) is declared in create_app only,
every hook gets its functions there, and making another app does not run anything twice."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from ecabinet import create_app
from ecabinet.common.hooks import Hook
from ecabinet.config import TestConfig

PACKAGE = Path(__file__).resolve().parents[2] / "ecabinet"


def _hooks() -> dict[str, Hook]:
    return {
        f"{module.__name__}.{name}": value
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("ecabinet.")
        for name, value in vars(module).items()
        if isinstance(value, Hook)
    }


def _declared() -> dict[str, tuple]:
    return {name: tuple(hook) for name, hook in _hooks().items()}


def test_every_hook_is_declared_and_a_second_app_declares_the_same(app, tmp_path):
    first = _declared()
    # The ends of a transaction, the server's start, the points where a domain hands over to later ones.
    assert len(first) >= 9, sorted(first)
    assert not [name for name, functions in first.items() if not functions]

    create_app(TestConfig(f"sqlite:///{tmp_path / 'second.db'}", str(tmp_path / "second")))
    assert _declared() == first


@pytest.mark.no_database
def test_hooks_are_declared_in_create_app_only():
    declaring = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "declare":
                declaring.append(str(path.relative_to(PACKAGE)))
    assert declaring and set(declaring) == {"__init__.py"}, declaring
