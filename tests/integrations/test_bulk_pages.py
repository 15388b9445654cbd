"""Bulk actions in the browser's terms (issue 23): the list's form posts the action and the
chosen ids (or "all matching" its filters) to a confirmation page that changes nothing; its
own form applies, and the result page says what happened."""

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.integrations.helpers import audit_entries, bulk_install, seed, soup, status_of
from webapp.extensions import db
from webapp.models import ObjectStatus, OrganizationIntegration

S = ObjectStatus
BULK = "/settings/acme/integrations/bulk/"
LIST = "/settings/acme/integrations/"


def apply_fields(page):
    """The confirmation form's hidden fields, as the browser would post them."""
    form = page.find("form", action=lambda a: a and a.endswith("/bulk/apply/"))
    return MultiDict([(i["name"], i.get("value", "")) for i in form.find_all("input", type="hidden")])


def chosen(made, *names):
    return [("ids", str(made[name].integration_id)) for name in names]


def test_the_confirmation_lists_what_changes_and_what_is_skipped_and_why(client, login_as, org):
    made = seed(org)
    login_as("admin")
    response = client.post(BULK, data=MultiDict([("action", "disable"), *chosen(
        made, "Alpha Slack", "Beta GitHub", "Gamma Jira", "Epsilon Vercel")]))
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Disable 2 installations?"
    assert "2 will be disabled · 2 skipped" in page.get_text(" ", strip=True)
    changes = page.find(id="changes-title").find_parent("section")
    assert "Slack" in changes.get_text() and "Alpha Slack" in changes.get_text()
    skipped = {tr.find_all("td")[0].contents[0].strip(): tr.find_all("td")[1].get_text(strip=True)
               for tr in page.find(id="skipped-title").find_parent("section").tbody.find_all("tr")}
    assert skipped == {"Already disabled.": "1",
                       "Vercel installations cannot be disabled here; uninstall it instead.": "1"}
    assert page.find("button", string="Disable 2 installations")
    assert status_of(made["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []


def test_applying_changes_them_in_one_go_and_the_result_says_how_many(client, login_as, org):
    made = seed(org)
    login_as("admin")
    page = soup(client.post(BULK, data=MultiDict([("action", "disable"),
                                        *chosen(made, "Alpha Slack", "Iota Teams", "Gamma Jira")])))
    response = client.post(BULK + "apply/", data=apply_fields(page))
    assert response.status_code == 302
    result = client.get(response.headers["Location"])
    assert result.status_code == 200
    text = soup(result).get_text(" ", strip=True)
    assert soup(result).h1.get_text(strip=True) == "2 disabled, 1 skipped"
    assert "Already disabled." in text
    assert status_of(made["Alpha Slack"]) == status_of(made["Iota Teams"]) == S.DISABLED
    assert [e.target_object for e in audit_entries("INTEGRATION_DISABLE")] == ["Alpha Slack", "Iota Teams"]
    assert len(audit_entries("INTEGRATION_BULK_DISABLE")) == 1


def test_all_matching_the_filters_reaches_across_pages_and_counts_as_the_list(client, login_as, org):
    bulk_install(org, 60, providers=("slack", "github"), statuses=(S.ACTIVE, S.DISABLED))
    login_as("owner")
    listed = soup(client.get(LIST + "?status=active&provider_key=slack"))
    total = int(listed.find(class_="result-count").get_text().split(" of ")[1].split()[0])
    assert total == 30  # more than one page of 25
    page = soup(client.post(BULK, data={"action": "uninstall", "all_matching": "1",
                                        "filters": "status=active&provider_key=slack&page=2"}))
    assert page.h1.get_text(strip=True) == f"Uninstall {total} installations?"
    assert "Provider: Slack" in page.get_text() and "Status: Active" in page.get_text()
    response = client.post(BULK + "apply/", data=apply_fields(page))
    assert "30 uninstalled, 0 skipped" in soup(client.get(response.headers["Location"])).h1.get_text()
    assert "of 30 installations" in soup(client.get(LIST + "?status=pending_deletion")).find(
        class_="result-count").get_text()


def test_a_confirmation_can_be_opened_by_a_plain_link(client, login_as, org):
    seed(org)
    login_as("admin")
    response = client.get(BULK + "?action=enable&all_matching=1&filters=status%3Ddisabled")
    assert response.status_code == 200
    assert soup(response).h1.get_text(strip=True) == "Enable 2 installations?"


def test_a_row_changed_after_the_confirmation_is_reported_stale(client, login_as, org):
    made = seed(org)
    login_as("admin")
    page = soup(client.post(BULK, data=MultiDict([("action", "uninstall"),
                                        *chosen(made, "Alpha Slack", "Beta GitHub")])))
    beta = db.session.get(OrganizationIntegration, made["Beta GitHub"].id)
    beta.config = {"changed": True}  # someone else saves it meanwhile
    db.session.commit()
    response = client.post(BULK + "apply/", data=apply_fields(page))
    result = soup(client.get(response.headers["Location"]))
    assert result.h1.get_text(strip=True) == "1 uninstalled, 1 skipped"
    assert "Changed by someone else since the confirmation." in result.get_text()
    assert status_of(made["Beta GitHub"]) == S.ACTIVE


def test_export_csv_of_the_chosen_rows(client, login_as, org):
    made = seed(org)
    login_as("admin")
    response = client.post(BULK, data=MultiDict([("action", "export"), *chosen(made, "Beta GitHub",
                                                                       "Alpha Slack")]))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("integration_id,provider,")
    assert [line.split(",")[3] for line in lines[1:]] == ["Alpha Slack", "Beta GitHub"]
    (entry,) = audit_entries("EXPORT_CSV")
    assert entry.data["filters"] == {"ids": [made["Beta GitHub"].integration_id,
                                             made["Alpha Slack"].integration_id]}


def test_members_are_refused_and_nothing_changes(client, login_as, org):
    made = seed(org)
    login_as("member")
    data = [("action", "disable"), *chosen(made, "Alpha Slack")]
    assert client.post(BULK, data=MultiDict(data)).status_code == 403
    assert client.get(BULK + "?action=disable&ids=1").status_code == 403
    assert client.post(BULK + "apply/", data=MultiDict(data)).status_code == 403
    assert status_of(made["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []


def test_another_orgs_id_is_a_404_for_the_whole_request(client, login_as, org):
    other = factories.make_org(slug="globex")
    made = seed(org, other)
    theirs = db.session.scalars(select(OrganizationIntegration)
                                .where(OrganizationIntegration.organization_id == other.id)).first()
    login_as("owner")
    data = [("action", "disable"), *chosen(made, "Alpha Slack"), ("ids", str(theirs.integration_id))]
    assert client.post(BULK, data=MultiDict(data)).status_code == 404
    planned = [*data, ("planned_at", "2030-01-01T00:00:00+00:00")]
    assert client.post(BULK + "apply/", data=MultiDict(planned)).status_code == 404
    assert client.post(BULK, data=MultiDict([("action", "export"), ("ids", str(theirs.integration_id))])
                       ).status_code == 404
    assert status_of(made["Alpha Slack"]) == status_of(theirs) == S.ACTIVE
    assert audit_entries() == []


def test_bad_input_is_a_400_with_the_message_beside_its_field(client, login_as, org):
    made = seed(org)
    login_as("admin")
    cases = [
        ([("action", "delete"), *chosen(made, "Alpha Slack")],
         "Choose an action: Disable, Enable, Uninstall or Export CSV."),
        ([("action", "disable")], "Choose at least one installation, or all matching the filters."),
        ([("action", "disable"), ("ids", "abc")], "Not an integration id: abc"),
        ([("action", "disable"), ("all_matching", "1"), ("filters", "status=gone")],
         "Unknown status: gone"),
    ]
    for data, message in cases:
        response = client.post(BULK, data=MultiDict(data))
        assert response.status_code == 400, data
        page = soup(response)
        assert message in page.find(class_="invalid-feedback").get_text(), data
        assert "Nothing was changed." in page.get_text()
    damaged = [("action", "disable"), *chosen(made, "Alpha Slack"), ("planned_at", "yesterday")]
    response = client.post(BULK + "apply/", data=MultiDict(damaged))
    assert response.status_code == 400
    assert "The confirmation is incomplete" in soup(response).get_text()
    assert status_of(made["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []


def test_the_result_page_of_another_org_is_not_found(client, login_as, org):
    made = seed(org)
    login_as("admin")
    page = soup(client.post(BULK, data=MultiDict([("action", "disable"), *chosen(made, "Alpha Slack")])))
    location = client.post(BULK + "apply/", data=apply_fields(page)).headers["Location"]
    entry_id = location.rstrip("/").split("/")[-1]
    other = factories.make_org(slug="globex")
    factories.make_member(other, factories.make_user(), "owner")
    db.session.commit()
    login_as("owner")  # an owner of acme sees it; another org's URL does not hold it
    assert client.get(f"/settings/globex/integrations/bulk/{entry_id}/").status_code == 404
    assert client.get(f"{BULK}{entry_id}/").status_code == 200


def test_with_csrf_on_the_apply_needs_the_confirmation_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.make_org(slug="acme")
        made = seed(org)
        user = factories.make_user()
        factories.make_member(org, user, "owner")
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        iid = made["Alpha Slack"].integration_id
        fields = apply_fields(soup(client.get(f"{BULK}?action=disable&ids={iid}")))
        forged = MultiDict([(k, v) for k, v in fields.items(multi=True) if k != "csrf_token"])
        assert client.post(BULK + "apply/", data=forged).status_code == 400
        assert status_of(made["Alpha Slack"]) == S.ACTIVE
        assert client.post(BULK + "apply/", data=fields).status_code == 302
        assert status_of(made["Alpha Slack"]) == S.DISABLED
        db.session.remove()


# -- the list's bulk form --------------------------------------------------------------------


def bulk_form(page):
    return page.find("form", id="bulk-form")


def list_post(page, *, ticked=(), action="disable", all_matching=False):
    """What the browser posts from the list's bulk form: its hidden fields, the chosen
    action, the ticked rows' checkboxes (by their labels) and the clicked submit button."""
    form = bulk_form(page)
    data = MultiDict([(i["name"], i.get("value", "")) for i in form.find_all("input", type="hidden")])
    data.add("action", action)
    for name in ticked:
        label = page.find("label", string=f"Select {name}")
        data.add("ids", page.find(id=label["for"])["value"])
    if all_matching:
        button = form.find("button", attrs={"name": "all_matching"})
        data.add(button["name"], button["value"])
    return form["action"], data


def test_members_see_no_checkboxes_and_no_action_bar(client, login_as, org):
    seed(org)
    login_as("member")
    page = soup(client.get(LIST))
    assert len(page.select("table.integrations-table tbody tr")) == 8
    assert bulk_form(page) is None
    assert page.find("input", type="checkbox", attrs={"name": "ids"}) is None
    assert "Apply to chosen" not in page.get_text()


def test_admins_get_a_labelled_checkbox_per_row_and_the_action_bar(client, login_as, org):
    made = seed(org)
    login_as("admin")
    page = soup(client.get(LIST + "?sort=-name"))
    form = bulk_form(page)
    assert form["method"] == "post" and form["action"] == BULK
    assert [o.get_text(strip=True) for o in form.find("select", attrs={"name": "action"}).find_all("option")] == [
        "Disable", "Enable", "Uninstall", "Export CSV"]
    assert page.find("label", attrs={"for": "bulk-action"}).get_text(strip=True) == "Action on the chosen rows"
    assert form.find("input", attrs={"name": "csrf_token"}) is not None
    assert form.find("input", attrs={"name": "next"})["value"] == LIST + "?sort=-name"
    boxes = page.select("table.integrations-table tbody input[type=checkbox][name=ids]")
    assert len(boxes) == 8 and all(box["form"] == "bulk-form" for box in boxes)
    labels = [page.find("label", attrs={"for": box["id"]}).get_text() for box in boxes]
    assert labels[0] == "Select Zeta GitLab" and labels[-1] == "Select Alpha Slack"
    assert boxes[0]["value"] == str(made["Zeta GitLab"].integration_id)


def test_the_lists_form_posts_the_ticked_rows_to_the_confirmation(client, login_as, org):
    made = seed(org)
    login_as("admin")
    action, data = list_post(soup(client.get(LIST)), ticked=("Alpha Slack", "Iota Teams"))
    assert "all_matching" not in data
    confirm = soup(client.post(action, data=data))
    assert confirm.h1.get_text(strip=True) == "Disable 2 installations?"
    assert confirm.find("a", string="Cancel")["href"] == LIST
    response = client.post(BULK + "apply/", data=apply_fields(confirm))
    assert soup(client.get(response.headers["Location"])).h1.get_text(strip=True) == "2 disabled, 0 skipped"
    assert status_of(made["Alpha Slack"]) == status_of(made["Iota Teams"]) == S.DISABLED
    assert status_of(made["Beta GitHub"]) == S.ACTIVE


def test_apply_to_all_matching_carries_the_filters_and_the_exact_count(client, login_as, org):
    bulk_install(org, 60, providers=("slack", "github"), statuses=(S.ACTIVE, S.DISABLED))
    login_as("owner")
    page = soup(client.get(LIST + "?status=active&provider_key=slack&page=2&sort=-name"))
    assert "Showing 26–30 of 30 installations" in page.find(class_="result-count").get_text(" ", strip=True)
    button = bulk_form(page).find("button", attrs={"name": "all_matching"})
    assert button.get_text(strip=True) == "Apply to all 30 matching this filter"
    action, data = list_post(page, action="uninstall", all_matching=True, ticked=["Bulk 00004"])
    assert data["filters"] == "provider_key=slack&status=active"
    confirm = soup(client.post(action, data=data))
    assert confirm.h1.get_text(strip=True) == "Uninstall 30 installations?"
    assert confirm.find("a", string="Cancel")["href"] == LIST + "?status=active&provider_key=slack&page=2&sort=-name"
    unfiltered = bulk_form(soup(client.get(LIST))).find("button", attrs={"name": "all_matching"})
    assert unfiltered.get_text(strip=True) == "Apply to all 60 installations"


def test_export_csv_from_the_list_of_all_matching(client, login_as, org):
    seed(org)
    login_as("admin")
    action, data = list_post(soup(client.get(LIST + "?status=disabled")), action="export",
                             all_matching=True)
    response = client.post(action, data=data)
    assert response.mimetype == "text/csv"
    assert [line.split(",")[3] for line in response.get_data(as_text=True).splitlines()[1:]] == [
        "Gamma Jira", "Zeta GitLab"]
