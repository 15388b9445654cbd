"""Real-browser fixtures: a live server on 127.0.0.1 and Debian's chromium for Playwright."""

import os
import re
import shutil
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    Integration,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    Project,
    ProjectPluginOption,
    SentryApp,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason="chromium is not installed (make test installs it)")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ],
    }


@pytest.fixture
def live_server(app):
    """Serve `app` (this test's database) on a free loopback port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def login_with_form(page, live_server, email: str, password: str, *, succeed: bool = True):
    """Log in through the real login form on `page`.

    With succeed=True, wait until the browser has left the login page (the redirect after
    a good login has loaded), so the caller never reads the old page. With succeed=False
    only click: the caller waits for the error it expects with `expect(...)`.
    """
    page.goto(f"{live_server}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if succeed:
        page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def browser_login(page, live_server):
    """browser_login(email, password, succeed=True) logs in through the real login form."""

    def login(email: str, password: str, *, succeed: bool = True):
        login_with_form(page, live_server, email, password, succeed=succeed)

    return login


def tick_filter(page, name: str, *labels: str):
    """Open the filter dropdown of the field `name` (macros/filters.html) by its summary and
    tick the checkbox of each choice labelled `labels` (its facet count aside), as a user
    does; the dropdown stays open."""
    summary = page.locator(f"summary#{name}")
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
    dropdown = page.locator("details.filter-dropdown", has=summary)
    for label in labels:
        dropdown.get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)}( \(|$)")).check()


def demo_ids():
    """Rows of the demo data the tour needs, found the way an admin would pick them."""
    demo = db.session.scalar(select(Organization).where(Organization.slug == "demo"))

    def installation(provider: str, status: ObjectStatus):
        return db.session.execute(
            select(OrganizationIntegration.integration_id, Integration.provider)
            .join(Integration, Integration.id == OrganizationIntegration.integration_id)
            .where(OrganizationIntegration.organization_id == demo.id, Integration.provider == provider,
                   OrganizationIntegration.status == status)
            .order_by(OrganizationIntegration.id).limit(1)).one()

    trello_keys = (select(ProjectPluginOption.project_id)
                   .where(ProjectPluginOption.plugin == "trello", ProjectPluginOption.key == "key"))
    project = db.session.scalar(
        select(Project.slug).where(Project.organization_id == demo.id, Project.id.in_(trello_keys))
        .order_by(Project.id).limit(1))
    unconfigured = db.session.scalar(
        select(Project.slug).where(Project.organization_id == demo.id, Project.id.not_in(trello_keys))
        .order_by(Project.id).limit(1))
    return {
        "slack": installation("slack", ObjectStatus.ACTIVE),
        "disabled": db.session.execute(
            select(OrganizationIntegration.integration_id, Integration.provider)
            .join(Integration, Integration.id == OrganizationIntegration.integration_id)
            .where(OrganizationIntegration.organization_id == demo.id,
                   OrganizationIntegration.status == ObjectStatus.DISABLED)
            .order_by(OrganizationIntegration.id).limit(1)).one(),
        "pending": db.session.execute(
            select(OrganizationIntegration.integration_id, Integration.provider)
            .join(Integration, Integration.id == OrganizationIntegration.integration_id)
            .where(OrganizationIntegration.organization_id == demo.id,
                   OrganizationIntegration.status == ObjectStatus.PENDING_DELETION)
            .order_by(OrganizationIntegration.id).limit(1)).one(),
        "project": project,
        "unconfigured": unconfigured,
        "sentry_app": db.session.scalar(select(SentryApp.slug).order_by(SentryApp.id).limit(1)),
        "published": db.session.scalar(select(DocIntegration.slug).where(DocIntegration.is_draft.is_(False))
                                       .order_by(DocIntegration.id).limit(1)),
        "draft": db.session.scalar(select(DocIntegration.slug).where(DocIntegration.is_draft.is_(True))
                                   .order_by(DocIntegration.id).limit(1)),
    }
