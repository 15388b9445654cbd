"""Render docs/api.md from the OpenAPI document: `.venv/bin/python docs/render_api_md.py`.

A documentation tool, not part of the app: it lives beside the page it writes.

`--check` exits 1 when docs/api.md is out of date (tests/api/test_api_docs.py does the same).
The document itself is built without an app (webapp.blueprints.api.openapi.build_openapi).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from webapp.blueprints.api.openapi import build_openapi

DOCS_PATH = Path(__file__).resolve().parent / "api.md"
METHODS = ("get", "post", "put", "delete")
BASE_URL = "https://integrations.example.internal"

HEADER = """\
# JSON API

<!-- Generated from the OpenAPI document (webapp/blueprints/api/openapi.py) by
     `python docs/render_api_md.py`; do not edit by hand. -->

The app serves this description as OpenAPI 3.1 at `/api/0/openapi.json` (no credentials
needed), for code generators and tools such as Schemathesis.

"""

QUICK_START = f"""\
## Quick start with curl

```sh
# A token: the "API tokens" page (/account/tokens/), or on the server:
#   flask --app webapp create-token you@example.com --name "my script"
export TOKEN=iat_...
export BASE={BASE_URL}

# Installed integrations that can link commits, 50 per page
curl -H "Authorization: Bearer $TOKEN" \\
  "$BASE/api/0/organizations/acme/integrations/?features=commits&per_page=50"

# The next page: follow the Link header's rel="next" while its results="true"
curl -s -D - -o /dev/null -H "Authorization: Bearer $TOKEN" \\
  "$BASE/api/0/organizations/acme/integrations/?per_page=50" | grep -i '^link:'

# A write that must not overwrite someone else's change: send the ETag back as If-Match
# (installation 1 is a Slack one here; each provider has its own config fields)
curl -s -D - -H "Authorization: Bearer $TOKEN" "$BASE/api/0/organizations/acme/integrations/1/" | grep -i '^etag:'
curl -X POST -H "Authorization: Bearer $TOKEN" -H 'If-Match: "3"' -H "Content-Type: application/json" \\
  -d '{{"default_channel": "#alerts"}}' "$BASE/api/0/organizations/acme/integrations/1/"
```

"""


class Renderer:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.components = spec["components"]

    # -- helpers ------------------------------------------------------------------------------

    def resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in item:
            _, _, section, name = item["$ref"].split("/")
            item = self.components[section][name]
        return item

    @staticmethod
    def ref_name(item: dict[str, Any]) -> str:
        return item["$ref"].rsplit("/", 1)[1]

    def type_of(self, schema: dict[str, Any]) -> str:
        """A short, readable type: `string or null`, `array of [Plugin](#plugin)`, `` `a` | `b` ``."""
        if "$ref" in schema:
            name = self.ref_name(schema)
            return f"[{name}](#{name.lower()})"
        if "anyOf" in schema:
            return " or ".join(self.type_of(part) for part in schema["anyOf"])
        if "enum" in schema:
            return " | ".join(f"`{json.dumps(value)}`" if not isinstance(value, str) or not value
                              else f"`{value}`"
                                for value in schema["enum"])
        kind = schema.get("type")
        if kind == "array":
            items = schema.get("items")
            if schema.get("prefixItems") or (items and "prefixItems" in items):
                return "array of `[value, label]` pairs"
            return f"array of {self.type_of(items)}" if items else "array"
        if isinstance(kind, list):
            text = " or ".join(kind)
        elif kind:
            text = kind
        else:
            text = "any JSON"
        if schema.get("format"):
            text += f" ({schema['format']})"
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            text = f"object of {self.type_of(schema['additionalProperties'])}"
        return text

    @staticmethod
    def cell(text: str) -> str:
        return " ".join(str(text).split()).replace("|", "\\|") if text else ""

    @staticmethod
    def limits(schema: dict[str, Any]) -> str:
        parts = []
        if "minimum" in schema and "maximum" in schema:
            parts.append(f"{schema['minimum']}–{schema['maximum']}")
        if "maxLength" in schema:
            parts.append(f"at most {schema['maxLength']} characters")
        if "pattern" in schema:
            parts.append(f"pattern `{schema['pattern']}`")
        return "; ".join(parts)

    # -- operations ---------------------------------------------------------------------------

    def operations(self):
        for path, item in self.spec["paths"].items():
            shared = item.get("parameters", [])
            for method in METHODS:
                if method in item:
                    yield path, method, item[method], shared + item[method].get("parameters", [])

    def curl(self, path: str, method: str, op: dict[str, Any], params: list[dict]) -> str:
        url = path
        for param in (self.resolve(p) for p in params):
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", str(param.get("example", param["name"])))
        lines = ['curl -H "Authorization: Bearer $TOKEN"' if op.get("security") != [] else "curl"]
        if method != "get":
            lines.append(f"-X {method.upper()}")
        body = op.get("requestBody")
        if body:
            media = body["content"]["application/json"]
            examples = [example["value"] for example in media.get("examples", {}).values()]
            example = examples[0] if examples else self.resolve(media["schema"]).get("example", {})
            data = op.get("x-curl-data") or f"'{json.dumps(example)}'"
            lines.append('-H "Content-Type: application/json"')
            lines.append(f"-d {data}")
        lines.append(f'"$BASE{url}"')
        return " \\\n  ".join(lines)

    def operation(self, path: str, method: str, op: dict[str, Any], params: list[dict]) -> list[str]:
        out = [f"### `{method.upper()} {path}`", "", f"**{op['summary']}.** {op.get('description', '')}", ""]
        resolved = [self.resolve(p) for p in params]
        if resolved:
            out += ["| parameter | in | type | description |", "|---|---|---|---|"]
            for p in resolved:
                description = p.get("description", "")
                if "maxLength" in p["schema"]:
                    description += f" At most {p['schema']['maxLength']} characters."
                repeat = " Repeatable." if p["schema"].get("type") == "array" and "repeatable" not in description else ""
                out.append(f"| `{p['name']}` | {p['in']} | {self.cell(self.type_of(p['schema']))} | "
                           f"{self.cell(description + repeat)} |")
            out.append("")
        body = op.get("requestBody")
        if body:
            media = body["content"]["application/json"]
            out += [f"Body: {self.type_of(media['schema'])} (JSON).", ""]
            if media.get("examples"):
                out += ["| example | body |", "|---|---|"]
                out += [f"| {self.cell(example['summary'])} | `{json.dumps(example['value'])}` |"
                        for example in media["examples"].values()]
                out.append("")
        out += ["| status | meaning | body |", "|---|---|---|"]
        for status, response in op["responses"].items():
            response = self.resolve(response)
            content = response.get("content", {}).get("application/json")
            shape = self.type_of(content["schema"]) if content else "—"
            headers = ", ".join(f"`{name}` header" for name in response.get("headers", {}))
            if headers:
                shape += f"; {headers}"
            out.append(f"| {status} | {self.cell(response['description'])} | {self.cell(shape)} |")
        out += ["", "```sh", self.curl(path, method, op, params), "```", ""]
        return out

    # -- shapes -------------------------------------------------------------------------------

    def shape(self, name: str, schema: dict[str, Any]) -> list[str]:
        out = [f"### {name}", ""]
        if schema.get("description"):
            out += [schema["description"], ""]
        parts = schema.get("allOf")
        if parts:
            bases = [self.type_of(part) for part in parts if "$ref" in part]
            out += [f"Every field of {', '.join(bases)}, plus:", ""]
            schema = next(part for part in parts if "$ref" not in part)
        properties = schema.get("properties")
        if properties:
            required = set(schema.get("required", []))
            out += ["| field | type | always there | description |", "|---|---|---|---|"]
            for field, sub in properties.items():
                notes = self.limits(sub)
                description = sub.get("description", "") + (f" ({notes})" if notes else "")
                out.append(f"| `{field}` | {self.cell(self.type_of(sub))} | "
                           f"{'yes' if field in required else 'no'} | {self.cell(description)} |")
            out.append("")
        elif not parts:
            out += [f"Type: {self.type_of(schema)}.", ""]
        if "example" in schema:
            out += ["Example:", "", "```json", json.dumps(schema["example"], indent=2), "```", ""]
        return out

    # -- the page -----------------------------------------------------------------------------

    def render(self) -> str:
        out = [HEADER.rstrip("\n"), "", self.spec["info"]["description"].rstrip("\n"), "", QUICK_START.rstrip("\n"), ""]
        out += ["## Routes", "", "| method | path | what |", "|---|---|---|"]
        for path, method, op, _params in self.operations():
            anchor = f"{method} {path}".lower()
            anchor = "".join(c for c in anchor if c.isalnum() or c in " -_").replace(" ", "-")
            out.append(f"| {method.upper()} | [`{path}`](#{anchor}) | {self.cell(op['summary'])} |")
        out.append("")
        for tag in self.spec["tags"]:
            out += [f"## {tag['name']}", "", tag["description"], ""]
            for path, method, op, params in self.operations():
                if tag["name"] in op.get("tags", []):
                    out += self.operation(path, method, op, params)
        out += ["## Shapes", ""]
        for name, schema in self.components["schemas"].items():
            out += self.shape(name, schema)
        return "\n".join(out).rstrip("\n") + "\n"


def render_markdown(spec: dict[str, Any] | None = None) -> str:
    """docs/api.md's text for the given (default: the app's) OpenAPI document."""
    return Renderer(spec or build_openapi()).render()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render_markdown()
    if "--check" in args:
        current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else ""
        if current != text:
            print(f"{DOCS_PATH} is out of date: run python docs/render_api_md.py",
                  file=sys.stderr)
            return 1
        return 0
    DOCS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
