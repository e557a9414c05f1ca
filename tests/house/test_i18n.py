"""Vietnamese is the interface's default language: every message the code can show has a translation."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from ecabinet.config import REPO_ROOT
from ecabinet.i18n import CATALOGS

pytestmark = pytest.mark.no_database  # runs once, in the SQLite pass (tests/conftest.py)


def _catalog(lang: str):
    with (CATALOGS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def _extracted() -> dict[str | tuple[str, ...], str]:
    """Every msgid in the code and templates, as `pybabel extract -F babel.cfg` finds them."""
    with (REPO_ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map, options_map
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_vietnamese_message_is_translated():
    catalog = _catalog("vi")
    assert not catalog.fuzzy
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s.strip() for s in strings):
            untranslated.append(message.id)
    assert untranslated == []


def test_placeholders_survive_translation():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalog("vi").check()]
    assert problems == []


def test_every_message_in_the_code_is_in_the_catalogs():
    extracted = _extracted()
    assert len(extracted) > 100  # the extraction found the templates, not nothing
    for lang in ("vi", "en"):
        known = {m.id if isinstance(m.id, str) else tuple(m.id) for m in _catalog(lang) if m.id}
        missing = {msgid: where for msgid, where in extracted.items() if msgid not in known}
        assert missing == {}, f"{lang}: run pybabel extract and update the catalogs"
