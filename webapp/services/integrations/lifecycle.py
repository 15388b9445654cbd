"""One installed integration: load it, read and change its config, disable, enable,
uninstall, restore before the deletion job has run, and the deletion job (SPEC §7.1, §7.5).
Changes add their audit entry to the current transaction; the caller commits both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import contains_eager, joinedload

from webapp.catalog.providers import ConfigField, Provider, get_provider
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    Integration,
    ObjectStatus,
    OrganizationIntegration,
    User,
    utcnow,
)
from webapp.services.actors import OrgRef, UserLike
from webapp.services.audit import diff_values, record_audit
from webapp.services.directory import FIRST_PARTY
from webapp.services.errors import Conflict, NotFound, StaleEdit, ValidationFailed
from webapp.services.ids import parse_id
from webapp.services.policy import Policy, get_policy
from webapp.services.text import has_control_characters

TARGET_TYPE = "organization_integration"
TEXT_MAX_LENGTH = 1000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def get_org_integration(org: OrgRef, integration_id: int | str) -> OrganizationIntegration:
    """The org's installation of Integration `integration_id` (the id in Sentry's URLs).

    NotFound for another org's, a missing, or a deletion_in_progress installation.
    """
    wanted = parse_id(integration_id)
    if wanted is None:
        raise NotFound("Integration not found")
    oi = db.session.scalars(
        select(OrganizationIntegration)
        .join(Integration, Integration.id == OrganizationIntegration.integration_id)
        .options(contains_eager(OrganizationIntegration.integration))
        .where(
            OrganizationIntegration.organization_id == org.id,
            OrganizationIntegration.integration_id == wanted,
            OrganizationIntegration.status != int(ObjectStatus.DELETION_IN_PROGRESS),
        )
    ).first()
    if oi is None:
        raise NotFound("Integration not found")
    return oi


def provider_of(oi: OrganizationIntegration) -> Provider | None:
    """The catalog provider of an installation (None for a provider this version lacks)."""
    return get_provider(oi.integration.provider)


def _default(field_: ConfigField) -> object:
    default = field_.default
    if isinstance(default, tuple):
        return list(default)
    if default is None:
        return False if field_.type == "boolean" else ([] if field_.type == "multichoice" else "")
    return default


def config_values(oi: OrganizationIntegration) -> dict[str, object]:
    """The schema fields' effective values: the stored value, else the field's default."""
    return schema_values(provider_of(oi), oi.config)


def schema_values(provider: Provider | None, stored: dict | None) -> dict[str, object]:
    """config_values from a provider and a stored config (for rows without ORM objects)."""
    if provider is None:
        return {}
    stored = stored or {}
    return {f.name: stored.get(f.name, _default(f)) for f in provider.config_schema}


def extra_config(oi: OrganizationIntegration) -> dict[str, object]:
    """Stored config keys outside the provider's schema (shown read-only, never dropped)."""
    provider = provider_of(oi)
    names = {f.name for f in provider.config_schema} if provider else set()
    return {k: v for k, v in sorted((oi.config or {}).items()) if k not in names}


def _clean_value(field_: ConfigField, value: object) -> tuple[object, str | None]:
    """(cleaned value, error message or None) for one schema field."""
    choices = [c for c, _ in field_.choices]
    if field_.type == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE, None
        return None, "Must be true or false."
    if field_.type == "text":
        if value is None:
            value = ""
        if not isinstance(value, str):
            return None, "Must be text."
        value = value.strip()
        if len(value) > TEXT_MAX_LENGTH:
            return None, f"Must be at most {TEXT_MAX_LENGTH} characters."
        if has_control_characters(value):
            return None, "Cannot contain control characters."
        return value, None
    if field_.type == "choice":
        if not isinstance(value, str) or value not in choices:
            return None, f"Not a valid choice: {value!s}. Choose one of: {', '.join(choices)}."
        return value, None
    if field_.type == "multichoice":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, "Must be a list of choices."
        unknown = [v for v in value if v not in choices]
        if unknown:
            return None, f"Not a valid choice: {', '.join(unknown)}. Choose from: {', '.join(choices)}."
        return [c for c in choices if c in value], None  # catalog order, no duplicates
    return None, "Unsupported field type."


def update_integration_config(
    actor: UserLike | None,
    oi: OrganizationIntegration,
    values: Mapping[str, object],
    expected_version: int | None,
    ip_address: str | None = None,
) -> dict[str, dict[str, object]]:
    """Admins and up: merge `values` (schema field names only) into the stored config.

    Keys outside the provider's schema → field error; other stored keys are kept.
    `expected_version` (None = no check, as the API's plain POST) older than the record →
    StaleEdit listing the differing fields; nothing is written. Writes INTEGRATION_EDIT with
    before/after in the current transaction. Returns the changes (empty: nothing to save).
    """
    provider = provider_of(oi)
    if oi.status == int(ObjectStatus.PENDING_DELETION):
        raise Conflict("This installation is pending deletion; its configuration can no longer change.")
    schema = {f.name: f for f in provider.config_schema} if provider else {}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    for name, value in values.items():
        if name not in schema:
            errors.setdefault(name, []).append(
                f"Unknown field: {name} is not part of the "
                f"{provider.name if provider else oi.integration.provider} configuration."
            )
            continue
        clean, error = _clean_value(schema[name], value)
        if error:
            errors.setdefault(name, []).append(error)
        else:
            cleaned[name] = clean
    if errors:
        raise ValidationFailed(errors)

    current = config_values(oi)
    if expected_version is not None and int(expected_version) != oi.version:
        stale = {name: (mine, current.get(name)) for name, mine in cleaned.items()
                 if current.get(name) != mine}
        raise StaleEdit(stale or {"version": (int(expected_version), oi.version)})

    before = {name: current.get(name) for name in cleaned}
    changes = diff_values(before, cleaned)
    if not changes:
        return {}
    oi.config = {**(oi.config or {}), **cleaned}
    record_audit(
        event="INTEGRATION_EDIT",
        actor=actor,
        organization=oi.organization,
        target_type=TARGET_TYPE,
        target_id=oi.id,
        target_object=oi.integration.name,
        data={"changes": changes, "provider": oi.integration.provider,
              "integration_id": oi.integration_id},
        ip_address=ip_address,
    )
    db.session.flush()
    return changes


@dataclass(frozen=True)
class StatusAction:
    """A change of an installation's org-level status: its name, the status it sets, its
    audit event and the word for a result ("12 disabled")."""

    name: str
    to: ObjectStatus
    event: str
    done: str


DISABLE = StatusAction("disable", ObjectStatus.DISABLED, "INTEGRATION_DISABLE", "disabled")
ENABLE = StatusAction("enable", ObjectStatus.ACTIVE, "INTEGRATION_ENABLE", "enabled")
UNINSTALL = StatusAction("uninstall", ObjectStatus.PENDING_DELETION, "INTEGRATION_REMOVE",
                         "uninstalled")
STATUS_ACTIONS: dict[str, StatusAction] = {a.name: a for a in (DISABLE, ENABLE, UNINSTALL)}


def action_refusal(action: StatusAction, status: int, provider_key: str,
                   policy: Policy | None = None) -> str | None:
    """Why `action` cannot change an installation of `provider_key` in `status`, or None
    when it can. The one rule for the installation page, the API and bulk actions (which
    judge each (provider, status) group of their selection with it). `policy`: the org's
    provider policy, which refuses enabling a blocked provider."""
    provider = get_provider(provider_key)
    if action is DISABLE:
        if status == int(ObjectStatus.DISABLED):
            return "Already disabled."
        if status != int(ObjectStatus.ACTIVE):
            return "Pending deletion: only an active installation can be disabled."
        if provider is not None and not provider.can_disable:
            return f"{provider.name} installations cannot be disabled here; uninstall it instead."
    elif action is ENABLE:
        if status == int(ObjectStatus.ACTIVE):
            return "Already active: only a disabled installation can be enabled."
        if status != int(ObjectStatus.DISABLED):
            return "Pending deletion: only a disabled installation can be enabled."
        if policy is not None:
            return policy.refusal(FIRST_PARTY, provider_key, provider.name if provider else None)
    elif action is UNINSTALL:
        if status == int(ObjectStatus.PENDING_DELETION):
            return "Already pending deletion."
        if status not in (int(ObjectStatus.ACTIVE), int(ObjectStatus.DISABLED)):
            return "This installation is already being uninstalled."
    return None


def _status_change(actor, oi, action: StatusAction, ip_address, policy: Policy | None = None) -> None:
    """Apply `action` to one installation (Conflict with the rule's reason when it may not)."""
    reason = action_refusal(action, oi.status, oi.integration.provider, policy)
    if reason:
        raise Conflict(reason)
    _set_status(actor, oi, action.to, action.event, ip_address)


def _set_status(actor, oi, to: ObjectStatus, event: str, ip_address) -> None:
    """Set one installation's status with its audit entry (the rules are the caller's)."""
    before = ObjectStatus.label_of(oi.status)
    oi.status = int(to)
    record_audit(
        event=event,
        actor=actor,
        organization=oi.organization,
        target_type=TARGET_TYPE,
        target_id=oi.id,
        target_object=oi.integration.name,
        data={"changes": {"status": {"before": before, "after": to.label}},
              "provider": oi.integration.provider, "integration_id": oi.integration_id},
        ip_address=ip_address,
    )
    db.session.flush()


def disable_reason(oi: OrganizationIntegration) -> str | None:
    """Why this installation cannot be disabled now, or None when it can."""
    return action_refusal(DISABLE, oi.status, oi.integration.provider)


def enable_reason(oi: OrganizationIntegration, policy: Policy) -> str | None:
    """Why this installation cannot be enabled now (e.g. the org's policy blocks its
    provider), or None when it can."""
    return action_refusal(ENABLE, oi.status, oi.integration.provider, policy)


def disable_integration(actor: UserLike | None, oi: OrganizationIntegration,
                        ip_address: str | None = None) -> None:
    """Admins and up: set the org-level status to disabled (INTEGRATION_DISABLE)."""
    _status_change(actor, oi, DISABLE, ip_address)


def enable_integration(actor: UserLike | None, oi: OrganizationIntegration,
                       ip_address: str | None = None) -> None:
    """Admins and up: set a disabled installation back to active (INTEGRATION_ENABLE),
    unless the org's provider policy blocks its provider."""
    _status_change(actor, oi, ENABLE, ip_address, get_policy(oi.organization))


def uninstall_integration(actor: UserLike | None, oi: OrganizationIntegration,
                          ip_address: str | None = None) -> None:
    """Admins and up: mark an active or disabled installation pending deletion
    (INTEGRATION_REMOVE); `run_deletions()` finishes the job."""
    _status_change(actor, oi, UNINSTALL, ip_address)


@dataclass(frozen=True)
class RestorePlan:
    """What restoring an installation pending deletion does: the status it goes back to,
    who uninstalled it when (None: not recorded), and `blocked`: the org's policy's reason
    when the installation was active before but its provider is blocked now (it comes back
    disabled instead)."""

    status: ObjectStatus
    removed_at: datetime | None
    removed_by: User | None
    blocked: str | None = None


def uninstall_reason(oi: OrganizationIntegration) -> str | None:
    """Why this installation cannot be uninstalled now, or None when it can."""
    return action_refusal(UNINSTALL, oi.status, oi.integration.provider)


def restore_reason(oi: OrganizationIntegration) -> str | None:
    """Why this installation cannot be restored now, or None when it can."""
    if oi.status != int(ObjectStatus.PENDING_DELETION):
        return "This installation is not pending deletion: there is nothing to restore."
    return None


def restore_plan(oi: OrganizationIntegration, policy: Policy | None = None) -> RestorePlan:
    """The status before the uninstall, read from its INTEGRATION_REMOVE entry (one query),
    unless the org's provider `policy` (read when not given) now blocks the provider.

    An installation that came in pending deletion (load-data) has no such entry: it comes
    back disabled, so nothing starts working again until an admin enables it. One the
    policy blocks comes back disabled too: restoring must not get around the refusal to
    enable it.
    """
    entry = db.session.scalars(
        select(AuditLogEntry)
        .options(joinedload(AuditLogEntry.actor))
        .where(AuditLogEntry.target_type == TARGET_TYPE, AuditLogEntry.target_id == oi.id,
               AuditLogEntry.event == "INTEGRATION_REMOVE")
        .order_by(AuditLogEntry.datetime.desc(), AuditLogEntry.id.desc())
        .limit(1)
    ).first()
    before = ((entry.data or {}).get("changes", {}).get("status", {}).get("before")
              if entry is not None else None)
    status = ObjectStatus.ACTIVE if before == ObjectStatus.ACTIVE.label else ObjectStatus.DISABLED
    blocked = None
    if status == ObjectStatus.ACTIVE:
        provider = get_provider(oi.integration.provider)
        blocked = (policy or get_policy(oi.organization)).refusal(
            FIRST_PARTY, oi.integration.provider, provider.name if provider else None)
        if blocked:
            status = ObjectStatus.DISABLED
    if entry is None:
        return RestorePlan(status, None, None, blocked)
    return RestorePlan(status, entry.datetime, entry.actor, blocked)


def restore_integration(actor: UserLike | None, oi: OrganizationIntegration,
                        ip_address: str | None = None) -> RestorePlan:
    """Admins and up: take back an uninstall before the deletion job has run; the
    installation returns to its status before the uninstall, or disabled when the org's
    policy blocks its provider now (INTEGRATION_RESTORE).

    Not pending deletion → Conflict. Once the job has started, the row is gone from
    `get_org_integration` (NotFound); a job that starts between loading and saving bumps the
    row's version, so the save fails as a concurrent change (StaleDataError, 409).
    """
    reason = restore_reason(oi)
    if reason:
        raise Conflict(reason)
    plan = restore_plan(oi)
    _set_status(actor, oi, plan.status, "INTEGRATION_RESTORE", ip_address)
    return plan


@dataclass
class UninstallImpact:
    """What an uninstall removes and what it keeps (for the confirmation page)."""

    stored_settings: int
    schema_settings: int
    extra_settings: int
    other_organizations: int
    history_entries: int


def uninstall_impact(oi: OrganizationIntegration) -> UninstallImpact:
    """Counts for the confirmation page (one query)."""
    provider = provider_of(oi)
    names = {f.name for f in provider.config_schema} if provider else set()
    config = oi.config or {}
    other_orgs = (
        select(func.count())
        .select_from(OrganizationIntegration)
        .where(OrganizationIntegration.integration_id == oi.integration_id,
               OrganizationIntegration.organization_id != oi.organization_id)
        .scalar_subquery()
    )
    history = (
        select(func.count())
        .select_from(AuditLogEntry)
        .where(AuditLogEntry.target_type == TARGET_TYPE, AuditLogEntry.target_id == oi.id)
        .scalar_subquery()
    )
    other_count, history_count = db.session.execute(select(other_orgs, history)).one()
    return UninstallImpact(
        stored_settings=len(config),
        schema_settings=len([k for k in config if k in names]),
        extra_settings=len([k for k in config if k not in names]),
        other_organizations=other_count,
        history_entries=history_count,
    )


def run_deletions(batch: int = 500) -> int:
    """Operators (CLI): finish uninstalls. Every pending_deletion installation goes to
    deletion_in_progress (committed, so pages stop showing it), then its row — the org link
    with its config — is deleted. The Integration row stays. Returns rows deleted.

    Safe to run again after a crash (rows left in progress are picked up) and on several
    hosts at once: a run whose UPDATE or DELETE meets rows another run is changing waits for
    that commit, then re-checks them and skips those done (PostgreSQL's row locks, READ
    COMMITTED; SQLite has one writer). The count is the DELETE's own rowcount, so no row is
    counted twice (tests/resilience/test_two_servers.py)."""
    oi = OrganizationIntegration
    db.session.execute(
        update(oi)
        .where(oi.status == int(ObjectStatus.PENDING_DELETION))
        .values(status=int(ObjectStatus.DELETION_IN_PROGRESS), version=oi.version + 1,
                date_updated=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    deleted = 0
    while True:
        ids = list(db.session.scalars(
            select(oi.id).where(oi.status == int(ObjectStatus.DELETION_IN_PROGRESS))
            .order_by(oi.id).limit(batch)
        ))
        if not ids:
            break
        # A DELETE's result is a CursorResult (with rowcount); Session.execute is typed
        # for row-returning statements only.
        result = cast(CursorResult[Any], db.session.execute(
            delete(oi).where(oi.id.in_(ids), oi.status == int(ObjectStatus.DELETION_IN_PROGRESS))
            .execution_options(synchronize_session=False)
        ))
        db.session.commit()
        deleted += result.rowcount or 0
    db.session.expire_all()
    return deleted
