"""Bad input on POST /api/0/organizations/<org>/integrations/bulk/ beyond the contract's
cases (tests/api/test_api_bulk.py): wrong JSON types, empty, 10,000 characters, non-ASCII,
NUL, negative and huge numbers, too many ids, bodies that are not an object — each a 400
with the message under the field's name, nothing changed and nothing audited."""

import pytest

from tests import factories
from tests.bad_input import HUGE, NON_ASCII, TOO_LONG
from tests.integrations.helpers import ROWS, audit_entries, seed, status_of
from webapp.models import ObjectStatus

URL = "/api/0/organizations/acme/integrations/bulk/"
UNSTORABLE = ["Text cannot contain NUL characters or invalid Unicode."]
ACTIONS = "Use one of: disable, enable, uninstall."


@pytest.fixture
def made(org):
    return seed(org, factories.make_org(slug="globex"))


def unknown_action(shown) -> dict:
    """The message naming the refused action as it shows it: "(empty)", or at most 40
    characters then "…" (a 10,000-character value makes no 10 KB message)."""
    return {"action": [f"Unknown action: {shown}. {ACTIONS}"]}


def not_an_id(*values) -> dict:
    return {"ids": [f"Not an integration id: {value}" for value in values]}


FILTER_TYPE = {"filters.status": ["Must be text or a list of text."]}
DAMAGED_VERSION = "Not an id and version: "
PLANNED_AT = {"plannedAt": ["Must be an ISO 8601 date-time with a time zone (the plannedAt of a "
                            "dry run)."]}


@pytest.mark.parametrize("body, errors", [
    ({"action": "", "ids": [1]}, unknown_action("(empty)")),
    ({"action": TOO_LONG, "ids": [1]}, unknown_action("x" * 40 + "…")),
    ({"action": "Disable", "ids": [1]}, unknown_action("Disable")),
    ({"action": NON_ASCII, "ids": [1]}, unknown_action(NON_ASCII)),
    ({"action": 1, "ids": [1]}, unknown_action(1)),
    ({"action": ["disable"], "ids": [1]}, unknown_action(["disable"])),
    ({"action": "dis\x00able", "ids": [1]}, {"action": UNSTORABLE}),
    ({"action": "disable", "ids": None}, {"ids": ["This field may not be null."]}),
    ({"action": "disable", "ids": {"1": 1}}, {"ids": ["Must be a list of integration ids."]}),
    ({"action": "disable", "ids": [-1, 2**31, 1.5, True, None]},
     not_an_id(-1, 2**31, 1.5, True, None)),
    ({"action": "disable", "ids": [[1], {"id": 1}, "", HUGE, "١٢"]},
     not_an_id([1], {"id": 1}, "", HUGE, "١٢")),
    ({"action": "disable", "ids": [TOO_LONG]}, not_an_id("x" * 40)),
    ({"action": "disable", "ids": ["1\x00"]}, {"ids": UNSTORABLE}),
    ({"action": "disable", "ids": list(range(1, 1002))},
     {"ids": ["At most 1,000 ids at once; select all matching the filters instead."]}),
    ({"action": "disable", "filters": None}, {"filters": ["This field may not be null."]}),
    ({"action": "disable", "filters": "status=active"},
     {"filters": ["Must be an object of the list's filters."]}),
    ({"action": "disable", "filters": {"q": TOO_LONG}},
     {"filters.q": ["Search text must be at most 200 characters."]}),
    ({"action": "disable", "filters": {"q": "a\x07b"}},
     {"filters.q": ["Search text cannot contain control characters."]}),
    ({"action": "disable", "filters": {"q": "a\x00b"}}, {"filters": UNSTORABLE}),
    ({"action": "disable", "filters": {"status": ["active", 3]}}, FILTER_TYPE),
    ({"action": "disable", "filters": {"status": {"in": ["active"]}}}, FILTER_TYPE),
    ({"action": "disable", "filters": {"status": None}}, FILTER_TYPE),
    ({"action": "disable", "filters": {"policy": "maybe"}},
     {"filters.policy": ["Unknown policy filter: maybe. Use: blocked."]}),
    ({"action": "disable", "filters": {"providerKey": NON_ASCII}},
     {"filters.providerKey": [f"Unknown provider: {NON_ASCII}"]}),
    ({"action": "disable", "filters": {}, "dryRun": 1}, {"dryRun": ["Must be true or false."]}),
    ({"action": "disable", "filters": {}, "dryRun": "true"}, {"dryRun": ["Must be true or false."]}),
    ({"action": "disable", "filters": {}, "versions": [1]},
     {"versions": ["Must be an object of id: version."]}),
    ({"action": "disable", "filters": {}, "versions": {"1": 0}},
     {"versions": [DAMAGED_VERSION + "1: 0"]}),
    ({"action": "disable", "filters": {}, "versions": {"1": -1}},
     {"versions": [DAMAGED_VERSION + "1: -1"]}),
    ({"action": "disable", "filters": {}, "versions": {"1": 2**31}},
     {"versions": [DAMAGED_VERSION + f"1: {2**31}"]}),
    ({"action": "disable", "filters": {}, "versions": {"1": "2"}},
     {"versions": [DAMAGED_VERSION + "1: 2"]}),
    ({"action": "disable", "filters": {}, "versions": {HUGE: 1}},
     {"versions": [DAMAGED_VERSION + f"{HUGE}: 1"]}),
    ({"action": "disable", "filters": {}, "plannedAt": ""}, PLANNED_AT),
    ({"action": "disable", "filters": {}, "plannedAt": 1767225600}, PLANNED_AT),
    ({"action": "disable", "filters": {}, "plannedAt": "2030-01-01T00:00:00"}, PLANNED_AT),
    ({"action": "disable", "filters": {}, "plannedAt": TOO_LONG}, PLANNED_AT),
])
def test_a_bad_field_is_400_under_its_name_and_changes_nothing(api_as, made, body, errors):
    response = api_as("admin").post(URL, json=body)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert {name: status_of(oi) for name, oi in made.items()} == {row[0]: row[3] for row in ROWS}
    assert audit_entries() == []


@pytest.mark.parametrize("raw", [b"", b"[]", b'"disable"', b"null", b"{", b"\xff\xfe",
                                 b"[" * 100_000 + b"]" * 100_000])
def test_a_body_that_is_not_a_json_object_is_400(api_as, made, raw):
    response = api_as("admin").post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.get_json()) == {"detail"}
    assert audit_entries() == []


def test_a_repeated_key_is_read_as_json_reads_it_the_last_one(api_as, made):
    iid = made["Alpha Slack"].integration_id
    raw = f'{{"action": "uninstall", "action": "disable", "ids": [{iid}], "dryRun": true}}'
    response = api_as("admin").post(URL, data=raw, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json()["action"] == "disable"
    assert audit_entries() == []


def test_repeated_ids_count_once(api_as, made):
    iid = made["Alpha Slack"].integration_id
    response = api_as("admin").post(URL, json={"action": "disable", "ids": [iid, str(iid), iid * 1.0]})
    assert response.status_code == 200
    assert (response.get_json()["selected"], response.get_json()["changed"]) == (1, 1)
    assert status_of(made["Alpha Slack"]) == ObjectStatus.DISABLED
