"""The integration directory (SPEC §6) and the sentry-app page: entries, installed state,
filters with facet counts, 400s, paging, query counts."""

import pytest
from bs4 import BeautifulSoup
from flask import g

from tests import factories
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    ObjectStatus,
    Project,
    ProjectPluginOption,
    SentryApp,
)
from webapp.services.directory import directory_entries
from webapp.services.errors import ValidationFailed

URL = "/settings/acme/directory/"
LISTED_PLUGINS = [p for p in PLUGINS.values() if not p.is_deprecated and not p.is_hidden]


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def make_doc(name, slug=None, description="Docs.", is_draft=False):
    doc = DocIntegration(name=name, slug=slug or name.lower().replace(" ", "-"), author="Docs Inc",
                         description=description, url="https://docs.example/", is_draft=is_draft)
    db.session.add(doc)
    db.session.flush()
    return doc


def make_app(name, slug=None, status="published", overview="An app.", author="App Co"):
    app = SentryApp(name=name, slug=slug or name.lower().replace(" ", "-"), status=status,
                    overview=overview, author=author)
    db.session.add(app)
    db.session.flush()
    return app


def rows(response):
    table = soup(response).find("table", class_="directory-table")
    return [] if table is None else table.find("tbody").find_all("tr")


def entry_keys(response):
    return [(row["data-kind"], row["data-slug"]) for row in rows(response)]


def option_labels(response, field):
    return {o["value"]: o.get_text(strip=True) for o in soup(response).find(id=field).find_all("option")}


@pytest.fixture
def listed(org):
    """Two published doc integrations, a draft, published/unpublished/internal apps."""
    make_doc("Zeta Docs", description="Forward logs to Zeta.")
    make_doc("Beta Docs", description="All about beta.")
    make_doc("Draft Docs", is_draft=True)
    make_app("Alpha App", overview="Triage with ALPHA.")
    make_app("Hidden App", status="unpublished")
    make_app("Inside App", status="internal")
    db.session.commit()


def test_lists_every_kind_sorted_by_name(app, org, listed):
    result = directory_entries(org, per_page=100)
    expected = len(PROVIDERS) + len(LISTED_PLUGINS) + 2 + 1
    assert result.total == expected == len(result.entries)
    keys = {(e.kind, e.slug) for e in result.entries}
    assert ("doc_integration", "zeta-docs") in keys and ("sentry_app", "alpha-app") in keys
    assert ("doc_integration", "draft-docs") not in keys
    assert ("sentry_app", "hidden-app") not in keys and ("sentry_app", "inside-app") not in keys
    assert ("plugin", "clubhouse") not in keys  # deprecated
    assert {("first_party", k) for k in PROVIDERS} <= keys
    names = [e.name.lower() for e in result.entries]
    assert names == sorted(names)
    by_key = {(e.kind, e.slug): e for e in result.entries}
    assert by_key[("first_party", "slack")].category == "messaging"
    assert by_key[("plugin", "trello")].category == "plugin"
    assert by_key[("doc_integration", "beta-docs")].installed is None
    assert by_key[("sentry_app", "alpha-app")].installed is False


def test_installed_state_of_providers(app, org):
    other = factories.make_org(slug="other")
    for provider, status in (("slack", ObjectStatus.ACTIVE), ("github", ObjectStatus.DISABLED),
                             ("jira", ObjectStatus.PENDING_DELETION),
                             ("gitlab", ObjectStatus.DELETION_IN_PROGRESS)):
        factories.install(org, factories.make_integration(provider), status=status)
    factories.install(other, factories.make_integration("pagerduty"))
    db.session.commit()
    result = directory_entries(org, category=None, installed="yes", per_page=100)
    assert {(e.kind, e.slug) for e in result.entries} == {
        ("first_party", "slack"), ("first_party", "github"), ("first_party", "jira")}
    assert result.installed_counts["yes"] == 3


def test_installed_state_of_plugins(app, org):
    other = factories.make_org(slug="other")
    active = factories.make_project(org, "web")
    off = factories.make_project(org, "old", status=ObjectStatus.DISABLED)
    factories.set_plugin_option(active, "trello", "enabled", True)
    factories.set_plugin_option(active, "trello", "key", "abc")
    factories.set_plugin_option(active, "asana", "enabled", False)
    factories.set_plugin_option(active, "asana", "workspace", "1")
    factories.set_plugin_option(active, "github", "repo", "a/b")  # configured, never enabled
    factories.set_plugin_option(off, "redmine", "enabled", True)  # disabled project
    factories.set_plugin_option(factories.make_project(other, "x"), "segment", "enabled", True)
    second = factories.make_project(org, "api")
    factories.set_plugin_option(second, "trello", "enabled", True)
    db.session.commit()
    result = directory_entries(org, category="plugin", installed="yes")
    assert [e.slug for e in result.entries] == ["trello"]
    not_installed = directory_entries(org, category="plugin", installed="no", per_page=100)
    assert {"asana", "github", "redmine", "segment"} <= {e.slug for e in not_installed.entries}


@pytest.mark.parametrize(("q", "expected"), [
    ("SLACK", {("first_party", "slack"), ("plugin", "slack")}),
    ("zeta", {("doc_integration", "zeta-docs")}),
    ("all about", {("doc_integration", "beta-docs")}),  # description
    ("alpha", {("sentry_app", "alpha-app")}),
    ("100%", set()),  # LIKE wildcards are literal
    ("_", set()),
])
def test_search_matches_name_or_description(app, org, listed, q, expected):
    result = directory_entries(org, q=q, per_page=100)
    assert {(e.kind, e.slug) for e in result.entries} == expected
    assert result.total == len(expected)


def test_category_filter_and_facet_counts(app, org, listed):
    factories.install(org, factories.make_integration("slack"))
    db.session.commit()
    result = directory_entries(org, category="messaging", per_page=100)
    assert sorted(e.slug for e in result.entries) == ["discord", "msteams", "slack"]
    # Category facets ignore the category filter itself; installed facets honour it.
    assert result.category_counts["messaging"] == 3
    assert result.category_counts["plugin"] == len(LISTED_PLUGINS)
    assert result.category_counts["doc_integration"] == 2
    assert result.category_counts["sentry_app"] == 1
    assert result.category_counts["source_code_management"] == 6
    assert result.installed_counts == {"yes": 1, "no": 2}
    # With installed=no, the category facets count only not-installed entries.
    result = directory_entries(org, installed="no", per_page=100)
    assert result.category_counts["messaging"] == 2
    assert result.installed_counts["yes"] == 1
    assert sum(result.category_counts.values()) == result.total
    for kind in ("plugin", "sentry_app", "doc_integration"):
        assert {e.kind for e in directory_entries(org, category=kind, per_page=100).entries} == {kind}


def test_bad_filters_raise_field_errors(app, org):
    with pytest.raises(ValidationFailed) as exc_info:
        directory_entries(org, category="chat", installed="maybe")
    assert set(exc_info.value.field_errors) == {"category", "installed"}


def test_paging(app, org, listed):
    everything = [(e.kind, e.slug) for e in directory_entries(org, per_page=100).entries]
    second = directory_entries(org, page=2, per_page=10)
    assert [(e.kind, e.slug) for e in second.entries] == everything[10:20]
    assert directory_entries(org, page=99, per_page=10).entries == []


# -- the page ---------------------------------------------------------------------------------


def test_page_links_each_entry_and_offers_requests_to_members(client, login_as, org, listed):
    login_as("member")
    response = client.get(URL + "?per_page=100")
    assert response.status_code == 200
    links = {}
    for row in rows(response):
        name_link = row.find("td").find("a")
        links[(row["data-kind"], row["data-slug"])] = name_link["href"]
    assert links[("first_party", "slack")] == "/settings/acme/integrations/slack/"
    assert links[("plugin", "trello")] == "/settings/acme/plugins/trello/"
    assert links[("sentry_app", "alpha-app")] == "/settings/acme/sentry-apps/alpha-app/"
    assert links[("doc_integration", "zeta-docs")] == "/doc-integrations/zeta-docs/"
    slack = next(r for r in rows(response) if r["data-slug"] == "slack" and r["data-kind"] == "first_party")
    [request_link] = [a for a in slack.find_all("a") if "Request installation" in a.get_text()]
    assert request_link["href"] == (
        "/settings/acme/integration-requests/?provider_type=first_party&provider_slug=slack")
    doc = next(r for r in rows(response) if r["data-kind"] == "doc_integration")
    assert "Documentation only" in doc.get_text() and "Request installation" not in doc.get_text()
    assert "Only owners, managers and admins can install integrations." in response.get_data(as_text=True)


def test_admins_get_no_request_links_and_installed_entries_are_badged(client, login_as, org):
    factories.install(org, factories.make_integration("slack"))
    db.session.commit()
    login_as("admin")
    response = client.get(URL + "?q=slack")
    assert "Request installation" not in response.get_data(as_text=True)
    states = {(r["data-kind"], r["data-slug"]): r.find_all("td")[3].get_text(strip=True) for r in rows(response)}
    assert states == {("first_party", "slack"): "Installed", ("plugin", "slack"): "Not installed"}


def test_filter_form_keeps_values_and_shows_facet_counts(client, login_as, org, listed):
    login_as("member")
    response = client.get(URL + "?q=docs&category=doc_integration&installed=")
    assert response.status_code == 200
    page = soup(response)
    assert page.find(id="q")["value"] == "docs"
    assert page.find(id="category").find("option", selected=True)["value"] == "doc_integration"
    labels = option_labels(response, "category")
    assert labels["doc_integration"] == "Doc integrations (2)"
    assert labels["messaging"] == "Messaging (0)"
    assert "Clear filters" in page.get_text()
    assert "Showing 1–2 of 2 entries" in page.get_text(" ", strip=True)
    assert option_labels(client.get(URL), "installed")["no"] == f"Not installed ({len(PROVIDERS) + len(LISTED_PLUGINS) + 1})"


@pytest.mark.parametrize(("query", "field", "message"), [
    ("category=chat", "category", "Unknown category: chat."),
    ("installed=maybe", "installed", "Installed must be “yes” or “no”."),
    ("per_page=0", "per_page", "Rows per page must be between 1 and 100."),
    ("page=-1", "page", "Page must be between 1 and 100,000."),
    ("page=abc", "page", "Page must be a whole number."),
])
def test_bad_filter_values_are_400_beside_the_field(client, login_as, org, query, field, message):
    login_as("member")
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    page = soup(response)
    if field in ("page", "per_page"):  # not shown as inputs: the error summary names them
        error = page.find(id="error-summary")
    else:
        error = page.find(id=f"{field}-error")
    assert error is not None and message in error.get_text()
    assert rows(response)  # the list is still shown, without the refused filter


def test_refused_category_value_stays_visible(client, login_as, org):
    login_as("member")
    response = client.get(URL + "?category=<b>chat</b>")
    assert response.status_code == 400
    selected = soup(response).find(id="category").find("option", selected=True)
    assert selected["value"] == "<b>chat</b>" and "<b>chat</b>" not in response.get_data(as_text=True)


def test_nothing_matches_offers_clear_filters(client, login_as, org):
    login_as("member")
    response = client.get(URL + "?q=no-such-thing-anywhere")
    page = soup(response)
    assert "Nothing matches these filters" in page.get_text()
    assert page.find("a", string="Clear filters")["href"] == URL


def test_past_the_last_page(client, login_as, org):
    login_as("member")
    response = client.get(URL + "?page=50")
    assert "Page 50 is past the end of the" in soup(response).get_text(" ", strip=True)


def test_non_member_gets_404_and_logged_out_goes_to_login(client, login_as, org):
    assert client.get(URL).status_code == 302
    factories.make_org(slug="other")
    login_as("member")
    g.pop("_login_user", None)
    assert client.get("/settings/other/directory/").status_code == 404


def bulk(org, count):
    """`count` docs, apps and projects with plugin options (no per-row costs in the page)."""
    db.session.add_all(DocIntegration(name=f"Doc {i:04}", slug=f"doc-{i}", author="a", description="d",
                                      url="https://x.example/", is_draft=False) for i in range(count))
    db.session.add_all(SentryApp(name=f"App {i:04}", slug=f"app-{i}", status="published")
                       for i in range(count))
    projects = [Project(organization_id=org.id, slug=f"p{i}", name=f"P{i}") for i in range(count)]
    db.session.add_all(projects)
    db.session.flush()
    db.session.add_all(ProjectPluginOption(project_id=p.id, plugin="trello", key="enabled", value=i % 2 == 0)
                       for i, p in enumerate(projects))
    for _ in range(min(count, 10)):
        factories.install(org, factories.make_integration("slack"))
    db.session.commit()


@pytest.mark.parametrize("count", [3, 300])
def test_page_costs_a_constant_number_of_queries(client, login_as, org, count_queries, count):
    bulk(org, count)
    login_as("member")
    with count_queries() as counter:
        response = client.get(URL + "?installed=no&per_page=50")
    assert response.status_code == 200
    not_installed = len(PROVIDERS) + len(LISTED_PLUGINS) + count - 2  # slack, trello installed
    assert len(rows(response)) == min(50, not_installed)
    # user, org access, org switcher + installed state, facets (with the total), the page
    assert counter.count <= 6, counter.statements
    db.session.refresh(org)  # the fixture, expired by bulk()'s commit: not the service's work
    with count_queries() as counter:
        directory_entries(org, q="a", category="sentry_app", installed="no")
    assert counter.count == 3, counter.statements


# -- the sentry-app page ----------------------------------------------------------------------


@pytest.fixture
def alpha(org):
    app = make_app("Alpha <App>", slug="alpha", overview="First line.\nSecond line.\n\n<script>x</script>")
    for feature, note in ((0, None), (1, "Links Jira issues.")):
        db.session.add(IntegrationFeature(target_type=IntegrationFeatureTarget.SENTRY_APP,
                                          target_id=app.id, feature=feature, user_description=note))
    # A doc integration's feature with the same id must not show up on the app.
    db.session.add(IntegrationFeature(target_type=IntegrationFeatureTarget.DOC_INTEGRATION,
                                      target_id=app.id, feature=5))
    db.session.commit()
    return app


def test_sentry_app_page_for_a_member(client, login_as, org, alpha):
    login_as("member")
    response = client.get("/settings/acme/sentry-apps/alpha/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = soup(response)
    assert page.find("h1").get_text() == "Alpha <App>"
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "First line.<br>Second line." in html
    features = page.find("ul", class_="feature-list").find_all("li")
    assert len(features) == 2
    assert "Alpha &lt;App&gt; can <strong>utilize the API</strong>" in str(features[0])
    assert "<strong>create or link issues</strong>" in str(features[1])
    assert "Links Jira issues." in features[1].get_text()
    assert "App Co" in page.get_text() and "Published" in page.get_text()
    link = page.find("a", string="Request installation")
    assert link["href"] == "/settings/acme/integration-requests/?provider_type=sentry_app&provider_slug=alpha"


def test_sentry_app_page_says_when_the_member_already_asked(client, login_as, org, alpha):
    from webapp.services.install_requests import create_install_request
    from webapp.services.permissions import get_org_access

    member = login_as("member")
    create_install_request(get_org_access(member, "acme"), "sentry_app", "alpha", "", None)
    page = soup(client.get("/settings/acme/sentry-apps/alpha/"))
    assert page.find("a", string="Request installation") is None
    assert "the request is still open" in page.get_text(" ", strip=True)


def test_sentry_app_page_for_an_admin_has_no_request_link(client, login_as, org, alpha):
    login_as("admin")
    response = client.get("/settings/acme/sentry-apps/alpha/")
    assert response.status_code == 200
    assert "Request installation" not in response.get_data(as_text=True)


def test_unlisted_sentry_apps_are_404_except_for_staff(client, login_as, org):
    make_app("Hidden", slug="hidden", status="unpublished")
    make_app("Inside", slug="inside", status="internal")
    db.session.commit()
    login_as("member")
    for slug in ("hidden", "inside", "missing"):
        assert client.get(f"/settings/acme/sentry-apps/{slug}/").status_code == 404
    g.pop("_login_user", None)
    login_as("staff")
    assert client.get("/settings/acme/sentry-apps/hidden/").status_code == 200
    assert client.get("/settings/acme/sentry-apps/missing/").status_code == 404


@pytest.mark.parametrize("count", [0, 12])
def test_sentry_app_page_query_count(client, login_as, org, count_queries, count):
    app = make_app("Many", slug="many")
    db.session.add_all(IntegrationFeature(target_type=0, target_id=app.id, feature=f)
                       for f in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12)[:count])
    db.session.commit()
    login_as("member")
    with count_queries() as counter:
        assert client.get("/settings/acme/sentry-apps/many/").status_code == 200
    assert counter.count <= 6, counter.statements


def action_cell(row):
    return row.find_all("td")[-1]


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_who_may_install_gets_the_next_step_for_what_is_not_installed(client, login_as, org, listed, role):
    factories.install(org, factories.make_integration("github"))
    db.session.commit()
    login_as(role)
    response = client.get(URL + "?per_page=100")
    assert response.status_code == 200
    by_key = {(r["data-kind"], r["data-slug"]): action_cell(r) for r in rows(response)}

    def step(key):
        link = by_key[key].find("a")
        hint = by_key[key].find(class_="install-hint")
        return link.get_text(" ", strip=True), link["href"], hint.get_text(strip=True) if hint else None

    assert step(("first_party", "slack")) == (
        "How to install Slack", "/settings/acme/integrations/slack/",
        "Set up in Slack’s own flow, then managed here.")
    assert step(("plugin", "trello")) == (
        "Enable on a project (Trello)", "/settings/acme/plugins/trello/#projects",
        "Installed by enabling it on a project.")
    assert step(("sentry_app", "alpha-app")) == (
        "How to install Alpha App", "/settings/acme/sentry-apps/alpha-app/",
        "Installed in Sentry itself, not in this app.")
    # Installed, and documentation only: open the page; no hint.
    assert step(("first_party", "github")) == ("Open GitHub", "/settings/acme/integrations/github/", None)
    assert step(("doc_integration", "zeta-docs")) == ("Open Zeta Docs", "/doc-integrations/zeta-docs/", None)
    page = soup(response)
    assert "Request installation" not in page.get_text()
    explainer = page.find(class_="install-explainer").get_text(" ", strip=True)
    assert "an integration is set up through the provider’s own flow and managed here" in explainer
    assert page.find(class_="install-explainer").find("a")["href"] == "/settings/acme/integration-requests/"


def test_members_get_request_installation_without_install_hints(client, login_as, org, listed):
    login_as("member")
    response = client.get(URL + "?q=trello")
    [row] = [r for r in rows(response) if r["data-kind"] == "plugin"]
    link = action_cell(row).find("a")
    assert link.get_text(" ", strip=True) == "Request installation of Trello"
    assert soup(response).find(class_="install-hint") is None
    assert soup(response).find(class_="install-explainer") is None


def test_sentry_app_page_tells_an_owner_where_apps_are_installed(client, login_as, org, alpha):
    login_as("owner")
    page = soup(client.get("/settings/acme/sentry-apps/alpha/"))
    assert page.find(class_="install-hint").get_text(" ", strip=True) == (
        "Installed in Sentry itself, not in this app.")
    login_as("member")
    g.pop("_login_user", None)
    assert soup(client.get("/settings/acme/sentry-apps/alpha/")).find(class_="install-hint") is None
