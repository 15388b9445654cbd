"""/api/0/organizations/<org>/integrations/ and …/<integration_id>/ (SPEC §7.1, §7.5, §8),
ported from Sentry's OrganizationIntegrationsEndpoint / details endpoint tests."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import AuditLogEntry, ObjectStatus, OrganizationIntegration, utcnow

LIST = "/api/0/organizations/acme/integrations/"
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}
ORG_INTEGRATION_KEYS = {
    "id", "name", "icon", "domainName", "accountType", "scopes", "status", "provider",
    "configOrganization", "configData", "externalId", "organizationId",
    "organizationIntegrationStatus", "gracePeriodEnd",
}


def install(org, provider="slack", name=None, status=ObjectStatus.ACTIVE, config=None, **kw):
    integration = factories.make_integration(provider=provider, name=name, **kw)
    return factories.install(org, integration, status=status, config=config)


def names(response):
    return [row["name"] for row in response.json]


def link_rels(response):
    """{rel: (url, results)} from a Sentry Link header."""
    rels = {}
    for part in response.headers["Link"].split(", <"):
        url = re.search(r"<?([^>]+)>", part).group(1)
        rel = re.search(r'rel="(\w+)"', part).group(1)
        results = re.search(r'results="(\w+)"', part).group(1)
        cursor = re.search(r'cursor="([^"]+)"', part).group(1)
        rels[rel] = (url, results == "true", cursor)
    return rels


# -- the list ---------------------------------------------------------------------------------


def test_list_fields_and_order_by_name(api_as, org):
    later = install(org, "slack", name="Zeta workspace",
                    metadata={"icon": "https://x.example/i.png", "domain_name": "zeta.slack.com",
                              "account_type": "Organization", "scopes": ["chat:write"]},
                    config={"default_channel": "#ops", "legacy_key": 1})
    install(org, "github", name="alpha-org")
    install(org, "jira", name="Beta site", status=ObjectStatus.DISABLED)
    other = factories.make_org()
    install(other, "slack", name="Another org")
    db.session.commit()
    api = api_as("member")

    response = api.get(LIST)

    assert response.status_code == 200
    assert names(response) == ["alpha-org", "Beta site", "Zeta workspace"]  # name (any case), id
    row = response.json[2]
    assert set(row) == ORG_INTEGRATION_KEYS
    assert row["id"] == str(later.integration_id)
    assert row["icon"] == "https://x.example/i.png"
    assert row["domainName"] == "zeta.slack.com"
    assert row["accountType"] == "Organization"
    assert row["scopes"] == ["chat:write"]
    assert row["status"] == "active"
    assert row["externalId"] == later.integration.external_id
    assert row["organizationId"] == org.id
    assert row["organizationIntegrationStatus"] == "active"
    assert row["gracePeriodEnd"] is None
    assert row["provider"] == {
        "key": "slack", "slug": "slack", "name": "Slack", "canAdd": True, "canDisable": True,
        "features": ["alert-rule", "chat-unfurl"], "aspects": row["provider"]["aspects"],
    }
    assert row["configData"] == {"default_channel": "#ops", "legacy_key": 1}
    config = {field["name"]: field for field in row["configOrganization"]}
    assert list(config) == ["default_channel", "notify_on", "unfurl_links", "thread_notifications"]
    assert config["default_channel"]["value"] == "#ops"
    assert config["notify_on"]["value"] == "all"  # the schema default
    assert config["notify_on"]["type"] == "choice"
    assert response.json[1]["organizationIntegrationStatus"] == "disabled"  # Beta site


def test_grace_period_end_is_iso_utc(api_as, org):
    end = utcnow().replace(microsecond=0) + timedelta(days=3)
    oi = install(org)
    oi.grace_period_end = end
    db.session.commit()
    row = api_as().get(LIST).json[0]
    assert row["gracePeriodEnd"] == end.isoformat().replace("+00:00", "Z")


def test_deletion_in_progress_is_never_listed(api_as, org):
    install(org, name="a", status=ObjectStatus.PENDING_DELETION)
    install(org, name="b", status=ObjectStatus.DELETION_IN_PROGRESS)
    db.session.commit()
    response = api_as().get(LIST)
    assert names(response) == ["a"]
    assert response.json[0]["organizationIntegrationStatus"] == "pending_deletion"


@pytest.mark.parametrize("param", ["providerKey", "provider_key"])
def test_provider_key_filter(api_as, org, param):
    install(org, "slack", name="s")
    install(org, "github", name="g")
    db.session.commit()
    response = api_as().get(LIST, query_string={param: "github"})
    assert response.status_code == 200
    assert names(response) == ["g"]


def test_unknown_provider_key_is_a_field_error(api_as, org):
    response = api_as().get(LIST, query_string={"providerKey": "nope"})
    assert response.status_code == 400
    assert response.json == {"provider_key": ["Unknown provider: nope"]}


def test_include_config_zero_hides_config(api_as, org):
    install(org, config={"default_channel": "#x"})
    db.session.commit()
    row = api_as().get(LIST, query_string={"includeConfig": "0"}).json[0]
    assert row["configData"] is None
    assert "configOrganization" not in row
    assert set(row) == ORG_INTEGRATION_KEYS - {"configOrganization"}


def test_integration_type_filter(api_as, org):
    install(org, "slack", name="chat")
    install(org, "jira", name="tickets")
    install(org, "github", name="code")
    db.session.commit()
    api = api_as()
    assert names(api.get(LIST, query_string={"integrationType": "messaging"})) == ["chat"]
    assert names(api.get(LIST, query_string={"integrationType": "project_management"})) == ["tickets"]


@pytest.mark.parametrize("value", ["nope", "MESSAGING", "data_forwarding"])
def test_invalid_integration_type_is_400_detail(api_as, org, value):
    response = api_as().get(LIST, query_string={"integrationType": value})
    assert response.status_code == 400
    assert response.json == {"detail": "Invalid integration type"}


def test_features_filter_any_of(api_as, org):
    install(org, "slack", name="chat")
    install(org, "github", name="code")
    install(org, "pagerduty", name="pager")
    db.session.commit()
    api = api_as()
    assert names(api.get(LIST, query_string={"features": "commits"})) == ["code"]
    both = api.get(LIST, query_string=[("features", "chat-unfurl"), ("features", "ISSUE_BASIC")])
    assert names(both) == ["chat", "code"]


def test_unknown_feature_is_a_field_error(api_as, org):
    response = api_as().get(LIST, query_string={"features": "teleport"})
    assert response.status_code == 400
    assert response.json == {"features": ["Unknown feature: teleport"]}


def test_feature_filter_happens_before_pagination(api_as, org):
    """Sentry filters features after paginating (short pages); ours are full."""
    for i in range(6):
        install(org, "slack", name=f"n{i:02d}-slack")
        install(org, "github", name=f"n{i:02d}-github")
    db.session.commit()
    api = api_as()
    first = api.get(LIST, query_string={"features": "commits", "per_page": 4})
    assert names(first) == ["n00-github", "n01-github", "n02-github", "n03-github"]
    rels = link_rels(first)
    assert rels["previous"][1] is False
    assert rels["next"][1] is True
    second = api.get(rels["next"][0])
    assert names(second) == ["n04-github", "n05-github"]
    assert link_rels(second)["next"][1] is False
    assert link_rels(second)["previous"][1] is True


def test_status_filter(api_as, org):
    install(org, name="on")
    install(org, name="off", status=ObjectStatus.DISABLED)
    db.session.commit()
    assert names(api_as().get(LIST, query_string={"status": "disabled"})) == ["off"]


def test_default_page_is_100_and_link_header(api_as, org):
    for i in range(101):
        install(org, name=f"i{i:03d}")
    db.session.commit()
    response = api_as().get(LIST)
    assert len(response.json) == 100
    rels = link_rels(response)
    assert rels["next"][2] == "0:100:0"
    assert rels["previous"][2] == "0:0:1"
    assert names(api_as().get(LIST, query_string={"cursor": "0:100:0"})) == ["i100"]


def test_past_the_end_and_unaligned_cursors(api_as, org):
    for i in range(5):
        install(org, name=f"i{i}")
    db.session.commit()
    api = api_as()
    past = api.get(LIST, query_string={"per_page": 2, "cursor": "0:6:0"})
    assert past.status_code == 200
    assert past.json == []
    assert link_rels(past)["next"][1] is False
    unaligned = api.get(LIST, query_string={"per_page": 2, "cursor": "0:3:0"})
    assert names(unaligned) == ["i3", "i4"]
    assert link_rels(unaligned)["next"][1] is False
    assert names(api.get(LIST, query_string={"per_page": 2, "cursor": "0:1:0"})) == ["i1", "i2"]


@pytest.mark.parametrize("per_page", ["0", "101", "abc", "-1"])
def test_bad_per_page(api_as, org, per_page):
    response = api_as().get(LIST, query_string={"per_page": per_page})
    assert response.status_code == 400
    assert response.json == {"detail": "Invalid per_page parameter."}


@pytest.mark.parametrize("cursor", ["x", "0:abc:0", "1:2", "0:5:2"])
def test_bad_cursor(api_as, org, cursor):
    response = api_as().get(LIST, query_string={"cursor": cursor})
    assert response.status_code == 400
    assert response.json == {"detail": "Invalid cursor parameter."}


def test_org_by_numeric_id(api_as, org):
    install(org, name="x")
    db.session.commit()
    response = api_as().get(f"/api/0/organizations/{org.id}/integrations/")
    assert response.status_code == 200
    assert names(response) == ["x"]


def test_non_member_gets_404_by_slug_and_id(api_as, org):
    install(org)
    db.session.commit()
    api = api_as("outsider")
    for ref in ("acme", str(org.id), "no-such-org"):
        response = api.get(f"/api/0/organizations/{ref}/integrations/")
        assert response.status_code == 404
        assert "detail" in response.json


def test_staff_sees_any_org(api_as, org):
    install(org, name="x")
    db.session.commit()
    assert names(api_as("staff").get(LIST)) == ["x"]


def test_no_credentials_is_401(client, org):
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.json == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("include_config", ["1", "0"])
def test_list_query_count_is_constant(api_as, org, count_queries, include_config):
    api = api_as()
    for i in range(3):
        install(org, "slack", name=f"a{i}", config={"default_channel": "#a"})
    db.session.commit()
    api.get(LIST)  # the token's first use writes last_used (at most once a minute)
    with count_queries() as small:
        assert len(api.get(LIST, query_string={"includeConfig": include_config}).json) == 3
    for i in range(90):
        install(org, ["github", "jira", "pagerduty"][i % 3], name=f"b{i}", config={"x": i})
    db.session.commit()
    with count_queries() as large:
        assert len(api.get(LIST, query_string={"includeConfig": include_config}).json) == 93
    assert large.count == small.count
    assert small.count <= 6


# -- one installation ---------------------------------------------------------------------------


def detail_url(oi, org_ref="acme"):
    return f"/api/0/organizations/{org_ref}/integrations/{oi.integration_id}/"


def test_detail(api_as, org):
    oi = install(org, "github", name="gh", config={"issue_labels": "bug"})
    db.session.commit()
    response = api_as().get(detail_url(oi))
    assert response.status_code == 200
    assert set(response.json) == ORG_INTEGRATION_KEYS
    assert response.json["name"] == "gh"
    assert response.json["provider"]["features"] == sorted(response.json["provider"]["features"])
    assert response.headers["ETag"] == f'"{oi.version}"'


@pytest.mark.parametrize("ref", ["999999", "abc"])
def test_detail_unknown_is_404(api_as, org, ref):
    response = api_as().get(f"/api/0/organizations/acme/integrations/{ref}/")
    assert response.status_code == 404
    assert response.json == {"detail": "Integration not found"}


def test_detail_of_another_orgs_installation_is_404(api_as, org):
    other = factories.make_org()
    oi = install(other)
    db.session.commit()
    assert api_as("owner").get(detail_url(oi)).status_code == 404


def test_update_config_merges_and_audits(api_as, org):
    oi = install(org, "slack", config={"default_channel": "#old", "legacy": "kept"})
    db.session.commit()
    api = api_as("admin")
    response = api.post(detail_url(oi), json={"default_channel": "#new", "unfurl_links": False})
    assert response.status_code == 200
    assert response.json["configData"] == {"default_channel": "#new", "legacy": "kept",
                                           "unfurl_links": False}
    db.session.refresh(oi)
    assert oi.config["default_channel"] == "#new"
    entry = db.session.scalars(select(AuditLogEntry).where(AuditLogEntry.event == "INTEGRATION_EDIT")).one()
    assert entry.actor_id == api.user.id
    assert entry.data["changes"]["default_channel"] == {"before": "#old", "after": "#new"}


def test_update_config_member_is_403(api_as, org):
    oi = install(org, config={"default_channel": "#old"})
    db.session.commit()
    response = api_as("member").post(detail_url(oi), json={"default_channel": "#new"})
    assert response.status_code == 403
    assert response.json == PERMISSION_DENIED
    db.session.refresh(oi)
    assert oi.config == {"default_channel": "#old"}


def test_update_config_field_errors(api_as, org):
    oi = install(org, "slack")
    db.session.commit()
    response = api_as("owner").post(detail_url(oi), json={"notify_on": "never", "bogus": 1})
    assert response.status_code == 400
    assert set(response.json) == {"notify_on", "bogus"}
    assert response.json["bogus"][0].startswith("Unknown field: bogus")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "not json", "", "null"])
def test_update_config_body_must_be_an_object(api_as, org, body):
    oi = install(org)
    db.session.commit()
    response = api_as("owner").post(detail_url(oi), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"detail": "Request body must be a JSON object."}


def test_update_config_if_match(api_as, org):
    oi = install(org, "slack", config={"default_channel": "#a"})
    db.session.commit()
    api = api_as("owner")
    etag = api.get(detail_url(oi)).headers["ETag"]
    first = api.post(detail_url(oi), json={"default_channel": "#b"}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] != etag
    stale = api.post(detail_url(oi), json={"default_channel": "#c"}, headers={"If-Match": etag})
    assert stale.status_code == 409
    assert stale.json["changes"]["default_channel"] == {"yours": "#c", "current": "#b"}
    bad = api.post(detail_url(oi), json={"default_channel": "#c"}, headers={"If-Match": "yesterday"})
    assert bad.status_code == 400
    db.session.refresh(oi)
    assert oi.config["default_channel"] == "#b"


def test_update_config_of_pending_deletion_is_409(api_as, org):
    oi = install(org, status=ObjectStatus.PENDING_DELETION)
    db.session.commit()
    response = api_as("owner").post(detail_url(oi), json={"default_channel": "#x"})
    assert response.status_code == 409
    assert "pending deletion" in response.json["detail"]


def test_delete_sets_pending_deletion(api_as, org):
    oi = install(org, name="bye")
    db.session.commit()
    api = api_as("manager")
    response = api.delete(detail_url(oi))
    assert response.status_code == 204
    assert response.data == b""
    db.session.refresh(oi)
    assert oi.status == ObjectStatus.PENDING_DELETION
    assert db.session.scalar(select(AuditLogEntry.event).where(AuditLogEntry.target_id == oi.id)) == "INTEGRATION_REMOVE"
    assert api.delete(detail_url(oi)).status_code == 204  # idempotent, as Sentry
    assert api.get(LIST).json[0]["organizationIntegrationStatus"] == "pending_deletion"


def test_delete_member_is_403(api_as, org):
    oi = install(org)
    db.session.commit()
    response = api_as("member").delete(detail_url(oi))
    assert response.status_code == 403
    assert response.json == PERMISSION_DENIED
    assert db.session.get(OrganizationIntegration, oi.id).status == ObjectStatus.ACTIVE


def test_delete_disabled_installation(api_as, org):
    oi = install(org, status=ObjectStatus.DISABLED)
    db.session.commit()
    assert api_as("admin").delete(detail_url(oi)).status_code == 204
    db.session.refresh(oi)
    assert oi.status == ObjectStatus.PENDING_DELETION
