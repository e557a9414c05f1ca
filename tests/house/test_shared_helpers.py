"""What the tests share lives in modules named for what it is (tests/README.md), never in a test module:
a helper imported from `test_*.py` makes one domain's tests hold another's, is found only by reading
imports, and drags that module's fixtures and tests along wherever it is imported (a test module that
imported `browser` from test_pages.py quietly replaced the Chromium fixture with the page client's).
Read from the source with `ast`, every import counted, at the top of a module or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database  # runs once, in the SQLite pass (tests/conftest.py)

TESTS = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every module the file imports, `from a import b` counted as a.b as well as a
    (b may be a module), relative imports made absolute."""
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _is_test_module(module: str) -> bool:
    """A test module, or a name in one (a name `test_…` imported anywhere would be collected again)."""
    parts = module.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts[1:])


def test_no_module_under_tests_imports_from_a_test_module():
    found: dict[str, str] = {}  # one line an import: `from m import a, b` is m's
    for path in sorted(TESTS.rglob("*.py")):
        for line, module in _imported(path):
            where = f"{path.relative_to(TESTS.parent)}:{line}"
            if _is_test_module(module) and len(module) < len(found.get(where, module + ".")):
                found[where] = module
    wrong = [f"{where} imports {module}" for where, module in found.items()]
    assert not wrong, "move what is shared into a module named for what it is:\n" + "\n".join(wrong)


def test_the_check_sees_each_way_of_importing(tmp_path, monkeypatch):
    """The check above passes on the real tree: here it must fail on each form of the import."""
    package = tmp_path / "tests" / "ballots"
    package.mkdir(parents=True)
    monkeypatch.setattr(f"{__name__}.TESTS", tmp_path / "tests")
    forms = {
        "from tests.ballots.test_ballots_api import sent": "tests.ballots.test_ballots_api",
        "from tests.ballots import test_ballots_api": "tests.ballots.test_ballots_api",
        "import tests.ballots.test_ballots_api": "tests.ballots.test_ballots_api",
        "from .test_ballots_api import sent": "tests.ballots.test_ballots_api",
        "from . import test_ballots_api": "tests.ballots.test_ballots_api",
        "def f():\n    from tests.house.test_pages import PageBrowser": "tests.house.test_pages",
    }
    for source, module in forms.items():
        path = package / "test_report.py"
        path.write_text(source + "\n")
        assert any(m == module for _, m in _imported(path) if _is_test_module(m)), source
    path.write_text("from tests.opinion_ballots import sent_ballot\nfrom tests import pages\n")
    assert not any(_is_test_module(m) for _, m in _imported(path))
