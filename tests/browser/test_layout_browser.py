"""Layout with long values (issue 22, SPEC §10 "Layout"), in headless Chromium at 1366×768
and 390×844: the demo data plus a long, unbroken or non-ASCII value in every table
(tests/browser/long_values.py), as owner, member and staff.

On every page: the document is no wider than the window; whatever scrolls sideways is a
table's own scroll box, focusable and named; every row's buttons and action links are on
screen; and the long values can be read whole. Screenshots land in screenshots/layout-*.png
(git-ignored; or in the folder LAYOUT_SHOTS names) for a human look.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_with_form
from tests.browser.long_values import CALLBACK_URL, REQUEST_MESSAGE, seed_long_values
from webapp.commands.demo import seed_demo
from webapp.extensions import db

SHOTS = Path(os.environ.get("LAYOUT_SHOTS") or Path(__file__).resolve().parents[2] / "screenshots")
VIEWPORTS = ((1366, 768), (390, 844))

# One pass over the laid-out page: its width, every element that scrolls sideways, and the
# row actions (buttons, and links styled as buttons or in an actions cell) outside the window.
LAYOUT_FACTS_JS = r"""() => {
  const root = document.documentElement;
  const width = window.innerWidth;
  const describe = el => el.outerHTML.slice(0, 120);
  const scrollers = [], scrolling = [];
  for (const el of document.querySelectorAll('body *')) {
    if (['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName)) continue;
    const overflow = getComputedStyle(el).overflowX;
    if (!['auto', 'scroll'].includes(overflow) || el.scrollWidth <= el.clientWidth + 1) continue;
    const named = el.getAttribute('tabindex') === '0' && el.getAttribute('role') === 'region'
      && (el.getAttribute('aria-label') || '').trim() !== '';
    if (!named) scrollers.push(describe(el));
    else scrolling.push(el.getAttribute('aria-label'));
  }
  const actions = document.querySelectorAll(
    'tbody tr button, tbody tr a.btn, tbody tr td.row-actions a, tbody tr td:last-child a');
  const offscreen = [];
  for (const el of actions) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0) continue;  // inside a closed disclosure
    if (rect.left < -1 || rect.right > width + 1) {
      offscreen.push(`${el.textContent.trim().replace(/\s+/g, ' ')} at ${Math.round(rect.left)}–${Math.round(rect.right)}px`);
    }
  }
  return {scrollWidth: root.scrollWidth, width, scrollers, scrolling, offscreen, actions: actions.length};
}"""


class Visitor:
    """One logged-in browser context at one window size; visit() checks and photographs."""

    def __init__(self, browser, base: str, size: tuple[int, int], who: str, problems: list[str]):
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        self.page = self.context.new_page()
        self.base, self.size, self.who, self.problems = base, size, who, problems
        self.actions_seen = 0

    def visit(self, path: str, name: str, status: int = 200):
        response = self.page.goto(self.base + path)
        assert response.status == status, f"{self.who} {path}: status {response.status}"
        return self.check(name)

    def check(self, name: str):
        page, label = self.page, f"{self.size[0]}px {self.who} · {name} ({self.page.url.removeprefix(self.base)})"
        facts = page.evaluate(LAYOUT_FACTS_JS)
        if facts["scrollWidth"] > facts["width"]:
            self.problems.append(f"{label}: page is {facts['scrollWidth']}px wide in a {facts['width']}px window")
        for item in facts["scrollers"]:
            self.problems.append(f"{label}: scrolls sideways without being a focusable, named region: {item}")
        if self.size[0] >= 1366:
            for item in facts["scrolling"]:
                self.problems.append(f"{label}: the table scrolls in its box at {self.size[0]}px: {item}")
        for item in facts["offscreen"]:
            self.problems.append(f"{label}: row action off screen: {item}")
        self.actions_seen += facts["actions"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"layout-{self.size[0]}-{name}.png"), full_page=True)
        return page

    def close(self):
        self.context.close()


def assert_on_screen_across(locator, width: int):
    """The element is within the window from left to right (it may be further down the page)."""
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (locator, box)


@pytest.fixture
def long_data(app):
    seeded = seed_demo(scale=1)
    values = seed_long_values()
    db.session.commit()
    return {login.email: login.password for login in seeded.logins}, values


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda size: f"{size[0]}px")
def test_long_values_never_widen_a_page(browser, live_server, long_data, size):
    passwords, values = long_data
    problems: list[str] = []
    project = f"/settings/demo/plugins/webhooks/projects/{values.project_slug}/"
    installation = f"/settings/demo/integrations/slack/{values.integration_id}/"

    owner = Visitor(browser, live_server, size, "owner", problems)
    login_with_form(owner.page, live_server, "owner@demo.example", passwords["owner@demo.example"])
    owner.check("home")
    # The reported cases: the request queue with a 1,000-"x" message, the audit log and the
    # project's plugin history with a 5,000-character callback URL.
    page = owner.visit("/settings/demo/integration-requests/", "requests")
    row = page.locator("tr.queue-row", has=page.locator(".request-message", has_text="xxxxxxxxxx"))
    assert_on_screen_across(row.get_by_role("button", name="Mark done"), size[0])
    assert_on_screen_across(row.get_by_role("link", name="Dismiss"), size[0])
    row.locator("summary", has_text="Show all 1,000 characters").click()
    expect(row.locator(".long-text-full")).to_have_text(REQUEST_MESSAGE)
    expect(row.locator(".long-text-full")).to_be_visible()
    owner.check("requests-message-open")
    page = owner.visit("/settings/demo/audit-log/", "audit-log")
    expect(page.locator(".audit-log .long-text-full", has_text=CALLBACK_URL)).to_have_count(1)
    page = owner.visit(project, "plugin-history")
    history = page.locator("table.history")
    history.locator("summary", has_text="Show all 5,000 characters").click()
    expect(history.locator(".long-text-full", has_text=CALLBACK_URL)).to_be_visible()
    owner.check("plugin-history-open")
    # Every other table and detail page, with long names, slugs, authors and settings.
    for path, name in (("/settings/demo/integrations/", "integrations"),
                       ("/settings/demo/integrations/?q=T9999999999", "integrations-long")):
        page = owner.visit(path, name)
        if size[0] == 1366:
            # The table fits its column: nothing to scroll, the Config column whole on screen.
            box = page.locator(".table-responsive", has=page.locator("table.integrations-table"))
            assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), f"{name}: the table scrolls at 1366px"
            assert_on_screen_across(page.locator("table.integrations-table td.config-summary").first, size[0])
    expect(page.locator("table.integrations-table tbody tr")).to_have_count(1)
    owner.visit("/settings/demo/integrations/?q=" + "Ä" * 200, "integrations-long-search")
    owner.visit(installation, "installation")
    owner.visit(installation + "uninstall/", "uninstall-confirm")
    owner.visit("/settings/demo/integrations/slack/", "provider")
    owner.visit("/settings/demo/directory/?category=sentry_app", "directory-apps")
    owner.visit("/settings/demo/directory/?category=doc_integration", "directory-docs")
    owner.visit(f"/settings/demo/sentry-apps/{values.sentry_app_slug}/", "sentry-app")
    owner.visit("/settings/demo/plugins/", "plugins")
    owner.visit("/settings/demo/plugins/webhooks/", "plugin")
    owner.visit(f"/doc-integrations/{values.doc_slug}/", "doc-integration")
    page = owner.visit("/account/tokens/", "tokens")
    assert_on_screen_across(page.locator("table tbody td.row-actions").first, size[0])
    owner.visit("/", "org-picker")
    page = owner.visit(f"/settings/{values.org_slug}/", "long-org")
    # The top bar fits: both menus are on screen and open to show the long names whole.
    for summary in (page.locator("#org-switcher"), page.locator("#user-menu")):
        assert_on_screen_across(summary, size[0])
        summary.click()
        owner.check("menu-" + summary.get_attribute("id"))
    page.locator("#user-menu").click()
    page = owner.visit("/settings/demo/integrations/", "saved-views")
    page.locator("details.saved-views summary").click()
    assert_on_screen_across(page.locator(".saved-views-list a").first, size[0])
    owner.check("saved-views-open")
    owner.close()

    member = Visitor(browser, live_server, size, "member", problems)
    login_with_form(member.page, live_server, "member@demo.example", passwords["member@demo.example"])
    member.visit("/settings/demo/integration-requests/", "member-requests")
    member.visit(project, "member-plugin-settings")
    member.close()

    staff = Visitor(browser, live_server, size, "staff", problems)
    login_with_form(staff.page, live_server, "staff@demo.example", passwords["staff@demo.example"])
    page = staff.visit("/doc-integrations/", "staff-doc-integrations")
    row = page.locator("table.doc-integrations tbody tr", has_text=values.doc_slug)
    for name in ("Edit", "Logo", "Delete"):
        assert_on_screen_across(row.get_by_role("link", name=name), size[0])
    staff.visit(f"/doc-integrations/{values.doc_slug}/", "staff-doc-integration")
    # A long name on the form's error page (it makes a slug longer than 64 characters).
    page = staff.visit("/doc-integrations/new/", "staff-doc-new")
    page.locator("form.doc-integration-form").evaluate("f => f.noValidate = true")
    page.get_by_label("Name", exact=True).evaluate("(el, v) => { el.removeAttribute('maxlength'); el.value = v; }",
                                                   "Ω" + "x" * 299)
    page.get_by_label("Author", exact=True).fill("A" * 255)
    page.get_by_label("URL", exact=True).fill("https://example.com/" + "u" * 180)
    page.get_by_label("Description").fill("d" * 3000)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Create draft").last.click()
    assert navigation.value.status == 400
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Ω" + "x" * 299)
    staff.check("staff-doc-new-error")
    staff.visit(f"/doc-integrations/{values.doc_slug}/edit/", "staff-doc-edit")
    staff.visit(f"/doc-integrations/{values.doc_slug}/logo/", "staff-doc-logo")
    staff.visit(f"/doc-integrations/{values.doc_slug}/delete/", "staff-doc-delete")
    staff.close()

    assert owner.actions_seen and staff.actions_seen
    assert not problems, "\n".join(problems)
