"""The audit log's date range (from/to UTC days, validated, through the list pipeline) and
each entry's target linked to its page while it exists (issue 22)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import g

from tests import factories
from webapp.extensions import db
from webapp.models import AuditLogEntry, IntegrationRequest, ObjectStatus
from webapp.services.audit import record_audit

URL = "/settings/acme/audit-log/"
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def rows(response):
    table = soup(response).find("table", class_="audit-log")
    return table.find("tbody").find_all("tr") if table else []


def targets(response):
    return [tr.find(class_="audit-target").get_text(strip=True) for tr in rows(response)]


def entry(org, when, event="INTEGRATION_EDIT", target="t", actor=None, **fields):
    added = record_audit(event=event, actor=actor, organization=org, target_object=target, **fields)
    added.datetime = when
    db.session.flush()
    return added


@pytest.fixture
def days(login_as, org):
    """Entries on 9, 10 (first and last second), 11 and 12 March; returns the owner."""
    owner = login_as("owner")
    entry(org, DAY - timedelta(seconds=1), target="9th-last")
    entry(org, DAY, target="10th-first", event="INTEGRATION_DISABLE")
    entry(org, DAY + timedelta(hours=23, minutes=59, seconds=59), target="10th-last", actor=owner)
    entry(org, DAY + timedelta(days=1), target="11th")
    entry(org, DAY + timedelta(days=2, hours=12), target="12th")
    db.session.commit()
    return owner


@pytest.mark.parametrize("args, expected", [
    ({"date_from": "2026-03-10", "date_to": "2026-03-10"}, ["10th-last", "10th-first"]),
    ({"date_from": "2026-03-11"}, ["12th", "11th"]),
    ({"date_to": "2026-03-09"}, ["9th-last"]),
    ({"date_from": "2026-03-10", "date_to": "2026-03-11"}, ["11th", "10th-last", "10th-first"]),
    ({"date_from": "", "date_to": ""}, ["12th", "11th", "10th-last", "10th-first", "9th-last"]),
    ({"date_to": "9999-12-31"}, ["12th", "11th", "10th-last", "10th-first", "9th-last"]),
])
def test_the_date_range_keeps_whole_utc_days_both_ends_included(client, days, args, expected):
    response = client.get(URL, query_string=args)
    assert response.status_code == 200
    assert targets(response) == expected
    assert f"of {len(expected)} entr" in soup(response).find(class_="result-count").get_text()
    for name, value in args.items():
        assert soup(response).find("input", attrs={"name": name}).get("value", "") == value


def test_facet_counts_and_the_other_filters_work_within_the_range(client, days):
    response = client.get(URL, query_string={"date_from": "2026-03-10", "date_to": "2026-03-10"})
    events = {o["value"]: o.get_text(strip=True) for o in soup(response).select("select[name=event] option")}
    assert events["INTEGRATION_EDIT"] == "Integration settings changed (1)"
    assert events["INTEGRATION_DISABLE"] == "Integration disabled (1)"
    # An event with no entry in the range is still known (0), not "unknown".
    response = client.get(URL, query_string={"date_from": "2026-03-12", "event": "INTEGRATION_DISABLE"})
    assert response.status_code == 200 and rows(response) == []
    assert "No entries match these filters" in soup(response).get_text()
    response = client.get(URL, query_string={"date_to": "2026-03-10", "actor": days.id})
    assert targets(response) == ["10th-last"]


@pytest.mark.parametrize("args, field, message", [
    ({"date_from": "yesterday"}, "date_from", "Enter a date as YYYY-MM-DD."),
    ({"date_to": "2026-02-30"}, "date_to", "Enter a date as YYYY-MM-DD."),
    ({"date_from": "2026-03-10T00:00"}, "date_from", "Enter a date as YYYY-MM-DD."),
    ({"date_from": "2026-03-11", "date_to": "2026-03-10"}, "date_to", "From must be on or before To."),
])
def test_a_bad_date_or_from_after_to_is_400_beside_the_field(client, days, args, field, message):
    response = client.get(URL, query_string=args)
    assert response.status_code == 400
    page = soup(response)
    assert page.find(id=f"{field}-error").get_text(strip=True) == message
    assert page.find(id=field)["aria-invalid"] == "true"
    assert rows(response) == []
    assert "No entries are shown until the filters above are corrected." in page.get_text()
    before = db.session.query(AuditLogEntry).count()
    assert client.get(URL, query_string={**args, "format": "csv"}).status_code == 400
    assert db.session.query(AuditLogEntry).count() == before  # a refused export is not audited


def test_the_csv_export_follows_the_range_and_records_it(client, days):
    response = client.get(URL, query_string={"date_from": "2026-03-10", "date_to": "2026-03-10",
                                             "format": "csv"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [line[6] for line in lines[1:]] == ["10th-last", "10th-first"]
    export = db.session.scalars(db.select(AuditLogEntry).where(
        AuditLogEntry.event == "EXPORT_CSV")).one()
    assert export.data["filters"] == {"date_from": "2026-03-10", "date_to": "2026-03-10"}


# --- targets linked to their pages --------------------------------------------------------------

def test_each_target_links_to_its_page_while_it_exists(client, login_as, org):
    owner = login_as("owner")
    slack = factories.install(org, factories.make_integration("slack", name="Slack team"))
    gone = factories.install(org, factories.make_integration("github", name="Old GitHub"))
    project = factories.make_project(org, slug="web")
    retired = factories.make_project(org, slug="retired", status=ObjectStatus.DISABLED)
    db.session.commit()
    request = IntegrationRequest(organization_id=org.id, requester_id=owner.id,
                                 provider_type="first_party", provider_slug="jira",
                                 provider_name="Jira")
    db.session.add(request)
    db.session.flush()
    when = DAY
    for target_type, target_id, target, data in [
        ("organization_integration", slack.id, "Slack team", {}),
        ("organization_integration", gone.id, "Old GitHub", {}),
        ("project_plugin", project.id, "trello/web", {"plugin": "trello", "project": "web"}),
        ("project_plugin", retired.id, "trello/retired", {"plugin": "trello", "project": "retired"}),
        ("integration_request", request.id, "Jira", {}),
        ("export", None, "plugin_projects:trello", {}),
        ("export", None, "integrations", {}),
    ]:
        when += timedelta(minutes=1)
        entry(org, when, target=target, target_type=target_type, target_id=target_id, data=data)
    db.session.delete(gone)
    db.session.commit()
    page = soup(client.get(URL))
    links = {a.get_text(strip=True): a["href"] for a in page.select("table.audit-log a.audit-target")}
    assert links == {
        "Slack team": f"/settings/acme/integrations/slack/{slack.integration_id}/",
        "trello/web": "/settings/acme/plugins/trello/projects/web/",
        "Jira": "/settings/acme/integration-requests/",
        "plugin_projects:trello": "/settings/acme/plugins/trello/",
        "integrations": "/settings/acme/integrations/",
    }
    plain = [s.get_text(strip=True) for s in page.select("table.audit-log span.audit-target")]
    assert sorted(plain) == ["Old GitHub", "trello/retired"]  # gone or inactive: text only
    for href in links.values():
        assert client.get(href).status_code == 200, href


def test_another_orgs_record_with_the_same_id_is_not_linked(client, login_as, org):
    login_as("owner")
    other = factories.make_org(slug="other")
    theirs = factories.install(other, factories.make_integration("slack", name="Theirs"))
    db.session.commit()
    entry(org, DAY, target="Theirs", target_type="organization_integration", target_id=theirs.id)
    db.session.commit()
    page = soup(client.get(URL))
    assert page.select("table.audit-log a.audit-target") == []


def test_target_links_cost_one_statement_per_page(client, login_as, org, count_queries):
    login_as("owner")
    installs = [factories.install(org, factories.make_integration("slack", name=f"S{i}"))
                for i in range(30)]
    db.session.commit()
    for i, oi in enumerate(installs):
        entry(org, DAY + timedelta(minutes=i), target=f"S{i}",
              target_type="organization_integration", target_id=oi.id)
        entry(org, DAY + timedelta(minutes=i, seconds=1), target="integrations",
              target_type="export")
    db.session.commit()
    g.pop("_login_user", None)
    db.session.expire_all()
    with count_queries() as counter:
        response = client.get(URL, query_string={"per_page": 100})
    assert response.status_code == 200
    assert len(soup(response).select("table.audit-log a.audit-target")) == 60
    assert counter.count <= 6, counter.statements
    lookups = [s for s in counter.statements if "organization_integration.id IN" in s]
    assert len(lookups) == 1, counter.statements
