"""Brute-force oracles for the trigger-kept counts and copies (migration 0003)."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import USING_PG
from webapp.extensions import db
from webapp.models import Integration, OrganizationIntegration
from webapp.models.integrations import OrganizationIntegrationCount

OI = OrganizationIntegration


def counted(org_id: int | None = None) -> dict[tuple[int, str, int], int]:
    """{(org, provider, status): n} from organization_integration_count (non-zero rows)."""
    counts = OrganizationIntegrationCount
    query = sa.select(counts.organization_id, counts.provider, counts.status, counts.count)
    if org_id is not None:
        query = query.where(counts.organization_id == org_id)
    return {(o, p, s): n for o, p, s, n in db.session.execute(query) if n != 0}


def brute_force(org_id: int | None = None) -> dict[tuple[int, str, int], int]:
    """The same, counted now: every installation joined to its Integration's provider."""
    query = (
        sa.select(OI.organization_id, Integration.provider, OI.status, sa.func.count())
        .join(Integration, Integration.id == OI.integration_id)
        .group_by(OI.organization_id, Integration.provider, OI.status)
    )
    if org_id is not None:
        query = query.where(OI.organization_id == org_id)
    return {(o, p, s): n for o, p, s, n in db.session.execute(query)}


def stale_copies() -> list:
    """Installations whose copied columns differ from their Integration's (should be none)."""
    return list(db.session.execute(
        sa.select(OI.id, OI.integration_name, Integration.name)
        .join(Integration, Integration.id == OI.integration_id)
        .where((OI.integration_name != Integration.name)
               | (OI.integration_provider != Integration.provider)
               | (OI.integration_external_id != Integration.external_id))
    ))


def orphans() -> int:
    """Installations whose Integration is gone (the declared cascade should prevent it)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(OI)
        .outerjoin(Integration, Integration.id == OI.integration_id)
        .where(Integration.id.is_(None))
    )


def assert_exact(org_id: int | None = None) -> None:
    """Counts equal a brute-force count; every copy equals its Integration; no orphans."""
    db.session.flush()
    assert counted(org_id) == brute_force(org_id)
    assert stale_copies() == []
    assert orphans() == 0


def trigger_names() -> set[str]:
    if USING_PG:
        rows = db.session.execute(sa.text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    else:
        rows = db.session.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    return {name for (name,) in rows}


MIGRATION = Path(__file__).resolve().parents[2] / "migrations/versions/0003_integration_list_at_scale.py"


def load_migration():
    """The 0003 migration module (its file name is not an importable module name)."""
    spec = importlib.util.spec_from_file_location("migration_0003", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COUNTS_MIGRATION = MIGRATION.with_name("0012_plugin_option_counts.py")


def with_later_triggers(triggers: set[str]) -> set[str]:
    """*triggers* (read at an older revision) and those a later migration adds at head: the
    plugin option counts' (0012). For the tests that go up to head and expect an index
    migration to have kept the triggers they saw."""
    spec = importlib.util.spec_from_file_location("migration_0012", COUNTS_MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return triggers | set(module.TRIGGER_NAMES["postgresql" if USING_PG else "sqlite"])
