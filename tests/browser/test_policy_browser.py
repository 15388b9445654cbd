"""In Chromium at 1366×768: what the org's integration policy blocks looks the same on a
single provider's pages as in the directory — the Sentry app page and the provider page show
the "Blocked by policy" badge and the reason, with no "Request installation" — and the
owner's request queue shows a request for a blocked provider with the badge and the reason
and offers Dismiss only. Screenshots land in $POLICY_SHOTS (default /tmp/shots-gaps)."""

import os
from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import login_with_form
from webapp.extensions import db
from webapp.models import IntegrationRequest, SentryApp
from webapp.services.permissions import get_org_access
from webapp.services.policy import update_policy

SHOTS = Path(os.environ.get("POLICY_SHOTS", "/tmp/shots-gaps"))
REASON = "Security review pending: ask #it-security before adding chat or task tools."
FITS_JS = "(m => m.scrollWidth <= m.clientWidth)(document.querySelector('main'))"


def open_as(browser, live_server, email):
    """A logged-in page at 1366×768 of its own context."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    login_with_form(page, live_server, email, factories.PASSWORD)
    return context, page


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate(FITS_JS), f"{name}: the page scrolls sideways at 1366 px"


def test_blocked_provider_pages_and_queue(browser, live_server, org):
    member = factories.make_user(email="mia@example.com", name="Mia Member")
    owner = factories.make_user(email="olga@example.com", name="Olga Owner")
    factories.make_member(org, member, "member")
    factories.make_member(org, owner, "owner")
    db.session.add(SentryApp(slug="acme-triage", name="Acme Triage", author="Acme",
                             overview="Routes issues to the right team.", status="published"))
    for slug, name in (("trello", "Trello"), ("asana", "Asana")):
        db.session.add(IntegrationRequest(organization_id=org.id, requester_id=member.id,
                                          provider_type="plugin", provider_slug=slug,
                                          provider_name=name, message=f"We plan sprints in {name}.",
                                          status="open"))
    db.session.commit()
    update_policy(get_org_access(owner, "acme"), "block", REASON,
                  {"first_party": ["slack"], "plugin": ["trello"], "sentry_app": ["acme-triage"]},
                  None)
    db.session.commit()

    context, page = open_as(browser, live_server, "mia@example.com")
    for path, name, shot in (("/settings/acme/sentry-apps/acme-triage/", "Acme Triage", "sentry-app-blocked"),
                             ("/settings/acme/integrations/slack/", "Slack", "provider-blocked")):
        page.goto(live_server + path)
        main = page.locator("main")
        expect(main.locator(".policy-badge")).to_have_text("Blocked by policy")
        expect(main.locator(".policy-refusal")).to_have_text(
            f"{name} is blocked by this organization’s integration policy: {REASON}")
        expect(main.get_by_text("Request installation")).to_have_count(0)
        shoot(page, shot)
    # A provider the policy allows still offers the request, as before.
    page.goto(f"{live_server}/settings/acme/integrations/github/")
    expect(page.get_by_role("link", name="Request installation")).to_be_visible()
    expect(page.locator(".policy-badge")).to_have_count(0)
    context.close()

    context, page = open_as(browser, live_server, "olga@example.com")
    page.goto(f"{live_server}/settings/acme/integration-requests/")
    blocked = page.locator("tr.queue-row", has_text="Trello")
    expect(blocked.locator(".policy-badge")).to_be_visible()
    expect(blocked.locator(".policy-refusal")).to_have_text(
        f"Trello is blocked by this organization’s integration policy: {REASON}")
    expect(blocked.get_by_role("button", name="Mark done")).to_have_count(0)
    expect(blocked.get_by_role("link", name="Dismiss…")).to_be_visible()
    allowed = page.locator("tr.queue-row", has_text="Asana")
    expect(allowed.get_by_role("button", name="Mark done")).to_be_visible()
    expect(allowed.locator(".policy-badge")).to_have_count(0)
    shoot(page, "queue-blocked")

    # Dismiss is the way out for the blocked one.
    blocked.get_by_role("link", name="Dismiss…").click()
    page.get_by_role("button", name="Dismiss request").click()
    expect(page.get_by_text("Dismissed: the request for Trello by Mia Member.")).to_be_visible()
    expect(page.locator("tr.queue-row")).to_have_count(1)
    context.close()
