"""Installations in name order whatever the case (issue 22, migration 0009): the list, its
CSV and the API order "alpha" between "Zeta"'s neighbours as a person expects, ties by id;
the name indexes carry the same `nocase` collation, so every page is still read from one
covering index range (SQLite: COVERING INDEX; PostgreSQL: Index Only Scan)."""

import csv
import io
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
from webapp.models import ObjectStatus
from webapp.services import integrations as svc
from webapp.services.integrations.listing import InstallationRow, page_statement

NAME_INDEXES = ("ix_org_integration_org_name", "ix_org_integration_org_provider_name",
                "ix_org_integration_org_status_name")
LIST = "/settings/acme/integrations/"


def name_collations() -> dict[str, str]:
    """{index: the collation of its integration_name column} as the database has it."""
    out = {}
    with db.engine.connect() as conn:
        for index in NAME_INDEXES:
            if USING_PG:
                definition = conn.execute(sa.text("SELECT pg_get_indexdef(CAST(:i AS regclass))"),
                                          {"i": index}).scalar_one()
                out[index] = "nocase" if "integration_name COLLATE nocase" in definition else ""
            else:
                rows = conn.exec_driver_sql(f"PRAGMA index_xinfo({index})").all()
                out[index] = next(row[4] for row in rows if row[2] == "integration_name").lower()
    return out


def test_the_name_indexes_compare_names_without_case(app):
    assert name_collations() == dict.fromkeys(NAME_INDEXES, "nocase")


@pytest.fixture
def mixed(org):
    names = ["zeta", "Alpha", "beta", "Gamma", "alpha", "Delta", "epsilon"]
    rows = [factories.install(org, factories.make_integration(
        provider=("slack", "github")[i % 2], name=name), status=ObjectStatus.ACTIVE)
        for i, name in enumerate(names)]
    db.session.commit()
    return rows


EXPECTED = ["Alpha", "alpha", "beta", "Delta", "epsilon", "Gamma", "zeta"]  # "Alpha" added first


@pytest.mark.parametrize("raw, expected", [
    ({}, EXPECTED),
    ({"sort": ["-name"]}, EXPECTED[::-1]),  # the tie reversed too: by id, descending
    ({"status": ["active"]}, EXPECTED),
    ({"provider_key": ["slack"]}, ["alpha", "beta", "epsilon", "zeta"]),
    ({"provider_key": ["github"]}, ["Alpha", "Delta", "Gamma"]),
    ({"sort": ["provider"]}, ["Alpha", "Delta", "Gamma", "alpha", "beta", "epsilon", "zeta"]),
])
def test_every_plan_orders_names_without_case(mixed, org, raw, expected):
    filters = parse_filters(raw)
    assert [row.name for row in svc.list_installations(org, filters, 1, 25).items] == expected
    plain = db.session.execute(svc.installations_query(org, filters)).all()
    assert [InstallationRow._make(row).name for row in plain] == expected  # the CSV's query


def test_the_page_csv_and_api_show_the_same_order(client, login_as, mixed):
    login_as("member")
    page = client.get(LIST).get_data(as_text=True)
    positions = [page.index(f">{name}<") for name in EXPECTED]
    assert positions == sorted(positions)
    rows = list(csv.reader(io.StringIO(client.get(LIST + "?format=csv").get_data(as_text=True))))
    header = rows[0]
    assert [row[header.index("name")] for row in rows[1:]] == EXPECTED
    api = client.get("/api/0/organizations/acme/integrations/")
    assert [item["name"] for item in api.json] == EXPECTED


def explain(statement) -> list[str]:
    """The plan lines of `statement` as the database runs it with these values."""
    expanded = statement.compile(db.engine).construct_expanded_state()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if USING_PG:
            conn.exec_driver_sql("VACUUM ANALYZE organization_integration")
            rows = conn.exec_driver_sql(f"EXPLAIN {expanded.statement}", expanded.parameters)
            return [row[0] for row in rows]
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {expanded.statement}",
                                    tuple(expanded.positional_parameters))
        return [row[3] for row in rows]


@pytest.mark.parametrize("raw, index", [
    ({}, "ix_org_integration_org_name"),
    ({"sort": ["-name"]}, "ix_org_integration_org_name"),
    ({"provider_key": ["github"]}, "ix_org_integration_org_provider_name"),
    ({"status": ["disabled"]}, "ix_org_integration_org_status_name"),
    ({"sort": ["provider"]}, "ix_org_integration_org_provider_name"),
    ({"sort": ["status"]}, "ix_org_integration_org_status_name"),
])
def test_pages_in_name_order_stay_index_driven(org, raw, index):
    """The page's rows come from a covering range of a name index, read in its order
    (no sort of the org's rows): at 600 rows on both databases; bench/README.md has the
    plans at 100,000."""
    providers, names = ("slack", "github", "jira"), ("Alpha", "beta", "Gamma")
    for i in range(600):
        factories.install(org, factories.make_integration(
            provider=providers[i % 3], name=f"{names[i % 3]} {i}"),
            status=(0, 0, 0, 1, 2)[i % 5])
    db.session.commit()
    filters = parse_filters(raw)
    statement, params = page_statement(org, filters, svc.facet_counts(org, filters), 25, 25)
    plan = explain(statement.params(**params))
    text = "\n".join(plan)
    if USING_PG:
        assert f"Index Only Scan using {index}" in text or \
            f"Index Only Scan Backward using {index}" in text, text
    else:
        assert f"USING COVERING INDEX {index}" in text, text
        # Only the page's 25 rows are sorted again (the outer ORDER BY), never a range.
        assert text.count("USE TEMP B-TREE FOR ORDER BY") == 1, text


def test_migration_0009_up_and_down(app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0007")
        triggers = trigger_names()
        assert set(name_collations().values()) in ({""}, {"binary"})
        db.session.remove()
        upgrade()
        assert name_collations() == dict.fromkeys(NAME_INDEXES, "nocase")
        assert trigger_names() == with_later_triggers(triggers)  # plain index DDL: 0003's triggers survive
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "organization_integration" in repr(d)] == []
        db.session.remove()
        downgrade(revision="0007")
        assert set(name_collations().values()) in ({""}, {"binary"})
        assert trigger_names() == triggers
        db.session.remove()


def test_a_users_organizations_come_by_name_whatever_the_case(app):
    from webapp.services.permissions import user_organizations

    user = factories.make_user()
    for slug, name in (("z", "zulu"), ("a", "Bravo"), ("c", "alpha")):
        factories.make_member(factories.make_org(slug=slug, name=name), user, "member")
    db.session.commit()
    assert [org.name for org, _role in user_organizations(user)] == ["alpha", "Bravo", "zulu"]
