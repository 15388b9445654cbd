"""Layout with long values on the integration policy page and the bulk-action pages (issue
23's pages, SPEC §10 "Layout"), in headless Chromium at 1366×768 and 390×844, with the checks
of test_layout_browser.py (the page no wider than the window, sideways scrolling only inside
focusable named regions, row actions on screen), and axe-core's rules on every state shown
(when tests/browser/axe is installed, as for test_accessibility.py).

The data: the demo data and its long values (long_values.py), plus a policy that allows only
two providers with a 500-character unbroken reason (the most it takes), installations of
providers the catalog no longer knows under 64-character keys, and 200-character
installation names, so that the confirmation lists long names and the result lists many
skipped reasons, each carrying the long reason.
"""

import json
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import login_with_form
from tests.browser.long_values import LONG_WORD, seed_long_values
from tests.browser.test_accessibility import AXE_JS, AXE_PATH, RUN_AXE_JS
from tests.browser.test_layout_browser import VIEWPORTS, Visitor, assert_on_screen_across
from webapp.commands.demo import seed_demo
from webapp.extensions import db
from webapp.models import IntegrationRequest, ObjectStatus, Organization, SentryApp, User
from webapp.services.integrations import uninstall_integration
from webapp.services.permissions import get_org_access
from webapp.services.policy import ALLOW_ONLY, BLOCK, REASON_MAX_LENGTH, update_policy

# Unbroken and non-ASCII, as long as a reason may be.
POLICY_REASON = ("Ä" + LONG_WORD * 9)[:REASON_MAX_LENGTH]
# A provider this version's catalog does not know: its key is all the pages can name it by.
UNKNOWN_PROVIDERS = ("ж" * 64, "q" * 64)
LONG_APP_NAME = ("Σύστημα παρακολούθησης " + LONG_WORD)[:64]
BLOCKED_APP_NAME = ("Блокированное приложение " + LONG_WORD)[:64]


class AxeVisitor(Visitor):
    """A Visitor whose check() also runs axe-core on the page (when it is installed)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.context.route(self.base + AXE_PATH, lambda route: route.fulfill(
            path=str(AXE_JS), content_type="text/javascript"))

    def check(self, name: str):
        page = super().check(name)
        if AXE_JS.exists():
            if not page.evaluate("typeof window.axe !== 'undefined'"):
                page.add_script_tag(url=self.base + AXE_PATH)
            for violation in page.evaluate(RUN_AXE_JS):
                self.problems.append(f"{self.size[0]}px {self.who} · {name}: axe "
                                     + json.dumps(violation, ensure_ascii=False))
        return page


@pytest.fixture
def settings_data(app):
    """The demo data with long values, the long policy and the long installations."""
    seeded = seed_demo(scale=1)
    seed_long_values()
    demo = db.session.scalar(select(Organization).where(Organization.slug == "demo"))
    owner = db.session.scalar(select(User).where(User.email == "owner@demo.example"))
    db.session.add(SentryApp(slug="m" * 64, name=LONG_APP_NAME, author="C" * 255,
                             overview=LONG_WORD, status="published"))
    chosen, chosen_names = [], []
    for n, provider in enumerate((*UNKNOWN_PROVIDERS, "slack", "github", "jira", "pagerduty")):
        integration = factories.make_integration(
            provider, external_id=f"long-{n}", name=(f"{n} Ö" + LONG_WORD * 4)[:200])
        factories.install(demo, integration, status=ObjectStatus.DISABLED)
        chosen.append(integration.id)
        chosen_names.append(integration.name)
    db.session.flush()
    # Two saves: the history shows a diff of the long reason.
    update_policy(get_org_access(owner, "demo"), BLOCK, "ß" * REASON_MAX_LENGTH,
                  {"first_party": ["jira"], "plugin": [], "sentry_app": []}, None, "10.0.0.1")
    update_policy(get_org_access(owner, "demo"), ALLOW_ONLY, POLICY_REASON,
                  {"first_party": ["slack", "github"], "plugin": ["webhooks"],
                   "sentry_app": ["s" * 64, "m" * 64]}, None, "10.0.0.1")
    db.session.commit()
    passwords = {login.email: login.password for login in seeded.logins}
    return passwords, chosen, chosen_names


def bulk_url(**args) -> str:
    return "/settings/demo/integrations/bulk/?" + urlencode(args, doseq=True)


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda size: f"{size[0]}px")
def test_policy_and_bulk_pages_fit_with_long_values(browser, live_server, settings_data, size):
    passwords, chosen, chosen_names = settings_data
    problems: list[str] = []
    width = size[0]

    owner = AxeVisitor(browser, live_server, size, "owner", problems)
    login_with_form(owner.page, live_server, "owner@demo.example", passwords["owner@demo.example"])

    # The policy: its long reason whole in the summary, long app names beside their boxes.
    page = owner.visit("/settings/demo/integration-policy/", "policy")
    expect(page.locator(".policy-summary")).to_contain_text(POLICY_REASON)
    expect(page.get_by_label("Reason shown to members")).to_have_value(POLICY_REASON)
    expect(page.get_by_role("checkbox", name=LONG_APP_NAME)).to_be_checked()
    assert_on_screen_across(page.get_by_role("checkbox", name="Σ" * 64), width)
    assert_on_screen_across(page.get_by_role("button", name="Save policy"), width)

    # A reason of 1,000 characters: refused, its error beside the box, the value kept.
    reason = page.get_by_label("Reason shown to members")
    reason.evaluate("(el, v) => { el.removeAttribute('maxlength'); el.value = v; }", "Ж" * 1000)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save policy").click()
    assert navigation.value.status == 400
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_value("Ж" * 1000)
    error = page.locator("#reason-error")
    expect(error).to_have_text(f"Reason must be at most {REASON_MAX_LENGTH} characters (it has 1,000).")
    # The message is under its box (below the help text), not elsewhere on the page.
    box, message = reason.bounding_box(), error.bounding_box()
    assert 0 <= message["y"] - (box["y"] + box["height"]) < 80, (box, message)
    owner.check("policy-error")

    # Someone else saves meanwhile: the conflict shows both long reasons side by side.
    page = owner.visit("/settings/demo/integration-policy/", "policy")
    page.get_by_label("Reason shown to members").fill("Ö" * REASON_MAX_LENGTH)
    owner_user = db.session.scalar(select(User).where(User.email == "owner@demo.example"))
    update_policy(get_org_access(owner_user, "demo"), ALLOW_ONLY, "ü" * REASON_MAX_LENGTH,
                  {"first_party": ["slack", "github"], "plugin": ["webhooks"],
                   "sentry_app": ["s" * 64, "m" * 64]}, None, "10.0.0.2")
    db.session.commit()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save policy").click()
    assert navigation.value.status == 409
    mine = page.locator(".conflict-changes > dd > div", has_text="Your value (not saved)")
    expect(mine).to_have_count(1)
    mine.get_by_text("Show all 500 characters").click()
    expect(mine.locator(".long-text-full")).to_have_text("Ö" * REASON_MAX_LENGTH)
    expect(mine.locator(".long-text-full")).to_be_visible()
    expect(page.locator(".conflict-changes > dt")).to_have_text(["Reason shown to members"])
    owner.check("policy-conflict")
    # Put the long reason back (the pages below show it in their skip reasons).
    update_policy(get_org_access(owner_user, "demo"), ALLOW_ONLY, POLICY_REASON,
                  {"first_party": ["slack", "github"], "plugin": ["webhooks"],
                   "sentry_app": ["s" * 64, "m" * 64]}, None, "10.0.0.2")
    db.session.commit()

    # Chosen rows: long names under their providers, unknown 64-character provider keys,
    # and the long reason in every blocked provider's skip reason.
    page = owner.visit(bulk_url(action="enable", ids=chosen), "bulk-confirm-chosen")
    expect(page.locator("h1")).to_have_text("Enable 2 installations?")
    skipped = page.get_by_role("region", name="Installations skipped, by reason")
    expect(skipped.locator("tbody tr")).to_have_count(4)
    expect(skipped).to_contain_text(f"{UNKNOWN_PROVIDERS[0]} is blocked by this organization’s "
                                    f"integration policy: {POLICY_REASON}")
    assert_on_screen_across(page.get_by_role("button", name="Enable 2 installations"), width)
    assert_on_screen_across(page.get_by_role("link", name="Cancel"), width)
    # Each chosen row's name, cut at 60 characters, under the reason it is skipped for.
    jira = skipped.get_by_role("row").filter(has_text="Jira is blocked")
    expect(jira.locator(".bulk-names")).to_have_text(f"{chosen_names[4][:59]}…")

    # All matching a long search: the filter in words, wrapped.
    page = owner.visit(bulk_url(action="disable", all_matching="1", filters="q=" + "Ä" * 200),
                       "bulk-confirm-search")
    expect(page.locator("h1")).to_have_text("Nothing to disable")
    expect(page.get_by_text("No installation of Demo Company matches:")).to_be_visible()
    assert_on_screen_across(page.locator(".filter-chip"), width)
    # A damaged request: nothing planned, the errors beside what they are about.
    page = owner.visit(bulk_url(action="frobnicate", all_matching="1",
                                filters="status=" + "Ä" * 300), "bulk-confirm-error", status=400)
    expect(page.get_by_text("Nothing was changed.")).to_be_visible()

    # Every installation: many skip reasons, most of them long; apply, then the result.
    page = owner.visit(bulk_url(action="enable", all_matching="1", filters=""), "bulk-confirm-all")
    rows = page.get_by_role("region", name="Installations skipped, by reason").locator("tbody tr")
    assert rows.count() >= 6
    with page.expect_navigation():
        page.get_by_role("button", name="Enable").click()
    expect(page.locator("h1")).to_contain_text(" enabled, ")
    result = page.url.removeprefix(live_server)
    owner.check("bulk-result")
    reasons = page.get_by_role("region", name="Skipped, and why")
    blocked = reasons.get_by_role("row").filter(has_text=f"{UNKNOWN_PROVIDERS[1]} is blocked")
    blocked.get_by_text("Show all").click()
    expect(blocked.locator(".long-text-full")).to_have_text(
        f"{UNKNOWN_PROVIDERS[1]} is blocked by this organization’s integration policy: {POLICY_REASON}")
    expect(blocked.locator(".long-text-full")).to_be_visible()
    owner.check("bulk-result-reason-open")
    assert_on_screen_across(page.get_by_role("link", name="Back to the list"), width)
    assert_on_screen_across(page.get_by_role("link", name="See the audit log"), width)
    owner.visit(result, "bulk-result-again")

    # A refused saved view: its own 400 page, the name as typed and the message beside it.
    page = owner.visit("/settings/demo/integrations/?q=" + "Ä" * 200, "list-long-search")
    page.locator("details.saved-views > summary").click()
    name = page.get_by_label("Name for the current filters")
    name.evaluate("(el, v) => { el.removeAttribute('maxlength'); el.value = v; }", "Ж" * 101)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save current view").click()
    assert navigation.value.status == 400
    expect(page.locator("h1")).to_have_text("Save this view")
    expect(page.locator("#name-error")).to_have_text("Name must be at most 100 characters.")
    expect(page.get_by_label("Name")).to_have_value("Ж" * 101)
    owner.check("saved-view-refused")
    page.get_by_label("Name").fill("Long search")
    with page.expect_navigation():
        page.get_by_role("button", name="Save view").click()
    assert "/settings/demo/integrations/" in page.url
    expect(page.get_by_text("Saved view “Long search” created.")).to_be_visible()
    owner.close()

    # A member reads the policy (the form shown disabled, with why).
    member = AxeVisitor(browser, live_server, size, "member", problems)
    login_with_form(member.page, live_server, "member@demo.example", passwords["member@demo.example"])
    page = member.visit("/settings/demo/integration-policy/", "policy-member")
    expect(page.locator(".disabled-reason")).to_be_visible()
    member.close()

    assert not problems, "\n".join(problems)


def blocked_refusal(name: str) -> str:
    return f"{name} is blocked by this organization’s integration policy: {POLICY_REASON}"


@pytest.fixture
def blocked_data(settings_data):
    """settings_data plus what the policy now blocks: a Jira installation with a 200-character
    name that was active when the owner uninstalled it (pending deletion), a published sentry
    app outside the allowed ones, and the member's own open request for Jira (1,000 characters)."""
    passwords, _, _ = settings_data
    demo = db.session.scalar(select(Organization).where(Organization.slug == "demo"))
    owner = db.session.scalar(select(User).where(User.email == "owner@demo.example"))
    member = db.session.scalar(select(User).where(User.email == "member@demo.example"))
    name = ("Ю pending " + LONG_WORD * 4)[:200]
    integration = factories.make_integration("jira", external_id="long-pending", name=name)
    oi = factories.install(demo, integration, status=ObjectStatus.ACTIVE)
    uninstall_integration(owner, oi, "10.0.0.1")
    db.session.add(SentryApp(slug="b" * 64, name=BLOCKED_APP_NAME, author="D" * 255,
                             overview=LONG_WORD * 3, status="published"))
    db.session.add(IntegrationRequest(
        organization_id=demo.id, requester_id=member.id, provider_type="first_party",
        provider_slug="jira", provider_name="Jira", message="ы" * 1000, status="open"))
    db.session.commit()
    return passwords, integration.id, name


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda size: f"{size[0]}px")
def test_blocked_provider_pages_fit_with_long_values(browser, live_server, blocked_data, size):
    passwords, integration_id, name = blocked_data
    problems: list[str] = []
    width = size[0]

    owner = AxeVisitor(browser, live_server, size, "owner", problems)
    login_with_form(owner.page, live_server, "owner@demo.example", passwords["owner@demo.example"])

    # Restoring a pending-deletion installation the policy now blocks: it comes back
    # disabled, and the page says why with the whole long reason.
    page = owner.visit(f"/settings/demo/integrations/jira/{integration_id}/restore/",
                       "restore-blocked")
    back = page.get_by_text("it comes back disabled: ")
    expect(back).to_contain_text(blocked_refusal("Jira"))
    expect(back).to_contain_text(name)
    assert_on_screen_across(page.get_by_role("button", name="Restore"), width)

    # The provider and sentry-app pages: badge and reason instead of a request button.
    for path, shown, shot in (("/settings/demo/integrations/jira/", "Jira", "provider-blocked"),
                              (f"/settings/demo/sentry-apps/{'b' * 64}/", BLOCKED_APP_NAME,
                               "sentry-app-blocked")):
        page = owner.visit(path, shot)
        main = page.locator("main")
        expect(main.locator(".policy-badge")).to_have_text("Blocked by policy")
        expect(main.locator(".policy-refusal")).to_have_text(blocked_refusal(shown))
        expect(main.get_by_text("Request installation")).to_have_count(0)
        assert_on_screen_across(main.locator(".policy-badge"), width)

    # The owner's queue: the blocked request offers Dismiss only.
    page = owner.visit("/settings/demo/integration-requests/", "requests-blocked-owner")
    row = page.locator("tr.queue-row", has_text="ы" * 50).filter(has=page.locator(".policy-badge"))
    expect(row).to_have_count(1)
    expect(row.locator(".policy-refusal")).to_have_text(blocked_refusal("Jira"))
    expect(row.get_by_role("button", name="Mark done")).to_have_count(0)
    assert_on_screen_across(row.get_by_role("link", name="Dismiss…"), width)
    owner.close()

    # The member's own request, in "Your requests": badge and the long reason.
    member = AxeVisitor(browser, live_server, size, "member", problems)
    login_with_form(member.page, live_server, "member@demo.example", passwords["member@demo.example"])
    page = member.visit("/settings/demo/integration-requests/", "requests-blocked-member")
    mine = page.locator("tr[data-blocked]", has_text="Jira")
    expect(mine).to_have_count(1)
    expect(mine.locator(".policy-badge")).to_be_visible()
    expect(mine.locator(".policy-refusal")).to_have_text(blocked_refusal("Jira"))
    assert_on_screen_across(mine.locator(".policy-badge"), width)
    # The three columns fit the window: the outcome is not cut off at the right.
    assert_on_screen_across(page.get_by_role("columnheader", name="Outcome"), width)
    assert_on_screen_across(mine.locator(".request-outcome"), width)
    member.close()

    assert not problems, "\n".join(problems)
