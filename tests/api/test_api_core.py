"""API authentication, errors and pagination plumbing."""

import re
from datetime import timedelta

import pytest

from tests import factories
from webapp.extensions import db
from webapp.models import utcnow
from webapp.services.tokens import create_token


@pytest.fixture
def token(org):
    user = factories.make_user(email="script@example.com")
    factories.make_member(org, user, "member")
    row, plaintext = create_token(user, "script")
    db.session.commit()
    return row, plaintext


def bearer(plaintext):
    return {"Authorization": f"Bearer {plaintext}"}


def test_no_credentials_is_401_json(client):
    response = client.get("/api/0/integration-features/")
    assert response.status_code == 401
    assert response.json == {"detail": "Authentication credentials were not provided."}


def test_bearer_token_works_and_marks_last_used(client, token):
    row, plaintext = token
    response = client.get("/api/0/integration-features/", headers=bearer(plaintext))
    assert response.status_code == 200
    ids = [f["featureId"] for f in response.json]
    assert ids == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert response.json[0]["featureGate"] == "integrations-api"
    db.session.refresh(row)
    assert row.last_used is not None


def test_last_used_is_written_at_most_once_a_minute(client, token, count_queries):
    """A script polling the API does not turn each read into a write; an hour-old
    last_used moves on the next call."""
    from datetime import timedelta

    from webapp.models import utcnow
    from webapp.services.tokens import LAST_USED_RESOLUTION

    row, plaintext = token
    client.get("/api/0/integration-features/", headers=bearer(plaintext))
    db.session.refresh(row)
    first = row.last_used
    with count_queries() as counter:
        assert client.get("/api/0/integration-features/", headers=bearer(plaintext)).status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    db.session.refresh(row)
    assert row.last_used == first
    row.last_used = utcnow() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    db.session.commit()
    client.get("/api/0/integration-features/", headers=bearer(plaintext))
    db.session.refresh(row)
    assert row.last_used > first


@pytest.mark.parametrize("header", ["Bearer nope", "Token abc", "Bearer "])
def test_bad_tokens_are_401(client, token, header):
    response = client.get("/api/0/integration-features/", headers={"Authorization": header})
    assert response.status_code == 401
    assert "detail" in response.json


def test_revoked_and_expired_tokens_are_401(client, token):
    row, plaintext = token
    row.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/0/integration-features/", headers=bearer(plaintext)).status_code == 401
    row.revoked_at = None
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/0/integration-features/", headers=bearer(plaintext)).status_code == 401


def test_session_auth_works_for_reads(client, login_as):
    login_as("member")
    assert client.get("/api/0/integration-features/").status_code == 200


def test_unknown_api_route_is_json_404(client, token):
    _, plaintext = token
    response = client.get("/api/0/nope/", headers=bearer(plaintext))
    assert response.status_code == 404
    assert response.is_json


def _csrf_app_with_member(app_factory):
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    ctx = csrf_app.app_context()
    ctx.push()
    org = factories.make_org(slug="acme")
    user = factories.make_user()
    factories.make_member(org, user, "member")
    db.session.commit()
    return csrf_app, ctx, user


REQUEST_URL = "/api/0/organizations/acme/integration-requests/"
REQUEST_BODY = {"providerSlug": "slack", "providerType": "first_party"}


def test_session_unsafe_method_without_csrf_header_is_refused(app_factory):
    csrf_app, ctx, user = _csrf_app_with_member(app_factory)
    try:
        client = csrf_app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        assert client.get("/api/0/organizations/acme/integrations/").status_code == 200
        refused = client.post(REQUEST_URL, json=REQUEST_BODY)
        assert refused.status_code == 403, refused.json
        assert refused.json["detail"].startswith("CSRF Failed")
        page = client.get("/settings/acme/integration-requests/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        accepted = client.post(REQUEST_URL, json=REQUEST_BODY, headers={"X-CSRFToken": token})
        assert accepted.status_code == 201
    finally:
        db.session.remove()
        ctx.pop()


def test_bearer_token_needs_no_csrf_header(app_factory):
    csrf_app, ctx, user = _csrf_app_with_member(app_factory)
    try:
        _, plaintext = create_token(user, "script")
        db.session.commit()
        response = csrf_app.test_client().post(REQUEST_URL, json=REQUEST_BODY, headers=bearer(plaintext))
        assert response.status_code == 201
    finally:
        db.session.remove()
        ctx.pop()


def test_inactive_users_token_is_401(client, token):
    row, plaintext = token
    row.user.is_active = False
    db.session.commit()
    assert client.get("/api/0/integration-features/", headers=bearer(plaintext)).status_code == 401


def test_unsafe_method_on_read_only_route_is_405_json(client, token):
    _, plaintext = token
    response = client.post("/api/0/integration-features/", headers=bearer(plaintext))
    assert response.status_code == 405
    assert response.is_json
    assert "GET" in response.headers["Allow"]


# -- bad input is a 4xx, never a 500 (PostgreSQL refuses NUL in text) -------------------------

UNSTORABLE = ["Text cannot contain NUL characters or invalid Unicode."]


@pytest.fixture
def member_headers(token):
    return bearer(token[1])


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_deeply_nested_body_is_400(client, member_headers, body):
    response = client.post(REQUEST_URL, data=body, content_type="application/json", headers=member_headers)
    assert response.status_code == 400
    assert response.json == {"detail": "Request body is nested too deeply."}


@pytest.mark.parametrize(("body", "field"), [
    ('{"providerSlug": "sl\\u0000ack", "providerType": "first_party"}', "providerSlug"),
    ('{"providerSlug": "slack", "providerType": "first_party", "message": "\\ud800"}', "message"),
    ('{"providerSlug": "slack", "providerType": "first_party", "message": {"a": ["\\u0000"]}}', "message"),
])
def test_unstorable_text_in_the_body_is_a_field_error(client, member_headers, body, field):
    response = client.post(REQUEST_URL, data=body, content_type="application/json", headers=member_headers)
    assert response.status_code == 400
    assert response.json == {field: UNSTORABLE}


@pytest.mark.parametrize("path", [
    "/api/0/organizations/ac%00me/integrations/",
    "/api/0/organizations/acme/integrations/1%00/",
    "/api/0/doc-integrations/a%00b/",
])
def test_nul_in_the_path_is_404(client, member_headers, path):
    response = client.get(path, headers=member_headers)
    assert response.status_code == 404
    assert response.is_json


@pytest.mark.parametrize(("path", "arg"), [
    ("/api/0/doc-integrations/", "query"),
    ("/api/0/organizations/acme/plugins/configs/", "plugins"),
    ("/api/0/organizations/acme/integrations/", "q"),
])
def test_nul_in_a_query_arg_is_400(client, member_headers, path, arg):
    response = client.get(path, query_string={arg: "a\x00b"}, headers=member_headers)
    assert response.status_code == 400
    assert response.json == {arg: UNSTORABLE}
