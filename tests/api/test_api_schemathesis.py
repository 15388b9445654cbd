"""Schemathesis against the app: every operation of /api/0/openapi.json, fuzzed with a bounded
number of examples, must never answer 5xx and must answer as the document says (status codes,
content types, headers, body schemas). Runs on the seeded test database, as a staff user
(who may do everything) and as a plain member (who meets the 403s)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories
from tests.api.doc_helpers import make_doc
from webapp.extensions import db
from webapp.models import ObjectStatus, SentryApp
from webapp.services.tokens import create_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
SETTINGS = settings(
    max_examples=12, deadline=None, database=None, derandomize=True,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
)


def seed(org):
    """Something behind every route: installations, doc integrations, plugin options."""
    slack = factories.install(org, factories.make_integration("slack", name="Ops Slack"),
                              config={"default_channel": "#ops", "legacy": [1, 2]})
    factories.install(org, factories.make_integration("github", name="Code"), status=ObjectStatus.DISABLED)
    factories.install(org, factories.make_integration("jira", name="Tickets"),
                      status=ObjectStatus.PENDING_DELETION)
    published = make_doc("Acme Tracker", features=[0, 1, 4], logo=True,
                         resources=[{"title": "Docs", "url": "https://docs.example.com"}])
    make_doc("Secret draft", is_draft=True, features=[2])
    for i in range(3):
        project = factories.make_project(org, slug=f"project-{i}", platform=None if i else "python")
        factories.set_plugin_option(project, "trello", "key", "k")
        factories.set_plugin_option(project, "trello", "enabled", i % 2 == 0)
        factories.set_plugin_option(project, "asana", "enabled", True)
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    db.session.commit()
    return {"org": org.slug, "integration_id": str(slack.integration_id), "id_or_slug": published.slug}


def token_headers(user) -> dict:
    _, plaintext = create_token(user, "schemathesis")
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/0/openapi.json", app)
    ops = [result.ok() for result in schema.get_all_operations()]
    # Deletes last, so the other operations still find the seeded records.
    return sorted(ops, key=lambda op: (op.method.upper() == "DELETE", op.label))


def fuzz(operation, headers, path_parameters=None) -> set[int]:
    """Run the operation's examples and generated cases; the statuses it answered."""
    strategy = operation.as_strategy(path_parameters=path_parameters) if path_parameters \
        else operation.as_strategy()
    statuses: set[int] = set()

    @SETTINGS
    @given(case=strategy)
    def run(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.add(response.status_code)

    run()
    return statuses


@pytest.mark.parametrize("role", ["staff", "member"])
def test_api_answers_as_its_openapi_document_says(app, org, role):
    known = seed(org)
    if role == "staff":
        user = factories.make_user(is_staff=True)
    else:
        user = factories.make_user()
        factories.make_member(org, user, "member")
    headers = token_headers(user)
    ops = operations(app)
    assert len(ops) >= 15
    never_succeeded = []
    for operation in ops:
        names = {p.name for p in operation.path_parameters}
        # Real records behind the path (query and body fuzzed)…
        statuses = fuzz(operation, headers, {name: known[name] for name in names})
        if not any(200 <= status < 300 for status in statuses):
            never_succeeded.append(operation.label)
        # …and anything at all in the path (404s, odd characters).
        if names:
            fuzz(operation, headers)
    if role == "staff":  # the run reached every operation's success path, not just its errors
        assert never_succeeded == []
