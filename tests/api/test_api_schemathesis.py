"""Schemathesis against the app, as `st run --checks all --mode all` runs it: every operation of
/api/0/openapi.json with positive and negative data, in the examples, coverage, fuzzing and
stateful phases, every check. Once as an owner of the org and once as staff (the only ones who
may write doc integrations); both runs must report 0 failures, and the number of cases is
printed in the terminal summary.

The run uses schemathesis' engine (what the CLI runs) against the app on a live server: its
WSGI transport and its pytest loader (`schemathesis.pytest.from_fixture`) do not work with the
versions here (Werkzeug 3.1, pytest 9).

Two settings state what the document says in prose, not in JSON Schema:
- no NUL in generated text (`allow-x00 = false`): the document says every NUL is a 400 (404
  in the path), anywhere, free-form keys included; tests/api/test_api_contract.py checks it;
- on the writes whose rules need the database or the bytes (a free slug, a provider's config
  fields, a decodable image, a known provider), schema-valid data may be refused with 400,
  but only for the reasons their descriptions give (`refusals_are_documented` below);
- an install request by someone who can install (both runs' users) is answered 200 "User can
  install integration" whatever its body, as in Sentry (the permission check comes before
  any look at the body), so schema-violating bodies are not rejected there
  (`negative_data_rejection` is off for that operation only).

To explore beyond the suite's bounded run: API_FUZZ_SEED=7 API_FUZZ_EXAMPLES=100 pytest <this file>.
"""

import os
import re
import threading
from collections.abc import Callable

import pytest
import schemathesis
from schemathesis.engine import events, from_schema
from werkzeug.serving import make_server

from tests import factories
from tests.api.doc_helpers import make_doc
from tests.api.summary import add_summary_line
from webapp.extensions import db
from webapp.models import ObjectStatus, SentryApp
from webapp.services.doc_integrations import validation as doc_rules
from webapp.services.tokens import create_token

# Fuzzing cases per operation and mode (the coverage and examples phases add their own).
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "30"))
# A fixed seed: the same cases every run. Another seed (or more examples) explores further.
SEED = int(os.environ.get("API_FUZZ_SEED", "2026"))
# What positive_data_acceptance expects by default, plus 400 for the routes below.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def _messages(body) -> dict[str, list[str]]:
    """{field: [messages]} of a 400 body ({"detail": …} under "detail")."""
    if not isinstance(body, dict):
        return {}
    return {key: value if isinstance(value, list) else [value] for key, value in body.items()}


def _config_fields_sent(case, errors: dict[str, list[str]]) -> bool:
    """The provider's config fields are not in the document: errors only under sent fields."""
    return isinstance(case.body, dict) and set(errors) <= set(case.body)


def _only(allowed: dict[str, str]) -> Callable:
    """Every message under a field listed in `allowed` and matching its pattern."""
    def check(case, errors: dict[str, list[str]]) -> bool:
        return all(field in allowed and re.fullmatch(allowed[field], message)
                   for field, messages in errors.items() for message in messages)
    return check


_DOC_RULES = _only({
    "name": "|".join([re.escape(doc_rules.NAME_NO_SLUG), r"Name '.*' is already taken, please use another\.",
                      r"Generated slug '.*' is too long, please use a shorter name\."]),
    "url": re.escape(doc_rules.URL_SCHEME),
    "resources": r"Row \d+: " + re.escape(doc_rules.URL_SCHEME),
    "avatar": re.escape(doc_rules.PUBLISH_NEEDS_LOGO),
})
# operationId → which 400s of schema-valid data its description documents.
DOCUMENTED_REFUSALS: dict[str, Callable] = {
    "updateOrganizationIntegrationConfig": _config_fields_sent,
    "createDocIntegration": _DOC_RULES,
    "updateDocIntegration": _DOC_RULES,
    "updateDocIntegrationAvatar": _only({"avatar_photo": r".+"}),
    "requestIntegrationInstall": _only({"detail": r"Provider .+ not found"}),
}


@schemathesis.check
def refusals_are_documented(ctx, response, case):
    """Schema-valid data refused with 400 only where, and why, the document says so."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    rule = DOCUMENTED_REFUSALS.get(case.operation.definition.raw.get("operationId"))
    errors = _messages(response.json())
    if rule is None or not rule(case, errors):
        raise AssertionError(f"Schema-valid data refused for a reason the document does not give: {errors}")
    return None


def seed(org) -> dict[str, str]:
    """Something behind every route: installations, doc integrations, plugin options; and the
    records the path parameters name (DELETEs get their own, so other routes keep theirs)."""
    slack = factories.install(org, factories.make_integration("slack", name="Ops Slack"),
                              config={"default_channel": "#ops", "legacy": [1, 2]})
    factories.install(org, factories.make_integration("github", name="Code"), status=ObjectStatus.DISABLED)
    factories.install(org, factories.make_integration("jira", name="Tickets"),
                      status=ObjectStatus.PENDING_DELETION)
    doomed = factories.install(org, factories.make_integration("discord", name="Old chat"))
    published = make_doc("Acme Tracker", features=[0, 1, 4], logo=True,
                         resources=[{"title": "Docs", "url": "https://docs.example.com"}])
    make_doc("Secret draft", is_draft=True, features=[2])
    doomed_doc = make_doc("Retired tracker", features=[1])
    # Slugs that do not depend on how many docs earlier tests made: the same run every time.
    published.slug, doomed_doc.slug = "acme-tracker", "retired-tracker"
    for i in range(3):
        project = factories.make_project(org, slug=f"project-{i}", platform=None if i else "python")
        factories.set_plugin_option(project, "trello", "key", "k")
        factories.set_plugin_option(project, "trello", "enabled", i % 2 == 0)
        factories.set_plugin_option(project, "asana", "enabled", True)
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    db.session.commit()
    return {"org": org.slug, "integration_id": str(slack.integration_id),
            "id_or_slug": published.slug, "doomed_integration": str(doomed.integration_id),
            "doomed_doc": doomed_doc.slug}


def run_config(token: str, known: dict[str, str]) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "workers": 1,
        "cache": {"enabled": False},  # each run on its own: nothing learnt from earlier runs
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                       "allow-x00": False},
        "parameters": {f"path.{name}": known[name] for name in ("org", "integration_id", "id_or_slug")},
        "operations": [
            {"include-operation-id": "deleteOrganizationIntegration",
             "parameters": {"path.integration_id": known["doomed_integration"]}},
            {"include-operation-id": "deleteDocIntegration",
             "parameters": {"path.id_or_slug": known["doomed_doc"]}},
            {"include-operation-id": list(DOCUMENTED_REFUSALS),
             "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}},
            {"include-operation-id": "requestIntegrationInstall",
             "checks": {"negative_data_rejection": {"enabled": False}}},
        ],
    })


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join()


def run_schemathesis(url: str, config: schemathesis.Config):
    """(cases per operation label, statuses per label, failure descriptions) of one run."""
    schema = schemathesis.openapi.from_url(f"{url}/api/0/openapi.json", config=config)
    cases: dict[str, int] = {}
    statuses: dict[str, set[int]] = {}
    failures: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            recorder = event.recorder
            for case_id, node in recorder.cases.items():
                operation = node.value.operation
                cases[operation.label] = cases.get(operation.label, 0) + 1
                interaction = recorder.interactions.get(case_id)
                if (interaction is not None and interaction.response is not None
                        and interaction.request.method == operation.method.upper()):
                    statuses.setdefault(operation.label, set()).add(interaction.response.status_code)
            for checks in recorder.checks.values():
                failures += [f"{recorder.label}: {check.name}: {check.failure_info.failure.title}\n"
                             f"{check.failure_info.failure.message}\n{check.failure_info.code_sample}"
                             for check in checks if check.failure_info is not None]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {event!r}")
    return cases, statuses, failures


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_api_answers_as_its_openapi_document_says(app, org, live_url, request, role):
    known = seed(org)
    user = factories.make_user(is_staff=role == "staff")
    if role == "owner":
        factories.make_member(org, user, "owner")
    _, token = create_token(user, "schemathesis")
    db.session.commit()
    db.session.remove()  # the server's threads read and write on their own connections

    cases, statuses, failures = run_schemathesis(live_url, run_config(token, known))

    operations = {op.ok().label for op in schemathesis.openapi.from_url(
        f"{live_url}/api/0/openapi.json").get_all_operations()}
    line = (f"schemathesis as {role}: {sum(cases.values())} cases over {len(cases)} operations, "
            f"all checks, positive and negative data: {len(failures)} failures")
    print(line)
    add_summary_line(request.config, line)
    assert not failures, "\n\n".join(failures)
    assert set(cases) == operations and len(operations) >= 15
    succeeded = {label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)}
    if role == "staff":  # the run reached every operation's success path, not just its errors
        assert succeeded == operations
    else:  # an owner may do everything but change doc integrations
        assert operations - succeeded == {
            "POST /api/0/doc-integrations/", "PUT /api/0/doc-integrations/{id_or_slug}/",
            "DELETE /api/0/doc-integrations/{id_or_slug}/",
            "PUT /api/0/doc-integrations/{id_or_slug}/avatar/"}
