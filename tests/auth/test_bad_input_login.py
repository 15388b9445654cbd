"""Bad input at sign-in: the login form (local and directory accounts) and the trusted
proxy's headers. The form answers 400 with the message beside the field (or the one
"Invalid email or password." for a wrong pair) and creates no user; the proxy's headers
never give a 500 or a user whose email or name holds control characters, and names in UTF-8
are read as the proxy wrote them."""

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.auth.test_trusted_proxy import EMAIL, SETTINGS, get, stored
from tests.bad_input import CONTROL, NON_ASCII, NUL, TOO_LONG, assert_nul_refused, error_beside
from tests.slapd import ALICE
from webapp.extensions import db
from webapp.models import User

INVALID = "Invalid email or password."


def log_in(client, email, password):
    return client.post("/login/", data={"email": email, "password": password})


def users(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
        db.session.remove()
        return count


@pytest.mark.parametrize(("email", "password", "field", "message"), [
    ("", "pw", "email", "Enter your email."),
    ("   ", "pw", "email", "Enter your email."),
    (TOO_LONG + "@example.com", "pw", "email", "Email must be at most 254 characters."),
    ("a@example.com", "", "password", "Enter your password."),
])
def test_a_missing_or_too_long_field_is_400_beside_it(client, email, password, field, message):
    response = log_in(client, email, password)
    assert response.status_code == 400
    assert error_beside(response, field) == message


@pytest.mark.parametrize(("email", "password"), [
    ("nobody@example.com", TOO_LONG * 10),   # 100,000 characters: hashed and refused, not a 500
    (NON_ASCII, "pw"),
    (CONTROL, "pw"),
    ("a@example.com", CONTROL),
])
def test_a_wrong_pair_of_any_shape_is_400_invalid(client, email, password):
    response = log_in(client, email, password)
    assert response.status_code == 400
    assert INVALID in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["email", "password"])
def test_nul_in_the_login_form_is_400(client, field):
    data = {"email": "a@example.com", "password": "pw", field: NUL}
    assert_nul_refused(client.post("/login/", data=data))


def test_a_local_account_with_a_non_ascii_email_and_password_logs_in(client):
    factories.make_user(email="zoë@exämple.com", password=NON_ASCII)
    db.session.commit()
    assert log_in(client, "zoë@exämple.com", NON_ASCII).status_code == 302


@pytest.mark.parametrize(("email", "password"), [
    (ALICE.email, NON_ASCII),
    (ALICE.email, TOO_LONG),
    (ALICE.email + "\x07", ALICE.password),
    (NON_ASCII + "@corp.example", ALICE.password),
    (ALICE.email.upper() + " ", ALICE.password + " "),
])
def test_the_directory_refuses_a_bad_pair_as_a_wrong_password(app_factory, slapd, email, password):
    app = app_factory(**slapd.settings())
    response = log_in(app.test_client(), email, password)
    assert response.status_code == 400
    assert INVALID in response.get_data(as_text=True)
    assert users(app) == 0


# -- the trusted proxy's headers --------------------------------------------------------------


@pytest.fixture
def proxy_app(app_factory):
    app = app_factory(**SETTINGS)
    with app.app_context():
        factories.make_org(slug="acme")
        db.session.commit()
        db.session.remove()
    return app


def as_wsgi(text: str) -> str:
    """A header value as a WSGI server hands it over: the proxy's UTF-8 bytes read as Latin-1."""
    return text.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize("email", [EMAIL + "\x00", EMAIL + "\x07", "car\x00ol@corp.example",
                                   EMAIL + "\x1b", TOO_LONG + "@corp.example", "not an email"])
def test_an_email_header_that_is_not_an_email_logs_nobody_in(proxy_app, email):
    client = proxy_app.test_client()
    response = get(client, "/account/", email=email)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert users(proxy_app) == 0


@pytest.mark.parametrize(("header", "name"), [
    ("Carol\x00Danvers", "Carol Danvers"),
    (CONTROL, "bell escape [31m"),
    ("  Carol\t\x7fDanvers ", "Carol Danvers"),
    ("x" * 10_000, "x" * 200),
    (as_wsgi(NON_ASCII), NON_ASCII),
    ("Zo\xeb", "Zoë"),  # Latin-1 bytes, not UTF-8: kept as Latin-1
])
def test_the_name_header_is_stored_without_control_characters(proxy_app, header, name):
    response = get(proxy_app.test_client(), "/account/", **{"X-Forwarded-User": header})
    assert response.status_code == 200
    user, _ = stored(proxy_app)
    assert user.name == name


def test_a_utf8_email_and_groups_are_read_as_the_proxy_wrote_them(app_factory):
    app = app_factory(**{**SETTINGS, "TRUSTED_PROXY_GROUP_ROLES": {"équipe-intégration": "acme:owner"}})
    with app.app_context():
        factories.make_org(slug="acme")
        db.session.commit()
        db.session.remove()
    response = get(app.test_client(), "/account/", email=as_wsgi("zoë@corp.example"),
                   groups=as_wsgi("équipe-intégration"))
    assert response.status_code == 200
    user, members = stored(app, "zoë@corp.example")
    assert user is not None and members == {"acme": ("owner", "proxy")}
