"""The plugin option counts stay exact on every write path (migration 0012).

plugin_option_count is written by database triggers only. Each test changes data one way —
ORM inserts, option values set to empty and back, option deletes, the settings service,
bulk Core inserts, COPY (seed-demo on PostgreSQL), projects archived / restored / moved /
deleted, an organization deleted, raw SQL (forged copies included), TRUNCATE, load-data, a
random mix — and compares the counts with a COUNT made now over the options joined to
their project (the truth the copies of 0004 stand for), and the configs page's numbers
with the length of each plugin's whole list.
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
from flask_migrate import downgrade, upgrade

from tests import factories
from tests.conftest import USING_PG
from tests.perf.helpers import trigger_names
from tests.perf.test_migration_0003 import scratch_db_url  # noqa: F401 (a fixture)
from tests.perf.test_plugin_lists_at_scale import VALUES, fill, plain_lists, wrong_rows
from webapp.catalog.plugins import PLUGINS, plugins_with_configuration
from webapp.commands.demo import seed_demo
from webapp.extensions import db
from webapp.models import (
    ObjectStatus,
    Organization,
    PluginOptionCount,
    Project,
    ProjectPluginOption,
)
from webapp.services.plugins.lists import plugin_project_previews
from webapp.services.plugins.predicates import has_value_sql
from webapp.services.plugins.settings import update_plugin_settings

S = ObjectStatus
PPO = ProjectPluginOption
MIGRATION = (Path(__file__).resolve().parents[2]
             / "migrations/versions/0012_plugin_option_counts.py")
REVISION = "0012_plugin_option_counts"


def load_migration():
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_copy_per_row() -> bool:
    """PostgreSQL: whether 0004's project_plugin_copy trigger runs per row (0012: per statement)."""
    return bool(db.session.scalar(sa.text(
        "SELECT tgtype & 1 FROM pg_trigger WHERE tgname = 'project_plugin_copy'")))


def counted(org_id: int | None = None) -> dict[tuple[int, str, str], int]:
    """{(org, plugin, key): n} from plugin_option_count (rows at 0 left out)."""
    c = PluginOptionCount
    query = sa.select(c.organization_id, c.plugin, c.key, c.projects)
    if org_id is not None:
        query = query.where(c.organization_id == org_id)
    return {(o, p, k): n for o, p, k, n in db.session.execute(query) if n != 0}


def brute_force(org_id: int | None = None) -> dict[tuple[int, str, str], int]:
    """The same counted now: options holding a value whose project exists and is ACTIVE, by
    the project's organization."""
    query = (
        sa.select(Project.organization_id, PPO.plugin, PPO.key, sa.func.count())
        .join(Project, Project.id == PPO.project_id)
        .where(Project.status == int(S.ACTIVE), has_value_sql(PPO.value))
        .group_by(Project.organization_id, PPO.plugin, PPO.key)
    )
    if org_id is not None:
        query = query.where(Project.organization_id == org_id)
    return {(o, p, k): n for o, p, k, n in db.session.execute(query)}


def page_totals(org) -> dict[str, int]:
    """The configs page's number for every plugin (what the filter, sections and jump list say)."""
    return {slug: preview.total for slug, preview in
            plugin_project_previews(org, list(PLUGINS.values()), limit=5).items()}


def assert_exact(*orgs) -> None:
    """Counts equal a brute-force COUNT, and the page's numbers the length of each list; the
    option rows' copies of their project (which the counts follow) are right."""
    db.session.flush()
    assert wrong_rows() == []
    assert counted() == brute_force()
    assert all(n >= 0 for n in counted().values())
    for org in orgs:
        lists = plain_lists(org.id, list(PLUGINS.values()))
        assert page_totals(org) == {slug: len(rows) for slug, rows in lists.items()}


@pytest.fixture
def two_orgs(org):
    other = factories.make_org(slug="other", name="Other")
    db.session.commit()
    return org, other


def test_the_migration_installed_its_triggers(app):
    dialect = "postgresql" if USING_PG else "sqlite"
    assert set(load_migration().TRIGGER_NAMES[dialect]) <= trigger_names()


def test_orm_inserts_are_counted_per_org(two_orgs):
    org, other = two_orgs
    fill(org, 30, random.Random(1))
    fill(other, 12, random.Random(2), prefix="o")
    db.session.commit()
    assert counted(org.id) != {} and counted(other.id) != {}
    assert_exact(org, other)


def test_an_option_set_to_empty_and_back_and_deleted_moves_its_count(org):
    project = factories.make_project(org, slug="p")
    option = factories.set_plugin_option(project, "trello", "key", "k")
    db.session.commit()
    assert counted(org.id) == {(org.id, "trello", "key"): 1}
    assert page_totals(org)["trello"] == 1
    for empty in ("", None, False):
        option.value = empty
        db.session.commit()
        assert counted(org.id) == {}
        assert page_totals(org)["trello"] == 0
        option.value = "again"
        db.session.commit()
        assert counted(org.id) == {(org.id, "trello", "key"): 1}
    db.session.delete(option)
    db.session.commit()
    assert counted(org.id) == {}
    assert_exact(org)


def test_orm_updates_and_deletes_of_many_options_keep_the_counts(org):
    rng = random.Random(3)
    fill(org, 25, rng)
    db.session.commit()
    options = list(db.session.scalars(sa.select(PPO)))
    for option in options[::2]:
        option.value = rng.choice(VALUES)
    for option in options[1::5]:
        db.session.delete(option)
    db.session.commit()
    assert_exact(org)


def test_the_settings_service_moves_the_count(org, login_as):
    actor = login_as("owner")
    project = factories.make_project(org, slug="svc")
    db.session.commit()
    update_plugin_settings(actor, org, PLUGINS["trello"], "svc", {"key": "abc", "token": "t"})
    db.session.commit()
    assert page_totals(org)["trello"] == 1
    assert counted(org.id)[(org.id, "trello", "key")] == 1
    db.session.execute(sa.delete(PPO).where(PPO.project_id == project.id, PPO.key == "key"))
    db.session.commit()
    assert page_totals(org)["trello"] == 0
    assert_exact(org)


def test_bulk_core_inserts_are_counted(two_orgs):
    org, other = two_orgs
    projects = [factories.make_project(o, slug=f"bulk-{i}", status=(S.ACTIVE, S.DISABLED)[i // 2 % 2])
                for i, o in enumerate([org, other] * 6)]
    db.session.commit()
    db.session.execute(sa.insert(PPO), [
        {"project_id": p.id, "plugin": "trello", "key": key, "value": value}
        for p in projects for key, value in (("key", f"k{p.id}" if p.id % 4 else ""),
                                             ("enabled", True))])
    db.session.commit()
    assert_exact(org, other)


def test_seed_demo_bulk_and_copy_inserts_are_counted(app):
    """seed-demo writes with multi-row INSERTs (SQLite) or COPY (PostgreSQL)."""
    seed_demo(scale=1)
    db.session.commit()
    demo = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    assert sum(counted(demo.id).values()) > 0
    assert_exact(demo)


def test_projects_archived_restored_and_moved_move_the_counts(two_orgs):
    org, other = two_orgs
    fill(org, 20, random.Random(4))
    db.session.commit()
    projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
    projects[0].status = int(S.DISABLED)  # archived
    projects[1].status = int(S.PENDING_DELETION)
    projects[2].status = int(S.ACTIVE)  # restored
    projects[3].organization = other  # moved: its counts go with it
    projects[4].slug = "zz-renamed"  # a rename counts nothing
    db.session.commit()
    assert_exact(org, other)
    db.session.execute(sa.text("UPDATE project SET status = 1 WHERE id % 2 = 0"))
    db.session.commit()
    assert_exact(org, other)
    db.session.execute(sa.text("UPDATE project SET status = 0"))
    db.session.commit()
    db.session.expire_all()
    assert_exact(org, other)
    # One statement moving some projects and renaming others, then one that changes no copy.
    db.session.execute(sa.text(
        "UPDATE project SET organization_id = CASE WHEN id % 3 = 0 THEN :o ELSE organization_id END, "
        "slug = slug || '-m', status = CASE WHEN id % 4 = 0 THEN 1 ELSE status END"), {"o": other.id})
    db.session.execute(sa.text("UPDATE project SET name = name || ' (renamed)'"))
    db.session.commit()
    db.session.expire_all()
    assert_exact(org, other)


def test_deleted_projects_take_their_counts(two_orgs):
    org, other = two_orgs
    fill(org, 14, random.Random(5))
    fill(other, 6, random.Random(6), prefix="o")
    db.session.commit()
    projects = list(db.session.scalars(sa.select(Project).where(Project.organization_id == org.id)
                                       .order_by(Project.id)))
    db.session.execute(sa.text("DELETE FROM project WHERE id = :id"), {"id": projects[0].id})
    for project in projects[1:6]:
        db.session.delete(project)
    db.session.commit()
    assert_exact(org, other)


def test_deleting_an_organization_keeps_the_other_orgs_counts(two_orgs):
    org, other = two_orgs
    fill(org, 10, random.Random(7))
    fill(other, 10, random.Random(8), prefix="o")
    db.session.commit()
    org_id, other_id = org.id, other.id
    kept = counted(other_id)
    assert kept != {}
    db.session.execute(sa.text("DELETE FROM organization WHERE id = :id"), {"id": org_id})
    db.session.commit()
    assert counted(other_id) == kept == brute_force(other_id)
    if USING_PG:  # SQLite does not enforce the declared ON DELETE CASCADE (no PRAGMA here)
        assert counted(org_id) == {} == brute_force(org_id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginOptionCount)
                                 .where(PluginOptionCount.organization_id == org_id)) == 0


def test_raw_sql_writes_and_forged_copies_are_counted_by_the_truth(two_orgs):
    org, other = two_orgs
    project = factories.make_project(org, slug="real")
    archived = factories.make_project(org, slug="archived", status=S.DISABLED)
    far = factories.make_project(other, slug="far")
    db.session.commit()
    # Copies forged to look counted, then to look not counted: 0004's triggers put them back.
    db.session.execute(sa.text(
        "INSERT INTO project_plugin_option (project_id, plugin, key, value, "
        "project_organization_id, project_slug, project_status) "
        "VALUES (:p, 'trello', 'key', '\"k\"', :o, 'forged', 0)"), {"p": archived.id, "o": other.id})
    db.session.execute(sa.text(
        "INSERT INTO project_plugin_option (project_id, plugin, key, value, "
        "project_organization_id, project_slug, project_status) "
        "VALUES (:p, 'trello', 'key', '\"k\"', 0, 'forged', 3)"), {"p": project.id})
    db.session.commit()
    assert_exact(org, other)
    assert counted() == {(org.id, "trello", "key"): 1}
    db.session.execute(sa.text("UPDATE project_plugin_option SET project_status = 2, "
                               "project_organization_id = 7"))
    db.session.commit()
    assert_exact(org, other)
    # The plugin, the key or the project changed by hand.
    db.session.execute(sa.text("UPDATE project_plugin_option SET plugin = 'asana' "
                               "WHERE project_id = :p"), {"p": project.id})
    db.session.commit()
    assert counted() == {(org.id, "asana", "key"): 1}
    db.session.execute(sa.text("UPDATE project_plugin_option SET key = 'workspace' "
                               "WHERE project_id = :p"), {"p": project.id})
    db.session.execute(sa.text("UPDATE project_plugin_option SET project_id = :f "
                               "WHERE project_id = :p"), {"f": far.id, "p": project.id})
    db.session.commit()
    assert counted() == {(other.id, "asana", "workspace"): 1}
    db.session.execute(sa.text("UPDATE project_plugin_option SET project_id = :a"),
                       {"a": archived.id})
    db.session.commit()
    assert counted() == {}
    assert_exact(org, other)


@pytest.mark.skipif(not USING_PG, reason="TRUNCATE is PostgreSQL's")
def test_truncate_clears_the_counts(org):
    fill(org, 8, random.Random(9))
    db.session.commit()
    db.session.execute(sa.text("TRUNCATE project_plugin_option"))
    db.session.commit()
    assert counted() == {} == brute_force()


def test_a_rolled_back_write_leaves_the_counts(org):
    fill(org, 10, random.Random(10))
    db.session.commit()
    before = counted()
    db.session.execute(sa.text("UPDATE project SET status = 1"))
    db.session.execute(sa.text("DELETE FROM project_plugin_option WHERE id % 2 = 0"))
    db.session.rollback()
    assert counted() == before
    assert_exact(org)


def test_load_data_creates_and_updates_are_counted(app, runner, tmp_path, org):
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
    loaded = db.session.scalar(sa.select(Organization).where(Organization.slug == "loaded"))
    assert counted(loaded.id) == {(loaded.id, "trello", "key"): 1}  # l-0 only: active with "k"
    assert_exact(loaded)
    for project in data["organizations"][0]["projects"]:
        project["status"] = "active"
    for option in data["organizations"][0]["plugin_options"]:
        option["value"] = "changed"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert counted(loaded.id) == {(loaded.id, "trello", "key"): 6}
    assert_exact(loaded)


def test_a_random_mix_of_writes_keeps_every_count_exact(two_orgs):
    """200 random writes of every kind, checked against the brute force every 20."""
    org, other = two_orgs
    rng = random.Random(12)
    plugins = plugins_with_configuration()
    fill(org, 15, rng, "a")
    fill(other, 15, rng, "b")
    db.session.commit()
    for step in range(200):
        projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
        options = list(db.session.scalars(sa.select(PPO).order_by(PPO.id)))
        project = rng.choice(projects)
        action = rng.randrange(8)
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
            db.session.execute(sa.text("UPDATE project SET status = :s WHERE id = :id"),
                               {"s": rng.randrange(4), "id": project.id})
        elif action == 4:
            project.organization_id = rng.choice((org, other)).id
            project.slug = f"moved-{step}"
        elif action == 5:
            project.status = int(rng.choice([S.ACTIVE, S.DISABLED]))
        elif action == 6 and options:
            db.session.execute(sa.text("UPDATE project_plugin_option SET value = :v WHERE id = :id"),
                               {"v": json.dumps(rng.choice(VALUES)), "id": rng.choice(options).id})
        elif action == 7:
            db.session.delete(project)
        db.session.commit()
        db.session.expire_all()
        if step % 20 == 19:
            assert counted() == brute_force()
    assert_exact(org, other)


def test_upgrade_fills_the_counts_downgrade_drops_them_and_the_model_matches(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    dialect = "postgresql" if USING_PG else "sqlite"
    with app.app_context():
        upgrade(revision="0011_provider_policy")
        with db.engine.begin() as conn:  # data written before 0012 existed
            conn.execute(sa.text("INSERT INTO organization (id, slug, name, date_added) VALUES "
                                 "(1, 'a', 'A', '2025-01-01'), (2, 'b', 'B', '2025-01-01')"))
            for i in range(1, 13):
                conn.execute(sa.text(
                    "INSERT INTO project (id, organization_id, slug, name, status, date_added) "
                    "VALUES (:i, :o, :s, :s, :st, '2025-01-01')"),
                    {"i": i, "o": 1 + i % 2, "s": f"p{i}", "st": (0, 0, 1)[i % 3]})
                for key, value in (("key", json.dumps(("k", "", None, 0)[i % 4])),
                                   ("enabled", "true")):
                    conn.execute(sa.text(
                        "INSERT INTO project_plugin_option (project_id, plugin, key, value) "
                        "VALUES (:p, 'trello', :k, :v)"), {"p": i, "k": key, "v": value})
        assert "plugin_option_count" not in sa.inspect(db.engine).get_table_names()
        upgrade(revision=REVISION)
        assert counted() == brute_force() != {}
        assert set(load_migration().TRIGGER_NAMES[dialect]) <= trigger_names()
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "plugin_option_count" in repr(d)] == []
        if USING_PG:
            assert not project_copy_per_row()
        org = db.session.get(Organization, 1)
        assert page_totals(org)["trello"] == brute_force(1)[(1, "trello", "key")]
        db.session.remove()

        downgrade(revision="0011_provider_policy")
        assert "plugin_option_count" not in sa.inspect(db.engine).get_table_names()
        assert not set(load_migration().TRIGGER_NAMES[dialect]) & trigger_names()
        if USING_PG:
            assert project_copy_per_row()  # 0004's own trigger is back
        with db.engine.begin() as conn:  # written while 0012 was undone: counted by the next fill
            conn.execute(sa.text("UPDATE project SET status = 0"))
        db.session.remove()
        upgrade()
        assert counted() == brute_force()
        # Every project active now: the 6 "k" / 0 values (i % 4 in (0, 3)), 12 `enabled`.
        assert sum(n for (_o, _p, key), n in counted().items() if key == "key") == 6
        assert sum(n for (_o, _p, key), n in counted().items() if key == "enabled") == 12
        db.session.remove()
