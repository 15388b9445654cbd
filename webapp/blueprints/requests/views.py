"""/settings/<org>/integration-requests/: ask for an installation, see your requests, and
(owners and managers) work through the open-request queue."""

from flask import flash, redirect, render_template, request, url_for

from webapp.blueprints.common import apply_field_errors, client_ip, org_view, safe_next
from webapp.blueprints.directory.links import entry_url
from webapp.blueprints.listing import Page
from webapp.blueprints.requests import bp
from webapp.blueprints.requests.forms import InstallRequestForm, QueueFilterForm, ResolveForm
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.services.errors import ValidationFailed
from webapp.services.install_requests import (
    PROVIDER_TYPE_LABELS,
    PROVIDER_TYPES,
    AlreadyRequested,
    AlreadyResolved,
    create_install_request,
    get_provider_name,
    humanize_age,
    list_my_requests,
    list_open_requests,
    resolve_request,
)
from webapp.services.permissions import REASONS, Capability


@bp.route("/settings/<org_slug>/integration-requests/", methods=["GET", "POST"])
@org_view(Capability.REQUEST_INSTALL)
def index(access):
    """Members: the request form and their requests; owners/managers also the open queue.

    POST stores a request (owners and managers are emailed), or tells admins and up that
    they can install it themselves (nothing stored).
    """
    org = access.organization
    status = 200
    can_install_notice = None
    if request.method == "POST":
        form = InstallRequestForm()
        if form.validate_on_submit():
            try:
                outcome = create_install_request(
                    access,
                    form.provider_type.data,
                    form.provider_slug.data,
                    form.message.data,
                    client_ip(),
                    base_url=request.url_root,
                )
            except ValidationFailed as exc:
                db.session.rollback()
                apply_field_errors(form, exc.field_errors)
                status = 400
            except AlreadyRequested as exc:
                form.provider_slug.errors = [*form.provider_slug.errors, exc.message]
                status = 400
            else:
                if outcome.user_can_install:
                    can_install_notice = outcome
                else:
                    text = (f"Your request for {outcome.provider_name} was sent. The owners and "
                            f"managers of {org.name} will see it in their queue.")
                    if not outcome.notified:
                        text += " (The notification email could not be sent.)"
                    flash(text, "success")
                    return redirect(url_for("requests.index", org_slug=org.slug))
        else:
            status = 400
    else:
        form = InstallRequestForm(formdata=None, data=_prefill())

    prefill_name = None
    if request.method == "GET" and form.provider_slug.data:
        prefill_name = get_provider_name(form.provider_type.data, form.provider_slug.data)

    queue = queue_form = None
    if access.can(Capability.RESOLVE_REQUESTS):
        queue_form, queue, queue_ok = _queue(org)
        if not queue_ok:
            status = 400
    return render_template(
        "requests/index.html",
        form=form,
        prefill_name=prefill_name,
        can_install_notice=can_install_notice,
        my_requests=list_my_requests(access.user, org),
        queue=queue,
        queue_form=queue_form,
        queue_reason=REASONS[Capability.RESOLVE_REQUESTS],
        type_labels=PROVIDER_TYPE_LABELS,
        age=humanize_age,
        page_url=lambda kind, slug, **query: entry_url(kind, org.slug, slug, **query),
        slug_suggestions=_slug_suggestions(),
    ), status


def _prefill() -> dict:
    """Values from a "Request installation" link (?provider_type=…&provider_slug=…)."""
    provider_type = request.args.get("provider_type", "")
    return {
        "provider_type": provider_type if provider_type in PROVIDER_TYPES else PROVIDER_TYPES[0],
        "provider_slug": request.args.get("provider_slug", "")[:64],
    }


def _queue(org):
    """The open-request queue under its GET filters: (form, Page, filters valid)."""
    form = QueueFilterForm.from_args()
    valid = form.validate()
    filters = {
        "q": form.q.data if not form.q.errors else None,
        "provider_type": form.kind.data or None,
        "sort": form.sort.data or None,
    }
    try:
        result = _list(org, filters, form)
    except ValidationFailed as exc:
        valid = False
        errors = {("kind" if k == "provider_type" else k): v for k, v in exc.field_errors.items()}
        apply_field_errors(form, errors)
        for name in exc.field_errors:
            filters[name] = None
        result = _list(org, filters, form)
    return form, Page(result.items, result.total, result.page, result.per_page), valid


def _list(org, filters, form):
    return list_open_requests(
        org, filters["q"], filters["provider_type"], filters["sort"],
        page=form.page_number, per_page=form.page_size,
    )


def _slug_suggestions() -> list[tuple[str, str]]:
    """Catalog slugs offered by the slug field's datalist (no query)."""
    items = [(p.key, f"{p.name} (integration)") for p in PROVIDERS.values()]
    items += [(p.slug, f"{p.title} (plugin)") for p in PLUGINS.values() if not p.is_deprecated]
    return items


def _resolve(access, request_id: int, status: str):
    form = ResolveForm()
    back = safe_next(url_for("requests.index", org_slug=access.organization.slug))
    if not form.validate_on_submit():
        flash("The form could not be submitted. Reload the page and try again.", "error")
        return redirect(back)
    try:
        resolved = resolve_request(access, request_id, status, client_ip())
    except AlreadyResolved as exc:
        flash(exc.message, "warning")
        return redirect(back)
    who = resolved.requester.display_name if resolved.requester else "a former member"
    verb = "Marked as done" if status == "done" else "Dismissed"
    flash(f"{verb}: the request for {resolved.provider_name} by {who}.", "success")
    return redirect(back)


@bp.route("/settings/<org_slug>/integration-requests/<int:request_id>/done/", methods=["POST"])
@org_view(Capability.RESOLVE_REQUESTS)
def mark_done(access, request_id: int):
    """Owners and managers: mark an open request done (audited)."""
    return _resolve(access, request_id, "done")


@bp.route("/settings/<org_slug>/integration-requests/<int:request_id>/dismiss/", methods=["POST"])
@org_view(Capability.RESOLVE_REQUESTS)
def dismiss(access, request_id: int):
    """Owners and managers: dismiss an open request (audited)."""
    return _resolve(access, request_id, "dismissed")
