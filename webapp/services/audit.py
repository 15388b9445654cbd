"""Writing audit entries (in the caller's transaction) and computing before/after diffs.

Convention for `data`: {"changes": {field: {"before": old, "after": new}}, …other context}.
The audit-log page and every History section render "changes" as the diff.
"""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import AuditLogEntry, Organization, User


def diff_values(before: dict, after: dict) -> dict[str, dict[str, object]]:
    """The fields whose value changed: {field: {"before": old, "after": new}}."""
    changed = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changed[key] = {"before": before.get(key), "after": after.get(key)}
    return changed


def record_audit(
    *,
    event: str,
    actor: User | None,
    organization: Organization | None = None,
    target_type: str = "",
    target_id: int | None = None,
    target_object: str = "",
    data: dict | None = None,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """Add an audit entry to the current transaction; the caller commits it with the change."""
    entry = AuditLogEntry(
        organization_id=organization.id if organization is not None else None,
        actor_id=actor.id if actor is not None else None,
        event=event,
        target_type=target_type,
        target_id=target_id,
        target_object=target_object[:255],
        data=data or {},
        ip_address=ip_address,
    )
    db.session.add(entry)
    return entry


def list_target_history(target_type: str, target_id: int, limit: int = 50) -> list[AuditLogEntry]:
    """A record's audit entries, newest first, with actors loaded (one query)."""
    return list(
        db.session.scalars(
            select(AuditLogEntry)
            .options(joinedload(AuditLogEntry.actor))
            .where(AuditLogEntry.target_type == target_type, AuditLogEntry.target_id == target_id)
            .order_by(AuditLogEntry.datetime.desc(), AuditLogEntry.id.desc())
            .limit(limit)
        )
    )


def record_export(
    *, actor: User, organization: Organization | None, list_name: str, filters: dict,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """Audit a CSV export (SPEC §7.6): which list, with which filters. Caller commits."""
    return record_audit(
        event="EXPORT_CSV",
        actor=actor,
        organization=organization,
        target_type="export",
        target_object=list_name,
        data={"list": list_name, "filters": filters},
        ip_address=ip_address,
    )
