"""Migration 0006: the provider index holds the external id, so the search box's count
reads an index alone; the model matches it, and the triggers of migration 0003 survive it
both ways."""

import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests import factories
from tests.conftest import USING_PG
from tests.integrations.helpers import parse_filters
from tests.perf.helpers import trigger_names, with_later_triggers
from tests.perf.test_migration_0003 import scratch_db_url  # noqa: F401 (a fixture)
from webapp.extensions import db
from webapp.services.integrations.counts import matrix_statement

INDEX = "ix_org_integration_org_provider_name"
COLUMNS = ["organization_id", "integration_provider", "integration_name", "id", "status"]


def indexes() -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"]
            for ix in sa.inspect(db.engine).get_indexes("organization_integration")}


def test_upgrade_extends_the_index_downgrade_restores_it_and_the_model_matches(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0005")
        triggers = trigger_names()
        db.session.remove()
        upgrade()
        assert indexes()[INDEX] == COLUMNS + ["integration_external_id"]
        assert trigger_names() == with_later_triggers(triggers)
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if INDEX in repr(d)] == []
        db.session.remove()
        downgrade(revision="0005")
        assert indexes()[INDEX] == COLUMNS
        assert trigger_names() == triggers
        db.session.remove()


@pytest.mark.skipif(USING_PG, reason="PostgreSQL plans from its statistics (bench/README.md)")
def test_the_search_count_reads_no_table_row(org):
    """Whatever index the database picks for the search's grouped count, it covers the
    name and the external id (SQLite: no table row is read for each entry)."""
    factories.install(org, factories.make_integration(provider="github", name="Ops GitHub"))
    db.session.commit()
    statement = matrix_statement(org, parse_filters({"q": "ops"}))
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " ".join(row[3] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "COVERING INDEX" in plan, plan
