"""Install requests (SPEC §7.4): the form, the queue, resolving, audit entries, email."""

import logging

import pytest
from flask import g

from tests import factories
from tests.requests.helpers import (
    URL,
    audit_events,
    field_error,
    free_port,
    log_in,
    make_member,
    parse,
    queue_rows,
    requests_in_db,
    soup,
    submit,
)
from webapp.extensions import db
from webapp.models import IntegrationRequest, OrganizationMember, SentryApp, User
from webapp.services.errors import Conflict, ValidationFailed
from webapp.services.install_requests import (
    AlreadyRequested,
    create_install_request,
    humanize_age,
)
from webapp.services.permissions import get_org_access
from webapp.services.request_resolution import resolve_request

# -- submitting -------------------------------------------------------------------------------


def test_member_request_is_stored_audited_and_listed_as_theirs(client, login_as, org):
    member = login_as("member")
    response = submit(client, message="  We need alerts in #ops.  ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(URL)
    [stored] = requests_in_db()
    assert (stored.provider_type, stored.provider_slug, stored.provider_name) == ("first_party", "slack", "Slack")
    assert stored.message == "We need alerts in #ops."
    assert stored.status == "open" and stored.requester_id == member.id
    [entry] = audit_events("INTEGRATION_REQUEST")
    assert entry.actor_id == member.id and entry.organization_id == org.id
    assert entry.target_type == "integration_request" and entry.target_id == stored.id
    assert entry.data["provider_slug"] == "slack" and entry.data["message"] == "We need alerts in #ops."
    assert entry.ip_address == "127.0.0.1"

    page = client.get(URL)
    text = soup(page).get_text(" ", strip=True)
    assert "Your request for Slack was sent" in text
    mine = soup(page).find("table", class_="my-requests")
    assert "Slack" in mine.get_text() and "Open" in mine.get_text()


def test_request_shows_in_owner_and_manager_queues_not_for_member_or_admin(client, login_as, org):
    member = login_as("member", name="Mia Member")
    submit(client, message="please")
    assert queue_rows(client.get(URL)) == []
    member_page = soup(client.get(URL)).get_text(" ", strip=True)
    assert "Only owners and managers can resolve install requests." in member_page
    assert "Mark done" not in member_page

    for role in ("owner", "manager"):
        log_in(client, make_member(org, role))
        rows = queue_rows(client.get(URL))
        assert len(rows) == 1
        row_text = rows[0].get_text(" ", strip=True)
        assert "Slack" in row_text and "Mia Member" in row_text and member.email in row_text
        assert "please" in row_text and "just now" in row_text
        buttons = [b.get_text(" ", strip=True) for b in rows[0].find_all("button")]
        assert buttons == ["Mark done (request for Slack by Mia Member)"]
        [dismiss] = [a for a in rows[0].find_all("a") if a.get_text(" ", strip=True).startswith("Dismiss")]
        assert dismiss.get_text(" ", strip=True) == "Dismiss… (request for Slack by Mia Member)"
        assert dismiss["href"].startswith(f"{URL}{requests_in_db()[0].id}/dismiss/?next=")

    log_in(client, make_member(org, "admin"))
    response = client.get(URL)
    assert queue_rows(response) == []
    assert "Only owners and managers can resolve install requests." in response.get_data(as_text=True)


def test_unknown_provider_is_400_beside_the_field_and_keeps_values(client, login_as):
    login_as("member")
    response = submit(client, "plugin", "nope", "my message")
    assert response.status_code == 400
    assert field_error(response, "provider_slug") == "Provider nope not found"
    page = soup(response)
    assert page.find(id="provider_slug")["value"] == "nope"
    assert page.find(id="message").get_text().strip() == "my message"
    assert page.find(id="provider_type").find("option", selected=True)["value"] == "plugin"
    assert requests_in_db() == [] and audit_events("INTEGRATION_REQUEST") == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"provider_type": "doc_integration", "provider_slug": "slack"}, "provider_type",
         "Provider type must be one of: first_party, plugin, sentry_app."),
        ({"provider_type": "first_party", "provider_slug": "   "}, "provider_slug",
         "Provider slug is required."),
        ({"provider_type": "first_party", "provider_slug": "slack", "message": "x" * 1001}, "message",
         "Message must be at most 1,000 characters (it has 1,001)."),
        # the owners are emailed the message, as the requester is a dismissal's reason
        ({"provider_type": "first_party", "provider_slug": "slack",
          "message": "Please \x1b[31minstall\x1b[0m"}, "message",
         "Message cannot contain control characters."),
    ],
)
def test_bad_fields_are_400_with_the_message_beside_them(client, login_as, data, field, message):
    login_as("member")
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert requests_in_db() == []


def test_message_of_1000_characters_after_trimming_is_accepted(client, login_as):
    login_as("member")
    assert submit(client, message="  " + "x" * 1000 + "\n").status_code == 302
    assert len(requests_in_db()[0].message) == 1000


@pytest.mark.parametrize("role", ["admin", "manager", "owner", "staff"])
def test_users_who_can_install_are_told_so_and_nothing_is_stored(client, login_as, role):
    login_as(role)
    response = submit(client, "first_party", "github", "for the repo")
    assert response.status_code == 200
    notice = soup(response).find(class_="can-install-notice")
    assert "You can install GitHub yourself." in notice.get_text(" ", strip=True)
    assert notice.find("a")["href"] == "/settings/acme/integrations/github/"
    assert requests_in_db() == [] and audit_events("INTEGRATION_REQUEST") == []


def test_users_who_can_install_are_told_so_before_the_provider_is_looked_up(client, login_as, org):
    """As in Sentry, for the page as for the API: the permission check comes first."""
    login_as("owner")
    response = submit(client, "plugin", "no-such-thing", "x" * 1001)
    assert response.status_code == 200
    notice = soup(response).find(class_="can-install-notice")
    text = notice.get_text(" ", strip=True)
    assert "You can install integrations yourself." in text
    assert "Nothing in the directory is called “no-such-thing”." in text
    assert notice.find("a")["href"] == "/settings/acme/directory/"
    assert requests_in_db() == [] and audit_events("INTEGRATION_REQUEST") == []
    outcome = create_install_request(get_org_access(make_member(org, "admin"), "acme"),
                                     "magic", "slack", None, None)
    assert outcome.user_can_install and outcome.request is None and outcome.provider_name is None


def test_second_open_request_is_refused_until_the_first_is_resolved(client, login_as, org):
    member = login_as("member")
    assert submit(client).status_code == 302
    response = submit(client, message="again")
    assert response.status_code == 400
    assert field_error(response, "provider_slug") == "You already requested Slack."
    assert len(requests_in_db()) == 1
    # Another provider, or the same slug under another type, is a different request.
    assert submit(client, "plugin", "slack").status_code == 302
    assert len(requests_in_db()) == 2

    owner = make_member(org, "owner")
    access = get_org_access(owner, "acme")
    resolve_request(access, requests_in_db()[0].id, "done", None)
    log_in(client, member)
    assert submit(client).status_code == 302
    resolve_request(get_org_access(owner, "acme"), requests_in_db()[2].id, "dismissed", None)
    log_in(client, member)
    assert submit(client).status_code == 302
    assert [r.status for r in requests_in_db() if r.provider_type == "first_party"] == ["done", "dismissed", "open"]


def test_another_members_open_request_does_not_block(client, login_as, org):
    login_as("member")
    submit(client)
    log_in(client, make_member(org, "member"))
    assert submit(client).status_code == 302
    assert len(requests_in_db()) == 2


def test_service_errors_for_the_api(app, org):
    """The API calls the service: AlreadyRequested is a Conflict (409 there)."""
    member = make_member(org, "member")
    access = get_org_access(member, "acme")
    outcome = create_install_request(access, "plugin", "trello", None, "10.0.0.1")
    assert outcome.request is not None and outcome.provider_name == "Trello"
    with pytest.raises(AlreadyRequested) as exc_info:
        create_install_request(get_org_access(member, "acme"), "plugin", "trello", "", None)
    assert isinstance(exc_info.value, Conflict) and exc_info.value.status == 409
    assert exc_info.value.message == "You already requested Trello."
    with pytest.raises(ValidationFailed) as exc_info:
        create_install_request(get_org_access(member, "acme"), "sentry_app", "nope", 5, None)
    assert exc_info.value.field_errors == {
        "provider_slug": ["Provider nope not found"], "message": ["Message must be text."],
    }
    admin = make_member(org, "admin")
    outcome = create_install_request(get_org_access(admin, "acme"), "first_party", "jira", "", None)
    assert outcome.user_can_install and outcome.request is None and outcome.provider_name == "Jira"


def test_sentry_app_request_uses_the_app_name(client, login_as):
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    login_as("member")
    assert submit(client, "sentry_app", "acme-app").status_code == 302
    assert requests_in_db()[0].provider_name == "Acme App"


def test_prefill_from_a_request_installation_link(client, login_as):
    login_as("member")
    page = soup(client.get(URL + "?provider_type=plugin&provider_slug=trello"))
    assert page.find(id="provider_type").find("option", selected=True)["value"] == "plugin"
    assert page.find(id="provider_slug")["value"] == "trello"
    assert "You are requesting Trello (plugin)." in page.get_text(" ", strip=True)
    # A bad type in the link falls back to the default rather than failing.
    page = soup(client.get(URL + "?provider_type=bogus&provider_slug=<b>x</b>"))
    assert page.find(id="provider_type").find("option", selected=True)["value"] == "first_party"
    assert page.find(id="provider_slug")["value"] == "<b>x</b>"


def test_user_text_is_escaped_in_the_queue(client, login_as, org):
    login_as("member", name="<i>Eve</i>")
    submit(client, message="<script>alert(1)</script>")
    log_in(client, make_member(org, "owner"))
    html = client.get(URL).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<i>Eve</i>" not in html


def test_access(client, login_as, app):
    assert client.get(URL).status_code == 302  # login first
    factories.make_org(slug="other")
    login_as("member")
    g.pop("_login_user", None)  # the anonymous user of the first request is cached in g
    assert client.get("/settings/other/integration-requests/").status_code == 404
    assert client.post("/settings/other/integration-requests/", data={}).status_code == 404


# -- resolving --------------------------------------------------------------------------------


@pytest.fixture
def open_request(client, login_as, org):
    requester = login_as("member", name="Rita Requester")
    submit(client, "plugin", "trello", "board sync")
    return requests_in_db()[0], requester


@pytest.mark.parametrize(("action", "status", "flash"), [
    ("done", "done", "Marked as done: the request for Trello by Rita Requester."),
    ("dismiss", "dismissed", "Dismissed: the request for Trello by Rita Requester."),
])
def test_owner_resolves_a_request(client, org, open_request, action, status, flash):
    request, requester = open_request
    owner = make_member(org, "owner")
    log_in(client, owner)
    back = URL + "?q=trello"
    response = client.post(f"{URL}{request.id}/{action}/", data={"next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    db.session.expire_all()
    assert request.status == status and request.resolved_by_id == owner.id
    assert request.date_resolved is not None
    [entry] = audit_events("INTEGRATION_REQUEST_RESOLVE")
    assert entry.actor_id == owner.id and entry.target_id == request.id
    assert entry.data["changes"] == {"status": {"before": "open", "after": status}}
    page = client.get(URL)
    assert flash in soup(page).get_text(" ", strip=True)
    assert queue_rows(page) == []
    assert "No open requests" in page.get_data(as_text=True)
    # The requester sees the outcome in their list.
    log_in(client, requester)
    mine = soup(client.get(URL)).find("table", class_="my-requests").get_text(" ", strip=True)
    assert status.capitalize() in mine


def test_resolving_twice_is_refused_without_a_second_audit_entry(client, org, open_request):
    request, _ = open_request
    manager = make_member(org, "manager", name="Max Manager")
    log_in(client, manager)
    client.post(f"{URL}{request.id}/done/")
    response = client.post(f"{URL}{request.id}/dismiss/", follow_redirects=True)
    assert "The request for Trello was already marked done by Max Manager." in response.get_data(as_text=True)
    db.session.expire_all()
    assert request.status == "done"
    assert len(audit_events("INTEGRATION_REQUEST_RESOLVE")) == 1


def test_members_and_admins_cannot_resolve(client, org, open_request):
    request, requester = open_request
    for user in (requester, make_member(org, "admin")):
        log_in(client, user)
        assert client.post(f"{URL}{request.id}/done/").status_code == 403
    db.session.expire_all()
    assert request.status == "open"


def test_request_of_another_org_is_404(client, org, open_request):
    request, _ = open_request
    other = factories.make_org(slug="other")
    owner = make_member(other, "owner")
    log_in(client, owner)
    assert client.post(f"/settings/other/integration-requests/{request.id}/done/").status_code == 404
    assert client.post(f"{URL}{request.id}/done/").status_code == 404  # not a member of acme


def test_resolve_rejects_a_bad_status(app, org, open_request):
    owner = make_member(org, "owner")
    with pytest.raises(ValidationFailed):
        resolve_request(get_org_access(owner, "acme"), open_request[0].id, "open", None)


def test_resolve_needs_csrf_when_csrf_is_on(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.make_org(slug="acme")
        member = make_member(org, "member")
        create_install_request(get_org_access(member, "acme"), "first_party", "slack", "", None)
        owner = make_member(org, "owner")
        client = app.test_client()
        log_in(client, owner)
        request_id = requests_in_db()[0].id
        assert client.post(f"{URL}{request_id}/done/").status_code == 400
        page = soup(client.get(URL))
        form = page.find("form", action=f"{URL}{request_id}/done/")
        token = form.find("input", attrs={"name": "csrf_token"})["value"]
        response = client.post(f"{URL}{request_id}/done/", data={"csrf_token": token})
        assert response.status_code == 302
        db.session.remove()


# -- the queue: filters, sorting, paging, query counts ----------------------------------------


def make_requests(org, count, slugs=("slack", "github", "jira")):
    members = [make_member(org, "member", name=f"Member {i}") for i in range(count)]
    for i, member in enumerate(members):
        create_install_request(get_org_access(member, "acme"), "first_party",
                               slugs[i % len(slugs)], f"note {i}", None)
    return members


def test_queue_filters_sort_and_page(client, login_as, org):
    make_requests(org, 5)
    create_install_request(get_org_access(make_member(org, "member"), "acme"), "plugin", "trello", "", None)
    login_as("owner")
    assert len(queue_rows(client.get(URL))) == 6
    rows = queue_rows(client.get(URL + "?q=JIRA"))
    assert [r.find("a").get_text() for r in rows] == ["Jira"]
    rows = queue_rows(client.get(URL + "?q=member 3"))
    assert len(rows) == 1 and "Member 3" in rows[0].get_text()
    rows = queue_rows(client.get(URL + "?kind=plugin"))
    assert [r.find("a").get_text() for r in rows] == ["Trello"]
    rows = queue_rows(client.get(URL + "?sort=provider"))
    assert [r.find("a").get_text() for r in rows] == ["GitHub", "GitHub", "Jira", "Slack", "Slack", "Trello"]
    rows = queue_rows(client.get(URL + "?sort=date_added"))
    assert "note 0" in rows[0].get_text()
    page = client.get(URL + "?per_page=4&page=2")
    assert len(queue_rows(page)) == 2
    assert "Showing 5–6 of 6 open requests" in soup(page).get_text(" ", strip=True)
    past_end = client.get(URL + "?per_page=4&page=9")
    assert queue_rows(past_end) == []
    assert "Page 9 is past the end of the 6 open requests." in soup(past_end).get_text(" ", strip=True)
    response = client.get(URL + "?q=nothing-like-this")
    assert "No open requests match these filters" in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "field", "message"), [
    ("kind=doc_integration", "kind", "Unknown type: doc_integration. Use one of: first_party, plugin, sentry_app."),
    ("sort=requester", "sort", "Unknown sort: requester. Use one of: date_added, -date_added, provider, -provider, "
                               "date_resolved, -date_resolved."),
    ("per_page=500", "per_page", "Rows per page must be between 1 and 100."),
])
def test_bad_queue_filters_are_400(client, login_as, org, query, field, message):
    make_requests(org, 2)
    login_as("manager")
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert message in soup(response).get_text(" ", strip=True)
    assert len(queue_rows(response)) == 2  # the list is still shown, without the bad filter


def bulk_requests(org, count):
    """`count` open requests by `count` members, inserted directly (no password hashing)."""
    users = [User(email=f"bulk{i}@example.com", name=f"Bulk {i}") for i in range(count)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(OrganizationMember(organization=org, user=u, role="member") for u in users)
    db.session.add_all(
        IntegrationRequest(organization_id=org.id, requester_id=u.id, provider_type="first_party",
                           provider_slug="slack", provider_name="Slack", message=f"m{i}")
        for i, u in enumerate(users)
    )
    db.session.commit()


@pytest.mark.parametrize("count", [3, 300])
def test_queue_page_costs_a_constant_number_of_queries(client, login_as, org, count_queries, count):
    bulk_requests(org, count)
    login_as("owner")
    with count_queries() as counter:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(queue_rows(response)) == min(count, 25)
    # user, org access, org switcher, own requests, state counts (the total), queue page
    assert counter.count <= 6, counter.statements


def test_humanize_age():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert humanize_age(now - timedelta(seconds=30), now) == "just now"
    assert humanize_age(now - timedelta(minutes=1), now) == "1 minute ago"
    assert humanize_age(now - timedelta(hours=5, minutes=3), now) == "5 hours ago"
    assert humanize_age(now - timedelta(days=3), now) == "3 days ago"
    assert humanize_age(None, now) == "—"


# -- notification email -----------------------------------------------------------------------


def test_email_goes_to_owners_and_managers_only(mail_app, smtp_server):
    _, collector = smtp_server
    org = factories.make_org(slug="acme", name="Acme Corp")
    owners = [make_member(org, "owner", email="o1@example.com"), make_member(org, "owner", email="o2@example.com")]
    make_member(org, "owner", email="gone@example.com", is_active=False)
    manager = make_member(org, "manager", email="mgr@example.com")
    make_member(org, "admin", email="adm@example.com")
    make_member(org, "member", email="bystander@example.com")
    other = factories.make_org(slug="other")
    make_member(other, "owner", email="other-owner@example.com")
    requester = make_member(org, "member", email="req@example.com", name="Rae Requester")
    client = mail_app.test_client()
    log_in(client, requester)

    response = submit(client, "first_party", "pagerduty", "On-call paging, please.\nThanks!")
    assert response.status_code == 302
    recipients = sorted(rcpt for envelope in collector.envelopes for rcpt in envelope.rcpt_tos)
    assert recipients == sorted([u.email for u in owners] + [manager.email])
    messages = [parse(envelope) for envelope in collector.envelopes]
    assert sorted(m["To"] for m in messages) == recipients  # one message each: no shared To
    message = messages[0]
    assert message["Subject"] == "Your team member requested the PagerDuty integration"
    assert message["From"] == "admin-bot@example.com"
    body = message.get_content().replace("\r\n", "\n")
    assert "Rae Requester <req@example.com> asked for the PagerDuty integration" in body
    assert "    On-call paging, please.\n    Thanks!" in body
    assert "http://localhost/settings/acme/integrations/pagerduty/?referrer=request_email" in body
    assert "http://localhost/settings/acme/integration-requests/" in body
    assert "Your request for PagerDuty was sent." in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(("provider_type", "slug", "path"), [
    ("plugin", "trello", "/settings/acme/plugins/trello/?referrer=request_email"),
    ("sentry_app", "acme-app", "/settings/acme/sentry-apps/acme-app/?referrer=request_email"),
])
def test_email_links_to_the_plugin_or_sentry_app_page(mail_app, smtp_server, provider_type, slug, path):
    _, collector = smtp_server
    org = factories.make_org(slug="acme", name="Acme Corp")
    db.session.add(SentryApp(slug="acme-app", name="Acme App", status="published"))
    make_member(org, "owner")
    requester = make_member(org, "member")
    create_install_request(get_org_access(requester, "acme"), provider_type, slug, "", None,
                           base_url="https://admin.example/")
    [envelope] = collector.envelopes
    assert "https://admin.example" + path in parse(envelope).get_content()


def test_smtp_down_keeps_the_request_and_logs_the_error(app_factory, caplog):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with app.app_context():
        org = factories.make_org(slug="acme", name="Acme Corp")
        make_member(org, "owner", email="owner@example.com")
        client = app.test_client()
        log_in(client, make_member(org, "member"))
        with caplog.at_level(logging.INFO, logger="webapp.mail"):
            response = submit(client, "plugin", "trello", "still stored?")
        assert response.status_code == 302
        [stored] = requests_in_db()
        assert stored.message == "still stored?" and stored.status == "open"
        assert len(audit_events("INTEGRATION_REQUEST")) == 1
        errors = [r for r in caplog.records if r.name == "webapp.mail" and r.levelno == logging.ERROR]
        assert errors and "owner@example.com" in errors[0].getMessage()
        assert "Your team member requested the Trello integration" in errors[0].getMessage()
        page = client.get(URL).get_data(as_text=True)
        assert "Your request for Trello was sent." in page
        assert "The notification email could not be sent." in page
        db.session.remove()


def test_without_mail_server_the_email_is_logged(client, login_as, org, caplog):
    make_member(org, "manager", email="mgr@example.com")
    login_as("member")
    with caplog.at_level(logging.INFO, logger="webapp.mail"):
        assert submit(client, "first_party", "slack", "hi").status_code == 302
    [record] = [r for r in caplog.records if r.name == "webapp.mail"]
    assert record.levelno == logging.INFO
    text = record.getMessage()
    assert "To: mgr@example.com" in text
    assert "Subject: Your team member requested the Slack integration" in text
    assert "/settings/acme/integrations/slack/?referrer=request_email" in text
