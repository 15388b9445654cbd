"""Ids no column can hold, or digits that are not ASCII, are "not found" — never a 500."""

import pytest
from bs4 import BeautifulSoup

from tests import factories
from webapp.extensions import db
from webapp.services.ids import MAX_ID, parse_id, parse_version_pair


@pytest.mark.parametrize("raw, expected", [
    ("12", 12), (12, 12), (" 7 ", 7), (str(MAX_ID), MAX_ID),
    (str(MAX_ID + 1), None), ("²", None), ("1e3", None), ("-1", None), ("", None),
    (True, None), (None, None), (2**63, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("record_id, version, expected", [
    ("12", "3", (12, 3)), (12, 3, (12, 3)), ("12", "0", None), ("x", "3", None),
    ("12", "", None), ("12", str(MAX_ID + 1), None), (True, 3, None),
])
def test_parse_version_pair(record_id, version, expected):
    """The bulk confirmation's "id:version" pairs and the API's {"id": version} alike."""
    assert parse_version_pair(record_id, version) == expected


@pytest.mark.parametrize("path", [
    "/settings/2147483648/integrations/",
    "/settings/%C2%B2/integrations/",
    "/settings/acme/integrations/slack/2147483648/",
    "/settings/acme/integrations/slack/9223372036854775808/",
    "/settings/acme/integrations/slack/2147483648/uninstall/",
    "/doc-integrations/2147483648/",
    "/doc-integrations/%C2%B2/",
    "/api/0/organizations/2147483648/integrations/",
    "/api/0/organizations/acme/integrations/2147483648/",
    "/api/0/doc-integrations/2147483648/",
    "/api/0/doc-integrations/%C2%B2/avatar/",
])
def test_out_of_range_and_unicode_ids_are_404(client, login_as, path):
    login_as("staff")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [
    "/account/tokens/2147483648/revoke/",
    "/saved-views/2147483648/delete/",
    "/settings/acme/integration-requests/2147483648/done/",
])
def test_out_of_range_ids_in_post_routes_are_404(client, login_as, path):
    login_as("owner")
    assert client.post(path).status_code == 404


def test_unicode_digits_in_filters_and_forms_are_field_errors(client, login_as, org):
    login_as("owner")
    assert client.get("/settings/acme/audit-log/?actor=%C2%B2").status_code == 400
    staff = factories.make_user(is_staff=True)
    db.session.commit()
    assert staff.id
    response = client.get("/api/0/organizations/acme/integrations/?per_page=%C2%B2")
    assert response.status_code == 400
    assert response.json == {"detail": "Invalid per_page parameter."}


@pytest.mark.parametrize("path", [
    "/doc-integrations/?page=922337203685477581",
    "/doc-integrations/?page=9223372036854775807",
    "/settings/acme/integration-requests/?page=922337203685477581",
    "/settings/acme/integrations/?page=9223372036854775807",
    "/settings/acme/audit-log/?page=100001",
    "/settings/acme/directory/?page=9223372036854775807",
    "/settings/acme/plugins/webhooks/?page=9223372036854775807",
])
def test_huge_page_numbers_are_400_with_the_message(client, login_as, path):
    login_as("staff")
    response = client.get(path)
    assert response.status_code == 400
    assert "Page must be between 1 and 100,000." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/doc-integrations/",
    "/settings/acme/integration-requests/",
    "/settings/acme/integrations/",
    "/settings/acme/audit-log/",
    "/settings/acme/directory/",
    "/settings/acme/plugins/webhooks/",
])
def test_paging_text_gets_one_message_not_a_range_too(client, login_as, path):
    """`page=abc`: "Page must be a whole number." (the app's wording, not WTForms'
    "Not a valid integer value."), without "must be between…" for a number nobody typed;
    the same for per_page."""
    login_as("staff")
    response = client.get(path + "?page=abc&per_page=xyz")
    assert response.status_code == 400
    page = BeautifulSoup(response.data, "html.parser")
    summary = page.find(id="error-summary").get_text(" ", strip=True)
    assert summary.count("must be a whole number.") == 2
    assert "Page: Page must be a whole number." in summary
    assert "Rows per page: Rows per page must be a whole number." in summary
    assert "Not a valid integer value." not in summary
    assert "must be between" not in summary
