"""Provider page, installation page, config saving, disable (confirmed) / enable, uninstall,
restore before the deletion run, run-deletions."""

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g

from tests import factories
from tests.integrations.helpers import audit, reload, soup
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    Integration,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
)

MANAGE_REASON = "Only owners, managers and admins can change this installation."


@pytest.fixture
def slack(org):
    integration = factories.make_integration(
        provider="slack", external_id="T0001", name="Acme Workspace",
        metadata={"domain_name": "acme.slack.com", "account_type": "Enterprise",
                  "scopes": ["chat:write"]},
    )
    oi = factories.install(org, integration, config={"default_channel": "#general",
                                                     "legacy_key": "kept"})
    db.session.commit()
    return oi


def url(oi, suffix=""):
    return f"/settings/acme/integrations/{oi.integration.provider}/{oi.integration_id}/{suffix}"


def save(client, oi, version=None, **values):
    data = {"version": str(oi.version if version is None else version), "default_channel": "#general",
            "notify_on": "all", "unfurl_links": "y", "thread_notifications": "y", **values}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(url(oi), data=data)


# -- detail page ----------------------------------------------------------------------------


def test_detail_shows_details_config_form_and_history(client, login_as, slack):
    login_as("admin")
    response = client.get(url(slack))
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    for expected in ("Acme Workspace", "Slack", "T0001", "acme.slack.com", "Enterprise",
                     "chat:write", "No grace period", "Installation status", "Integration status",
                     "History"):
        assert expected in text, expected
    form = page.find("form", attrs={"method": "post", "action": url(slack)})
    assert form.find("input", attrs={"name": "version"})["value"] == "1"
    assert form.find("input", attrs={"name": "default_channel"})["value"] == "#general"
    assert form.find("select", attrs={"name": "notify_on"}).find("option", selected=True)["value"] == "all"
    # Booleans show their defaults when not stored.
    assert form.find("input", attrs={"name": "unfurl_links"}).has_attr("checked")
    for field in ("default_channel", "notify_on", "unfurl_links", "thread_notifications"):
        assert page.find("label", attrs={"for": field}) is not None
    # A stored key outside the schema is shown read-only, not as a form field.
    assert form.find(attrs={"name": "legacy_key"}) is None
    assert "legacy_key" in text and '"kept"' in text
    assert page.find("a", string="Disable")["href"] == url(slack, "disable/")
    assert page.find("a", string="Uninstall")["href"] == url(slack, "uninstall/")
    assert page.find("a", string="Restore") is None


def test_detail_404s(client, login_as, org, slack):
    login_as("owner")
    assert client.get(f"/settings/acme/integrations/github/{slack.integration_id}/").status_code == 404
    assert client.get("/settings/acme/integrations/slack/999999/").status_code == 404
    # Another org's installation of the same integration id space: 404.
    other = factories.make_org(slug="other")
    foreign = factories.install(other, factories.make_integration(provider="slack"))
    db.session.commit()
    assert client.get(f"/settings/acme/integrations/slack/{foreign.integration_id}/").status_code == 404
    # deletion_in_progress: gone already.
    slack.status = int(ObjectStatus.DELETION_IN_PROGRESS)
    db.session.commit()
    assert client.get(url(slack)).status_code == 404


def test_member_reads_but_sees_disabled_controls_with_the_reason(client, login_as, slack):
    login_as("member")
    response = client.get(url(slack))
    assert response.status_code == 200
    page = soup(response)
    assert MANAGE_REASON in page.get_text(" ", strip=True)
    for label in ("Disable", "Uninstall"):
        button = page.find("button", string=label)
        assert button is not None and button.has_attr("disabled"), label
        assert page.find("a", string=label) is None, label
    assert page.find("button", string="Save configuration") is None
    assert page.find("input", attrs={"name": "default_channel"}).has_attr("readonly")
    assert page.find("select", attrs={"name": "notify_on"}).has_attr("disabled")


@pytest.mark.parametrize("method, suffix", [
    ("post", ""), ("get", "disable/"), ("post", "disable/"), ("post", "enable/"),
    ("get", "uninstall/"), ("post", "uninstall/"), ("get", "restore/"), ("post", "restore/"),
])
def test_member_gets_403_on_every_change(client, login_as, slack, method, suffix):
    login_as("member")
    response = getattr(client, method)(url(slack, suffix), data={"version": "1", "default_channel": "#x"})
    assert response.status_code == 403
    assert reload(slack).config["default_channel"] == "#general"
    assert reload(slack).status == int(ObjectStatus.ACTIVE)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditLogEntry)) == 0


@pytest.mark.parametrize("role", ["admin", "manager", "owner", "staff"])
def test_admins_and_up_save_config_with_an_audit_diff(client, login_as, slack, role):
    user = login_as(role)
    response = save(client, slack, default_channel="#alerts", notify_on="critical",
                    unfurl_links=None)  # unchecked checkbox: absent from the post
    assert response.status_code == 302
    assert response.headers["Location"] == url(slack)
    oi = reload(slack)
    assert oi.config == {"default_channel": "#alerts", "notify_on": "critical", "unfurl_links": False,
                         "thread_notifications": True, "legacy_key": "kept"}
    assert oi.version == 2
    (entry,) = audit("INTEGRATION_EDIT")
    assert entry.actor_id == user.id and entry.target_type == "organization_integration"
    assert entry.target_id == oi.id and entry.target_object == "Acme Workspace"
    assert entry.data["changes"] == {
        "default_channel": {"before": "#general", "after": "#alerts"},
        "notify_on": {"before": "all", "after": "critical"},
        "unfurl_links": {"before": True, "after": False},
    }
    assert entry.ip_address == "127.0.0.1"
    page = soup(client.get(url(slack)))
    text = page.get_text(" ", strip=True)
    assert "Saved the configuration of Acme Workspace (3 settings changed)." in text
    history = page.find("table", class_="history")
    # The event in words (its name in data-event), booleans as Yes/No.
    assert history.find(class_="audit-event")["data-event"] == "INTEGRATION_EDIT"
    assert "Integration settings changed" in history.get_text() and "#alerts" in history.get_text()
    assert "Yes → No" in history.get_text()


def test_saving_unchanged_values_writes_nothing(client, login_as, slack):
    login_as("admin")
    response = save(client, slack)
    assert response.status_code == 302
    assert reload(slack).version == 1
    assert audit("INTEGRATION_EDIT") == []
    assert "Nothing to save" in client.get(url(slack)).get_data(as_text=True)


@pytest.mark.parametrize("values, field, message", [
    ({"notify_on": "sometimes"}, "notify_on", "Not a valid choice: sometimes"),
    ({"default_channel": "x" * 1001}, "default_channel", "Must be at most 1000 characters."),
    ({"default_channel": "#a\x07b"}, "default_channel", "Cannot contain control characters."),
    ({"surprise": "1"}, None, "Unknown field: surprise"),
])
def test_bad_config_is_400_with_message_and_nothing_written(client, login_as, slack, values, field,
                                                             message):
    login_as("admin")
    response = save(client, slack, **values)
    assert response.status_code == 400
    page = soup(response)
    assert message in page.find(id="error-summary").get_text()
    if field:
        assert message in page.find(id=f"{field}-error").get_text()
        assert page.find(attrs={"name": field})["aria-invalid"] == "true"
    # Values kept in the form.
    assert page.find("input", attrs={"name": "default_channel"})["value"] == values.get(
        "default_channel", "#general")
    assert reload(slack).version == 1 and reload(slack).config["default_channel"] == "#general"
    assert audit("INTEGRATION_EDIT") == []


def test_missing_version_is_400(client, login_as, slack):
    login_as("admin")
    response = client.post(url(slack), data={"default_channel": "#x"})
    assert response.status_code == 400
    assert "missing its version" in response.get_data(as_text=True)
    assert reload(slack).config["default_channel"] == "#general"


def test_stale_save_is_409_shows_what_changed_and_changes_nothing(client, login_as, slack):
    login_as("admin")
    # Someone else saves first (version 1 → 2).
    assert save(client, slack, default_channel="#theirs").status_code == 302
    response = save(client, slack, version=1, default_channel="#mine", notify_on="critical")
    assert response.status_code == 409
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert "Someone else changed this installation" in text
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in page.find("table").tbody.find_all("tr")}
    assert rows["default_channel"] == ["#mine", "#theirs"]  # values as the history shows them
    assert rows["notify_on"] == ["critical", "all"]
    assert page.find("a", string="Open the current version")["href"] == url(slack)
    oi = reload(slack)
    assert oi.config["default_channel"] == "#theirs" and oi.config.get("notify_on", "all") == "all"
    assert oi.version == 2
    assert len(audit("INTEGRATION_EDIT")) == 1


def test_next_is_kept_through_the_detail_page(client, login_as, slack):
    login_as("admin")
    back = "/settings/acme/integrations/?status=active"
    page = soup(client.get(url(slack) + "?next=/settings/acme/integrations/%3Fstatus%3Dactive"))
    assert page.find("nav", attrs={"aria-label": "Breadcrumb"}).find("a", string="Integrations")["href"] == back
    assert page.find("input", attrs={"name": "next"})["value"] == back
    response = save(client, slack, default_channel="#n", next=back)
    assert response.headers["Location"].startswith(url(slack) + "?next=")
    # An off-site next is ignored.
    page = soup(client.get(url(slack) + "?next=https://evil.example/"))
    assert "evil" not in str(page.find("nav", attrs={"aria-label": "Breadcrumb"}))


def test_multichoice_and_unknown_provider_config(client, login_as, org):
    oi = factories.install(org, factories.make_integration(provider="vercel", name="Vercel Team"),
                           config={})
    db.session.commit()
    login_as("admin")
    page = soup(client.get(url(oi)))
    boxes = page.find_all("input", attrs={"name": "env_targets"})
    assert [b["value"] for b in boxes] == ["production", "preview", "development"]
    assert [b.has_attr("checked") for b in boxes] == [True, True, False]
    response = client.post(url(oi), data={"version": "1", "project_mappings": "", "env_targets":
                                          ["development", "production"], "upload_source_maps": "y"})
    assert response.status_code == 302
    assert reload(oi).config["env_targets"] == ["production", "development"]
    response = client.post(url(oi), data={"version": "2", "env_targets": ["staging"]})
    assert response.status_code == 400
    assert "Not a valid choice: staging" in response.get_data(as_text=True)


# -- disable / enable -----------------------------------------------------------------------


def test_disable_asks_first_and_get_changes_nothing(client, login_as, org, slack):
    factories.install(factories.make_org(), slack.integration)  # also installed elsewhere
    db.session.commit()
    login_as("admin")
    back = "/settings/acme/integrations/?q=acme"
    detail = soup(client.get(url(slack), query_string={"next": back}))
    link = urlsplit(detail.find("a", string="Disable")["href"])
    assert link.path == url(slack, "disable/") and parse_qs(link.query) == {"next": [back]}
    response = client.get(url(slack, "disable/"), query_string={"next": back})
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert page.title.get_text().startswith("Disable Acme Workspace?")
    assert "Disable Acme Workspace?" in page.find("h1").get_text(" ", strip=True)
    assert "T0001" in text and "Active → Disabled" in text
    assert "2 stored settings" in text and "its installations in 1 other organization" in text
    form = page.find("main").find("form", attrs={"method": "post"})
    assert form.find("button").get_text(strip=True) == "Disable"
    assert form.find("input", attrs={"name": "next"})["value"] == back
    assert page.find("a", string="Cancel")["href"].startswith(url(slack))
    assert reload(slack).status == int(ObjectStatus.ACTIVE) and reload(slack).version == 1
    assert audit("INTEGRATION_DISABLE") == []


def test_disable_then_enable_with_audit_entries(client, login_as, slack):
    login_as("admin")
    response = client.post(url(slack, "disable/"))
    assert response.status_code == 302
    assert reload(slack).status == int(ObjectStatus.DISABLED)
    page = soup(client.get(url(slack)))
    assert "Acme Workspace is disabled." in page.get_text()
    assert page.find("button", string="Enable") is not None
    response = client.post(url(slack, "enable/"))
    assert reload(slack).status == int(ObjectStatus.ACTIVE)
    (disabled,) = audit("INTEGRATION_DISABLE")
    (enabled,) = audit("INTEGRATION_ENABLE")
    assert disabled.data["changes"]["status"] == {"before": "active", "after": "disabled"}
    assert enabled.data["changes"]["status"] == {"before": "disabled", "after": "active"}
    assert reload(slack).version == 3


def test_disable_confirmation_of_a_disabled_one_says_why_not(client, login_as, slack):
    slack.status = int(ObjectStatus.DISABLED)
    db.session.commit()
    login_as("admin")
    page = soup(client.get(url(slack, "disable/")))
    assert "Already disabled." in page.get_text()
    assert page.find("main").find("form", attrs={"method": "post"}) is None
    assert page.find("a", string="Back to the installation")["href"] == url(slack)


def test_disable_twice_or_enable_an_active_one_is_409_and_changes_nothing(client, login_as, slack):
    login_as("admin")
    response = client.post(url(slack, "enable/"))
    assert response.status_code == 409
    assert "Already active: only a disabled installation can be enabled." in response.get_data(as_text=True)
    assert audit("INTEGRATION_ENABLE") == []


def test_a_provider_that_cannot_be_disabled_says_so(client, login_as, org):
    oi = factories.install(org, factories.make_integration(provider="jira", name="Jira Cloud"))
    db.session.commit()
    login_as("admin")
    page = soup(client.get(url(oi)))
    assert page.find("button", string="Disable").has_attr("disabled")
    assert "Jira installations cannot be disabled here; uninstall it instead." in page.get_text()
    assert client.post(url(oi, "disable/")).status_code == 409
    assert reload(oi).status == int(ObjectStatus.ACTIVE)


# -- uninstall and run-deletions -------------------------------------------------------------


def test_uninstall_confirmation_lists_what_goes_and_changes_nothing(client, login_as, org, slack):
    factories.install(factories.make_org(), slack.integration)  # also installed elsewhere
    db.session.commit()
    login_as("admin")
    response = client.get(url(slack, "uninstall/"))
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert "Uninstall Acme Workspace?" in text
    assert "2 stored settings (1 outside Slack’s schema)" in text
    assert "still installed in 1 other organization" in text
    form = page.find("main").find("form", attrs={"method": "post"})
    assert form.find("button").get_text(strip=True) == "Uninstall"
    assert page.find("a", string="Cancel")["href"] == url(slack)
    assert reload(slack).status == int(ObjectStatus.ACTIVE)
    assert audit("INTEGRATION_REMOVE") == []


@pytest.mark.parametrize("start", [ObjectStatus.ACTIVE, ObjectStatus.DISABLED])
def test_uninstall_then_run_deletions_removes_the_link_and_keeps_the_integration(
        client, login_as, runner, org, slack, start):
    slack.status = int(start)
    other = factories.install(factories.make_org(), slack.integration)
    db.session.commit()
    other_id, oi_id, integration_id = other.id, slack.id, slack.integration_id
    user = login_as("owner")
    back = "/settings/acme/integrations/?q=acme"
    response = client.post(url(slack, "uninstall/"), data={"next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    assert reload(slack).status == int(ObjectStatus.PENDING_DELETION)
    (entry,) = audit("INTEGRATION_REMOVE")
    assert entry.actor_id == user.id
    assert entry.data["changes"]["status"] == {"before": start.label, "after": "pending_deletion"}
    # Still listed (pending deletion) and read-only until the run.
    listing = client.get("/settings/acme/integrations/").get_data(as_text=True)
    assert "Acme Workspace" in listing and "Pending deletion" in listing
    assert client.post(url(slack, "uninstall/")).status_code == 409
    assert save(client, slack, default_channel="#late").status_code == 409

    result = runner.invoke(args=["run-deletions"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 installation pending deletion." in result.output
    db.session.expire_all()
    assert db.session.get(OrganizationIntegration, oi_id) is None
    assert db.session.get(Integration, integration_id) is not None
    assert db.session.get(OrganizationIntegration, other_id) is not None
    assert len(audit("INTEGRATION_REMOVE")) == 1  # history is append-only
    g.pop("_login_user", None)
    assert "Acme Workspace" not in client.get("/settings/acme/integrations/").get_data(as_text=True)
    assert client.get(f"/settings/acme/integrations/slack/{integration_id}/").status_code == 404
    # Nothing left: a second run deletes nothing.
    assert "Deleted 0 installations" in runner.invoke(args=["run-deletions"]).output


def test_run_deletions_finishes_rows_left_in_progress(runner, org):
    stuck = factories.install(org, status=ObjectStatus.DELETION_IN_PROGRESS)
    kept = factories.install(org, status=ObjectStatus.DISABLED)
    db.session.commit()
    stuck_id, kept_id = stuck.id, kept.id
    assert "Deleted 1 installation" in runner.invoke(args=["run-deletions"]).output
    db.session.expire_all()
    assert db.session.get(OrganizationIntegration, stuck_id) is None
    assert db.session.get(OrganizationIntegration, kept_id) is not None


# -- provider page --------------------------------------------------------------------------


def test_provider_page_for_a_member_explains_and_offers_a_request(client, login_as, slack):
    login_as("member")
    response = client.get("/settings/acme/integrations/slack/")
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert "Slack" in page.h1.get_text()
    assert "Messaging" in text and "chat-unfurl" in text and "alert-rule" in text
    assert "Only owners, managers and admins can install integrations." in text
    link = page.find("a", string="Request installation")
    assert link["href"].startswith("/settings/acme/integration-requests/")
    assert "provider_type=first_party" in link["href"] and "provider_slug=slack" in link["href"]
    assert page.find("a", string="Acme Workspace")["href"] == url(slack)


def test_provider_page_for_an_admin_has_no_request_link(client, login_as, slack):
    login_as("admin")
    page = soup(client.get("/settings/acme/integrations/slack/"))
    assert page.find("a", string="Request installation") is None
    assert "You can install Slack." in page.get_text()


def test_unknown_provider_is_404(client, login_as, org):
    login_as("member")
    assert client.get("/settings/acme/integrations/myspace/").status_code == 404


def test_provider_page_shows_the_first_rows_and_links_to_the_filtered_list(client, login_as, org):
    for i in range(12):
        factories.install(org, factories.make_integration(provider="github", name=f"Repo {i:02d}"))
    factories.install(org, factories.make_integration(provider="github", name="Gone"),
                      status=ObjectStatus.DELETION_IN_PROGRESS)
    db.session.commit()
    login_as("member")
    page = soup(client.get("/settings/acme/integrations/github/"))
    assert len(page.find("table").tbody.find_all("tr")) == 10
    assert page.find("a", string="See all 12 GitHub installations")["href"] == \
        "/settings/acme/integrations/?provider_key=github"
    assert "Gone" not in page.get_text()


# -- query counts ---------------------------------------------------------------------------


def fresh():
    db.session.remove()
    g.pop("_login_user", None)


@pytest.mark.parametrize("path", ["{detail}", "{detail}uninstall/", "/settings/acme/integrations/slack/"])
def test_detail_and_provider_pages_run_a_constant_number_of_queries(client, login_as, org, slack,
                                                                     count_queries, path):
    login_as("admin")
    detail = url(slack)
    oi_id, org_id = slack.id, org.id
    counts = []
    for extra in (1, 60):
        org = db.session.get(Organization, org_id)
        for i in range(extra):
            oi = factories.install(org, factories.make_integration(provider="slack"))
            factories.set_plugin_option(factories.make_project(org), "slack", "enabled", True)
            db.session.add(AuditLogEntry(organization_id=org.id, event="INTEGRATION_EDIT",
                                         target_type="organization_integration", target_id=oi_id,
                                         data={"changes": {"n": {"before": i, "after": i + 1}}}))
            assert oi
        db.session.commit()
        fresh()
        with count_queries() as counter:
            response = client.get(path.format(detail=detail))
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 6, counts


def test_nul_in_config_is_refused_with_400_and_nothing_written(client, login_as, slack):
    login_as("admin")
    response = save(client, slack, default_channel="#a\x00b")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert reload(slack).version == 1 and reload(slack).config["default_channel"] == "#general"
