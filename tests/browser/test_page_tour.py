"""A full pass over every page of SPEC §6 as an owner, a member and staff would make it,
on the demo data (seed_demo(scale=1)), in headless Chromium.

Every page visited is checked for the basics: the expected status, a real <title>, one
<h1>, an accessible name on every form control, no `aria-*="None"`-style Python values, no
duplicate ids, no text that is a Python repr, no horizontal overflow, no request leaving
127.0.0.1, no console error or page error (CSP violations show there), and a working
"Skip to main content" link. A full-page screenshot of each lands in
screenshots/tour-NN-<name>.png (git-ignored) for a human look.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import demo_ids, login_with_form, tick_filter
from webapp.commands.demo import seed_demo
from webapp.extensions import db

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"

# One pass over the DOM: controls without an accessible name, aria attributes holding a
# Python value, duplicate ids, Python reprs in the visible text of <main>, page overflow.
PAGE_FACTS_JS = r"""() => {
  const text = el => (el ? el.textContent : '').replace(/\s+/g, ' ').trim();
  const unnamed = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden') continue;
    let name = (el.getAttribute('aria-label') || '').trim();
    const by = el.getAttribute('aria-labelledby');
    if (!name && by) name = by.split(/\s+/).map(id => text(document.getElementById(id))).join(' ').trim();
    if (!name && el.labels) name = Array.from(el.labels).map(text).join(' ').trim();
    if (!name && el.tagName === 'BUTTON') name = text(el);
    if (!name && el.tagName === 'INPUT' && ['submit', 'reset', 'button'].includes(el.type)) name = el.value.trim();
    if (!name) name = (el.getAttribute('title') || '').trim();
    if (!name) unnamed.push(el.outerHTML.slice(0, 160));
  }
  const pythonAria = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('aria-') && ['None', 'True', 'False', ''].includes(attr.value.trim())) {
        pythonAria.push(`<${el.tagName.toLowerCase()} ${attr.name}="${attr.value}">`);
      }
    }
  }
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  const duplicateIds = Array.from(seen).filter(([, n]) => n > 1).map(([id]) => id);
  const main = document.querySelector('main');
  const reprs = (main ? main.innerText : '').match(
    /\bNone\b|\{'|\['|<[\w.]+ object at|datetime\.|\bTrue\b|\bFalse\b|\{"|\bnull\b/g) || [];
  // Filter bars: when the buttons share the first row, Apply sits level with the first control.
  const misaligned = [];
  for (const bar of document.querySelectorAll('form.filter-bar')) {
    const actions = bar.querySelector('.filter-actions');
    const control = bar.querySelector('.form-control, .form-select');
    if (!actions || !control) continue;
    const firstColumn = bar.querySelector('.row > div');
    if (Math.abs(actions.getBoundingClientRect().top - firstColumn.getBoundingClientRect().top) > 1) continue;
    const button = actions.querySelector('button').getBoundingClientRect().top;
    const first = control.getBoundingClientRect().top;
    if (Math.abs(button - first) > 1) misaligned.push(`Apply at ${button}px, first field at ${first}px`);
  }
  const root = document.documentElement;
  return {
    unnamed, pythonAria, duplicateIds, reprs, misaligned,
    overflow: root.scrollWidth > root.clientWidth + 1 ? `${root.scrollWidth}px > ${root.clientWidth}px` : null,
  };
}"""

FIRST_FOCUSABLE_JS = """() => {
  const el = document.querySelector(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])');
  return el ? el.textContent.trim() : null;
}"""


class Tour:
    """One browser context logged in as one user; visit() and submit() check every page."""

    def __init__(self, browser, base: str, who: str, problems: list, counter: list):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.base, self.who, self.problems, self.counter = base, who, problems, counter
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("request", lambda r: self._request(r.url))
        page.on("console", lambda m: self._console(page, m.type, m.text, m.location.get("url") or ""))
        page.on("pageerror", lambda e: self._console(page, "pageerror", str(e), ""))
        self.expected_status = 200
        return page

    def _request(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob") and parts.hostname != "127.0.0.1":
            self.problems.append(f"{self.who}: request left 127.0.0.1: {url}")

    def _console(self, page, kind: str, text: str, url: str):
        if kind not in ("error", "pageerror"):
            return
        # Chromium logs the error status of the document itself: that is the page we asked for.
        if (self.expected_status >= 400 and url.split("#")[0] == page.url.split("#")[0]
                and f"Failed to load resource: the server responded with a status of {self.expected_status} "
                in text):
            return
        self.problems.append(f"{self.who}: console {kind}: {text} ({url})")

    def login(self, email: str, password: str):
        login_with_form(self.page, self.base, email, password)

    def visit(self, path: str, name: str, status: int = 200, page=None):
        page = page or self.page
        self.expected_status = status
        response = page.goto(self.base + path)
        self.check(page, name, response.status, status)
        return page

    def submit(self, button, name: str, status: int = 200, page=None):
        """Click a submit button (or link) and check the page the navigation ends on."""
        page = page or self.page
        self.expected_status = status
        with page.expect_navigation() as navigation:
            button.click()
        self.check(page, name, navigation.value.status, status)
        return page

    def check(self, page, name: str, got: int, status: int):
        self.counter.append(name)
        label = f"{self.who} · {name} ({page.url.removeprefix(self.base)})"
        assert got == status, f"{label}: status {got}, expected {status}"
        # A title of its own before the product name, and one <h1>.
        expect(page).to_have_title(re.compile(r"^(?!Integrations Admin ·)\S.* · Integrations Admin$"))
        expect(page.locator("h1")).to_have_count(1)
        # The page is server-rendered and complete once loaded: one pass over its DOM.
        facts = page.evaluate(PAGE_FACTS_JS)
        for key, what in (("unnamed", "control without a label"), ("pythonAria", "aria attribute with a Python value"),
                          ("duplicateIds", "duplicate id"), ("reprs", "Python/JSON value in the text"),
                          ("misaligned", "filter bar out of line")):
            for item in facts[key]:
                self.problems.append(f"{label}: {what}: {item}")
        if facts["overflow"]:
            self.problems.append(f"{label}: page scrolls sideways ({facts['overflow']})")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"tour-{len(self.counter):02d}-{name}.png"), full_page=True)
        self.check_skip_link(page, label)

    def check_skip_link(self, page, label: str):
        assert page.evaluate(FIRST_FOCUSABLE_JS) == "Skip to main content", f"{label}: skip link not first"
        if page.evaluate("document.activeElement === document.body"):
            page.keyboard.press("Tab")
        else:  # the error summary took focus on load: start from the skip link itself
            page.locator("a.skip-link").focus()
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()

    def close(self):
        self.context.close()


def test_every_page_as_owner_member_and_staff(browser, live_server, app):
    for old_shot in SHOTS.glob("tour-*.png"):
        old_shot.unlink()
    seeded = seed_demo(scale=1)
    db.session.commit()
    passwords = {login.email: login.password for login in seeded.logins}
    ids = demo_ids()
    problems: list[str] = []
    counter: list[str] = []
    slack = f"/settings/demo/integrations/slack/{ids['slack'][0]}/"

    # -- not logged in ------------------------------------------------------------------
    anon = Tour(browser, live_server, "anonymous", problems, counter)
    page = anon.visit("/settings/demo/audit-log/", "login-redirect")
    assert "/login/?next=" in page.url
    page.get_by_label("Email").fill("owner@demo.example")
    page.get_by_label("Password").fill("not the password")
    anon.submit(page.get_by_role("button", name="Log in"), "login-error", 400)
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()
    # /healthz is plain text for monitors (a browser tab on it asks for /favicon.ico, which 404s).
    health = anon.context.request.get(f"{live_server}/healthz")
    assert health.status == 200 and health.text() == "ok"
    anon.close()

    # -- owner ----------------------------------------------------------------------------
    owner = Tour(browser, live_server, "owner", problems, counter)
    owner.login("owner@demo.example", passwords["owner@demo.example"])
    page = owner.visit("/", "org-picker")
    expect(page.get_by_role("link", name="Globex Corporation")).to_be_visible()
    page = owner.visit("/settings/demo/", "org-overview")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")).to_have_count(1)
    page = owner.visit("/settings/demo/integrations/", "integrations")
    expect(page.locator("table.integrations-table tbody tr")).to_have_count(25)
    tick_filter(page, "status", "Disabled", "Pending deletion")
    owner.submit(page.get_by_role("button", name="Apply filters"), "integrations-filtered")
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()
    owner.visit("/settings/demo/integrations/?q=no-such-integration-anywhere", "integrations-no-match")
    owner.visit("/settings/demo/integrations/?per_page=500&sort=nonsense", "integrations-bad-filter", 400)
    owner.visit("/settings/demo/integrations/?sort=-date_added&page=2", "integrations-sorted-page-2")
    owner.visit("/settings/demo/integrations/slack/", "provider")
    page = owner.visit(slack, "installation")
    expect(page.get_by_role("button", name="Save configuration")).to_be_visible()
    owner.visit(f"/settings/demo/integrations/{ids['disabled'][1]}/{ids['disabled'][0]}/", "installation-disabled")
    owner.visit(slack + "uninstall/", "uninstall-confirm")
    owner.visit(slack + "disable/", "disable-confirm")
    pending = f"/settings/demo/integrations/{ids['pending'][1]}/{ids['pending'][0]}/"
    page = owner.visit(pending, "installation-pending-deletion")
    owner.submit(page.get_by_role("link", name="Restore", exact=True), "restore-confirm")
    page = owner.page

    # Two tabs on one installation: the second save is refused with the 409 page.
    first, second = page, owner.new_page()
    first.goto(live_server + slack)
    second.goto(live_server + slack)
    first.get_by_label("Default channel").fill("#tour-first")
    owner.submit(first.get_by_role("button", name="Save configuration"), "installation-saved", page=first)
    second.get_by_label("Default channel").fill("#tour-second")
    owner.submit(second.get_by_role("button", name="Save configuration"), "installation-409", 409, page=second)
    expect(second.get_by_text("#tour-first").first).to_be_visible()
    second.close()
    page = owner.page = first

    page = owner.visit("/settings/demo/directory/", "directory")
    page.get_by_label("Installed").select_option("no")
    owner.submit(page.get_by_role("button", name="Apply"), "directory-filtered")
    owner.visit("/settings/demo/directory/?q=zzzz-nothing", "directory-no-match")
    owner.visit(f"/settings/demo/sentry-apps/{ids['sentry_app']}/", "sentry-app")
    owner.visit("/settings/demo/sentry-apps/no-such-app/", "sentry-app-404", 404)

    page = owner.visit("/settings/demo/plugins/", "plugins")
    tick_filter(page, "plugins", "Trello", "Slack")
    owner.submit(page.get_by_role("button", name="Apply"), "plugins-filtered")
    owner.visit("/settings/demo/plugins/trello/", "plugin")
    owner.visit(f"/settings/demo/plugins/trello/projects/{ids['project']}/", "plugin-settings")
    page = owner.visit(f"/settings/demo/plugins/trello/projects/{ids['unconfigured']}/", "plugin-settings-new")
    page.locator("form.plugin-settings").evaluate("f => f.noValidate = true")
    page.get_by_label("Trello organization").fill("acme-boards")
    page.get_by_label("Enabled for this project").check()
    owner.submit(page.get_by_role("button", name="Save settings"), "plugin-settings-error", 400)
    expect(page.locator("#error-summary")).to_be_visible()

    # Bulk actions (issue 23): a plain link to the confirmation, its button, the result.
    page = owner.visit("/settings/demo/integrations/bulk/?action=disable&all_matching=1"
                       "&filters=provider_key%3Dslack", "bulk-confirm")
    owner.submit(page.locator("form[action$='/bulk/apply/'] button[type=submit]"), "bulk-result")
    expect(page.locator("h1")).to_contain_text("disabled")
    owner.visit("/settings/demo/integrations/bulk/?action=nope&ids=1", "bulk-bad-input", 400)
    page = owner.visit("/settings/demo/integration-policy/", "policy")
    page.get_by_label("Block the providers chosen below").check()
    owner.submit(page.get_by_role("button", name="Save policy"), "policy-error", 400)
    expect(page.locator("#error-summary")).to_be_visible()
    page.get_by_label("Reason shown to members").fill("Tour: under review.")
    page.get_by_role("group", name="Integrations").get_by_label("Jira", exact=True).check()
    owner.submit(page.get_by_role("button", name="Save policy"), "policy-saved")
    owner.visit("/settings/demo/integrations/?policy=blocked", "integrations-blocked-by-policy")
    page = owner.visit("/settings/demo/integration-requests/", "requests-queue")
    owner.submit(page.get_by_role("link", name="Dismiss…").first, "requests-dismiss-confirm")
    owner.visit("/settings/demo/integration-requests/?kind=plugin", "requests-queue-filtered")
    owner.visit("/settings/demo/integration-requests/?state=all", "requests-all")
    owner.visit("/settings/demo/integration-requests/?state=nope", "requests-bad-state", 400)
    page = owner.visit("/settings/demo/audit-log/", "audit-log")
    page.get_by_label("Event").select_option("INTEGRATION_DISABLE")
    owner.submit(page.get_by_role("button", name="Apply"), "audit-log-filtered")
    page.locator("details.saved-views summary").click()
    page.get_by_label("Name for the current filters").fill("Disables")
    owner.submit(page.get_by_role("button", name="Save current view"), "audit-log-saved-view")
    owner.visit("/settings/demo/audit-log/?event=NOPE", "audit-log-bad-filter", 400)

    owner.visit("/doc-integrations/", "doc-integrations")
    owner.visit(f"/doc-integrations/{ids['published']}/", "doc-integration")
    owner.visit(f"/doc-integrations/{ids['draft']}/", "doc-integration-draft-404", 404)

    page = owner.visit("/account/tokens/", "tokens")
    owner.submit(page.get_by_role("button", name="Create token"), "tokens-error", 400)
    page.get_by_label("Name").fill("Tour script")
    owner.submit(page.get_by_role("button", name="Create token"), "tokens-created")
    expect(page.get_by_label("Token", exact=True)).to_have_value(re.compile(r"\S{20,}"))
    owner.submit(page.get_by_role("link", name="Revoke token “Tour script”"), "token-revoke-confirm")
    owner.visit("/settings/no-such-org/integrations/", "org-404", 404)
    owner.visit("/no/such/page/", "page-404", 404)
    # A narrow window (a laptop with the browser split): wide tables scroll inside their box,
    # the page itself never scrolls sideways.
    owner.page.set_viewport_size({"width": 900, "height": 900})
    owner.visit("/settings/demo/integrations/", "narrow-integrations")
    owner.visit("/settings/demo/audit-log/", "narrow-audit-log")
    owner.visit("/settings/demo/plugins/trello/", "narrow-plugin")
    owner.close()

    # -- member ---------------------------------------------------------------------------
    member = Tour(browser, live_server, "member", problems, counter)
    member.login("member@demo.example", passwords["member@demo.example"])
    page = member.visit("/settings/demo/integrations/", "member-integrations")
    # The audit log would answer 403: the member's nav leaves it out.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")).to_have_count(0)
    page = member.visit(slack, "member-installation")
    expect(page.get_by_role("button", name="Uninstall")).to_be_disabled()
    member.visit("/settings/demo/integrations/pagerduty/", "member-provider")
    page = member.visit("/settings/demo/integration-requests/", "member-requests")
    page.get_by_label("Provider slug").fill("no-such-provider")
    member.submit(page.get_by_role("button", name="Send request"), "member-request-error", 400)
    member.visit("/settings/demo/audit-log/", "member-audit-403", 403)
    member.visit("/settings/demo/plugins/trello/", "member-plugin")
    member.visit(f"/settings/demo/plugins/trello/projects/{ids['project']}/", "member-plugin-settings")
    member.visit(f"/settings/demo/sentry-apps/{ids['sentry_app']}/", "member-sentry-app")
    member.visit("/settings/demo/directory/?category=plugin", "member-directory-filtered")
    page = member.visit("/settings/demo/integration-policy/", "member-policy")
    expect(page.get_by_text("Only owners and managers can change the integration policy.")).to_be_visible()
    member.visit("/settings/demo/directory/?q=jira", "member-directory-blocked")
    member.visit("/settings/demo/integrations/bulk/?action=disable&ids=1", "member-bulk-403", 403)
    member.close()

    # -- staff ----------------------------------------------------------------------------
    staff = Tour(browser, live_server, "staff", problems, counter)
    staff.login("staff@demo.example", passwords["staff@demo.example"])
    staff.visit("/", "staff-home")
    page = staff.visit("/doc-integrations/", "staff-doc-integrations")
    page = staff.visit("/doc-integrations/?state=draft", "staff-doc-integrations-drafts")
    expect(page.locator("table.doc-integrations tbody tr")).to_have_count(3)
    page = staff.visit("/doc-integrations/new/", "staff-doc-new")
    page.get_by_label("URL", exact=True).fill("not a url")
    page.get_by_label("Title of resource 1").fill("Docs")
    page.get_by_label("URL of resource 1").fill("docs.example.com")
    staff.submit(page.get_by_role("button", name="Create draft"), "staff-doc-new-errors", 400)
    expect(page.get_by_label("URL of resource 1")).to_have_attribute("aria-invalid", "true")
    staff.visit(f"/doc-integrations/{ids['draft']}/", "staff-doc-draft")
    edit = f"/doc-integrations/{ids['published']}/edit/"
    first = staff.visit(edit, "staff-doc-edit")
    second = staff.new_page()
    second.goto(live_server + edit)
    first.get_by_label("Author", exact=True).fill("Tour Author One")
    staff.submit(first.get_by_role("button", name="Save changes"), "staff-doc-saved", page=first)
    second.get_by_label("Author", exact=True).fill("Tour Author Two")
    second.get_by_label("Draft").check()
    staff.submit(second.get_by_role("button", name="Save changes"), "staff-doc-409", 409, page=second)
    # The draft flag reads as a state, not as a Python bool.
    expect(second.locator("table.conflict-changes tr", has_text="is_draft")).to_contain_text("Draft")
    expect(second.locator("table.conflict-changes tr", has_text="is_draft")).to_contain_text("Published")
    second.close()
    staff.visit(f"/doc-integrations/{ids['published']}/logo/", "staff-doc-logo")
    staff.visit(f"/doc-integrations/{ids['published']}/delete/", "staff-doc-delete-confirm")
    staff.page.set_viewport_size({"width": 900, "height": 900})
    staff.visit("/doc-integrations/", "staff-narrow-doc-integrations")
    staff.page.set_viewport_size({"width": 1280, "height": 900})
    staff.visit("/settings/demo/integrations/?status=active&provider_key=slack", "staff-integrations")
    staff.visit("/settings/globex/integrations/", "staff-globex")
    staff.close()

    assert len(counter) >= 50
    assert not problems, "\n".join(problems)
