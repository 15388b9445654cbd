"""Logging in with the company directory, against a real OpenLDAP server (tests/slapd.py):
first login creates the user, groups give roles at each login (added and removed, audited,
shown on the account page), the directory's failures are clear and leak nothing, the email
cannot inject a filter, throttling counts as for local logins, API tokens keep working."""

import base64
import socket
import threading
import time

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.slapd import ADMINS, ALICE, BOB, STAFF, TWIN_EMAIL, USERS, free_port
from webapp.extensions import db
from webapp.models import AuditLogEntry, LoginAttempt, OrganizationMember, User
from webapp.services.directory_login import DIRECTORY_UNAVAILABLE
from webapp.services.tokens import create_token

INVALID = "Invalid email or password."
ADDRESS = "198.51.100.20"


def log_in(client, email, password, address=ADDRESS):
    return client.post("/login/", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def make_app(app_factory, slapd, **settings):
    """An app on this test's database using the directory, with the orgs acme and globex."""
    app = app_factory(**slapd.settings(**settings))
    with app.app_context():
        factories.make_org(slug="acme", name="Acme Corp")
        factories.make_org(slug="globex", name="Globex")
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def directory_app(app_factory, slapd):
    return make_app(app_factory, slapd)


def user_row(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        db.session.remove()
        return user


def roles(app, email) -> dict[str, tuple[str, str | None]]:
    """org slug → (role, role_source) of the user's memberships."""
    with app.app_context():
        members = db.session.scalars(select(OrganizationMember).join(User)
                                     .where(User.email == email)).all()
        found = {m.organization.slug: (m.role, m.role_source) for m in members}
        db.session.remove()
        return found


def audit(app, event) -> list[AuditLogEntry]:
    with app.app_context():
        entries = db.session.scalars(select(AuditLogEntry).where(AuditLogEntry.event == event)
                                     .order_by(AuditLogEntry.id)).all()
        for entry in entries:
            db.session.expunge(entry)
        db.session.remove()
        return list(entries)


def test_first_directory_login_creates_the_user_with_the_roles_of_their_groups(directory_app):
    client = directory_app.test_client()
    assert user_row(directory_app, ALICE.email) is None
    response = log_in(client, ALICE.email, ALICE.password)
    assert response.status_code == 302
    alice = user_row(directory_app, ALICE.email)
    assert (alice.name, alice.auth_source, alice.password_hash) == (ALICE.name, "ldap", None)
    assert alice.is_staff  # cn=staff
    assert roles(directory_app, ALICE.email) == {"acme": ("owner", "ldap")}
    [created] = audit(directory_app, "USER_ADD")
    assert created.target_object == ALICE.email and created.ip_address == ADDRESS
    [added] = audit(directory_app, "MEMBER_ADD")
    assert added.data["changes"]["role"] == {"before": None, "after": "owner"}
    assert added.data["groups"] == [ADMINS] and added.data["source"] == "from directory"
    [staff] = audit(directory_app, "USER_EDIT")
    assert staff.data["changes"] == {"is_staff": {"before": False, "after": True}}

    page = client.get("/account/").get_data(as_text=True)
    assert "Company directory (LDAP)" in page
    assert page.count("from directory") == 3  # acme's role, staff, and the note about them
    assert client.get("/settings/acme/integrations/").status_code == 200


def test_the_typed_email_is_matched_without_case_and_the_directory_spelling_kept(directory_app):
    client = directory_app.test_client()
    assert log_in(client, "  ALICE@Corp.Example ", ALICE.password).status_code == 302
    assert user_row(directory_app, ALICE.email).email == ALICE.email


def test_later_logins_refresh_the_name_and_add_and_remove_roles(directory_app, slapd):
    person = slapd.add_person(groups=(USERS,))
    client = directory_app.test_client()
    with directory_app.app_context():  # a hand-made membership in an org the mapping leaves alone
        factories.make_member(factories.make_org(slug="initech"), factories.make_user(
            email=person.email, password="local-password-1"), "admin")
        db.session.commit()
        db.session.remove()
    assert log_in(client, person.email, person.password).status_code == 302
    assert roles(directory_app, person.email) == {"acme": ("member", "ldap"),
                                                  "initech": ("admin", None)}
    assert user_row(directory_app, person.email).auth_source == "ldap"
    client.post("/logout/")

    slapd.set_member(ADMINS, person, True)
    slapd.ldapmodify(f"dn: {person.dn}\nchangetype: modify\nreplace: cn\ncn: Renamed Person\n")
    assert log_in(client, person.email, person.password).status_code == 302
    assert roles(directory_app, person.email) == {"acme": ("owner", "ldap"),
                                                  "initech": ("admin", None)}
    assert user_row(directory_app, person.email).name == "Renamed Person"
    [edit] = audit(directory_app, "MEMBER_EDIT")
    assert edit.data["changes"] == {"role": {"before": "member", "after": "owner"}}
    assert edit.data["groups"] == sorted([ADMINS, USERS])
    client.post("/logout/")

    slapd.set_member(ADMINS, person, False)
    slapd.set_member(USERS, person, False)
    assert log_in(client, person.email, person.password).status_code == 302
    assert roles(directory_app, person.email) == {"initech": ("admin", None)}
    [removed] = audit(directory_app, "MEMBER_REMOVE")
    assert removed.data["changes"]["role"] == {"before": "owner", "after": None}
    assert removed.target_object == person.email
    assert client.get("/settings/acme/integrations/").status_code == 404


def test_the_mapping_takes_over_a_hand_made_role_in_an_org_it_names(directory_app, slapd):
    person = slapd.add_person(groups=(USERS,))
    with directory_app.app_context():
        acme = db.session.scalar(select(factories.Organization).where(
            factories.Organization.slug == "acme"))
        factories.make_member(acme, factories.make_user(email=person.email), "manager")
        db.session.commit()
        db.session.remove()
    client = directory_app.test_client()
    assert log_in(client, person.email, person.password).status_code == 302
    assert roles(directory_app, person.email) == {"acme": ("member", "ldap")}
    [edit] = audit(directory_app, "MEMBER_EDIT")
    assert edit.data["changes"] == {"role": {"before": "manager", "after": "member"},
                                    "role_source": {"before": None, "after": "ldap"}}


def test_groups_read_from_member_of_as_active_directory_gives_them(app_factory, slapd):
    app = make_app(app_factory, slapd, LDAP_GROUP_SEARCH_BASE=None,
                   LDAP_GROUPS_ATTRIBUTE="memberOf", LDAP_BIND_DN=None, LDAP_BIND_PASSWORD=None)
    assert log_in(app.test_client(), ALICE.email, ALICE.password).status_code == 302
    assert roles(app, ALICE.email) == {"acme": ("owner", "ldap")}
    assert user_row(app, ALICE.email).is_staff


def test_a_wrong_directory_password_gets_the_message_of_a_wrong_local_one(directory_app):
    client = directory_app.test_client()
    pages = {}
    for email, password in ((ALICE.email, "not her password"), ("nobody@corp.example", "x"),
                            (ALICE.email, ALICE.password[:-1])):
        response = log_in(client, email, password)
        assert response.status_code == 400
        assert INVALID in response.get_data(as_text=True)
        pages[email] = response.get_data(as_text=True).replace(email, "EMAIL")
    assert pages[ALICE.email] == pages["nobody@corp.example"]
    assert user_row(directory_app, ALICE.email) is None


def test_the_directory_decides_for_its_users_and_local_accounts_still_work(directory_app):
    with directory_app.app_context():
        factories.make_user(email=BOB.email, password="bob-local-password")
        factories.make_user(email="breakglass@example.com", password="break-glass-pass")
        db.session.commit()
        db.session.remove()
    client = directory_app.test_client()
    # Bob is in the directory: his old local password opens nothing, the directory's does.
    assert log_in(client, BOB.email, "bob-local-password").status_code == 400
    assert log_in(client, BOB.email, BOB.password).status_code == 302
    client.post("/logout/")
    assert user_row(directory_app, BOB.email).auth_source == "ldap"
    [converted] = audit(directory_app, "USER_EDIT")
    assert converted.data["changes"] == {"auth_source": {"before": "local", "after": "ldap"}}
    assert log_in(client, BOB.email, "bob-local-password").status_code == 400
    # Not in the directory: the local password.
    assert log_in(client, "breakglass@example.com", "break-glass-pass").status_code == 302


def test_a_deactivated_user_cannot_log_in_with_the_directory_password(directory_app):
    with directory_app.app_context():
        factories.make_user(email=ALICE.email, is_active=False)
        db.session.commit()
        db.session.remove()
    response = log_in(directory_app.test_client(), ALICE.email, ALICE.password)
    assert response.status_code == 400 and INVALID in response.get_data(as_text=True)


@pytest.mark.parametrize("email", [
    "alice*",                    # unescaped: (mail=alice*) finds Alice
    "*corp.example",             # unescaped: every entry
    "*)(uid=*",                  # unescaped: (mail=*)(uid=*)
    "alice@corp.example)(|(mail=*",
    "*)(|(objectClass=*",
    "alice@corp.example\\",
    "\\2a",
])
def test_the_email_cannot_inject_an_ldap_filter(directory_app, email):
    response = log_in(directory_app.test_client(), email, ALICE.password)
    assert response.status_code == 400
    assert INVALID in response.get_data(as_text=True)
    with directory_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        db.session.remove()


def test_an_email_on_two_directory_entries_logs_nobody_in(directory_app):
    response = log_in(directory_app.test_client(), TWIN_EMAIL, "twin-pass")
    assert response.status_code == 400 and INVALID in response.get_data(as_text=True)


def test_directory_failures_are_throttled_exactly_as_local_ones(app_factory, slapd):
    app = make_app(app_factory, slapd, LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3,
                   LOGIN_LIMIT_WINDOW_SECONDS=600)
    client = app.test_client()
    for _ in range(3):
        assert log_in(client, ALICE.email, "guess").status_code == 400
    refused = log_in(client, ALICE.email, ALICE.password)
    assert refused.status_code == 429
    assert 590 <= int(refused.headers["Retry-After"]) <= 600
    assert "Too many failed login attempts. Try again in 10 minutes." in refused.get_data(as_text=True)
    assert user_row(app, ALICE.email) is None  # the right password was not even checked
    # Alice's own address has its own count; her login there forgets only its failures.
    assert log_in(client, ALICE.email, ALICE.password, address="192.0.2.8").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(LoginAttempt.address)).all() == [ADDRESS] * 3
        db.session.remove()


def test_directory_down_says_so_and_local_accounts_still_work(app_factory, slapd):
    app = make_app(app_factory, slapd, LDAP_URL=f"ldap://127.0.0.1:{free_port()}/")
    with app.app_context():
        factories.make_user(email="breakglass@example.com", password="break-glass-pass")
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    pages = set()
    for email, password in ((ALICE.email, ALICE.password), ("nobody@corp.example", "x"),
                            ("breakglass@example.com", "a wrong one")):
        response = log_in(client, email, password)
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert DIRECTORY_UNAVAILABLE in page and INVALID not in page
        pages.add(page.replace(email, "EMAIL"))
    assert len(pages) == 1  # whether the account exists or not
    assert log_in(client, "breakglass@example.com", "break-glass-pass").status_code == 302


def test_directory_back_up_logs_directory_users_in_again(app_factory, slapd):
    """The stopped server: refused; started again: logins work, with no restart of the app."""
    app = make_app(app_factory, slapd)
    client = app.test_client()
    slapd.stop()
    try:
        assert log_in(client, ALICE.email, ALICE.password).status_code == 503
    finally:
        slapd.start()
    assert log_in(client, ALICE.email, ALICE.password).status_code == 302


def test_a_directory_that_does_not_answer_gives_up_after_ldap_timeout(app_factory, slapd):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        app = make_app(app_factory, slapd, LDAP_URL=f"ldap://127.0.0.1:{silent.getsockname()[1]}/",
                       LDAP_TIMEOUT=1)
        started = time.monotonic()
        response = log_in(app.test_client(), ALICE.email, ALICE.password)
        assert response.status_code == 503
        assert DIRECTORY_UNAVAILABLE in response.get_data(as_text=True)
        assert time.monotonic() - started < 5
    finally:
        for connection, _ in accepted:
            connection.close()
        silent.close()


def test_a_refused_search_account_is_logged_and_shown_as_directory_down(app_factory, slapd,
                                                                        caplog):
    app = make_app(app_factory, slapd, LDAP_BIND_PASSWORD="not the reader's password")
    response = log_in(app.test_client(), ALICE.email, ALICE.password)
    assert response.status_code == 503
    assert "the search account cn=reader,dc=example,dc=com was refused" in caplog.text


def test_a_wrong_search_base_is_logged_and_shown_as_directory_down(app_factory, slapd, caplog):
    app = make_app(app_factory, slapd, LDAP_USER_SEARCH_BASE="ou=nobody,dc=example,dc=com")
    assert log_in(app.test_client(), ALICE.email, ALICE.password).status_code == 503
    assert "LDAP search refused: noSuchObject" in caplog.text


def test_a_mapped_org_that_does_not_exist_is_logged_and_skipped(app_factory, slapd, caplog):
    app = make_app(app_factory, slapd, LDAP_GROUP_ROLES={ADMINS: ["acme:owner", "umbrella:admin"]})
    assert log_in(app.test_client(), ALICE.email, ALICE.password).status_code == 302
    assert roles(app, ALICE.email) == {"acme": ("owner", "ldap")}
    assert "names organization 'umbrella', which does not exist" in caplog.text


def test_api_tokens_work_for_directory_users(app_factory, slapd):
    app = make_app(app_factory, slapd)
    client = app.test_client()
    assert log_in(client, BOB.email, BOB.password).status_code == 302
    with app.app_context():
        _, plaintext = create_token(db.session.scalar(select(User).where(User.email == BOB.email)),
                                    "deploy script")
        db.session.commit()
        db.session.remove()
    client.post("/logout/")
    bearer = {"Authorization": f"Bearer {plaintext}"}
    response = app.test_client().get("/api/0/organizations/acme/integrations/", headers=bearer)
    assert response.status_code == 200 and response.get_json() == []
    assert app.test_client().get("/api/0/organizations/globex/integrations/",
                                 headers=bearer).status_code == 404
    # The token does not ask the directory: it works while the directory is down.
    slapd.stop()
    try:
        assert app.test_client().get("/api/0/organizations/acme/integrations/",
                                     headers=bearer).status_code == 200
    finally:
        slapd.start()


def test_staff_follows_the_staff_group_at_each_login(directory_app, slapd):
    person = slapd.add_person(groups=(STAFF,))
    client = directory_app.test_client()
    assert log_in(client, person.email, person.password).status_code == 302
    assert user_row(directory_app, person.email).is_staff
    client.post("/logout/")
    slapd.set_member(STAFF, person, False)
    assert log_in(client, person.email, person.password).status_code == 302
    assert not user_row(directory_app, person.email).is_staff
    changes = [e.data["changes"]["is_staff"] for e in audit(directory_app, "USER_EDIT")]
    assert changes == [{"before": False, "after": True}, {"before": True, "after": False}]


def test_a_custom_filter_finds_users_by_another_attribute(app_factory, slapd):
    app = make_app(app_factory, slapd,
                   LDAP_USER_FILTER="(&(objectClass=inetOrgPerson)(|(mail={email})(uid={email})))",
                   LDAP_GROUP_FILTER="(&(objectClass=groupOfNames)(member={user_dn}))")
    # The user name typed in the email box: the local user gets the directory's email.
    assert log_in(app.test_client(), "alice", ALICE.password).status_code == 302
    assert roles(app, ALICE.email) == {"acme": ("owner", "ldap")}
    assert audit(app, "MEMBER_ADD")[0].data["groups"] == [ADMINS]


@pytest.fixture
def tls(slapd):
    if slapd.ca_file is None:
        pytest.skip("openssl is not installed: no test certificates for the TLS tests")
    return slapd


def test_start_tls_checks_the_certificate_against_the_ca_file(app_factory, tls):
    app = make_app(app_factory, tls, LDAP_URL=tls.tls_url, LDAP_START_TLS=True,
                   LDAP_CA_FILE=str(tls.ca_file))
    assert log_in(app.test_client(), ALICE.email, ALICE.password).status_code == 302


def test_ldaps_checks_the_certificate_against_the_ca_file(app_factory, tls):
    app = make_app(app_factory, tls, LDAP_URL=tls.tls_ldaps_url, LDAP_CA_FILE=str(tls.ca_file))
    assert log_in(app.test_client(), ALICE.email, ALICE.password).status_code == 302


# ldap3 2.9.1 drops its TLS socket without closing it when the name does not match (the
# garbage collector closes it): that warning only.
@pytest.mark.filterwarnings("ignore:Exception ignored in. <ssl.SSLSocket:"
                            "pytest.PytestUnraisableExceptionWarning")
def test_a_certificate_for_another_name_is_refused(app_factory, tls, caplog):
    app = make_app(app_factory, tls, LDAP_URL=tls.ldaps_url, LDAP_CA_FILE=str(tls.ca_file))
    assert log_in(app.test_client(), ALICE.email, ALICE.password).status_code == 503
    assert "doesn't match" in caplog.text


@pytest.mark.parametrize("start_tls", [True, False])
def test_a_certificate_no_trusted_ca_signed_is_refused(app_factory, tls, caplog, start_tls):
    """Without LDAP_CA_FILE the system's CAs are used, and none of them signed the test CA."""
    app = make_app(app_factory, tls, LDAP_URL=tls.tls_url if start_tls else tls.tls_ldaps_url,
                   LDAP_START_TLS=start_tls)
    response = log_in(app.test_client(), ALICE.email, ALICE.password)
    assert response.status_code == 503
    assert "certificate verify failed" in caplog.text


def test_a_name_that_is_not_utf8_still_logs_the_user_in(app_factory, slapd):
    """A directory whose name attribute holds bytes in another encoding (here Latin-1 in an
    attribute of binary syntax): the user logs in, the bytes that are not UTF-8 shown as �."""
    person = slapd.add_person(groups=(USERS,))
    latin1 = base64.b64encode("Renée Person".encode("latin-1")).decode()
    slapd.ldapmodify(f"dn: {person.dn}\nchangetype: modify\nadd: audio\naudio:: {latin1}\n")
    app = make_app(app_factory, slapd, LDAP_NAME_ATTRIBUTE="audio")
    client = app.test_client()
    assert log_in(client, person.email, person.password).status_code == 302
    assert user_row(app, person.email).name == "Ren\ufffde Person"
    assert roles(app, person.email) == {"acme": ("member", "ldap")}
    assert "Ren\ufffde Person" in client.get("/account/").get_data(as_text=True)
