"""/doc-integrations/…: the list (search, state filter, sort, pages, CSV), detail with history,
create/edit (resource rows added and removed without JavaScript), logo upload and serving,
delete with confirmation. Anyone logged in sees published records; staff see drafts and make
every change.
"""

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.blueprints.common import (
    client_ip,
    csv_response,
    is_safe_next,
    safe_next,
    save_form,
    staff_only,
)
from webapp.blueprints.doc_integrations import bp
from webapp.blueprints.doc_integrations.forms import (
    ConfirmForm,
    DocIntegrationEditForm,
    DocIntegrationForm,
    DocIntegrationListForm,
    LogoForm,
)
from webapp.blueprints.listing import ListView, Page
from webapp.catalog.features import FEATURES, feature_description_text, render_feature_description
from webapp.extensions import db
from webapp.models import User
from webapp.services import doc_integrations as service
from webapp.services.audit import list_target_history, record_export
from webapp.services.errors import DomainError
from webapp.services.ids import parse_id
from webapp.services.saved_views import list_saved_views
from webapp.web import render_error

LOGO_MAX_AGE = 365 * 24 * 3600
STAFF_ONLY = "Only staff can change doc integrations."


def _load(slug: str):
    """The record for this user: 404 for a missing one, and for a draft unless staff."""
    return service.get_doc_integration(current_user, slug)


def _list_url() -> str:
    return url_for("doc_integrations.index")


def _detail_url(doc) -> str:
    return url_for("doc_integrations.detail", slug=doc.slug)


def _template_helpers() -> dict:
    return {
        "FEATURES": FEATURES,
        "render_feature_description": render_feature_description,
        "feature_description_text": feature_description_text,
        "is_staff": service.is_staff(current_user),
    }


# --------------------------------------------------------------------------- list


@bp.route("/doc-integrations/")
@login_required
def index():
    """Anyone logged in: published doc integrations (staff: drafts too), filtered, sorted,
    paged; `format=csv` exports them all. Refused filters give a 400 page that still lists."""
    form = DocIntegrationListForm.from_args()
    valid = form.validate()
    filters = form.filters()
    if request.args.get("format") == "csv" and valid:
        return _export(filters)
    result = service.list_doc_integrations(current_user, filters, form.page_number, form.page_size)
    if service.is_staff(current_user):
        form.set_state_counts(result.state_counts)
    view = ListView(form, Page(result.items, result.total, result.page, result.per_page),
                    sort=filters.sort, default_sort=service.DEFAULT_SORT,
                    saved_views=list_saved_views(current_user, None, "doc_integrations"))
    return render_template(
        "doc_integrations/index.html",
        view=view,
        features=result.features,
        list_url=request.full_path.rstrip("?"),
        **_template_helpers(),
    ), view.status


def _export(filters: service.DocIntegrationFilters):
    """CSV of every matching row (same query as the page), audit-logged."""
    record_export(actor=current_user, organization=None, list_name="doc_integrations",
                  filters=filters.seen_by(current_user).as_dict(), ip_address=client_ip())
    user_id = current_user.id
    db.session.commit()
    header = ["name", "slug", "author", "url", "popularity", "state", "features", "resources",
              "logo", "date_added", "date_updated"]

    def rows():
        # Streaming runs after the request's session is gone: reload the user in this one.
        user = db.session.get(User, user_id)
        for doc, has_logo, feature_ids in service.iter_doc_integrations_export(user, filters):
            yield [
                doc.name, doc.slug, doc.author, doc.url,
                "" if doc.popularity is None else doc.popularity,
                "draft" if doc.is_draft else "published",
                " ".join(FEATURES[f].gate for f in feature_ids if f in FEATURES),
                " ".join(r.get("url", "") for r in (doc.resources or [])),
                "yes" if has_logo else "no",
                doc.date_added.isoformat(), doc.date_updated.isoformat(),
            ]

    return csv_response("doc-integrations.csv", header, rows())


# --------------------------------------------------------------------------- detail


@bp.route("/doc-integrations/<slug>/")
@login_required
def detail(slug: str):
    """Anyone logged in (drafts: staff): everything about one doc integration; staff see its history."""
    doc = _load(slug)
    features = service.features_for([doc])[doc.id]
    staff = service.is_staff(current_user)
    history = list_target_history(service.TARGET_TYPE, doc.id) if staff else []
    back = safe_next(_list_url())
    return render_template("doc_integrations/detail.html", doc=doc, features=features,
                           history=history, back=back, **_template_helpers())


# --------------------------------------------------------------------------- create / edit


def _rebuilt(form_class, form, *, remove: int | None = None, add: bool = False):
    """The same form with a resource row added or removed (no validation, no errors)."""
    data = dict(form.data)
    rows = [{"title": row.get("title") or "", "url": row.get("url") or ""} for row in data["resources"]]
    if remove is not None and 0 <= remove < len(rows):
        del rows[remove]
    if add or not rows:
        rows.append({"title": "", "url": ""})
    data["resources"] = rows
    for key in ("csrf_token", "add_resource"):
        data.pop(key, None)
    return form_class(formdata=None, data=data)


def _row_action(form_class, form):
    """Handle "Add resource row" / "Remove": the rebuilt form and the row to focus, or None."""
    removed = form.removed_row()
    if removed is not None:
        rebuilt = _rebuilt(form_class, form, remove=removed)
        return rebuilt, min(removed, len(rebuilt.resources) - 1)
    if form.add_resource.data:
        rebuilt = _rebuilt(form_class, form, add=True)
        return rebuilt, len(rebuilt.resources) - 1
    return None


def _render_form(form, doc=None, status=200, focus_row=None):
    return render_template(
        "doc_integrations/form.html",
        form=form,
        doc=doc,
        focus_row=focus_row,
        cancel_url=safe_next(_detail_url(doc) if doc else _list_url()),
        **_template_helpers(),
    ), status


@bp.route("/doc-integrations/new/", methods=["GET", "POST"])
@staff_only(STAFF_ONLY)
def new():
    """Staff: create a doc integration (always a draft); DOC_INTEGRATION_ADD."""
    form = DocIntegrationForm()
    if request.method == "GET":
        return _render_form(form)
    action = _row_action(DocIntegrationForm, form)
    if action is not None:
        return _render_form(action[0], focus_row=action[1])
    return save_form(
        form,
        lambda: service.create_doc_integration(current_user, form.values(), ip_address=client_ip()),
        render=lambda status: _render_form(form, status=status),
        done=lambda doc: (f"Doc integration “{doc.name}” created as a draft. Upload a logo to "
                          "be able to publish it.", _detail_url(doc)),
    )


def _edit_data(doc) -> dict:
    features = service.features_for([doc])[doc.id]
    return {
        "name": doc.name,
        "author": doc.author,
        "description": doc.description,
        "url": doc.url,
        "popularity": "" if doc.popularity is None else str(doc.popularity),
        "is_draft": doc.is_draft,
        "features": [str(row.feature) for row in features],
        "resources": list(doc.resources or []) or [{"title": "", "url": ""}],
        "version": str(doc.version),
    }


@bp.route("/doc-integrations/<slug>/edit/", methods=["GET", "POST"])
@staff_only(STAFF_ONLY, load=_load)
def edit(doc):
    """Staff: change fields, features and draft state, all or nothing; DOC_INTEGRATION_EDIT."""
    if request.method == "GET":
        return _render_form(DocIntegrationEditForm(data=_edit_data(doc)), doc)
    form = DocIntegrationEditForm()
    action = _row_action(DocIntegrationEditForm, form)
    if action is not None:
        return _render_form(action[0], doc, focus_row=action[1])
    version = parse_id((form.version.data or "").strip())
    if version is None:
        form.form_errors.append("The form has no valid version number. Reload the page and make "
                                "your changes again.")
    slug = doc.slug
    return save_form(
        form,
        lambda: service.update_doc_integration(current_user, doc, form.values(),
                                               expected_version=version, ip_address=client_ip()),
        render=lambda status: _render_form(form, doc, status=status),
        done=lambda _: (f"Doc integration “{doc.name}” saved{'' if doc.is_draft else ' and published'}.",
                        safe_next(_detail_url(doc))),
        on_stale=lambda exc: (render_template(
            "doc_integrations/conflict.html", doc=_load(slug), changes=exc.changes,
            message=exc.message, **_template_helpers()), 409),
    )


# --------------------------------------------------------------------------- logo


def _render_logo(doc, form, status: int = 200, cancel_url: str | None = None):
    return render_template("doc_integrations/logo.html", doc=doc, form=form,
                           cancel_url=cancel_url or safe_next(_detail_url(doc)),
                           **_template_helpers()), status


@bp.route("/doc-integrations/<slug>/logo/", methods=["GET", "POST"])
@staff_only(STAFF_ONLY, load=_load)
def logo(doc):
    """Staff: upload or replace the logo (new uuid each time); DOC_INTEGRATION_LOGO."""
    form = LogoForm()
    if request.method == "GET":
        return _render_logo(doc, form)
    return save_form(
        form,
        lambda: service.set_logo(current_user, doc, form.logo.data.read(), ip_address=client_ip()),
        render=lambda status: _render_logo(doc, form, status),
        done=lambda _: (f"Logo of “{doc.name}” saved.", safe_next(_detail_url(doc))),
    )


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(exc: RequestEntityTooLarge):
    """A body over MAX_CONTENT_LENGTH is refused before it is read (413). On the logo form
    that is an image far over the logo limit: the form again, the size beside the field."""
    if request.endpoint != "doc_integrations.logo" or request.method != "POST":
        return render_error(413, exc.description)
    try:
        return _logo_too_large(**(request.view_args or {}))
    except DomainError as error:  # a hidden record (404) or not staff (403), as on any page
        return render_error(error.status, error.message)


@staff_only(STAFF_ONLY, load=_load)
def _logo_too_large(doc):
    """The logo form with the refusal of an upload whose body was not read: its size is the
    request's Content-Length, and the form's `next` is only read from the query string."""
    form = LogoForm(formdata=None)
    form.logo.errors = [service.logo_too_large(
        request.content_length, at_least=current_app.config["MAX_CONTENT_LENGTH"]).explained]
    next_url = request.args.get("next")
    return _render_logo(doc, form, 400,
                        cancel_url=next_url if is_safe_next(next_url) else _detail_url(doc))


@bp.route("/doc-integration-logo/<uuid>/")
def logo_image(uuid: str):
    """A logo's bytes; cacheable for a year (a replaced logo gets a new uuid). Drafts: staff only."""
    user = current_user if current_user.is_authenticated else None
    image = service.get_logo(user, uuid)
    response = Response(image.data, mimetype=image.content_type)
    response.set_etag(image.uuid)
    response.cache_control.max_age = LOGO_MAX_AGE
    response.cache_control.immutable = True
    if image.doc_integration.is_draft:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.headers["Content-Disposition"] = "inline"
    return response.make_conditional(request)


# --------------------------------------------------------------------------- delete


@bp.route("/doc-integrations/<slug>/delete/", methods=["GET", "POST"])
@staff_only(STAFF_ONLY, load=_load)
def delete(doc):
    """Staff: GET lists what goes (feature rows, logo); POST deletes it all; DOC_INTEGRATION_REMOVE."""
    form = ConfirmForm()
    name, detail_url = doc.name, _detail_url(doc)

    def render(status: int = 200):
        return render_template("doc_integrations/delete.html", doc=doc, form=form,
                               impact=service.delete_impact(doc),
                               cancel_url=safe_next(detail_url), **_template_helpers()), status

    def deleted(result: dict) -> tuple[str, str]:
        parts = [f"{result['features']} feature row{'s' if result['features'] != 1 else ''}"]
        if result["logo"]:
            parts.append("its logo")
        target = safe_next(_list_url())
        if target.startswith(detail_url):
            target = _list_url()  # the record's own pages are gone
        return f"Doc integration “{name}” deleted, with {' and '.join(parts)}.", target

    if request.method == "GET":
        return render()
    return save_form(
        form,
        lambda: service.delete_doc_integration(current_user, doc, ip_address=client_ip()),
        render=render,
        done=deleted,
    )
