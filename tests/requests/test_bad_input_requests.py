"""Bad input on the request queue (issue 23): the `state` filter and the queue's other
filters (400 beside the field, the open queue still shown), the dismissal's reason (400
beside it, the request stays open, no audit entry) and Mark done / Dismiss of ids that are
not this org's requests (404, nothing resolved)."""

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.bad_input import (
    CONTROL,
    HUGE,
    NON_ASCII,
    NUL,
    TOO_LONG,
    assert_nul_refused,
    error_beside,
    soup,
)
from tests.requests.helpers import URL, log_in, make_member, queue_rows
from webapp.extensions import db
from webapp.models import AuditLogEntry, IntegrationRequest
from webapp.services.install_requests import create_install_request
from webapp.services.permissions import get_org_access

STATES = "Use one of: open, done, dismissed, all."


@pytest.fixture
def trello(org):
    """(Rita's open Trello request id, Olga the owner), committed."""
    rita = make_member(org, "member")
    olga = make_member(org, "owner")
    request = create_install_request(get_org_access(rita, "acme"), "plugin", "trello", "", None).request
    db.session.commit()
    return request.id, olga


def unresolved(request_id) -> bool:
    """The request is still open and no resolution was audited."""
    db.session.expire_all()
    resolves = db.session.scalar(select(func.count()).select_from(AuditLogEntry)
                                 .where(AuditLogEntry.event == "INTEGRATION_REQUEST_RESOLVE"))
    return db.session.get(IntegrationRequest, request_id).status == "open" and resolves == 0


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"state": TOO_LONG}, "state", "Unknown state: " + "x" * 40 + f"…. {STATES}"),
    ({"state": NON_ASCII}, "state", f"Unknown state: {NON_ASCII}. {STATES}"),
    ({"state": "-1"}, "state", f"Unknown state: -1. {STATES}"),
    ({"q": TOO_LONG}, "q", "Search must be at most 200 characters."),
    ({"kind": NON_ASCII}, "kind", f"Unknown type: {NON_ASCII}. Use one of: first_party, plugin, "
                                  "sentry_app."),
    ({"page": "-1"}, "page", "Page must be between 1 and 100,000."),
    ({"page": HUGE}, "page", "Page must be between 1 and 100,000."),
    ({"per_page": "1.5"}, "per_page", "Rows per page must be a whole number."),
])
def test_a_bad_queue_filter_is_400_beside_it_and_the_open_queue_still_shows(client, trello, args,
                                                                            field, message):
    log_in(client, trello[1])
    response = client.get(URL, query_string=args)
    assert response.status_code == 400
    if field in ("page", "per_page"):  # no field on the page: the summary at its top says it
        assert message in soup(response).find(id="error-summary").get_text(" ", strip=True)
    else:
        assert error_beside(response, field) == message
        assert len(queue_rows(response)) == 1


def test_nul_in_a_queue_filter_is_400(client, trello):
    log_in(client, trello[1])
    assert_nul_refused(client.get(URL, query_string={"state": NUL}))


def test_a_repeated_state_takes_the_first(client, trello):
    log_in(client, trello[1])
    response = client.get(URL, query_string=MultiDict([("state", "done"), ("state", "open")]))
    assert response.status_code == 200
    assert soup(response).find(id="state").find("option", selected=True)["value"] == "done"
    assert queue_rows(response) == []


@pytest.mark.parametrize(("reason", "message"), [
    (TOO_LONG, "Reason must be at most 500 characters (it has 10,000)."),
    (CONTROL, "Reason cannot contain control characters."),
])
def test_a_bad_dismissal_reason_is_400_beside_it_and_nothing_is_resolved(client, trello, reason,
                                                                         message):
    request_id, olga = trello
    log_in(client, olga)
    response = client.post(f"{URL}{request_id}/dismiss/", data={"reason": reason})
    assert response.status_code == 400
    assert error_beside(response, "reason") == message
    assert unresolved(request_id)


def test_nul_in_the_reason_is_400_and_nothing_is_resolved(client, trello):
    request_id, olga = trello
    log_in(client, olga)
    assert_nul_refused(client.post(f"{URL}{request_id}/dismiss/", data={"reason": NUL}))
    assert unresolved(request_id)


def test_a_reason_in_any_script_on_several_lines_is_kept(client, trello):
    request_id, olga = trello
    log_in(client, olga)
    reason = f"{NON_ASCII}\r\n\tsecond line"
    assert client.post(f"{URL}{request_id}/dismiss/", data={"reason": reason}).status_code == 302
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, request_id).resolution_reason == reason


@pytest.mark.parametrize("action", ["done/", "dismiss/"])
@pytest.mark.parametrize("target", ["theirs", "0", "2147483648", HUGE])
def test_resolving_what_is_not_this_orgs_request_is_404(client, org, trello, action, target):
    request_id, olga = trello
    globex = factories.make_org(slug="globex")
    theirs = create_install_request(get_org_access(make_member(globex, "member"), "globex"),
                                    "plugin", "trello", "", None).request
    db.session.commit()
    log_in(client, olga)
    path = f"{URL}{theirs.id if target == 'theirs' else target}/{action}"
    assert client.post(path, data={"reason": "no"}).status_code == 404
    assert client.get(path).status_code == (404 if action == "dismiss/" else 405)
    assert unresolved(request_id)
    db.session.expire_all()
    assert db.session.get(IntegrationRequest, theirs.id).status == "open"
