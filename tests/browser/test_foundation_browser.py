"""The login page and org shell in headless Chromium; screenshots land in screenshots/."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from webapp.extensions import db

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def test_login_and_org_shell_in_chromium(page, live_server, browser_login, org):
    user = factories.make_user(email="owner@example.com", name="Olga Owner")
    factories.make_member(org, user, "owner")
    db.session.commit()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)

    page.goto(f"{live_server}/login/")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
    expect(page).to_have_title(re.compile(r"^Log in"))
    # Bootstrap came from the app itself: its CSS applied (the button is styled).
    unstyled = re.compile(r"^(rgba\(0, 0, 0, 0\)|rgb\(239, 239, 239\))$")
    expect(page.get_by_role("button", name="Log in")).not_to_have_css("background-color", unstyled)

    browser_login("owner@example.com", "wrong password", succeed=False)
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()

    browser_login("owner@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/settings/acme/")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("heading", name="Acme Corp")).to_be_visible()
    page.screenshot(path=str(SHOTS / "org-shell.png"), full_page=True)
    # The user menu opens (a <details> disclosure); a click elsewhere closes it again (app.js).
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    page.locator("#user-menu", has_text="Olga Owner").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("heading", name="Acme Corp").click()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    page.locator("#user-menu").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    expect(page.locator("#user-menu")).to_be_focused()
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login/")
    assert external == []
