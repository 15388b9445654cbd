"""Resolving install requests: the resolved view and its state filter, the dismissal's
confirmation with a reason, the requester's email (a local SMTP server) and their outcome
under "Your requests", the audit entry, and who may do it."""

import logging

import pytest

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
from webapp.models import IntegrationRequest, utcnow
from webapp.services.errors import ValidationFailed
from webapp.services.install_requests import create_install_request
from webapp.services.permissions import get_org_access
from webapp.services.request_resolution import resolve_request


def page_text(response) -> str:
    return soup(response).get_text(" ", strip=True)


def row_names(response) -> list[str]:
    return [row.find("a").get_text() for row in queue_rows(response)]


def dismiss_url(request_id: int) -> str:
    return f"{URL}{request_id}/dismiss/"


@pytest.fixture
def three_requests(org):
    """Rita's Trello (open), Jira (done by Olga) and Asana (dismissed by Olga, with a reason)."""
    rita = make_member(org, "member", name="Rita Requester", email="rita@example.com")
    olga = make_member(org, "owner", name="Olga Owner", email="olga@example.com")
    made = {}
    for slug in ("trello", "jira", "asana"):
        outcome = create_install_request(get_org_access(rita, "acme"), "plugin", slug, f"need {slug}", None)
        made[slug] = outcome.request.id
    resolve_request(get_org_access(olga, "acme"), made["jira"], "done", None)
    resolve_request(get_org_access(olga, "acme"), made["asana"], "dismissed", None,
                    reason="We track tasks in Jira.")
    return rita, olga, made


# -- the resolved view ------------------------------------------------------------------------


def test_default_is_the_open_queue_and_states_show_resolved_requests(client, three_requests):
    rita, olga, _ = three_requests
    log_in(client, olga)
    response = client.get(URL)
    assert response.status_code == 200
    assert row_names(response) == ["Trello"]
    page = soup(response)
    assert page.find(id="queue-title").get_text() == "Open requests"
    labels = {o["value"]: o.get_text() for o in page.find(id="state").find_all("option")}
    assert labels == {"open": "Open (1)", "done": "Done (1)", "dismissed": "Dismissed (1)", "all": "All (3)"}
    assert "Clear filters" not in page_text(response)

    done = client.get(URL + "?state=done")
    assert done.status_code == 200
    assert row_names(done) == ["Jira"]
    assert soup(done).find(id="queue-title").get_text() == "Done requests"
    assert "Showing 1–1 of 1 done request" in page_text(done)
    [row] = queue_rows(done)
    outcome = row.find(class_="request-outcome").get_text(" ", strip=True)
    assert outcome.startswith("Done by Olga Owner,")
    assert row.find("button") is None and "Dismiss" not in row.get_text()  # nothing left to do

    dismissed = client.get(URL + "?state=dismissed")
    [row] = queue_rows(dismissed)
    outcome = row.find(class_="request-outcome").get_text(" ", strip=True)
    assert outcome.startswith("Dismissed by Olga Owner") and "Reason: We track tasks in Jira." in outcome

    everything = client.get(URL + "?state=all&sort=provider")
    assert row_names(everything) == ["Asana", "Jira", "Trello"]
    statuses = [row["data-status"] for row in queue_rows(everything)]
    assert statuses == ["dismissed", "done", "open"]
    assert [bool(row.find("button")) for row in queue_rows(everything)] == [False, False, True]


def test_state_combines_with_search_type_and_the_resolved_sort(client, three_requests):
    _, olga, made = three_requests
    log_in(client, olga)
    # The search covers the reason too: Asana was dismissed "We track tasks in Jira."
    assert row_names(client.get(URL + "?state=all&q=jira")) == ["Asana", "Jira"]
    assert row_names(client.get(URL + "?state=all&kind=first_party")) == []
    response = client.get(URL + "?state=done&kind=first_party")
    assert "No done requests match these filters" in page_text(response)
    # Most recently resolved first; open requests (never resolved) last.
    resolved = row_names(client.get(URL + "?state=all&sort=-date_resolved"))
    assert resolved == ["Asana", "Jira", "Trello"]
    assert row_names(client.get(URL + "?state=all&sort=date_resolved")) == ["Jira", "Asana", "Trello"]


def test_facet_counts_follow_the_other_filters(client, three_requests):
    _, olga, _ = three_requests
    log_in(client, olga)
    page = soup(client.get(URL + "?q=trello"))
    labels = [o.get_text() for o in page.find(id="state").find_all("option")]
    assert labels == ["Open (1)", "Done (0)", "Dismissed (0)", "All (1)"]


@pytest.mark.parametrize("value", ["closed", "OPEN", "done,dismissed"])
def test_a_bad_state_is_400_beside_the_field_and_the_open_queue_still_shows(client, three_requests, value):
    _, olga, _ = three_requests
    log_in(client, olga)
    response = client.get(URL, query_string={"state": value})
    assert response.status_code == 400
    assert field_error(response, "state") == f"Unknown state: {value}. Use one of: open, done, dismissed, all."
    assert row_names(response) == ["Trello"]
    selected = soup(response).find(id="state").find("option", selected=True)
    assert selected["value"] == value and selected.get_text() == f"{value} (unknown)"


def test_list_service_refuses_a_bad_state(app, org):
    from webapp.services.install_requests import list_requests

    with pytest.raises(ValidationFailed) as exc_info:
        list_requests(org, state="closed")
    assert exc_info.value.field_errors == {"state": ["Unknown state: closed. Use one of: open, done, dismissed, all."]}


def test_resolved_view_costs_a_constant_number_of_queries(client, login_as, org, count_queries):
    owner = login_as("owner")
    requester = make_member(org, "member")
    db.session.add_all(
        IntegrationRequest(organization_id=org.id, requester_id=requester.id, provider_type="plugin",
                           provider_slug="trello", provider_name="Trello", status="dismissed",
                           resolved_by_id=owner.id, date_resolved=utcnow(),
                           resolution_reason=f"reason {i}")
        for i in range(60)
    )
    db.session.commit()
    with count_queries() as counter:
        response = client.get(URL + "?state=all")
    assert response.status_code == 200 and len(queue_rows(response)) == 25
    assert counter.count <= 6, counter.statements


# -- dismissing asks first --------------------------------------------------------------------


def test_dismiss_get_names_the_request_and_changes_nothing(client, three_requests):
    _, olga, made = three_requests
    log_in(client, olga)
    back = URL + "?q=trello"
    response = client.get(dismiss_url(made["trello"]), query_string={"next": back})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("h1").get_text(" ", strip=True) == "Dismiss the request for Trello by Rita Requester?"
    assert "need trello" in page.find(class_="request-summary").get_text()
    # No MAIL_SERVER in this app: the page does not promise an email it will not send.
    text = page_text(response)
    assert ("Rita Requester sees it under “Your requests”, with your reason if you give one; "
            "no email is sent because mail is not configured.") in text
    assert "told by email" not in text and "Emailed to the requester" not in text
    form = page.find("form", class_="dismiss-form")
    assert form.find("textarea", attrs={"name": "reason"}) is not None
    assert form.find("input", attrs={"name": "next"})["value"] == back
    assert page.find("a", string="Cancel")["href"] == back
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, made["trello"]).status == "open"
    assert len(audit_events("INTEGRATION_REQUEST_RESOLVE")) == 2  # the fixture's two


def test_dismiss_post_with_a_reason(client, three_requests):
    rita, olga, made = three_requests
    log_in(client, olga)
    back = URL + "?state=all"
    response = client.post(dismiss_url(made["trello"]),
                           data={"reason": "  Boards live in Jira now.\n", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    db.session.expire_all()
    stored = db.session.get(IntegrationRequest, made["trello"])
    assert stored.status == "dismissed" and stored.resolution_reason == "Boards live in Jira now."
    assert stored.resolved_by_id == olga.id and stored.date_resolved is not None
    entry = audit_events("INTEGRATION_REQUEST_RESOLVE")[-1]
    assert entry.target_id == stored.id and entry.actor_id == olga.id
    assert entry.data["changes"] == {
        "reason": {"before": "", "after": "Boards live in Jira now."},
        "status": {"before": "open", "after": "dismissed"},
    }
    text = page_text(client.get(back))
    assert ("Dismissed: the request for Trello by Rita Requester. Rita Requester will see it "
            "under “Your requests”; no email was sent because mail is not configured.") in text
    assert "told by email" not in text


def test_a_reason_is_optional_and_mark_done_stays_one_click(client, three_requests):
    _, olga, made = three_requests
    log_in(client, olga)
    assert client.post(dismiss_url(made["trello"]), data={"reason": "   "}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(IntegrationRequest, made["trello"])
    assert stored.status == "dismissed" and stored.resolution_reason == ""
    assert audit_events("INTEGRATION_REQUEST_RESOLVE")[-1].data["changes"] == {
        "status": {"before": "open", "after": "dismissed"}}


@pytest.mark.parametrize(("reason", "message"), [
    ("x" * 501, "Reason must be at most 500 characters (it has 501)."),
    ("  " + "é" * 600 + "  ", "Reason must be at most 500 characters (it has 600)."),
])
def test_a_long_reason_is_400_beside_the_field_and_nothing_changes(client, three_requests, reason, message):
    _, olga, made = three_requests
    log_in(client, olga)
    response = client.post(dismiss_url(made["trello"]), data={"reason": reason})
    assert response.status_code == 400
    assert field_error(response, "reason") == message
    page = soup(response)
    assert page.find("textarea", attrs={"name": "reason"}).get_text().strip() == reason.strip()
    assert page.find(id="reason")["aria-invalid"] == "true"
    assert page.find("h1").get_text(" ", strip=True).startswith("Dismiss the request for Trello")
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, made["trello"]).status == "open"
    assert len(audit_events("INTEGRATION_REQUEST_RESOLVE")) == 2


def test_a_reason_of_500_characters_is_kept(client, three_requests):
    _, olga, made = three_requests
    log_in(client, olga)
    assert client.post(dismiss_url(made["trello"]), data={"reason": "y" * 500}).status_code == 302
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, made["trello"]).resolution_reason == "y" * 500


def test_service_refuses_a_reason_that_is_not_text(app, three_requests):
    _, olga, made = three_requests
    with pytest.raises(ValidationFailed) as exc_info:
        resolve_request(get_org_access(olga, "acme"), made["trello"], "dismissed", None, reason=["no"])
    assert exc_info.value.field_errors == {"reason": ["Reason must be text."]}
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, made["trello"]).status == "open"


def test_dismissing_a_resolved_request_says_who_did_it(client, three_requests):
    _, olga, made = three_requests
    log_in(client, olga)
    response = client.get(dismiss_url(made["jira"]))
    assert response.status_code == 200
    text = page_text(response)
    assert "The request for Jira was already marked done by Olga Owner." in text
    assert soup(response).find("form", class_="dismiss-form") is None
    response = client.post(dismiss_url(made["jira"]), data={"reason": "late"}, follow_redirects=True)
    assert "The request for Jira was already marked done by Olga Owner." in page_text(response)
    db.session.expire_all()
    stored = db.session.get(IntegrationRequest, made["jira"])
    assert stored.status == "done" and stored.resolution_reason == ""


def test_members_and_admins_cannot_resolve(client, org, three_requests):
    rita, _, made = three_requests
    for user in (rita, make_member(org, "admin")):
        log_in(client, user)
        assert client.get(dismiss_url(made["trello"])).status_code == 403
        assert client.post(dismiss_url(made["trello"]), data={"reason": "no"}).status_code == 403
        assert client.post(f"{URL}{made['trello']}/done/").status_code == 403
        assert client.get(URL + "?state=all").status_code == 200  # their own page, no queue
        assert queue_rows(client.get(URL + "?state=all")) == []
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, made["trello"]).status == "open"


def test_another_orgs_request_is_404_on_the_confirmation(client, three_requests):
    _, _, made = three_requests
    other = factories.make_org(slug="other")
    log_in(client, make_member(other, "owner"))
    assert client.get(f"/settings/other/integration-requests/{made['trello']}/dismiss/").status_code == 404
    assert client.get(dismiss_url(made["trello"])).status_code == 404  # not a member of acme


def test_confirmation_escapes_user_text(client, org):
    requester = make_member(org, "member", name="<b>Eve</b>")
    outcome = create_install_request(get_org_access(requester, "acme"), "plugin", "trello",
                                     "<script>alert(1)</script>", None)
    log_in(client, make_member(org, "owner"))
    html = client.get(dismiss_url(outcome.request.id)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<b>Eve</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dismiss_needs_csrf_when_csrf_is_on(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.make_org(slug="acme")
        member = make_member(org, "member")
        request_id = create_install_request(get_org_access(member, "acme"), "plugin", "trello", "",
                                            None).request.id
        client = app.test_client()
        log_in(client, make_member(org, "owner"))
        assert client.post(dismiss_url(request_id), data={"reason": "x"}).status_code == 400
        token = soup(client.get(dismiss_url(request_id))).find(
            "input", attrs={"name": "csrf_token"})["value"]
        response = client.post(dismiss_url(request_id), data={"csrf_token": token, "reason": "x"})
        assert response.status_code == 302
        assert requests_in_db()[0].status == "dismissed"
        db.session.remove()


# -- the requester sees the outcome -----------------------------------------------------------


def test_your_requests_show_status_reason_who_and_when(client, three_requests):
    rita, _, _ = three_requests
    log_in(client, rita)
    table = soup(client.get(URL)).find("table", class_="my-requests")
    rows = {row.find("a").get_text(): row for row in table.find("tbody").find_all("tr")}
    outcome = {name: row.find(class_="request-outcome").get_text(" ", strip=True) for name, row in rows.items()}
    assert outcome["Trello"] == "Open"
    assert outcome["Jira"].startswith("Done by Olga Owner, ")
    assert outcome["Asana"].startswith("Dismissed by Olga Owner, ")
    assert outcome["Asana"].endswith("Reason: We track tasks in Jira.")
    assert rows["Asana"].find("time")["datetime"].startswith("20")


def test_a_dismissal_without_reason_says_so(client, org):
    requester = make_member(org, "member")
    request_id = create_install_request(get_org_access(requester, "acme"), "plugin", "trello", "",
                                        None).request.id
    resolve_request(get_org_access(make_member(org, "manager"), "acme"), request_id, "dismissed", None)
    log_in(client, requester)
    table = soup(client.get(URL)).find("table", class_="my-requests")
    assert "No reason given" in table.get_text(" ", strip=True)


# -- the requester's email --------------------------------------------------------------------


def resolve_by_page(mail_app, action, reason=None):
    """Rae asks for PagerDuty; Olga resolves it through the page. → (Rae, the flash page)."""
    org = factories.make_org(slug="acme", name="Acme Corp")
    owner = make_member(org, "owner", email="olga@example.com", name="Olga Owner")
    requester = make_member(org, "member", email="rae@example.com", name="Rae Requester")
    make_member(org, "manager", email="mgr@example.com")
    client = mail_app.test_client()
    log_in(client, requester)
    assert submit(client, "first_party", "pagerduty", "On-call paging, please.").status_code == 302
    request_id = requests_in_db()[0].id
    log_in(client, owner)
    data = {"reason": reason} if reason is not None else {}
    response = client.post(f"{URL}{request_id}/{action}/", data=data, follow_redirects=True)
    assert response.status_code == 200
    return requester, response


def requester_messages(collector, email_address):
    return [parse(e) for e in collector.envelopes if e.rcpt_tos == [email_address]]


def test_requester_is_emailed_when_the_request_is_done(mail_app, smtp_server):
    _, collector = smtp_server
    _, response = resolve_by_page(mail_app, "done")
    [message] = requester_messages(collector, "rae@example.com")
    assert message["Subject"] == "Your request for PagerDuty was marked done"
    assert message["To"] == "rae@example.com" and message["From"] == "admin-bot@example.com"
    body = message.get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Rae Requester,\n\n"
                           "Olga Owner marked your request for the PagerDuty integration in Acme Corp as done.\n")
    assert "reason" not in body.lower()
    assert "Open PagerDuty: http://localhost/settings/acme/integrations/pagerduty/?referrer=request_email" in body
    assert "See your requests: http://localhost/settings/acme/integration-requests/" in body
    # The owners and managers got the request email; nobody but Rae got the outcome.
    outcome_mails = [parse(e) for e in collector.envelopes if "marked done" in parse(e)["Subject"]]
    assert [m["To"] for m in outcome_mails] == ["rae@example.com"]
    assert ("Marked as done: the request for PagerDuty by Rae Requester. "
            "Rae Requester was told by email.") in page_text(response)


def test_requester_is_emailed_the_reason_of_a_dismissal(mail_app, smtp_server):
    _, collector = smtp_server
    resolve_by_page(mail_app, "dismiss", "We page through Opsgenie.\nAsk in #ops.")
    [message] = requester_messages(collector, "rae@example.com")
    assert message["Subject"] == "Your request for PagerDuty was dismissed"
    body = message.get_content().replace("\r\n", "\n")
    assert "Olga Owner dismissed your request for the PagerDuty integration in Acme Corp.\n" in body
    assert "Their reason:\n\n    We page through Opsgenie.\n    Ask in #ops.\n" in body


def rae_asks_for_trello(app):
    """Acme, Rae's open request for Trello and a client logged in as an owner → (client, id)."""
    org = factories.make_org(slug="acme", name="Acme Corp")
    requester = make_member(org, "member", name="Rae Requester", email="rae@example.com")
    request_id = create_install_request(get_org_access(requester, "acme"), "plugin", "trello",
                                        "", None).request.id
    client = app.test_client()
    log_in(client, make_member(org, "owner"))
    return client, request_id


def test_with_mail_configured_the_pages_promise_the_email(mail_app, smtp_server):
    client, request_id = rae_asks_for_trello(mail_app)
    queue = page_text(client.get(URL))
    assert "either way the requester sees it under “Your requests” and is told by email." in queue
    confirm = page_text(client.get(dismiss_url(request_id)))
    assert ("Rae Requester is told by email, with your reason if you give one, and sees it "
            "under “Your requests”.") in confirm
    assert "Emailed to the requester and shown under their requests" in confirm
    assert "mail is not configured" not in queue + confirm


def test_without_mail_server_marking_done_says_no_email_was_sent(client, org, caplog):
    """The email is only logged without MAIL_SERVER: the flash, the queue and the dismissal
    page say the requester sees it under "Your requests", never that they were emailed."""
    requester = make_member(org, "member", name="Rae Requester", email="rae@example.com")
    ids = [create_install_request(get_org_access(requester, "acme"), "plugin", slug, "",
                                  None).request.id for slug in ("trello", "asana")]
    log_in(client, make_member(org, "owner"))
    queue = page_text(client.get(URL))
    assert ("either way the requester sees it under “Your requests” (no email is sent: mail "
            "is not configured).") in queue
    assert "told by email" not in queue
    confirm = page_text(client.get(dismiss_url(ids[1])))
    assert "Shown to the requester under their requests (no email: mail is not configured)" in confirm
    with caplog.at_level(logging.INFO, logger="webapp.mail"):
        response = client.post(f"{URL}{ids[0]}/done/", follow_redirects=True)
    text = page_text(response)
    assert ("Marked as done: the request for Trello by Rae Requester. Rae Requester will see it "
            "under “Your requests”; no email was sent because mail is not configured.") in text
    assert "told by email" not in text
    # The email went to the log instead, and the requester does see the outcome.
    logged = [r.getMessage() for r in caplog.records if r.name == "webapp.mail"]
    assert any("Your request for Trello was marked done" in m for m in logged)
    log_in(client, requester)
    mine = soup(client.get(URL)).find("table", class_="my-requests")
    assert "Trello" in mine.get_text() and mine.find("tr", attrs={"data-status": "done"})


def test_a_dismissal_without_reason_is_emailed_too(mail_app, smtp_server):
    _, collector = smtp_server
    resolve_by_page(mail_app, "dismiss", "")
    [message] = requester_messages(collector, "rae@example.com")
    assert "They did not give a reason." in message.get_content()


def test_a_deactivated_requester_is_not_emailed(mail_app, smtp_server):
    _, collector = smtp_server
    org = factories.make_org(slug="acme", name="Acme Corp")
    requester = make_member(org, "member", email="gone@example.com")
    request_id = create_install_request(get_org_access(requester, "acme"), "plugin", "trello", "",
                                        None).request.id
    requester.is_active = False
    db.session.commit()
    outcome = resolve_request(get_org_access(make_member(org, "owner"), "acme"), request_id,
                              "dismissed", None, reason="Left the company.")
    assert outcome.emailed is None and outcome.request.status == "dismissed"
    assert requester_messages(collector, "gone@example.com") == []


def test_smtp_down_keeps_the_resolution_and_says_the_email_failed(app_factory, caplog):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with app.app_context():
        client, request_id = rae_asks_for_trello(app)
        with caplog.at_level(logging.INFO, logger="webapp.mail"):
            response = client.post(dismiss_url(request_id), data={"reason": "Not now."},
                                   follow_redirects=True)
        assert "(The email to Rae Requester could not be sent.)" in page_text(response)
        stored = requests_in_db()[0]
        assert stored.status == "dismissed" and stored.resolution_reason == "Not now."
        errors = [r for r in caplog.records if r.name == "webapp.mail" and r.levelno == logging.ERROR]
        assert any("Your request for Trello was dismissed" in r.getMessage() for r in errors)
        db.session.remove()
