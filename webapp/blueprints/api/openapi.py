"""The OpenAPI 3.1 description of the JSON API, built in code and served at /api/0/openapi.json.

Enumerations and limits come from the catalogs and services (providers, features, plugins,
field lengths), so the document cannot drift from what the API accepts. docs/api.md is
rendered from it (`python docs/render_api_md.py`), and
tests/api/test_api_schemathesis.py runs Schemathesis against the app with it.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from flask import current_app

from webapp.blueprints.api import bp
from webapp.blueprints.api.common import CURSOR_PATTERN, MAX_PER_PAGE, NOT_NULL, UNSTORABLE_TEXT
from webapp.catalog.features import FEATURES, IntegrationFeatures
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import DOMAINS, FIELD_TYPES, PROVIDERS
from webapp.models import ObjectStatus
from webapp.services import doc_integrations as doc_svc
from webapp.services import install_requests as request_svc
from webapp.services import integrations as integration_svc
from webapp.services.ids import MAX_ID
from webapp.services.integrations import bulk as bulk_svc

JSON = "application/json"
API_VERSION = "0"
# A valid logo (a white 256×256 PNG, 110 bytes): the avatar example really uploads.
EXAMPLE_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAQAAAAEAAQAAAAB0CZXLAAAANUlEQVR42u3KoQEAAAgDoOn/P+sHZgNkanLrCIIgCII"
    "gCIIgCIIgCIIgCIIgCIIgCIIgvA4LAt8C/7gxw98AAAAASUVORK5CYII="
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


# Text that must hold something besides white space: a character str.strip() keeps. Spelled
# out, since `\S` means less in JSON Schema (ECMA-262) than in Python (U+001C–U+001F, U+0085).
NOT_BLANK = (r"[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029"
             r"\u202f\u205f\u3000]")
# No control characters (U+0000–U+001F, U+007F): the installed-integrations search box.
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u001f\u007f]*$"


def text(max_length: int | None = None, *, required: bool = False, **extra: Any) -> dict[str, Any]:
    """A string field; `required`: must not be empty or only white space."""
    schema: dict[str, Any] = {"type": "string", **extra}
    if required:
        schema.update(minLength=1, pattern=NOT_BLANK)
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def string_list(enum: list[str] | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string"}
    if enum:
        items["enum"] = enum
    return {"type": "array", "items": items}


DESCRIPTION_TEMPLATE = """\
A JSON API compatible with Sentry's integration endpoints (`/api/0/…`), on the same
service layer as the HTML pages: the same validation messages, permissions and audit log.

**Authentication.** Create a token on the *API tokens* page (`/account/tokens/`) or with
`flask --app webapp create-token EMAIL`, and send it as `Authorization: Bearer <token>`.
Expired or revoked tokens answer 401. A token's "last used" time is recorded at most once a
minute (a script polling the API does not write on every read). A browser session works too;
its POST, PUT and DELETE
requests must then carry the CSRF token in an `X-CSRFToken` header (else 403).

**Permissions** (SPEC §5). Organization routes take the org's slug or numeric id. Someone who
is not a member gets 404 (no one learns which orgs exist); a member lacking the capability
gets 403 `{"detail": "You do not have permission to perform this action."}`. Staff and
superusers act in every org and are the only ones who may change doc integrations.

**Errors.** `{"detail": "…"}` for 401, 403, 404, 409 and some 400s; field errors
`{"<field>": ["message", …]}` with 400. A body that is not a JSON object is a 400. `null` is
a 400 ("{NOT_NULL}") wherever a field's type does not include null.

**Text.** Text cannot contain NUL (U+0000) or a lone surrogate (invalid Unicode), anywhere
in a request: in a query parameter (any parameter, known or not) or in the body (keys and
values, at any depth) it is a 400 field error under that name ("{UNSTORABLE_TEXT}"); in the
path it is a 404. Every route may therefore answer 400. Leading and trailing white space of
body text is removed before it is checked and stored.

**Pagination.** List routes take `per_page` (1–100, default 100) and `cursor`, and answer
with a `Link` header like Sentry's:
`<…?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <…?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`.
Follow `rel="next"` while its `results` is `"true"`. All filtering happens before paginating,
so a page is always full unless it is the last. A `per_page` or `cursor` that is given but
empty or malformed is a 400 (`{"detail": "Invalid cursor parameter."}`); a filter given empty
counts as left out.

**No lost updates.** Single-record GETs send an `ETag` (the record's version). Send it back
as `If-Match` on POST/PUT: if the record changed meanwhile, the write is refused with 409
and `changes` lists what differs (`{"field": {"yours": …, "current": …}}`). Without
`If-Match` the write applies unconditionally (Sentry's behaviour).
"""


DESCRIPTION = DESCRIPTION_TEMPLATE.replace("{NOT_NULL}", NOT_NULL).replace(
    "{UNSTORABLE_TEXT}", UNSTORABLE_TEXT)


def _parameters() -> dict[str, Any]:
    return {
        "Org": {
            "name": "org", "in": "path", "required": True,
            "description": "The organization's slug or numeric id.",
            "schema": {"type": "string"}, "example": "acme",
        },
        "IntegrationId": {
            "name": "integration_id", "in": "path", "required": True,
            "description": "The Integration's id (the `id` of a list row).",
            "schema": {"type": "string"}, "example": "1",
        },
        "DocIntegrationRef": {
            "name": "id_or_slug", "in": "path", "required": True,
            "description": "The doc integration's numeric id or slug.",
            "schema": {"type": "string"}, "example": "acme-tracker",
        },
        "PerPage": {
            "name": "per_page", "in": "query", "required": False,
            "description": f"Rows per page, 1–{MAX_PER_PAGE} (default {MAX_PER_PAGE}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        },
        "Cursor": {
            "name": "cursor", "in": "query", "required": False,
            "description": "Where the page starts, `<value>:<offset>:<is_prev>` as in the `Link` "
                           "header (e.g. `0:100:0`).",
            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
        },
    }


def _headers() -> dict[str, Any]:
    return {
        "Link": {
            "description": 'Sentry-style pagination links: rel="previous" and rel="next", each '
                           'with results="true|false" and its cursor.',
            "schema": {"type": "string"},
        },
        "ETag": {
            "description": 'The record\'s version, e.g. `"3"`; send it back in `If-Match`.',
            "schema": {"type": "string"},
        },
    }


def _error_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _responses() -> dict[str, Any]:
    return {
        "BadRequest": _error_response(
            "Bad input: field errors `{field: [messages]}` or `{\"detail\": …}`; also text with "
            "NUL or a lone surrogate in any query parameter or body field.",
            {"anyOf": [ref("FieldErrors"), ref("Error")]},
        ),
        "Unauthorized": _error_response("No credentials, or an unknown, expired or revoked token.",
                                        ref("Error")),
        "Forbidden": _error_response(
            "Not allowed (a member lacking the capability; a draft for non-staff; a session's "
            "write without `X-CSRFToken`).", ref("Error")),
        "NotFound": _error_response("No such record, or an organization you are not a member of.",
                                    ref("Error")),
        "Conflict": _error_response(
            "The record changed since your `If-Match` version (with `changes`), or the action "
            "conflicts with its state.", {"anyOf": [ref("StaleEdit"), ref("Error")]}),
        "TooLarge": _error_response("The request body is larger than the server accepts.",
                                    ref("Error")),
    }


def _schemas() -> dict[str, Any]:
    statuses = [status.label for status in ObjectStatus]
    feature_ids = sorted(FEATURES)
    return {
        "Error": {
            "type": "object", "required": ["detail"],
            "properties": {"detail": {"type": "string"}},
        },
        "Message": {
            "type": "object", "required": ["detail"],
            "properties": {"detail": {"type": "string", "examples": ["User can install integration"]}},
        },
        "FieldErrors": {
            "type": "object", "minProperties": 1,
            "description": "Messages per field name (the body's or query's name).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "StaleEdit": {
            "type": "object", "required": ["detail", "changes"],
            "properties": {
                "detail": {"type": "string"},
                "changes": {
                    "type": "object",
                    "description": "Fields whose stored value differs from what you sent.",
                    "additionalProperties": {
                        "type": "object", "required": ["yours", "current"],
                        "properties": {"yours": {}, "current": {}},
                    },
                },
            },
        },
        "Provider": {
            "type": "object",
            "required": ["key", "slug", "name", "canAdd", "canDisable", "features", "aspects"],
            "properties": {
                "key": {"type": "string", "examples": ["slack"]},
                "slug": {"type": "string"},
                "name": {"type": "string", "examples": ["Slack"]},
                "canAdd": {"type": "boolean"},
                "canDisable": {"type": "boolean"},
                "features": {**string_list(), "description": "Feature values, sorted."},
                "aspects": {"type": "object", "description": "Provider-specific UI hints."},
            },
        },
        "ConfigField": {
            "type": "object", "required": ["name", "type", "label", "help", "value"],
            "properties": {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": list(FIELD_TYPES)},
                "label": {"type": "string"},
                "help": {"type": "string"},
                "choices": {
                    "type": "array", "description": "`[value, label]` pairs (choice fields).",
                    "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}],
                              "minItems": 2, "maxItems": 2},
                },
                "default": {"description": "The value used while none is stored."},
                "value": {"description": "The current value (stored, else the default)."},
            },
        },
        "OrganizationIntegration": {
            "type": "object",
            "required": ["id", "name", "icon", "domainName", "accountType", "scopes", "status",
                         "provider", "configData", "externalId", "organizationId",
                         "organizationIntegrationStatus", "gracePeriodEnd"],
            "properties": {
                "id": {"type": "string", "description": "The Integration's id."},
                "name": {"type": "string"},
                "icon": {"type": ["string", "null"]},
                "domainName": {"type": ["string", "null"]},
                "accountType": {"type": ["string", "null"]},
                "scopes": {"description": "From the integration's metadata (a list, or null)."},
                "status": {"type": "string", "enum": [*statuses, "unknown"],
                           "description": "The Integration's own status."},
                "provider": ref("Provider"),
                "configOrganization": {
                    "type": "array", "items": ref("ConfigField"),
                    "description": "The provider's config fields with their values; left out "
                                   "when `includeConfig=0`.",
                },
                "configData": {
                    "type": ["object", "null"],
                    "description": "The stored config (null when `includeConfig=0`).",
                },
                "externalId": {"type": "string"},
                "organizationId": {"type": "integer"},
                "organizationIntegrationStatus": {"type": "string", "enum": [*statuses, "unknown"]},
                "gracePeriodEnd": {"type": ["string", "null"], "format": "date-time"},
            },
        },
        "IntegrationFeature": {
            "type": "object", "required": ["featureId", "featureGate", "description"],
            "properties": {
                "featureId": {"type": "integer", "enum": feature_ids},
                "featureGate": {"type": "string", "examples": ["integrations-api"]},
                "description": {"type": "string",
                                "description": "Markdown (`**bold**`), with the integration's name."},
            },
        },
        "Avatar": {
            "type": "object", "required": ["avatarType", "avatarUuid", "avatarUrl"],
            "properties": {
                "avatarType": {"type": "string", "enum": ["upload"]},
                "avatarUuid": {"type": "string"},
                "avatarUrl": {"type": "string", "format": "uri"},
            },
        },
        "Resource": {
            "type": "object", "required": ["title", "url"],
            "properties": {"title": {"type": "string"}, "url": {"type": "string"}},
        },
        "DocIntegration": {
            "type": "object",
            "required": ["name", "slug", "author", "description", "url", "popularity", "isDraft",
                         "features", "avatar"],
            "properties": {
                "name": {"type": "string"},
                "slug": {"type": "string", "description": "Made from the name on create; never changes."},
                "author": {"type": "string"},
                "description": {"type": "string"},
                "url": {"type": "string"},
                "popularity": {"type": ["integer", "null"]},
                "isDraft": {"type": "boolean"},
                "features": {"type": "array", "items": ref("IntegrationFeature")},
                "avatar": nullable(ref("Avatar")),
                "resources": {"type": "array", "items": ref("Resource"), "minItems": 1,
                              "description": "Only present when there are any: a record saved "
                                             "without resources has no `resources` key (Sentry "
                                             "builds it from the stored metadata)."},
            },
        },
        "DocIntegrationInput": {
            "type": "object", "required": ["name", "author", "description", "url"],
            "properties": {
                "name": text(doc_svc.NAME_MAX, required=True,
                             description="Must contain a letter or digit; its slug must be free "
                                         "(create)."),
                "author": text(doc_svc.AUTHOR_MAX, required=True),
                "description": text(required=True),
                "url": text(doc_svc.URL_MAX, required=True,
                            description="An absolute http:// or https:// URL."),
                "popularity": {"type": ["integer", "null"], "minimum": doc_svc.POPULARITY_MIN,
                               "maximum": doc_svc.POPULARITY_MAX,
                               "description": f"Left out: {doc_svc.POPULARITY_DEFAULT} on create, "
                                              "kept on update."},
                "is_draft": {"type": "boolean",
                             "description": "Ignored on create (always a draft). Left out on update: "
                                            "kept. Publishing (false) needs a logo."},
                "features": {"type": "array", "items": {"type": "integer", "enum": feature_ids},
                             "description": "Feature ids; on update, left out keeps them and [] clears them."},
                "resources": {
                    "type": "array",
                    "description": "Links; on update, left out keeps them and [] clears them. A row "
                                   "whose title and url are both empty is dropped.",
                    "items": {
                        "type": "object", "required": ["title", "url"],
                        "properties": {
                            "title": text(doc_svc.RESOURCE_TITLE_MAX, required=True),
                            "url": text(doc_svc.RESOURCE_URL_MAX, required=True,
                                        description="An absolute http:// or https:// URL."),
                        },
                    },
                },
            },
            "example": {
                "name": "Acme Tracker", "author": "Acme Inc.", "description": "Tracks things.",
                "url": "https://acme.example.com", "popularity": 10, "features": [1, 2],
                "resources": [{"title": "Docs", "url": "https://docs.acme.example.com"}],
            },
        },
        "AvatarInput": {
            "type": "object", "required": ["avatar_photo", "avatar_type"],
            "properties": {
                "avatar_photo": {
                    "type": "string", "contentEncoding": "base64", "minLength": 1,
                    "description": "PNG, JPEG or GIF, 256–1024 px each side, at most 1 MB, base64-encoded.",
                },
                "avatar_type": {"type": "string", "enum": ["upload"]},
            },
            "example": {"avatar_photo": EXAMPLE_PNG, "avatar_type": "upload"},
        },
        "ConfigInput": {
            "type": "object", "additionalProperties": True,
            "description": "Config fields of the installation's provider (its `configOrganization` "
                           "lists them) with their new values; merged into the stored config. "
                           "The fields differ by provider: a field the provider does not have, or "
                           "a value of the wrong kind, is a 400 under the field's name. The "
                           "request body's examples are one per provider.",
        },
        "InstallRequestInput": {
            "type": "object", "required": ["providerSlug", "providerType"],
            "properties": {
                "providerSlug": text(64, required=True,
                                     description="A provider key, plugin slug or sentry app slug."),
                "providerType": {
                    "type": "string",
                    "description": f"One of {', '.join(request_svc.PROVIDER_TYPES)}. As in Sentry, "
                                   "it is not checked on its own: any other value names no "
                                   "provider (400 `{\"detail\": \"Provider <slug> not found\"}`).",
                    "examples": list(request_svc.PROVIDER_TYPES),
                },
                "message": text(request_svc.MESSAGE_MAX_LENGTH),
            },
            "example": {"providerSlug": "slack", "providerType": "first_party",
                        "message": "For the on-call alerts."},
        },
        "InstallRequest": {
            "type": "object",
            "required": ["id", "providerType", "providerSlug", "providerName", "message", "status",
                         "dateAdded"],
            "properties": {
                "id": {"type": "string"},
                "providerType": {"type": "string", "enum": list(request_svc.PROVIDER_TYPES)},
                "providerSlug": {"type": "string"},
                "providerName": {"type": "string"},
                "message": {"type": "string"},
                "status": {"type": "string", "enum": ["open", "done", "dismissed"]},
                "dateAdded": {"type": "string", "format": "date-time"},
            },
        },
        "Plugin": {
            "type": "object",
            "required": ["id", "slug", "name", "shortName", "type", "canDisable", "isTestable",
                         "hasConfiguration", "features", "featureDescriptions", "isDeprecated",
                         "deprecationDate", "isHidden", "author", "description", "resourceLinks"],
            "properties": {
                "id": {"type": "string"},
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "shortName": {"type": "string"},
                "type": {"type": "string"},
                "canDisable": {"type": "boolean"},
                "isTestable": {"type": "boolean"},
                "hasConfiguration": {"type": "boolean"},
                "features": string_list(),
                "featureDescriptions": {
                    "type": "array",
                    "items": {"type": "object", "required": ["description", "featureGate"],
                              "properties": {"description": {"type": "string"},
                                             "featureGate": {"type": "string"}}},
                },
                "isDeprecated": {"type": "boolean"},
                "deprecationDate": {"type": ["string", "null"], "format": "date"},
                "isHidden": {"type": "boolean"},
                "author": {"type": "object", "required": ["name", "url"],
                           "properties": {"name": {"type": "string"}, "url": {"type": "string"}}},
                "description": {"type": "string"},
                "resourceLinks": {"type": "array", "items": ref("Resource")},
            },
        },
        "ProjectListEntry": {
            "type": "object",
            "required": ["projectId", "projectSlug", "projectName", "enabled", "configured",
                         "projectPlatform"],
            "properties": {
                "projectId": {"type": "integer"},
                "projectSlug": {"type": "string"},
                "projectName": {"type": "string"},
                "enabled": {"type": "boolean"},
                "configured": {"type": "boolean"},
                "projectPlatform": {"type": ["string", "null"]},
            },
        },
        "PluginConfig": {
            "allOf": [
                ref("Plugin"),
                {"type": "object", "required": ["projectList"],
                 "properties": {"projectList": {
                     "type": "array", "items": ref("ProjectListEntry"),
                     "description": "Active projects where the plugin is configured, by slug."}}},
            ],
        },
        "OrganizationPlugin": {
            "allOf": [
                ref("Plugin"),
                {"type": "object", "required": ["enabled", "project"],
                 "properties": {
                     "enabled": {"type": "boolean"},
                     "project": {"type": "object", "required": ["id", "slug", "name"],
                                 "properties": {"id": {"type": "integer"}, "slug": {"type": "string"},
                                                "name": {"type": "string"}}},
                 }},
            ],
        },
        "BulkActionInput": {
            "type": "object", "required": ["action"], "additionalProperties": False,
            "oneOf": [{"required": ["ids"]}, {"required": ["filters"]}],
            "description": "Give `ids` or `filters`, not both.",
            "properties": {
                "action": {"type": "string", "enum": list(bulk_svc.STATUS_ACTIONS)},
                "ids": {"type": "array", "minItems": 1, "maxItems": bulk_svc.MAX_IDS,
                        "items": {"anyOf": [{"type": "string", "pattern": "^[0-9]{1,9}$"},
                                            {"type": "integer", "minimum": 0, "maximum": MAX_ID}]},
                        "description": "Integration ids (the `id` of a list row). One of "
                                       "another organization, unknown or not shown: 404, "
                                       "nothing changed."},
                "filters": {
                    "type": "object", "additionalProperties": False,
                    "description": "Every installation matching the list's filters (the list's "
                                   "query names and values; `provider_key` and "
                                   "`integration_type` work too). `{}`: every installation.",
                    "properties": {
                        "q": text(integration_svc.Q_MAX_LENGTH, pattern=NO_CONTROL_CHARACTERS),
                        "providerKey": string_list(list(PROVIDERS)),
                        "features": string_list([str(f.value) for f in IntegrationFeatures]),
                        "integrationType": {"type": "string", "enum": list(DOMAINS)},
                        "status": string_list([s.label for s in integration_svc.FILTER_STATUSES]),
                        "policy": {"type": "string", "enum": list(integration_svc.POLICY_FILTERS),
                                   "description": "`blocked`: installations of providers the "
                                                  "organization's policy blocks."},
                    },
                },
                "dryRun": {"type": "boolean",
                           "description": "true: answer what would happen; nothing changes."},
                "versions": {"type": "object", "propertyNames": {"pattern": "^[0-9]{1,9}$"},
                             "additionalProperties": {"type": "integer", "minimum": 1,
                                                      "maximum": MAX_ID},
                             "description": "The `versions` of a dry run by ids: a row whose "
                                            "version moved since is skipped."},
                "plannedAt": {"type": "string", "format": "date-time",
                              "description": "The `plannedAt` of a dry run: a row changed "
                                             "after it is skipped."},
            },
            "example": {"action": "disable", "filters": {"providerKey": ["slack"],
                                                         "status": ["active"]}},
        },
        "BulkResult": {
            "type": "object",
            "required": ["action", "dryRun", "selected", "changed", "skipped", "plannedAt",
                         "versions", "auditEntryId"],
            "properties": {
                "action": {"type": "string", "enum": list(bulk_svc.STATUS_ACTIONS)},
                "dryRun": {"type": "boolean"},
                "selected": {"type": "integer", "description": "Installations selected."},
                "changed": {"type": "integer",
                            "description": "Changed (a dry run: would change)."},
                "skipped": {
                    "type": "array", "description": "Skipped rows per reason, most first.",
                    "items": {"type": "object", "required": ["reason", "count"],
                              "properties": {"reason": {"type": "string"},
                                             "count": {"type": "integer"}}},
                },
                "plannedAt": {"type": ["string", "null"], "format": "date-time"},
                "versions": {"type": "object", "additionalProperties": {"type": "integer"}},
                "auditEntryId": {"type": ["integer", "null"],
                                 "description": "The bulk action's audit entry (null: a dry run)."},
            },
        },
        "FeatureCatalogEntry": {
            "type": "object", "required": ["featureId", "featureGate", "description"],
            "properties": {
                "featureId": {"type": "integer", "enum": feature_ids},
                "featureGate": {"type": "string"},
                "description": {"type": "string"},
            },
        },
    }


def _ok(description: str, schema: dict[str, Any], *, list_: bool = False, etag: bool = False,
        status: str = "200") -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    headers = {}
    if list_:
        headers["Link"] = {"$ref": "#/components/headers/Link"}
    if etag:
        headers["ETag"] = {"$ref": "#/components/headers/ETag"}
    if headers:
        response["headers"] = headers
    return {status: response}


def _errors(*codes: int) -> dict[str, Any]:
    """The error responses of a route; 400 always (NUL in any query parameter is one)."""
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
             409: "Conflict", 413: "TooLarge"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"}
            for code in sorted({400, *codes})}


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    """A filter in the query string. A choice given empty counts as left out (the HTML filter
    forms send empty choices; the API parses with the same forms), so "" is in its enum."""
    choices = schema["items"] if schema.get("type") == "array" else schema
    if "enum" in choices:
        choices["enum"] = ["", *choices["enum"]]
        description += " Empty: as if left out."
    parameter = {"name": name, "in": "query", "required": False, "description": description,
                 "schema": schema, **extra}
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    return parameter


def _body(schema_name: str, description: str = "",
          examples: dict[str, Any] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": ref(schema_name)}
    if examples:
        media["examples"] = examples
    return {"required": True, "description": description, "content": {JSON: media}}


def _config_examples() -> dict[str, Any]:
    """A valid config body for each provider: every field of its schema with its default."""
    def value(field) -> Any:
        if isinstance(field.default, tuple):
            return list(field.default)
        if field.default is None:
            return {"boolean": False, "multichoice": []}.get(field.type, "")
        return field.default

    return {key: {"summary": f"A {provider.name} installation",
                  "value": {field.name: value(field) for field in provider.config_schema}}
            for key, provider in PROVIDERS.items() if provider.config_schema}


def _paths() -> dict[str, Any]:
    org_integration_filters = [
        _query("providerKey", string_list(list(PROVIDERS)),
               "Only these providers (repeatable). `provider_key` works too."),
        _query("provider_key", string_list(list(PROVIDERS)), "Same as `providerKey`."),
        _query("features", string_list([str(f.value) for f in IntegrationFeatures]),
               "Only providers having ANY of these features (repeatable). The enum-style name "
               "(`issue_basic`) works too; an unknown one is a 400 under `features`."),
        _query("integrationType", {"type": "string", "enum": list(DOMAINS)},
               'Only providers of this domain; an unknown one is 400 {"detail": "Invalid integration type"}.'),
        _query("status", string_list([s.label for s in integration_svc.FILTER_STATUSES]),
               "Only these org-level statuses (repeatable)."),
        _query("includeConfig", {"type": "string", "enum": ["1", "0", "true", "false"]},
               "`0` leaves `configOrganization` out and makes `configData` null (cheaper)."),
        _query("q", text(integration_svc.Q_MAX_LENGTH, pattern=NO_CONTROL_CHARACTERS),
               "Substring of the name or external id, case-insensitive; no control characters."),
        _query("sort", {"type": "string", "enum": list(integration_svc.SORTS)},
               "Order; default `name` (then id)."),
        _param("PerPage"), _param("Cursor"),
    ]
    oi_path = [_param("Org"), _param("IntegrationId")]
    doc_path = [_param("DocIntegrationRef")]
    return {
        "/api/0/organizations/{org}/integrations/": {
            "parameters": [_param("Org")],
            "get": {
                "operationId": "listOrganizationIntegrations",
                "tags": ["Installed integrations"],
                "summary": "List the organization's installed integrations",
                "description": "Members. Active, disabled and pending-deletion installations, "
                               "filtered in the database before paginating, ordered by name.",
                "parameters": org_integration_filters,
                "responses": {
                    **_ok("A page of installations.",
                          {"type": "array", "items": ref("OrganizationIntegration")}, list_=True),
                    **_errors(400, 401, 403, 404),
                },
            },
        },
        "/api/0/organizations/{org}/integrations/{integration_id}/": {
            "parameters": oi_path,
            "get": {
                "operationId": "getOrganizationIntegration",
                "tags": ["Installed integrations"],
                "summary": "Get one installation",
                "description": "Members. With its config.",
                "responses": {**_ok("The installation.", ref("OrganizationIntegration"), etag=True),
                              **_errors(401, 403, 404)},
            },
            "post": {
                "operationId": "updateOrganizationIntegrationConfig",
                "tags": ["Installed integrations"],
                "summary": "Change the installation's config",
                "description": "Owners, managers and admins. Merges the given schema fields into "
                               "the stored config (other stored keys are kept); an unknown field "
                               "is a 400 under its name. Audited as INTEGRATION_EDIT. Optional "
                               "`If-Match`.",
                "requestBody": _body("ConfigInput", examples=_config_examples()),
                "responses": {**_ok("The installation after the change.", ref("OrganizationIntegration"),
                                    etag=True),
                              **_errors(400, 401, 403, 404, 409, 413)},
            },
            "delete": {
                "operationId": "deleteOrganizationIntegration",
                "tags": ["Installed integrations"],
                "summary": "Uninstall",
                "description": "Owners, managers and admins. Marks it pending deletion (audited "
                               "as INTEGRATION_REMOVE); `flask --app webapp run-deletions` "
                               "finishes it. 204 also when it is already pending deletion.",
                "responses": {"204": {"description": "Uninstalling."}, **_errors(401, 403, 404, 409)},
            },
        },
        "/api/0/organizations/{org}/integrations/bulk/": {
            "parameters": [_param("Org")],
            "post": {
                "operationId": "bulkOrganizationIntegrations",
                "tags": ["Installed integrations"],
                "summary": "Disable, enable or uninstall many installations",
                "description": "Owners, managers and admins. The chosen `ids`, or every "
                               "installation matching `filters`, in one transaction; what the "
                               "rules refuse is skipped and counted with its reason (e.g. "
                               "\"Already disabled.\", a provider that cannot be disabled, one "
                               "the organization's policy blocks). Each changed installation "
                               "is audited as on its own page (INTEGRATION_DISABLE, …_ENABLE, "
                               "INTEGRATION_REMOVE), the action as INTEGRATION_BULK_<ACTION>. "
                               "`dryRun` answers the plan; send its `plannedAt` (and `versions`) "
                               "back to skip rows changed since. An id of another "
                               "organization is 404 and nothing changes.",
                "requestBody": _body("BulkActionInput"),
                "responses": {**_ok("What changed (or would), what was skipped and why.",
                                    ref("BulkResult")),
                              **_errors(400, 401, 403, 404, 413)},
            },
        },
        "/api/0/doc-integrations/": {
            "get": {
                "operationId": "listDocIntegrations",
                "tags": ["Doc integrations"],
                "summary": "List doc integrations",
                "description": "Anyone signed in: the published ones; staff: drafts too.",
                "parameters": [
                    _query("query", {"type": "string"},
                           "Search in name, slug and author (case-insensitive)."),
                    _query("state", {"type": "string", "enum": list(doc_svc.STATES)},
                           "Staff only: drafts or published ones."),
                    _query("sort", {"type": "string", "enum": list(doc_svc.SORTS)},
                           "Order; default `name`."),
                    _param("PerPage"), _param("Cursor"),
                ],
                "responses": {
                    **_ok("A page of doc integrations.", {"type": "array", "items": ref("DocIntegration")},
                          list_=True),
                    **_errors(400, 401),
                },
            },
            "post": {
                "operationId": "createDocIntegration",
                "tags": ["Doc integrations"],
                "summary": "Create a doc integration",
                "description": "Staff. Always a draft. Audited as DOC_INTEGRATION_ADD.",
                "requestBody": _body("DocIntegrationInput"),
                "responses": {**_ok("Created.", ref("DocIntegration"), etag=True, status="201"),
                              **_errors(400, 401, 403, 413)},
            },
        },
        "/api/0/doc-integrations/{id_or_slug}/": {
            "parameters": doc_path,
            "get": {
                "operationId": "getDocIntegration",
                "tags": ["Doc integrations"],
                "summary": "Get a doc integration",
                "description": "Anyone signed in; a draft is 403 for non-staff.",
                "responses": {**_ok("The doc integration.", ref("DocIntegration"), etag=True),
                              **_errors(401, 403, 404)},
            },
            "put": {
                "operationId": "updateDocIntegration",
                "tags": ["Doc integrations"],
                "summary": "Update a doc integration",
                "description": "Staff. A full update (name, author, description and url are "
                               "required), all or nothing: `is_draft` left out keeps the state; "
                               "`features`/`resources` left out are kept and `[]` clears them; "
                               "publishing without a logo is refused under `avatar` and changes "
                               "nothing. Audited as DOC_INTEGRATION_EDIT. Optional `If-Match`.",
                "requestBody": _body("DocIntegrationInput"),
                "responses": {**_ok("The doc integration after the change.", ref("DocIntegration"),
                                    etag=True),
                              **_errors(400, 401, 403, 404, 409, 413)},
            },
            "delete": {
                "operationId": "deleteDocIntegration",
                "tags": ["Doc integrations"],
                "summary": "Delete a doc integration",
                "description": "Staff. With its features and logo, in one transaction. Audited "
                               "as DOC_INTEGRATION_REMOVE.",
                "responses": {"204": {"description": "Deleted."}, **_errors(401, 403, 404)},
            },
        },
        "/api/0/doc-integrations/{id_or_slug}/avatar/": {
            "parameters": doc_path,
            "get": {
                "operationId": "getDocIntegrationAvatar",
                "tags": ["Doc integrations"],
                "summary": "Get a doc integration with its avatar",
                "description": "As Sentry, the whole doc integration; `avatar` is null without a logo.",
                "responses": {**_ok("The doc integration.", ref("DocIntegration"), etag=True),
                              **_errors(401, 403, 404)},
            },
            "put": {
                "operationId": "updateDocIntegrationAvatar",
                "tags": ["Doc integrations"],
                "summary": "Upload the logo",
                "description": "Staff. The same checks as the logo form (decoded with Pillow); "
                               "errors under `avatar_photo` (\"Invalid base64 data.\", \"Invalid "
                               "image format.\", \"Invalid image dimensions.\", \"Image too large\"). "
                               "A new logo gets a new uuid. Audited as DOC_INTEGRATION_LOGO.",
                "requestBody": _body("AvatarInput"),
                "x-curl-data": '"{\\"avatar_type\\": \\"upload\\", \\"avatar_photo\\": \\"$(base64 -w0 logo.png)\\"}"',
                "responses": {**_ok("The doc integration with its new avatar.", ref("DocIntegration"),
                                    etag=True),
                              **_errors(400, 401, 403, 404, 413)},
            },
        },
        "/api/0/integration-features/": {
            "get": {
                "operationId": "listIntegrationFeatures",
                "tags": ["Catalog"],
                "summary": "List the features doc integrations can declare",
                "responses": {**_ok("Every feature.", {"type": "array", "items": ref("FeatureCatalogEntry")}),
                              **_errors(401)},
            },
        },
        "/api/0/organizations/{org}/integration-requests/": {
            "parameters": [_param("Org")],
            "post": {
                "operationId": "requestIntegrationInstall",
                "tags": ["Install requests"],
                "summary": "Ask the owners and managers to install something",
                "description": "Members. Stored (unlike Sentry), emailed to owners and managers, "
                               "audited as INTEGRATION_REQUEST. Admins and up get 200 "
                               "`{\"detail\": \"User can install integration\"}` whatever the "
                               "body names, and nothing is stored: as in Sentry, the permission "
                               "check comes before the lookup. An unknown provider, or a "
                               "`providerType` other than first_party, plugin or sentry_app, is 400 "
                               "`{\"detail\": \"Provider <slug> not found\"}`; a second open "
                               "request for the same provider is 409.",
                "requestBody": _body("InstallRequestInput"),
                "responses": {
                    **_ok("Stored.", ref("InstallRequest"), status="201"),
                    **_ok("You can install it yourself; nothing stored.", ref("Message")),
                    **_errors(400, 401, 403, 404, 409, 413),
                },
            },
        },
        "/api/0/organizations/{org}/plugins/configs/": {
            "parameters": [_param("Org")],
            "get": {
                "operationId": "listPluginConfigs",
                "tags": ["Plugins"],
                "summary": "Plugins with the projects where they are configured",
                "description": "Members. Without `plugins`: every plugin with project configuration, "
                               "deprecated ones skipped, by title. An unknown slug is 404 "
                               "`{\"detail\": \"Plugin <slug> not found\"}`.",
                "parameters": [_query("plugins", string_list(list(PLUGINS)),
                                      "Only these plugins (repeatable).")],
                "responses": {**_ok("The plugins.", {"type": "array", "items": ref("PluginConfig")}),
                              **_errors(401, 403, 404)},
            },
        },
        "/api/0/organizations/{org}/plugins/": {
            "parameters": [_param("Org")],
            "get": {
                "operationId": "listOrganizationPlugins",
                "tags": ["Plugins"],
                "summary": "Plugins per project",
                "description": "Members. `plugins=_all`: every plugin of the catalog (no project). "
                               "Otherwise one entry per plugin and active project that has the "
                               "plugin's `enabled` option (on or off), by plugin title then project "
                               "slug; `plugins` narrows it and unknown slugs are ignored.",
                "parameters": [_query("plugins", string_list(),
                                      "`_all`, or plugin slugs (repeatable)."),
                               _param("PerPage"), _param("Cursor")],
                "responses": {
                    **_ok("A page of plugins.",
                          {"type": "array", "items": {"anyOf": [ref("OrganizationPlugin"), ref("Plugin")]}},
                          list_=True),
                    **_errors(400, 401, 403, 404),
                },
            },
        },
        "/api/0/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "tags": ["Catalog"],
                "summary": "This document",
                "description": "No credentials needed.",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                      "content": {JSON: {"schema": {"type": "object"}}}},
                              **_errors()},
            },
        },
    }


@functools.cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Integrations Admin API", "version": API_VERSION, "description": DESCRIPTION},
        "tags": [
            {"name": "Installed integrations", "description": "An organization's installations (SPEC §7.1, §7.5)."},
            {"name": "Doc integrations", "description": "Documentation-only integrations (SPEC §7.2)."},
            {"name": "Install requests", "description": "Ask for an installation (SPEC §7.4)."},
            {"name": "Plugins", "description": "Legacy per-project plugins (SPEC §7.3)."},
            {"name": "Catalog", "description": "Catalog data and this description."},
        ],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A token from /account/tokens/ or `create-token`."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session",
                                  "description": "A browser session; writes need X-CSRFToken."},
            },
            "parameters": _parameters(),
            "headers": _headers(),
            "responses": _responses(),
            "schemas": _schemas(),
        },
    }


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh copy; callers may change it)."""
    return copy.deepcopy(_document())


@bp.get("/openapi.json")
def openapi_document():
    """Anyone: the OpenAPI 3.1 description of this API (keys sorted: a stable document)."""
    return current_app.response_class(json.dumps(_document(), sort_keys=True),
                                      mimetype="application/json")
