"""/settings/<org>/integration-requests/: ask for an installation, see your requests and
their outcome, and (owners and managers) work through the queue: mark done, or dismiss
after a confirmation with an optional reason; resolved requests under the state filter."""

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for

from webapp.blueprints.common import client_ip, org_view, safe_next, save_form
from webapp.blueprints.directory.links import entry_url
from webapp.blueprints.listing import ListView, Page
from webapp.blueprints.requests import bp
from webapp.blueprints.requests.forms import (
    STATE_LABELS,
    DismissForm,
    InstallRequestForm,
    QueueFilterForm,
    ResolveForm,
)
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.messages import requester_told
from webapp.services.errors import ValidationFailed
from webapp.services.install_requests import (
    DEFAULT_QUEUE_SORT,
    DEFAULT_QUEUE_STATE,
    PROVIDER_TYPE_LABELS,
    PROVIDER_TYPES,
    AlreadyRequested,
    RequestOutcome,
    create_install_request,
    get_provider_name,
    humanize_age,
    list_my_requests,
    list_requests,
)
from webapp.services.mail import mail_configured
from webapp.services.permissions import REASONS, Capability, OrgAccess
from webapp.services.policy import ProviderBlocked, get_policy
from webapp.services.request_resolution import (
    AlreadyResolved,
    ResolveOutcome,
    already_resolved_message,
    get_request,
    resolve_request,
)


@bp.route("/settings/<org_slug>/integration-requests/", methods=["GET", "POST"])
@org_view(Capability.REQUEST_INSTALL)
def index(access: OrgAccess):
    """Members: the request form and their requests; owners/managers also the queue.

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
    policy = get_policy(org)

    def policy_refusal(item):
        """An open request of a provider the policy blocks (since): why it cannot be marked
        done (the queue's row offers Dismiss only; the requester's row says so)."""
        if item.status != "open":
            return None
        return policy.refusal(item.provider_type, item.provider_slug, item.provider_name)
    return render_template(
        "requests/index.html",
        form=form,
        prefill_name=prefill_name,
        can_install_notice=can_install_notice,
        my_requests=list_my_requests(access.user, org),
        queue=queue,
        policy_refusal=policy_refusal,
        queue_reason=REASONS[Capability.RESOLVE_REQUESTS],
        type_labels=PROVIDER_TYPE_LABELS,
        age=humanize_age,
        page_url=lambda kind, slug, **query: entry_url(kind, org.slug, slug, **query),
        slug_suggestions=_slug_suggestions(),
        mail_configured=mail_configured(),
    ), status


def _prefill() -> dict:
    """Values from a "Request installation" link (?provider_type=…&provider_slug=…)."""
    provider_type = request.args.get("provider_type", "")
    return {
        "provider_type": provider_type if provider_type in PROVIDER_TYPES else PROVIDER_TYPES[0],
        "provider_slug": request.args.get("provider_slug", "")[:64],
    }


@dataclass
class QueueView(ListView):
    """The queue's ListView and the state it shows (open, done, dismissed or all)."""

    state: str = DEFAULT_QUEUE_STATE

    @property
    def state_label(self) -> str:
        """The section's heading: "Open requests", "Done requests", "All requests"."""
        return f"{STATE_LABELS[self.state]} requests"

    @property
    def noun(self) -> str:
        """What one row is, for the result count: "open request", "request" (all)."""
        return "request" if self.state == "all" else f"{self.state} request"


def _queue(org) -> QueueView:
    """The request queue under its GET filters (a refused filter is left out: a bad state
    shows the open queue)."""
    form = QueueFilterForm.from_args()
    form.validate()
    filters = form.filters()
    result = list_requests(org, **filters, page=form.page_number, per_page=form.page_size)
    form.label_with_counts(result.state_counts)
    return QueueView(form, Page(result.items, result.total, result.page, result.per_page),
                     sort=filters["sort"] or "", default_sort=DEFAULT_QUEUE_SORT,
                     state=filters["state"] or DEFAULT_QUEUE_STATE)


def _slug_suggestions() -> list[tuple[str, str]]:
    """Catalog slugs offered by the slug field's datalist (no query)."""
    items = [(p.key, f"{p.name} (integration)") for p in PROVIDERS.values()]
    items += [(p.slug, f"{p.title} (plugin)") for p in PLUGINS.values() if not p.is_deprecated]
    return items


def _queue_url(access: OrgAccess) -> str:
    """Where a resolve action returns: the same-site `next`, else the queue."""
    return safe_next(url_for("requests.index", org_slug=access.organization.slug))


def _resolved(back: str, result: ResolveOutcome | AlreadyResolved | ProviderBlocked
              ) -> tuple[str, str, str]:
    """save_form's `done` of Mark done and Dismiss: the flash, and the queue to go back to.
    A request someone resolved first, or one the provider policy blocks, is a warning."""
    if isinstance(result, AlreadyResolved | ProviderBlocked):
        return result.message, back, "warning"
    resolved = result.request
    who = resolved.requester.display_name if resolved.requester else "a former member"
    verb = "Marked as done" if resolved.status == "done" else "Dismissed"
    text = f"{verb}: the request for {resolved.provider_name} by {who}."
    told = requester_told(who, result.emailed, result.mail_configured)
    return f"{text} {told}" if told else text, back, "success"


def _resolve(access: OrgAccess, request_id: int, status: str, reason: str | None = None):
    """The service call of Mark done and Dismiss; a request resolved first is returned as
    the AlreadyResolved error, for `_resolved` to warn about."""
    try:
        return resolve_request(access, request_id, status, client_ip(), reason=reason,
                               base_url=request.url_root)
    except (AlreadyResolved, ProviderBlocked) as exc:
        return exc


@bp.route("/settings/<org_slug>/integration-requests/<int:request_id>/done/", methods=["POST"])
@org_view(Capability.RESOLVE_REQUESTS)
def mark_done(access: OrgAccess, request_id: int):
    """Owners and managers: mark an open request done (audited; the requester is emailed)."""
    back = _queue_url(access)

    def expired(_status: int):
        flash("The form could not be submitted. Reload the page and try again.", "error")
        return redirect(back)

    return save_form(ResolveForm(), lambda: _resolve(access, request_id, "done"),
                     render=expired, done=lambda result: _resolved(back, result))


@bp.route("/settings/<org_slug>/integration-requests/<int:request_id>/dismiss/",
          methods=["GET", "POST"])
@org_view(Capability.RESOLVE_REQUESTS)
def dismiss(access: OrgAccess, request_id: int):
    """Owners and managers: GET asks first (names the request, takes an optional reason;
    nothing changes); POST dismisses it (audited; the requester is emailed the reason)."""
    item = get_request(access, request_id)
    back = _queue_url(access)
    form = DismissForm(next=back, mail_configured=mail_configured())

    def render(status: int):
        return render_template(
            "requests/confirm_dismiss.html",
            item=item,
            form=form,
            cancel_href=back,
            already=None if item.status == "open" else already_resolved_message(item),
            type_labels=PROVIDER_TYPE_LABELS,
            age=humanize_age,
            page_url=lambda kind, slug: entry_url(kind, access.organization.slug, slug),
            mail_configured=mail_configured(),
        ), status

    if request.method == "GET":
        return render(200)
    return save_form(form, lambda: _resolve(access, request_id, "dismissed", form.reason.data),
                     render=render, done=lambda result: _resolved(back, result))
