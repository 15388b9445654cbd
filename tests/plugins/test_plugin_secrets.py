"""Credentials in plugin settings are never shown back, audited masked, and kept when blank."""

from tests import factories
from webapp.extensions import db
from webapp.models import AuditLogEntry, ProjectPluginOption


def _options(project, plugin):
    rows = db.session.scalars(
        db.select(ProjectPluginOption).where(ProjectPluginOption.project_id == project.id,
                                             ProjectPluginOption.plugin == plugin)
    )
    return {row.key: row.value for row in rows}


def test_stored_credential_is_not_in_the_page_for_admins_or_members(client, login_as, org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "opsgenie", "api_key", "SUPER-SECRET-KEY-123")
    factories.set_plugin_option(project, "opsgenie", "enabled", True)
    db.session.commit()
    login_as("admin")
    page = client.get("/settings/acme/plugins/opsgenie/projects/web/").get_data(as_text=True)
    assert "SUPER-SECRET-KEY-123" not in page
    assert "(stored)" in page
    login_as("member")
    page = client.get("/settings/acme/plugins/opsgenie/projects/web/").get_data(as_text=True)
    assert "SUPER-SECRET-KEY-123" not in page


def test_blank_credential_keeps_the_stored_one_and_a_new_one_is_audited_masked(client, login_as, org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "opsgenie", "api_key", "OLD-KEY-111")
    db.session.commit()
    login_as("admin")
    response = client.post("/settings/acme/plugins/opsgenie/projects/web/",
                           data={"project": "web", "api_key": "", "enabled": "y"})
    assert response.status_code == 302
    assert _options(project, "opsgenie")["api_key"] == "OLD-KEY-111"

    response = client.post("/settings/acme/plugins/opsgenie/projects/web/",
                           data={"project": "web", "api_key": "NEW-KEY-222", "enabled": "y"})
    assert response.status_code == 302
    assert _options(project, "opsgenie")["api_key"] == "NEW-KEY-222"
    entries = db.session.scalars(db.select(AuditLogEntry).where(AuditLogEntry.event == "PLUGIN_EDIT")).all()
    assert entries
    dumped = str([entry.data for entry in entries])
    assert "NEW-KEY-222" not in dumped and "OLD-KEY-111" not in dumped
    assert "api_key" in dumped
    history = client.get("/settings/acme/plugins/opsgenie/projects/web/").get_data(as_text=True)
    assert "NEW-KEY-222" not in history and "OLD-KEY-111" not in history


def test_required_credential_still_required_when_nothing_is_stored(client, login_as, org):
    factories.make_project(org, slug="web")
    db.session.commit()
    login_as("admin")
    response = client.post("/settings/acme/plugins/opsgenie/projects/web/",
                           data={"project": "web", "api_key": ""})
    assert response.status_code == 400
    assert "API key is required." in response.get_data(as_text=True)
