"""The per-org counts and the copied name/provider/external id stay exact on every write path.

organization_integration_count and organization_integration.integration_{name,provider,
external_id} are written by database triggers only (migration 0003). Each test changes data
one way — ORM, bulk Core inserts, COPY (seed-demo on PostgreSQL), the management services,
run-deletions, raw SQL, load-data — and compares the counts with a brute-force COUNT and
the copies with the Integration they copy. The list's total and facets, which read the
counts, are compared with the rows the plain query returns.
"""

import json
import random

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import USING_PG
from tests.integrations.helpers import parse_filters
from tests.perf.helpers import assert_exact, brute_force, counted, load_migration, trigger_names
from webapp.catalog.providers import PROVIDERS
from webapp.commands.demo import seed_demo
from webapp.extensions import db
from webapp.models import Integration, ObjectStatus, Organization, OrganizationIntegration, utcnow
from webapp.services import integrations as svc
from webapp.services.errors import Conflict

S = ObjectStatus
OI = OrganizationIntegration


@pytest.fixture
def two_orgs(org):
    other = factories.make_org(slug="other", name="Other")
    db.session.commit()
    return org, other


def install_many(org, n, start=0, providers=("slack", "github", "jira", "pagerduty")):
    rows = []
    for i in range(start, start + n):
        integration = factories.make_integration(
            provider=providers[i % len(providers)], external_id=f"X-{org.slug}-{i}",
            name=f"{providers[i % len(providers)]} account {i:03d}")
        status = (S.ACTIVE, S.DISABLED, S.PENDING_DELETION, S.DELETION_IN_PROGRESS)[i % 4]
        rows.append(factories.install(org, integration, status=status))
    return rows


def listed_total(org, **raw) -> tuple[int, int]:
    """(the list's total from the counts, the number of rows the plain query returns)."""
    filters = parse_filters(raw)
    total = svc.facet_counts(org, filters).total
    plain = db.session.scalar(
        svc.installations_query(org, filters)
        .with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None))
    return total, plain


def assert_list_exact(org) -> None:
    for raw in ({}, {"status": ["disabled"]}, {"provider_key": ["slack", "jira"]},
                {"features": ["alert-rule"], "status": ["active", "pending_deletion"]},
                {"q": "account 0"}):
        total, plain = listed_total(org, **raw)
        assert total == plain, raw
    facets = svc.facet_counts(org, svc.IntegrationFilters())
    for key in PROVIDERS:
        assert facets.providers[key] == listed_total(org, provider_key=[key])[1], key
    for status in svc.FILTER_STATUSES:
        assert facets.statuses[status.label] == listed_total(org, status=[status.label])[1]


def test_the_migration_installed_its_triggers(app):
    dialect = "postgresql" if USING_PG else "sqlite"
    assert set(load_migration().TRIGGER_NAMES[dialect]) <= trigger_names()


def test_orm_inserts_are_counted_per_org_and_copy_the_integration(two_orgs):
    org, other = two_orgs
    install_many(org, 13)
    install_many(other, 6)
    db.session.commit()
    assert_exact()
    assert counted(org.id) == brute_force(org.id) != {}
    assert_list_exact(org)
    assert_list_exact(other)
    copied = db.session.execute(sa.select(OI.integration_name, OI.integration_provider)
                                .where(OI.organization_id == org.id).order_by(OI.id)).first()
    assert copied == ("slack account 000", "slack")


def test_bulk_core_inserts_are_counted(two_orgs):
    org, other = two_orgs
    integrations = [factories.make_integration(provider=p, name=f"bulk {i}")
                    for i, p in enumerate(["slack", "github", "vercel"] * 10)]
    db.session.execute(sa.insert(OI), [
        {"organization_id": (org if i % 3 else other).id, "integration_id": integration.id,
         "config": {}, "status": int((S.ACTIVE, S.DISABLED)[i % 2]), "date_added": utcnow(),
         "date_updated": utcnow(), "version": 1}
        for i, integration in enumerate(integrations)])
    db.session.commit()
    assert_exact()
    assert_list_exact(org)


def test_seed_demo_bulk_and_copy_inserts_are_counted(app):
    """seed-demo writes with multi-row INSERTs (SQLite) or COPY (PostgreSQL)."""
    seed_demo(scale=1)
    db.session.commit()
    assert_exact()
    demo = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    assert sum(counted(demo.id).values()) == 100
    assert_list_exact(demo)


def test_status_changes_through_the_services_move_the_counts(two_orgs, login_as):
    org, _ = two_orgs
    actor = login_as("owner")
    rows = install_many(org, 8)
    db.session.commit()
    active = [oi for oi in rows if oi.status == S.ACTIVE]
    svc.disable_integration(actor, active[0])
    db.session.commit()
    assert_exact()
    svc.enable_integration(actor, active[0])
    svc.uninstall_integration(actor, active[1])
    db.session.commit()
    assert_exact()
    assert_list_exact(org)
    before = svc.facet_counts(org, svc.IntegrationFilters()).statuses
    svc.disable_integration(actor, active[0])
    db.session.rollback()  # a change that is rolled back leaves the counts as they were
    assert svc.facet_counts(org, svc.IntegrationFilters()).statuses == before
    assert_exact()


def test_run_deletions_removes_the_rows_from_the_counts(two_orgs, login_as):
    org, other = two_orgs
    actor = login_as("owner")
    rows = install_many(org, 9)
    install_many(other, 4)
    db.session.commit()
    svc.uninstall_integration(actor, rows[0])
    db.session.commit()
    going = db.session.scalar(sa.select(sa.func.count()).select_from(OI).where(
        OI.status.in_([int(S.PENDING_DELETION), int(S.DELETION_IN_PROGRESS)])))
    assert svc.run_deletions(batch=2) == going == 7
    assert_exact()
    assert not any(status in (S.PENDING_DELETION, S.DELETION_IN_PROGRESS)
                   for (o, _p, status) in counted(org.id) if o == org.id)
    assert_list_exact(org)


def test_raw_sql_deletes_and_updates_are_counted(two_orgs):
    org, other = two_orgs
    rows = install_many(org, 10)
    install_many(other, 3)
    db.session.commit()
    ids = [oi.id for oi in rows]
    db.session.execute(sa.text("DELETE FROM organization_integration WHERE id = :id"),
                       {"id": ids[0]})
    db.session.execute(sa.text("UPDATE organization_integration SET status = 1 WHERE id IN "
                               "(:a, :b)"), {"a": ids[1], "b": ids[2]})
    db.session.execute(sa.text("UPDATE organization_integration SET organization_id = :o "
                               "WHERE id = :id"), {"o": other.id, "id": ids[3]})
    db.session.commit()
    assert_exact()
    assert_list_exact(org)
    assert_list_exact(other)


def test_integration_changes_reach_the_copies_and_move_the_counts(two_orgs):
    org, other = two_orgs
    integration = factories.make_integration(provider="slack", external_id="T1", name="Zulu")
    factories.install(org, integration)
    factories.install(other, integration, status=S.DISABLED)
    install_many(org, 4)
    db.session.commit()
    # Renamed (as load-data or a raw UPDATE would): the list sorts it by its new name.
    db.session.execute(sa.update(Integration).where(Integration.id == integration.id)
                       .values(name="Aardvark", external_id="T1-renamed"))
    db.session.commit()
    assert_exact()
    first = svc.list_installations(org, svc.IntegrationFilters(), 1, 1).items[0]
    assert first.name == "Aardvark"
    # The provider changed by hand: both orgs' counts move to the new provider.
    db.session.execute(sa.text("UPDATE integration SET provider = 'discord' WHERE id = :id"),
                       {"id": integration.id})
    db.session.commit()
    assert_exact()
    assert counted(other.id) == {(other.id, "discord", int(S.DISABLED)): 1}
    assert_list_exact(org)


def test_a_changed_integration_id_recopies_and_a_hand_set_copy_is_put_back(two_orgs):
    org, _ = two_orgs
    oi = factories.install(org, factories.make_integration(provider="slack", name="First"))
    second = factories.make_integration(provider="jira", name="Second")
    db.session.commit()
    db.session.execute(sa.text("UPDATE organization_integration SET integration_id = :i "
                               "WHERE id = :id"), {"i": second.id, "id": oi.id})
    db.session.commit()
    assert_exact()
    assert counted(org.id) == {(org.id, "jira", int(S.ACTIVE)): 1}
    db.session.execute(sa.text("UPDATE organization_integration SET integration_name = 'forged', "
                               "integration_provider = 'slack' WHERE id = :id"), {"id": oi.id})
    db.session.commit()
    assert_exact()


def test_deleting_an_integration_deletes_its_installations_and_their_counts(two_orgs):
    org, other = two_orgs
    integration = factories.make_integration(provider="github", name="Shared")
    factories.install(org, integration)
    factories.install(other, integration)
    install_many(org, 3)
    db.session.commit()
    db.session.execute(sa.text("DELETE FROM integration WHERE id = :id"), {"id": integration.id})
    db.session.commit()
    assert_exact()
    assert counted(other.id) == {}


def test_deleting_an_organization_keeps_the_other_orgs_counts(two_orgs):
    org, other = two_orgs
    install_many(org, 5)
    install_many(other, 5)
    db.session.commit()
    org_id, other_id = org.id, other.id
    kept = counted(other_id)
    db.session.execute(sa.text("DELETE FROM organization WHERE id = :id"), {"id": org_id})
    db.session.commit()
    assert counted(other_id) == kept == brute_force(other_id)
    if USING_PG:  # SQLite does not enforce the declared ON DELETE CASCADE (no PRAGMA here)
        assert counted(org_id) == {} == brute_force(org_id)


@pytest.mark.skipif(not USING_PG, reason="TRUNCATE is PostgreSQL's")
def test_truncate_clears_the_counts(two_orgs):
    org, _ = two_orgs
    install_many(org, 4)
    db.session.commit()
    db.session.execute(sa.text("TRUNCATE organization_integration"))
    db.session.commit()
    assert counted() == {} == brute_force()


def test_load_data_creates_and_updates_are_counted(app, runner, tmp_path, two_orgs):
    org, _ = two_orgs
    install_many(org, 3)
    db.session.commit()
    data = {
        "integrations": [
            {"provider": "slack", "external_id": f"L{i}", "name": f"Loaded {i}",
             "metadata": {}, "status": "active"} for i in range(6)],
        "organizations": [
            {"slug": "loaded", "name": "Loaded",
             "integrations": [{"provider": "slack", "external_id": f"L{i}",
                               "status": ("active", "disabled")[i % 2], "config": {},
                               "grace_period_end": None} for i in range(6)]},
            {"slug": org.slug, "name": org.name,
             "integrations": [{"provider": "slack", "external_id": "L0", "status": "active",
                               "config": {}, "grace_period_end": None}]},
        ],
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert_exact()
    # Reload with statuses and a name changed: updates move the counts and the copies.
    for item in data["organizations"][0]["integrations"]:
        item["status"] = "pending_deletion"
    data["integrations"][0]["name"] = "Renamed by load"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert_exact()
    assert_list_exact(org)


def test_a_random_mix_of_writes_keeps_every_count_exact(two_orgs, login_as):
    """200 random writes of every kind, checked against the brute force every 20."""
    org, other = two_orgs
    actor = login_as("owner")
    rng = random.Random(7)
    providers = list(PROVIDERS)
    integrations = [factories.make_integration(provider=rng.choice(providers),
                                               name=f"Mix {i:03d}") for i in range(40)]
    db.session.commit()
    for step in range(200):
        action = rng.randrange(6)
        target = rng.choice((org, other))
        installed = list(db.session.scalars(sa.select(OI).where(OI.organization_id == target.id)))
        if action == 0 or not installed:
            taken = {oi.integration_id for oi in installed}
            free = [i for i in integrations if i.id not in taken]
            if free:
                factories.install(target, rng.choice(free),
                                  status=rng.choice(list(S)))
        elif action == 1:
            oi = rng.choice(installed)
            try:
                rng.choice([svc.disable_integration, svc.enable_integration,
                            svc.uninstall_integration])(actor, oi)
            except Conflict:
                db.session.rollback()
                continue
        elif action == 2:
            db.session.delete(rng.choice(installed))
        elif action == 3:
            integration = rng.choice(integrations)
            integration.name = f"Mix renamed {step}"
        elif action == 4:
            oi = rng.choice(installed)
            db.session.execute(sa.text("UPDATE organization_integration SET status = :s "
                                       "WHERE id = :id"), {"s": rng.randrange(4), "id": oi.id})
            db.session.expire(oi)
        else:
            svc.run_deletions(batch=3)
        db.session.commit()
        if step % 20 == 19:
            assert_exact()
    assert_exact()
    assert_list_exact(org)
    assert_list_exact(other)
