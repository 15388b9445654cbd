"""Installed integrations in headless Chromium: filter, open, configure, see the history, uninstall;
disable and restore through their confirmation pages, and revoke an API token the same way.

Screenshots of the list (filters + facet counts), the installation page and the uninstall
confirmation land in screenshots/ (git-ignored) for a human look.
"""

from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import tick_filter
from tests.integrations.helpers import seed
from webapp.extensions import db

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def table_names(page):
    """The name cells of the installed-integrations table (a locator: expect() waits on it)."""
    return page.locator("table.integrations-table tbody tr td.col-name")


def filtered(url: str) -> bool:
    """The list URL with both filters of this test in its query string."""
    return "/settings/acme/integrations/?" in url and "features=issue-basic" in url and "status=active" in url


def test_filter_open_configure_and_uninstall_in_chromium(page, live_server, browser_login, org):
    seed(org, factories.make_org(slug="other"))
    admin = factories.make_user(email="ada@example.com", name="Ada Admin")
    factories.make_member(org, admin, "admin")
    db.session.commit()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)
    page.set_viewport_size({"width": 1400, "height": 900})
    SHOTS.mkdir(exist_ok=True)

    browser_login("ada@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/settings/acme/integrations/")
    expect(page.get_by_role("heading", name="Installed integrations")).to_be_visible()
    expect(table_names(page)).to_have_count(8)

    # Filter by a feature and a status with the real form.
    tick_filter(page, "features", "issue-basic")
    tick_filter(page, "status", "Active")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(filtered)
    expect(table_names(page)).to_have_text(["Beta GitHub", "Eta Example"], use_inner_text=True)
    expect(page.get_by_text("Showing 1–2 of 2 installations")).to_be_visible()
    # The chosen values in the summaries, facet counts beside the choices.
    expect(page.locator("summary#status")).to_have_text("Status: Active")
    expect(page.locator("summary#features")).to_have_text("Features: issue-basic")
    page.locator("summary#status").click()
    expect(page.get_by_role("checkbox", name="Disabled (2)")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="Active (2)")).to_be_checked()
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()
    page.screenshot(path=str(SHOTS / "integrations-list-filtered.png"), full_page=True)

    # Open one and change a config value.
    page.get_by_role("link", name="Eta Example").click()
    expect(page.get_by_role("heading", name="Eta Example")).to_be_visible()
    page.get_by_label("Default project").select_option("2")
    page.get_by_label("Sync comments").check()
    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_text("Saved the configuration of Eta Example (2 settings changed).")).to_be_visible()
    expect(page.get_by_label("Default project")).to_have_value("2")
    expect(page.get_by_label("Sync comments")).to_be_checked()
    history = page.locator("table.history")
    expect(history.get_by_text("Integration settings changed")).to_be_visible()
    expect(history).to_contain_text("Ada Admin", use_inner_text=True)
    expect(history).to_contain_text("project", use_inner_text=True)
    expect(history).to_contain_text("sync_comments", use_inner_text=True)
    page.screenshot(path=str(SHOTS / "integrations-detail.png"), full_page=True)

    # The breadcrumb leads back to the filtered list.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Integrations").click()
    page.wait_for_url(filtered)
    expect(table_names(page)).to_have_text(["Beta GitHub", "Eta Example"], use_inner_text=True)

    # Uninstall: a confirmation page first, then back to the same filtered list.
    page.get_by_role("link", name="Eta Example").click()
    expect(page.get_by_role("heading", name="Eta Example")).to_be_visible()
    page.get_by_role("link", name="Uninstall").click()
    expect(page.get_by_role("heading", name="Uninstall Eta Example?")).to_be_visible()
    page.screenshot(path=str(SHOTS / "integrations-confirm-uninstall.png"), full_page=True)
    page.get_by_role("main").get_by_role("button", name="Uninstall").click()
    page.wait_for_url(filtered)
    expect(page.get_by_text("Eta Example will be uninstalled")).to_be_visible()
    expect(table_names(page)).to_have_text(["Beta GitHub"], use_inner_text=True)
    assert external == []


def test_member_sees_read_only_installation_in_chromium(page, live_server, browser_login, org):
    made = seed(org)
    member = factories.make_user(email="max@example.com", name="Max Member")
    factories.make_member(org, member, "member")
    db.session.commit()
    oi = made["Alpha Slack"]
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login("max@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/settings/acme/integrations/slack/{oi.integration_id}/")
    expect(page.get_by_text("Only owners, managers and admins can change this installation.").first).to_be_visible()
    expect(page.get_by_role("button", name="Disable")).to_be_disabled()
    expect(page.get_by_role("button", name="Uninstall")).to_be_disabled()
    expect(page.get_by_role("button", name="Save configuration")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "integrations-detail-member.png"), full_page=True)
    page.goto(f"{live_server}/settings/acme/integrations/slack/")
    expect(page.get_by_role("link", name="Request installation")).to_be_visible()
    page.screenshot(path=str(SHOTS / "integrations-provider-member.png"), full_page=True)


def test_disable_restore_and_revoke_ask_first_in_chromium(page, live_server, browser_login, org):
    made = seed(org)
    admin = factories.make_user(email="ada@example.com", name="Ada Admin")
    factories.make_member(org, admin, "admin")
    db.session.commit()
    oi = made["Alpha Slack"]
    detail = f"{live_server}/settings/acme/integrations/slack/{oi.integration_id}/"
    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login("ada@example.com", factories.PASSWORD)

    # Disable: the button is a link to a page that names the change; Cancel changes nothing.
    page.goto(detail)
    page.get_by_role("link", name="Disable").click()
    expect(page.get_by_role("heading", name="Disable Alpha Slack?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Active → Disabled", use_inner_text=True)
    page.screenshot(path=str(SHOTS / "integrations-confirm-disable.png"), full_page=True)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("link", name="Disable")).to_be_visible()
    page.get_by_role("link", name="Disable").click()
    page.get_by_role("main").get_by_role("button", name="Disable").click()
    expect(page.get_by_text("Alpha Slack is disabled.")).to_be_visible()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()

    # Uninstall, then restore it from its page before the deletion run: disabled again.
    page.get_by_role("link", name="Uninstall").click()
    page.get_by_role("main").get_by_role("button", name="Uninstall").click()
    expect(page.get_by_text("Alpha Slack will be uninstalled")).to_be_visible()
    page.goto(detail)
    expect(page.get_by_text("Removed by the next deletion run; until then it can be restored")).to_be_visible()
    page.get_by_role("link", name="Restore", exact=True).click()
    expect(page.get_by_role("heading", name="Restore Alpha Slack?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Ada Admin uninstalled it on", use_inner_text=True)
    expect(page.get_by_role("main")).to_contain_text("Pending deletion → Disabled", use_inner_text=True)
    page.screenshot(path=str(SHOTS / "integrations-confirm-restore.png"), full_page=True)
    page.get_by_role("main").get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Alpha Slack is restored: it is disabled, as before the uninstall.")).to_be_visible()
    expect(page.locator("table.history")).to_contain_text("Integration restored", use_inner_text=True)

    # An API token: Revoke opens a page naming the token; the token works until confirmed.
    page.goto(f"{live_server}/account/tokens/")
    page.get_by_label("Name").fill("deploy script")
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("link", name="Revoke token “deploy script”").click()
    expect(page.get_by_role("heading", name="Revoke token “deploy script”?")).to_be_visible()
    page.screenshot(path=str(SHOTS / "tokens-confirm-revoke.png"), full_page=True)
    page.get_by_role("main").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token “deploy script” revoked")).to_be_visible()
    expect(page.get_by_role("link", name="Revoke token “deploy script”")).to_have_count(0)
