"""Installed integrations in headless Chromium: filter, open, configure, see the history, uninstall.

Screenshots of the list (filters + facet counts), the installation page and the uninstall
confirmation land in screenshots/ (git-ignored) for a human look.
"""

from pathlib import Path

from tests import factories
from tests.integrations.helpers import seed
from webapp.extensions import db

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def table_names(page):
    return page.locator("table.integrations-table tbody tr td:nth-child(2)").all_inner_texts()


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
    assert page.get_by_role("heading", name="Installed integrations").is_visible()
    assert len(table_names(page)) == 8

    # Filter by a feature and a status with the real form.
    page.get_by_label("Features").select_option(["issue-basic"])
    page.get_by_label("Status").select_option(["active"])
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "features=issue-basic" in page.url and "status=active" in page.url
    assert table_names(page) == ["Beta GitHub", "Eta Example"]
    assert page.get_by_text("Showing 1–2 of 2 installations").is_visible()
    # Facet counts beside the choices, and the chosen values kept.
    assert page.locator("#status option[value=disabled]").inner_text() == "Disabled (2)"
    assert page.locator("#features option[value=issue-basic]").inner_text() == "issue-basic (2)"
    assert page.get_by_role("link", name="Clear filters").is_visible()
    page.screenshot(path=str(SHOTS / "integrations-list-filtered.png"), full_page=True)

    # Open one and change a config value.
    page.get_by_role("link", name="Eta Example").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Eta Example").is_visible()
    page.get_by_label("Default project").select_option("2")
    page.get_by_label("Sync comments").check()
    page.get_by_role("button", name="Save configuration").click()
    page.wait_for_load_state()
    assert page.get_by_text("Saved the configuration of Eta Example (2 settings changed).").is_visible()
    assert page.get_by_label("Default project").input_value() == "2"
    assert page.get_by_label("Sync comments").is_checked()
    history = page.locator("table.history")
    assert history.get_by_text("INTEGRATION_EDIT").is_visible()
    assert "Ada Admin" in history.inner_text()
    assert "project" in history.inner_text() and "sync_comments" in history.inner_text()
    page.screenshot(path=str(SHOTS / "integrations-detail.png"), full_page=True)

    # The breadcrumb leads back to the filtered list.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Integrations").click()
    page.wait_for_load_state()
    assert table_names(page) == ["Beta GitHub", "Eta Example"]

    # Uninstall: a confirmation page first, then back to the same filtered list.
    page.get_by_role("link", name="Eta Example").click()
    page.get_by_role("link", name="Uninstall").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Uninstall Eta Example?").is_visible()
    page.screenshot(path=str(SHOTS / "integrations-confirm-uninstall.png"), full_page=True)
    page.get_by_role("main").get_by_role("button", name="Uninstall").click()
    page.wait_for_load_state()
    assert "status=active" in page.url
    assert page.get_by_text("Eta Example will be uninstalled").is_visible()
    assert table_names(page) == ["Beta GitHub"]
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
    assert page.get_by_text("Only owners, managers and admins can change this installation.").first.is_visible()
    assert page.get_by_role("button", name="Disable").is_disabled()
    assert page.get_by_role("button", name="Uninstall").is_disabled()
    assert page.get_by_role("button", name="Save configuration").count() == 0
    page.screenshot(path=str(SHOTS / "integrations-detail-member.png"), full_page=True)
    page.goto(f"{live_server}/settings/acme/integrations/slack/")
    assert page.get_by_role("link", name="Request installation").is_visible()
    page.screenshot(path=str(SHOTS / "integrations-provider-member.png"), full_page=True)
