"""Bad input on the audit log's filters (dates from/to, event, actor, format): 400 with the
message beside the field, no rows shown, and a refused CSV export neither answered nor
audited; the calendar's ends are dates like any other (never a 500)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.bad_input import HUGE, NON_ASCII, NUL, TOO_LONG, assert_nul_refused, error_beside, soup
from webapp.extensions import db
from webapp.models import AuditLogEntry
from webapp.services.audit import record_audit

URL = "/settings/acme/audit-log/"
DATE = "Enter a date as YYYY-MM-DD."


@pytest.fixture
def owner(login_as, org):
    """The owner of acme, logged in, and one entry in the log (by them)."""
    user = login_as("owner")
    record_audit(event="INTEGRATION_EDIT", actor=user, organization=org, target_object="t")
    db.session.commit()
    return user


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLogEntry))


def outsider() -> object:
    """A user of another org, with an entry in that org's log."""
    globex = factories.make_org(slug="globex")
    user = factories.make_user(email="gil@globex.example")
    factories.make_member(globex, user, "owner")
    record_audit(event="INTEGRATION_DISABLE", actor=user, organization=globex, target_object="g")
    db.session.commit()
    return user


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"date_from": TOO_LONG}, "date_from", DATE),
    ({"date_from": NON_ASCII}, "date_from", DATE),
    ({"date_from": "２０２６-０３-１０"}, "date_from", DATE),  # full-width digits
    ({"date_from": "10000-01-01"}, "date_from", DATE),
    ({"date_from": "-2026-03-10"}, "date_from", DATE),
    ({"date_to": "0000-12-31"}, "date_to", DATE),
    ({"date_to": "2026-03-10 12:00"}, "date_to", DATE),
    ({"date_to": HUGE}, "date_to", DATE),
    ({"date_from": "9999-12-31", "date_to": "0001-01-01"}, "date_to", "From must be on or before To."),
    ({"event": TOO_LONG}, "event", "Unknown event: " + "x" * 40 + "…"),
    ({"event": NON_ASCII}, "event", f"Unknown event: {NON_ASCII}"),
    ({"event": "INTEGRATION_DISABLE"}, "event", "Unknown event: INTEGRATION_DISABLE"),  # globex's
    ({"actor": "-1"}, "actor", "Unknown actor: -1"),
    ({"actor": HUGE}, "actor", f"Unknown actor: {HUGE}"),
    ({"actor": NON_ASCII}, "actor", f"Unknown actor: {NON_ASCII}"),
    ({"actor": "gil@globex.example"}, "actor", "Unknown actor: gil@globex.example"),
    ({"actor": "{outsider}"}, "actor", "Unknown actor: {outsider}"),  # another org's user id
])
def test_a_bad_filter_is_400_beside_it_and_no_export_happens(client, owner, args, field, message):
    gil = outsider()
    args = {name: value.format(outsider=gil.id) for name, value in args.items()}
    message = message.format(outsider=gil.id)
    before = entries()
    response = client.get(URL, query_string=args)
    assert response.status_code == 400
    assert error_beside(response, field) == message
    assert soup(response).find("table", class_="audit-log") is None
    export = client.get(URL, query_string={**args, "format": "csv"})
    assert export.status_code == 400 and export.mimetype == "text/html"
    assert entries() == before  # a refused export is not audited


@pytest.mark.parametrize("name", ["date_from", "date_to", "event", "actor", "format"])
def test_nul_in_a_filter_is_400(client, owner, name):
    assert_nul_refused(client.get(URL, query_string={name: NUL}))


@pytest.mark.parametrize("value", ["xlsx", "CSV", TOO_LONG, NON_ASCII])
def test_an_unknown_export_format_is_400_and_not_audited(client, owner, value):
    before = entries()
    response = client.get(URL, query_string={"format": value})
    assert response.status_code == 400
    assert f"Unknown format: {value}. The only export format is csv." in soup(response).get_text()
    assert entries() == before


def test_the_calendars_first_and_last_days_are_a_range_like_any_other(client, owner):
    response = client.get(URL, query_string={"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 200
    assert len(soup(response).find("table", class_="audit-log").find("tbody").find_all("tr")) == 1


def test_a_repeated_date_takes_the_last_value_given(client, owner):
    today = datetime.now(UTC).date().isoformat()
    args = MultiDict([("date_from", today), ("date_from", "not a date")])
    response = client.get(URL, query_string=args)
    assert response.status_code == 400
    assert error_beside(response, "date_from") == DATE
    args = MultiDict([("date_from", "not a date"), ("date_from", today), ("date_from", "")])
    assert client.get(URL, query_string=args).status_code == 200
