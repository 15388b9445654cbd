"""Bad input on the bulk pages (/settings/<org>/integrations/bulk/, …/apply/) and on restore:
each refusal is a 400 with the message beside its field (action, ids, filters, planned_at),
NUL the one page of its own, unknown records 404 — and nothing changes (statuses, audit)."""

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.bad_input import HUGE, NON_ASCII, NUL, TOO_LONG, assert_nul_refused, error_beside
from tests.integrations.helpers import ROWS, audit_entries, seed, status_of
from webapp.extensions import db
from webapp.models import ObjectStatus, OrganizationIntegration

S = ObjectStatus
BULK = "/settings/acme/integrations/bulk/"
PLANNED = ("planned_at", "2030-01-01T00:00:00+00:00")
ACTIONS = "Choose an action: Disable, Enable, Uninstall or Export CSV."


@pytest.fixture
def made(org):
    return seed(org, factories.make_org(slug="globex"))


def alpha(made) -> tuple[str, str]:
    return ("ids", str(made["Alpha Slack"].integration_id))


def assert_nothing_changed(made):
    assert {name: status_of(oi) for name, oi in made.items()} == {row[0]: row[3] for row in ROWS}
    assert audit_entries() == []


@pytest.mark.parametrize(("pairs", "field", "message"), [
    ([("action", "")], "action", ACTIONS),
    ([("action", TOO_LONG)], "action", ACTIONS),
    ([("action", "Disable")], "action", ACTIONS),
    ([("action", NON_ASCII)], "action", ACTIONS),
    ([("action", "disable"), ("ids", "-1")], "ids", "Not an integration id: -1"),
    ([("action", "disable"), ("ids", HUGE)], "ids", f"Not an integration id: {HUGE}"),
    ([("action", "disable"), ("ids", "2147483648")], "ids", "Not an integration id: 2147483648"),
    ([("action", "disable"), ("ids", "1.5")], "ids", "Not an integration id: 1.5"),
    ([("action", "disable"), ("ids", "١٢")], "ids", "Not an integration id: ١٢"),
    ([("action", "disable"), ("ids", TOO_LONG)], "ids", "Not an integration id: " + "x" * 40),
    ([("action", "disable"), *[("ids", str(n)) for n in range(1, 1002)]], "ids",
     "At most 1,000 ids at once; select all matching the filters instead."),
    ([("action", "disable"), ("all_matching", "1"), ("filters", f"q={TOO_LONG}")], "filters",
     "Search text must be at most 200 characters."),
    ([("action", "disable"), ("all_matching", "1"), ("filters", "q=a%07b")], "filters",
     "Search text cannot contain control characters."),
    ([("action", "disable"), ("all_matching", "1"), ("filters", "provider_key=nope")], "filters",
     "Unknown provider: nope"),
    ([("action", "disable"), ("all_matching", "1"), ("filters", "policy=maybe")], "filters",
     "Unknown policy filter: maybe"),
])
@pytest.mark.parametrize("method", ["post", "get"])
def test_a_bad_value_is_400_beside_its_field_and_changes_nothing(client, login_as, made, pairs,
                                                                 field, message, method):
    login_as("admin")
    if method == "post":
        response = client.post(BULK, data=MultiDict(pairs))
    else:
        response = client.get(BULK, query_string=MultiDict(pairs))
    assert response.status_code == 400
    assert message in error_beside(response, field)
    assert "Nothing was changed." in response.get_data(as_text=True)
    assert_nothing_changed(made)


@pytest.mark.parametrize(("name", "value"), [
    ("versions", "abc"), ("versions", "1:0"), ("versions", "1:-1"), ("versions", f"1:{HUGE}"),
    ("versions", f"{HUGE}:1"), ("planned_at", ""), ("planned_at", "2030-01-01T00:00:00"),
    ("planned_at", "2030-13-01T00:00:00+00:00"), ("planned_at", TOO_LONG),
])
def test_a_damaged_confirmation_is_400_and_applies_nothing(client, login_as, made, name, value):
    login_as("admin")
    data = MultiDict([("action", "disable"), alpha(made), PLANNED])
    data.setlist(name, [value])
    response = client.post(BULK + "apply/", data=data)
    assert response.status_code == 400
    assert error_beside(response, "planned_at") == (
        "The confirmation is incomplete; go back to the list and try again.")
    assert_nothing_changed(made)


@pytest.mark.parametrize("url", [BULK, BULK + "apply/"])
@pytest.mark.parametrize("name", ["action", "ids", "filters", "next"])
def test_nul_in_any_field_is_400_and_changes_nothing(client, login_as, made, url, name):
    login_as("admin")
    data = MultiDict([("action", "disable"), alpha(made), PLANNED])
    data.setlist(name, [NUL])
    assert_nul_refused(client.post(url, data=data))
    assert_nothing_changed(made)


def test_repeated_ids_count_once(client, login_as, made):
    login_as("admin")
    response = client.post(BULK, data=MultiDict([("action", "disable"), alpha(made), alpha(made)]))
    assert response.status_code == 200
    assert "Disable 1 installation?" in response.get_data(as_text=True)
    assert_nothing_changed(made)


def test_an_unknown_id_is_404_for_the_whole_request(client, login_as, made):
    login_as("admin")
    data = MultiDict([("action", "disable"), alpha(made), ("ids", "2147483647"), PLANNED])
    assert client.post(BULK, data=data).status_code == 404
    assert client.post(BULK + "apply/", data=data).status_code == 404
    assert_nothing_changed(made)


@pytest.mark.parametrize("entry_id", ["0", "2147483648", HUGE])
def test_an_unknown_result_is_404(client, login_as, made, entry_id):
    login_as("admin")
    assert client.get(f"{BULK}{entry_id}/").status_code == 404


# -- restore of an installation pending deletion ----------------------------------------------


def _theirs():
    return db.session.scalars(select(OrganizationIntegration)
                              .where(OrganizationIntegration.organization.has(slug="globex"))).first()


@pytest.mark.parametrize("path", [
    "slack/{pending}/restore/",          # the provider in the URL is not the installation's
    "nope/{pending}/restore/",           # no such provider
    "slack/{theirs}/restore/",           # another org's installation
    "pagerduty/2147483648/restore/",     # past any id
    f"pagerduty/{HUGE}/restore/",
])
@pytest.mark.parametrize("method", ["get", "post"])
def test_restore_of_an_unknown_installation_is_404_and_changes_nothing(client, login_as, made,
                                                                        path, method):
    login_as("owner")
    theirs = _theirs()
    url = "/settings/acme/integrations/" + path.format(
        pending=made["Delta PagerDuty"].integration_id, theirs=theirs.integration_id)
    assert getattr(client, method)(url).status_code == 404
    assert_nothing_changed(made)
    assert status_of(theirs) == S.ACTIVE


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", TOO_LONG,
                                      NON_ASCII])
def test_restore_ignores_a_next_that_is_not_a_same_site_path(client, login_as, made, next_url):
    login_as("owner")
    pending = made["Delta PagerDuty"]
    response = client.post(f"/settings/acme/integrations/pagerduty/{pending.integration_id}/restore/",
                           data={"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(
        f"/settings/acme/integrations/pagerduty/{pending.integration_id}/")
    assert status_of(pending) == S.DISABLED
