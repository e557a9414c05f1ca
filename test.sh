#!/usr/bin/env bash
# Run the whole test suite: on SQLite, then again on PostgreSQL when one is reachable
# (TEST_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/ecabinet_test).
# CI sets REQUIRE_POSTGRES=1 so that a missing server is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")"
requirements/install.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .

# Two workers (pytest-xdist): the machines have two cores and much of a test's time is spent waiting
# on sockets, browsers and servers. PYTEST_WORKERS=0 runs in one process.
WORKERS=(-n "${PYTEST_WORKERS:-2}")

echo "== test suite on SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest "${WORKERS[@]}" "$@"

PG_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/ecabinet_test}
if .venv/bin/python tests/prepare_postgres.py "$PG_URL"; then
  echo "== test suite on PostgreSQL"
  TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "${WORKERS[@]}" "$@"
elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable at $PG_URL" >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: its run is skipped"
fi
