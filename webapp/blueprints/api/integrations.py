"""Installed integrations of an organization (SPEC §7.1, §7.5, §8).

- GET    /api/0/organizations/<org>/integrations/                   the filtered list, paginated
- GET    /api/0/organizations/<org>/integrations/<integration_id>/  one installation
- POST   same                                                        merge config values (admins+)
- DELETE same                                                        uninstall (pending deletion)

Thin: parse → services.integrations → serializers. Filtering, sorting and the config rules
live in the service, shared with the HTML pages.
"""

from flask import jsonify

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
from webapp.blueprints.api.serializers import serialize_installation
from webapp.blueprints.integrations.forms import IntegrationFilterForm
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
    form = IntegrationFilterForm.from_args()
    if not form.validate():
        if form.integration_type.errors:  # Sentry answers this one with a detail
            raise ApiError(400, "Invalid integration type")
        raise ValidationFailed(form.errors)
    organization = access.organization
    filters = svc.resolve_policy(organization, form.filters())
    facets = svc.result_counts(organization, filters)

    def page(offset: int, limit: int):
        rows = svc.installation_rows(organization, filters, offset, limit, facets)
        items = [serialize_installation(row, filters.include_config) for row in rows]
        return items, offset + len(rows) < facets.total

    return paginate(page)


def _installation(org: str, integration_id: str, capability: Capability):
    access = org_access(org)
    access.require(capability)
    return svc.get_org_integration(access.organization, integration_id)


def _detail_response(oi, status: int = 200):
    response = jsonify(serialize_installation(svc.InstallationRow.of(oi), include_config=True))
    response.status_code = status
    return with_etag(response, oi.version)


@bp.get("/organizations/<org>/integrations/<installation:integration_id>/")
def org_integration_detail(org: str, integration_id: str):
    """Members: one installation with its config; the ETag is its version."""
    return _detail_response(_installation(org, integration_id, Capability.VIEW))


@bp.post("/organizations/<org>/integrations/<installation:integration_id>/")
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


@bp.delete("/organizations/<org>/integrations/<installation:integration_id>/")
def org_integration_delete(org: str, integration_id: str):
    """Admins and up: uninstall (pending deletion; `run-deletions` finishes it). 204, also
    when the installation is already pending deletion (as Sentry)."""
    oi = _installation(org, integration_id, Capability.MANAGE_INTEGRATIONS)
    if oi.status != int(ObjectStatus.PENDING_DELETION):
        svc.uninstall_integration(api_user(), oi, ip_address=client_ip())
        db.session.commit()
    return "", 204
