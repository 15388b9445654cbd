"""The provider policy in `export-data` / `load-data` (issue 23; docs/data-format.md): exported
per organization, loaded with the page's own checks (faults named by JSON path), audited,
idempotent, and export → load → export gives the same file."""

import json

import pytest
from sqlalchemy import select

from tests import factories
from tests.cli.helpers import EmptyDatabase
from webapp.extensions import db
from webapp.models import AuditLogEntry, SentryApp
from webapp.services.permissions import get_org_access
from webapp.services.policy import get_policy, update_policy

POLICY = {"mode": "block", "reason": "Under review.",
          "providers": ["first_party:slack", "plugin:trello", "sentry_app:acme-app"]}


def export(runner) -> str:
    result = runner.invoke(args=["export-data", "-"])
    assert result.exit_code == 0, result.output
    return result.stdout


def load(runner, tmp_path, data):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(args=["load-data", str(path)])


@pytest.fixture
def empty_database(database_template, tmp_path):
    database = EmptyDatabase(database_template, tmp_path)
    yield database
    database.drop()


def test_export_then_load_into_an_empty_database_gives_the_same_file(
        runner, org, tmp_path, app_factory, empty_database):
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    owner = factories.make_user(email="owner@acme.example")
    factories.make_member(org, owner, "owner")
    db.session.commit()
    update_policy(get_org_access(owner, "acme"), POLICY["mode"], POLICY["reason"],
                  {"first_party": ["slack"], "plugin": ["trello"], "sentry_app": ["acme-app"]}, None)
    db.session.commit()
    exported = export(runner)
    (acme,) = json.loads(exported)["organizations"]
    assert acme["provider_policy"] == POLICY
    (tmp_path / "export.json").write_text(exported, encoding="utf-8")

    second = app_factory(SQLALCHEMY_DATABASE_URI=empty_database.uri)
    empty_database.prepare(second)
    with second.app_context():
        second_runner = second.test_cli_runner()
        result = second_runner.invoke(args=["load-data", str(tmp_path / "export.json")])
        assert result.exit_code == 0, result.output
        assert "provider_policy: created 1, updated 0" in result.stdout.splitlines()
        assert export(second_runner) == exported
        again = second_runner.invoke(args=["load-data", str(tmp_path / "export.json")])
        assert "provider_policy: created 0, updated 0" in again.stdout.splitlines()
        db.session.remove()


def test_loading_a_change_updates_and_audits_it(runner, org, tmp_path):
    db.session.commit()
    data = {"organizations": [{"slug": "acme", "provider_policy": {
        "mode": "allow_only", "reason": "Approved tools only.", "providers": ["first_party:github"]}}]}
    assert load(runner, tmp_path, data).exit_code == 0
    data["organizations"][0]["provider_policy"]["providers"].append("plugin:asana")
    result = load(runner, tmp_path, data)
    assert "provider_policy: created 0, updated 1" in result.stdout.splitlines()
    policy = get_policy(org)
    assert (policy.mode, policy.providers, policy.version) == (
        "allow_only", {"first_party:github", "plugin:asana"}, 2)
    entries = db.session.scalars(select(AuditLogEntry).where(
        AuditLogEntry.event == "PROVIDER_POLICY_EDIT").order_by(AuditLogEntry.id)).all()
    assert [e.data["source"] for e in entries] == ["load-data", "load-data"]
    assert entries[1].data["changes"] == {"providers": {
        "before": ["first_party:github"], "after": ["first_party:github", "plugin:asana"]}}


@pytest.mark.parametrize(("policy", "fault"), [
    ("block", "organizations[0].provider_policy: must be an object"),
    ({"reason": "x"}, "organizations[0].provider_policy.mode: required"),
    ({"mode": "block", "reason": "x", "providers": ["slack"]},
     "organizations[0].provider_policy.providers: 'slack' is not \"<kind>:<slug>\" with a kind of: "
     "first_party, plugin, sentry_app"),
    ({"mode": "block", "reason": "x", "providers": ["plugin:nope"]},
     "organizations[0].provider_policy.providers: Unknown provider: nope"),
    ({"mode": "block", "providers": ["first_party:slack"]},
     "organizations[0].provider_policy.reason: Give the reason members will see."),
    ({"mode": "sometimes", "reason": "x"},
     "organizations[0].provider_policy.mode: Choose one of: allow all, allow only these, block these."),
    ({"mode": "allow_all", "colour": "red"},
     "organizations[0].provider_policy.colour: unknown field (allowed: mode, reason, providers)"),
])
def test_a_bad_policy_is_named_by_its_path_and_nothing_is_loaded(runner, org, tmp_path, policy, fault):
    db.session.commit()
    result = load(runner, tmp_path, {"organizations": [{"slug": "acme", "provider_policy": policy}]})
    assert result.exit_code == 1
    assert fault in result.stderr
    assert get_policy(org).version == 0
