"""Fixtures for the API tests: users with bearer tokens, and a small JSON client around them."""

import pytest

from tests import factories
from tests.api.summary import SUMMARY_LINES
from webapp.extensions import db
from webapp.services.tokens import create_token


class Api:
    """The test client with one user's bearer token on every request."""

    def __init__(self, client, user, plaintext):
        self.client = client
        self.user = user
        self.token = plaintext
        self.headers = {"Authorization": f"Bearer {plaintext}"}

    def _call(self, method, url, headers=None, **kwargs):
        return getattr(self.client, method)(url, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, url, **kwargs):
        return self._call("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self._call("post", url, **kwargs)

    def put(self, url, **kwargs):
        return self._call("put", url, **kwargs)

    def delete(self, url, **kwargs):
        return self._call("delete", url, **kwargs)


@pytest.fixture
def api_as(app, client, org):
    """api_as(role) → an Api for a new user with that role in `org` ("staff": staff, no
    membership; "outsider": a user of another org only)."""

    def make(role: str = "member", **user_fields) -> Api:
        if role == "staff":
            user = factories.make_user(is_staff=True, **user_fields)
        elif role == "outsider":
            user = factories.make_user(**user_fields)
            factories.make_member(factories.make_org(), user, "owner")
        else:
            user = factories.make_user(**user_fields)
            factories.make_member(org, user, role)
        _, plaintext = create_token(user, "api test")
        db.session.commit()
        return Api(client, user, plaintext)

    return make


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The schemathesis runs' case counts, among others."""
    for line in config.stash.get(SUMMARY_LINES, []):
        terminalreporter.write_line(line)
