"""Migration 0011_provider_policy: the provider_policy table, created and dropped again; the
model matches it."""

import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.perf.test_migration_0003 import scratch_db_url  # noqa: F401 (a fixture)
from webapp.extensions import db

TABLE = "provider_policy"
REVISION = "0011_provider_policy"


def test_upgrade_creates_the_table_downgrade_drops_it_and_the_model_matches(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0010_directory_login")
        assert TABLE not in sa.inspect(db.engine).get_table_names()
        upgrade(revision=REVISION)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns(TABLE)}
        assert columns == {"id", "organization_id", "mode", "reason", "providers", "version",
                           "date_updated", "updated_by_id"}
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if TABLE in repr(d)] == []
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organization (slug, name, date_added) "
                                 "VALUES ('o', 'O', '2026-01-01')"))
        bad = sa.text("INSERT INTO provider_policy (organization_id, mode, reason, providers, "
                      "version, date_updated) SELECT id, 'sometimes', '', '[]', 1, "
                      "'2026-01-01' FROM organization")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(bad)  # the mode's CHECK constraint
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM organization"))
        db.session.remove()
        downgrade(revision="0010_directory_login")
        assert TABLE not in sa.inspect(db.engine).get_table_names()
        upgrade()
        db.session.remove()
