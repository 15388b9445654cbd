"""The repeatable filters' dropdowns (macros/filters.html choices_dropdown) in Chromium: with
JavaScript switched off and driven by the keyboard alone, ticking boxes and applying filters
the list; facet counts beside the choices; the chosen values in the summary; a refused value
opens its dropdown with the message; at 1366×768 the table starts above the fold.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import login_with_form, tick_filter
from tests.integrations.helpers import seed
from webapp.extensions import db

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
LIST = "/settings/acme/integrations/"


def table_names(page):
    return page.locator("table.integrations-table tbody tr td.col-name")


def member_page(browser, live_server, org, **context_args):
    seed(org, factories.make_org(slug="other"))
    user = factories.make_user(email="mia@example.com", name="Mia Member")
    factories.make_member(org, user, "member")
    db.session.commit()
    context = browser.new_context(viewport={"width": 1366, "height": 768}, **context_args)
    page = context.new_page()
    login_with_form(page, live_server, "mia@example.com", factories.PASSWORD)
    return page


def test_keyboard_only_without_javascript_ticks_and_applies(browser, live_server, org):
    page = member_page(browser, live_server, org, java_script_enabled=False)
    page.goto(live_server + LIST)
    expect(table_names(page)).to_have_count(8)
    status = page.locator("summary#status")
    expect(status).to_have_text("Status: Any")
    disabled = page.get_by_role("checkbox", name="Disabled (2)")
    expect(disabled).to_be_hidden()  # closed: the panel takes no room

    # Open it from the keyboard, tick "Disabled" and "Pending deletion" with Space.
    status.focus()
    page.keyboard.press("Enter")
    expect(disabled).to_be_visible()
    expect(page.get_by_role("checkbox", name="Active (5)")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Pending deletion (1)")).to_be_visible()
    page.keyboard.press("Tab")  # the first box: Active
    page.keyboard.press("Tab")
    expect(disabled).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(disabled).to_be_checked()
    expect(page.get_by_role("checkbox", name="Active (5)")).not_to_be_checked()

    # Enter in a checkbox submits its form, as in any GET form.
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "status=disabled" in url and "status=pending_deletion" in url)
    expect(table_names(page)).to_have_text(["Delta PagerDuty", "Gamma Jira", "Zeta GitLab"],
                                           use_inner_text=True)
    expect(page.locator("summary#status")).to_have_text("Status: Disabled, Pending deletion")
    # The counts of the other filters follow the chosen statuses (GitHub is active only).
    page.locator("summary#provider_key").click()
    expect(page.get_by_role("checkbox", name="GitHub (0)")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Jira (1)")).to_be_visible()
    page.context.close()


@pytest.fixture
def owner_page(page, browser_login, org):
    """`page` at 1366×768, logged in as an owner of `org` holding the seeded installations."""
    seed(org)
    factories.make_member(org, factories.make_user(email="ola@example.com"), "owner")
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_login("ola@example.com", factories.PASSWORD)
    return page


def test_clicking_boxes_filters_and_summary_and_chips_follow(owner_page, live_server):
    page = owner_page
    page.goto(live_server + LIST)
    tick_filter(page, "provider_key", "Slack", "GitHub", "Jira")
    tick_filter(page, "status", "Active")
    # JavaScript on: opening one dropdown closed the other.
    expect(page.get_by_role("checkbox", name="Slack (1)")).to_be_hidden()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(lambda url: url.count("provider_key=") == 3 and "status=active" in url)
    expect(table_names(page)).to_have_text(["Alpha Slack", "Beta GitHub"], use_inner_text=True)
    # Three chosen: two named, the rest counted (the chips name every one).
    expect(page.locator("summary#provider_key")).to_have_text("Provider: GitHub, Jira +1 more")
    expect(page.locator("a.filter-chip")).to_have_count(4)

    # Escape closes the open dropdown and gives the focus back to its summary.
    page.locator("summary#features").click()
    issue_basic = page.get_by_role("checkbox", name="issue-basic (1)")
    issue_basic.check()
    page.keyboard.press("Escape")
    expect(issue_basic).to_be_hidden()
    expect(page.locator("summary#features")).to_be_focused()
    # A click elsewhere closes it too; the ticked box stays ticked.
    page.locator("summary#features").click()
    page.get_by_role("heading", name="Installed integrations").click()
    expect(issue_basic).to_be_hidden()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(lambda url: "features=issue-basic" in url)
    expect(table_names(page)).to_have_text(["Beta GitHub"], use_inner_text=True)


def test_a_refused_value_opens_its_dropdown_with_the_message(owner_page, live_server):
    page = owner_page
    response = page.goto(live_server + LIST + "?features=nope&status=active")
    assert response.status == 400
    features = page.locator("details.filter-dropdown", has=page.locator("summary#features"))
    expect(features).to_have_attribute("open", "")
    expect(page.locator("#features-error")).to_have_text("Unknown feature: nope")
    expect(page.locator("summary#features")).to_have_attribute("aria-describedby", "features-help features-error")
    # The error summary's link leads to the dropdown's summary.
    page.locator("#error-summary").get_by_role("link", name="Features").click()
    expect(page.locator("summary#features")).to_be_focused()
    # The valid value is kept; without counts (the filters were refused) the labels are bare.
    expect(page.locator("summary#status")).to_have_text("Status: Active")
    expect(page.locator("#status-0")).to_be_checked()


def test_table_starts_above_the_fold_at_1366_by_768(owner_page, live_server):
    page = owner_page
    page.goto(live_server + LIST + "?status=active&status=disabled")
    bar = page.locator("form.filter-bar").bounding_box()
    rows = page.locator("table.integrations-table tbody tr")
    # The filters are one row of controls, and at least five table rows show without scrolling.
    assert bar["height"] < 100, bar
    assert rows.nth(4).bounding_box()["y"] + rows.nth(4).bounding_box()["height"] <= 768
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "integrations-filters-1366x768.png"))
    # An open dropdown fits in the window (no sideways scrolling).
    page.locator("summary#features").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
