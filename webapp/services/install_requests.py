"""Install requests (SPEC §7.4): members ask owners and managers to install something.

Unlike Sentry, which only sends an email, a request is stored, shown in the queue of the
org's owners and managers, and marked done or dismissed there (services/request_resolution.py).
The pages and the JSON API call these functions with plain values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from webapp import messages
from webapp.catalog.plugins import get_plugin
from webapp.catalog.providers import get_provider
from webapp.extensions import db
from webapp.models import IntegrationRequest, OrganizationMember, SentryApp, User, utcnow
from webapp.services.actors import OrgRef, UserLike
from webapp.services.audit import record_audit
from webapp.services.directory import FIRST_PARTY, PLUGIN, SENTRY_APP, page_path
from webapp.services.errors import Conflict, ValidationFailed
from webapp.services.mail import send_email
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import get_policy
from webapp.services.text import clean_note

log = logging.getLogger(__name__)

PROVIDER_TYPES: tuple[str, ...] = (FIRST_PARTY, PLUGIN, SENTRY_APP)
PROVIDER_TYPE_LABELS: dict[str, str] = {
    FIRST_PARTY: "Integration",
    PLUGIN: "Plugin",
    SENTRY_APP: "Sentry app",
}
MESSAGE_MAX_LENGTH = 1000
RESOLVED_STATUSES: tuple[str, ...] = ("done", "dismissed")
STATUS_LABELS: dict[str, str] = {status: messages.status_words(status)
                                 for status in ("open", *RESOLVED_STATUSES)}
# The queue's `state` filter: one status, or every request ("all").
QUEUE_STATES: tuple[str, ...] = ("open", *RESOLVED_STATUSES, "all")
DEFAULT_QUEUE_STATE = "open"
_UNRESOLVED_LAST = IntegrationRequest.date_resolved.is_(None)  # False sorts first everywhere
QUEUE_SORTS: dict[str, tuple] = {
    "date_added": (IntegrationRequest.date_added, IntegrationRequest.id),
    "-date_added": (IntegrationRequest.date_added.desc(), IntegrationRequest.id.desc()),
    "provider": (func.lower(IntegrationRequest.provider_name), IntegrationRequest.id),
    "-provider": (func.lower(IntegrationRequest.provider_name).desc(), IntegrationRequest.id.desc()),
    "date_resolved": (_UNRESOLVED_LAST, IntegrationRequest.date_resolved, IntegrationRequest.id),
    "-date_resolved": (_UNRESOLVED_LAST, IntegrationRequest.date_resolved.desc(),
                       IntegrationRequest.id.desc()),
}
DEFAULT_QUEUE_SORT = "-date_added"
NOTIFY_ROLES: tuple[str, ...] = ("owner", "manager")
AUDIT_TARGET = "integration_request"


class AlreadyRequested(Conflict):
    """The same user already has an open request for this provider (page: 400, API: 409)."""

    def __init__(self, provider_name: str):
        super().__init__(f"You already requested {provider_name}.")
        self.provider_name = provider_name


@dataclass(frozen=True)
class RequestOutcome:
    """What `create_install_request` did.

    `request` is the stored request, or None when the user can install the provider
    themselves (admins and up: nothing is stored, `user_can_install` is True, and
    `provider_name` is None when nothing is known by that type and slug).
    `notified` is False when the notification email could not be sent (it was logged).
    """

    provider_type: str
    provider_slug: str
    provider_name: str | None
    request: IntegrationRequest | None
    user_can_install: bool = False
    notified: bool = False


def get_provider_name(provider_type: str, provider_slug: str) -> str | None:
    """SPEC §7.4: the name of what a request names, or None when nothing is known by it.

    first_party → the provider's name (catalog); plugin → the plugin's title (catalog);
    sentry_app → the SentryApp's name (by slug, one query); anything else → None.
    """
    if not isinstance(provider_slug, str) or not provider_slug:
        return None
    if provider_type == FIRST_PARTY:
        provider = get_provider(provider_slug)
        return provider.name if provider else None
    if provider_type == PLUGIN:
        plugin = get_plugin(provider_slug)
        return plugin.title if plugin else None
    if provider_type == SENTRY_APP:
        return db.session.scalar(select(SentryApp.name).where(SentryApp.slug == provider_slug))
    return None


def provider_type_error(provider_type: str | None) -> str | None:
    """The request form's check of its type select. The service itself, like Sentry, takes
    any type and answers one it does not know as an unknown provider."""
    if provider_type not in PROVIDER_TYPES:
        return f"Provider type must be one of: {', '.join(PROVIDER_TYPES)}."
    return None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _validate(provider_type, provider_slug, message) -> tuple[str, str, str, str]:
    """Clean the submitted values; ValidationFailed with every field's problems. A type
    other than first_party, plugin or sentry_app names nothing: "Provider <slug> not found"
    (Sentry's answer, under provider_slug)."""
    errors: dict[str, list[str]] = {}
    provider_type, provider_slug = _text(provider_type), _text(provider_slug)
    message, message_error = clean_note(message, "Message", MESSAGE_MAX_LENGTH)
    if message_error:
        errors["message"] = [message_error]
    name = None
    if not provider_slug:
        errors["provider_slug"] = ["Provider slug is required."]
    else:
        name = get_provider_name(provider_type, provider_slug)
        if name is None:
            errors["provider_slug"] = [f"Provider {provider_slug} not found"]
    if errors or name is None:  # no errors: the provider was found
        raise ValidationFailed(errors)
    return provider_type, provider_slug, name, message


def create_install_request(
    actor_access: OrgAccess,
    provider_type: str,
    provider_slug: str,
    message: str | None,
    ip_address: str | None,
    base_url: str | None = None,
) -> RequestOutcome:
    """Anyone in the org: ask the owners and managers to install a provider.

    Answers "you can install it yourself" to users who can install, whatever they name
    (nothing stored; as Sentry, the permission check comes before the lookup) unless the
    org's provider policy blocks a provider it names; validates (ValidationFailed; a
    blocked provider too, with the policy's reason), refuses a second open request by the same user for the same
    provider (AlreadyRequested), else stores the request with an INTEGRATION_REQUEST audit
    entry, COMMITS, and only then emails the owners and managers (`base_url`, e.g.
    "https://admin.example/", makes the email's links absolute).
    """
    actor_access.require(Capability.REQUEST_INSTALL)
    policy = get_policy(actor_access.organization)
    if actor_access.can(Capability.MANAGE_INTEGRATIONS):
        provider_type, provider_slug = _text(provider_type), _text(provider_slug)
        known_name = get_provider_name(provider_type, provider_slug)
        blocked = known_name and policy.refusal(provider_type, provider_slug, known_name)
        if blocked:  # the org's provider policy (issue 23) holds for installers too
            raise ValidationFailed({"provider_slug": [blocked]})
        return RequestOutcome(provider_type, provider_slug, known_name, None,
                              user_can_install=True)
    provider_type, provider_slug, name, message = _validate(provider_type, provider_slug, message)
    blocked = policy.refusal(provider_type, provider_slug, name)
    if blocked:  # the org's provider policy (issue 23): refused with its reason
        raise ValidationFailed({"provider_slug": [blocked]})

    org = actor_access.organization
    user = actor_access.user
    # Serialize concurrent submissions by the same member (PostgreSQL row lock; SQLite
    # serializes writers anyway), so the duplicate check below cannot be raced.
    db.session.execute(
        select(OrganizationMember.id)
        .where(OrganizationMember.organization_id == org.id, OrganizationMember.user_id == user.id)
        .with_for_update()
    )
    if open_request_for(user, org, provider_type, provider_slug) is not None:
        db.session.rollback()
        raise AlreadyRequested(name)

    request = IntegrationRequest(
        organization_id=org.id,
        requester_id=user.id,
        provider_type=provider_type,
        provider_slug=provider_slug,
        provider_name=name,
        message=message,
        status="open",
        date_added=utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    record_audit(
        event="INTEGRATION_REQUEST",
        actor=user,
        organization=org,
        target_type=AUDIT_TARGET,
        target_id=request.id,
        target_object=name,
        data={
            "provider_type": provider_type,
            "provider_slug": provider_slug,
            "provider_name": name,
            "message": message,
        },
        ip_address=ip_address,
    )
    db.session.commit()
    notified = notify_install_request(request, base_url)
    return RequestOutcome(provider_type, provider_slug, name, request, notified=notified)


def notification_recipients(org: OrgRef) -> list[User]:
    """Active owners and managers of the org, by email (one query)."""
    return list(
        db.session.scalars(
            select(User)
            .join(OrganizationMember, OrganizationMember.user_id == User.id)
            .where(
                OrganizationMember.organization_id == org.id,
                OrganizationMember.role.in_(NOTIFY_ROLES),
                User.is_active.is_(True),
            )
            .order_by(func.lower(User.email))
        )
    )


def request_link(request: IntegrationRequest, base_url: str | None) -> str:
    """The provider/plugin/sentry-app page of a request, tagged ?referrer=request_email."""
    path = page_path(request.provider_type, request.organization.slug, request.provider_slug)
    return absolute_url(base_url, path) + "?referrer=request_email"


def absolute_url(base_url: str | None, path: str) -> str:
    """`path` on `base_url` (e.g. "https://admin.example/"); the path alone without one."""
    return (base_url or "").rstrip("/") + path


def queue_link(org: OrgRef, base_url: str | None) -> str:
    """The org's install-request page (the queue; a member's own requests)."""
    return absolute_url(base_url, f"/settings/{quote(org.slug, safe='')}/integration-requests/")


def indented(text: str) -> list[str]:
    """A member's text quoted in a plain-text email: each line indented by four spaces."""
    return ["    " + line for line in text.splitlines()]


def notification_email(request: IntegrationRequest, base_url: str | None) -> tuple[str, str]:
    """(subject, plain-text body) of the email owners and managers get."""
    org = request.organization
    requester = request.requester
    who = f"{requester.display_name} <{requester.email}>" if requester else "A former member"
    subject = f"Your team member requested the {request.provider_name} integration"
    kind = PROVIDER_TYPE_LABELS[request.provider_type].lower()
    lines = [
        "Hello,",
        "",
        f"{who} asked for the {request.provider_name} {kind} to be installed "
        f"in {org.name}.",
        "",
    ]
    if request.message:
        lines += ["Their message:", "", *indented(request.message)]
    else:
        lines.append("They did not add a message.")
    lines += [
        "",
        f"Open {request.provider_name}: {request_link(request, base_url)}",
        f"Review the open requests: {queue_link(org, base_url)}",
        "",
        f"You get this email because you are an owner or manager of {org.name}.",
    ]
    return subject, "\n".join(lines) + "\n"


def notify_install_request(request: IntegrationRequest, base_url: str | None) -> bool:
    """Email the org's owners and managers about a stored request; never raises.

    Returns False when the email could not be sent (the error is logged); the request is
    already committed by then, so nothing is lost.
    """
    try:
        recipients = [user.email for user in notification_recipients(request.organization)]
        if not recipients:
            log.warning("Install request %s: the org has no owner or manager to notify",
                        request.id)
            return False
        subject, body = notification_email(request, base_url)
        return send_email(recipients, subject, body)
    except Exception:  # the request is committed; a notification bug must not surface
        log.exception("Could not notify about install request %s", request.id)
        return False


# -- listing ---------------------------------------------------------------------------------


@dataclass
class QueuePage:
    """One page of the queue, its total, and how many requests each state has under the
    other filters (`q`, type): {"open": 3, "done": 5, "dismissed": 1, "all": 9}."""

    items: list[IntegrationRequest]
    total: int
    page: int
    per_page: int
    state_counts: dict[str, int] = field(default_factory=dict)


def queue_type_error(provider_type: str | None) -> str | None:
    """The message for a queue type filter that is not a provider type (empty: none)."""
    if provider_type and provider_type not in PROVIDER_TYPES:
        return messages.unknown("type", provider_type, PROVIDER_TYPES)
    return None


def queue_state_error(state: str | None) -> str | None:
    """The message for a queue state filter that is not a state (empty: none)."""
    if state and state not in QUEUE_STATES:
        return messages.unknown("state", state, QUEUE_STATES)
    return None


def queue_sort_error(sort: str | None) -> str | None:
    """The message for a sort the queue does not offer (empty: none)."""
    if sort and sort not in QUEUE_SORTS:
        return messages.unknown("sort", sort, QUEUE_SORTS)
    return None


def validate_queue_filters(provider_type: str | None, state: str | None, sort: str | None) -> None:
    """ValidationFailed for an unknown type, state or sort. The queue's filter form checks
    the same rules (queue_type_error, queue_state_error, queue_sort_error) when it parses the
    URL; this guards the other callers."""
    checks = (("provider_type", queue_type_error(provider_type)),
              ("state", queue_state_error(state)),
              ("sort", queue_sort_error(sort)))
    errors = {name: [message] for name, message in checks if message}
    if errors:
        raise ValidationFailed(errors)


def list_requests(
    org: OrgRef,
    q: str | None = None,
    provider_type: str | None = None,
    state: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> QueuePage:
    """Owners and managers (the caller checks RESOLVE_REQUESTS): the org's requests in one
    state (QUEUE_STATES; default "open", the queue to work through; "all" for every one).

    `q` matches the provider name or slug, the requester's name or email, the message or
    the resolution's reason (case-insensitive); `provider_type` narrows to one type; `sort`
    is one of QUEUE_SORTS (default newest first). Two queries: the page with its requesters, resolvers and total,
    and the count of each state under the other filters.
    """
    validate_queue_filters(provider_type, state, sort)
    state = state or DEFAULT_QUEUE_STATE
    page = max(1, int(page))
    per_page = max(1, int(per_page))
    conditions = [IntegrationRequest.organization_id == org.id]
    if provider_type:
        conditions.append(IntegrationRequest.provider_type == provider_type)
    q = (q or "").strip().lower()
    if q:
        conditions.append(
            or_(
                *(
                    func.lower(col).contains(q, autoescape=True)
                    for col in (
                        IntegrationRequest.provider_name,
                        IntegrationRequest.provider_slug,
                        IntegrationRequest.message,
                        IntegrationRequest.resolution_reason,
                        User.name,
                        User.email,
                    )
                )
            )
        )

    def matching(query):
        if q:
            query = query.outerjoin(User, User.id == IntegrationRequest.requester_id)
        return query.where(*conditions)

    counts: dict[str, int] = {
        status: count for status, count in db.session.execute(
            matching(select(IntegrationRequest.status, func.count()))
            .group_by(IntegrationRequest.status)
        )
    }
    state_counts = {status: counts.get(status, 0) for status in STATUS_LABELS}
    state_counts["all"] = sum(state_counts.values())
    if state != "all":
        conditions.append(IntegrationRequest.status == state)
    rows = db.session.execute(
        matching(select(IntegrationRequest))
        .options(joinedload(IntegrationRequest.requester), joinedload(IntegrationRequest.resolved_by))
        .order_by(*QUEUE_SORTS[sort or DEFAULT_QUEUE_SORT])
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars().all()
    return QueuePage(list(rows), state_counts[state], page, per_page, state_counts)


def list_my_requests(user: UserLike, org: OrgRef, limit: int = 50) -> list[IntegrationRequest]:
    """Anyone in the org: their own requests there, newest first (at most `limit`), with
    who resolved them."""
    return list(
        db.session.scalars(
            select(IntegrationRequest)
            .options(joinedload(IntegrationRequest.resolved_by))
            .where(
                IntegrationRequest.organization_id == org.id,
                IntegrationRequest.requester_id == user.id,
            )
            .order_by(IntegrationRequest.date_added.desc(), IntegrationRequest.id.desc())
            .limit(limit)
        )
    )


def open_request_for(user: UserLike, org: OrgRef, provider_type: str, provider_slug: str) -> IntegrationRequest | None:
    """The user's open request for this provider, if any (to say so instead of offering
    a second one)."""
    return db.session.scalar(
        select(IntegrationRequest).where(
            IntegrationRequest.organization_id == org.id,
            IntegrationRequest.requester_id == user.id,
            IntegrationRequest.provider_type == provider_type,
            IntegrationRequest.provider_slug == provider_slug,
            IntegrationRequest.status == "open",
        ).limit(1)
    )


def humanize_age(when: datetime | None, now: datetime | None = None) -> str:
    """"just now", "5 minutes ago", "3 hours ago", "2 days ago" (for the queue's age column)."""
    if when is None:
        return "—"
    seconds = max(0, int(((now or utcnow()) - when).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
