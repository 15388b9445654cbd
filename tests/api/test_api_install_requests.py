"""POST /api/0/organizations/<org>/integration-requests/ (SPEC §7.4, §8), ported from
Sentry's OrganizationIntegrationRequestEndpoint tests, plus the stored-request additions."""

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditLogEntry, IntegrationRequest, SentryApp

URL = "/api/0/organizations/acme/integration-requests/"


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(IntegrationRequest))


def test_member_request_is_stored_201(api_as, org):
    api = api_as("member")
    response = api.post(URL, json={"providerSlug": "slack", "providerType": "first_party",
                                   "message": "  For alerts.  "})
    assert response.status_code == 201
    body = response.json
    assert body["providerName"] == "Slack"
    assert body["providerSlug"] == "slack"
    assert body["providerType"] == "first_party"
    assert body["message"] == "For alerts."
    assert body["status"] == "open"
    assert body["dateAdded"].endswith("Z")
    row = db.session.scalars(select(IntegrationRequest)).one()
    assert str(row.id) == body["id"]
    assert row.requester_id == api.user.id
    assert db.session.scalar(select(AuditLogEntry.event)) == "INTEGRATION_REQUEST"


@pytest.mark.parametrize(("provider_type", "slug", "name"), [
    ("plugin", "trello", "Trello"),
    ("sentry_app", "acme-app", "Acme App"),
])
def test_plugin_and_sentry_app_requests(api_as, org, provider_type, slug, name):
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    db.session.commit()
    response = api_as().post(URL, json={"providerSlug": slug, "providerType": provider_type})
    assert response.status_code == 201
    assert response.json["providerName"] == name


def test_snake_case_keys_work_too(api_as, org):
    response = api_as().post(URL, json={"provider_slug": "github", "provider_type": "first_party"})
    assert response.status_code == 201
    assert response.json["providerName"] == "GitHub"


@pytest.mark.parametrize("role", ["admin", "manager", "owner", "staff"])
def test_user_who_can_install_gets_200_and_nothing_is_stored(api_as, org, role):
    response = api_as(role).post(URL, json={"providerSlug": "slack", "providerType": "first_party"})
    assert response.status_code == 200
    assert response.json == {"detail": "User can install integration"}
    assert stored() == 0


@pytest.mark.parametrize("provider_type", ["first_party", "plugin", "sentry_app"])
def test_unknown_provider_is_400_detail(api_as, org, provider_type):
    response = api_as().post(URL, json={"providerSlug": "nope", "providerType": provider_type})
    assert response.status_code == 400
    assert response.json == {"detail": "Provider nope not found"}
    assert stored() == 0


@pytest.mark.parametrize("role", ["owner", "manager", "admin", "staff"])
@pytest.mark.parametrize("body", [
    {"providerSlug": "nope", "providerType": "first_party"},
    {"providerSlug": "slack", "providerType": "magic"},
    {"providerSlug": "slack", "providerType": "first_party", "message": "x" * 1001},
    {},
])
def test_user_who_can_install_is_told_so_whatever_the_provider(api_as, org, role, body):
    """Sentry's test_integration_request_as_owner: the permission check comes before the
    provider lookup, so nothing about the body is checked for them."""
    response = api_as(role).post(URL, json=body)
    assert response.status_code == 200
    assert response.json == {"detail": "User can install integration"}
    assert stored() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLogEntry)) == 0


@pytest.mark.parametrize("provider_type", ["magic", "doc_integration", "", None, 5, ["plugin"]])
def test_unknown_provider_type_is_provider_not_found_as_in_sentry(api_as, org, provider_type):
    """Sentry looks the type and slug up together and does not validate the type first."""
    body = {"providerSlug": "slack", "providerType": provider_type}
    if provider_type is None:
        del body["providerType"]
    response = api_as().post(URL, json=body)
    assert response.status_code == 400
    assert response.json == {"detail": "Provider slack not found"}
    assert stored() == 0


def test_too_long_message_is_a_field_error(api_as, org):
    response = api_as().post(URL, json={"providerSlug": "slack", "providerType": "first_party",
                                        "message": "x" * 1001})
    assert response.status_code == 400
    assert list(response.json) == ["message"]
    assert "at most 1,000 characters" in response.json["message"][0]
    assert stored() == 0


@pytest.mark.parametrize("message", [5, ["a"], {"a": 1}])
def test_non_text_message_is_400(api_as, org, message):
    response = api_as().post(URL, json={"providerSlug": "slack", "providerType": "first_party",
                                        "message": message})
    assert response.status_code == 400
    assert response.json == {"message": ["Message must be text."]}


def test_second_open_request_is_409(api_as, org):
    api = api_as()
    body = {"providerSlug": "slack", "providerType": "first_party"}
    assert api.post(URL, json=body).status_code == 201
    response = api.post(URL, json=body)
    assert response.status_code == 409
    assert response.json == {"detail": "You already requested Slack."}
    assert stored() == 1


def test_resolved_request_no_longer_blocks(api_as, org):
    api = api_as()
    body = {"providerSlug": "slack", "providerType": "first_party"}
    api.post(URL, json=body)
    db.session.scalars(select(IntegrationRequest)).one().status = "done"
    db.session.commit()
    assert api.post(URL, json=body).status_code == 201


@pytest.mark.parametrize("body", ["[]", "oops", '"slack"'])
def test_body_must_be_an_object(api_as, org, body):
    response = api_as().post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"detail": "Request body must be a JSON object."}


def test_non_member_is_404(api_as, org):
    response = api_as("outsider").post(URL, json={"providerSlug": "slack", "providerType": "first_party"})
    assert response.status_code == 404
    assert stored() == 0


def test_org_by_id(api_as, org):
    response = api_as().post(f"/api/0/organizations/{org.id}/integration-requests/",
                             json={"providerSlug": "slack", "providerType": "first_party"})
    assert response.status_code == 201


def test_get_is_405(api_as, org):
    response = api_as().get(URL)
    assert response.status_code == 405
    assert response.is_json
