"""POST /api/0/organizations/<org>/integration-requests/ (SPEC §7.4, §8).

Sentry's OrganizationIntegrationRequestEndpoint, on services.install_requests: 201 with the
stored request; 200 {"detail": "User can install integration"} for admins and up (nothing
stored); 400 {"detail": "Provider <slug> not found"}; 409 for a second open request.
"""

from flask import jsonify, request

from webapp.blueprints.api import bp
from webapp.blueprints.api.common import ApiError, client_ip, json_body, org_access, refuse_nulls
from webapp.blueprints.api.serializers import serialize_install_request
from webapp.services.errors import ValidationFailed
from webapp.services.install_requests import create_install_request
from webapp.services.permissions import Capability

# Service field names → the body's names.
FIELD_NAMES = {"provider_type": "providerType", "provider_slug": "providerSlug", "message": "message"}


def _body_value(body: dict, camel: str, snake: str):
    return body[camel] if camel in body else body.get(snake)


@bp.post("/organizations/<org>/integration-requests/")
def integration_request(org: str):
    """Members: ask the owners and managers to install a provider (stored, emailed, audited)."""
    access = org_access(org)
    access.require(Capability.REQUEST_INSTALL)
    body = json_body()
    refuse_nulls(body, "message")
    try:
        outcome = create_install_request(
            access,
            _body_value(body, "providerType", "provider_type"),
            _body_value(body, "providerSlug", "provider_slug"),
            body.get("message"),
            client_ip(),
            base_url=request.url_root,
        )
    except ValidationFailed as exc:
        errors = exc.field_errors
        if list(errors) == ["provider_slug"]:  # Sentry: {"detail": "Provider <slug> not found"}
            raise ApiError(400, errors["provider_slug"][0]) from None
        raise ValidationFailed({FIELD_NAMES.get(k, k): v for k, v in errors.items()}) from None
    if outcome.request is None:  # the user can install it: nothing was stored
        return jsonify({"detail": "User can install integration"}), 200
    return jsonify(serialize_install_request(outcome.request)), 201
