"""/settings/<org>/integrations/: the filter form, facets, table, pager, empty states, CSV."""

import csv
import datetime
import io

import pytest
from flask import g

from tests import factories
from tests.html import checkbox_choices, summary_text
from tests.integrations.helpers import VISIBLE, bulk_install, oracle, seed, soup
from webapp.extensions import db
from webapp.models import AuditLogEntry, ObjectStatus

URL = "/settings/acme/integrations/"


def row_names(response):
    table = soup(response).find("table", class_="integrations-table")
    if table is None:
        return []
    return [tr.find_all("td")[1].get_text(strip=True) for tr in table.tbody.find_all("tr")]


def option_text(page, select_name, value):
    option = page.find("select", attrs={"name": select_name}).find("option", attrs={"value": value})
    return option.get_text(strip=True)


@pytest.fixture
def data(org):
    seed(org, factories.make_org(slug="other"))
    return org


def test_member_sees_the_list_with_filter_form_and_table(client, login_as, data):
    login_as("member")
    response = client.get(URL)
    assert response.status_code == 200
    page = soup(response)
    assert page.title.string.startswith("Installed integrations")
    assert row_names(response) == sorted(r[0] for r in VISIBLE)
    text = page.get_text(" ", strip=True)
    assert "Theta Slack" not in text and "Other Org" not in text
    assert "Showing 1–8 of 8 installations" in text
    form = page.find("form", attrs={"role": "search"})
    assert form["method"] == "get"
    for name in ("q", "integration_type", "include_config"):
        field = form.find(attrs={"name": name})
        assert field is not None, name
        assert page.find("label", attrs={"for": field["id"]}) is not None, name
    # The repeatable filters: a dropdown (a <details>) of labelled checkboxes, its summary
    # naming the filter and what is chosen.
    for name, label in (("provider_key", "Provider"), ("features", "Features"), ("status", "Status")):
        assert summary_text(form, name) == f"{label}: Any"
        assert checkbox_choices(form, name) and not any(
            ticked for _, ticked in checkbox_choices(form, name).values())
        legend = form.find("summary", id=name).find_parent("details").fieldset.legend
        assert legend.get_text() == label
    # No filter active: no "Clear filters".
    assert page.find("a", string="Clear filters") is None
    # Badges and provider initials, no images.
    row = page.find("table", class_="integrations-table").tbody.find("tr")
    assert row.find(class_="provider-icon").get_text(strip=True) == "SL"  # Alpha Slack
    assert page.find("table", class_="integrations-table").find("img") is None


def test_row_shows_every_column_and_links_to_the_detail_with_next(client, login_as, data):
    login_as("member")
    response = client.get(URL + "?status=disabled&sort=-name")
    table = soup(response).find("table", class_="integrations-table")
    headers = [th.get_text(" ", strip=True) for th in table.thead.find_all("th")]
    assert [h.split(" (")[0] for h in headers] == [
        "Provider", "Name", "External ID", "Status", "Integration status", "Added",
        "Grace period ends", "Config"]
    first = table.tbody.find("tr")
    cells = [td.get_text(" ", strip=True) for td in first.find_all("td")]
    assert cells[:6] == ["GL GitLab", "Zeta GitLab", "gl-zeta", "Disabled", "Active", "2024-01-06"]
    assert cells[7] == "seeded: 5"
    link = first.find("a")["href"]
    integration_id = data and db.session.execute(
        db.text("select id from integration where name = 'Zeta GitLab'")).scalar()
    assert link.startswith(f"/settings/acme/integrations/gitlab/{integration_id}/?next=")
    assert "status%3Ddisabled" in link or "status=disabled" in link


@pytest.mark.parametrize("query, expected", [
    ("q=SLACK", ["Alpha Slack"]),
    ("provider_key=jira&provider_key=gitlab", ["Gamma Jira", "Zeta GitLab"]),
    ("providerKey=vercel", ["Epsilon Vercel"]),
    ("features=issue_basic", oracle(features=("issue-basic",))),
    ("features=chat-unfurl&features=deployment", oracle(features=("chat-unfurl", "deployment"))),
    ("integration_type=on_call_scheduling", ["Delta PagerDuty"]),
    ("status=pending_deletion", ["Delta PagerDuty"]),
    ("status=active&status=disabled", oracle(statuses=("active", "disabled"))),
    ("features=issue-basic&status=active", ["Beta GitHub", "Eta Example"]),
    ("q=eta&features=commits&integration_type=source_code_management&status=active", ["Beta GitHub"]),
])
def test_filters_through_the_page(client, login_as, data, query, expected):
    login_as("member")
    response = client.get(URL + "?" + query)
    assert response.status_code == 200
    assert row_names(response) == expected
    page = soup(response)
    assert page.find("a", string="Clear filters")["href"] == URL


def test_filter_values_are_kept_in_the_form_canonically(client, login_as, data):
    login_as("member")
    page = soup(client.get(URL + "?q=eta&features=issue_basic&status=active&integration_type=general"
                           "&provider_key=example&include_config=0"))
    assert page.find("input", attrs={"name": "q"})["value"] == "eta"
    selected = {s["name"]: [o["value"] for o in s.find_all("option", selected=True)]
                for s in page.find_all("select")}
    ticked = {name: [value for value, (_, on) in checkbox_choices(page, name).items() if on]
              for name in ("features", "status", "provider_key")}
    assert ticked == {"features": ["issue-basic"], "status": ["active"],
                      "provider_key": ["example"]}
    assert selected["integration_type"] == ["general"]
    assert selected["include_config"] == ["0"]
    # The chosen values read in the dropdowns' summaries.
    assert summary_text(page, "status") == "Status: Active"
    assert summary_text(page, "provider_key") == "Provider: Example"
    # include_config=0 hides the config column.
    headers = [th.get_text(" ", strip=True) for th in page.find("table").thead.find_all("th")]
    assert not any(h.startswith("Config") for h in headers)


def test_facet_counts_beside_each_choice_given_the_other_filters(client, login_as, data):
    login_as("member")
    page = soup(client.get(URL + "?features=issue-basic&status=active"))
    # Providers: counts with features+status applied, the provider filter itself ignored.
    providers = checkbox_choices(page, "provider_key")
    assert providers["github"] == ("GitHub (1)", False)
    assert providers["jira"] == ("Jira (0)", False)  # disabled
    assert providers["slack"] == ("Slack (0)", False)  # no issue-basic
    # Statuses: counts with the features filter, the status filter ignored.
    statuses = checkbox_choices(page, "status")
    assert statuses == {"active": ("Active (2)", True), "disabled": ("Disabled (2)", False),
                        "pending_deletion": ("Pending deletion (0)", False)}
    # Features: counts with the status filter, the features filter ignored.
    features = checkbox_choices(page, "features")
    assert features["chat-unfurl"] == ("chat-unfurl (2)", False)  # slack + teams
    assert features["issue-basic"] == ("issue-basic (2)", True)
    assert option_text(page, "integration_type", "messaging") == "Messaging (0)"
    assert option_text(page, "integration_type", "general") == "General (1)"


@pytest.mark.parametrize("query, field, message", [
    ("features=nope", "features", "Unknown feature: nope"),
    ("integration_type=chat", "integration_type", "Invalid integration type"),
    ("status=deletion_in_progress", "status", "Unknown status: deletion_in_progress"),
    ("sort=external_id", "sort", "Unknown sort: external_id"),
    ("provider_key=myspace", "provider_key", "Unknown provider: myspace"),
    ("per_page=1000", "per_page", "Rows per page must be between 1 and 100."),
])
def test_bad_filter_values_give_400_with_the_message_beside_the_field(client, login_as, data,
                                                                      query, field, message):
    login_as("member")
    response = client.get(URL + "?q=alpha&" + query)
    assert response.status_code == 400
    page = soup(response)
    assert message in page.get_text(" ", strip=True)
    summary = page.find(id="error-summary")
    assert summary is not None and message in summary.get_text()
    error = page.find(id=f"{field}-error")
    if error is not None:  # fields rendered in the form carry their message beside them
        assert message in error.get_text()
        # The control that takes focus from the error summary's link (a dropdown's summary).
        assert f"{field}-error" in page.find(id=field)["aria-describedby"]
    else:
        assert field in ("sort", "per_page")
    # Values kept, no table.
    assert page.find("input", attrs={"name": "q"})["value"] == "alpha"
    assert page.find("table", class_="integrations-table") is None
    assert page.find("a", string="Clear filters") is not None


def test_unknown_feature_in_csv_export_is_400_too(client, login_as, data):
    login_as("member")
    response = client.get(URL + "?format=csv&features=bogus")
    assert response.status_code == 400
    assert "Unknown feature: bogus" in response.get_data(as_text=True)


def test_empty_state_when_nothing_installed(client, login_as, org):
    login_as("member")
    response = client.get(URL)
    text = soup(response).get_text(" ", strip=True)
    assert response.status_code == 200
    assert "No integrations installed yet" in text
    assert "No installations match" not in text


def test_empty_state_when_nothing_matches(client, login_as, data):
    login_as("member")
    response = client.get(URL + "?q=zzz-nothing")
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert "No installations match these filters" in text
    assert "No integrations installed yet" not in text
    assert [a["href"] for a in page.find_all("a", string="Clear filters")] == [URL, URL]


def test_sortable_headers_have_aria_sort_and_keep_filters(client, login_as, data):
    login_as("member")
    page = soup(client.get(URL + "?status=active&sort=-date_added"))
    headers = {th.get_text(" ", strip=True).split(" ")[0]: th
               for th in page.find("table").thead.find_all("th")}
    assert headers["Added"]["aria-sort"] == "descending"
    assert headers["Name"]["aria-sort"] == "none"
    href = headers["Name"].find("a")["href"]
    assert "status=active" in href and "sort=name" in href
    # The filter form keeps the sort when filters are re-applied.
    form = page.find("form", attrs={"role": "search"})
    assert form.find("input", attrs={"name": "sort"})["value"] == "-date_added"
    names = row_names(client.get(URL + "?status=active&sort=-date_added"))
    assert names == [r[0] for r in reversed(VISIBLE) if r[3] == ObjectStatus.ACTIVE]


def test_pager_keeps_filters_and_marks_the_current_page(client, login_as, org):
    bulk_install(org, 60, providers=("github", "slack"), statuses=(ObjectStatus.ACTIVE,))
    login_as("member")
    response = client.get(URL + "?features=commits&per_page=10&page=2")
    page = soup(response)
    assert len(row_names(response)) == 10
    assert "Showing 11–20 of 30 installations" in page.get_text(" ", strip=True)
    pager = page.find("nav", attrs={"aria-label": "Installed integrations pages"})
    assert pager.find(attrs={"aria-current": "page"}).get_text(strip=True) == "2"
    next_href = pager.find("a", string="Next")["href"]
    assert "features=commits" in next_href and "per_page=10" in next_href and "page=3" in next_href
    third = client.get(next_href)
    assert len(row_names(third)) == 10
    assert all(name.startswith("Bulk") for name in row_names(third))


def test_csv_exports_every_filtered_row_and_is_audit_logged(client, login_as, org):
    bulk_install(org, 40, providers=("github", "slack"))  # statuses rotate over three
    user = login_as("admin")
    page = soup(client.get(URL + "?features=commits&status=active&per_page=5"))
    export = next(a for a in page.find_all("a") if "Export CSV" in a.get_text())
    assert "format=csv" in export["href"] and "features=commits" in export["href"]
    response = client.get(export["href"])
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:6] == ["integration_id", "provider", "provider_name", "name", "external_id", "status"]
    assert rows[0][-1] == "config"
    body = rows[1:]
    assert len(body) == 7  # github (i % 2 == 0) and active (i % 3 == 0): i in 0, 6, … 36
    assert {r[1] for r in body} == {"github"} and {r[5] for r in body} == {"active"}
    assert [r[3] for r in body] == sorted(r[3] for r in body)
    entry = db.session.scalars(db.select(AuditLogEntry).where(AuditLogEntry.event == "EXPORT_CSV")).one()
    assert entry.actor_id == user.id and entry.target_object == "integrations"
    assert entry.data["filters"]["features"] == ["commits"]
    assert entry.data["filters"]["statuses"] == ["active"]


def test_csv_without_config_column(client, login_as, data):
    login_as("member")
    response = client.get(URL + "?format=csv&include_config=0")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert "config" not in rows[0]
    assert len(rows) == 1 + len(VISIBLE)


def test_user_text_is_escaped(client, login_as, org):
    integration = factories.make_integration(name="<script>alert(1)</script>", external_id="<b>x</b>")
    factories.install(org, integration, config={"k": "<img src=x>"})
    db.session.commit()
    login_as("member")
    body = client.get(URL).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert "<img src=x>" not in body and "&lt;img src=x&gt;" in body  # config summary
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body  # external id


def test_rows_escape_and_quote_a_provider_key_outside_the_catalog(client, login_as, org):
    """Rows are laid out in Python (_rows_html): a provider key no catalog entry names is
    shown as text and quoted as one path segment in the row's link."""
    integration = factories.make_integration(provider='x"><i>y')
    factories.install(org, integration)
    db.session.commit()
    login_as("member")
    row = soup(client.get(URL)).select_one("table.integrations-table tbody tr")
    assert row.find("i") is None
    assert row.td.get_text(" ", strip=True).endswith('x"><i>y')
    assert row.select_one("td.col-name a")["href"].startswith(
        f"/settings/{org.slug}/integrations/x%22%3E%3Ci%3Ey/{integration.id}/?next=")


def test_row_cells_show_what_an_admin_reads(client, login_as, org):
    """Each cell of a row laid out in Python (_rows_html), read as an admin reads it:
    provider, name, external id, both statuses, the day added, the grace period's end, and
    with include_config the config summary; without it, no config column."""
    integration = factories.make_integration(provider="github", name="Acme repos",
                                             external_id="acme-gh",
                                             status=int(ObjectStatus.DISABLED))
    factories.install(org, integration, status=ObjectStatus.PENDING_DELETION,
                      config={"sync": "on"},
                      date_added=datetime.datetime(2026, 3, 4, 23, 30, tzinfo=datetime.UTC),
                      grace_period_end=datetime.datetime(2026, 12, 1, 10, 5, tzinfo=datetime.UTC))
    db.session.commit()
    login_as("member")
    page = soup(client.get(URL + "?include_config=1"))
    headers = [th.get_text(" ", strip=True).split(" (sort")[0]  # without the sort link's hint
               for th in page.select("table.integrations-table thead th")]
    cells = [td.get_text(" ", strip=True)
             for td in page.select_one("table.integrations-table tbody tr").find_all("td")]
    assert dict(zip(headers, cells, strict=True)) == {
        "Provider": "GH GitHub", "Name": "Acme repos", "External ID": "acme-gh",
        "Status": "Pending deletion", "Integration status": "Disabled",
        "Added": "2026-03-04", "Grace period ends": "2026-12-01 10:05 UTC",
        "Config": "sync: on",
    }
    plain = soup(client.get(URL + "?include_config=0"))
    assert len(plain.select_one("table.integrations-table tbody tr").find_all("td")) == 7
    assert "Config" not in plain.select_one("table.integrations-table thead").get_text()


def test_anonymous_is_sent_to_login(client, data):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_non_member_gets_404(client, data):
    outsider = factories.make_user()
    factories.make_member(factories.make_org(slug="elsewhere"), outsider, "owner")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(outsider.id)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("query", ["", "?features=issue-basic&status=active&sort=-provider&include_config=0",
                                   "?q=0&per_page=100"])
def test_list_page_runs_a_constant_number_of_queries(client, login_as, org, count_queries, query):
    """Same statement count at 5 and at 500 installations, and at most 6."""
    login_as("admin")
    org_id = org.id
    counts = []
    for size in (5, 495):
        bulk_install(org_id, size, prefix=f"S{size}")
        db.session.remove()  # measure a fresh request, as in production:
        g.pop("_login_user", None)  # (tests share one app context, so g outlives requests)
        with count_queries() as counter:
            response = client.get(URL + query)
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 6, counts


def test_active_filters_show_as_chips_that_remove_one_filter_each(client, login_as, data):
    login_as("member")
    page = soup(client.get(URL + "?q=eta&features=issue_basic&features=commits&status=active"
                           "&providerKey=github&sort=-name"))
    chips = {a.get_text(" ", strip=True).split(" (")[0]: a["href"]
             for a in page.select(".active-filters a.filter-chip")}
    assert set(chips) == {"Search “eta”", "Provider: GitHub", "Feature: issue-basic",
                          "Feature: commits", "Status: Active"}
    without_feature = client.get(chips["Feature: issue-basic"])
    assert without_feature.status_code == 200
    kept = soup(without_feature).select(".active-filters a.filter-chip")
    assert [a.get_text(" ", strip=True).split(" (")[0] for a in kept] == [
        "Search “eta”", "Provider: GitHub", "Feature: commits", "Status: Active"]
    assert "sort=-name" in chips["Status: Active"]
    assert row_names(client.get(chips["Provider: GitHub"])) == ["Eta Example", "Beta GitHub"]


def test_saved_views_menu_is_on_the_list(client, login_as, data):
    login_as("member")
    page = soup(client.get(URL + "?status=active"))
    form = page.find("input", attrs={"name": "list_key", "value": "integrations"})
    assert form is not None
    assert page.find("input", attrs={"name": "query_string"})["value"] == "status=active"
