"""Logging in behind a trusted single-sign-on proxy: its user header counts only on
requests whose direct peer is the proxy (never from another address, never through a
forged X-Forwarded-For), users are created at first sight with the roles of their groups,
logout goes to the proxy's sign-out page; settings are checked at start-up."""

import re

import pytest
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import ApiToken, AuditLogEntry, OrganizationMember, User
from webapp.services.tokens import create_token

PROXY = "10.0.0.5"
ELSEWHERE = "203.0.113.9"
EMAIL = "carol@corp.example"
SETTINGS = {
    "TRUSTED_PROXY_AUTH": True,
    "REMOTE_USER_HEADER": "X-Forwarded-Email",
    "TRUSTED_PROXY_ADDRESSES": [PROXY, "10.1.0.0/16"],
    "TRUSTED_PROXY_NAME_HEADER": "X-Forwarded-User",
    "TRUSTED_PROXY_GROUPS_HEADER": "X-Forwarded-Groups",
    "TRUSTED_PROXY_GROUP_ROLES": {"integration-admins": "acme:owner",
                                  "integration-users": "acme:member", "ops": "staff"},
    "PROXY_LOGOUT_URL": "/oauth2/sign_out?rd=%2F",
}


@pytest.fixture
def proxy_app(app_factory):
    app = app_factory(**SETTINGS)
    with app.app_context():
        factories.make_org(slug="acme", name="Acme Corp")
        db.session.commit()
        db.session.remove()
    return app


def get(client, path, address=PROXY, email=EMAIL, groups=None, **headers):
    if email is not None:
        headers["X-Forwarded-Email"] = email
    if groups is not None:
        headers["X-Forwarded-Groups"] = groups
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def stored(app, email=EMAIL):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        members = {} if user is None else {
            m.organization.slug: (m.role, m.role_source) for m in db.session.scalars(
                select(OrganizationMember).where(OrganizationMember.user_id == user.id))}
        if user is not None:
            db.session.expunge(user)
        db.session.remove()
        return user, members


def test_the_proxy_header_logs_the_user_in_and_creates_them_at_first_sight(proxy_app):
    client = proxy_app.test_client()
    response = get(client, "/account/", groups="integration-admins, ops",
                   **{"X-Forwarded-User": "Carol Danvers"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert EMAIL in page and "Single sign-on" in page and "from single sign-on" in page
    user, members = stored(proxy_app)
    assert (user.name, user.auth_source, user.password_hash, user.is_staff) == (
        "Carol Danvers", "proxy", None, True)
    assert members == {"acme": ("owner", "proxy")}
    with proxy_app.app_context():
        added = db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.event == "MEMBER_ADD"))
        assert added.data["groups"] == ["integration-admins"]
        assert added.data["source"] == "from single sign-on"
        db.session.remove()
    # The session is kept: the next request from the proxy logs nobody in again.
    assert get(client, "/settings/acme/integrations/", groups="integration-admins, ops"
               ).status_code == 200


def test_the_header_from_any_other_address_is_ignored(proxy_app):
    client = proxy_app.test_client()
    for address in (ELSEWHERE, "10.0.0.6", "127.0.0.1", "::1"):
        response = get(client, "/account/", address=address, groups="integration-admins")
        assert response.status_code == 302
        assert "/login/" in response.headers["Location"]
    assert stored(proxy_app) == (None, {})


def test_a_network_in_the_trusted_addresses_covers_its_hosts(proxy_app):
    response = get(proxy_app.test_client(), "/account/", address="10.1.200.3")
    assert response.status_code == 200
    response = get(proxy_app.test_client(), "/account/", address="::ffff:10.0.0.5")
    assert response.status_code == 200


def test_a_forged_x_forwarded_for_does_not_make_a_client_the_proxy(app_factory):
    """With PROXY_FIX_X_FOR the client's address comes from X-Forwarded-For; whether the
    proxy vouches is still decided by the direct peer."""
    app = app_factory(**SETTINGS, PROXY_FIX_X_FOR=1)
    client = app.test_client()
    forged = get(client, "/account/", address=ELSEWHERE, **{"X-Forwarded-For": PROXY})
    assert forged.status_code == 302 and stored(app) == (None, {})
    # Through the proxy: the session is the header's user; the audit shows the client's address.
    through = get(client, "/account/", address=PROXY, **{"X-Forwarded-For": "198.51.100.44"})
    assert through.status_code == 200
    with app.app_context():
        created = db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.event == "USER_ADD"))
        assert created.ip_address == "198.51.100.44"
        db.session.remove()


def test_groups_are_applied_again_when_the_proxy_sends_other_ones(proxy_app):
    client = proxy_app.test_client()
    assert get(client, "/account/", groups="integration-admins").status_code == 200
    assert stored(proxy_app)[1] == {"acme": ("owner", "proxy")}
    assert get(client, "/account/", groups="integration-users").status_code == 200
    assert stored(proxy_app)[1] == {"acme": ("member", "proxy")}
    assert get(client, "/account/", groups="").status_code == 200
    assert stored(proxy_app)[1] == {}
    assert get(client, "/settings/acme/integrations/", groups="").status_code == 404
    with proxy_app.app_context():
        events = db.session.scalars(select(AuditLogEntry.event).order_by(AuditLogEntry.id)).all()
        assert events == ["USER_ADD", "MEMBER_ADD", "MEMBER_EDIT", "MEMBER_REMOVE"]
        db.session.remove()


def test_another_user_named_by_the_proxy_takes_the_session_over(proxy_app):
    client = proxy_app.test_client()
    assert EMAIL in get(client, "/account/").get_data(as_text=True)
    page = get(client, "/account/", email="dave@corp.example").get_data(as_text=True)
    assert "dave@corp.example" in page and EMAIL not in page


def test_a_deactivated_or_unusable_user_is_not_logged_in(proxy_app):
    with proxy_app.app_context():
        factories.make_user(email=EMAIL, is_active=False)
        db.session.commit()
        db.session.remove()
    client = proxy_app.test_client()
    assert get(client, "/account/").status_code == 302
    assert get(client, "/account/", email="not an email").status_code == 302
    assert stored(proxy_app, "not an email") == (None, {})


def test_logout_goes_to_the_proxy_sign_out_page(proxy_app):
    client = proxy_app.test_client()
    get(client, "/account/")
    response = client.post("/logout/", environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 302
    assert response.headers["Location"] == "/oauth2/sign_out?rd=%2F"
    assert get(client, "/account/", email=None).status_code == 302  # the session ended


def test_local_logins_still_work_and_log_out_locally(proxy_app):
    with proxy_app.app_context():
        factories.make_user(email="breakglass@example.com", password="break-glass-pass")
        db.session.commit()
        db.session.remove()
    client = proxy_app.test_client()
    response = client.post("/login/", data={"email": "breakglass@example.com",
                                            "password": "break-glass-pass"},
                           environ_base={"REMOTE_ADDR": ELSEWHERE})
    assert response.status_code == 302
    response = client.post("/logout/", environ_base={"REMOTE_ADDR": ELSEWHERE})
    assert response.headers["Location"].endswith("/login/")


def test_api_tokens_work_for_proxy_users_and_skip_the_proxy_login(proxy_app):
    client = proxy_app.test_client()
    get(client, "/account/", groups="integration-users")
    with proxy_app.app_context():
        _, plaintext = create_token(db.session.scalar(select(User).where(User.email == EMAIL)),
                                    "script")
        db.session.commit()
        db.session.remove()
    script = proxy_app.test_client()
    response = script.get("/api/0/organizations/acme/integrations/",
                          headers={"Authorization": f"Bearer {plaintext}"},
                          environ_base={"REMOTE_ADDR": ELSEWHERE})
    assert response.status_code == 200 and response.get_json() == []
    # A token request through the proxy is the token's, whatever the proxy's header says.
    response = get(script, "/api/0/organizations/acme/integrations/", email="eve@corp.example",
                   groups="integration-admins", Authorization=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert stored(proxy_app, "eve@corp.example") == (None, {})


@pytest.mark.parametrize(("settings", "message"), [
    ({"TRUSTED_PROXY_AUTH": True, "TRUSTED_PROXY_ADDRESSES": []},
     "TRUSTED_PROXY_ADDRESSES is required"),
    ({"TRUSTED_PROXY_AUTH": True, "TRUSTED_PROXY_ADDRESSES": "10.0.0.5, proxy.internal"},
     "'proxy.internal' is not an IP address"),
    ({"TRUSTED_PROXY_AUTH": True, "TRUSTED_PROXY_ADDRESSES": "10.0.0.5",
      "REMOTE_USER_HEADER": ""}, "REMOTE_USER_HEADER is required"),
    ({**SETTINGS, "TRUSTED_PROXY_GROUP_ROLES": {"ops": "acme:boss"}},
     "'acme:boss' is not a grant"),
    ({"LDAP_URL": "ldap://ldap.internal"}, "LDAP_USER_SEARCH_BASE is required"),
    ({"LDAP_URL": "ldap.internal", "LDAP_USER_SEARCH_BASE": "dc=x"},
     "LDAP_URL must start with ldap:// or ldaps://"),
    ({"LDAP_URL": "ldap://ldap.internal", "LDAP_USER_SEARCH_BASE": "dc=x",
      "LDAP_USER_FILTER": "(mail=%s)"}, "LDAP_USER_FILTER must contain {email}"),
    ({"LDAP_URL": "ldaps://ldap.internal", "LDAP_USER_SEARCH_BASE": "dc=x",
      "LDAP_START_TLS": True}, "LDAP_START_TLS is for ldap:// URLs"),
    ({"LDAP_URL": "ldap://ldap.internal", "LDAP_USER_SEARCH_BASE": "dc=x",
      "LDAP_CA_FILE": "/nonexistent/ca.pem"}, "LDAP_CA_FILE: no file at /nonexistent/ca.pem"),
    ({"LDAP_URL": "ldap://ldap.internal", "LDAP_USER_SEARCH_BASE": "dc=x",
      "LDAP_TIMEOUT": "soon"}, "LDAP_TIMEOUT must be a whole number"),
    ({"LDAP_URL": "ldap://ldap.internal", "LDAP_USER_SEARCH_BASE": "dc=x",
      "LDAP_GROUP_ROLES": ["cn=staff"]}, "LDAP_GROUP_ROLES must map group names to grants"),
])
def test_wrong_settings_stop_the_app_at_start_with_the_setting_named(app_factory, settings,
                                                                      message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?").replace("+", r"\+")):
        app_factory(**settings)


def test_two_first_logins_at_once_make_one_user_not_a_500(app, monkeypatch):
    """The second of two simultaneous first logins finds no user, inserts, hits the unique
    email index: it takes the row the first one created instead of failing."""
    from webapp.models import AuthSource
    from webapp.services import external_accounts
    from webapp.services.external_accounts import ExternalAccount, GroupRoles, sign_in_external

    first = factories.make_user(email=EMAIL)
    db.session.commit()
    calls = []  # the second login's first lookup ran before the first one committed
    real = external_accounts.get_user_by_email

    def lookup(email):
        calls.append(email)
        return None if len(calls) == 1 else real(email)

    monkeypatch.setattr(external_accounts, "get_user_by_email", lookup)
    user = sign_in_external(ExternalAccount(EMAIL, "Pat Proxy", (), AuthSource.PROXY),
                            GroupRoles({}))
    db.session.commit()
    assert user is not None and user.id == first.id
    assert db.session.scalars(select(User).where(User.email == EMAIL)).all() == [first]


def test_two_logins_at_once_add_a_new_group_role_once_not_a_500(app, monkeypatch):
    """An existing user whose groups now grant an org: the second of two simultaneous logins
    read no membership, adds one, hits the unique (org, user) index: it takes the row the
    first one added (one membership, one MEMBER_ADD) instead of failing."""
    from webapp.models import AuthSource
    from webapp.services import external_accounts
    from webapp.services.external_accounts import ExternalAccount, GroupRoles, sign_in_external

    user = factories.make_user(email=EMAIL, auth_source="proxy")
    org = factories.make_org(slug="acme", name="Acme Corp")
    mapping = GroupRoles.parse(SETTINGS["TRUSTED_PROXY_GROUP_ROLES"], "TRUSTED_PROXY_GROUP_ROLES")
    account = ExternalAccount(EMAIL, "Pat Proxy", ("integration-admins",), AuthSource.PROXY)
    assert sign_in_external(account, mapping) is not None  # the first login
    db.session.commit()
    calls = []  # the second login read the memberships before the first one committed
    real = external_accounts._set_membership

    def read_too_early(user, org, member, *args):
        calls.append(member)
        real(user, org, None if len(calls) == 1 else member, *args)

    monkeypatch.setattr(external_accounts, "_set_membership", read_too_early)
    assert sign_in_external(account, mapping) is not None  # the second
    db.session.commit()
    members = db.session.scalars(select(OrganizationMember)
                                 .where(OrganizationMember.user_id == user.id)).all()
    assert [(m.organization_id, m.role, m.role_source) for m in members] == [
        (org.id, "owner", "proxy")]
    events = db.session.scalars(select(AuditLogEntry.event)
                                .where(AuditLogEntry.event.like("MEMBER_%"))).all()
    assert events == ["MEMBER_ADD"]


def test_another_user_named_in_the_middle_of_a_form_does_not_send_it(app_factory):
    """The proxy names dave while carol's page posts a form (with carol's CSRF token): the
    form is not run as dave — carol's session ends, dave's starts, 303 back to the page."""
    app = app_factory(**SETTINGS, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = get(client, "/account/tokens/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    dave = {"X-Forwarded-Email": "dave@corp.example"}
    response = client.post("/account/tokens/?from=list", data={"csrf_token": token,
                                                               "name": "deploy"},
                           headers=dave, environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/tokens/?from=list"
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).all() == []
        db.session.remove()
    page = get(client, "/account/tokens/?from=list", email="dave@corp.example").get_data(
        as_text=True)
    assert "Single sign-on now signs you in as dave@corp.example: what you sent was not " \
           "applied." in page
    assert "dave@corp.example" in get(client, "/account/", email="dave@corp.example").get_data(
        as_text=True)
    # carol's token does not work in dave's session either
    response = client.post("/account/tokens/", data={"csrf_token": token, "name": "deploy"},
                           headers=dave, environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 400


def test_other_groups_for_the_same_user_still_send_the_form(app_factory):
    app = app_factory(**SETTINGS)
    client = app.test_client()
    get(client, "/account/tokens/", groups="integration-users")
    response = client.post("/account/tokens/", data={"name": "deploy"},
                           headers={"X-Forwarded-Email": EMAIL, "X-Forwarded-Groups": "ops"},
                           environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 200 and "Token “deploy” created" in response.get_data(
        as_text=True)
    assert stored(app)[0].is_staff
