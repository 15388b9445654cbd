"""POST /api/0/organizations/<org>/integrations/bulk/ (issue 23): the bulk service's rules,
counts and audit entries through the API; bad input 400 by field; members 403; another
org's id 404 with nothing changed; all or nothing."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.integrations.helpers import audit_entries, seed, status_of
from webapp.extensions import db
from webapp.models import ObjectStatus, OrganizationIntegration
from webapp.services.errors import Conflict

URL = "/api/0/organizations/acme/integrations/bulk/"
S = ObjectStatus
KEYS = ["action", "dryRun", "selected", "changed", "skipped", "plannedAt", "versions",
        "auditEntryId"]


@pytest.fixture
def made(org):
    return seed(org, factories.make_org(slug="globex"))


def iid(made, name) -> str:
    return str(made[name].integration_id)


def test_dry_run_says_what_would_happen_and_changes_nothing(api_as, made):
    api = api_as("admin")
    response = api.post(URL, json={"action": "disable", "dryRun": True,
                                   "ids": [iid(made, "Alpha Slack"), iid(made, "Gamma Jira")]})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == KEYS
    assert (body["dryRun"], body["selected"], body["changed"]) == (True, 2, 1)
    assert body["skipped"] == [{"reason": "Already disabled.", "count": 1}]
    assert body["versions"] == {iid(made, "Alpha Slack"): 1, iid(made, "Gamma Jira"): 1}
    assert body["auditEntryId"] is None and body["plannedAt"].endswith("Z")
    assert status_of(made["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []


def test_all_matching_the_filters_applies_with_the_same_shape(api_as, made):
    api = api_as("manager")
    response = api.post(URL, json={"action": "uninstall",
                                   "filters": {"providerKey": ["slack", "jira"], "q": "a"}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert list(body) == KEYS
    assert (body["dryRun"], body["selected"], body["changed"], body["skipped"]) == (
        False, 2, 2, [])
    assert status_of(made["Alpha Slack"]) == status_of(made["Gamma Jira"]) == S.PENDING_DELETION
    assert {e.target_object for e in audit_entries("INTEGRATION_REMOVE")} == {"Alpha Slack", "Gamma Jira"}
    (bulk,) = audit_entries("INTEGRATION_BULK_UNINSTALL")
    assert bulk.id == body["auditEntryId"]
    assert bulk.data["filters"] == "q=a&provider_key=slack&provider_key=jira"


def test_a_dry_runs_versions_make_the_apply_skip_rows_changed_since(api_as, made):
    api = api_as("owner")
    ids = [iid(made, "Alpha Slack"), iid(made, "Beta GitHub")]
    plan = api.post(URL, json={"action": "disable", "ids": ids, "dryRun": True}).get_json()
    beta = db.session.get(OrganizationIntegration, made["Beta GitHub"].id)
    beta.config = {"edited": "meanwhile"}
    db.session.commit()
    body = api.post(URL, json={"action": "disable", "ids": ids, "versions": plan["versions"],
                               "plannedAt": plan["plannedAt"]}).get_json()
    assert body["changed"] == 1
    assert body["skipped"] == [{"reason": "Changed by someone else since the confirmation.",
                                "count": 1}]
    assert status_of(made["Beta GitHub"]) == S.ACTIVE


def test_members_get_403_and_outsiders_404(api_as, made):
    body = {"action": "disable", "ids": [iid(made, "Alpha Slack")]}
    assert api_as("member").post(URL, json=body).status_code == 403
    assert api_as("outsider").post(URL, json=body).status_code == 404
    assert status_of(made["Alpha Slack"]) == S.ACTIVE


def test_an_id_of_another_org_is_404_and_nothing_changes(api_as, org, made):
    theirs = db.session.scalars(select(OrganizationIntegration)
                                .where(OrganizationIntegration.organization_id != org.id)).first()
    response = api_as("owner").post(URL, json={"action": "disable", "ids": [
        iid(made, "Alpha Slack"), theirs.integration_id]})
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Integration not found"}
    assert status_of(made["Alpha Slack"]) == status_of(theirs) == S.ACTIVE
    assert audit_entries() == []


def test_it_is_all_or_nothing(api_as, made, monkeypatch):
    """A failure after the rows were updated leaves nothing: no status, no audit entry."""
    def fail(**_kwargs):
        raise Conflict("The database refused the bulk entry.")
    monkeypatch.setattr("webapp.services.integrations.bulk.record_audit", fail)
    response = api_as("owner").post(URL, json={"action": "disable", "filters": {}})
    assert response.status_code == 409
    db.session.expire_all()
    assert status_of(made["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []


@pytest.mark.parametrize("body, errors", [
    ({"ids": ["1"]}, {"action": ["This field is required."]}),
    ({"action": "delete", "ids": ["1"]},
     {"action": ["Unknown action: delete. Use one of: disable, enable, uninstall."]}),
    ({"action": "disable"}, {"ids": ["Give ids, or filters to act on every installation matching them."]}),
    ({"action": "disable", "ids": ["1"], "filters": {}}, {"ids": ["Give either ids or filters, not both."]}),
    ({"action": "disable", "ids": []}, {"ids": ["Choose at least one installation."]}),
    ({"action": "disable", "ids": "1"}, {"ids": ["Must be a list of integration ids."]}),
    ({"action": "disable", "ids": ["x"]}, {"ids": ["Not an integration id: x"]}),
    ({"action": "disable", "filters": []}, {"filters": ["Must be an object of the list's filters."]}),
    ({"action": "disable", "filters": {"colour": "red"}},
     {"filters.colour": ["Unknown filter. Use: q, providerKey, provider_key, features, "
                         "integrationType, integration_type, status, policy."]}),
    ({"action": "disable", "filters": {"status": 3}}, {"filters.status": ["Must be text or a list of text."]}),
    ({"action": "disable", "filters": {"status": ["gone"]}},
     {"filters.status": ["Unknown status: gone"]}),
    ({"action": "disable", "filters": {"providerKey": "nope"}}, {"filters.providerKey": ["Unknown provider: nope"]}),
    ({"action": "disable", "filters": {}, "dryRun": "yes"}, {"dryRun": ["Must be true or false."]}),
    ({"action": "disable", "filters": {}, "plannedAt": "yesterday"},
     {"plannedAt": ["Must be an ISO 8601 date-time with a time zone (the plannedAt of a dry run)."]}),
    ({"action": "disable", "filters": {}, "versions": {"a": 1}}, {"versions": ["Not an id and version: a: 1"]}),
    ({"action": "disable", "filters": {}, "force": True},
     {"force": ["Unknown field. Use: action, ids, filters, dryRun, versions, plannedAt."]}),
    ({"action": None, "filters": {}}, {"action": ["This field may not be null."]}),
])
def test_bad_input_is_400_with_field_errors_and_changes_nothing(api_as, made, body, errors):
    response = api_as("admin").post(URL, json=body)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert audit_entries() == []
