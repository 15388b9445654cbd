"""The plugin pages: /settings/<org>/plugins/, one plugin, per-project settings, buttons."""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event

from tests import factories
from tests.html import checkbox_choices, summary_text
from webapp.blueprints.plugins.views import PREVIEW_ROWS
from webapp.extensions import db
from webapp.models import AuditLogEntry, ObjectStatus, ProjectPluginOption

BASE = "/settings/acme/plugins/"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def configure(project, plugin="trello", required="key", enabled=None, **extra):
    factories.set_plugin_option(project, plugin, required, "value")
    if enabled is not None:
        factories.set_plugin_option(project, plugin, "enabled", enabled)
    for key, value in extra.items():
        factories.set_plugin_option(project, plugin, key, value)


def card(page, slug):
    heading = page.find(id=f"plugin-{slug}")
    return heading.find_parent("section") if heading else None


def card_rows(page, slug):
    section = card(page, slug)
    table = section.find("table")
    if table is None:
        return []
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")[:3]]
        for row in table.find("tbody").find_all("tr")
    ]


def options(project, plugin="trello"):
    rows = db.session.scalars(
        db.select(ProjectPluginOption).where(
            ProjectPluginOption.project_id == project.id, ProjectPluginOption.plugin == plugin
        )
    )
    return {row.key: row.value for row in rows}


def audit(event=None):
    query = db.select(AuditLogEntry).order_by(AuditLogEntry.id)
    if event:
        query = query.where(AuditLogEntry.event == event)
    return list(db.session.scalars(query))


# --- the plugin configs page -----------------------------------------------------------------


def test_project_values_are_escaped_and_slugs_quoted_on_both_plugin_pages(client, login_as, org):
    """The configs page lays its cards out in Python (_plugin_cards_html), the plugin page
    in Jinja: on both, a project's name, slug and platform show as text and the settings
    link quotes the slug as one path segment (path_segment)."""
    login_as("owner")
    hostile = factories.make_project(org, slug="a b/<i>", name="<script>alert(1)</script>",
                                     platform='"><b>x</b>')
    configure(hostile, enabled=True)
    db.session.commit()
    for url in (BASE, BASE + "trello/"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in body and "<b>x</b>" not in body
        page = soup(response)
        assert page.find(string=lambda text: text and "<script>alert(1)</script>" in text)
        hrefs = [a["href"] for a in page.find_all("a", href=True)]
        assert any(href.startswith(f"{BASE}trello/projects/a%20b%2F%3Ci%3E/") for href in hrefs)


def test_configs_page_lists_plugins_in_catalog_order_with_project_rows(client, login_as, org):
    login_as("member")
    bar = factories.make_project(org, slug="bar", name="Bar", platform="python")
    zed = factories.make_project(org, slug="zed", name="Zed", platform="javascript")
    configure(zed, enabled=True)
    configure(bar, enabled=False)
    only_enabled = factories.make_project(org, slug="en-only")
    factories.set_plugin_option(only_enabled, "trello", "enabled", True)
    gone = factories.make_project(org, slug="gone", status=ObjectStatus.DISABLED)
    configure(gone, enabled=True)
    db.session.commit()

    response = client.get(BASE)
    assert response.status_code == 200
    page = soup(response)
    assert page.title.string.startswith("Plugins")
    headings = [h.get_text(" ", strip=True) for h in page.select("section.plugin-card h2")]
    assert headings == sorted(headings, key=str.casefold)
    assert "Clubhouse" not in " ".join(headings)  # deprecated: skipped
    assert card_rows(page, "trello") == [
        ["Bar bar", "python", "Disabled"],
        ["Zed zed", "javascript", "Enabled"],
    ]
    assert "Trello" in card(page, "trello").get_text()
    assert card(page, "trello").find(string=lambda s: s and "Create Trello cards" in s)
    asana = card(page, "asana")
    assert "No project uses Asana yet" in asana.get_text()
    assert "Not used" in asana.get_text()
    assert "2 projects · 1 enabled" in card(page, "trello").select_one(".plugin-counts").get_text()
    # A member may look, not change: the links say so.
    assert [a.get_text(" ", strip=True) for a in card(page, "trello").select("td a")] == [
        "View settings of Trello on bar", "View settings of Trello on zed"]
    assert asana.select_one(".plugin-empty a").get_text() == "See its projects"


def test_configs_page_offers_managers_to_set_a_plugin_up(client, login_as, org):
    login_as("owner")
    configure(factories.make_project(org, slug="bar"), enabled=True)
    db.session.commit()
    page = soup(client.get(BASE))
    assert [a.get_text(" ", strip=True) for a in card(page, "trello").select("td a")] == [
        "Settings of Trello on bar"]
    assert card(page, "asana").select_one(".plugin-empty a").get_text() == "Set it up on a project"
    toc = {a["href"]: a.get_text(" ", strip=True) for a in page.select("nav.plugin-toc a")}
    assert toc["#plugin-trello"] == "Trello (1)" and toc["#plugin-asana"] == "Asana (0)"


def test_configs_page_badges_read_exactly_enabled_or_disabled(client, login_as, org):
    login_as("member")
    configure(factories.make_project(org, slug="a"), enabled=True)
    configure(factories.make_project(org, slug="b"), enabled=False)
    db.session.commit()
    page = soup(client.get(BASE + "?plugins=trello"))
    badges = [b.get_text() for b in card(page, "trello").select(".status-badge")]
    assert badges == ["Enabled", "Disabled"]


def test_plugins_filter_narrows_to_trello(client, login_as, org):
    login_as("member")
    configure(factories.make_project(org, slug="bar"), enabled=True)
    db.session.commit()
    page = soup(client.get(BASE + "?plugins=trello"))
    assert [s["aria-labelledby"] for s in page.select("section.plugin-card")] == ["plugin-trello"]
    ticked = [value for value, (_, on) in checkbox_choices(page, "plugins").items() if on]
    assert ticked == ["trello"]
    assert summary_text(page, "plugins") == "Plugins: Trello"
    assert page.find("a", string="Clear filters") is not None


def test_several_plugins_come_back_in_catalog_order(client, login_as, org):
    login_as("member")
    page = soup(client.get(BASE + "?plugins=webhooks&plugins=asana&plugins=trello"))
    assert [s["aria-labelledby"] for s in page.select("section.plugin-card")] == [
        "plugin-asana", "plugin-trello", "plugin-webhooks",
    ]


def test_explicit_deprecated_plugin_is_shown(client, login_as, org):
    login_as("member")
    page = soup(client.get(BASE + "?plugins=clubhouse"))
    assert card(page, "clubhouse") is not None
    assert "Deprecated" in card(page, "clubhouse").get_text()


def test_unknown_plugin_is_refused_beside_the_filter_with_400(client, login_as, org):
    """As on every list page (issue 22): the message beside the field, the known plugins
    still listed; the API keeps its documented 404."""
    login_as("member")
    response = client.get(BASE + "?plugins=trello&plugins=bad_plugin")
    assert response.status_code == 400
    page = soup(response)
    assert page.find(id="plugins-error").get_text(strip=True) == "Unknown plugin: bad_plugin"
    assert "Unknown plugin: bad_plugin" in page.find(id="error-summary").get_text()
    assert card(page, "trello") is not None and card(page, "slack") is None
    chosen = [value for value, (_, ticked) in checkbox_choices(page, "plugins").items() if ticked]
    assert chosen == ["trello", "bad_plugin"]
    csv_response = client.get(BASE + "?plugins=bad_plugin&format=csv")
    assert csv_response.status_code == 400 and csv_response.mimetype == "text/html"
    api = client.get("/api/0/organizations/acme/plugins/configs/?plugins=bad_plugin")
    assert api.status_code == 404 and api.json == {"detail": "Plugin bad_plugin not found"}


def test_filter_choices_show_facet_counts(client, login_as, org):
    login_as("member")
    configure(factories.make_project(org, slug="a"))
    configure(factories.make_project(org, slug="b"))
    db.session.commit()
    page = soup(client.get(BASE))
    assert checkbox_choices(page, "plugins")["trello"] == ("Trello (2)", False)
    assert checkbox_choices(page, "plugins")["clubhouse"] == ("Clubhouse (deprecated) (0)", False)


def test_long_lists_show_a_preview_and_link_to_the_full_list(client, login_as, org):
    login_as("member")
    for n in range(12):
        configure(factories.make_project(org, slug=f"p-{n:02d}"), enabled=n < 3)
    db.session.commit()
    page = soup(client.get(BASE + "?plugins=trello"))
    assert len(card_rows(page, "trello")) == PREVIEW_ROWS == 5
    text = card(page, "trello").get_text(" ", strip=True)
    assert "12 projects" in text and "Showing the first 5 of 12." in text
    link = card(page, "trello").find("a", string="See all 12 projects using Trello")
    assert link["href"] == BASE + "trello/?configured=yes"
    # The real count, as the plugin's page gives it (not "5+").
    assert checkbox_choices(page, "plugins")["trello"] == ("Trello (12)", True)
    toc = soup(client.get(BASE + "?plugins=trello&plugins=slack")).find("nav", class_="plugin-toc")
    assert "Trello (12)" in toc.get_text(" ", strip=True)
    detail = soup(client.get(BASE + "trello/"))
    assert "Configured (12)" in detail.select_one("select[name=configured]").get_text()
    detail = soup(client.get(link["href"]))
    assert "Showing 1–12 of 12 projects" in detail.get_text(" ", strip=True)


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(BASE)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_non_member_gets_404(client, org):
    other = factories.make_org(slug="other")
    user = factories.make_user()
    factories.make_member(other, user, "owner")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert client.get(BASE).status_code == 404
    assert client.get(BASE + "trello/").status_code == 404


def test_nav_links_to_the_plugins_page(client, login_as, org):
    login_as("member")
    page = soup(client.get(BASE))
    link = page.find("nav", attrs={"aria-label": "Main"}).find("a", string="Plugins")
    assert link["href"] == BASE and link.get("aria-current") == "page"


@pytest.mark.parametrize("n_projects", [3, 300])
def test_configs_page_costs_constant_statements(client, login_as, org, count_queries, n_projects):
    login_as("member")
    plugins = ["trello", "webhooks", "asana", "slack", "opsgenie"]
    required = {"trello": "key", "webhooks": "urls", "asana": "workspace", "slack": "webhook",
                "opsgenie": "api_key"}
    for n in range(n_projects):
        project = factories.make_project(org, slug=f"p-{n:04d}")
        for slug in plugins[: n % 5 + 1]:
            configure(project, slug, required[slug], enabled=n % 2 == 0)
    db.session.commit()
    with count_queries() as counter:
        response = client.get(BASE)
    assert response.status_code == 200
    # user, org + membership, the org switcher, saved views (the layout may share or cache
    # some of these), and ONE statement for every plugin's list.
    assert counter.count <= 5, counter.statements
    plugin_statements = [s for s in counter.statements if "project_plugin_option" in s]
    assert len(plugin_statements) == 1


def test_configs_statement_is_compiled_once(client, login_as, org):
    """The statement is built once per set of plugins and SQLAlchemy compiles it on the
    first request only (its values are bound parameters, each request binds the org id)."""
    login_as("member")
    db.session.commit()
    hits = []

    def after(conn, cursor, statement, parameters, context, executemany):
        if "project_lists" in statement:
            hits.append(context.cache_hit)

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        for _ in range(2):
            assert client.get(BASE).status_code == 200
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
    assert len(hits) == 2
    assert str(hits[1]) == "CacheStats.CACHE_HIT", hits


def test_configs_csv_exports_full_lists_with_the_same_filter_and_is_audited(client, login_as, org):
    user = login_as("member")
    for n in range(12):
        configure(factories.make_project(org, slug=f"p-{n:02d}", platform="go"), enabled=n == 0)
    configure(factories.make_project(org, slug="hooks"), "webhooks", "urls")
    db.session.commit()
    response = client.get(BASE + "?plugins=trello&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["plugin", "plugin_title", "project_id", "project_slug", "project_name",
                       "platform", "enabled", "configured"]
    assert len(rows) == 13
    assert rows[1][:2] == ["trello", "Trello"] and rows[1][3] == "p-00" and rows[1][6:] == ["yes", "yes"]
    assert rows[2][6] == "no"
    [entry] = audit("EXPORT_CSV")
    assert entry.actor_id == user.id and entry.data["filters"] == {"plugins": ["trello"]}
    everything = client.get(BASE + "?format=csv").get_data(as_text=True)
    assert "webhooks,WebHooks" in everything
    assert client.get(BASE + "?format=xml").status_code == 400


# --- one plugin's page -------------------------------------------------------------------------


def test_detail_page_shows_description_features_author_links_and_table(client, login_as, org):
    login_as("member")
    configure(factories.make_project(org, slug="alpha", name="Alpha", platform="python"), enabled=True)
    factories.make_project(org, slug="beta", name="Beta", platform=None)
    db.session.commit()
    response = client.get(BASE + "trello/")
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert page.find("h1").get_text(strip=True) == "Trello"
    assert "Create Trello cards from Sentry issues" in text
    assert "issue-basic" in text
    author = page.find("a", string="Sentry Team")
    assert author["href"].startswith("https://") and author["rel"] == ["noopener", "noreferrer"]
    resource = page.find("a", string="Trello Setup Instructions")
    assert resource["rel"] == ["noopener", "noreferrer"]
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")[:4]]
            for tr in page.select("table.plugin-project-table tbody tr")]
    assert rows == [["Alpha alpha", "python", "Enabled", "Configured"],
                    ["Beta beta", "—", "Disabled", "Not configured"]]


def test_detail_unknown_plugin_is_404(client, login_as, org):
    login_as("member")
    response = client.get(BASE + "bad_plugin/")
    assert response.status_code == 404
    assert "Plugin bad_plugin not found" in response.get_data(as_text=True)


def test_detail_filters_keep_values_show_facets_and_paginate(client, login_as, org):
    login_as("member")
    for n in range(30):
        project = factories.make_project(org, slug=f"p-{n:02d}")
        if n % 3 == 0:
            configure(project, enabled=True)
    db.session.commit()
    page = soup(client.get(BASE + "trello/?configured=yes&per_page=5&page=2"))
    assert [tr.find("code").get_text() for tr in page.select("table.plugin-project-table tbody tr")] == [
        "p-15", "p-18", "p-21", "p-24", "p-27",
    ]
    assert page.select_one("select[name=configured] option[selected]")["value"] == "yes"
    assert page.select_one("select[name=enabled] option[value=yes]").get_text() == "Enabled (10)"
    assert page.select_one("select[name=configured] option[value=no]").get_text() == "Not configured (20)"
    assert "Showing 6–10 of 10 projects" in page.get_text(" ", strip=True)
    assert page.find(attrs={"aria-current": "page"}, string="2") is not None
    page = soup(client.get(BASE + "trello/?q=p-0"))
    assert len(page.select("table.plugin-project-table tbody tr")) == 10


def test_detail_bad_filter_values_are_400_with_message_beside_the_field(client, login_as, org):
    login_as("member")
    factories.make_project(org, slug="alpha")
    db.session.commit()
    response = client.get(BASE + "trello/?enabled=maybe&per_page=500&q=" + "x" * 101)
    assert response.status_code == 400
    page = soup(response)
    assert "Choose Enabled, Disabled or Any." in page.find(id="enabled-error").get_text()
    assert "Rows per page must be between 1 and 100." in page.find(id="error-summary").get_text()
    assert "At most 100 characters." in page.find(id="q-error").get_text()
    assert page.select_one("input[name=q]")["value"] == "x" * 101


def test_detail_empty_states_tell_no_projects_from_no_match(client, login_as, org):
    login_as("member")
    page = soup(client.get(BASE + "trello/"))
    assert "This organization has no active projects yet" in page.get_text()
    factories.make_project(org, slug="alpha")
    db.session.commit()
    page = soup(client.get(BASE + "trello/?q=zzz"))
    assert "No projects match these filters" in page.get_text()
    assert page.find("a", string="Clear filters") is not None


@pytest.mark.parametrize("n_projects", [3, 300])
def test_detail_page_costs_constant_statements(client, login_as, org, count_queries, n_projects):
    login_as("admin")
    for n in range(n_projects):
        project = factories.make_project(org, slug=f"p-{n:04d}")
        if n % 2:
            configure(project, enabled=True)
    db.session.commit()
    with count_queries() as counter:
        response = client.get(BASE + "trello/?configured=yes")
    assert response.status_code == 200
    assert counter.count == 3, counter.statements  # user with their orgs, counts, rows


def test_detail_csv_exports_all_filtered_rows(client, login_as, org):
    login_as("member")
    for n in range(30):
        project = factories.make_project(org, slug=f"p-{n:02d}")
        if n % 3 == 0:
            configure(project)
    db.session.commit()
    rows = list(csv.reader(io.StringIO(
        client.get(BASE + "trello/?configured=yes&per_page=5&format=csv").get_data(as_text=True))))
    assert rows[0] == ["project_id", "project_slug", "project_name", "platform", "enabled", "configured"]
    assert [r[1] for r in rows[1:]] == [f"p-{n:02d}" for n in range(0, 30, 3)]
    [entry] = audit("EXPORT_CSV")
    assert entry.target_object == "plugin_projects:trello"


# --- permissions and buttons -------------------------------------------------------------------


def test_member_sees_disabled_buttons_and_the_reason(client, login_as, org):
    login_as("member")
    configure(factories.make_project(org, slug="alpha"), enabled=True)
    factories.make_project(org, slug="beta")
    db.session.commit()
    page = soup(client.get(BASE + "trello/"))
    buttons = page.select("table.plugin-project-table button")
    assert [b.get_text() for b in buttons] == ["Disable", "Enable"]
    assert all(b.has_attr("disabled") for b in buttons)
    assert "Only owners, managers and admins can change plugin settings." in page.get_text()


@pytest.mark.parametrize("role", ["admin", "manager", "owner", "staff"])
def test_admins_and_up_get_working_buttons(client, login_as, org, role):
    login_as(role)
    factories.make_project(org, slug="alpha")
    db.session.commit()
    page = soup(client.get(BASE + "trello/"))
    [button] = page.select("table.plugin-project-table button")
    assert button.get_text() == "Enable" and not button.has_attr("disabled")
    assert "Only owners, managers and admins" not in page.get_text()


def test_member_cannot_post_enable_disable_or_settings(client, login_as, org):
    login_as("member")
    project = factories.make_project(org, slug="alpha")
    configure(project, enabled=True)
    db.session.commit()
    assert client.post(BASE + "trello/disable/", data={"project": "alpha"}).status_code == 403
    assert client.post(BASE + "trello/enable/", data={"project": "alpha"}).status_code == 403
    response = client.post(BASE + "trello/projects/alpha/", data={"project": "alpha", "key": "x"})
    assert response.status_code == 403
    assert options(project) == {"key": "value", "enabled": True}
    assert audit() == []


def test_enable_and_disable_buttons_switch_the_plugin_audit_and_return_to_the_list(client, login_as, org):
    user = login_as("admin")
    project = factories.make_project(org, slug="alpha")
    configure(project, token="t")
    db.session.commit()
    back = BASE + "trello/?q=alp"
    response = client.post(BASE + "trello/enable/", data={"project": "alpha", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert options(project)["enabled"] is True
    page = client.get(back).get_data(as_text=True)
    assert "Trello enabled on alpha." in page
    response = client.post(BASE + "trello/disable/", data={"project": "alpha", "next": "//evil.example/"})
    assert response.headers["Location"] == BASE + "trello/"
    assert options(project) == {"key": "value", "token": "t", "enabled": False}  # settings kept
    enable, disable = audit()
    assert (enable.event, disable.event) == ("PLUGIN_ENABLE", "PLUGIN_DISABLE")
    assert disable.actor_id == user.id and disable.target_type == "project_plugin"
    assert disable.target_id == project.id
    assert disable.data["changes"] == {"enabled": {"before": True, "after": False}}


def test_enabling_an_unconfigured_project_says_so(client, login_as, org):
    login_as("admin")
    factories.make_project(org, slug="alpha")
    db.session.commit()
    client.post(BASE + "trello/enable/", data={"project": "alpha"})
    page = client.get(BASE + "trello/").get_data(as_text=True)
    assert "It is not configured yet" in page


def test_enable_unknown_project_is_400_with_the_message(client, login_as, org):
    login_as("admin")
    response = client.post(BASE + "trello/enable/", data={"project": "ghost"})
    assert response.status_code == 400
    assert "Project ghost not found." in response.get_data(as_text=True)
    assert audit() == []


def test_enable_is_post_only(client, login_as, org):
    login_as("admin")
    assert client.get(BASE + "trello/enable/").status_code == 405


# --- per-project settings ------------------------------------------------------------------------


def test_settings_form_is_prefilled_with_stored_values_and_defaults(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha", name="Alpha")
    configure(project, "gitlab", "gitlab_repo", enabled=True)
    db.session.commit()
    response = client.get(BASE + "gitlab/projects/alpha/")
    assert response.status_code == 200
    page = soup(response)
    form = page.find("form", class_="plugin-settings")
    assert form["method"] == "post"
    assert form.find("input", attrs={"name": "project"})["value"] == "alpha"
    assert form.find("input", attrs={"name": "enabled"}).has_attr("checked")
    assert form.find("input", attrs={"name": "gitlab_repo"})["value"] == "value"
    assert form.find("input", attrs={"name": "gitlab_url"})["value"] == "https://gitlab.com"  # default
    for name in ("gitlab_url", "gitlab_token", "gitlab_repo", "gitlab_labels"):
        field = form.find(attrs={"name": name})
        assert page.find("label", attrs={"for": field["id"]}) is not None
    assert "No changes recorded yet." in page.get_text()


def test_settings_form_builds_every_field_type(client, login_as, org):
    login_as("admin")
    factories.make_project(org, slug="alpha")
    db.session.commit()
    page = soup(client.get(BASE + "amazon-sqs/projects/alpha/"))
    region = page.find("select", attrs={"name": "region"})
    assert region.find("option", selected=True)["value"] == "us-east-1"
    page = soup(client.get(BASE + "webhooks/projects/alpha/"))
    assert page.find("textarea", attrs={"name": "urls"}) is not None
    page = soup(client.get(BASE + "slack/projects/alpha/"))
    assert page.find("input", attrs={"name": "include_tags", "type": "checkbox"}) is not None


def test_settings_post_saves_audits_and_shows_history(client, login_as, org):
    user = login_as("admin")
    project = factories.make_project(org, slug="alpha")
    db.session.commit()
    url = BASE + "trello/projects/alpha/"
    response = client.post(url, data={"project": "alpha", "enabled": "y", "key": "k1", "token": " t1 ",
                                      "organization": ""})
    assert response.status_code == 302 and response.headers["Location"] == url
    assert options(project) == {"key": "k1", "token": "t1", "enabled": True}
    edit, enable = audit()
    assert edit.event == "PLUGIN_EDIT" and enable.event == "PLUGIN_ENABLE"
    # Trello's key and token are credentials: audited as changed, values masked.
    assert edit.data["changes"] == {"key": {"before": None, "after": "••••••••"},
                                    "token": {"before": None, "after": "••••••••"}}
    assert edit.actor_id == user.id and edit.target_object == "trello/alpha"
    page = soup(client.get(url))
    assert "Trello on alpha: 2 settings saved and enabled." in page.get_text()
    history = page.find("table", class_="history")
    events = [cell["data-event"] for cell in history.select("tbody .audit-event")]
    assert events == ["PLUGIN_ENABLE", "PLUGIN_EDIT"]  # newest first (same second: id order)
    assert "key" in history.get_text() and "k1" not in history.get_text()
    # Unchecking "enabled" disables and keeps the settings.
    client.post(url, data={"project": "alpha", "key": "k1", "token": "t1"})
    assert options(project) == {"key": "k1", "token": "t1", "enabled": False}
    assert audit()[-1].event == "PLUGIN_DISABLE"


def test_settings_history_only_shows_this_plugin(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha")
    db.session.commit()
    client.post(BASE + "asana/projects/alpha/", data={"project": "alpha", "workspace": "42"})
    page = soup(client.get(BASE + "trello/projects/alpha/"))
    assert "No changes recorded yet." in page.get_text()
    assert project.id


def test_settings_validation_error_is_400_beside_the_field_and_writes_nothing(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha")
    db.session.commit()
    response = client.post(BASE + "trello/projects/alpha/",
                           data={"project": "alpha", "enabled": "y", "key": "", "token": "secret",
                                 "organization": "keep me"})
    assert response.status_code == 400
    page = soup(response)
    assert "Trello API key is required." in page.find(id="key-error").get_text()
    assert page.find(id="key")["aria-invalid"] == "true"
    assert page.find(id="error-summary") is not None
    assert page.find("input", attrs={"name": "organization"})["value"] == "keep me"  # values kept
    assert page.find("input", attrs={"name": "token"}).get("value", "") == ""  # credentials never echoed
    assert options(project) == {}
    assert audit() == []


def test_settings_bad_choice_and_long_text_are_field_errors(client, login_as, org):
    login_as("admin")
    factories.make_project(org, slug="alpha")
    db.session.commit()
    response = client.post(BASE + "amazon-sqs/projects/alpha/",
                           data={"project": "alpha", "queue_url": "q" * 10_001, "region": "mars"})
    assert response.status_code == 400
    page = soup(response)
    assert "is not one of the choices" in page.find(id="region-error").get_text()
    assert "At most 10,000 characters" in page.find(id="queue_url-error").get_text()


def test_settings_project_field_must_match_the_page(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha")
    factories.make_project(org, slug="beta")
    db.session.commit()
    response = client.post(BASE + "trello/projects/alpha/", data={"project": "beta", "key": "k"})
    assert response.status_code == 400
    assert "This form belongs to project alpha" in response.get_data(as_text=True)
    assert options(project) == {}


def test_settings_of_unknown_or_inactive_project_is_404(client, login_as, org):
    login_as("admin")
    factories.make_project(org, slug="old", status=ObjectStatus.DISABLED)
    db.session.commit()
    assert client.get(BASE + "trello/projects/ghost/").status_code == 404
    assert client.get(BASE + "trello/projects/old/").status_code == 404
    assert client.post(BASE + "trello/projects/ghost/", data={"key": "k"}).status_code == 404
    assert client.get(BASE + "nope/projects/old/").status_code == 404


def test_settings_stale_version_is_a_409_and_nothing_is_overwritten(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha")
    configure(project)
    db.session.commit()
    url = BASE + "trello/projects/alpha/"
    version = soup(client.get(url)).find("input", attrs={"name": "version"})["value"]
    client.post(url, data={"project": "alpha", "organization": "theirs", "version": version})
    response = client.post(url, data={"project": "alpha", "organization": "mine", "version": version})
    assert response.status_code == 409
    assert "theirs" in response.get_data(as_text=True)
    assert options(project)["organization"] == "theirs"


def test_member_sees_settings_read_only_with_the_reason(client, login_as, org):
    login_as("member")
    project = factories.make_project(org, slug="alpha")
    configure(project, enabled=True)
    db.session.commit()
    page = soup(client.get(BASE + "trello/projects/alpha/"))
    form = page.find("form", class_="plugin-settings")
    assert form.get("method", "get") != "post"
    assert form.find("input", attrs={"name": "key"}).has_attr("readonly")
    assert form.find("button", string="Save settings") is None
    assert "Only owners, managers and admins can change plugin settings." in page.get_text()


def test_extra_stored_keys_are_shown_and_survive_a_save(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha")
    configure(project, legacy="<script>x</script>")
    db.session.commit()
    url = BASE + "trello/projects/alpha/"
    body = client.get(url).get_data(as_text=True)
    assert "<script>x</script>" not in body and "legacy" in body
    client.post(url, data={"project": "alpha", "key": "k2"})
    assert options(project) == {"key": "k2", "legacy": "<script>x</script>"}


def test_pivotal_schema_project_field_wins_over_the_project_slug(client, login_as, org):
    login_as("admin")
    project = factories.make_project(org, slug="alpha")
    db.session.commit()
    url = BASE + "pivotal/projects/alpha/"
    page = soup(client.get(url))
    assert page.find("input", attrs={"name": "project"})["type"] == "text"
    response = client.post(url, data={"token": "tok", "project": "12345"})
    assert response.status_code == 302
    assert options(project, "pivotal") == {"token": "tok", "project": "12345"}


def test_user_text_is_escaped(client, login_as, org):
    login_as("member")
    configure(factories.make_project(org, slug="xss", name="<b>bold</b>", platform="<i>p</i>"))
    db.session.commit()
    body = client.get(BASE + "?plugins=trello").get_data(as_text=True)
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt;" in body


def test_configs_page_has_a_saved_views_menu_that_keeps_the_filter(client, login_as, org):
    login_as("member")
    page = soup(client.get(BASE + "?plugins=trello&plugins=asana"))
    menu = page.find("details", class_="saved-views")
    assert menu is not None
    assert menu.find("input", attrs={"name": "list_key"})["value"] == "plugins"
    assert menu.find("input", attrs={"name": "query_string"})["value"] == "plugins=trello&plugins=asana"
