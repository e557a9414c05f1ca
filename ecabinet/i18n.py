"""Interface language: Vietnamese first, English on request; catalogs compiled at start."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request

LANGUAGES = ("vi", "en")
CATALOGS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(app: Flask) -> str:
    """Compile the committed .po files into the instance folder (the package may be read-only)."""
    target = Path(app.instance_path) / "translations"
    for po_path in CATALOGS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(CATALOGS).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        # A private temporary name: several server processes may start, and compile, at once.
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.part")
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(tmp, mo_path)
    return str(target)


def select_locale() -> str:
    choice = request.args.get("lang") or request.cookies.get("lang")
    if choice not in LANGUAGES:
        choice = "vi"
    g.lang = choice
    return choice
