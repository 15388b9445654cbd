"""Plugins in headless Chromium: the configs page, a plugin's page, enabling a plugin and
saving its settings (server-side errors included). Screenshots land in screenshots/."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import tick_filter
from webapp.extensions import db
from webapp.models import ProjectPluginOption

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _seed(org):
    owner = factories.make_user(email="owner@example.com", name="Olga Owner")
    factories.make_member(org, owner, "owner")
    member = factories.make_user(email="member@example.com", name="Mo Member")
    factories.make_member(org, member, "member")
    projects = {
        slug: factories.make_project(org, slug=slug, name=name, platform=platform)
        for slug, name, platform in [
            ("api", "API", "python"), ("web", "Web frontend", "javascript"),
            ("mobile", "Mobile app", "react-native"), ("billing", "Billing", None),
        ]
    }
    for slug, enabled in (("api", True), ("web", False), ("mobile", True)):
        factories.set_plugin_option(projects[slug], "trello", "key", "k-" + slug)
        factories.set_plugin_option(projects[slug], "trello", "enabled", enabled)
    factories.set_plugin_option(projects["api"], "webhooks", "urls", "https://hooks.example.com/a")
    factories.set_plugin_option(projects["api"], "webhooks", "enabled", True)
    factories.set_plugin_option(projects["billing"], "slack", "enabled", True)  # not configured
    db.session.commit()
    return projects


def _options(project, plugin):
    db.session.expire_all()
    rows = db.session.scalars(db.select(ProjectPluginOption).where(
        ProjectPluginOption.project_id == project.id, ProjectPluginOption.plugin == plugin))
    return {row.key: row.value for row in rows}


def test_owner_reviews_plugins_enables_one_and_saves_settings(page, live_server, browser_login, org):
    projects = _seed(org)
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login("owner@example.com", factories.PASSWORD)

    page.goto(f"{live_server}/settings/acme/plugins/")
    expect(page).to_have_title(re.compile(r"^Plugins"))
    trello = page.locator("section.plugin-card", has=page.locator("#plugin-trello"))
    expect(trello.locator("tbody tr")).to_have_count(3)
    expect(trello.locator(".status-badge")).to_have_text(["Enabled", "Enabled", "Disabled"], use_inner_text=True)
    page.screenshot(path=str(SHOTS / "plugins-index.png"), full_page=True)

    # Narrow to two plugins with the filter's checkboxes and Apply (a real GET form).
    tick_filter(page, "plugins", "Trello", "WebHooks")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(lambda url: "plugins=trello" in url and "plugins=webhooks" in url)
    expect(page.locator("section.plugin-card")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "plugins-index-filtered.png"), full_page=True)

    # The plugin's page: enable Trello on "web" from its row.
    page.get_by_role("link", name="Trello", exact=True).first.click()
    page.wait_for_url(re.compile(r"/settings/acme/plugins/trello/"))
    expect(page.get_by_role("heading", name="Trello", exact=True)).to_be_visible()
    row = page.locator("table.plugin-project-table tbody tr", has=page.locator("code", has_text="web"))
    row.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status").get_by_text("Trello enabled on web.")).to_be_visible()
    assert _options(projects["web"], "trello")["enabled"] is True
    page.screenshot(path=str(SHOTS / "plugins-detail.png"), full_page=True)

    # Settings of "billing": server-side error first, then a good save.
    page.goto(f"{live_server}/settings/acme/plugins/trello/projects/billing/")
    page.locator("form.plugin-settings").evaluate("f => f.noValidate = true")
    page.get_by_label("Trello API token").fill("tok-123")
    page.get_by_label("Trello organization").fill("acme-boards")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Trello API key is required.").first).to_be_visible()
    expect(page.get_by_label("Trello organization")).to_have_value("acme-boards")  # kept
    expect(page.get_by_label("Trello API token")).to_have_value("")  # a credential is never echoed back
    expect(page.locator("#error-summary")).to_be_focused()
    page.screenshot(path=str(SHOTS / "plugins-settings-error.png"), full_page=True)
    page.get_by_label("Trello API key").fill("key-456")
    page.get_by_label("Trello API token").fill("tok-123")
    page.get_by_label("Enabled for this project").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").get_by_text("3 settings saved and enabled")).to_be_visible()
    assert _options(projects["billing"], "trello") == {
        "key": "key-456", "token": "tok-123", "organization": "acme-boards", "enabled": True}
    expect(page.locator("table.history tbody tr")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "plugins-settings.png"), full_page=True)


def test_member_sees_plugins_read_only(page, live_server, browser_login, org):
    _seed(org)
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login("member@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/settings/acme/plugins/trello/")
    expect(page.get_by_text("Only owners, managers and admins can change plugin settings.")).to_be_visible()
    expect(page.get_by_role("button", name="Disable").first).to_be_disabled()
    page.screenshot(path=str(SHOTS / "plugins-detail-member.png"), full_page=True)
    page.get_by_role("link", name="View settings of api").click()
    page.wait_for_url(re.compile(r"/settings/acme/plugins/trello/projects/api/"))
    expect(page.get_by_role("button", name="Save settings")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "plugins-settings-member.png"), full_page=True)
