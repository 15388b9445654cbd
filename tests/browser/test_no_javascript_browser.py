"""Every action works with JavaScript switched off (SPEC §1, issue 22): a staff user who owns
two organizations logs in, filters the installed integrations, edits a doc integration,
uninstalls an installation, switches organization and logs out, in a Chromium context
with JavaScript disabled. The top bar's menus are <details> disclosures, so they open
without a script."""

from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import login_with_form
from webapp.extensions import db
from webapp.models import DocIntegration, ObjectStatus, OrganizationIntegration


def test_log_in_filter_edit_uninstall_switch_org_and_log_out_without_javascript(browser, live_server, org):
    user = factories.make_user(email="olga@example.com", name="Olga Owner", is_staff=True)
    factories.make_member(org, user, "owner")
    globex = factories.make_org(slug="globex", name="Globex Corporation")
    factories.make_member(globex, user, "member")
    slack = factories.install(org, factories.make_integration("slack", name="Acme Slack"))
    factories.install(org, factories.make_integration("github", name="Acme GitHub"))
    doc = DocIntegration(name="Acme Tracker", slug="acme-tracker", author="Acme Inc.", description="Tracks.",
                         url="https://acme.example.com", resources=[])
    db.session.add(doc)
    db.session.commit()

    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        # Log in; the menus start closed.
        login_with_form(page, live_server, "olga@example.com", factories.PASSWORD)
        expect(page.get_by_role("button", name="Log out")).to_be_hidden()

        # Filter: the search field submits its GET form with Enter.
        page.goto(f"{live_server}/settings/acme/integrations/")
        expect(page.locator("table.integrations-table tbody tr")).to_have_count(2)
        page.get_by_label("Search", exact=True).fill("slack")
        with page.expect_navigation():
            page.get_by_label("Search", exact=True).press("Enter")
        assert "q=slack" in page.url
        expect(page.locator("table.integrations-table tbody tr")).to_have_count(1)
        expect(page.locator("table.integrations-table tbody tr")).to_contain_text("Acme Slack")

        # Edit a doc integration.
        page.goto(f"{live_server}/doc-integrations/acme-tracker/edit/")
        page.get_by_label("Author", exact=True).fill("Acme Tracking GmbH")
        with page.expect_navigation():
            page.get_by_role("button", name="Save changes").click()
        expect(page.locator("main")).to_contain_text("Acme Tracking GmbH")
        db.session.expire_all()
        assert db.session.get(DocIntegration, doc.id).author == "Acme Tracking GmbH"

        # Uninstall an installation: its confirmation page, then the POST.
        page.goto(f"{live_server}/settings/acme/integrations/slack/{slack.integration_id}/")
        with page.expect_navigation():
            page.get_by_role("link", name="Uninstall").click()
        assert page.url.split("?")[0].endswith("/uninstall/")
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Uninstall").click()
        expect(page.get_by_role("status")).to_contain_text("Acme Slack will be uninstalled")
        status = db.session.scalar(select(OrganizationIntegration.status)
                                   .where(OrganizationIntegration.id == slack.id))
        assert status == ObjectStatus.PENDING_DELETION

        # Switch organization through the top bar's switcher.
        switcher = page.locator("#org-switcher")
        expect(switcher).to_contain_text("Acme Corp")
        globex_link = page.get_by_role("link", name="Globex Corporation")
        expect(globex_link).to_be_hidden()
        switcher.click()
        with page.expect_navigation():
            globex_link.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Globex Corporation")
        expect(page.locator("#org-switcher")).to_contain_text("Globex Corporation")

        # Log out from the user menu.
        page.locator("#user-menu").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Log out").click()
        assert page.url.split("?")[0] == f"{live_server}/login/"
        page.goto(f"{live_server}/settings/acme/integrations/")
        assert "/login/?next=" in page.url
    finally:
        context.close()
