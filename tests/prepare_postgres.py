"""The tests' PostgreSQL databases: made when missing, one place for how (test.sh, conftest, migrations).

As a script (test.sh): make sure the test database exists; exit 1 when no PostgreSQL server answers."""

from __future__ import annotations

import sys

import psycopg
from sqlalchemy.engine import make_url


def server(url: str, **options) -> psycopg.Connection:
    """A connection to the server of `url`, on its maintenance database, where databases are made."""
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
        autocommit=True,
        **options,
    )


def ensure_database(url: str, name: str | None = None, **options) -> str:
    """`url` with its database (or `name` on its server), made if missing."""
    parsed = make_url(url)
    name = name or parsed.database
    with server(url, **options) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    try:
        ensure_database(sys.argv[1], connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL: {exc}".strip(), file=sys.stderr)
        sys.exit(1)
