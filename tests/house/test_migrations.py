"""The schema comes only from Alembic migrations, and the migrations match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from ecabinet import create_app
from ecabinet.config import TestConfig
from ecabinet.extensions import db
from tests.conftest import POSTGRES_URL
from tests.prepare_postgres import ensure_database, server


@pytest.fixture
def empty_database_url(tmp_path):
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_migrations"
    with server(POSTGRES_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    yield ensure_database(POSTGRES_URL, name)
    with server(POSTGRES_URL) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_downgrade_upgrade_leaves_no_pending_change(empty_database_url, tmp_path):
    app = create_app(TestConfig(empty_database_url, str(tmp_path / "storage")))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
            head = conn.execute(text("SELECT seq, hash FROM audit_chain_head")).one()
        assert diff == [], f"models and migrations differ: {diff}"
        assert head.seq == 0
        db.engine.dispose()


def test_migrated_audit_log_refuses_changes(empty_database_url, tmp_path):
    app = create_app(TestConfig(empty_database_url, str(tmp_path / "storage")))
    with app.app_context():
        upgrade()
        from ecabinet.auth import service

        service.create_user(
            None, username="kiemtra", full_name="Kiểm Tra", password="mat-khau-dai", roles=["member"]
        )
        db.session.commit()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("UPDATE audit_entries SET action = 'forged'"))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM audit_entries"))
        db.session.rollback()
        db.engine.dispose()
