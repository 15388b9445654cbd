"""Where the OpenAPI document and the app disagreed (issue 21, finding 4), one test each:
empty or malformed paging args, `null` for non-nullable fields, NUL text (a 400 every route
documents), the config body's examples (one per provider, each accepted by an installation of
its provider), the search box's control characters. test_api_schemathesis.py fuzzes the rest."""

import re

import pytest

from tests import factories
from tests.api.doc_helpers import make_doc
from webapp.blueprints.api.common import CURSOR_PATTERN, NOT_NULL, UNSTORABLE_TEXT
from webapp.blueprints.api.openapi import NOT_BLANK, build_openapi
from webapp.catalog.providers import PROVIDERS

LISTS = ["/api/0/organizations/acme/integrations/", "/api/0/organizations/acme/plugins/",
         "/api/0/doc-integrations/"]
DOCS = "/api/0/doc-integrations/"
REQUESTS = "/api/0/organizations/acme/integration-requests/"


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete"):
                yield method, path, op


def resolved_parameter(spec, name: str) -> dict:
    return spec["components"]["parameters"][name]["schema"]


# --------------------------------------------------------------------------- paging


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(("name", "value"), [
    ("cursor", ""), ("cursor", "0:123456789:0"), ("cursor", "0:0:0\n"), ("cursor", "٣:0:0"),
    ("per_page", ""),
])
def test_empty_or_malformed_paging_args_are_400(api_as, org, url, name, value):
    response = api_as("member").get(url, query_string={name: value})
    assert response.status_code == 400
    assert response.json == {"detail": f"Invalid {name} parameter."}


def test_the_documented_cursor_pattern_is_the_apps():
    spec = build_openapi()
    assert resolved_parameter(spec, "Cursor")["pattern"] == CURSOR_PATTERN
    assert re.search(CURSOR_PATTERN, "0:12345678:1")
    for refused in ("", "0:123456789:0"):
        assert not re.search(CURSOR_PATTERN, refused)
    assert "empty or malformed is a 400" in spec["info"]["description"].replace("\n", " ")


def test_the_largest_documented_offset_is_served(api_as, org):
    response = api_as("member").get(LISTS[0], query_string={"cursor": "0:99999999:0"})
    assert response.status_code == 200
    assert response.json == []


# --------------------------------------------------------------------------- null


def test_install_request_message_null_is_400(api_as, org):
    response = api_as("member").post(REQUESTS, json={"providerSlug": "slack",
                                                     "providerType": "first_party", "message": None})
    assert response.status_code == 400
    assert response.json == {"message": [NOT_NULL]}
    schema = build_openapi()["components"]["schemas"]["InstallRequestInput"]["properties"]["message"]
    assert schema["type"] == "string"


@pytest.mark.parametrize("field", ["is_draft", "features", "resources"])
def test_doc_integration_nulls_are_400(api_as, field):
    api = api_as("staff")
    doc = make_doc("Acme Tracker", logo=True)
    body = {"name": "Acme Tracker", "author": "Acme", "description": "d",
            "url": "https://acme.example.com", field: None}
    for response in (api.post(DOCS, json={**body, "name": "Other"}),
                     api.put(f"{DOCS}{doc.slug}/", json=body)):
        assert response.status_code == 400
        assert response.json == {field: [NOT_NULL]}


def test_doc_integration_features_must_be_a_list(api_as):
    response = api_as("staff").post(DOCS, json={"name": "Acme", "author": "Acme", "description": "d",
                                                "url": "https://acme.example.com", "features": {}})
    assert response.status_code == 400
    assert response.json == {"features": ["Expected a list of feature ids."]}


# --------------------------------------------------------------------------- NUL text


def test_every_operation_documents_400_and_the_nul_rule():
    spec = build_openapi()
    assert UNSTORABLE_TEXT in spec["info"]["description"].replace("\n", " ")
    assert "NUL" in spec["components"]["responses"]["BadRequest"]["description"]
    for method, path, op in operations(spec):
        assert "400" in op["responses"], (method, path)


@pytest.mark.parametrize("url", ["/api/0/organizations/acme/plugins/configs/",
                                 "/api/0/organizations/acme/integrations/1/",
                                 "/api/0/integration-features/", "/api/0/openapi.json"])
def test_nul_in_any_query_arg_is_a_documented_400(api_as, org, url):
    response = api_as("member").get(url, query_string={"plugins": "trello\x00"})
    assert response.status_code == 400
    assert response.json == {"plugins": [UNSTORABLE_TEXT]}


def test_nul_anywhere_in_a_body_is_400(api_as, org):
    body = {"providerSlug": "slack", "providerType": "first_party", "extra": {"deep": ["a\x00"]}}
    response = api_as("member").post(REQUESTS, json=body)
    assert response.status_code == 400
    assert response.json == {"extra": [UNSTORABLE_TEXT]}


# --------------------------------------------------------------------------- config examples


def config_examples() -> dict:
    op = build_openapi()["paths"]["/api/0/organizations/{org}/integrations/{integration_id}/"]["post"]
    return op["requestBody"]["content"]["application/json"]["examples"]


def test_config_examples_are_one_per_provider_with_config():
    examples = config_examples()
    assert set(examples) == {key for key, provider in PROVIDERS.items() if provider.config_schema}
    for key, example in examples.items():
        assert PROVIDERS[key].name in example["summary"]


@pytest.mark.parametrize("provider", sorted(key for key, p in PROVIDERS.items() if p.config_schema))
def test_each_config_example_is_accepted_by_its_provider(api_as, org, provider):
    oi = factories.install(org, factories.make_integration(provider, name=f"My {provider}"))
    response = api_as("owner").post(f"/api/0/organizations/acme/integrations/{oi.integration_id}/",
                                    json=config_examples()[provider]["value"])
    assert response.status_code == 200, response.json


def test_a_config_example_of_another_provider_is_a_documented_400(api_as, org):
    oi = factories.install(org, factories.make_integration("github_enterprise", name="GHE"))
    response = api_as("owner").post(f"/api/0/organizations/acme/integrations/{oi.integration_id}/",
                                    json=config_examples()["slack"]["value"])
    assert response.status_code == 400
    assert "default_channel" in response.json
    description = build_openapi()["components"]["schemas"]["ConfigInput"]["description"]
    assert "a field the provider does not have" in description


# --------------------------------------------------------------------------- search box


def test_search_box_control_characters_are_documented(api_as, org):
    spec = build_openapi()
    op = spec["paths"]["/api/0/organizations/{org}/integrations/"]["get"]
    q = next(p for p in op["parameters"] if p.get("name") == "q")["schema"]
    assert re.search(q["pattern"], "ops slack")
    assert not re.search(q["pattern"], "ops\x01")
    response = api_as("member").get("/api/0/organizations/acme/integrations/", query_string={"q": "ops\x01"})
    assert response.status_code == 400


def test_not_blank_is_what_the_app_strips():
    """Required text: the document's pattern finds a character exactly when str.strip() keeps one."""
    kept = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    assert [c for c in kept if bool(re.search(NOT_BLANK, c)) == c.isspace()] == []
    name = build_openapi()["components"]["schemas"]["DocIntegrationInput"]["properties"]["name"]
    assert name["pattern"] == NOT_BLANK and name["minLength"] == 1


def test_blank_required_text_is_400(api_as):
    response = api_as("staff").post(DOCS, json={"name": "Acme", "author": "\x1c \u3000",
                                                "description": "d", "url": "https://acme.example.com"})
    assert response.status_code == 400
    assert response.json == {"author": ["This field is required."]}


# --------------------------------------------------------------------------- empty filters


def documented_choices():
    """(url, name) of every query filter with choices, and the choices' schema."""
    urls = {"/api/0/organizations/{org}/integrations/": "/api/0/organizations/acme/integrations/",
            "/api/0/doc-integrations/": "/api/0/doc-integrations/",
            "/api/0/organizations/{org}/plugins/configs/": "/api/0/organizations/acme/plugins/configs/"}
    for _method, path, op in operations(build_openapi()):
        for parameter in op.get("parameters", []):
            schema = parameter.get("schema", {})
            choices = schema.get("items", schema)
            if parameter.get("in") == "query" and "enum" in choices:
                yield urls[path], parameter["name"], choices


def test_every_filter_choice_documents_empty():
    found = list(documented_choices())
    assert len(found) >= 10
    for url, name, choices in found:
        assert choices["enum"][0] == "", (url, name)


@pytest.mark.parametrize(("url", "name"), [(url, name) for url, name, _ in documented_choices()])
def test_a_filter_given_empty_counts_as_left_out(api_as, org, url, name):
    api = api_as("staff")
    assert api.get(url, query_string=[(name, "")]).json == api.get(url).json
