"""API authentication, errors and pagination plumbing."""

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
