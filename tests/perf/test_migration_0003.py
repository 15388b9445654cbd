"""Migration 0003: backfills copies and counts from existing data, downgrades, matches the model."""

import uuid
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import PG_URL, USING_PG
from tests.perf.helpers import assert_exact, load_migration, trigger_names
from webapp.extensions import db

NEW_COLUMNS = {"integration_name", "integration_provider", "integration_external_id"}


@pytest.fixture
def scratch_db_url(tmp_path):
    """A brand-new empty database (SQLite file, or a PostgreSQL database dropped afterwards)."""
    if not USING_PG:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"scratch_0003_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.engine.make_url(PG_URL).set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_upgrade_backfills_downgrade_removes_and_the_model_matches(app_factory, scratch_db_url):
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:  # data written before 0003 existed
            conn.execute(sa.text("INSERT INTO organization (id, slug, name, date_added) VALUES "
                                 "(1, 'a', 'A', '2025-01-01'), (2, 'b', 'B', '2025-01-01')"))
            for i in range(1, 13):
                conn.execute(sa.text(
                    "INSERT INTO integration (id, provider, external_id, name, metadata, status, "
                    "date_added, date_updated) VALUES (:i, :p, :e, :n, '{}', 0, '2025-01-01', "
                    "'2025-01-01')"),
                    {"i": i, "p": ("slack", "github", "jira")[i % 3], "e": f"E{i}", "n": f"N {i}"})
                conn.execute(sa.text(
                    "INSERT INTO organization_integration (organization_id, integration_id, config, "
                    "status, date_added, date_updated, version) VALUES (:o, :i, '{}', :s, "
                    "'2025-01-01', '2025-01-01', 1)"),
                    {"o": 1 + i % 2, "i": i, "s": i % 4})
        upgrade()
        assert NEW_COLUMNS <= columns("organization_integration")
        assert_exact()
        dialect = "postgresql" if USING_PG else "sqlite"
        assert set(load_migration().TRIGGER_NAMES[dialect]) <= trigger_names()
        indexes = {ix["name"]: ix["column_names"]
                   for ix in sa.inspect(db.engine).get_indexes("organization_integration")}
        assert indexes["ix_org_integration_org_name"][:3] == ["organization_id", "integration_name", "id"]
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "organization_integration" in repr(d)] == []
        db.session.remove()

        downgrade(revision="0002")
        assert not NEW_COLUMNS & columns("organization_integration")
        assert "organization_integration_count" not in sa.inspect(db.engine).get_table_names()
        assert trigger_names() == set()
        upgrade()
        assert_exact()
        db.session.remove()
