"""Logging in with a directory account in Chromium, against the run's real slapd: the
login form, the org page the directory's group opens, the account page's "from directory"."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.slapd import ALICE
from webapp.extensions import db

SHOTS = Path(os.environ.get("DIRECTORY_LOGIN_SHOTS", "/tmp/shots-directory-login"))


@pytest.fixture
def app(app_factory, slapd):
    """This test's app (live_server serves it) using the directory, with the org acme."""
    app = app_factory(**slapd.settings())
    with app.app_context():
        factories.make_org(slug="acme", name="Acme Corp")
        db.session.commit()
        yield app
        db.session.remove()


def test_a_directory_account_logs_in_and_sees_its_roles_from_the_directory(
        page, live_server, browser_login):
    page.goto(f"{live_server}/login/")
    expect(page.get_by_text("Use your company email and password.")).to_be_visible()
    browser_login(ALICE.email, "not her password", succeed=False)
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()

    browser_login(ALICE.email, ALICE.password)
    page.goto(f"{live_server}/settings/acme/integrations/")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.locator("#user-menu", has_text=ALICE.name).click()
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("Company directory (LDAP)")).to_be_visible()
    row = page.get_by_role("row", name="Acme Corp")
    expect(row.get_by_role("cell", name="owner", exact=True)).to_be_visible()
    expect(row.get_by_text("from directory")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SHOTS / f"account-{width}.png"), full_page=True)
        # The page's own content fits (the top bar is the layout's, base.html).
        assert page.evaluate("(m => m.scrollWidth <= m.clientWidth)(document.querySelector('main'))")

    page.locator("#user-menu", has_text=ALICE.name).click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login/")
