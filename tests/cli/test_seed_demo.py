"""seed-demo (SPEC §9): logins printed once, --if-empty, data the pages accept, --scale."""

import re
from collections import defaultdict

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from webapp.catalog.plugins import PLUGINS, is_configured, is_enabled
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    Integration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    IntegrationRequest,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    SentryApp,
    User,
)
from webapp.services.doc_integrations import validate_logo

LOGIN_ROW = re.compile(r"^\s+(\S+@\S+)\s+(.+?)\s{2,}(\S+)$")


def seed(runner, *args):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def printed_logins(output: str) -> dict[str, tuple[str, str]]:
    logins = {}
    for line in output.splitlines():
        match = LOGIN_ROW.match(line)
        if match:
            logins[match.group(1)] = (match.group(2), match.group(3))
    return logins


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def seeded(runner):
    return seed(runner)


def test_prints_every_demo_login_once_with_a_random_password(seeded, client, runner, app_factory):
    logins = printed_logins(seeded.output)
    assert {email: role for email, (role, _) in logins.items()} == {
        "owner@demo.example": "owner", "manager@demo.example": "manager",
        "admin@demo.example": "admin", "member@demo.example": "member",
        "staff@demo.example": "staff", "owner@globex.example": "owner (globex)",
    }
    assert "http://127.0.0.1:5000/login/" in seeded.output
    passwords = [password for _, password in logins.values()]
    assert len(set(passwords)) == len(passwords) and all(len(p) == 12 for p in passwords)
    for email, (_, password) in logins.items():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.password_hash != password and user.check_password(password)
    staff = db.session.scalar(select(User).where(User.email == "staff@demo.example"))
    assert staff.is_staff
    roles = dict(db.session.execute(
        select(User.email, OrganizationMember.role).join(OrganizationMember.user)
        .join(OrganizationMember.organization).where(Organization.slug == "demo")).all())
    assert roles == {"owner@demo.example": "owner", "manager@demo.example": "manager",
                     "admin@demo.example": "admin", "member@demo.example": "member"}

    response = client.post("/login/", data={"email": "owner@demo.example",
                                            "password": logins["owner@demo.example"][1]})
    assert response.status_code == 302


def test_if_empty_is_a_no_op_once_there_are_users(seeded, runner):
    users = count(User)
    projects = count(Project)
    again = seed(runner, "--if-empty")
    assert again.output.strip() == ("Database already has data; not seeding. "
                                    "Log in with the users you created earlier.")
    assert printed_logins(again.output) == {}
    assert (count(User), count(Project)) == (users, projects)


def test_if_empty_seeds_an_empty_database(runner):
    result = seed(runner, "--if-empty")
    assert "owner@demo.example" in result.output
    assert count(Organization, Organization.slug == "demo") == 1


def test_seeding_twice_without_if_empty_is_refused(seeded, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "Organization 'demo' already exists" in result.output


def test_scale_must_be_positive(runner):
    result = runner.invoke(args=["seed-demo", "--scale", "0"])
    assert result.exit_code == 2
    assert count(User) == 0


def _pages_that_exist(app, paths):
    adapter = app.url_map.bind("localhost")
    for path in paths:
        try:
            adapter.match(path.split("?")[0])
        except (NotFound, MethodNotAllowed, RequestRedirect):
            continue
        yield path


def test_seeded_pages_render_for_the_owner_and_staff(seeded, client, app):
    logins = printed_logins(seeded.output)
    client.post("/login/", data={"email": "owner@demo.example",
                                 "password": logins["owner@demo.example"][1]})
    response = client.get("/settings/demo/")
    assert response.status_code == 200
    assert "Demo Company" in response.get_data(as_text=True)
    def external_id(status):
        return db.session.scalar(
            select(Integration.external_id).join(OrganizationIntegration)
            .where(OrganizationIntegration.status == int(status),
                   OrganizationIntegration.organization_id == select(Organization.id)
                   .where(Organization.slug == "demo").scalar_subquery()).limit(1)
        )

    hidden, visible = external_id(ObjectStatus.DELETION_IN_PROGRESS), external_id(ObjectStatus.ACTIVE)
    pages = [
        "/settings/demo/integrations/", f"/settings/demo/integrations/?q={hidden}",
        f"/settings/demo/integrations/?q={visible}",
        "/settings/demo/integrations/slack/", "/settings/demo/directory/",
        "/settings/demo/plugins/", "/settings/demo/plugins/trello/",
        "/settings/demo/integration-requests/", "/settings/demo/audit-log/",
        "/settings/demo/sentry-apps/incident-bot/", "/settings/globex/",
        "/doc-integrations/", "/doc-integrations/statusly/",
    ]
    for path in _pages_that_exist(app, pages):
        response = client.get(path)
        assert response.status_code == 200, path
        if "?q=" in path:  # the deletion-in-progress installation stays hidden
            cells = BeautifulSoup(response.get_data(as_text=True), "html.parser").find_all("td")
            text = " ".join(cell.get_text() for cell in cells)
            assert (hidden in text, visible in text) == (False, path.endswith(visible))
    client.post("/logout/")
    client.post("/login/", data={"email": "staff@demo.example",
                                 "password": logins["staff@demo.example"][1]})
    for path in _pages_that_exist(app, ["/doc-integrations/", "/doc-integrations/chatrelay/",
                                        "/settings/demo/"]):
        assert client.get(path).status_code == 200, path


def test_demo_org_has_every_status_and_valid_catalog_values(seeded):
    demo_id = db.session.scalar(select(Organization.id).where(Organization.slug == "demo"))
    statuses = defaultdict(int)
    links = db.session.execute(
        select(OrganizationIntegration, Integration).join(Integration)
        .where(OrganizationIntegration.organization_id == demo_id)
    ).all()
    assert len(links) == 100
    for link, integration in links:
        statuses[ObjectStatus(link.status)] += 1
        provider = PROVIDERS[integration.provider]
        fields = {spec.name: spec for spec in provider.config_schema}
        assert set(link.config) <= set(fields)
        for name, value in link.config.items():
            spec = fields[name]
            if spec.type == "choice":
                assert value in {choice for choice, _ in spec.choices}
            elif spec.type == "multichoice":
                assert set(value) <= {choice for choice, _ in spec.choices}
            elif spec.type == "boolean":
                assert isinstance(value, bool)
            else:
                assert isinstance(value, str)
        assert "icon" not in integration.metadata_
        assert integration.metadata_["domain_name"]
        if link.status == ObjectStatus.PENDING_DELETION:
            assert link.grace_period_end is not None
    assert statuses[ObjectStatus.DELETION_IN_PROGRESS] == 1
    assert all(statuses[status] for status in ObjectStatus)
    assert {integration.provider for _, integration in links} == set(PROVIDERS)

    projects = db.session.scalars(select(Project).where(Project.organization_id == demo_id)).all()
    assert len(projects) == 50
    assert {ObjectStatus(p.status) for p in projects} >= {ObjectStatus.ACTIVE, ObjectStatus.DISABLED}
    assert any(p.platform for p in projects) and any(p.platform is None for p in projects)

    options = defaultdict(dict)
    for option in db.session.scalars(select(ProjectPluginOption)):
        options[(option.project_id, option.plugin)][option.key] = option.value
    combos = set()
    for (_project, slug), values in options.items():
        plugin = PLUGINS[slug]
        assert set(values) <= {"enabled"} | {spec.name for spec in plugin.config_schema}
        combos.add((is_enabled(values), is_configured(plugin, values), "enabled" in values))
    assert {(True, True, True), (False, True, True), (True, False, True),
            (False, True, False)} <= combos


def test_global_records_cover_drafts_published_apps_and_requests(seeded):
    docs = db.session.scalars(select(DocIntegration)).all()
    assert {doc.is_draft for doc in docs} == {True, False}
    for doc in docs:
        if not doc.is_draft:
            assert doc.logo is not None
            assert validate_logo(doc.logo.data).content_type == "image/png"
        assert count(IntegrationFeature,
                     IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
                     IntegrationFeature.target_id == doc.id) >= 1
    apps = db.session.scalars(select(SentryApp)).all()
    assert {app.status for app in apps} == {"published", "unpublished", "internal"}
    assert count(IntegrationFeature,
                 IntegrationFeature.target_type == IntegrationFeatureTarget.SENTRY_APP) >= len(apps)
    open_requests = db.session.scalars(
        select(IntegrationRequest).join(IntegrationRequest.organization)
        .where(Organization.slug == "demo", IntegrationRequest.status == "open")).all()
    assert len(open_requests) == 1
    assert open_requests[0].requester.email == "member@demo.example"


def test_seeded_data_exports_and_reloads_without_changes(seeded, runner, tmp_path):
    path = tmp_path / "demo.json"
    assert runner.invoke(args=["export-data", str(path)]).exit_code == 0
    result = runner.invoke(args=["load-data", str(path)])
    assert result.exit_code == 0, result.output
    assert all(line.endswith("created 0, updated 0") for line in result.stdout.splitlines())


def test_scale_multiplies_projects_integrations_and_installations(runner):
    seed(runner, "--scale", "3")
    demo_id = db.session.scalar(select(Organization.id).where(Organization.slug == "demo"))
    assert count(Project, Project.organization_id == demo_id) == 150
    assert count(OrganizationIntegration, OrganizationIntegration.organization_id == demo_id) == 300
    assert count(OrganizationIntegration,
                 OrganizationIntegration.organization_id == demo_id,
                 OrganizationIntegration.status == int(ObjectStatus.DELETION_IN_PROGRESS)) == 3
    # Globex stays small: 6 own integrations plus 6 shared with demo.
    assert count(Integration) == 306
    assert count(User) == 6


def test_login_link_points_where_the_app_is_served(runner):
    """`make run PORT=8123` passes --server: the printed link must not say port 5000."""
    output = seed(runner, "--server", "http://127.0.0.1:8123/").output
    assert output.rstrip().splitlines()[-1] == "Log in at http://127.0.0.1:8123/login/"


def test_login_link_defaults_to_the_flask_run_address(seeded):
    assert seeded.output.rstrip().splitlines()[-1] == "Log in at http://127.0.0.1:5000/login/"


@pytest.mark.parametrize("server", ["ftp://127.0.0.1:8000", "127.0.0.1:8000", "http://",
                                    "http://host/admin", "http://host?x=1", "http://a b"])
def test_a_bad_server_address_is_refused_and_nothing_is_seeded(runner, server):
    result = runner.invoke(args=["seed-demo", "--server", server])
    assert result.exit_code == 2
    assert "--server" in result.output and "must be like http://127.0.0.1:5000" in result.output
    assert count(User) == 0
