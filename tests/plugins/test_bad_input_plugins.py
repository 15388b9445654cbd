"""Bad input on a plugin's project settings (typed fields, issue 22): 10,000 characters and
more, non-ASCII, NUL, signs, exponents and huge numbers, a choice outside the schema,
another org's project, a forged form — 400 beside the field (or 404), nothing stored,
nothing audited."""

import pytest
from flask import g
from sqlalchemy import func, select

from tests import factories
from tests.bad_input import (
    HUGE,
    NON_ASCII,
    NUL,
    TOO_LONG,
    assert_nul_refused,
    csrf_token,
    error_beside,
)
from webapp.extensions import db
from webapp.models import AuditLogEntry, ProjectPluginOption

BASE = "/settings/acme/plugins/"
URL_ERROR = "Enter a full URL starting with http:// or https://."
RETRY_RANGE = "Retry (seconds) must be between 30 and 10,800."
RETRY_WHOLE = "Retry (seconds) must be a whole number."


@pytest.fixture
def alpha(org):
    project = factories.make_project(org, slug="alpha")
    db.session.commit()
    return project


def stored() -> tuple[int, int]:
    """(plugin options, audit entries) as stored now."""
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(ProjectPluginOption)),
            db.session.scalar(select(func.count()).select_from(AuditLogEntry)))


@pytest.mark.parametrize(("plugin", "data", "field", "message"), [
    ("pushover", {"retry": "-1"}, "retry", RETRY_RANGE),
    ("pushover", {"retry": "1e3"}, "retry", RETRY_WHOLE),
    ("pushover", {"retry": "0x40"}, "retry", RETRY_WHOLE),
    ("pushover", {"retry": "3 0"}, "retry", RETRY_WHOLE),
    ("pushover", {"retry": HUGE}, "retry", RETRY_WHOLE),
    ("pushover", {"retry": "9" * 18}, "retry", RETRY_RANGE),
    ("pushover", {"retry": NON_ASCII}, "retry", RETRY_WHOLE),
    ("pushover", {"apikey": "k" * 10_001}, "apikey", "At most 10,000 characters (you entered 10,001)."),
    ("pushover", {"priority": NON_ASCII}, "priority", f"“{NON_ASCII}” is not one of the choices."),
    ("webhooks", {"urls": "https://ok.example/\nok.example/" + "x" * 9000}, "urls", f"Line 2: {URL_ERROR}"),
    ("webhooks", {"urls": TOO_LONG}, "urls", f"Line 1: {URL_ERROR}"),  # 10,000: the limit itself
    ("webhooks", {"urls": "https://ok.example/\n" * 600}, "urls",
     "At most 10,000 characters (you entered 11,999)."),
    ("webhooks", {"urls": "https://ok.example/a b"}, "urls", f"Line 1: {URL_ERROR}"),
    ("webhooks", {"urls": "https://ok.example/\x07"}, "urls", f"Line 1: {URL_ERROR}"),
    ("slack", {"webhook": "https://hooks.example/x", "icon_url": "https://"}, "icon_url", URL_ERROR),
])
def test_a_bad_value_is_400_beside_its_field_and_nothing_is_stored(client, login_as, alpha, plugin,
                                                                   data, field, message):
    login_as("admin")
    base = {"project": "alpha", "apikey": "k"} if plugin == "pushover" else {"project": "alpha"}
    response = client.post(f"{BASE}{plugin}/projects/alpha/", data={**base, **data})
    assert response.status_code == 400
    assert error_beside(response, field) == message
    assert stored() == (0, 0)


@pytest.mark.parametrize(("plugin", "field"), [("pushover", "retry"), ("pushover", "apikey"),
                                               ("webhooks", "urls")])
def test_nul_is_400_and_nothing_is_stored(client, login_as, alpha, plugin, field):
    login_as("admin")
    response = client.post(f"{BASE}{plugin}/projects/alpha/",
                           data={"project": "alpha", "apikey": "k", field: NUL})
    assert_nul_refused(response)
    assert stored() == (0, 0)


def test_non_ascii_text_and_host_names_are_kept_as_typed(client, login_as, alpha):
    login_as("admin")
    urls = "https://bücher.example/hook\nhttps://例え.jp/フック"
    assert client.post(f"{BASE}webhooks/projects/alpha/",
                       data={"project": "alpha", "urls": urls}).status_code == 302
    assert client.post(f"{BASE}pushover/projects/alpha/",
                       data={"project": "alpha", "apikey": NON_ASCII}).status_code == 302
    db.session.expire_all()
    values = dict(db.session.execute(select(ProjectPluginOption.key, ProjectPluginOption.value)).all())
    assert values["urls"] == urls and values["apikey"] == NON_ASCII


@pytest.mark.parametrize("path", [
    "webhooks/projects/theirs/",       # another org's project
    "webhooks/projects/" + "x" * 500 + "/",
    "nope/projects/alpha/",            # no such plugin
])
def test_another_orgs_project_or_an_unknown_plugin_is_404(client, login_as, alpha, path):
    globex = factories.make_org(slug="globex")
    factories.make_project(globex, slug="theirs")
    db.session.commit()
    login_as("owner")
    response = client.post(BASE + path, data={"project": "theirs", "urls": "https://a.example/"})
    assert response.status_code == 404
    assert stored() == (0, 0)


def test_a_post_without_the_csrf_token_stores_nothing(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.make_org(slug="acme")
        factories.make_project(org, slug="alpha")
        admin = factories.make_user()
        factories.make_member(org, admin, "admin")
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(admin.id)
        g.pop("_login_user", None)
        url = f"{BASE}webhooks/projects/alpha/"
        data = {"project": "alpha", "urls": "https://a.example/"}
        for forged in ({}, {"csrf_token": "forged"}):
            response = client.post(url, data={**data, **forged})
            assert response.status_code == 400
            assert "could not be submitted" in response.get_data(as_text=True)
        assert stored() == (0, 0)
        assert client.post(url, data={**data, "csrf_token": csrf_token(client, url)}).status_code == 302
        assert stored()[0] == 1
        db.session.remove()
