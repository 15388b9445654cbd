"""Migration 0005: the project index of one plugin's page; the model matches it, and the
triggers of migration 0004 on `project` survive it both ways."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.perf.helpers import trigger_names, with_later_triggers
from tests.perf.test_migration_0003 import scratch_db_url  # noqa: F401 (a fixture)
from webapp.extensions import db

INDEX = "ix_project_org_status_slug"


def project_indexes() -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"] for ix in sa.inspect(db.engine).get_indexes("project")}


def test_upgrade_adds_the_index_downgrade_removes_it_and_the_model_matches(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0004")
        triggers = trigger_names()
        db.session.remove()
        upgrade()
        assert project_indexes()[INDEX] == ["organization_id", "status", "slug", "id"]
        assert trigger_names() == with_later_triggers(triggers)
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "'project'" in repr(d) or INDEX in repr(d)] == []
        db.session.remove()
        downgrade(revision="0004")
        assert INDEX not in project_indexes()
        assert trigger_names() == triggers
        db.session.remove()
