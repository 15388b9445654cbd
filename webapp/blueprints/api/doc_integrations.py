"""Doc integrations (SPEC §7.2, §8): Sentry's DocIntegrations / DocIntegrationDetails /
DocIntegrationAvatar endpoints on services.doc_integrations.

- GET  /api/0/doc-integrations/                      published ones (staff: all), paginated
- POST /api/0/doc-integrations/                      staff: create (201, always a draft)
- GET/PUT/DELETE /api/0/doc-integrations/<id_or_slug>/
- GET/PUT /api/0/doc-integrations/<id_or_slug>/avatar/   PUT {avatar_photo: base64, avatar_type: "upload"}

Drafts are 403 for non-staff (Sentry's behaviour; the HTML pages answer 404). Changes refuse
non-staff before reading the body (the service checks again). Validation messages come from
the service, so the form and the API say the same thing; the list's filters are parsed by the
page's own filter form.
"""

import base64
import binascii

from flask import jsonify

from webapp.blueprints.api import bp
from webapp.blueprints.api.common import (
    api_user,
    client_ip,
    if_match_version,
    json_body,
    paginate,
    refuse_nulls,
    with_etag,
)
from webapp.blueprints.api.serializers import serialize_doc_integration, serialize_doc_integrations
from webapp.blueprints.doc_integrations.forms import DocIntegrationFilterForm
from webapp.extensions import db
from webapp.models import DocIntegration
from webapp.services import doc_integrations as svc
from webapp.services.errors import ValidationFailed

# A PUT that leaves these out keeps them (Sentry leaves features alone when absent); an
# explicit [] clears them.
KEPT_WHEN_ABSENT = ("features", "resources")
# Left out means "keep" or "the default"; null is refused (the document's types exclude it).
NOT_NULLABLE = ("is_draft", "features", "resources")


def _load(id_or_slug: str) -> DocIntegration:
    return svc.get_doc_integration(api_user(), id_or_slug, for_api=True)


def _reloaded(doc: DocIntegration) -> DocIntegration:
    """The record again after a commit, its logo loaded without the image bytes."""
    return svc.get_doc_integration(api_user(), doc.id, for_api=True)


def _one(doc: DocIntegration, status: int = 200):
    features = svc.features_for([doc])[doc.id]
    response = jsonify(serialize_doc_integration(doc, features))
    response.status_code = status
    return with_etag(response, doc.version)


@bp.get("/doc-integrations/")
def doc_integrations():
    """Anyone signed in: published doc integrations (staff: drafts too), by name.

    Optional `query` (search in name, slug, author), `state` (staff: draft|published) and
    `sort` (name, popularity, date_added, each with `-` for descending).
    """
    form = DocIntegrationFilterForm.from_args()
    if not form.validate():
        raise ValidationFailed(form.errors)
    query = svc.doc_integrations_query(api_user(), form.filters())

    def page(offset: int, limit: int):
        rows = svc.fetch_doc_integrations(query, offset, limit + 1)
        shown = rows[:limit]
        features = svc.features_for(shown) if shown else {}
        return serialize_doc_integrations(shown, features), len(rows) > limit

    return paginate(page)


@bp.post("/doc-integrations/")
def doc_integration_create():
    """Staff: create a doc integration (always a draft); DOC_INTEGRATION_ADD."""
    svc.require_staff(api_user())
    body = json_body()
    refuse_nulls(body, *NOT_NULLABLE)
    doc = svc.create_doc_integration(api_user(), body, ip_address=client_ip())
    db.session.commit()
    return _one(_reloaded(doc), 201)


@bp.get("/doc-integrations/<id_or_slug>/")
def doc_integration_detail(id_or_slug: str):
    """Anyone signed in: one doc integration (a draft: staff only, else 403)."""
    return _one(_load(id_or_slug))


@bp.put("/doc-integrations/<id_or_slug>/")
def doc_integration_update(id_or_slug: str):
    """Staff: full update, all or nothing; DOC_INTEGRATION_EDIT.

    name, author, description and url are required; `is_draft` left out keeps the current
    state; `features` / `resources` left out are kept, `[]` clears them; publishing needs a
    logo (error under `avatar`). `If-Match: "<version>"` refuses a stale save with 409.
    """
    doc = _load(id_or_slug)
    svc.require_staff(api_user())
    body = json_body()
    refuse_nulls(body, *NOT_NULLABLE)
    current = svc.doc_integration_values(doc, svc.features_for([doc])[doc.id])
    data = {**{key: current[key] for key in KEPT_WHEN_ABSENT}, **body}
    svc.update_doc_integration(api_user(), doc, data, expected_version=if_match_version(),
                               ip_address=client_ip())
    db.session.commit()
    return _one(_reloaded(doc))


@bp.delete("/doc-integrations/<id_or_slug>/")
def doc_integration_delete(id_or_slug: str):
    """Staff: delete it with its features and logo; DOC_INTEGRATION_REMOVE. 204."""
    doc = _load(id_or_slug)
    svc.require_staff(api_user())
    svc.delete_doc_integration(api_user(), doc, ip_address=client_ip())
    db.session.commit()
    return "", 204


@bp.get("/doc-integrations/<id_or_slug>/avatar/")
def doc_integration_avatar(id_or_slug: str):
    """Anyone who may see it: the doc integration with its `avatar` (as Sentry answers)."""
    return _one(_load(id_or_slug))


def _decoded_photo(body: dict) -> bytes:
    """The avatar body's image bytes; field errors under avatar_type / avatar_photo."""
    errors: dict[str, list[str]] = {}
    avatar_type = body.get("avatar_type")
    if avatar_type != "upload":
        errors["avatar_type"] = [f'"{avatar_type}" is not a valid choice.' if avatar_type is not None
                                 else "This field is required."]
    photo = body.get("avatar_photo")
    data = b""
    if photo is None or photo == "":
        errors["avatar_photo"] = ["A logo is required."]
    elif not isinstance(photo, str):
        errors["avatar_photo"] = ["Send the image as a base64 string."]
    else:
        try:
            # Line breaks (as `base64` writes them) are fine; anything else not base64 is not.
            data = base64.b64decode("".join(photo.split()), validate=True)
        except (binascii.Error, ValueError):
            errors["avatar_photo"] = ["Invalid base64 data."]
    if errors:
        raise ValidationFailed(errors)
    return data


@bp.put("/doc-integrations/<id_or_slug>/avatar/")
def doc_integration_avatar_update(id_or_slug: str):
    """Staff: set the logo from base64 (same checks as the logo form); DOC_INTEGRATION_LOGO."""
    doc = _load(id_or_slug)
    svc.require_staff(api_user())
    data = _decoded_photo(json_body())
    try:
        svc.set_logo(api_user(), doc, data, ip_address=client_ip())
    except ValidationFailed as exc:  # the form's field is `logo`; here it is `avatar_photo`
        errors = {("avatar_photo" if k == "logo" else k): v for k, v in exc.field_errors.items()}
        raise ValidationFailed(errors) from None
    db.session.commit()
    return _one(_reloaded(doc))
