"""/settings/<org>/directory/ (the integration directory) and /settings/<org>/sentry-apps/<slug>/."""

from flask import render_template, url_for
from wtforms.fields.choices import SelectChoice

from webapp.blueprints.common import apply_field_errors, org_view
from webapp.blueprints.directory import bp
from webapp.blueprints.directory.forms import DirectoryFilterForm
from webapp.blueprints.directory.links import entry_url, request_url
from webapp.blueprints.listing import Page
from webapp.services.directory import SENTRY_APP, directory_entries, get_sentry_app
from webapp.services.errors import ValidationFailed
from webapp.services.install_requests import open_request_for
from webapp.services.permissions import Capability


@bp.route("/settings/<org_slug>/directory/")
@org_view(Capability.VIEW)
def index(access):
    """Members: every provider, plugin, sentry app and published doc integration, filtered."""
    form = DirectoryFilterForm.from_args()
    status = 200
    form.validate()
    filters = {
        "q": form.q.data if not form.q.errors else None,
        "category": form.category.data,
        "installed": form.installed.data,
    }
    try:
        result = _entries(access, filters, form)
    except ValidationFailed as exc:
        # Show the list without the refused filters, with the message beside each field.
        apply_field_errors(form, exc.field_errors)
        for name in exc.field_errors:
            filters[name] = None
        result = _entries(access, filters, form)
    if any(field.errors for field in form):
        status = 400
    form.label_with_counts(result.category_counts, result.installed_counts)
    for field in (form.category, form.installed):
        if field.errors and field.data:  # keep the refused value visible in the select
            field.choices = [*field.choices, SelectChoice(field.data, f"{field.data} (unknown)")]
    page = Page(result.entries, result.total, result.page, result.per_page)
    org_slug = access.organization.slug
    return render_template(
        "directory/index.html",
        form=form,
        page=page,
        can_install=access.can(Capability.MANAGE_INTEGRATIONS),
        entry_url=lambda entry: entry_url(entry.kind, org_slug, entry.slug),
        request_url=lambda entry: request_url(org_slug, entry.kind, entry.slug),
        clear_href=url_for("directory.index", org_slug=org_slug),
    ), status


def _entries(access, filters, form):
    return directory_entries(
        access.organization,
        q=filters["q"],
        category=filters["category"],
        installed=filters["installed"],
        page=form.page_number,
        per_page=form.page_size,
    )


@bp.route("/settings/<org_slug>/sentry-apps/<slug>/")
@org_view(Capability.VIEW)
def sentry_app(access, slug):
    """Members: one sentry app — overview, author, status, features, request installation."""
    app, features = get_sentry_app(access, slug)
    can_install = access.can(Capability.MANAGE_INTEGRATIONS)
    open_request = None if can_install else open_request_for(
        access.user, access.organization, SENTRY_APP, app.slug
    )
    return render_template(
        "directory/sentry_app.html",
        app=app,
        features=features,
        can_install=can_install,
        open_request=open_request,
        request_href=request_url(access.organization.slug, SENTRY_APP, app.slug),
    )
