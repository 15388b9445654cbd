"""export-data / load-data (SPEC §9.1, §9.2): validation with JSON paths, all-or-nothing,
idempotent by natural key, export → load → export gives the same file."""

import base64
import json

import pytest
from flask import g
from sqlalchemy import func, select

from tests import factories
from tests.cli.helpers import EmptyDatabase, make_sample_data
from webapp.commands.demo import logo_png
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    DocIntegration,
    IntegrationFeature,
    Organization,
    OrganizationIntegration,
    Project,
    User,
)
from webapp.services.datafile import TABLES


def export_text(runner, *extra):
    result = runner.invoke(args=["export-data", "-", *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def load(runner, tmp_path, data, name="data.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return runner.invoke(args=["load-data", str(path)])


def summary(result) -> dict[str, tuple[int, int]]:
    counts = {}
    for line in result.stdout.strip().splitlines():
        table, rest = line.split(": ", 1)
        created, updated = rest.split(", ")
        counts[table] = (int(created.split()[1]), int(updated.split()[1]))
    return counts


@pytest.fixture
def empty_database(database_template, tmp_path):
    database = EmptyDatabase(database_template, tmp_path)
    yield database
    database.drop()


@pytest.fixture
def sample(app):
    make_sample_data()


def test_bad_file_names_every_fault_and_changes_nothing(runner, sample, tmp_path):
    before = export_text(runner, "--with-secrets")
    data = json.loads(before)
    org = data["organizations"][0]
    assert org["slug"] == "initech"
    org["name"] = "Renamed (must not be saved)"
    org["projects"].append({"name": "No slug"})
    bad_project = len(org["projects"]) - 1
    data["doc_integrations"][1]["url"] = "ftp://statusly.example"
    data["users"][0]["name"] = "Changed too"

    result = load(runner, tmp_path, data)

    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert f"organizations[0].projects[{bad_project}].slug: required" in errors
    assert "doc_integrations[1].url: URL must start with http[s]://" in errors
    assert errors[-1].endswith("2 errors; nothing was loaded.")
    assert result.stdout == ""
    db.session.expire_all()
    assert export_text(runner, "--with-secrets") == before


def test_export_then_load_into_an_empty_database_gives_the_same_file(
    runner, sample, tmp_path, app_factory, empty_database
):
    for extra in ((), ("--with-secrets",)):
        exported = export_text(runner, *extra)
        (tmp_path / "export.json").write_text(exported, encoding="utf-8")

        second = app_factory(SQLALCHEMY_DATABASE_URI=empty_database.uri)
        empty_database.prepare(second)
        with second.app_context():
            second_runner = second.test_cli_runner()
            assert json.loads(export_text(second_runner))["users"] == [] or extra
            result = second_runner.invoke(args=["load-data", str(tmp_path / "export.json")])
            assert result.exit_code == 0, result.output
            assert export_text(second_runner, *extra) == exported
            db.session.remove()


def test_roundtrip_keeps_password_hashes_only_with_secrets(runner, sample):
    plain = json.loads(export_text(runner))
    secret = json.loads(export_text(runner, "--with-secrets"))
    assert all("password_hash" not in user for user in plain["users"])
    ann = next(u for u in secret["users"] if u["email"] == "Ann@Example.com")
    assert ann["password_hash"].startswith(("scrypt:", "pbkdf2:"))


def test_export_is_sorted_by_natural_key_with_stable_layout(runner, sample):
    text = export_text(runner)
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert [u["email"] for u in data["users"]] == ["Ann@Example.com", "bob@example.com",
                                                   "sam@example.com"]
    assert [d["slug"] for d in data["doc_integrations"]] == ["chatrelay", "statusly"]
    initech = data["organizations"][0]
    assert [p["slug"] for p in initech["projects"]] == ["api", "web"]
    assert [(i["provider"], i["external_id"]) for i in initech["integrations"]] == [
        ("github", "4242"), ("slack", "T0123")]
    assert [(o["project"], o["plugin"], o["key"]) for o in initech["plugin_options"]] == [
        ("api", "opsgenie", "api_key"), ("api", "webhooks", "enabled"),
        ("api", "webhooks", "urls"), ("web", "trello", "enabled"), ("web", "trello", "key")]
    statusly = data["doc_integrations"][1]
    assert statusly["features"] == [5, 7]
    assert statusly["logo"]["content_type"] == "image/png"
    assert data["doc_integrations"][0]["logo"] is None
    assert initech["integrations"][0]["status"] == "pending_deletion"
    assert initech["integrations"][0]["grace_period_end"].endswith("+00:00")


def test_export_to_a_file(runner, sample, tmp_path):
    path = tmp_path / "out.json"
    result = runner.invoke(args=["export-data", str(path)])
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == export_text(runner)


def test_loading_the_same_file_twice_reports_created_0(runner, tmp_path, app_factory,
                                                        empty_database, app):
    make_sample_data()
    exported = export_text(runner)
    second = app_factory(SQLALCHEMY_DATABASE_URI=empty_database.uri)
    empty_database.prepare(second)
    with second.app_context():
        second_runner = second.test_cli_runner()
        first = summary(load(second_runner, tmp_path, exported))
        assert list(first) == list(TABLES)
        assert first["user"] == (3, 0)
        assert first["organization"] == (2, 0)
        assert first["organization_member"] == (3, 0)
        assert first["project"] == (3, 0)
        assert first["integration"] == (2, 0)
        assert first["organization_integration"] == (3, 0)
        assert first["project_plugin_option"] == (5, 0)
        assert first["doc_integration"] == (2, 0)
        assert first["sentry_app"] == (1, 0)
        again = load(second_runner, tmp_path, exported)
        assert again.exit_code == 0
        assert set(summary(again).values()) == {(0, 0)}
        assert again.stdout.splitlines()[0] == "user: created 0, updated 0"
        db.session.remove()


def test_updates_count_only_real_changes_and_bump_the_version(runner, sample, tmp_path):
    data = json.loads(export_text(runner))
    versions = dict(db.session.execute(
        select(OrganizationIntegration.id, OrganizationIntegration.version)).all())
    initech = data["organizations"][0]
    slack_link = initech["integrations"][1]
    slack_link["config"]["notify_on"] = "all"
    data["doc_integrations"][1]["features"] = [7]  # only the feature set changes
    initech["plugin_options"][3]["value"] = 1  # was true: a type change is a change

    result = load(runner, tmp_path, data)

    assert result.exit_code == 0, result.output
    counts = summary(result)
    assert counts["organization_integration"] == (0, 1)
    assert counts["doc_integration"] == (0, 1)
    assert counts["project_plugin_option"] == (0, 1)
    assert counts["organization"] == (0, 0)
    db.session.expire_all()
    changed = next(link for link in db.session.scalars(select(OrganizationIntegration))
                   if link.config.get("notify_on") == "all")
    assert changed.version == versions[changed.id] + 1
    for link_id, version in db.session.execute(
        select(OrganizationIntegration.id, OrganizationIntegration.version)
    ):
        if link_id != changed.id:
            assert version == versions[link_id]
    doc = db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "statusly"))
    assert doc.version == 2
    features = db.session.scalars(select(IntegrationFeature.feature).where(
        IntegrationFeature.target_type == 1, IntegrationFeature.target_id == doc.id)).all()
    assert features == [7]
    entry = db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.event == "INTEGRATION_EDIT"))
    assert entry.target_id == changed.id
    assert entry.data["changes"]["config"]["after"]["notify_on"] == "all"
    assert entry.actor_id is None

    again = load(runner, tmp_path, data)
    assert set(summary(again).values()) == {(0, 0)}


def test_missing_fields_keep_stored_values_and_new_records_need_them(runner, sample, tmp_path):
    data = {"organizations": [
        {"slug": "initech", "projects": [{"slug": "web", "status": "disabled"}]},
        {"slug": "new-org", "projects": [{"slug": "x"}]},
    ]}
    result = load(runner, tmp_path, data)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "organizations[1].name: required",
        "organizations[1].projects[0].name: required",
    ]
    del data["organizations"][1]
    result = load(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert summary(result)["project"] == (0, 1)
    web = db.session.scalar(select(Project).join(Organization).where(
        Organization.slug == "initech", Project.slug == "web"))
    assert (web.name, web.platform, web.status) == ("Web", "javascript-react", 1)


def test_references_must_exist_in_the_file_or_database(runner, sample, tmp_path):
    data = {
        "users": [{"email": "new@example.com", "password": "long enough pw"}],
        "integrations": [{"provider": "gitlab", "external_id": "gl-1", "name": "GitLab"}],
        "organizations": [{
            "slug": "initech",
            "members": [{"email": "NEW@example.com", "role": "admin"},
                        {"email": "ghost@example.com", "role": "admin"},
                        {"email": "bob@example.com", "role": "boss"}],
            "projects": [{"slug": "mobile", "name": "Mobile"}],
            "integrations": [{"provider": "gitlab", "external_id": "gl-1"},
                             {"provider": "slack", "external_id": "T0123", "config": {"a": 1}},
                             {"provider": "slack", "external_id": "nope"},
                             {"provider": "hipchat", "external_id": "1"}],
            "plugin_options": [{"project": "mobile", "plugin": "trello", "key": "key", "value": "k"},
                               {"project": "ghost", "plugin": "trello", "key": "key", "value": "k"},
                               {"project": "web", "plugin": "nope", "key": "key", "value": "k"}],
        }],
    }
    result = load(runner, tmp_path, data)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()[:-1]
    assert errors == [
        "organizations[0].members[1].email: no user with this email in the file or the database",
        "organizations[0].members[2].role: must be one of: member, admin, manager, owner",
        "organizations[0].integrations[2]: unknown integration slack/nope: not in the file's "
        "integrations nor in the database",
        "organizations[0].integrations[3].provider: unknown provider 'hipchat'; known: "
        "bitbucket, bitbucket_server, discord, example, github, github_enterprise, gitlab, jira, "
        "jira_server, msteams, opsgenie, pagerduty, slack, vercel, vsts",
        "organizations[0].plugin_options[1].project: no project 'ghost' in this organization "
        "(in the file or the database)",
        "organizations[0].plugin_options[2].plugin: unknown plugin 'nope'; known: amazon-sqs, "
        "asana, bitbucket, clubhouse, github, gitlab, heroku, jira, opsgenie, pagerduty, "
        "phabricator, pivotal, pushover, redmine, segment, sessionstack, slack, splunk, "
        "teamwork, trello, twilio, victorops, vsts, webhooks",
    ]
    # Fixed, the same file loads: references to records created by the file itself work.
    members = data["organizations"][0]["members"]
    del members[1:]
    del data["organizations"][0]["integrations"][2:]
    del data["organizations"][0]["plugin_options"][1:]
    result = load(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    counts = summary(result)
    assert counts["user"] == (1, 0)
    assert counts["organization_member"] == (1, 0)
    assert counts["organization_integration"] == (1, 1)
    assert counts["project_plugin_option"] == (1, 0)
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.password_hash != "long enough pw" and user.check_password("long enough pw")


def test_field_faults_are_reported_with_their_paths(runner, sample, tmp_path):
    tiny_png = logo_png("X", (0, 0, 0), size=64)
    data = {
        "users": [{"email": "not-an-email", "is_staff": "yes"},
                  {"email": "c@example.com", "password": "short"},
                  {"email": "d@example.com", "password": "long enough", "password_hash": "x"},
                  {"email": "C@EXAMPLE.COM", "pasword": "typo"}],
        "sentry_apps": [{"slug": "Bad Slug", "name": "x", "status": "live", "features": [10]}],
        "integrations": [{"provider": "slack", "external_id": "", "name": "x"},
                         {"provider": "slack", "external_id": "T9", "name": "x", "status": "gone",
                          "metadata": []}],
        "doc_integrations": [
            {"name": "New One", "author": "a", "description": "d", "url": "https://n.example",
             "is_draft": False},
            {"name": "Other", "author": "", "description": "d", "url": "https://o.example",
             "resources": [{"title": "Docs", "url": "javascript:alert(1)"}],
             "logo": {"content_type": "image/png", "data_base64": "%%%"}},
            {"slug": "tiny", "name": "Tiny", "author": "a", "description": "d",
             "url": "https://t.example", "popularity": 40000,
             "logo": {"data_base64": base64.b64encode(tiny_png).decode()}},
            {"slug": "statusly", "logo": None},
        ],
        "organizations": [{"slug": "Bad Org", "name": "x"},
                          {"slug": "initech", "integrations": [
                              {"provider": "slack", "external_id": "T0123",
                               "grace_period_end": "2026-01-01T00:00:00"}]}],
        "extra": [],
    }
    result = load(runner, tmp_path, data)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    # An unknown section does not hide the faults of the known ones: all in one run.
    expected = [
        "extra: unknown section (allowed: users, sentry_apps, integrations, doc_integrations, organizations)",
        "users[0].email: must be a valid email address",
        "users[0].is_staff: must be true or false",
        "users[1].password: must be a string of at least 8 characters",
        "users[2].password_hash: must be a werkzeug password hash (scrypt:… or pbkdf2:…)",
        "users[2]: give either password or password_hash, not both",
        "users[3].pasword: unknown field (allowed: email, name, password, password_hash, "
        "is_staff, is_superuser, is_active, auth_source)",
        "users[3].email: duplicate email (also at users[1].email)",
        "sentry_apps[0].slug: must be 1–64 characters: a-z, 0-9, '-' and '_'",
        "sentry_apps[0].status: must be one of: unpublished, published, internal",
        "integrations[0].external_id: must not be empty",
        "integrations[1].metadata: must be a JSON object",
        "integrations[1].status: must be one of: active, disabled, pending_deletion, "
        "deletion_in_progress",
        "doc_integrations[1].logo.data_base64: must be base64 text",
        "doc_integrations[2].logo: Invalid image dimensions.",
        "doc_integrations[0].logo: A logo is required for publishing.",
        "doc_integrations[1].author: This field is required.",
        "doc_integrations[1].resources[0].url: URL must start with http[s]://",
        "doc_integrations[2].popularity: Popularity must be a whole number from 0 to 32767.",
        "doc_integrations[3].logo: A logo is required for publishing.",
        "organizations[0].slug: must be 1–50 characters: a-z, 0-9 and '-'",
        "organizations[1].integrations[0].grace_period_end: must include a time zone offset, "
        "e.g. +00:00",
    ]
    for line in expected:
        assert line in errors
    assert any(line.startswith("sentry_apps[0].features: unknown feature id(s): 10") for line in errors)
    assert errors[-1].endswith(f"{len(errors) - 1} errors; nothing was loaded.")
    assert db.session.scalar(select(func.count()).select_from(User)) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"users": [', "(file): not valid JSON: Expecting value (line 1, column 12)"),
        ("[]", "(file): must be one JSON object"),
        ('{"users": {}}', "users: must be a list"),
        ('{"users": [1]}', "users[0]: must be an object"),
        ('{"organizations": [{"slug": "a", "name": "A", "projects": 3}]}',
         "organizations[0].projects: must be a list"),
        ('{"integrations": [{"provider": "slack", "external_id": "1", "name": "x", '
         '"metadata": {"n": NaN}}]}', "(file): not valid JSON: NaN is not allowed in JSON"),
        ('{"users": [{"email": "a\\u0000@example.com"}]}',
         "users[0].email: must not contain NUL (\\u0000) characters"),
    ],
)
def test_malformed_files(runner, tmp_path, text, message):
    result = load(runner, tmp_path, text)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message


def test_doc_integration_slug_comes_from_the_name_when_absent(runner, sample, tmp_path):
    record = {"name": "Log Harbor!", "author": "Harbor", "description": "Logs.",
              "url": "https://logharbor.example", "features": [3, 3, 0],
              "resources": [{"title": "", "url": ""}]}
    result = load(runner, tmp_path, {"doc_integrations": [record]})
    assert result.exit_code == 0, result.output
    doc = db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "log-harbor"))
    assert doc is not None and doc.is_draft and doc.resources == []
    again = load(runner, tmp_path, {"doc_integrations": [record]})
    assert summary(again)["doc_integration"] == (0, 0)
    # A file that names the slug is keyed by it; a name whose own slug is taken is fine.
    record = {**record, "slug": "harbor-two"}
    result = load(runner, tmp_path, {"doc_integrations": [record]})
    assert result.exit_code == 0, result.output
    assert summary(result)["doc_integration"] == (1, 0)


def test_doc_integration_slug_of_a_page_path_is_refused(runner, sample, tmp_path):
    record = {"slug": "new", "name": "New", "author": "a", "description": "d",
              "url": "https://n.example"}
    result = load(runner, tmp_path, {"doc_integrations": [record]})
    assert result.exit_code == 1
    assert "doc_integrations[0].slug: 'new' is reserved" in result.stderr.splitlines()
    assert db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "new")) is None


def test_publishing_with_a_new_logo_and_removing_a_logo(runner, sample, tmp_path):
    logo = base64.b64encode(logo_png("CR", (9, 9, 9))).decode()
    data = {"doc_integrations": [{"slug": "chatrelay", "is_draft": False,
                                  "logo": {"content_type": "image/png", "data_base64": logo}}]}
    result = load(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    doc = db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "chatrelay"))
    assert (doc.is_draft, doc.logo.content_type, doc.version) == (False, "image/png", 2)
    assert summary(load(runner, tmp_path, data))["doc_integration"] == (0, 0)
    data = {"doc_integrations": [{"slug": "chatrelay", "is_draft": True, "logo": None}]}
    result = load(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    doc = db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "chatrelay"))
    assert (doc.is_draft, doc.logo, doc.version) == (True, None, 3)


def test_password_given_again_is_not_a_change(runner, sample, tmp_path):
    data = {"users": [{"email": "ann@example.com", "password": "a new password"}]}
    assert summary(load(runner, tmp_path, data))["user"] == (0, 1)
    assert summary(load(runner, tmp_path, data))["user"] == (0, 0)
    user = db.session.scalar(select(User).where(User.email == "Ann@Example.com"))
    assert user.check_password("a new password")


def test_unreadable_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["load-data", str(tmp_path / "missing.json")])
    assert result.exit_code == 1
    assert "Cannot read" in result.output


def test_load_from_stdin(runner):
    data = {"organizations": [{"slug": "stdin-org", "name": "From stdin"}]}
    result = runner.invoke(args=["load-data", "-"], input=json.dumps(data))
    assert result.exit_code == 0, result.output
    assert "organization: created 1, updated 0" in result.stdout.splitlines()
    assert db.session.scalar(select(Organization.name).where(Organization.slug == "stdin-org")) == "From stdin"


def test_slugs_with_a_trailing_newline_are_refused(runner, sample, tmp_path):
    """A `$` in a pattern matches before a final newline: slugs must match whole."""
    data = json.loads(export_text(runner, "--with-secrets"))
    data["organizations"][0]["slug"] = "initech\n"
    result = load(runner, tmp_path, data)
    assert result.exit_code == 1
    assert "organizations[0].slug: must be 1–50 characters: a-z, 0-9 and '-'" in result.output


# -- directory and single-sign-on users (migration 0010) ---------------------------------------


def test_sign_in_and_role_sources_are_exported(runner, sample):
    data = json.loads(export_text(runner))
    sources = {u["email"]: u["auth_source"] for u in data["users"]}
    assert sources == {"Ann@Example.com": "local", "bob@example.com": "ldap",
                       "sam@example.com": "local"}
    members = {(o["slug"], m["email"]): m["role_source"]
               for o in data["organizations"] for m in o["members"]}
    assert members == {("initech", "Ann@Example.com"): None, ("initech", "bob@example.com"): "ldap",
                       ("umbrella", "Ann@Example.com"): None}


def test_sign_in_and_role_sources_are_loaded_and_updated(runner, sample, tmp_path):
    data = {"users": [{"email": "dee@example.com", "name": "Dee", "auth_source": "proxy"},
                      {"email": "Ann@Example.com", "auth_source": "ldap"}],
            "organizations": [{"slug": "umbrella", "members": [
                {"email": "dee@example.com", "role": "manager", "role_source": "proxy"},
                {"email": "ann@example.com", "role": "admin", "role_source": "ldap"}]}]}
    def ann_logs_in():
        g.pop("_login_user", None)  # the test's app context is the requests' too
        response = runner.app.test_client().post(
            "/login/", data={"email": "Ann@Example.com", "password": factories.PASSWORD})
        return response.status_code == 302

    assert ann_logs_in()
    result = load(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    counts = summary(result)
    assert counts["user"] == (1, 1) and counts["organization_member"] == (1, 1)
    db.session.expire_all()
    users = {u.email: u.auth_source for u in db.session.scalars(select(User))}
    assert users["dee@example.com"] == "proxy" and users["Ann@Example.com"] == "ldap"
    umbrella = json.loads(export_text(runner))["organizations"][1]
    assert umbrella["members"] == [
        {"email": "Ann@Example.com", "role": "admin", "role_source": "ldap"},
        {"email": "dee@example.com", "role": "manager", "role_source": "proxy"}]
    # A directory user may not use a local password: the login form refuses Ann now.
    assert not ann_logs_in()
    # The same file again changes nothing.
    assert set(summary(load(runner, tmp_path, data)).values()) == {(0, 0)}


def test_an_older_file_without_the_sources_loads_as_local_and_set_by_hand(
    runner, sample, tmp_path
):
    data = {"users": [{"email": "old@example.com", "name": "Old", "is_staff": False}],
            "organizations": [{"slug": "initech", "members": [
                {"email": "old@example.com", "role": "admin"},
                {"email": "bob@example.com", "role": "manager"}]}]}
    result = load(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    exported = json.loads(export_text(runner))
    assert {u["email"]: u["auth_source"] for u in exported["users"]}["old@example.com"] == "local"
    members = {m["email"]: m for m in exported["organizations"][0]["members"]}
    assert members["old@example.com"] == {"email": "old@example.com", "role": "admin",
                                          "role_source": None}
    # Bob's role changed by the file, which does not name its source: set by hand now, as
    # add-member does; his way of signing in, not in the file, stays the directory's.
    assert members["bob@example.com"] == {"email": "bob@example.com", "role": "manager",
                                          "role_source": None}
    assert {u["email"]: u["auth_source"] for u in exported["users"]}["bob@example.com"] == "ldap"


def test_bad_sources_are_clear_errors_and_nothing_is_written(runner, sample, tmp_path):
    before = export_text(runner, "--with-secrets")
    data = {"users": [{"email": "dee@example.com", "auth_source": "google"},
                      {"email": "eve@example.com", "auth_source": None},
                      {"email": "Ann@Example.com", "name": "Renamed", "auth_source": "local"}],
            "organizations": [{"slug": "initech", "members": [
                {"email": "Ann@Example.com", "role": "owner", "role_source": "local"},
                {"email": "bob@example.com", "role": "member", "role_source": 1}]}]}
    result = load(runner, tmp_path, data)
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert errors[:-1] == [
        "users[0].auth_source: must be one of: local, ldap, proxy",
        "users[1].auth_source: must be one of: local, ldap, proxy",
        "organizations[0].members[0].role_source: must be null (set by hand) or one of: ldap, proxy",
        "organizations[0].members[1].role_source: must be null (set by hand) or one of: ldap, proxy",
    ]
    assert errors[-1].endswith("4 errors; nothing was loaded.")
    db.session.expire_all()
    assert export_text(runner, "--with-secrets") == before
