"""/settings/<org>/integration-requests/: ask for an installation, see your requests, and
(owners and managers) work through the open-request queue."""

from flask import flash, redirect, render_template, request, url_for

from webapp.blueprints.common import client_ip, org_view, safe_next, save_form
from webapp.blueprints.directory.links import entry_url
from webapp.blueprints.listing import ListView, Page
from webapp.blueprints.requests import bp
from webapp.blueprints.requests.forms import InstallRequestForm, QueueFilterForm, ResolveForm
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.services.errors import ValidationFailed
from webapp.services.install_requests import (
    DEFAULT_QUEUE_SORT,
    PROVIDER_TYPE_LABELS,
    PROVIDER_TYPES,
    AlreadyRequested,
    AlreadyResolved,
    RequestOutcome,
    create_install_request,
    get_provider_name,
    humanize_age,
    list_my_requests,
    list_open_requests,
    resolve_request,
)
from webapp.services.permissions import REASONS, Capability, OrgAccess
from webapp.services.policy import ProviderBlocked


@bp.route("/settings/<org_slug>/integration-requests/", methods=["GET", "POST"])
@org_view(Capability.REQUEST_INSTALL)
def index(access: OrgAccess):
    """Members: the request form and their requests; owners/managers also the open queue.

    POST stores a request (owners and managers are emailed), or tells admins and up that
    they can install it themselves (nothing stored).
    """
    if request.method == "GET":
        return _render_index(access, InstallRequestForm(formdata=None, data=_prefill()))
    form = InstallRequestForm()
    return save_form(
        form,
        lambda: _create(access, form),
        render=lambda status: _render_index(access, form, status),
        done=lambda outcome: _sent(access, form, outcome),
    )


def _create(access: OrgAccess, form) -> RequestOutcome:
    """The service call of the request form; a second open request is an error beside the
    slug field (400), like the service's own field errors."""
    try:
        return create_install_request(
            access,
            form.provider_type.data,
            form.provider_slug.data,
            form.message.data,
            client_ip(),
            base_url=request.url_root,
        )
    except AlreadyRequested as exc:
        raise ValidationFailed({"provider_slug": [exc.message]}) from None


def _sent(access: OrgAccess, form, outcome: RequestOutcome):
    """save_form's `done`: the flash and the page to go back to, or (admins and up, nothing
    stored) the page saying they can install it themselves."""
    org = access.organization
    if outcome.user_can_install:
        return _render_index(access, form, can_install_notice=outcome)
    text = (f"Your request for {outcome.provider_name} was sent. The owners and "
            f"managers of {org.name} will see it in their queue.")
    if not outcome.notified:
        text += " (The notification email could not be sent.)"
    return text, url_for("requests.index", org_slug=org.slug)


def _render_index(access: OrgAccess, form, status: int = 200, can_install_notice=None):
    """The page: the request form, the user's requests and (owners and managers) the queue
    under its GET filters; invalid queue filters make it a 400."""
    org = access.organization
    prefill_name = None
    if request.method == "GET" and form.provider_slug.data:
        prefill_name = get_provider_name(form.provider_type.data, form.provider_slug.data)
    queue = None
    if access.can(Capability.RESOLVE_REQUESTS):
        queue = _queue(org)
        if queue.form.errors:
            status = 400
    return render_template(
        "requests/index.html",
        form=form,
        prefill_name=prefill_name,
        can_install_notice=can_install_notice,
        my_requests=list_my_requests(access.user, org),
        queue=queue,
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


def _queue(org) -> ListView:
    """The open-request queue under its GET filters (a refused filter is left out)."""
    form = QueueFilterForm.from_args()
    form.validate()
    filters = form.filters()
    result = list_open_requests(org, **filters, page=form.page_number, per_page=form.page_size)
    return ListView(form, Page(result.items, result.total, result.page, result.per_page),
                    sort=filters["sort"] or "", default_sort=DEFAULT_QUEUE_SORT)


def _slug_suggestions() -> list[tuple[str, str]]:
    """Catalog slugs offered by the slug field's datalist (no query)."""
    items = [(p.key, f"{p.name} (integration)") for p in PROVIDERS.values()]
    items += [(p.slug, f"{p.title} (plugin)") for p in PLUGINS.values() if not p.is_deprecated]
    return items


def _resolve(access: OrgAccess, request_id: int, status: str):
    """Mark done / Dismiss through save_form; a request someone resolved first is a warning."""
    form = ResolveForm()
    back = safe_next(url_for("requests.index", org_slug=access.organization.slug))

    def save():
        try:
            return resolve_request(access, request_id, status, client_ip())
        except (AlreadyResolved, ProviderBlocked) as exc:
            return exc

    def done(result) -> tuple[str, str, str]:
        if isinstance(result, AlreadyResolved | ProviderBlocked):
            return result.message, back, "warning"
        who = result.requester.display_name if result.requester else "a former member"
        verb = "Marked as done" if status == "done" else "Dismissed"
        return f"{verb}: the request for {result.provider_name} by {who}.", back, "success"

    def expired(_status: int):
        flash("The form could not be submitted. Reload the page and try again.", "error")
        return redirect(back)

    return save_form(form, save, render=expired, done=done)


@bp.route("/settings/<org_slug>/integration-requests/<int:request_id>/done/", methods=["POST"])
@org_view(Capability.RESOLVE_REQUESTS)
def mark_done(access: OrgAccess, request_id: int):
    """Owners and managers: mark an open request done (audited)."""
    return _resolve(access, request_id, "done")


@bp.route("/settings/<org_slug>/integration-requests/<int:request_id>/dismiss/", methods=["POST"])
@org_view(Capability.RESOLVE_REQUESTS)
def dismiss(access: OrgAccess, request_id: int):
    """Owners and managers: dismiss an open request (audited)."""
    return _resolve(access, request_id, "dismissed")
