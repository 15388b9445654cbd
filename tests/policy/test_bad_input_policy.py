"""Bad input on the provider policy form (/settings/<org>/integration-policy/): each field's
refusal is a 400 with the message beside it and nothing written (no policy row, no audit
entry); NUL, a missing or damaged version, a forged form and another org's page included."""

import pytest
from flask import g
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.bad_input import (
    HUGE,
    NON_ASCII,
    NUL,
    TOO_LONG,
    assert_nul_refused,
    csrf_token,
    error_beside,
    soup,
)
from webapp.extensions import db
from webapp.models import AuditLogEntry, ProviderPolicy
from webapp.services.policy import get_policy

URL = "/settings/acme/integration-policy/"
VALID = {"mode": "block", "reason": "Security review.", "version": "0", "first_party": "slack"}


def written() -> tuple[int, int]:
    """(policy rows, audit entries) as stored now."""
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(ProviderPolicy)),
            db.session.scalar(select(func.count()).select_from(AuditLogEntry)))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("mode", "", "Choose one of: allow all, allow only these, block these."),
    ("mode", TOO_LONG, "Choose one of: allow all, allow only these, block these."),
    ("mode", NON_ASCII, "Choose one of: allow all, allow only these, block these."),
    ("reason", TOO_LONG, "Reason must be at most 500 characters (it has 10,000)."),
    ("reason", "   ", "Give the reason members will see."),
    ("reason", "tab\tis\x1bescape", "Reason cannot contain control characters."),
    ("first_party", "", "Unknown provider:"),
    ("first_party", NON_ASCII, f"Unknown provider: {NON_ASCII}"),
    ("first_party", "SLACK", "Unknown provider: SLACK"),
    ("plugin", "-1", "Unknown provider: -1"),
    ("sentry_app", HUGE, f"Unknown provider: {HUGE}"),
])
def test_a_bad_value_is_400_beside_its_field_and_writes_nothing(client, login_as, org, field,
                                                                 value, message):
    login_as("owner")
    response = client.post(URL, data={**VALID, field: value})
    assert response.status_code == 400
    assert message in error_beside(response, field)
    assert written() == (0, 0)


@pytest.mark.parametrize("field", ["mode", "reason", "first_party", "version"])
def test_nul_in_any_field_is_400_and_writes_nothing(client, login_as, org, field):
    login_as("owner")
    assert_nul_refused(client.post(URL, data={**VALID, field: NUL}))
    assert written() == (0, 0)


@pytest.mark.parametrize("version", ["", "abc", "-1", "1.0", HUGE, TOO_LONG])
def test_a_missing_or_damaged_version_is_400_and_writes_nothing(client, login_as, org, version):
    login_as("owner")
    response = client.post(URL, data={**VALID, "version": version})
    assert response.status_code == 400
    assert "The form is missing its version; reload the page and try again." in soup(response).get_text()
    assert written() == (0, 0)


def test_a_reason_in_any_script_is_kept_as_typed(client, login_as, org):
    login_as("owner")
    assert client.post(URL, data={**VALID, "reason": NON_ASCII}).status_code == 302
    assert get_policy(org).reason == NON_ASCII


def test_duplicated_fields_take_the_first_value_and_list_a_provider_once(client, login_as, org):
    login_as("owner")
    data = MultiDict([*VALID.items(), ("mode", "allow_all"), ("first_party", "slack")])
    assert client.post(URL, data=data).status_code == 302
    policy = get_policy(org)
    assert (policy.mode, policy.providers) == ("block", {"first_party:slack"})


def test_another_orgs_policy_is_404_and_unchanged(client, login_as, org):
    other = factories.make_org(slug="globex")
    login_as("owner")
    assert client.post("/settings/globex/integration-policy/", data=VALID).status_code == 404
    assert get_policy(other).mode == "allow_all"
    assert written() == (0, 0)


def test_a_post_without_the_csrf_token_is_400_and_writes_nothing(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.make_org(slug="acme")
        owner = factories.make_user()
        factories.make_member(org, owner, "owner")
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(owner.id)
        g.pop("_login_user", None)
        for token in (None, "forged"):
            data = VALID if token is None else {**VALID, "csrf_token": token}
            response = client.post(URL, data=data)
            assert response.status_code == 400
            assert "could not be submitted" in response.get_data(as_text=True)
        assert written() == (0, 0)
        data = {**VALID, "csrf_token": csrf_token(client, URL)}
        assert client.post(URL, data=data).status_code == 302
        assert written() == (1, 1)
        db.session.remove()
