"""The layout, login/logout, org access, tokens page, health check."""

from bs4 import BeautifulSoup
from flask import g

from tests import factories
from webapp.extensions import db
from webapp.models import ApiToken


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_login_page_serves_bootstrap_locally_and_no_external_urls(client):
    response = client.get("/login/")
    assert response.status_code == 200
    page = soup(response)
    assert page.title.string.startswith("Log in")
    links = [tag.get("href") or tag.get("src") for tag in page.find_all(["link", "script"])]
    assert any("/bootstrap/static/" in (link or "") for link in links)
    assert not [link for link in links if link and link.startswith(("http:", "https:", "//"))]
    assert page.find("label", attrs={"for": "email"}) is not None


def test_login_then_org_shell_shows_nav(client, org):
    user = factories.make_user(email="ann@example.com")
    factories.make_member(org, user, "owner")
    db.session.commit()
    response = client.post("/login/", data={"email": "ANN@example.com", "password": factories.PASSWORD})
    assert response.status_code == 302
    response = client.get("/settings/acme/")
    assert response.status_code == 200
    page = soup(response)
    nav = page.find("nav", attrs={"aria-label": "Main"})
    assert nav is not None
    assert "Acme Corp" in page.get_text()
    assert page.find(attrs={"role": "status"}) is not None
    assert page.find("a", class_="skip-link") is not None


def test_wrong_password_gives_one_message_for_every_failure(client, org):
    factories.make_user(email="bob@example.com")
    db.session.commit()
    for email in ("bob@example.com", "nobody@example.com"):
        response = client.post("/login/", data={"email": email, "password": "wrong-password"})
        assert response.status_code == 400
        assert "Invalid email or password." in response.get_data(as_text=True)


def test_next_is_followed_only_to_same_site_paths(client, org):
    user = factories.make_user(email="cy@example.com")
    factories.make_member(org, user, "member")
    db.session.commit()
    data = {"email": "cy@example.com", "password": factories.PASSWORD}
    response = client.post("/login/?next=https://elsewhere.example/", data=data)
    assert response.status_code == 302
    assert "elsewhere.example" not in response.headers["Location"]
    client.post("/logout/")
    for bad in ("//elsewhere.example/", "/\\elsewhere.example", "javascript:alert(1)"):
        response = client.post("/login/?next=" + bad, data=data)
        assert "elsewhere" not in response.headers["Location"]
        assert not response.headers["Location"].startswith("javascript")
        client.post("/logout/")
    response = client.post("/login/?next=/account/tokens/", data=data)
    assert response.headers["Location"] == "/account/tokens/"


def test_pages_redirect_anonymous_users_to_login_with_next(client, org):
    response = client.get("/settings/acme/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/?next=")


def test_non_member_gets_404_for_org_pages(client, login_as):
    factories.make_org(slug="other", name="Other Inc")
    login_as("owner")
    assert client.get("/settings/other/").status_code == 404
    assert client.get("/settings/does-not-exist/").status_code == 404
    assert client.get("/settings/acme/").status_code == 200


def test_staff_can_open_any_org(client, login_as):
    factories.make_org(slug="other", name="Other Inc")
    login_as("staff")
    assert client.get("/settings/other/").status_code == 200


def test_logout_is_post_only(client, login_as):
    login_as("member")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/settings/acme/").status_code == 302


def test_security_headers(client):
    response = client.get("/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_healthz_503_when_database_does_not_answer(app_factory, tmp_path):
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    with app.app_context():
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        db.session.remove()


def test_unknown_page_is_404_in_the_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_oversized_body_is_413(client):
    response = client.post("/login/", data={"email": "a@example.com", "password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_tokens_created_shown_once_stored_hashed_and_revocable(client, login_as):
    user = login_as("member")
    response = client.post("/account/tokens/", data={"name": "deploy script"})
    assert response.status_code == 200
    page = soup(response)
    plaintext = page.find("input", id="new-token")["value"]
    token = db.session.scalars(db.select(ApiToken)).one()
    assert token.user_id == user.id
    assert token.token_hash != plaintext and plaintext not in token.token_hash
    assert token.last_four == plaintext[-4:]
    again = client.get("/account/tokens/")
    assert plaintext not in again.get_data(as_text=True)
    assert "deploy script" in again.get_data(as_text=True)
    (revoke,) = [a for a in soup(again).find_all("a") if a.get_text(strip=True).startswith("Revoke")]
    assert revoke.get_text(" ", strip=True) == "Revoke token “deploy script”"
    assert revoke["href"] == f"/account/tokens/{token.id}/revoke/"
    response = client.post(revoke["href"], follow_redirects=True)
    assert "Token “deploy script” revoked" in response.get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is not None


def test_revoking_a_token_asks_first_and_get_changes_nothing(client, login_as):
    from webapp.services.tokens import create_token

    user = login_as("member")
    token, plaintext = create_token(user, "deploy script")
    db.session.commit()
    response = client.get(f"/account/tokens/{token.id}/revoke/")
    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Revoke token “deploy script”?")
    text = page.find("main").get_text(" ", strip=True)
    assert "…" + plaintext[-4:] in text and "refused (401)" in text and "cannot be undone" in text
    assert plaintext not in page.decode()
    form = page.find("main").find("form", attrs={"method": "post"})
    assert form.find("button").get_text(strip=True) == "Revoke"
    assert page.find("a", string="Cancel")["href"] == "/account/tokens/"
    db.session.refresh(token)
    assert token.revoked_at is None
    # Revoked: the page says so and offers nothing to click but the way back.
    assert client.post(f"/account/tokens/{token.id}/revoke/").status_code == 302
    page = soup(client.get(f"/account/tokens/{token.id}/revoke/"))
    assert "This token was revoked on" in page.get_text()
    assert page.find("main").find("form", attrs={"method": "post"}) is None
    assert page.find("a", string="Revoke") is None


def test_token_form_rejects_bad_input(client, login_as):
    login_as("member")
    response = client.post("/account/tokens/", data={"name": "", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Name is required." in text
    assert "Expiry must be a date in the future." in text
    response = client.post("/account/tokens/", data={"name": "x", "expires_on": "not-a-date"})
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.get_data(as_text=True)
    assert db.session.scalars(db.select(ApiToken)).first() is None


def test_cannot_revoke_someone_elses_token(client, login_as):
    from webapp.services.tokens import create_token

    other = factories.make_user()
    token, _ = create_token(other, "theirs")
    db.session.commit()
    login_as("member")
    assert client.get(f"/account/tokens/{token.id}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{token.id}/revoke/").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_history_hides_ip_addresses_from_members(client, login_as, org):
    from webapp.services.audit import record_audit

    owner = login_as("owner")
    oi = factories.install(org, factories.make_integration("slack", external_id="T1"))
    record_audit(event="INTEGRATION_DISABLE", actor=owner, organization=org,
                 target_type="organization_integration", target_id=oi.id, target_object="x",
                 data={"changes": {"status": {"before": "active", "after": "disabled"}}},
                 ip_address="10.9.8.7")
    db.session.commit()
    url = f"/settings/acme/integrations/slack/{oi.integration_id}/"
    assert "10.9.8.7" in client.get(url).get_data(as_text=True)
    login_as("member")
    page = client.get(url).get_data(as_text=True)
    assert "INTEGRATION_DISABLE" in page
    assert "10.9.8.7" not in page


def test_nav_hides_the_audit_log_from_members_and_keeps_the_org_on_global_pages(client, login_as):
    login_as("member")
    page = soup(client.get("/settings/acme/"))
    labels = [a.get_text(strip=True) for a in page.find("nav", attrs={"aria-label": "Main"}).find_all("a")]
    assert "Integrations" in labels and "Audit log" not in labels
    # A page outside any org (API tokens) keeps the last org's nav. (The test's shared app
    # context would carry g.org over; a real request starts without it.)
    g.pop("org", None)
    g.pop("access", None)
    page = soup(client.get("/account/tokens/"))
    nav = page.find("nav", attrs={"aria-label": "Main"})
    assert nav is not None
    assert nav.find("a", string="Integrations")["href"] == "/settings/acme/integrations/"
    # …and its org switcher names that org, not "Choose…".
    switcher = page.find(id="org-switcher").get_text(" ", strip=True)
    assert switcher == "Organization: Acme Corp"
    login_as("admin")
    page = soup(client.get("/settings/acme/"))
    labels = [a.get_text(strip=True) for a in page.find("nav", attrs={"aria-label": "Main"}).find_all("a")]
    assert "Audit log" in labels
