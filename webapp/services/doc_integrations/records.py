"""One doc integration as the other modules read it: who may see or change it, its feature
rows, and the values that audit diffs, stale-edit reports and serializers compare."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
)
from webapp.services.actors import UserLike
from webapp.services.errors import Forbidden, NotFound
from webapp.services.ids import parse_id

TARGET_TYPE = "doc_integration"

# Fields compared for audit diffs and stale-edit reports, in display order.
VALUE_FIELDS = ("name", "author", "description", "url", "popularity", "is_draft", "resources", "features")


def is_staff(user: UserLike | None) -> bool:
    """True for a signed-in privileged user: the only one who sees drafts and makes changes."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_privileged)


def require_staff(actor: UserLike | None) -> None:
    """Raise Forbidden unless `actor` is staff."""
    if not is_staff(actor):
        raise Forbidden()


def features_for(doc_integrations: Iterable[DocIntegration | int]) -> dict[int, list[IntegrationFeature]]:
    """Feature rows of many doc integrations in one query: {id: [rows by feature id]}."""
    ids = [item if isinstance(item, int) else item.id for item in doc_integrations]
    result: dict[int, list[IntegrationFeature]] = {doc_id: [] for doc_id in ids}
    if not ids:
        return result
    rows = db.session.scalars(
        select(IntegrationFeature)
        .where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
            IntegrationFeature.target_id.in_(ids),
        )
        .order_by(IntegrationFeature.target_id, IntegrationFeature.feature)
    )
    for row in rows:
        result[row.target_id].append(row)
    return result


def doc_integration_values(instance: DocIntegration, features: Iterable[IntegrationFeature | int]) -> dict:
    """The comparable values of a record (audit diffs, stale reports, serializers)."""
    feature_ids = sorted(f if isinstance(f, int) else f.feature for f in features)
    return {
        "name": instance.name,
        "author": instance.author,
        "description": instance.description,
        "url": instance.url,
        "popularity": instance.popularity,
        "is_draft": instance.is_draft,
        "resources": list(instance.resources or []),
        "features": feature_ids,
    }


def get_doc_integration(user: UserLike | None, id_or_slug: int | str, *, for_api: bool = False) -> DocIntegration:
    """One doc integration by id or slug, logo loaded; a draft is NotFound (HTML) or
    Forbidden (API) for anyone but staff."""
    query = select(DocIntegration).options(joinedload(DocIntegration.logo).defer(DocIntegrationLogo.data))
    record_id = parse_id(id_or_slug)
    if record_id is not None:
        query = query.where(DocIntegration.id == record_id)
    elif isinstance(id_or_slug, int) or (isinstance(id_or_slug, str) and id_or_slug.strip().isdigit()):
        raise NotFound("Doc integration not found.")  # a number no id can have
    else:
        query = query.where(DocIntegration.slug == str(id_or_slug))
    instance = db.session.scalar(query)
    if instance is None:
        raise NotFound("Doc integration not found.")
    if instance.is_draft and not is_staff(user):
        if for_api:
            raise Forbidden()
        raise NotFound("Doc integration not found.")
    return instance
