"""What an audit entry's target is now: whether the record it names still exists, and what
its page's address needs (the audit log links each target to its page, issue 22).

One statement for a page of entries: a UNION ALL with one part per kind of target on the
page (installation, plugin on a project, install request, doc integration), each an
id lookup restricted to the org; kinds whose record is the list itself (CSV exports)
need no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, String, and_, cast, literal, select, union_all

from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    DocIntegration,
    Integration,
    IntegrationRequest,
    ObjectStatus,
    OrganizationIntegration,
    Project,
)
from webapp.services.actors import OrgRef
from webapp.services.audit import EXPORT_TARGET as EXPORT
from webapp.services.doc_integrations.records import TARGET_TYPE as DOC_INTEGRATION
from webapp.services.install_requests import AUDIT_TARGET as INSTALL_REQUEST
from webapp.services.integrations.lifecycle import TARGET_TYPE as INSTALLATION
from webapp.services.plugins.settings import TARGET_TYPE as PLUGIN_ON_PROJECT


@dataclass(frozen=True)
class LiveTarget:
    """A target that still exists: its kind and the keys of its page (`key`: a provider
    key, a project or doc-integration slug, …; `sub`: an integration id, a plugin slug…)."""

    kind: str
    key: str
    sub: str = ""


def _installations(ids: list[int], org: OrgRef) -> Select:
    oi = OrganizationIntegration
    return (
        select(literal(INSTALLATION).label("kind"), oi.id.label("target_id"),
               Integration.provider.label("key"), cast(oi.integration_id, String).label("sub"))
        .join(Integration, Integration.id == oi.integration_id)
        .where(oi.id.in_(ids), oi.organization_id == org.id,
               oi.status != int(ObjectStatus.DELETION_IN_PROGRESS))
    )


def _projects(ids: list[int], org: OrgRef) -> Select:
    return select(literal(PLUGIN_ON_PROJECT).label("kind"), Project.id.label("target_id"),
                  Project.slug.label("key"), literal("").label("sub")).where(
        Project.id.in_(ids), Project.organization_id == org.id,
        Project.status == int(ObjectStatus.ACTIVE))


def _requests(ids: list[int], org: OrgRef) -> Select:
    request = IntegrationRequest
    return select(literal(INSTALL_REQUEST).label("kind"), request.id.label("target_id"),
                  literal("").label("key"), literal("").label("sub")).where(
        and_(request.id.in_(ids), request.organization_id == org.id))


def _doc_integrations(ids: list[int], org: OrgRef, may_see_drafts: bool) -> Select:
    doc = DocIntegration
    query = select(literal(DOC_INTEGRATION).label("kind"), doc.id.label("target_id"),
                   doc.slug.label("key"), literal("").label("sub")).where(doc.id.in_(ids))
    return query if may_see_drafts else query.where(doc.is_draft.is_(False))


_PARTS = {INSTALLATION: _installations, PLUGIN_ON_PROJECT: _projects, INSTALL_REQUEST: _requests}


def live_targets(org: OrgRef, entries: Iterable[AuditLogEntry],
                 may_see_drafts: bool = False) -> dict[int, LiveTarget]:
    """{entry id: its target as it is now} for the entries whose target still exists and
    has a page this org's log may link to (one statement, none when no entry names a
    record). A plugin on a project needs the project active and the plugin named in the
    entry; a doc-integration draft counts only for those who may see drafts."""
    entries = list(entries)
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id is not None and (entry.target_type in _PARTS
                                            or entry.target_type == DOC_INTEGRATION):
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    parts = [build(sorted(ids), org) for kind, ids in wanted.items()
             if (build := _PARTS.get(kind)) is not None]
    if DOC_INTEGRATION in wanted:
        parts.append(_doc_integrations(sorted(wanted[DOC_INTEGRATION]), org, may_see_drafts))
    found: dict[tuple[str, int], tuple[str, str]] = {}
    if parts:
        statement = union_all(*parts) if len(parts) > 1 else parts[0]
        found = {(kind, target_id): (key, sub)
                 for kind, target_id, key, sub in db.session.execute(statement)}
    live: dict[int, LiveTarget] = {}
    for entry in entries:
        if entry.target_type == EXPORT and entry.target_object:
            live[entry.id] = LiveTarget(EXPORT, entry.target_object)
            continue
        keys = found.get((entry.target_type, entry.target_id or 0))
        if keys is None:
            continue
        key, sub = keys
        if entry.target_type == PLUGIN_ON_PROJECT:
            sub = str((entry.data or {}).get("plugin") or "")
            if not sub:
                continue
        live[entry.id] = LiveTarget(entry.target_type, key, sub)
    return live
