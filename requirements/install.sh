#!/usr/bin/env bash
# Install ecabinet into .venv/ from the lock: exact versions with their hashes, so a fresh machine gets
# what CI tested. `install.sh app` for serving, `install.sh dev` for tests and benchmarks (a superset).
# Refresh the locks after changing setup.cfg: see README.md, "The lock".
set -euo pipefail
cd "$(dirname "$0")/.."
lock=requirements/${1:?app or dev}.txt
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# pip first, from its own lock: the rest is then installed by the pip CI used (and an old pip's notices
# about this machine's configuration are not repeated for every package).
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements/pip.txt
# --require-hashes: a package whose file differs from the one locked is refused, not installed.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r "$lock"
# ecabinet itself, editable, built with the locked setuptools (no isolated build fetching its own).
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
