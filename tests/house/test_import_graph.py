"""The import graph points one way: common knows no domain, and each domain builds only on those
before it in LAYERS. Read from the source with `ast`, every import counted, at the top of a module
or inside a function.

A domain's rules (models, service, access, serialize …) follow the layers strictly. Its blueprints —
`api.py`, `views.py`, `cli.py`, and live's socket handlers — sit on top of every domain: a page may
show what several domains hold (the meeting page: its votes, positions and papers), but a blueprint
never imports another domain's blueprint. Where an earlier domain must let a later one act (a
meeting published, a document's visibility, fields in a meeting's JSON), it names a hook and
`create_app` declares who acts (ecabinet.common.hooks)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database  # runs once, in the SQLite pass (tests/conftest.py)

PACKAGE = Path(__file__).resolve().parents[2] / "ecabinet"

# Modules every domain may use, that use none: common/ and the app's base modules.
BASE = {"common", "errors", "extensions", "config", "i18n"}

# Earlier first, each domain in a place of its own, so that no two packages import each other. live
# (rooms, and sending after the commit) comes before meetings: a meeting's events are numbered and
# redacted by the meetings' own rules (meetings.events), which hand them to live addressed to rooms;
# live's socket handlers and API are blueprints, on top.
LAYERS: list[str] = [
    "audit",
    "auth",
    "calendar",
    "live",
    "meetings",
    "devices",
    "documents",
    "annotations",
    "votes",
    "speakers",
    "minutes",
    "positions",
    "retention",
    "ballots",
    "tasks",
    "offline",
    "demo",
]
LAYER_OF = {domain: number for number, domain in enumerate(LAYERS)}
BLUEPRINT_MODULES = {"api", "views", "cli", "sockets"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> list[tuple[str, str]]:
    """(importing module, imported ecabinet module) for every import in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from ecabinet.x import y` may name a module y: count it as ecabinet.x.y.
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [(module, name) for name in names if name.startswith("ecabinet.")]
    return found


def _unit(module: str) -> str:
    """The domain (or base module) a module belongs to: ecabinet.meetings.service → meetings."""
    return module.split(".")[1]


def _is_blueprint(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 2 and parts[1] in LAYER_OF and parts[2] in BLUEPRINT_MODULES


def test_every_domain_has_its_place():
    units = {
        _unit(_module_name(p)) for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem != "__init__"
    }
    domains = {u for u in units if (PACKAGE / u).is_dir() and any((PACKAGE / u).glob("*.py"))} - BASE
    assert domains == set(LAYER_OF), "add the new domain to LAYERS, after the domains it builds on"


def test_common_and_the_base_modules_import_no_domain():
    wrong = [
        f"{importer} imports {imported}"
        for importer, imported in _imports()
        if importer != "ecabinet" and _unit(importer) in BASE and _unit(imported) not in BASE
    ]
    assert not wrong, "\n".join(wrong)


def test_domains_build_only_on_earlier_ones():
    wrong = [
        f"{importer} imports {imported}"
        for importer, imported in _imports()
        if importer != "ecabinet"
        and not _is_blueprint(importer)
        and _unit(importer) in LAYER_OF
        and _unit(imported) in LAYER_OF
        and LAYER_OF[_unit(imported)] > LAYER_OF[_unit(importer)]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_blueprint_imports_another_domains_blueprint():
    wrong = [
        f"{importer} imports {imported}"
        for importer, imported in _imports()
        if _is_blueprint(importer) and _is_blueprint(imported) and _unit(importer) != _unit(imported)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    """Not even within a domain (documents.service and text_index once imported each other, one of
    them inside a function to get away with it)."""
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for importer, imported in _imports():
        while imported not in modules and "." in imported:  # `from m import name`: the module m
            imported = imported.rsplit(".", 1)[0]
        if imported != importer and imported != "ecabinet" and importer != "ecabinet":
            edges.setdefault(importer, set()).add(imported)

    def reaches(start: str, goal: str) -> list[str] | None:
        path, seen = {start: [start]}, {start}
        queue = [start]
        while queue:
            here = queue.pop(0)
            for there in edges.get(here, ()):
                if there == goal:
                    return path[here] + [goal]
                if there not in seen:
                    seen.add(there)
                    path[there] = path[here] + [there]
                    queue.append(there)
        return None

    cycles = [" → ".join(found) for module in sorted(edges) if (found := reaches(module, module))]
    assert not cycles, "\n".join(cycles)
