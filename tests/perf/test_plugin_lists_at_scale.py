"""Plugin project lists at scale (migration 0004): trigger-kept copies, has_value, same rows.

project_plugin_option.project_{organization_id,slug,status} are written by database
triggers only, has_value is a generated column. Each test writes one way — ORM, bulk Core
inserts, COPY (seed-demo on PostgreSQL), raw SQL, project renames / status changes /
deletes, load-data, a random mix — and compares every copy with its Project and every
has_value with the service's SQL predicate. The lists the configs page, the API and the
CSV read from the index are compared with the plain query over projects (the old plan).
"""

import importlib.util
import json
import random
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import g
from flask_migrate import downgrade, upgrade

from tests import factories
from tests.conftest import USING_PG
from tests.perf.helpers import trigger_names
from tests.perf.test_migration_0003 import columns, scratch_db_url  # noqa: F401 (a fixture)
from webapp.catalog.plugins import PLUGINS, is_configured, plugins_with_configuration
from webapp.commands.demo import seed_demo
from webapp.extensions import db
from webapp.models import ObjectStatus, Organization, Project, ProjectPluginOption
from webapp.services.plugins.lists import (
    plugin_project_lists,
    plugin_project_previews,
    project_lists_statement,
)
from webapp.services.plugins.predicates import has_value_sql, truthy_sql

S = ObjectStatus
PPO = ProjectPluginOption
MIGRATION = (Path(__file__).resolve().parents[2]
             / "migrations/versions/0004_plugin_lists_at_scale.py")
COPIES = {"project_organization_id", "project_slug", "project_status", "has_value"}
VALUES = [None, False, True, "", "x", "false", "0", 0, 1, 0.0, [], ["a"], {}, {"a": 1}]


def load_migration():
    spec = importlib.util.spec_from_file_location("migration_0004", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wrong_rows() -> list:
    """Options whose copies differ from their Project (a missing project must read as
    org 0, slug '', status -1), or whose has_value differs from has_value_sql(value)."""
    db.session.flush()
    project = sa.orm.aliased(Project)
    copy_ok = sa.and_(
        PPO.project_organization_id == sa.func.coalesce(project.organization_id, 0),
        PPO.project_slug == sa.func.coalesce(project.slug, ""),
        PPO.project_status == sa.func.coalesce(project.status, -1),
    )
    flag_ok = sa.func.coalesce(PPO.has_value, False) == has_value_sql(PPO.value)
    return list(db.session.execute(
        sa.select(PPO.id, PPO.project_id, PPO.project_organization_id, PPO.project_slug,
                  PPO.project_status, PPO.has_value, project.id)
        .outerjoin(project, project.id == PPO.project_id)
        .where(~sa.and_(copy_ok, flag_ok))
    ))


def plain_lists(org_id: int, plugins) -> dict[str, list[tuple[int, str, str, str | None, bool]]]:
    """The project lists by the plain query (the plan before 0004): the org's ACTIVE
    projects joined to the required option, by slug, with the `enabled` option's truth."""
    out = {}
    for plugin in plugins:
        required = sa.orm.aliased(PPO)
        enabled = sa.orm.aliased(PPO)
        rows = db.session.execute(
            sa.select(Project.id, Project.slug, Project.name, Project.platform,
                      truthy_sql(enabled.value))
            .join(required, sa.and_(required.project_id == Project.id,
                                    required.plugin == plugin.slug,
                                    required.key == plugin.required_field))
            .outerjoin(enabled, sa.and_(enabled.project_id == Project.id,
                                        enabled.plugin == plugin.slug, enabled.key == "enabled"))
            .where(Project.organization_id == org_id, Project.status == int(S.ACTIVE),
                   has_value_sql(required.value))
            .order_by(Project.slug, Project.id)
        )
        out[plugin.slug] = [(i, s, n, p, bool(e)) for i, s, n, p, e in rows]
    return out


def assert_lists_match(org) -> None:
    """plugin_project_lists and plugin_project_previews give the plain query's rows."""
    plugins = list(PLUGINS.values())
    expected = plain_lists(org.id, plugins)
    got = plugin_project_lists(org, plugins)
    assert {slug: [(e.project_id, e.project_slug, e.project_name, e.platform, e.enabled)
                   for e in entries] for slug, entries in got.items()} == expected
    previews = plugin_project_previews(org, plugins, limit=3)
    for slug, rows in expected.items():
        preview = previews[slug]
        assert [e.project_id for e in preview.entries] == [r[0] for r in rows[:3]], slug
        assert preview.has_more == (len(rows) > 3), slug
        assert preview.total == len(rows), slug  # the configs page's exact count


def assert_exact(*orgs) -> None:
    assert wrong_rows() == []
    for org in orgs:
        assert_lists_match(org)


@pytest.fixture
def two_orgs(org):
    other = factories.make_org(slug="other", name="Other")
    db.session.commit()
    return org, other


def fill(org, n, rng, prefix="p"):
    """n projects of mixed statuses, each with a few options of mixed values."""
    plugins = plugins_with_configuration()
    for i in range(n):
        project = factories.make_project(org, slug=f"{prefix}-{rng.randrange(10**6):06d}-{i}",
                                         status=rng.choice([S.ACTIVE, S.ACTIVE, S.DISABLED,
                                                            S.PENDING_DELETION]))
        for plugin in rng.sample(plugins, rng.randrange(4)):
            factories.set_plugin_option(project, plugin.slug, plugin.required_field,
                                        rng.choice(VALUES))
            if rng.random() < 0.7:
                factories.set_plugin_option(project, plugin.slug, "enabled", rng.choice(VALUES))


def test_the_migration_installed_its_triggers(app):
    dialect = "postgresql" if USING_PG else "sqlite"
    assert set(load_migration().TRIGGER_NAMES[dialect]) <= trigger_names()


def test_orm_inserts_copy_the_project_and_flag_every_value(two_orgs):
    org, other = two_orgs
    fill(org, 25, random.Random(1))
    fill(other, 10, random.Random(2))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PPO)) > 20
    assert_exact(org, other)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_has_value_follows_the_catalog_rule_for_every_value(org, value):
    project = factories.make_project(org, slug="p")
    option = factories.set_plugin_option(project, "trello", "key", value)
    db.session.commit()
    db.session.expire_all()
    assert bool(option.has_value) == is_configured(PLUGINS["trello"], {"key": value})
    assert_exact(org)


def test_orm_updates_and_deletes_of_options_keep_everything_exact(org):
    rng = random.Random(3)
    fill(org, 20, rng)
    db.session.commit()
    options = list(db.session.scalars(sa.select(PPO)))
    for option in options[::2]:
        option.value = rng.choice(VALUES)
    for option in options[1::5]:
        db.session.delete(option)
    db.session.commit()
    assert_exact(org)


def test_bulk_core_inserts_copy_the_project(two_orgs):
    org, other = two_orgs
    projects = [factories.make_project(o, slug=f"bulk-{i}", status=(S.ACTIVE, S.DISABLED)[i // 2 % 2])
                for i, o in enumerate([org, other] * 6)]
    db.session.commit()
    rows = [{"project_id": p.id, "plugin": "trello", "key": key, "value": value}
            for p in projects for key, value in (("key", f"k{p.id}"), ("enabled", p.id % 3 == 0))]
    db.session.execute(sa.insert(PPO), rows)
    db.session.commit()
    assert_exact(org, other)
    assert len(plugin_project_lists(org, [PLUGINS["trello"]])["trello"]) == 3


def test_seed_demo_bulk_and_copy_inserts_copy_the_project(app):
    """seed-demo writes with multi-row INSERTs (SQLite) or COPY (PostgreSQL)."""
    seed_demo(scale=1)
    db.session.commit()
    demo = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    assert wrong_rows() == []
    assert_lists_match(demo)


def test_project_rename_status_change_and_move_rewrite_the_copies(two_orgs):
    org, other = two_orgs
    fill(org, 12, random.Random(4))
    db.session.commit()
    projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
    projects[0].slug = "zz-renamed"
    projects[1].status = int(S.DISABLED)
    projects[2].status = int(S.ACTIVE)
    projects[3].organization = other
    db.session.commit()
    assert_exact(org, other)
    db.session.execute(sa.text("UPDATE project SET slug = slug || '-x', status = 0 WHERE id % 2 = 0"))
    db.session.commit()
    db.session.expire_all()
    assert_exact(org, other)


def test_project_delete_takes_its_options(two_orgs):
    org, other = two_orgs
    fill(org, 10, random.Random(5))
    db.session.commit()
    projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
    gone = [p.id for p in projects[:4]]
    db.session.execute(sa.text("DELETE FROM project WHERE id = :id"), {"id": gone[0]})
    for project in projects[1:4]:
        db.session.delete(project)
    db.session.commit()
    left = db.session.scalar(sa.select(sa.func.count()).select_from(PPO)
                             .where(PPO.project_id.in_(gone)))
    assert left == 0
    assert_exact(org, other)


def test_raw_sql_writes_cannot_forge_the_copies(org):
    project = factories.make_project(org, slug="real")
    elsewhere = factories.make_project(factories.make_org(slug="elsewhere"), slug="far")
    db.session.commit()
    db.session.execute(sa.text(
        "INSERT INTO project_plugin_option (project_id, plugin, key, value, "
        "project_organization_id, project_slug, project_status) "
        "VALUES (:p, 'trello', 'key', '\"k\"', 999, 'forged', 3)"), {"p": project.id})
    db.session.commit()
    assert_exact(org)
    db.session.execute(sa.text("UPDATE project_plugin_option SET project_slug = 'forged', "
                               "project_status = 2, project_organization_id = 7"))
    db.session.commit()
    assert_exact(org)
    db.session.execute(sa.text("UPDATE project_plugin_option SET project_id = :p"),
                       {"p": elsewhere.id})
    db.session.commit()
    assert_exact(org)
    assert plugin_project_lists(org, [PLUGINS["trello"]]) == {"trello": []}


def test_load_data_creates_and_updates_copy_the_project(app, runner, tmp_path, org):
    data = {"organizations": [{
        "slug": "loaded", "name": "Loaded",
        "projects": [{"slug": f"l-{i}", "name": f"L {i}", "platform": "go",
                      "status": ("active", "disabled")[i % 2]} for i in range(6)],
        "plugin_options": [{"project": f"l-{i}", "plugin": "trello", "key": "key",
                            "value": ("k", "", None)[i % 3]} for i in range(6)],
    }]}
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    loaded = db.session.scalar(sa.select(Project.organization_id).where(Project.slug == "l-0"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PPO)
                             .where(PPO.project_organization_id == loaded)) >= 4
    assert wrong_rows() == []
    for project in data["organizations"][0]["projects"]:
        project["status"] = "active"
    for option in data["organizations"][0]["plugin_options"]:
        option["value"] = "changed"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert wrong_rows() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PPO).where(
        PPO.project_organization_id == loaded, PPO.has_value == sa.true(),
        PPO.project_status == int(S.ACTIVE))) == 6


def test_a_random_mix_of_writes_keeps_every_copy_exact(two_orgs):
    """200 random writes of every kind, checked every 25 and at the end."""
    org, other = two_orgs
    rng = random.Random(11)
    plugins = plugins_with_configuration()
    fill(org, 15, rng, "a")
    fill(other, 15, rng, "b")
    db.session.commit()
    for step in range(200):
        projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
        options = list(db.session.scalars(sa.select(PPO).order_by(PPO.id)))
        project = rng.choice(projects)
        action = rng.randrange(7)
        if action == 0:
            plugin = rng.choice(plugins)
            key = rng.choice([plugin.required_field, "enabled"])
            if not any(o.project_id == project.id and o.plugin == plugin.slug and o.key == key
                       for o in options):
                factories.set_plugin_option(project, plugin.slug, key, rng.choice(VALUES))
        elif action == 1 and options:
            rng.choice(options).value = rng.choice(VALUES)
        elif action == 2 and options:
            db.session.delete(rng.choice(options))
        elif action == 3:
            project.slug = f"{project.slug[:40]}-{step}"
        elif action == 4:
            db.session.execute(sa.text("UPDATE project SET status = :s WHERE id = :id"),
                               {"s": rng.randrange(4), "id": project.id})
        elif action == 5:
            project.organization_id = rng.choice((org, other)).id
            project.slug = f"moved-{step}"
        else:
            db.session.delete(project)
        db.session.commit()
        db.session.expire_all()
        if step % 25 == 24:
            assert wrong_rows() == []
    assert_exact(org, other)


def test_the_configs_api_gives_the_plain_querys_rows(client, login_as, org):
    fill(org, 30, random.Random(8))
    db.session.commit()
    login_as("member")
    body = client.get("/api/0/organizations/acme/plugins/configs/").get_json()
    expected = plain_lists(org.id, plugins_with_configuration())
    got = {item["slug"]: [(int(p["projectId"]), p["projectSlug"], bool(p["enabled"]))
                          for p in item["projectList"]] for item in body}
    assert got == {slug: [(r[0], r[1], r[4]) for r in rows] for slug, rows in expected.items()}
    assert set(got) == set(expected)


def test_upgrade_backfills_downgrade_removes_and_the_model_matches(app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:  # data written before 0004 existed
            conn.execute(sa.text("INSERT INTO organization (id, slug, name, date_added) VALUES "
                                 "(1, 'a', 'A', '2025-01-01'), (2, 'b', 'B', '2025-01-01')"))
            for i in range(1, 9):
                conn.execute(sa.text(
                    "INSERT INTO project (id, organization_id, slug, name, status, date_added) "
                    "VALUES (:i, :o, :s, :s, :st, '2025-01-01')"),
                    {"i": i, "o": 1 + i % 2, "s": f"p{i}", "st": i % 3})
                for key, value in (("key", json.dumps(("k", "", None, 0)[i % 4])),
                                   ("enabled", "true")):
                    conn.execute(sa.text(
                        "INSERT INTO project_plugin_option (project_id, plugin, key, value) "
                        "VALUES (:p, 'trello', :k, :v)"), {"p": i, "k": key, "v": value})
        upgrade()
        assert COPIES <= columns("project_plugin_option")
        assert wrong_rows() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PPO)
                                 .where(PPO.project_slug == "p3", PPO.key == "key",
                                        PPO.has_value == sa.true())) == 1
        dialect = "postgresql" if USING_PG else "sqlite"
        assert set(load_migration().TRIGGER_NAMES[dialect]) <= trigger_names()
        indexes = {ix["name"]: ix["column_names"]
                   for ix in sa.inspect(db.engine).get_indexes("project_plugin_option")}
        assert indexes["ix_project_plugin_option_list"][:4] == [
            "project_organization_id", "plugin", "key", "has_value"]
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "project_plugin_option" in repr(d)] == []
        db.session.remove()

        downgrade(revision="0003")
        assert not COPIES & columns("project_plugin_option")
        assert not set(load_migration().TRIGGER_NAMES[dialect]) & trigger_names()
        upgrade()
        assert wrong_rows() == []
        db.session.remove()


def page_statements(client, count_queries, url) -> int:
    db.session.remove()  # a fresh request, as in production (tests share one app context)
    g.pop("_login_user", None)
    with count_queries() as counter:
        response = client.get(url)
        body = response.get_data()  # a streamed response (CSV) runs its queries now
    assert response.status_code == 200 and body, url
    return counter.count


@pytest.mark.parametrize("url", [
    "/settings/acme/plugins/",
    "/settings/acme/plugins/?plugins=trello&plugins=slack",
    "/settings/acme/plugins/?format=csv",
    "/api/0/organizations/acme/plugins/configs/",
])
def test_plugin_lists_cost_the_same_statements_at_5_and_300_projects(client, login_as, org,
                                                                     count_queries, url):
    login_as("member")
    counts, org_id = [], org.id
    for n, seed in ((5, 1), (295, 2)):
        fill(db.session.get(Organization, org_id), n, random.Random(seed), prefix=f"s{n}")
        db.session.commit()
        counts.append(page_statements(client, count_queries, url))
    # The page: user and org access (authentication), saved views, ONE statement for
    # every plugin's list (and the layout's org switcher where it is not cached).
    assert counts[0] == counts[1] <= 5, counts


def test_the_configs_counts_read_the_kept_counts(two_orgs):
    """The configs page's exact counts (issue 22) are read from plugin_option_count (kept on
    write, migration 0012), one row per plugin by its unique index, inside the page's one
    statement: no plugin's range of option rows is counted any more."""
    org, other = two_orgs
    fill(org, 150, random.Random(3))
    fill(other, 150, random.Random(4), prefix="o")
    db.session.commit()
    plugins = tuple(plugins_with_configuration())
    query = project_lists_statement(plugins, 6, db.engine.dialect.name, counts=True)
    sql = str(query.params(org_id=org.id).compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if USING_PG:
            connection.exec_driver_sql("VACUUM ANALYZE plugin_option_count")
            plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}")]
        else:
            plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    text = "\n".join(plan)
    assert "plugin_option_count" in text, text
    assert "Aggregate" not in text and "counted_option" not in text, text
    if not USING_PG:
        assert "SEARCH plugin_option_count USING INDEX sqlite_autoindex_plugin_option_count_1 " \
               "(organization_id=? AND plugin=? AND key=?)" in text, text
    assert previews_total(org) == {slug: len(rows) for slug, rows in
                                   plain_lists(org.id, list(plugins)).items()}


def previews_total(org) -> dict[str, int]:
    return {slug: preview.total for slug, preview in
            plugin_project_previews(org, list(plugins_with_configuration()), limit=6).items()}
