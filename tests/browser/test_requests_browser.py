"""In Chromium: a member finds a provider in the directory and requests it with a message;
the owner sees it in the queue and marks it done. Screenshots land in screenshots/."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import login_with_form
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    DocIntegration,
    IntegrationFeature,
    IntegrationRequest,
    SentryApp,
)

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def log_in(page, live_server, email):
    login_with_form(page, live_server, email, factories.PASSWORD)


def test_member_requests_owner_marks_done(page, browser, live_server, org):
    factories.make_member(org, factories.make_user(email="mia@example.com", name="Mia Member"), "member")
    factories.make_member(org, factories.make_user(email="olga@example.com", name="Olga Owner"), "owner")
    factories.install(org, factories.make_integration("slack"))
    triage = SentryApp(slug="acme-triage", name="Acme Triage", author="Acme",
                       overview="Routes issues to the right team.\n\nSet up in two minutes.",
                       status="published")
    db.session.add(triage)
    db.session.flush()
    db.session.add_all(IntegrationFeature(target_type=0, target_id=triage.id, feature=f,
                                          user_description=note)
                       for f, note in ((0, None), (3, "Sends events to the triage queue.")))
    db.session.add(DocIntegration(name="Datadog Docs", slug="datadog-docs", author="Datadog",
                                  description="How to forward Sentry events to Datadog.",
                                  url="https://docs.example/", is_draft=False))
    db.session.commit()
    SHOTS.mkdir(exist_ok=True)
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)

    # The member searches the directory for PagerDuty.
    log_in(page, live_server, "mia@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory").click()
    page.wait_for_url(re.compile(r"/settings/acme/directory/"))
    page.screenshot(path=str(SHOTS / "directory.png"), full_page=True)
    page.get_by_label("Search").fill("pager")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"q=pager"))
    row = page.locator("tr.directory-entry[data-kind='first_party'][data-slug='pagerduty']")
    expect(row.get_by_text("Not installed")).to_be_visible()
    page.screenshot(path=str(SHOTS / "directory-search.png"), full_page=True)
    row.get_by_role("link", name="Request installation").click()

    # The form arrives prefilled; the member adds a message and sends it.
    page.wait_for_url(re.compile(r"/settings/acme/integration-requests/\?provider_type=first_party"))
    expect(page.get_by_label("Provider slug")).to_have_value("pagerduty")
    expect(page.get_by_label("Type")).to_have_value("first_party")
    expect(page.get_by_text("You are requesting PagerDuty (integration).")).to_be_visible()
    expect(page.get_by_text("Only owners and managers can resolve install requests.")).to_be_visible()
    page.get_by_label("Message (optional)").fill("We need on-call paging for the payments team.")
    page.screenshot(path=str(SHOTS / "request-form.png"), full_page=True)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request for PagerDuty was sent.")).to_be_visible()
    mine = page.locator("table.my-requests")
    expect(mine.get_by_role("link", name="PagerDuty")).to_be_visible()
    expect(mine.get_by_text("Open", exact=True)).to_be_visible()
    page.screenshot(path=str(SHOTS / "request-sent.png"), full_page=True)

    # Asking again is refused beside the field.
    page.get_by_label("Provider slug").fill("pagerduty")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#provider_slug-error")).to_have_text("You already requested PagerDuty.", use_inner_text=True)
    page.screenshot(path=str(SHOTS / "request-duplicate.png"), full_page=True)

    # The owner, in a separate browser context, sees it in the queue and marks it done.
    context = browser.new_context()
    owner_page = context.new_page()
    log_in(owner_page, live_server, "olga@example.com")
    owner_page.goto(f"{live_server}/settings/acme/integration-requests/")
    queue_row = owner_page.locator("table.request-queue tbody tr")
    expect(queue_row).to_have_count(1)
    expect(queue_row.get_by_role("cell", name="Mia Member mia@example.com")).to_be_visible()
    expect(queue_row.get_by_text("We need on-call paging for the payments team.")).to_be_visible()
    expect(queue_row.get_by_text("just now")).to_be_visible()
    owner_page.screenshot(path=str(SHOTS / "request-queue.png"), full_page=True)
    queue_row.get_by_role("button", name="Mark done").click()
    expect(owner_page.get_by_text("Marked as done: the request for PagerDuty by Mia Member.")).to_be_visible()
    expect(owner_page.get_by_role("heading", name="No open requests")).to_be_visible()
    owner_page.screenshot(path=str(SHOTS / "request-queue-done.png"), full_page=True)

    # The sentry-app page, seen by the owner.
    owner_page.goto(f"{live_server}/settings/acme/sentry-apps/acme-triage/")
    expect(owner_page.locator("ul.feature-list li")).to_have_count(2)
    expect(owner_page.locator("ul.feature-list strong").first).to_have_text("utilize the API", use_inner_text=True)
    owner_page.screenshot(path=str(SHOTS / "sentry-app.png"), full_page=True)
    context.close()

    # The member now sees the request as done.
    page.goto(f"{live_server}/settings/acme/integration-requests/")  # not reload: that re-POSTs
    expect(page.locator("table.my-requests").get_by_text("Done", exact=True)).to_be_visible()
    page.goto(f"{live_server}/settings/acme/sentry-apps/acme-triage/")
    expect(page.get_by_role("link", name="Request installation")).to_be_visible()
    page.screenshot(path=str(SHOTS / "sentry-app-member.png"), full_page=True)

    db.session.expire_all()
    [stored] = db.session.query(IntegrationRequest).all()
    assert stored.status == "done" and stored.provider_slug == "pagerduty"
    events = sorted(e.event for e in db.session.query(AuditLogEntry).all())
    assert events == ["INTEGRATION_REQUEST", "INTEGRATION_REQUEST_RESOLVE"]
    assert external == []


def test_owner_dismisses_with_a_reason_member_sees_it(page, browser, live_server, org):
    """The owner works a queue holding a long message: Dismiss… asks first, takes a reason
    (refused beside the field when too long), then the member sees the outcome; the resolved
    view shows it too. The owner's directory says how to install what is not installed."""
    factories.make_member(org, factories.make_user(email="mia@example.com", name="Mia Member"), "member")
    factories.make_member(org, factories.make_user(email="olga@example.com", name="Olga Owner"), "owner")
    db.session.commit()
    SHOTS.mkdir(exist_ok=True)

    log_in(page, live_server, "mia@example.com")
    page.goto(f"{live_server}/settings/acme/integration-requests/?provider_type=plugin&provider_slug=trello")
    page.get_by_label("Message (optional)").fill("x" * 1000)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request for Trello was sent.")).to_be_visible()

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    owner = context.new_page()
    log_in(owner, live_server, "olga@example.com")
    owner.goto(f"{live_server}/settings/acme/integration-requests/")
    row = owner.locator("table.request-queue tbody tr")
    expect(row).to_have_count(1)
    owner.screenshot(path=str(SHOTS / "request-queue-long-message.png"), full_page=True)
    row.get_by_role("link", name="Dismiss…").click()

    owner.wait_for_url(re.compile(r"/integration-requests/\d+/dismiss/\?next="))
    expect(owner.get_by_role("heading", level=1)).to_have_text("Dismiss the request for Trello by Mia Member?")
    owner.locator("form.dismiss-form").evaluate("f => f.noValidate = true")
    owner.get_by_label("Reason (optional)").fill("y" * 501)
    owner.get_by_role("button", name="Dismiss request").click()
    expect(owner.locator("#reason-error")).to_have_text("Reason must be at most 500 characters (it has 501).",
                                                       use_inner_text=True)
    owner.get_by_label("Reason (optional)").fill("Boards live in Jira now; ask for Jira instead.")
    owner.screenshot(path=str(SHOTS / "request-dismiss-confirm.png"), full_page=True)
    owner.get_by_role("button", name="Dismiss request").click()
    expect(owner.get_by_text("Dismissed: the request for Trello by Mia Member.")).to_be_visible()
    expect(owner.get_by_role("heading", name="No open requests")).to_be_visible()

    owner.get_by_label("State").select_option("dismissed")
    owner.get_by_role("button", name="Apply").click()
    owner.wait_for_url(re.compile(r"state=dismissed"))
    resolved = owner.locator("table.request-queue tbody tr")
    expect(resolved).to_have_count(1)
    expect(resolved.locator(".request-outcome")).to_contain_text("Dismissed by Olga Owner")
    expect(resolved.locator(".request-outcome")).to_contain_text("Boards live in Jira now")
    owner.screenshot(path=str(SHOTS / "request-queue-dismissed.png"), full_page=True)

    owner.goto(f"{live_server}/settings/acme/directory/?q=trello")
    plugin_row = owner.locator("tr.directory-entry[data-kind='plugin'][data-slug='trello']")
    expect(plugin_row.get_by_role("link", name="Enable on a project")).to_be_visible()
    expect(plugin_row.get_by_text("Installed by enabling it on a project")).to_be_visible()
    owner.screenshot(path=str(SHOTS / "directory-owner-next-step.png"), full_page=True)
    context.close()

    page.goto(f"{live_server}/settings/acme/integration-requests/")
    mine = page.locator("table.my-requests")
    expect(mine.get_by_text("Dismissed", exact=True)).to_be_visible()
    expect(mine.get_by_text("Boards live in Jira now; ask for Jira instead.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "request-member-outcome.png"), full_page=True)
    db.session.expire_all()
    [stored] = db.session.query(IntegrationRequest).all()
    assert stored.status == "dismissed"
    assert stored.resolution_reason == "Boards live in Jira now; ask for Jira instead."
