"""The bulk confirmation and result pages and the policy page in Chromium (issue 23): they
work without JavaScript (plain forms), fit a 1366 px and a 390 px window without sideways
scrolling, and the confirmation's button applies the action."""

from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import login_with_form
from tests.integrations.helpers import bulk_install, seed
from webapp.extensions import db

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# The page's own content (<main>): the top bar's fit at 390 px is the base layout's.
OVERFLOW_JS = "() => { const m = document.querySelector('main'); return m.scrollWidth > m.clientWidth + 1; }"


def test_confirm_apply_and_result_without_javascript(browser, live_server, app, org):
    seed(org)
    bulk_install(org, 40, providers=("slack", "gitlab", "jira"), prefix="Team")
    owner = factories.make_user(email="owner@acme.example")
    factories.make_member(org, owner, "owner")
    db.session.commit()
    SHOTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      java_script_enabled=False)
        page = context.new_page()
        login_with_form(page, live_server, "owner@acme.example", factories.PASSWORD)
        page.goto(f"{live_server}/settings/acme/integrations/bulk/?action=disable&all_matching=1"
                  "&filters=status%3Dactive%26status%3Ddisabled")
        expect(page.locator("h1")).to_have_text("Disable 17 installations?")
        expect(page.get_by_text("Vercel installations cannot be disabled here; uninstall it instead.")).to_be_visible()
        expect(page.locator(".bulk-counts")).to_have_text("17 will be disabled · 17 skipped")
        page.screenshot(path=str(SHOTS / f"bulk-confirm-{width}.png"), full_page=True)
        assert not page.evaluate(OVERFLOW_JS), f"confirmation scrolls sideways at {width} px"
        page.goto(f"{live_server}/settings/acme/integration-policy/")
        page.screenshot(path=str(SHOTS / f"policy-{width}.png"), full_page=True)
        assert not page.evaluate(OVERFLOW_JS), f"policy page scrolls sideways at {width} px"
        if width == 390:
            page.goto(f"{live_server}/settings/acme/integrations/bulk/?action=disable&all_matching=1"
                      "&filters=status%3Dactive")
            page.get_by_role("button", name="Disable 17 installations").click()
            expect(page.locator("h1")).to_have_text("17 disabled, 2 skipped")
            assert not page.evaluate(OVERFLOW_JS), "result scrolls sideways at 390 px"
            page.screenshot(path=str(SHOTS / "bulk-result-390.png"), full_page=True)
        context.close()
    db.session.expire_all()
