"""Doc-integration changes: create, update (stale-edit check, feature set replaced), the
delete confirmation's impact, and delete. Staff only; each adds its audit entry to the
caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, null

from webapp.catalog.features import FEATURES
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
    User,
    utcnow,
)
from webapp.services.actors import UserLike
from webapp.services.audit import diff_values, record_audit
from webapp.services.doc_integrations.records import (
    TARGET_TYPE,
    VALUE_FIELDS,
    doc_integration_values,
    features_for,
    require_staff,
)
from webapp.services.doc_integrations.validation import validate_doc_integration
from webapp.services.errors import StaleEdit
from webapp.services.ids import parse_id


def _audit_changes(before: dict, after: dict) -> dict:
    """diff_values with feature ids shown as their gates (what an admin reads in the log)."""
    def readable(values: dict) -> dict:
        if "features" not in values:
            return values
        return {**values, "features": [FEATURES[f].gate if f in FEATURES else f for f in values["features"]]}

    return diff_values(readable(before), readable(after))


def _replace_features(instance: DocIntegration, wanted: list[int],
                      current: list[IntegrationFeature]) -> None:
    """Make the feature rows equal `wanted`; surviving rows (and their date_added) stay."""
    wanted_set = set(wanted)
    existing = {row.feature for row in current}
    for row in current:
        if row.feature not in wanted_set:
            db.session.delete(row)
    for feature_id in sorted(wanted_set - existing):
        db.session.add(IntegrationFeature(
            target_type=IntegrationFeatureTarget.DOC_INTEGRATION,
            target_id=instance.id,
            feature=feature_id,
        ))


def create_doc_integration(actor: User, data: Mapping, ip_address: str | None = None) -> DocIntegration:
    """Staff: create a doc integration (always a draft) with its features; audit DOC_INTEGRATION_ADD."""
    require_staff(actor)
    cleaned = validate_doc_integration({**data, "is_draft": True})
    instance = DocIntegration(
        name=cleaned["name"], slug=cleaned["slug"], author=cleaned["author"],
        description=cleaned["description"], url=cleaned["url"],
        # None would make the ORM fire the column default (1); null() stores a real NULL.
        popularity=null() if cleaned["popularity"] is None else cleaned["popularity"],
        is_draft=True, resources=cleaned["resources"],
    )
    db.session.add(instance)
    db.session.flush()
    _replace_features(instance, cleaned["features"], [])
    db.session.flush()
    after = doc_integration_values(instance, cleaned["features"])
    record_audit(event="DOC_INTEGRATION_ADD", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": _audit_changes({}, after), "slug": instance.slug},
                 ip_address=ip_address)
    return instance


def _stale_changes(instance: DocIntegration, data: Mapping, current: dict) -> dict[str, tuple]:
    """{field: (what the stale form holds, what is stored now)} for fields that differ."""
    changes: dict[str, tuple] = {}
    for field in VALUE_FIELDS:
        if field not in data:
            continue
        mine = data[field]
        theirs = current[field]
        if field == "features" and isinstance(mine, list | tuple):
            try:
                mine = sorted({int(x) for x in mine})
            except (TypeError, ValueError):
                pass
        elif field == "resources" and isinstance(mine, list | tuple):
            mine = [
                {"title": (r.get("title") or "").strip(), "url": (r.get("url") or "").strip()}
                for r in mine if isinstance(r, Mapping) and ((r.get("title") or "").strip() or (r.get("url") or "").strip())
            ]
        elif field == "popularity" and isinstance(mine, str):
            mine = parse_id(mine) if parse_id(mine) is not None else (mine.strip() or None)
        elif isinstance(mine, str):
            mine = mine.strip()
        if mine != theirs:
            changes[field] = (mine, theirs)
    return changes


def update_doc_integration(actor: UserLike, instance: DocIntegration, data: Mapping,
                           expected_version: int | None, ip_address: str | None = None) -> DocIntegration:
    """Staff: update fields and replace the feature set, all or nothing; audit DOC_INTEGRATION_EDIT.

    A stale `expected_version` raises StaleEdit(changes) before anything is written;
    `is_draft` absent keeps the current state; the slug never changes.
    """
    require_staff(actor)
    current_rows = features_for([instance])[instance.id]
    before = doc_integration_values(instance, current_rows)
    if expected_version is not None and expected_version != instance.version:
        raise StaleEdit(_stale_changes(instance, data, before))
    cleaned = validate_doc_integration(data, instance=instance)
    for field in ("name", "author", "description", "url", "popularity", "is_draft", "resources"):
        setattr(instance, field, cleaned[field])
    instance.date_updated = utcnow()  # always an UPDATE, so the version moves on every save
    _replace_features(instance, cleaned["features"], current_rows)
    db.session.flush()
    after = doc_integration_values(instance, cleaned["features"])
    record_audit(event="DOC_INTEGRATION_EDIT", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": _audit_changes(before, after)}, ip_address=ip_address)
    return instance


@dataclass
class DeleteImpact:
    """What deleting a doc integration takes with it (for the confirmation page)."""

    features: list[IntegrationFeature]
    logo: DocIntegrationLogo | None


def delete_impact(instance: DocIntegration) -> DeleteImpact:
    return DeleteImpact(features=features_for([instance])[instance.id], logo=instance.logo)


def delete_doc_integration(actor: UserLike, instance: DocIntegration, ip_address: str | None = None) -> dict:
    """Staff: delete the record, its feature rows and logo together; audit DOC_INTEGRATION_REMOVE.

    Returns what went: {"features": n, "logo": bool}.
    """
    require_staff(actor)
    rows = features_for([instance])[instance.id]
    before = doc_integration_values(instance, rows)
    logo = instance.logo
    had_logo = logo is not None
    if logo is not None:
        before["logo"] = logo.uuid
    result = {"features": len(rows), "logo": had_logo}
    record_audit(event="DOC_INTEGRATION_REMOVE", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": _audit_changes(before, {}), "slug": instance.slug,
                       "deleted": result},
                 ip_address=ip_address)
    db.session.execute(
        delete(IntegrationFeature).where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
            IntegrationFeature.target_id == instance.id,
        )
    )
    db.session.delete(instance)  # the logo goes with it (delete-orphan cascade)
    db.session.flush()
    return result
