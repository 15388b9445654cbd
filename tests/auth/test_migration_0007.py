"""Migration 0007: the login_attempt table, created and dropped again; the model matches it."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.perf.test_migration_0003 import scratch_db_url  # noqa: F401 (a fixture)
from webapp.extensions import db

TABLE = "login_attempt"


def test_upgrade_creates_the_table_downgrade_drops_it_and_the_model_matches(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0006")
        assert TABLE not in sa.inspect(db.engine).get_table_names()
        upgrade()
        indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(db.engine).get_indexes(TABLE)}
        assert indexes == {
            "ix_login_attempt_email_address": ["email", "address", "attempted_at"],
            "ix_login_attempt_address": ["address", "attempted_at"],
            "ix_login_attempt_attempted_at": ["attempted_at"],
        }
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if TABLE in repr(d)] == []
        db.session.remove()
        downgrade(revision="0006")
        assert TABLE not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert TABLE in sa.inspect(db.engine).get_table_names()
        db.session.remove()
