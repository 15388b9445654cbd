"""Restoring an installation pending deletion, until the deletion run (SPEC §7.5; issue 22):
the confirmation page, the status it comes back to, its audit entry, and when it is refused."""

import pytest
from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

from tests import factories
from tests.integrations.helpers import audit, reload, soup
from webapp.extensions import db
from webapp.models import ObjectStatus, OrganizationIntegration
from webapp.services import integrations as svc
from webapp.services.permissions import get_org_access
from webapp.services.policy import update_policy


@pytest.fixture
def slack(org):
    integration = factories.make_integration(provider="slack", external_id="T0001",
                                             name="Acme Workspace")
    oi = factories.install(org, integration, config={"default_channel": "#alerts"})
    db.session.commit()
    return oi


def url(oi, suffix=""):
    return f"/settings/acme/integrations/slack/{oi.integration_id}/{suffix}"


def text(response) -> str:
    return soup(response).get_text(" ", strip=True)


def test_pending_deletion_page_offers_restore_instead_of_a_dead_end(client, login_as, slack):
    login_as("admin")
    client.post(url(slack, "uninstall/"))
    page = soup(client.get(url(slack)))
    details = page.find("section", attrs={"aria-labelledby": "details-title"}).get_text(" ", strip=True)
    assert "Removed by the next deletion run; until then it can be restored" in details
    assert "No grace period" not in details
    assert page.find("a", string="Restore")["href"] == url(slack, "restore/")
    assert page.find("a", string="restored")["href"] == url(slack, "restore/")
    assert page.find("button", string="Uninstall").has_attr("disabled")
    assert page.find("a", string="Disable") is None and page.find("button", string="Disable") is None


def test_member_sees_restore_disabled_with_the_reason(client, login_as, slack):
    slack.status = int(ObjectStatus.PENDING_DELETION)
    db.session.commit()
    login_as("member")
    page = soup(client.get(url(slack)))
    assert page.find("button", string="Restore").has_attr("disabled")
    assert page.find("a", string="Restore") is None
    assert "Only owners, managers and admins can change this installation." in page.get_text()
    assert "until then an admin can restore it" in page.get_text(" ", strip=True)
    assert client.get(url(slack, "restore/")).status_code == 403
    assert client.post(url(slack, "restore/")).status_code == 403
    assert reload(slack).status == int(ObjectStatus.PENDING_DELETION)
    assert audit("INTEGRATION_RESTORE") == []


def test_restore_confirmation_names_what_comes_back_and_changes_nothing(client, login_as, slack):
    admin = login_as("admin", name="Ada Admin")
    client.post(url(slack, "uninstall/"))
    version = reload(slack).version
    response = client.get(url(slack, "restore/"))
    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Restore Acme Workspace?")
    body = page.find("main").get_text(" ", strip=True)
    assert "Ada Admin uninstalled it on" in body and admin.email not in body
    assert "Pending deletion → Active (its status before the uninstall)" in body
    assert "1 stored setting" in body
    form = page.find("main").find("form", attrs={"method": "post"})
    assert form.find("button").get_text(strip=True) == "Restore"
    assert page.find("a", string="Cancel")["href"] == url(slack)
    assert reload(slack).status == int(ObjectStatus.PENDING_DELETION)
    assert reload(slack).version == version
    assert audit("INTEGRATION_RESTORE") == []


@pytest.mark.parametrize("role", ["admin", "manager", "owner", "staff"])
@pytest.mark.parametrize("start", [ObjectStatus.ACTIVE, ObjectStatus.DISABLED])
def test_restore_brings_back_the_status_before_the_uninstall(client, login_as, slack, role, start):
    slack.status = int(start)
    db.session.commit()
    user = login_as(role)
    back = "/settings/acme/integrations/?q=acme"
    assert client.post(url(slack, "uninstall/")).status_code == 302
    response = client.post(url(slack, "restore/"), data={"next": back})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(url(slack))
    restored = reload(slack)
    assert restored.status == int(start)
    assert restored.config == {"default_channel": "#alerts"}
    (entry,) = audit("INTEGRATION_RESTORE")
    assert entry.actor_id == user.id and entry.target_id == slack.id
    assert entry.target_object == "Acme Workspace" and entry.organization_id == slack.organization_id
    assert entry.data["changes"]["status"] == {"before": "pending_deletion", "after": start.label}
    assert len(audit("INTEGRATION_REMOVE")) == 1  # the uninstall stays in the history
    page = client.get(response.headers["Location"])
    state = "active" if start == ObjectStatus.ACTIVE else "disabled"
    assert f"Acme Workspace is restored: it is {state}, as before the uninstall." in text(page)
    history = soup(page).find("table", class_="history").get_text(" ", strip=True)
    assert "Integration restored" in history


def test_restore_without_a_recorded_uninstall_comes_back_disabled(client, login_as, slack):
    slack.status = int(ObjectStatus.PENDING_DELETION)  # as load-data writes it: no audit entry
    db.session.commit()
    login_as("owner")
    body = text(client.get(url(slack, "restore/")))
    assert "Pending deletion → Disabled (no uninstall is recorded, so it comes back disabled" in body
    assert client.post(url(slack, "restore/")).status_code == 302
    assert reload(slack).status == int(ObjectStatus.DISABLED)


def test_restore_of_an_installation_not_pending_deletion_is_refused(client, login_as, slack):
    login_as("admin")
    page = soup(client.get(url(slack, "restore/")))
    assert "This installation is not pending deletion: there is nothing to restore." in page.get_text()
    assert page.find("main").find("form", attrs={"method": "post"}) is None
    response = client.post(url(slack, "restore/"))
    assert response.status_code == 409
    assert "This installation is not pending deletion: there is nothing to restore." in text(response)
    assert reload(slack).status == int(ObjectStatus.ACTIVE)
    assert audit("INTEGRATION_RESTORE") == []


def test_restore_after_the_deletion_run_is_404(client, login_as, runner, slack):
    login_as("admin")
    restore = url(slack, "restore/")
    client.post(url(slack, "uninstall/"))
    assert client.get(restore).status_code == 200
    assert runner.invoke(args=["run-deletions"]).exit_code == 0
    assert client.get(restore).status_code == 404
    assert client.post(restore).status_code == 404
    assert audit("INTEGRATION_RESTORE") == []


def test_restore_while_the_deletion_run_is_in_progress_is_404(client, login_as, slack):
    slack.status = int(ObjectStatus.DELETION_IN_PROGRESS)
    db.session.commit()
    login_as("admin")
    assert client.post(url(slack, "restore/")).status_code == 404
    assert reload(slack).status == int(ObjectStatus.DELETION_IN_PROGRESS)


def test_restore_loses_to_a_deletion_run_that_started_after_the_page_loaded(app, org, slack):
    """The run bumps the version of the rows it takes: a restore of the row as it was
    read before fails as a concurrent change and writes nothing."""
    svc.uninstall_integration(None, slack)
    db.session.commit()
    oi = svc.get_org_integration(org, slack.integration_id)
    with db.engine.begin() as run:  # the deletion run, on its own connection, commits first
        run.execute(
            update(OrganizationIntegration).where(OrganizationIntegration.id == oi.id)
            .values(status=int(ObjectStatus.DELETION_IN_PROGRESS),
                    version=OrganizationIntegration.version + 1))
    with pytest.raises(StaleDataError):
        svc.restore_integration(None, oi)
    db.session.rollback()
    assert reload(slack).status == int(ObjectStatus.DELETION_IN_PROGRESS)
    assert audit("INTEGRATION_RESTORE") == []


def test_restore_does_not_get_around_a_policy_that_blocks_the_provider_now(client, login_as, org,
                                                                          slack):
    """Active before the uninstall, but the org's policy blocks Slack since: it comes back
    disabled, as enabling it would be refused, and the page and the message say why."""
    login_as("admin")
    client.post(url(slack, "uninstall/"))
    owner = factories.make_user()
    factories.make_member(org, owner, "owner")
    update_policy(get_org_access(owner, org.slug), "block", "Slack is being retired.",
                  {"first_party": ["slack"]}, None)
    db.session.commit()
    body = text(client.get(url(slack, "restore/")))
    assert "Pending deletion → Disabled (it was active before the uninstall, but it comes back disabled: Slack is blocked" in body
    response = client.post(url(slack, "restore/"), follow_redirects=True)
    assert response.status_code == 200
    assert ("Acme Workspace is restored: it is disabled, not active: Slack is blocked by this "
            "organization’s integration policy: Slack is being retired.") in text(response)
    assert reload(slack).status == int(ObjectStatus.DISABLED)
    entry = audit("INTEGRATION_RESTORE")[0]
    assert entry.data["changes"]["status"] == {"before": "pending_deletion", "after": "disabled"}
