"""CSRF is on here (as in production): a POST without the token is refused."""

import pytest

from tests import factories
from webapp.extensions import db


@pytest.fixture
def csrf_app(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()


def _member_client(app):
    """A test client whose session is logged in as a member of org `acme`."""
    org = factories.make_org(slug="acme")
    user = factories.make_user()
    factories.make_member(org, user, "member")
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    return client, user


def test_login_post_without_csrf_token_is_400(csrf_app):
    factories.make_user(email="eve@example.com")
    db.session.commit()
    response = csrf_app.test_client().post(
        "/login/", data={"email": "eve@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "could not be submitted" in response.get_data(as_text=True)


def test_logout_without_csrf_token_is_400_and_keeps_the_session(csrf_app):
    client, _ = _member_client(csrf_app)
    assert client.post("/logout/").status_code == 400
    assert client.get("/settings/acme/").status_code == 200


def test_login_with_csrf_token_works(csrf_app):
    from bs4 import BeautifulSoup

    factories.make_user(email="fay@example.com")
    db.session.commit()
    client = csrf_app.test_client()
    page = BeautifulSoup(client.get("/login/").get_data(as_text=True), "html.parser")
    token = page.find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        "/login/", data={"email": "fay@example.com", "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_session_cookie_flags(csrf_app):
    factories.make_user(email="gus@example.com")
    db.session.commit()
    csrf_app.config["WTF_CSRF_ENABLED"] = False
    response = csrf_app.test_client().post(
        "/login/", data={"email": "gus@example.com", "password": factories.PASSWORD}
    )
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_nul_characters_in_forms_and_filters_are_400_not_500(app_factory):
    app = app_factory()
    with app.app_context():
        org = factories.make_org(slug="acme")
        user = factories.make_user(is_staff=True)
        factories.make_member(org, user, "member")
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
        response = client.post("/doc-integrations/new/", data={
            "name": "Bad\x00Name", "author": "a", "description": "d", "url": "https://x.example"})
        assert response.status_code == 400
        assert "NUL character" in response.get_data(as_text=True)
        assert client.get("/doc-integrations/?q=a%00b").status_code == 400
        response = client.post("/settings/acme/integration-requests/", data={
            "provider_type": "first_party", "provider_slug": "slack", "message": "hi\x00"})
        assert response.status_code == 400
        db.session.remove()


def _remote_addr_seen(app) -> str:
    from flask import request

    seen = {}

    @app.get("/whoami-test")
    def whoami():
        seen["ip"] = request.remote_addr
        return "ok"

    app.test_client().get("/whoami-test", headers={"X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    return seen["ip"]


def test_proxy_fix_makes_the_client_address_the_forwarded_one(app_factory):
    assert _remote_addr_seen(app_factory()) == "127.0.0.1"  # default: direct connections
    assert _remote_addr_seen(app_factory(PROXY_FIX_X_FOR=1)) == "203.0.113.9"


def test_numeric_org_reference_resolves_alike_on_pages_and_api(client, login_as, org):
    """An org named by numeric id while another org's slug is that number: pages and the
    API pick the same org (one the user belongs to first, then slug over id)."""
    from webapp.services.tokens import create_token

    user = login_as("member")
    factories.make_org(slug=str(org.id))  # someone else's org whose slug is acme's id
    _, token = create_token(user, "t")
    db.session.commit()
    page = client.get(f"/settings/{org.id}/integrations/")
    api = client.get(f"/api/0/organizations/{org.id}/integrations/",
                     headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == api.status_code == 200


def _logout_token(client, path: str) -> str:
    from bs4 import BeautifulSoup
    from flask import g

    for name in ("csrf_token", "_login_user"):  # the test's app context (and g) is shared
        g.pop(name, None)
    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    return page.select_one('form[action="/logout/"] input[name="csrf_token"]')["value"]


@pytest.fixture
def ticking_signer(monkeypatch):
    """Every signature gets a later timestamp, as requests a second apart would."""
    from itertools import count

    from itsdangerous import TimestampSigner

    seconds = count(1_800_000_000)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(seconds))


def test_with_a_csrf_time_limit_each_page_signs_anew(app_factory, ticking_signer):
    """A configured time limit makes tokens expire: then every page signs a fresh one."""
    app = app_factory(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=3600)
    with app.app_context():
        client, _ = _member_client(app)
        first = _logout_token(client, "/settings/acme/")
        second = _logout_token(client, "/settings/acme/")
        assert first != second
        assert client.post("/logout/", data={"csrf_token": first}).status_code == 302
        db.session.remove()


def _main_form_token(client, path: str) -> str:
    """The CSRF token of the confirmation form in <main> of the page at `path`."""
    from bs4 import BeautifulSoup
    from flask import g

    for name in ("csrf_token", "_login_user"):  # the test's app context (and g) is shared
        g.pop(name, None)
    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    return page.select_one('main form[method="post"] input[name="csrf_token"]')["value"]


def test_confirmed_actions_need_the_token_of_their_confirmation_page(csrf_app):
    """Disable, restore and revoke change nothing on a POST without the CSRF token (400);
    the token of their confirmation page does it."""
    from webapp.models import ApiToken, ObjectStatus, OrganizationIntegration
    from webapp.services.tokens import create_token

    acme = factories.make_org(slug="acme")
    user = factories.make_user()
    factories.make_member(acme, user, "admin")
    active = factories.install(acme, factories.make_integration(provider="slack"))
    pending = factories.install(acme, factories.make_integration(provider="slack"),
                                status=ObjectStatus.PENDING_DELETION)
    token, _ = create_token(user, "script")
    db.session.commit()
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    ids = {"active": active.id, "pending": pending.id, "token": token.id}
    cases = [
        (f"/settings/acme/integrations/slack/{active.integration_id}/disable/",
         lambda: db.session.get(OrganizationIntegration, ids["active"]).status == ObjectStatus.DISABLED),
        (f"/settings/acme/integrations/slack/{pending.integration_id}/restore/",
         lambda: db.session.get(OrganizationIntegration, ids["pending"]).status == ObjectStatus.DISABLED),
        (f"/account/tokens/{token.id}/revoke/",
         lambda: db.session.get(ApiToken, ids["token"]).revoked_at is not None),
    ]
    for path, done in cases:
        response = client.post(path)
        assert response.status_code == 400, path
        assert "could not be submitted" in response.get_data(as_text=True)
        db.session.expire_all()
        assert not done(), path
        assert client.post(path, data={"csrf_token": _main_form_token(client, path)}).status_code == 302
        db.session.expire_all()
        assert done(), path
