"""Migration 0008: install requests keep their resolution's reason; existing rows get ""
(no reason), downgrade drops the column, and the model matches the migrated table."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.perf.test_migration_0003 import columns, scratch_db_url  # noqa: F401 (a fixture)
from webapp.extensions import db

TABLE = "integration_request"


def test_upgrade_adds_the_reason_downgrade_drops_it_and_the_model_matches(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:  # a request resolved before 0008 existed
            conn.execute(sa.text("INSERT INTO organization (id, slug, name, date_added) "
                                 "VALUES (1, 'a', 'A', '2025-01-01')"))
            conn.execute(sa.text(
                "INSERT INTO integration_request (id, organization_id, provider_type, provider_slug, "
                "provider_name, message, status, date_added, date_resolved) VALUES "
                "(1, 1, 'plugin', 'trello', 'Trello', '', 'dismissed', '2025-01-01', '2025-01-02')"))
        assert "resolution_reason" not in columns(TABLE)
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT resolution_reason FROM {TABLE}")).scalar_one() == ""
            diffs = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
                diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if TABLE in repr(d)] == []
        db.session.remove()
        downgrade(revision="0007")
        assert "resolution_reason" not in columns(TABLE)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT status FROM {TABLE}")).scalar_one() == "dismissed"
        upgrade()
        assert "resolution_reason" in columns(TABLE)
        db.session.remove()
