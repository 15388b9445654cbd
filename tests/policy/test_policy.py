"""The provider policy (issue 23): its page (owners and managers change it, members read it,
errors beside the fields, audited diffs, stale edits), and where it is enforced — install
requests (page and API), the request queue, the directory, enabling an installation — and
the installed list's "blocked by policy" filter."""

import pytest
from bs4 import BeautifulSoup
from flask import g
from sqlalchemy import select

from tests import factories
from tests.integrations.helpers import parse_filters, seed
from webapp.blueprints.integrations.table import list_rows
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    IntegrationRequest,
    ObjectStatus,
    OrganizationIntegration,
    ProviderPolicy,
    SentryApp,
)
from webapp.services import integrations as svc
from webapp.services.errors import ValidationFailed
from webapp.services.permissions import get_org_access
from webapp.services.policy import Policy, clean_policy, get_policy, update_policy

URL = "/settings/acme/integration-policy/"
REQUESTS = "/settings/acme/integration-requests/"
REASON = "Security review pending."


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def log_in(client, user):
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def member_of(org, role):
    user = factories.make_user()
    factories.make_member(org, user, role)
    db.session.commit()
    return user


def set_policy(org, mode, reason=REASON, **providers):
    owner = member_of(org, "owner")
    update_policy(get_org_access(owner, org.slug), mode, reason, providers, None)
    db.session.commit()


def post_policy(client, version="0", **fields):
    data = {"mode": "block", "reason": REASON, "version": version, **fields}
    return client.post(URL, data=data)


def audit(event):
    return db.session.scalars(select(AuditLogEntry).where(AuditLogEntry.event == event)
                              .order_by(AuditLogEntry.id)).all()


def error_beside(page, name):
    return page.find(id=f"{name}-error").get_text(" ", strip=True)


# -- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_save_a_policy_audited_with_its_diff(client, login_as, org, role):
    user = login_as(role)
    response = post_policy(client, first_party=["slack", "jira"], plugin=["trello"])
    assert response.status_code == 302
    page = soup(client.get(URL))
    assert "Saved the integration policy." in page.get_text()
    assert "The providers listed below are blocked." in page.get_text()
    assert page.find("input", attrs={"name": "first_party", "value": "slack"}).has_attr("checked")
    policy = get_policy(org)
    assert (policy.mode, policy.reason, policy.version) == ("block", REASON, 1)
    assert policy.providers == {"first_party:slack", "first_party:jira", "plugin:trello"}
    (entry,) = audit("PROVIDER_POLICY_EDIT")
    assert entry.actor_id == user.id and entry.organization_id == org.id
    assert entry.data["changes"] == {
        "mode": {"before": "allow_all", "after": "block"},
        "reason": {"before": "", "after": REASON},
        "providers": {"before": [], "after": ["first_party:jira", "first_party:slack",
                                              "plugin:trello"]},
    }
    assert "Integration policy changed" in page.find(id="history-title").find_parent("section").get_text()
    # Saving the same values again changes and audits nothing.
    post_policy(client, version="1", first_party=["slack", "jira"], plugin=["trello"])
    assert len(audit("PROVIDER_POLICY_EDIT")) == 1


@pytest.mark.parametrize("role", ["member", "admin"])
def test_others_read_the_policy_and_are_refused_a_change(client, login_as, org, role):
    set_policy(org, "block", first_party=["slack"])
    login_as(role)
    page = soup(client.get(URL))
    assert "Only owners and managers can change the integration policy." in page.get_text()
    assert page.find("form", class_="policy-form").fieldset.has_attr("disabled")
    assert REASON in page.get_text()
    assert post_policy(client, version="1", first_party=["jira"]).status_code == 403
    assert get_policy(org).providers == {"first_party:slack"}


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"mode": "open"}, "mode", "Choose one of: allow all, allow only these, block these."),
    ({"mode": "allow_only"}, "mode", "Choose at least one provider to allow, or allow all."),
    ({"first_party": ["slack"], "reason": ""}, "reason", "Give the reason members will see."),
    ({"first_party": ["slack"], "reason": "x" * 501}, "reason",
     "Reason must be at most 500 characters (it has 501)."),
    ({"first_party": ["slack"], "reason": "bad\x07bell"}, "reason",
     "Reason cannot contain control characters."),
    ({"plugin": ["trello", "nope"]}, "plugin", "Unknown provider: nope"),
    ({"sentry_app": ["ghost"]}, "sentry_app", "Unknown provider: ghost"),
])
def test_bad_input_is_400_with_the_message_beside_its_field(client, login_as, org, fields,
                                                            field, message):
    login_as("owner")
    response = post_policy(client, **fields)
    assert response.status_code == 400
    assert message in error_beside(soup(response), field)
    assert db.session.scalar(select(ProviderPolicy)) is None
    assert audit("PROVIDER_POLICY_EDIT") == []


def test_a_stale_version_is_refused_with_409_and_nothing_is_saved(client, login_as, org):
    set_policy(org, "block", first_party=["slack"])
    login_as("owner")
    response = post_policy(client, version="0", first_party=["jira"])
    assert response.status_code == 409
    page = soup(response)
    assert "Someone else changed the policy since you opened it" in page.get_text()
    assert page.find("input", attrs={"name": "version"})["value"] == "1"
    assert get_policy(org).providers == {"first_party:slack"}
    missing = client.post(URL, data={"mode": "allow_all"})
    assert missing.status_code == 400
    assert "missing its version" in missing.get_data(as_text=True)


def test_the_page_points_at_installations_of_blocked_providers(client, login_as, org):
    seed(org)
    set_policy(org, "allow_only", first_party=["github", "jira"])
    login_as("owner")
    page = soup(client.get(URL))
    summary = page.find(class_="policy-summary").get_text(" ", strip=True)
    assert "6 installed integrations are of providers the policy blocks." in summary
    assert page.find("a", string="See them")["href"] == "/settings/acme/integrations/?policy=blocked"
    bulk = page.find("a", string="Uninstall them…")["href"]
    confirm = soup(client.get(bulk))
    assert confirm.h1.get_text(strip=True) == "Uninstall 5 installations?"  # 1 already pending


# -- enforcement -----------------------------------------------------------------------------


def test_a_member_cannot_request_a_blocked_provider(client, org):
    set_policy(org, "block", first_party=["slack"])
    log_in(client, member_of(org, "member"))
    response = client.post(REQUESTS, data={"provider_type": "first_party",
                                           "provider_slug": "slack", "message": "please"})
    assert response.status_code == 400
    assert error_beside(soup(response), "provider_slug") == (
        f"Slack is blocked by this organization’s integration policy: {REASON}")
    assert db.session.scalar(select(IntegrationRequest)) is None
    assert client.post(REQUESTS, data={"provider_type": "first_party",
                                       "provider_slug": "jira"}).status_code == 302


def test_the_api_refuses_a_blocked_provider_with_400_even_for_admins(client, org, api_as):
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    db.session.commit()
    set_policy(org, "allow_only", first_party=["slack"])
    for role in ("member", "admin"):
        response = api_as(role).post("/api/0/organizations/acme/integration-requests/",
                                     json={"providerType": "sentry_app", "providerSlug": "acme-app"})
        assert response.status_code == 400
        assert response.get_json() == {
            "detail": f"Acme App is blocked by this organization’s integration policy: {REASON}"}
    assert db.session.scalar(select(IntegrationRequest)) is None


def test_the_queue_refuses_marking_a_blocked_request_done(client, org):
    requester = member_of(org, "member")
    request = IntegrationRequest(organization_id=org.id, requester_id=requester.id,
                                 provider_type="plugin", provider_slug="trello",
                                 provider_name="Trello", message="", status="open")
    db.session.add(request)
    db.session.commit()
    set_policy(org, "block", plugin=["trello"])
    log_in(client, member_of(org, "manager"))
    response = client.post(f"{REQUESTS}{request.id}/done/", follow_redirects=True)
    assert ("Trello is blocked by this organization’s integration policy: Security review "
            "pending. The request cannot be marked done; dismiss it instead.") in soup(response).get_text()
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, request.id).status == "open"
    assert audit("INTEGRATION_REQUEST_RESOLVE") == []
    client.post(f"{REQUESTS}{request.id}/dismiss/")
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, request.id).status == "dismissed"


def test_the_directory_marks_blocked_providers_with_the_reason(client, org):
    set_policy(org, "block", first_party=["slack"], plugin=["trello"])
    log_in(client, member_of(org, "member"))
    page = soup(client.get("/settings/acme/directory/?q=slack"))
    row = page.find("tr", attrs={"data-kind": "first_party", "data-slug": "slack"})
    assert "Blocked by policy" in row.get_text()
    assert f"Slack is blocked by this organization’s integration policy: {REASON}" in row.get_text()
    assert "Request installation" not in row.get_text()
    other = page.find("tr", attrs={"data-kind": "plugin", "data-slug": "slack"})
    assert "Blocked by policy" not in other.get_text()
    assert "Request installation" in other.get_text()


def blocked_state(page):
    """(badge text, refusal text) of the one policy block on a page, or None."""
    badges, refusals = page.select(".policy-badge"), page.select(".policy-refusal")
    if not badges and not refusals:
        return None
    [badge], [refusal] = badges, refusals
    return badge.get_text(strip=True), refusal.get_text(" ", strip=True)


def test_the_sentry_app_page_shows_the_block_instead_of_a_request(client, org):
    db.session.add_all([SentryApp(slug="acme-app", name="Acme App", status="published"),
                        SentryApp(slug="other-app", name="Other App", status="published")])
    db.session.commit()
    set_policy(org, "block", sentry_app=["acme-app"])
    log_in(client, member_of(org, "member"))
    page = soup(client.get("/settings/acme/sentry-apps/acme-app/"))
    assert blocked_state(page) == (
        "Blocked by policy", f"Acme App is blocked by this organization’s integration policy: {REASON}")
    assert "Request installation" not in page.get_text()
    assert not page.select("a[href*='provider_slug=']")
    # An app the policy allows still offers the request.
    other = soup(client.get("/settings/acme/sentry-apps/other-app/"))
    assert blocked_state(other) is None
    assert other.find("a", string="Request installation")["href"] == (
        f"{REQUESTS}?provider_type=sentry_app&provider_slug=other-app")


@pytest.mark.parametrize("role", ["member", "admin"])
def test_the_provider_page_shows_the_block_instead_of_a_request_or_install(client, org, role):
    set_policy(org, "allow_only", first_party=["github"])
    log_in(client, member_of(org, role))
    page = soup(client.get("/settings/acme/integrations/slack/"))
    assert blocked_state(page) == (
        "Blocked by policy", f"Slack is blocked by this organization’s integration policy: {REASON}")
    text = page.get_text(" ", strip=True)
    assert "Request installation" not in text and "You can install Slack" not in text
    allowed = soup(client.get("/settings/acme/integrations/github/"))
    assert blocked_state(allowed) is None
    expected = "Request installation" if role == "member" else "You can install GitHub"
    assert expected in allowed.get_text(" ", strip=True)


def actions(row):
    """The labels of a queue row's buttons and links, as a screen reader reads them."""
    return [control.get_text(" ", strip=True) for control in row.select(".row-actions a, .row-actions button")]


def test_the_queue_shows_a_blocked_request_with_dismiss_only(client, org):
    requester = member_of(org, "member")
    requester.name = "Rae"
    for slug, name in (("trello", "Trello"), ("asana", "Asana")):
        db.session.add(IntegrationRequest(organization_id=org.id, requester_id=requester.id,
                                          provider_type="plugin", provider_slug=slug,
                                          provider_name=name, message="", status="open"))
    db.session.commit()
    set_policy(org, "block", plugin=["trello"])
    log_in(client, member_of(org, "owner"))
    page = soup(client.get(REQUESTS))
    rows = {row.find("a").get_text(): row for row in page.select("tr.queue-row")}
    assert blocked_state(rows["Trello"]) == (
        "Blocked by policy", f"Trello is blocked by this organization’s integration policy: {REASON}")
    assert actions(rows["Trello"]) == ["Dismiss… (request for Trello by Rae)"]
    assert blocked_state(rows["Asana"]) is None
    assert actions(rows["Asana"]) == ["Mark done (request for Asana by Rae)",
                                      "Dismiss… (request for Asana by Rae)"]
    # Resolved requests are history: no block shown on them.
    set_policy(org, "block", plugin=["asana", "trello"])
    asana = db.session.scalar(select(IntegrationRequest).where(IntegrationRequest.provider_slug == "asana"))
    asana.status = "done"
    db.session.commit()
    done = soup(client.get(REQUESTS, query_string={"state": "done"}))
    [row] = done.select("tr.queue-row")
    assert blocked_state(row) is None


def test_the_requester_sees_their_open_request_is_blocked_now(client, org):
    requester = member_of(org, "member")
    for slug, name, status in (("trello", "Trello", "open"), ("asana", "Asana", "open"),
                               ("jira", "Jira", "dismissed")):
        db.session.add(IntegrationRequest(organization_id=org.id, requester_id=requester.id,
                                          provider_type="plugin", provider_slug=slug,
                                          provider_name=name, message="", status=status))
    db.session.commit()
    set_policy(org, "block", plugin=["trello", "jira"])
    log_in(client, requester)
    page = soup(client.get(REQUESTS))
    rows = {row.find("a").get_text(): row for row in page.select("table.my-requests tbody tr")}
    assert blocked_state(rows["Trello"]) == (
        "Blocked by policy", f"Trello is blocked by this organization’s integration policy: {REASON}")
    assert blocked_state(rows["Asana"]) is None
    assert blocked_state(rows["Jira"]) is None  # resolved: history, no block shown


def test_enabling_an_installation_of_a_blocked_provider_is_refused(client, login_as, org):
    made = seed(org)
    set_policy(org, "block", first_party=["jira"])
    login_as("admin")
    gamma = made["Gamma Jira"]
    base = f"/settings/acme/integrations/jira/{gamma.integration_id}/"
    page = soup(client.get(base))
    assert page.find("button", string="Enable").has_attr("disabled")
    assert f"Jira is blocked by this organization’s integration policy: {REASON}" in page.get_text()
    assert client.post(base + "enable/").status_code == 409
    assert db.session.scalar(select(OrganizationIntegration.status).where(
        OrganizationIntegration.id == gamma.id)) == ObjectStatus.DISABLED


def test_the_list_filters_installations_blocked_by_policy(client, login_as, org):
    seed(org)
    set_policy(org, "block", first_party=["slack", "jira", "gitlab"])
    login_as("member")
    page = soup(client.get("/settings/acme/integrations/?policy=blocked"))
    names = [a.get_text(strip=True) for a in page.select("tbody a")]
    assert sorted(n for n in names if n) == ["Alpha Slack", "Gamma Jira", "Zeta GitLab"]
    assert "Blocked by policy" in [a.contents[0].strip() for a in page.select("a.filter-chip")]
    filters = svc.resolve_policy(org, parse_filters({}), always=True)
    facets = svc.facet_counts(org, filters)
    assert facets.policy == {"blocked": 3}
    rows = list_rows(svc.list_installations(org, filters).items, "/l/", "/l/", False,
                     filters.blocked_providers)
    assert {r.name for r in rows if r.policy_badge} == {"Alpha Slack", "Gamma Jira", "Zeta GitLab"}
    assert client.get("/settings/acme/integrations/?policy=maybe").status_code == 400


def test_the_list_shows_the_policy_filter_and_badges_and_says_when_nothing_is_blocked(client, login_as, org):
    seed(org)
    set_policy(org, "block", first_party=["slack", "jira"])
    login_as("member")
    page = soup(client.get("/settings/acme/integrations/?status=active"))
    select_ = page.find("select", attrs={"name": "policy"})
    assert page.find("label", attrs={"for": select_["id"]}).get_text(strip=True) == "Policy"
    # the count is the facet's: the rows the filter would give with the other filters kept
    assert [o.get_text(strip=True) for o in select_.find_all("option")] == ["Any", "Blocked by policy (1)"]
    badged = {tr.select_one("td.col-name").get_text(strip=True)
              for tr in page.select("table.integrations-table tbody tr") if tr.select_one(".policy-badge")}
    assert badged == {"Alpha Slack"}
    assert page.select_one(".policy-badge").get_text(strip=True) == "Blocked by policy"
    chosen = soup(client.get("/settings/acme/integrations/?policy=blocked"))
    assert chosen.find("select", attrs={"name": "policy"}).find("option", selected=True)["value"] == "blocked"
    empty = soup(client.get("/settings/acme/integrations/?policy=blocked&provider_key=github"))
    assert empty.find("table") is None
    assert empty.h2.get_text(strip=True) == "No installations blocked by policy"
    assert ("No installation matching these filters is of a provider that the integration policy "
            "of Acme Corp blocks.") in empty.get_text()


# -- the rule itself -------------------------------------------------------------------------


def test_allow_only_blocks_everything_not_listed_of_every_kind():
    policy = Policy("allow_only", "Only approved tools.", frozenset({"first_party:slack"}))
    assert policy.refusal("first_party", "slack", "Slack") is None
    assert policy.refusal("plugin", "trello", "Trello") == (
        "Trello is blocked by this organization’s integration policy: Only approved tools.")
    assert policy.blocks("sentry_app", "anything")
    assert "slack" not in policy.blocked_provider_keys() and "github" in policy.blocked_provider_keys()
    assert not Policy("allow_all", "", frozenset({"first_party:slack"})).blocks("first_party", "slack")


def test_clean_policy_refuses_what_is_not_a_list_of_known_slugs():
    known = {"first_party": ["slack"], "plugin": [], "sentry_app": []}
    with pytest.raises(ValidationFailed) as exc:
        clean_policy("block", "Why", {"first_party": "slack", "desktop": ["x"]}, known)
    assert exc.value.field_errors == {"first_party": ["Must be a list of providers."],
                                      "__all__": ["Unknown provider type: desktop."]}


def test_two_first_saves_at_once_give_the_second_a_409_not_a_500(client, login_as, org,
                                                                 monkeypatch):
    """Two owners save the org's first policy at once: both read "no policy stored", so
    neither has a row to lock; the second insert hits the one-policy-per-org index and is
    answered as a stale edit (409, the first one's values kept), not an IntegrityError."""
    from webapp.services import policy as policy_service

    set_policy(org, "block", first_party=["slack"])  # the first save, committed
    real = policy_service._stored_policy_for_update
    calls = []

    def read_before_the_first_commit(organization):
        calls.append(organization.id)
        return None if len(calls) == 1 else real(organization)

    monkeypatch.setattr(policy_service, "_stored_policy_for_update", read_before_the_first_commit)
    login_as("owner")
    response = post_policy(client, version="0", first_party=["jira"])
    assert response.status_code == 409
    assert "Someone else changed the policy since you opened it" in soup(response).get_text()
    assert get_policy(org).providers == {"first_party:slack"}
    assert len(audit("PROVIDER_POLICY_EDIT")) == 1


def test_a_first_save_without_a_version_check_saves_over_a_concurrent_first_save(org,
                                                                                  monkeypatch):
    from webapp.services import policy as policy_service

    set_policy(org, "block", first_party=["slack"])
    real = policy_service._stored_policy_for_update
    calls = []
    monkeypatch.setattr(policy_service, "_stored_policy_for_update",
                        lambda o: None if not calls.append(o.id) and len(calls) == 1 else real(o))
    owner = member_of(org, "owner")
    update_policy(get_org_access(owner, org.slug), "block", REASON, {"first_party": ["jira"]}, None)
    db.session.commit()
    assert get_policy(org).providers == {"first_party:jira"}
    assert [e.data["changes"]["providers"]["after"] for e in audit("PROVIDER_POLICY_EDIT")] == [
        ["first_party:slack"], ["first_party:jira"]]
