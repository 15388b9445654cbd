"""/settings/<org>/directory/ (the integration directory) and /settings/<org>/sentry-apps/<slug>/."""

from flask import render_template, url_for

from webapp.blueprints.common import org_view
from webapp.blueprints.directory import bp
from webapp.blueprints.directory.forms import DirectoryFilterForm
from webapp.blueprints.directory.links import entry_url, next_step, request_url
from webapp.blueprints.listing import ListView, Page
from webapp.services.directory import SENTRY_APP, directory_entries, get_sentry_app, install_hint
from webapp.services.install_requests import open_request_for
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import get_policy


@bp.route("/settings/<org_slug>/directory/")
@org_view(Capability.VIEW)
def index(access: OrgAccess):
    """Members: every provider, plugin, sentry app and published doc integration, filtered.

    A refused filter value is 400 with its message beside the field; the list is still shown
    under the other filters."""
    form = DirectoryFilterForm.from_args()
    form.validate()
    result = directory_entries(access.organization, **form.filters(),
                               page=form.page_number, per_page=form.page_size)
    form.label_with_counts(result.category_counts, result.installed_counts)
    view = ListView(form, Page(result.entries, result.total, result.page, result.per_page))
    org_slug = access.organization.slug
    can_install = access.can(Capability.MANAGE_INTEGRATIONS)
    policy = get_policy(access.organization)

    def policy_refusal(entry):
        return policy.refusal(entry.kind, entry.slug, entry.name) if entry.requestable else None

    return render_template(
        "directory/index.html",
        view=view,
        can_install=can_install,
        policy_refusal=policy_refusal,
        entry_url=lambda entry: entry_url(entry.kind, org_slug, entry.slug),
        next_step=lambda entry: next_step(entry, org_slug, can_install,
                                             bool(policy_refusal(entry))),
        clear_href=url_for("directory.index", org_slug=org_slug),
    ), view.status


@bp.route("/settings/<org_slug>/sentry-apps/<slug>/")
@org_view(Capability.VIEW)
def sentry_app(access: OrgAccess, slug):
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
        install_hint=install_hint(SENTRY_APP, app.name),
        # The org's policy refuses it: a badge and the reason instead of "Request installation".
        blocked=get_policy(access.organization).refusal(SENTRY_APP, app.slug, app.name),
    )
