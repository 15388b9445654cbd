"""The org audit log page /settings/<org>/audit-log/: access, rows, filters, facets, pages, CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import g

from tests import factories
from webapp.extensions import db
from webapp.models import AuditLogEntry
from webapp.services.audit import diff_values, record_audit

URL = "/settings/acme/audit-log/"
T0 = datetime(2026, 1, 10, 9, 30, 15, tzinfo=UTC)


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def add_entry(org, event="INTEGRATION_EDIT", actor=None, minutes=0, target="Slack acme",
              changes=None, ip="10.0.0.7", **data):
    entry = record_audit(
        event=event, actor=actor, organization=org, target_type="organization_integration",
        target_id=7, target_object=target,
        data={"changes": changes or {}, **data} if changes or data else {},
        ip_address=ip,
    )
    entry.datetime = T0 + timedelta(minutes=minutes)
    db.session.flush()
    return entry


def rows(response):
    table = soup(response).find("table", class_="audit-log")
    return table.find("tbody").find_all("tr") if table else []


def row_events(response):
    """The event names of the rows (pages show the events in words, the name in data-event)."""
    return [tr.find(class_="audit-event")["data-event"] for tr in rows(response)]


def options(response, name):
    select = soup(response).find("select", attrs={"name": name})
    return {o["value"]: o.get_text(strip=True) for o in select.find_all("option")}


def selected(response, name):
    select = soup(response).find("select", attrs={"name": name})
    chosen = select.find("option", selected=True)
    return chosen["value"] if chosen else ""


# --- access -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "manager", "owner", "staff"])
def test_admins_managers_owners_and_staff_see_the_log(client, login_as, role):
    login_as(role)
    response = client.get(URL)
    assert response.status_code == 200
    assert soup(response).title.string.startswith("Audit log")


def test_member_gets_403_with_the_reason(client, login_as):
    login_as("member")
    response = client.get(URL)
    assert response.status_code == 403
    assert "Only owners, managers and admins can view the audit log." in response.get_data(as_text=True)
    assert client.get(URL + "?format=csv").status_code == 403


def test_anonymous_goes_to_login(client, org):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/?next=")


def test_non_member_gets_404(client, org):
    factories.make_org(slug="other")
    user = factories.make_user()
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert client.get(URL).status_code == 404
    assert client.get("/settings/other/audit-log/").status_code == 404
    assert client.get("/settings/nope/audit-log/").status_code == 404


def test_the_log_is_append_only_no_route_changes_it(client, login_as, app):
    login_as("owner")
    assert client.post(URL).status_code == 405
    assert client.delete(URL).status_code == 405
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


# --- rows ---------------------------------------------------------------------------------------

def test_rows_newest_first_with_event_actor_target_time_ip_and_diff(client, login_as, org):
    owner = login_as("owner", name="Olga Owner", email="olga@example.com")
    add_entry(org, "INTEGRATION_DISABLE", owner, minutes=1, target="GitHub acme-org")
    add_entry(org, "INTEGRATION_EDIT", owner, minutes=5, target="Slack acme",
              changes=diff_values({"channel": "#ops", "unfurl": True}, {"channel": "#alerts", "unfurl": True}))
    add_entry(org, "INTEGRATION_REMOVE", None, minutes=3, ip=None, target="Jira")
    db.session.commit()
    response = client.get(URL)
    assert response.status_code == 200
    assert row_events(response) == ["INTEGRATION_EDIT", "INTEGRATION_REMOVE", "INTEGRATION_DISABLE"]
    first = rows(response)[0]
    cells = [td.get_text(" ", strip=True) for td in first.find_all("td")]
    assert cells[0] == "2026-01-10 09:35:15"
    assert first.find("time")["datetime"].startswith("2026-01-10T09:35:15")
    assert "Olga Owner" in cells[2] and "olga@example.com" in cells[2]
    assert "Slack acme" in cells[3]
    assert cells[4] == "10.0.0.7"
    assert first.find("span", class_="diff-before").get_text() == "#ops"
    assert first.find("span", class_="diff-after").get_text() == "#alerts"
    assert "unfurl" not in cells[5]  # only changed fields
    system_row = rows(response)[1]
    assert "system" in system_row.find_all("td")[2].get_text()
    assert system_row.find_all("td")[4].get_text(strip=True) == "—"


def test_actor_without_a_name_is_shown_by_email(client, login_as, org):
    login_as("owner")
    nameless = factories.make_user(email="quiet@example.com", name="")
    nameless.name = ""
    add_entry(org, actor=nameless)
    db.session.commit()
    assert "quiet@example.com" in rows(client.get(URL))[0].find_all("td")[2].get_text()


def test_other_orgs_and_global_entries_never_appear(client, login_as, org):
    owner = login_as("owner")
    other = factories.make_org(slug="other")
    add_entry(org, "INTEGRATION_EDIT", owner, target="ours")
    add_entry(other, "INTEGRATION_REMOVE", owner, target="theirs")
    record_audit(event="DOC_INTEGRATION_EDIT", actor=owner, organization=None, target_object="global")
    db.session.commit()
    response = client.get(URL)
    assert row_events(response) == ["INTEGRATION_EDIT"]
    text = response.get_data(as_text=True)
    assert "theirs" not in text and "global" not in text
    assert set(options(response, "event")) == {"", "INTEGRATION_EDIT"}


def test_user_text_is_escaped(client, login_as, org):
    owner = login_as("owner", name="<b>Bold</b>")
    add_entry(org, actor=owner, target="<script>alert(1)</script>",
              changes={"name": {"before": "<i>x</i>", "after": "y"}}, note="<img src=x>")
    db.session.commit()
    html = client.get(URL).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Bold</b>" not in html and "<i>x</i>" not in html and "<img src=x>" not in html


def test_other_data_is_shown_beside_the_diff(client, login_as, org):
    owner = login_as("owner")
    record_audit(event="EXPORT_CSV", actor=owner, organization=org, target_type="export",
                 target_object="integrations", data={"list": "integrations", "filters": {"q": "sl"}})
    db.session.commit()
    details = rows(client.get(URL))[0].find("dl", class_="audit-details").get_text(" ", strip=True)
    assert "list: integrations" in details and '"q": "sl"' in details


def test_empty_states_tell_nothing_yet_from_nothing_matches(client, login_as, org):
    owner = login_as("owner")
    response = client.get(URL)
    assert "No audit entries yet" in response.get_data(as_text=True)
    add_entry(org, "INTEGRATION_EDIT", None)
    db.session.commit()
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT", "actor": owner.id})
    assert response.status_code == 200
    page = soup(response)
    assert "No entries match these filters" in page.get_text()
    assert page.find("a", string="Clear filters")["href"] == URL


# --- filters and facets -------------------------------------------------------------------------

@pytest.fixture
def populated(login_as, org):
    """owner: 3 edits + 1 disable; admin: 2 edits; system: 1 remove. Returns (owner, admin)."""
    owner = login_as("owner", name="Olga Owner", email="olga@example.com")
    admin = factories.make_user(email="adam@example.com", name="Adam Admin")
    factories.make_member(org, admin, "admin")
    factories.make_member(org, factories.make_user(email="idle@example.com", name="Ida Idle"), "member")
    for i in range(3):
        add_entry(org, "INTEGRATION_EDIT", owner, minutes=i)
    add_entry(org, "INTEGRATION_DISABLE", owner, minutes=10)
    for i in range(2):
        add_entry(org, "INTEGRATION_EDIT", admin, minutes=20 + i)
    add_entry(org, "INTEGRATION_REMOVE", None, minutes=30)
    db.session.commit()
    return owner, admin


def test_event_select_lists_present_events_with_counts(client, populated):
    response = client.get(URL)
    assert options(response, "event") == {
        "": "All events",
        "INTEGRATION_DISABLE": "Integration disabled (1)",
        "INTEGRATION_EDIT": "Integration settings changed (5)",
        "INTEGRATION_REMOVE": "Integration removed (1)",
    }


def test_actor_select_lists_members_and_system_with_counts(client, populated):
    owner, admin = populated
    labels = options(client.get(URL), "actor")
    assert labels[""] == "Anyone"
    assert labels["system"] == "system (1)"
    assert labels[str(owner.id)] == "Olga Owner · olga@example.com (4)"
    assert labels[str(admin.id)] == "Adam Admin · adam@example.com (2)"
    assert any(label.startswith("Ida Idle") and label.endswith("(0)") for label in labels.values())


def test_facet_counts_follow_the_other_filter(client, populated):
    owner, admin = populated
    response = client.get(URL, query_string={"actor": admin.id})
    assert options(response, "event")["INTEGRATION_EDIT"] == "Integration settings changed (2)"
    assert options(response, "event")["INTEGRATION_DISABLE"] == "Integration disabled (0)"
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT"})
    assert options(response, "actor")[str(owner.id)].endswith("(3)")
    assert options(response, "actor")["system"] == "system (0)"


def test_filter_by_event(client, populated):
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT"})
    assert response.status_code == 200
    assert row_events(response) == ["INTEGRATION_EDIT"] * 5
    assert selected(response, "event") == "INTEGRATION_EDIT"
    assert "Showing 1–5 of 5 entries" in soup(response).get_text()
    assert soup(response).find("a", string="Clear filters") is not None


def test_filter_by_actor_id_email_or_system(client, populated):
    owner, admin = populated
    by_id = client.get(URL, query_string={"actor": admin.id})
    assert row_events(by_id) == ["INTEGRATION_EDIT", "INTEGRATION_EDIT"]
    assert all("Adam Admin" in tr.get_text() for tr in rows(by_id))
    by_email = client.get(URL, query_string={"actor": "ADAM@example.com"})
    assert by_email.status_code == 200
    assert row_events(by_email) == row_events(by_id)
    assert selected(by_email, "actor") == str(admin.id)
    system = client.get(URL, query_string={"actor": "system"})
    assert row_events(system) == ["INTEGRATION_REMOVE"]


def test_filters_combine(client, populated):
    owner, _ = populated
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT", "actor": owner.id})
    assert row_events(response) == ["INTEGRATION_EDIT"] * 3
    assert all("Olga Owner" in tr.get_text() for tr in rows(response))


@pytest.mark.parametrize("args, field, message", [
    ({"event": "NOT_AN_EVENT"}, "event", "Unknown event: NOT_AN_EVENT"),
    ({"event": "<script>"}, "event", "Unknown event: <script>"),
    ({"actor": "999999"}, "actor", "Unknown actor: 999999"),
    ({"actor": "nobody@example.com"}, "actor", "Unknown actor: nobody@example.com"),
    ({"actor": "abc"}, "actor", "Unknown actor: abc"),
    ({"page": "0"}, "page", "Page must be between 1 and 100,000."),
    ({"per_page": "101"}, "per_page", "Rows per page must be between 1 and 100."),
    ({"page": "x"}, "page", None),
])
def test_bad_filters_give_400_with_the_message_beside_the_field(client, populated, args, field, message):
    response = client.get(URL, query_string=args)
    assert response.status_code == 400
    page = soup(response)
    assert page.find("table", class_="audit-log") is None
    if field in ("event", "actor"):
        error = page.find(id=f"{field}-error")
        assert error is not None and error.get_text(strip=True) == message
        assert page.find("select", attrs={"name": field})["aria-describedby"] == f"{field}-error"
        # The typed value is kept (selected, marked unknown).
        assert selected(response, field) == args[field]
    elif message:
        assert message in page.get_text()
    assert page.find(id="error-summary") is not None


def test_actor_who_left_but_acted_is_still_a_choice(client, login_as, org):
    login_as("owner")
    former = factories.make_user(email="gone@example.com", name="Gone Person")
    staff = factories.make_user(email="staff@example.com", name="Sam Staff", is_staff=True)
    add_entry(org, actor=former)
    add_entry(org, actor=staff, minutes=1)
    db.session.commit()
    labels = options(client.get(URL), "actor")
    assert labels[str(former.id)].startswith("Gone Person") and labels[str(staff.id)].startswith("Sam Staff")
    assert client.get(URL, query_string={"actor": staff.id}).status_code == 200


# --- pages --------------------------------------------------------------------------------------

def test_pagination_keeps_filters_and_order(client, login_as, org):
    owner = login_as("owner")
    for i in range(30):
        add_entry(org, "INTEGRATION_EDIT", owner, minutes=i, target=f"t{i:02d}")
    add_entry(org, "INTEGRATION_ENABLE", owner, minutes=99, target="other")
    db.session.commit()
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT", "per_page": 10, "page": 2})
    targets = [tr.find("span", class_="audit-target").get_text() for tr in rows(response)]
    assert targets == [f"t{i:02d}" for i in range(19, 9, -1)]
    assert "Showing 11–20 of 30 entries" in soup(response).get_text()
    nav = soup(response).find("nav", attrs={"aria-label": "Audit log pages"})
    assert nav.find(attrs={"aria-current": "page"}).get_text() == "2"
    next_href = nav.find("a", rel="next")["href"]
    assert "event=INTEGRATION_EDIT" in next_href and "page=3" in next_href and "per_page=10" in next_href
    # Default page size is 25; a page past the end shows the last page.
    assert len(rows(client.get(URL))) == 25
    last = client.get(URL, query_string={"event": "INTEGRATION_EDIT", "per_page": 10, "page": 9})
    assert last.status_code == 200 and len(rows(last)) == 10
    assert "Showing 21–30 of 30 entries" in soup(last).get_text()


@pytest.mark.parametrize("count", [5, 500])
def test_constant_number_of_queries(client, login_as, org, count_queries, count):
    login_as("owner")
    others = [factories.make_user() for _ in range(5)]
    for user in others:
        factories.make_member(org, user, "admin")
    db.session.add_all(
        AuditLogEntry(organization_id=org.id, actor_id=(others[i % 5].id if i % 7 else None),
                      event=f"EVENT_{i % 4}", target_object=f"t{i}",
                      data={"changes": {"x": {"before": i, "after": i + 1}}},
                      datetime=T0 + timedelta(seconds=i))
        for i in range(count)
    )
    db.session.commit()
    second = others[1].id
    for args in ({}, {"event": "EVENT_1", "actor": second, "per_page": 100}, {"actor": "system"}):
        # Tests share one app context and session: make each request load the user afresh.
        g.pop("_login_user", None)
        db.session.expire_all()
        with count_queries() as counter:
            response = client.get(URL, query_string=args)
        assert response.status_code == 200
        assert counter.count <= 6, counter.statements
    assert len(rows(client.get(URL, query_string={"per_page": 100}))) == min(count, 100)


# --- CSV ----------------------------------------------------------------------------------------

def read_csv(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_export_has_every_matching_entry_and_is_audited(client, populated, org):
    owner, admin = populated
    for i in range(40):
        add_entry(org, "INTEGRATION_EDIT", admin, minutes=100 + i,
                  changes={"channel": {"before": f"#a{i}", "after": f"#b{i}"}})
    db.session.commit()
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT", "actor": admin.id, "format": "csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="acme-audit-log.csv"' in response.headers["Content-Disposition"]
    table = read_csv(response)
    assert table[0][:8] == ["datetime", "event", "actor_email", "actor_name", "target_type",
                            "target_id", "target", "ip_address"]
    body = table[1:]
    assert len(body) == 42  # all pages (more than 25), only the admin's edits
    assert {row[1] for row in body} == {"INTEGRATION_EDIT"}
    assert {row[2] for row in body} == {"adam@example.com"}
    assert body[0][0].startswith("2026-01-10T11:49:15")  # newest first
    assert '"before": "#a39"' in body[0][8]
    export = db.session.query(AuditLogEntry).filter_by(event="EXPORT_CSV").one()
    assert export.actor_id == owner.id and export.organization_id == org.id
    assert export.data == {"list": "audit_log", "filters": {"event": "INTEGRATION_EDIT", "actor": admin.id}}


def test_csv_export_of_the_whole_log_includes_its_own_entry(client, populated):
    table = read_csv(client.get(URL, query_string={"format": "csv"}))
    assert len(table) == 1 + 7 + 1
    assert table[1][1] == "EXPORT_CSV"
    assert table[-1][2] == "olga@example.com"
    assert [row[2] for row in table[1:] if row[1] == "INTEGRATION_REMOVE"] == ["system"]


def test_csv_neutralises_formulas(client, login_as, org):
    owner = login_as("owner")
    add_entry(org, actor=owner, target="=HYPERLINK(\"http://evil\")")
    db.session.commit()
    rows_ = read_csv(client.get(URL, query_string={"format": "csv"}))
    assert [r[6] for r in rows_[1:] if r[1] == "INTEGRATION_EDIT"] == ["'=HYPERLINK(\"http://evil\")"]


def test_csv_with_bad_filters_or_format_is_400_and_not_exported(client, populated):
    response = client.get(URL, query_string={"event": "NOPE", "format": "csv"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Unknown event: NOPE" in response.get_data(as_text=True)
    response = client.get(URL, query_string={"format": "xml"})
    assert response.status_code == 400
    assert "Unknown format: xml" in response.get_data(as_text=True)
    assert db.session.query(AuditLogEntry).filter_by(event="EXPORT_CSV").count() == 0


def test_export_link_keeps_the_filters(client, populated):
    response = client.get(URL, query_string={"event": "INTEGRATION_EDIT", "page": 1})
    link = next(a for a in soup(response).find_all("a") if "Export CSV" in a.get_text())
    assert link["href"] == URL + "?event=INTEGRATION_EDIT&format=csv"


def test_saved_views_menu_is_on_the_page(client, populated):
    page = soup(client.get(URL, query_string={"event": "INTEGRATION_EDIT"}))
    menu = page.find("details", class_="saved-views")
    assert menu is not None
    form = menu.find("form", action="/saved-views/")
    assert form.find("input", attrs={"name": "list_key"})["value"] == "audit"
    assert form.find("input", attrs={"name": "org"})["value"] == "acme"
    assert form.find("input", attrs={"name": "query_string"})["value"] == "event=INTEGRATION_EDIT"
    assert page.find("label", attrs={"for": "saved-view-name-audit"}) is not None
