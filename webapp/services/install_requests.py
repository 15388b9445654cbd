"""Install requests (SPEC §7.4): members ask owners and managers to install something.

Unlike Sentry, which only sends an email, a request is stored, shown in the queue of the
org's owners and managers, and marked done or dismissed there. The pages and the JSON API
call these functions with plain values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from webapp.catalog.plugins import get_plugin
from webapp.catalog.providers import get_provider
from webapp.extensions import db
from webapp.models import IntegrationRequest, OrganizationMember, SentryApp, User, utcnow
from webapp.services.actors import OrgRef, UserLike
from webapp.services.audit import record_audit
from webapp.services.directory import FIRST_PARTY, PLUGIN, SENTRY_APP, page_path
from webapp.services.errors import Conflict, NotFound, ValidationFailed
from webapp.services.mail import send_email
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import ProviderBlocked, get_policy

log = logging.getLogger(__name__)

PROVIDER_TYPES: tuple[str, ...] = (FIRST_PARTY, PLUGIN, SENTRY_APP)
PROVIDER_TYPE_LABELS: dict[str, str] = {
    FIRST_PARTY: "Integration",
    PLUGIN: "Plugin",
    SENTRY_APP: "Sentry app",
}
MESSAGE_MAX_LENGTH = 1000
RESOLVED_STATUSES: tuple[str, ...] = ("done", "dismissed")
QUEUE_SORTS: dict[str, tuple] = {
    "date_added": (IntegrationRequest.date_added, IntegrationRequest.id),
    "-date_added": (IntegrationRequest.date_added.desc(), IntegrationRequest.id.desc()),
    "provider": (func.lower(IntegrationRequest.provider_name), IntegrationRequest.id),
    "-provider": (func.lower(IntegrationRequest.provider_name).desc(), IntegrationRequest.id.desc()),
}
DEFAULT_QUEUE_SORT = "-date_added"
NOTIFY_ROLES: tuple[str, ...] = ("owner", "manager")
AUDIT_TARGET = "integration_request"


class AlreadyRequested(Conflict):
    """The same user already has an open request for this provider (page: 400, API: 409)."""

    def __init__(self, provider_name: str):
        super().__init__(f"You already requested {provider_name}.")
        self.provider_name = provider_name


class AlreadyResolved(Conflict):
    """Someone marked the request done or dismissed it before this action."""


@dataclass(frozen=True)
class RequestOutcome:
    """What `create_install_request` did.

    `request` is the stored request, or None when the user can install the provider
    themselves (admins and up: nothing is stored, `user_can_install` is True).
    `notified` is False when the notification email could not be sent (it was logged).
    """

    provider_type: str
    provider_slug: str
    provider_name: str
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


def _validate(provider_type, provider_slug, message) -> tuple[str, str, str, str]:
    """Clean the submitted values; ValidationFailed with every field's problems."""
    errors: dict[str, list[str]] = {}
    provider_type = (provider_type or "").strip() if isinstance(provider_type, str) else ""
    provider_slug = (provider_slug or "").strip() if isinstance(provider_slug, str) else ""
    if message is None:
        message = ""
    if not isinstance(message, str):
        errors["message"] = ["Message must be text."]
        message = ""
    message = message.strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        errors["message"] = [
            f"Message must be at most {MESSAGE_MAX_LENGTH} characters (it has {len(message)})."
        ]
    if provider_type not in PROVIDER_TYPES:
        errors["provider_type"] = [
            f"Provider type must be one of: {', '.join(PROVIDER_TYPES)}."
        ]
    name = None
    if not provider_slug:
        errors["provider_slug"] = ["Provider slug is required."]
    elif "provider_type" not in errors:
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

    Validates (ValidationFailed; a provider the org's policy blocks too), answers "you can install it yourself" to users who can
    install (nothing stored), refuses a second open request by the same user for the same
    provider (AlreadyRequested), else stores the request with an INTEGRATION_REQUEST audit
    entry, COMMITS, and only then emails the owners and managers (`base_url`, e.g.
    "https://admin.example/", makes the email's links absolute).
    """
    actor_access.require(Capability.REQUEST_INSTALL)
    provider_type, provider_slug, name, message = _validate(provider_type, provider_slug, message)
    blocked = get_policy(actor_access.organization).refusal(provider_type, provider_slug, name)
    if blocked:  # the org's provider policy (issue 23): refused for everyone, with its reason
        raise ValidationFailed({"provider_slug": [blocked]})
    if actor_access.can(Capability.MANAGE_INTEGRATIONS):
        return RequestOutcome(provider_type, provider_slug, name, None, user_can_install=True)

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
    return _absolute(base_url, path) + "?referrer=request_email"


def _absolute(base_url: str | None, path: str) -> str:
    return (base_url or "").rstrip("/") + path


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
        lines += ["Their message:", ""]
        lines += ["    " + line for line in request.message.splitlines()]
    else:
        lines.append("They did not add a message.")
    lines += [
        "",
        f"Open {request.provider_name}: {request_link(request, base_url)}",
        "Review the open requests: "
        + _absolute(base_url, f"/settings/{org.slug}/integration-requests/"),
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
    items: list[IntegrationRequest]
    total: int
    page: int
    per_page: int


def queue_type_error(provider_type: str | None) -> str | None:
    """The message for a queue type filter that is not a provider type (empty: none)."""
    if provider_type and provider_type not in PROVIDER_TYPES:
        return f"Type must be one of: {', '.join(PROVIDER_TYPES)}."
    return None


def queue_sort_error(sort: str | None) -> str | None:
    """The message for a sort the queue does not offer (empty: none)."""
    if sort and sort not in QUEUE_SORTS:
        return f"Sort must be one of: {', '.join(QUEUE_SORTS)}."
    return None


def validate_queue_filters(provider_type: str | None, sort: str | None) -> None:
    """ValidationFailed for an unknown type or sort. The queue's filter form checks the same
    rules (queue_type_error, queue_sort_error) when it parses the URL; this guards the other
    callers."""
    errors = {name: [message] for name, message in (("provider_type", queue_type_error(provider_type)),
                                                   ("sort", queue_sort_error(sort)))
              if message}
    if errors:
        raise ValidationFailed(errors)


def list_open_requests(
    org: OrgRef,
    q: str | None = None,
    provider_type: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> QueuePage:
    """Owners and managers (the caller checks RESOLVE_REQUESTS): the org's open requests.

    `q` matches the provider name or slug, the requester's name or email, or the message
    (case-insensitive); `provider_type` narrows to one type; `sort` is one of QUEUE_SORTS
    (default newest first). One query: the page with its requesters and the total.
    """
    validate_queue_filters(provider_type, sort)
    page = max(1, int(page))
    per_page = max(1, int(per_page))
    conditions = [IntegrationRequest.organization_id == org.id, IntegrationRequest.status == "open"]
    if provider_type:
        conditions.append(IntegrationRequest.provider_type == provider_type)
    q = (q or "").strip().lower()
    query = select(IntegrationRequest, func.count().over().label("total"))
    if q:
        query = query.outerjoin(User, User.id == IntegrationRequest.requester_id)
        conditions.append(
            or_(
                *(
                    func.lower(col).contains(q, autoescape=True)
                    for col in (
                        IntegrationRequest.provider_name,
                        IntegrationRequest.provider_slug,
                        IntegrationRequest.message,
                        User.name,
                        User.email,
                    )
                )
            )
        )
    rows = db.session.execute(
        query.options(joinedload(IntegrationRequest.requester))
        .where(*conditions)
        .order_by(*QUEUE_SORTS[sort or DEFAULT_QUEUE_SORT])
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    if rows:
        total = rows[0].total
    elif page > 1:  # past the end: count separately so the pager can lead back
        total = db.session.scalar(
            select(func.count()).select_from(query.where(*conditions).subquery())
        )
    else:
        total = 0
    return QueuePage([row[0] for row in rows], total, page, per_page)


def list_my_requests(user: UserLike, org: OrgRef, limit: int = 50) -> list[IntegrationRequest]:
    """Anyone in the org: their own requests there, newest first (at most `limit`)."""
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


# -- resolving -------------------------------------------------------------------------------


def resolve_request(
    actor_access: OrgAccess, request_id: int, status: str, ip_address: str | None
) -> IntegrationRequest:
    """Owners and managers: mark an open request "done" or "dismissed" (audited, committed).

    NotFound for a request of another org; AlreadyResolved when it is no longer open;
    ProviderBlocked when marking done a provider the org's policy blocks.
    """
    actor_access.require(Capability.RESOLVE_REQUESTS)
    if status not in RESOLVED_STATUSES:
        raise ValidationFailed({"status": ["Status must be “done” or “dismissed”."]})
    org = actor_access.organization
    request = db.session.scalar(
        select(IntegrationRequest)
        .where(IntegrationRequest.id == request_id, IntegrationRequest.organization_id == org.id)
        .with_for_update()
    )
    if request is None:
        raise NotFound("Install request not found")
    if request.status != "open":
        by = request.resolved_by.display_name if request.resolved_by else "someone"
        message = (
            f"The request for {request.provider_name} was already "
            f"{'marked done' if request.status == 'done' else 'dismissed'} by {by}."
        )
        db.session.rollback()
        raise AlreadyResolved(message)
    if status == "done":  # the org's provider policy may block what was asked for since
        blocked = get_policy(org).refusal(request.provider_type, request.provider_slug,
                                          request.provider_name)
        if blocked:
            db.session.rollback()
            raise ProviderBlocked(f"{blocked} The request cannot be marked done; dismiss it instead.")
    request.status = status
    request.resolved_by_id = actor_access.user.id
    request.date_resolved = utcnow()
    record_audit(
        event="INTEGRATION_REQUEST_RESOLVE",
        actor=actor_access.user,
        organization=org,
        target_type=AUDIT_TARGET,
        target_id=request.id,
        target_object=request.provider_name,
        data={
            "changes": {"status": {"before": "open", "after": status}},
            "provider_type": request.provider_type,
            "provider_slug": request.provider_slug,
            "requester_id": request.requester_id,
        },
        ip_address=ip_address,
    )
    db.session.commit()
    return request


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
