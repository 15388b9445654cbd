"""Installed integrations of an organization (SPEC §7.1, §7.5, §8).

- GET    /api/0/organizations/<org>/integrations/                   the filtered list, paginated
- GET    /api/0/organizations/<org>/integrations/<integration_id>/  one installation
- POST   same                                                        merge config values (admins+)
- DELETE same                                                        uninstall (pending deletion)

Thin: parse → services.integrations → serializers. Filtering, sorting and the config rules
live in the service, shared with the HTML pages.
"""

from flask import jsonify, request

from webapp.blueprints.api import bp
from webapp.blueprints.api.common import (
    ApiError,
    api_user,
    client_ip,
    if_match_version,
    json_body,
    org_access,
    paginate,
    with_etag,
)
from webapp.blueprints.api.serializers import (
    serialize_org_integration,
    serialize_org_integration_row,
)
from webapp.extensions import db
from webapp.models import ObjectStatus
from webapp.services import integrations as svc
from webapp.services.errors import ValidationFailed
from webapp.services.permissions import Capability


@bp.get("/organizations/<org>/integrations/")
def org_integrations(org: str):
    """Members: the org's installations (active, disabled, pending deletion), filtered in SQL
    before pagination, ordered by integration name then id (or `sort`)."""
    access = org_access(org)
    access.require(Capability.VIEW)
    try:
        filters = svc.parse_integration_filters(request.args.to_dict(flat=False))
    except ValidationFailed as exc:
        if "integration_type" in exc.field_errors:  # Sentry answers this one with a detail
            raise ApiError(400, "Invalid integration type") from None
        raise
    org = access.organization

    def page(offset: int, limit: int):
        if offset % limit == 0:  # the cursors of our Link headers: the pages' own (fast) path
            result = svc.list_org_integrations(org, filters, page=offset // limit + 1,
                                               per_page=limit, lean="api")
            if offset >= result.total:  # past the end (the pages would show the last page)
                return [], False
            has_more = offset + len(result.items) < result.total
            return [serialize_org_integration_row(row, filters.include_config)
                    for row in result.items], has_more
        # A cursor from a different per_page: the same query, at that offset.
        query = svc.org_integrations_query(org, filters).limit(limit + 1).offset(offset)
        found = list(db.session.scalars(query).unique())
        return ([serialize_org_integration(oi, filters.include_config) for oi in found[:limit]],
                len(found) > limit)

    return paginate(page)


def _installation(org: str, integration_id: str, capability: Capability):
    access = org_access(org)
    access.require(capability)
    return svc.get_org_integration(access.organization, integration_id)


def _detail_response(oi, status: int = 200):
    response = jsonify(serialize_org_integration(oi, include_config=True))
    response.status_code = status
    return with_etag(response, oi.version)


@bp.get("/organizations/<org>/integrations/<integration_id>/")
def org_integration_detail(org: str, integration_id: str):
    """Members: one installation with its config; the ETag is its version."""
    return _detail_response(_installation(org, integration_id, Capability.VIEW))


@bp.post("/organizations/<org>/integrations/<integration_id>/")
def org_integration_update(org: str, integration_id: str):
    """Admins and up: merge the body's schema fields into the config (INTEGRATION_EDIT).

    `If-Match: "<version>"` refuses the save with 409 when the installation changed since.
    """
    oi = _installation(org, integration_id, Capability.MANAGE_INTEGRATIONS)
    values = json_body()
    svc.update_integration_config(api_user(), oi, values, expected_version=if_match_version(),
                                  ip_address=client_ip())
    db.session.commit()
    return _detail_response(oi)


@bp.delete("/organizations/<org>/integrations/<integration_id>/")
def org_integration_delete(org: str, integration_id: str):
    """Admins and up: uninstall (pending deletion; `run-deletions` finishes it). 204, also
    when the installation is already pending deletion (as Sentry)."""
    oi = _installation(org, integration_id, Capability.MANAGE_INTEGRATIONS)
    if oi.status != int(ObjectStatus.PENDING_DELETION):
        svc.uninstall_integration(api_user(), oi, ip_address=client_ip())
        db.session.commit()
    return "", 204
