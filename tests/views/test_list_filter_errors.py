"""Every list page answers an unknown filter value the same way (issue 22): status 400, the
message beside the field and in the error summary, the page itself (not an error page);
the API keeps its documented errors (SPEC §8)."""

import pytest
from bs4 import BeautifulSoup

from tests import factories
from webapp.extensions import db

# (list page, query, field whose message is shown beside it, the message)
CASES = [
    ("/settings/acme/integrations/", "provider_key=nope", "provider_key", "Unknown provider: nope"),
    ("/settings/acme/integrations/", "features=nope", "features", "Unknown feature: nope"),
    ("/settings/acme/integrations/", "status=nope", "status", "Unknown status: nope"),
    ("/settings/acme/integrations/", "integration_type=nope", "integration_type",
     "Invalid integration type"),
    ("/settings/acme/plugins/", "plugins=nope", "plugins", "Unknown plugin: nope"),
    ("/settings/acme/plugins/trello/", "enabled=nope", "enabled", "Choose Enabled, Disabled or Any."),
    ("/settings/acme/directory/", "category=nope", "category", "Unknown category: nope"),
    ("/settings/acme/directory/", "installed=nope", "installed", "Installed must be"),
    ("/settings/acme/integration-requests/", "kind=nope", "kind", "nope"),
    ("/settings/acme/audit-log/", "event=nope", "event", "Unknown event: nope"),
    ("/settings/acme/audit-log/", "actor=nope", "actor", "Unknown actor: nope"),
    ("/settings/acme/audit-log/", "date_from=yesterday", "date_from", "Enter a date as YYYY-MM-DD."),
    ("/doc-integrations/", "state=nope", "state", "Unknown state: nope"),
]
# `kind=nope` on the requests queue: its wording is the install-request workflow's.
SORTS = [
    "/settings/acme/integrations/", "/settings/acme/integration-requests/", "/doc-integrations/",
]


@pytest.fixture
def owner(login_as, org):
    user = login_as("owner", is_staff=True)
    factories.make_project(org, slug="alpha")
    db.session.commit()
    return user


@pytest.mark.parametrize("path, query, field, message", CASES,
                         ids=[f"{c[0]}?{c[1]}" for c in CASES])
def test_an_unknown_filter_value_is_400_beside_the_field_on_every_list_page(
        client, owner, path, query, field, message):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.find("form", role="search") is not None  # the list page, not an error page
    beside = page.find(id=f"{field}-error")
    assert beside is not None and message in beside.get_text(), page.find(id="error-summary")
    control = page.find(id=field)  # an input or select, or a checkbox dropdown's summary
    assert control.get("aria-invalid") == "true" or "is-invalid" in control.get("class", [])
    assert message in page.find(id="error-summary").get_text()


@pytest.mark.parametrize("path", SORTS)
def test_an_unknown_sort_is_400_in_the_error_summary(client, owner, path):
    response = client.get(f"{path}?sort=nope")
    assert response.status_code == 400
    summary = BeautifulSoup(response.get_data(as_text=True), "html.parser").find(id="error-summary")
    assert "nope" in summary.get_text()


@pytest.mark.parametrize("path, query", [(c[0], c[1]) for c in CASES])
def test_a_refused_filter_never_exports_csv(client, owner, path, query):
    response = client.get(f"{path}?{query}&format=csv")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("url, status, body", [
    ("/api/0/organizations/acme/integrations/?features=nope", 400,
     {"features": ["Unknown feature: nope"]}),
    ("/api/0/organizations/acme/integrations/?integrationType=nope", 400,
     {"detail": "Invalid integration type"}),
    ("/api/0/organizations/acme/plugins/configs/?plugins=nope", 404,
     {"detail": "Plugin nope not found"}),
])
def test_the_api_keeps_its_documented_errors(client, owner, url, status, body):
    response = client.get(url)
    assert response.status_code == status
    assert response.json == body
