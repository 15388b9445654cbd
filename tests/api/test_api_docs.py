"""The OpenAPI document and docs/api.md stay true: every API route is described (and nothing
else), the document is served without credentials, and docs/api.md is rendered from it."""

import importlib.util
import re
from pathlib import Path

from webapp.blueprints.api.openapi import build_openapi

# docs/render_api_md.py is a documentation script beside the page it writes, not a package.
_spec = importlib.util.spec_from_file_location(
    "render_api_md", Path(__file__).resolve().parents[2] / "docs" / "render_api_md.py")
assert _spec and _spec.loader
render_api_md = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_api_md)
DOCS_PATH, main, render_markdown = render_api_md.DOCS_PATH, render_api_md.main, render_api_md.render_markdown


def api_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI-style path) of every rule of the api blueprint."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def documented(spec) -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")}


def test_every_route_is_documented_and_nothing_else(app):
    assert api_routes(app) == documented(build_openapi())


def test_document_is_served_without_credentials(client):
    response = client.get("/api/0/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"
    assert response.json == build_openapi()


def test_every_operation_documents_its_errors(app):
    spec = build_openapi()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete") or op.get("security") == []:
                continue
            assert "401" in op["responses"], (method, path)
            if "{org}" in path or "{id_or_slug}" in path or "{integration_id}" in path:
                assert "404" in op["responses"], (method, path)
            if "requestBody" in op:
                assert {"400", "413"} <= set(op["responses"]), (method, path)


def test_docs_api_md_is_up_to_date():
    assert DOCS_PATH.read_text(encoding="utf-8") == render_markdown(), (
        "docs/api.md is out of date: run python docs/render_api_md.py"
    )
    assert main(["--check"]) == 0


def test_docs_have_a_curl_example_per_operation():
    text = render_markdown()
    operations = len(documented(build_openapi()))
    assert text.count("```sh\ncurl") == operations
    assert text.count('-H "Authorization: Bearer $TOKEN"') >= operations - 1
