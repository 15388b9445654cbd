"""axe-core over every HTML page of SPEC §6, as the anonymous visitor, an owner, a member and
staff would see them on the demo data: 0 violations on each.

axe-core comes from the npm registry (tests/browser/axe/package.json and its lock file;
`make axe`, part of `make test`, installs it) and is served to the browser by the test from
that folder, on the app's own origin (so the app's CSP allows it): nothing from a CDN. Without
it (no npm on the machine) the test is skipped and says so. axe runs with its default rules:
WCAG 2 A and AA, and its best practices (landmarks, headings, regions).
"""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import demo_ids, login_with_form
from webapp.commands.demo import seed_demo
from webapp.extensions import db
from webapp.models import User
from webapp.services.permissions import get_org_access
from webapp.services.policy import update_policy

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__test-only/axe.min.js"  # answered by the test's route, never by the app

pytestmark = pytest.mark.skipif(
    not AXE_JS.exists(),
    reason="axe-core is not installed: run `make axe` (needs npm) for the accessibility test",
)

RUN_AXE_JS = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ')),
  }));
}"""


class Auditor:
    """One browser context as one user: audit(path) loads a page, runs axe on it and keeps
    every violation, named by user and page."""

    def __init__(self, browser, base: str, who: str, problems: list[str]):
        # Reduced motion: Bootstrap then skips its transitions, so axe never measures the
        # colours of a button halfway through one.
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           reduced_motion="reduce")
        self.context.route(base + AXE_PATH, lambda route: route.fulfill(
            path=str(AXE_JS), content_type="text/javascript"))
        self.page = self.context.new_page()
        self.base, self.who, self.problems = base, who, problems
        self.audited: list[str] = []

    def login(self, email: str, password: str):
        login_with_form(self.page, self.base, email, password)

    def audit(self, path: str | None, name: str, status: int = 200, before=None):
        """Go to `path` (None: stay on the current page), do `before(page)` (open a menu…),
        then check the status and run axe."""
        page = self.page
        if path is not None:
            response = page.goto(self.base + path)
            assert response.status == status, f"{self.who} · {name}: status {response.status}"
        if before is not None:
            before(page)
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=self.base + AXE_PATH)
        for violation in page.evaluate(RUN_AXE_JS):
            self.problems.append(f"{self.who} · {name} ({page.url.removeprefix(self.base)}): "
                                 + json.dumps(violation, ensure_ascii=False))
        self.audited.append(name)
        return page

    def submit(self, button, name: str, status: int = 200):
        """Click a submit button, then audit the page the navigation ends on."""
        with self.page.expect_navigation() as navigation:
            button.click()
        assert navigation.value.status == status, f"{self.who} · {name}: status {navigation.value.status}"
        return self.audit(None, name)

    def close(self):
        self.context.close()


def open_details(selector: str):
    def open_it(page):
        page.locator(selector).first.click()
    return open_it


def org_pages(auditor: Auditor, ids: dict, *, can_admin: bool, can_see_audit: bool):
    """The org's pages every member sees (an admin's installation page has its forms)."""
    slack = f"/settings/demo/integrations/slack/{ids['slack'][0]}/"
    a = auditor
    a.audit("/", "home")
    a.audit("/settings/demo/", "org-home")
    a.audit("/settings/demo/integrations/", "integrations")
    a.audit(None, "integrations-filter-open", before=open_details("summary#status"))
    a.audit(None, "integrations-saved-views-open", before=open_details("details.saved-views summary"))
    a.audit("/settings/demo/integrations/?status=active&status=disabled&provider_key=slack",
            "integrations-filtered")
    a.audit("/settings/demo/integrations/?q=no-such-thing", "integrations-no-match")
    a.audit("/settings/demo/integrations/?features=nope&sort=bad", "integrations-bad-filter", 400)
    a.audit("/settings/demo/integrations/slack/", "provider")
    a.audit(slack, "installation")
    a.audit(f"/settings/demo/integrations/{ids['disabled'][1]}/{ids['disabled'][0]}/",
            "installation-disabled")
    a.audit(slack + "uninstall/", "uninstall-confirm", 200 if can_admin else 403)
    a.audit(slack + "disable/", "disable-confirm", 200 if can_admin else 403)
    a.audit(f"/settings/demo/integrations/{ids['pending'][1]}/{ids['pending'][0]}/",
            "installation-pending-deletion")
    a.audit(f"/settings/demo/integrations/{ids['pending'][1]}/{ids['pending'][0]}/restore/",
            "restore-confirm", 200 if can_admin else 403)
    a.audit("/settings/demo/integrations/bulk/?action=disable&all_matching=1&filters=provider_key%3Dslack",
            "bulk-confirm", 200 if can_admin else 403)
    a.audit("/settings/demo/integration-policy/", "integration-policy")
    a.audit("/settings/demo/integration-requests/?state=all", "requests-all")
    a.audit("/settings/demo/audit-log/?date_from=2020-01-01&date_to=2030-01-01", "audit-log-dates",
            200 if can_see_audit else 403)
    a.audit("/account/", "account")
    a.audit("/settings/demo/directory/", "directory")
    a.audit("/settings/demo/directory/?category=plugin&installed=no", "directory-filtered")
    a.audit(f"/settings/demo/sentry-apps/{ids['sentry_app']}/", "sentry-app")
    a.audit("/settings/demo/plugins/", "plugins")
    a.audit(None, "plugins-filter-open", before=open_details("summary#plugins"))
    a.audit("/settings/demo/plugins/?plugins=trello&plugins=webhooks", "plugins-filtered")
    a.audit("/settings/demo/plugins/trello/", "plugin")
    a.audit(f"/settings/demo/plugins/trello/projects/{ids['project']}/", "plugin-settings")
    a.audit("/settings/demo/integration-requests/", "requests")
    a.audit("/settings/demo/audit-log/", "audit-log", 200 if can_see_audit else 403)
    a.audit("/doc-integrations/", "doc-integrations")
    a.audit(f"/doc-integrations/{ids['published']}/", "doc-integration")
    a.audit("/account/tokens/", "tokens")
    a.audit("/no/such/page/", "page-404", 404)
    a.audit("/settings/no-such-org/integrations/", "org-404", 404)


@pytest.fixture
def demo(app):
    seeded = seed_demo(scale=1)
    db.session.commit()
    return {login.email: login.password for login in seeded.logins}, demo_ids()


def test_anonymous_pages_have_no_axe_violations(browser, live_server, demo):
    problems: list[str] = []
    anon = Auditor(browser, live_server, "anonymous", problems)
    page = anon.audit("/login/", "login")
    page.get_by_label("Email").fill("owner@demo.example")
    page.get_by_label("Password").fill("not the password")
    anon.submit(page.get_by_role("button", name="Log in"), "login-error", 400)
    anon.audit("/no/such/page/", "page-404", 404)
    anon.close()
    assert not problems, "\n".join(problems)


def owner_pages(owner: Auditor, ids: dict):
    """Pages after an owner's actions: a created token, a refused plugin settings post."""
    page = owner.audit("/account/tokens/", "tokens")
    page.get_by_label("Name").fill("Axe script")
    owner.submit(page.get_by_role("button", name="Create token"), "tokens-created")
    page = owner.audit(f"/settings/demo/plugins/trello/projects/{ids['unconfigured']}/",
                       "plugin-settings-new")
    page.locator("form.plugin-settings").evaluate("f => f.noValidate = true")
    page.get_by_label("Trello organization").fill("acme-boards")
    page.get_by_label("Enabled for this project").check()
    owner.submit(page.get_by_role("button", name="Save settings"), "plugin-settings-error", 400)
    # The list's bulk form with the whole page ticked (the all-matching offer shown), and
    # the rows of a provider the policy blocks, with their badge and the filter chosen.
    owner.audit("/settings/demo/integrations/", "integrations-bulk-ticked",
                before=lambda page: page.get_by_label("Select all on this page").check())
    user = db.session.scalar(select(User).where(User.email == "owner@demo.example"))
    update_policy(get_org_access(user, "demo"), "block", "Security review pending.",
                  {"first_party": ["slack", "msteams"]}, None)
    db.session.commit()
    page = owner.audit("/settings/demo/integrations/?provider_key=slack", "integrations-policy-badges")
    assert page.locator("td .policy-badge").count() == page.locator("tbody tr").count() > 0
    # A blocked provider's own page, and the queue's open request for one (Dismiss only).
    page = owner.audit("/settings/demo/integrations/slack/", "provider-blocked")
    assert page.locator("main .policy-badge").count() == 1
    page = owner.audit("/settings/demo/integration-requests/", "requests-queue-blocked")
    assert page.locator("tr.queue-row .policy-badge").count() == 1
    owner.audit("/settings/demo/integrations/?policy=blocked&provider_key=github",
                "integrations-policy-none-blocked")


def member_pages(member: Auditor, ids: dict):
    """A refused install request; a draft doc integration is a 404 for a member."""
    page = member.audit("/settings/demo/integration-requests/", "requests")
    page.get_by_label("Provider slug").fill("no-such-provider")
    member.submit(page.get_by_role("button", name="Send request"), "request-error", 400)
    member.audit(f"/doc-integrations/{ids['draft']}/", "doc-draft-404", 404)


def staff_pages(staff: Auditor, ids: dict):
    """The doc-integration pages only staff have, a refused create included."""
    staff.audit("/doc-integrations/?state=draft", "doc-integrations-drafts")
    page = staff.audit("/doc-integrations/new/", "doc-new")
    page.locator("form").filter(has=page.get_by_label("Author", exact=True)).evaluate(
        "f => f.noValidate = true")
    page.get_by_label("URL", exact=True).fill("not a url")
    staff.submit(page.get_by_role("button", name="Create draft"), "doc-new-errors", 400)
    staff.audit(f"/doc-integrations/{ids['draft']}/", "doc-draft")
    staff.audit(f"/doc-integrations/{ids['published']}/edit/", "doc-edit")
    staff.audit(f"/doc-integrations/{ids['published']}/logo/", "doc-logo")
    staff.audit(f"/doc-integrations/{ids['published']}/delete/", "doc-delete-confirm")


@pytest.mark.parametrize("who, more_pages", [
    ("owner", owner_pages), ("member", member_pages), ("staff", staff_pages)])
def test_pages_have_no_axe_violations(browser, live_server, demo, who, more_pages):
    passwords, ids = demo
    problems: list[str] = []
    auditor = Auditor(browser, live_server, who, problems)
    auditor.login(f"{who}@demo.example", passwords[f"{who}@demo.example"])
    org_pages(auditor, ids, can_admin=who != "member", can_see_audit=who != "member")
    more_pages(auditor, ids)
    auditor.close()
    assert len(auditor.audited) >= 30
    assert not problems, "\n".join(problems)
