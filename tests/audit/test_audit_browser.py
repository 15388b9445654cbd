"""The audit log in headless Chromium: filter, save a view, re-apply it; screenshots audit-*.png."""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import (  # noqa: F401 - fixtures shared with the browser suite
    CHROMIUM,
    browser_login,
    browser_type_launch_args,
    live_server,
)
from webapp.extensions import db
from webapp.services.audit import diff_values, record_audit

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed"),
]


def seed(org):
    owner = factories.make_user(email="olga@example.com", name="Olga Owner")
    factories.make_member(org, owner, "owner")
    admin = factories.make_user(email="adam@example.com", name="Adam Admin")
    factories.make_member(org, admin, "admin")
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    events = [
        ("INTEGRATION_EDIT", owner, "Slack · acme-team",
         diff_values({"channel": "#ops", "unfurl": False}, {"channel": "#alerts", "unfurl": True})),
        ("INTEGRATION_DISABLE", admin, "GitHub · acme-org", {"status": {"before": "active", "after": "disabled"}}),
        ("INTEGRATION_REQUEST", admin, "PagerDuty", {}),
        ("INTEGRATION_EDIT", admin, "Jira · acme.atlassian.net",
         diff_values({"sync_status": "off"}, {"sync_status": "two-way"})),
        ("INTEGRATION_REMOVE", None, "Opsgenie · acme", {"status": {"before": "pending_deletion", "after": "removed"}}),
        ("INTEGRATION_ENABLE", owner, "GitHub · acme-org", {"status": {"before": "disabled", "after": "active"}}),
    ]
    for i, (event, actor, target, changes) in enumerate(events):
        entry = record_audit(event=event, actor=actor, organization=org,
                             target_type="organization_integration", target_id=10 + i,
                             target_object=target, data={"changes": changes} if changes else {},
                             ip_address=None if actor is None else f"10.1.0.{20 + i}")
        entry.datetime = start + timedelta(hours=3 * i, minutes=7 * i)
    record_audit(event="EXPORT_CSV", actor=owner, organization=org, target_type="export",
                 target_object="integrations", data={"list": "integrations", "filters": {"status": ["active"]}},
                 ip_address="10.1.0.20").datetime = start + timedelta(days=1)
    db.session.commit()


def test_audit_log_filter_and_saved_view_in_chromium(page, live_server, browser_login, org):  # noqa: F811
    seed(org)
    SHOTS.mkdir(exist_ok=True)
    browser_login("olga@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/settings/acme/audit-log/")
    expect(page).to_have_title(re.compile(r"^Audit log"))
    page.screenshot(path=str(SHOTS / "audit-log.png"), full_page=True)
    rows = page.locator("table.audit-log tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.first.locator(".audit-event")).to_have_text("CSV exported", use_inner_text=True)
    expect(rows.first.locator(".audit-event")).to_have_attribute("data-event", "EXPORT_CSV")

    page.get_by_label("Event").select_option("INTEGRATION_EDIT")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"event=INTEGRATION_EDIT"))
    expect(rows).to_have_count(2)

    page.locator("details.saved-views summary").click()
    page.get_by_label("Name for the current filters").fill("Config edits")
    page.screenshot(path=str(SHOTS / "audit-saved-views-open.png"), full_page=True)
    page.get_by_role("button", name="Save current view").click()
    expect(page.get_by_text("Saved view “Config edits” created.")).to_be_visible()

    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(lambda url: "event=" not in url)
    expect(rows).to_have_count(7)
    page.locator("details.saved-views summary").click()
    page.get_by_role("link", name="Config edits").click()
    page.wait_for_url(re.compile(r"event=INTEGRATION_EDIT"))
    expect(rows).to_have_count(2)
    expect(page.get_by_label("Event")).to_have_value("INTEGRATION_EDIT")
    page.screenshot(path=str(SHOTS / "audit-filtered.png"), full_page=True)
    page.locator("details.saved-views summary").click()
    expect(page.get_by_role("link", name="Config edits")).to_have_attribute("aria-current", "true")
    page.screenshot(path=str(SHOTS / "audit-saved-views-list.png"), full_page=True)

    page.goto(f"{live_server}/settings/acme/audit-log/?event=NOPE")
    expect(page.get_by_text("Unknown event: NOPE").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "audit-bad-filter.png"), full_page=True)

    # A date range: the day of the export only; its target links to the exported list.
    page.goto(f"{live_server}/settings/acme/audit-log/")
    page.get_by_label("From", exact=True).fill("2026-11-21")
    page.get_by_label("To", exact=True).fill("2026-11-21")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"date_from=2026-11-21&date_to=2026-11-21"))
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="integrations").click()
    page.wait_for_url(re.compile(r"/settings/acme/integrations/$"))
    page.goto(f"{live_server}/settings/acme/audit-log/?date_from=2026-11-22&date_to=2026-11-21")
    expect(page.locator("#date_to-error")).to_have_text("From must be on or before To.")
    page.screenshot(path=str(SHOTS / "audit-bad-dates.png"), full_page=True)
