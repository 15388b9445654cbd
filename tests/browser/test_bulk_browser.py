"""Bulk actions in Chromium (issue 23): from the installed-integrations list (tick rows, or
"all N matching" across pages; with JavaScript a page checkbox and a live count, without it
plain checkboxes and two submit buttons) to the confirmation and the result; the
confirmation, result and policy pages fit a 1366 px and a 390 px window without sideways
scrolling."""

from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import login_with_form
from tests.integrations.helpers import bulk_install, seed, status_of
from webapp.extensions import db
from webapp.models import ObjectStatus

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


def owner_page(browser, live_server, org, size=(1366, 768), javascript=True):
    owner = factories.make_user(email="owner@acme.example")
    factories.make_member(org, owner, "owner")
    db.session.commit()
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  java_script_enabled=javascript)
    page = context.new_page()
    login_with_form(page, live_server, "owner@acme.example", factories.PASSWORD)
    return context, page


def test_tick_two_rows_disable_and_confirm(browser, live_server, org):
    made = seed(org)
    context, page = owner_page(browser, live_server, org)
    SHOTS.mkdir(exist_ok=True)
    page.goto(f"{live_server}/settings/acme/integrations/")
    bar = page.get_by_role("form", name="Bulk actions")
    expect(bar.locator(".bulk-count")).to_have_text("0 selected")
    expect(bar.get_by_role("button", name="Apply to all 8 installations")).to_be_hidden()  # one page
    page.get_by_label("Select Alpha Slack").check()
    page.get_by_label("Select Iota Teams").check()
    expect(bar.locator(".bulk-count")).to_have_text("2 selected")
    bar.get_by_label("Action on the chosen rows").select_option(label="Disable")
    page.screenshot(path=str(SHOTS / "bulk-list-1366.png"), full_page=True)
    with page.expect_navigation():
        bar.get_by_role("button", name="Apply to chosen").click()
    expect(page.locator("h1")).to_have_text("Disable 2 installations?")
    page.screenshot(path=str(SHOTS / "bulk-confirm-chosen-1366.png"), full_page=True)
    page.get_by_role("button", name="Disable 2 installations").click()
    expect(page.locator("h1")).to_have_text("2 disabled, 0 skipped")
    context.close()
    db.session.expire_all()
    assert status_of(made["Alpha Slack"]) == status_of(made["Iota Teams"]) == ObjectStatus.DISABLED
    assert status_of(made["Beta GitHub"]) == ObjectStatus.ACTIVE


def test_select_all_matching_across_pages_with_javascript(browser, live_server, org):
    bulk_install(org, 60, providers=("slack", "github"), statuses=(ObjectStatus.ACTIVE, ObjectStatus.DISABLED))
    context, page = owner_page(browser, live_server, org, size=(390, 844))
    page.goto(f"{live_server}/settings/acme/integrations/?provider_key=slack")
    bar = page.get_by_role("form", name="Bulk actions")
    offer = bar.get_by_role("button", name="Apply to all 30 matching this filter")
    expect(offer).to_be_hidden()
    page_box = page.get_by_label("Select all on this page")
    page_box.check()
    expect(page.locator('input[name="ids"]:checked')).to_have_count(25)
    expect(bar.locator(".bulk-count")).to_have_text("All 25 on this page selected.")
    expect(offer).to_be_visible()
    page.get_by_label("Select Bulk 00000").uncheck()  # one off: the offer goes, the box is mixed
    expect(bar.locator(".bulk-count")).to_have_text("24 selected")
    expect(offer).to_be_hidden()
    assert page_box.evaluate("box => box.indeterminate")
    page_box.check()
    bar.get_by_label("Action on the chosen rows").select_option(label="Uninstall")
    page.screenshot(path=str(SHOTS / "bulk-list-390.png"), full_page=True)
    assert not page.evaluate(OVERFLOW_JS), "the list scrolls sideways at 390 px"
    with page.expect_navigation():
        offer.click()
    expect(page.locator("h1")).to_have_text("Uninstall 30 installations?")
    expect(page.get_by_text("Provider: Slack")).to_be_visible()
    page.get_by_role("button", name="Uninstall 30 installations").click()
    expect(page.locator("h1")).to_have_text("30 uninstalled, 0 skipped")
    context.close()


def test_bulk_from_the_list_without_javascript(browser, live_server, org):
    made = seed(org)
    bulk_install(org, 40, providers=("slack", "github"), statuses=(ObjectStatus.DISABLED,))
    context, page = owner_page(browser, live_server, org, javascript=False)
    page.goto(f"{live_server}/settings/acme/integrations/?status=active")
    bar = page.get_by_role("form", name="Bulk actions")
    expect(page.get_by_label("Select all on this page")).to_be_hidden()
    expect(bar.locator(".bulk-count")).to_be_hidden()
    page.get_by_label("Select Alpha Slack").check()
    page.get_by_label("Select Beta GitHub").check()
    bar.get_by_label("Action on the chosen rows").select_option(label="Disable")
    with page.expect_navigation():
        bar.get_by_role("button", name="Apply to chosen").click()
    expect(page.locator("h1")).to_have_text("Disable 2 installations?")
    with page.expect_navigation():
        page.get_by_role("button", name="Disable 2 installations").click()
    expect(page.locator("h1")).to_have_text("2 disabled, 0 skipped")
    # All matching, across pages: the second submit button, always there without a script.
    page.goto(f"{live_server}/settings/acme/integrations/?status=disabled")
    expect(page.locator(".result-count")).to_contain_text("of 44 installations")
    bar.get_by_label("Action on the chosen rows").select_option(label="Enable")
    with page.expect_navigation():
        bar.get_by_role("button", name="Apply to all 44 matching this filter").click()
    expect(page.locator("h1")).to_have_text("Enable 44 installations?")
    expect(page.locator(".bulk-counts")).to_have_text("44 will be enabled · 0 skipped")
    context.close()
    db.session.expire_all()
    assert status_of(made["Alpha Slack"]) == status_of(made["Beta GitHub"]) == ObjectStatus.DISABLED
