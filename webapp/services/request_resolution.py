"""Resolving install requests (SPEC §7.4): an owner or manager marks an open request done
or dismisses it, optionally with a reason, and the requester is told by email (without
MAIL_SERVER the email is only logged, and the outcome says so).

The resolution (status, who, when, reason) is stored on the request, audited as
INTEGRATION_REQUEST_RESOLVE in the same transaction, and committed before the email goes
out, so a mail problem never undoes it. The requester also sees it under "Your requests".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import IntegrationRequest, utcnow
from webapp.services.audit import diff_values, record_audit
from webapp.services.errors import Conflict, NotFound, ValidationFailed
from webapp.services.install_requests import (
    AUDIT_TARGET,
    PROVIDER_TYPE_LABELS,
    RESOLVED_STATUSES,
    indented,
    queue_link,
    request_link,
)
from webapp.services.mail import mail_configured, send_email
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import ProviderBlocked, get_policy
from webapp.services.text import clean_note

log = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500
RESOLVED_VERBS: dict[str, str] = {"done": "marked done", "dismissed": "dismissed"}


class AlreadyResolved(Conflict):
    """Someone marked the request done or dismissed it before this action."""


@dataclass(frozen=True)
class ResolveOutcome:
    """What `resolve_request` did: the resolved request, and whether the requester was
    emailed (None: nobody to email — a former member or a deactivated user; False: the
    email could not be sent, which was logged). `mail_configured` False: there is no
    MAIL_SERVER, so an `emailed` True means the email was only written to the log."""

    request: IntegrationRequest
    emailed: bool | None
    mail_configured: bool = True


def clean_reason(reason) -> str:
    """The reason trimmed ("" when none); ValidationFailed({"reason": …}) when it is not
    text, longer than REASON_MAX_LENGTH, or holds control characters (it is emailed)."""
    text, error = clean_note(reason, "Reason", REASON_MAX_LENGTH)
    if error:
        raise ValidationFailed({"reason": [error]})
    return text


def get_request(actor_access: OrgAccess, request_id: int, *, for_update: bool = False) -> IntegrationRequest:
    """Owners and managers: one request of their org (NotFound for another org's);
    `for_update` locks its row until the transaction ends."""
    actor_access.require(Capability.RESOLVE_REQUESTS)
    query = select(IntegrationRequest).where(
        IntegrationRequest.id == request_id,
        IntegrationRequest.organization_id == actor_access.organization.id,
    )
    if for_update:  # and re-read it: the session may hold it from before the lock
        query = query.with_for_update().execution_options(populate_existing=True)
    request = db.session.scalar(query)
    if request is None:
        raise NotFound("Install request not found")
    return request


def already_resolved_message(request: IntegrationRequest) -> str:
    """"The request for Trello was already dismissed by Max Manager." (a resolved request)."""
    by = request.resolved_by.display_name if request.resolved_by else "someone"
    return f"The request for {request.provider_name} was already {RESOLVED_VERBS[request.status]} by {by}."


def resolve_request(
    actor_access: OrgAccess,
    request_id: int,
    status: str,
    ip_address: str | None,
    reason: str | None = None,
    base_url: str | None = None,
) -> ResolveOutcome:
    """Owners and managers: mark an open request "done" or "dismissed", with an optional
    reason (≤ REASON_MAX_LENGTH), audited and COMMITTED; then email the requester
    (`base_url` makes the email's links absolute).

    ValidationFailed for a bad status or reason (nothing written); NotFound for a request of
    another org; AlreadyResolved when it is no longer open; ProviderBlocked when marking
    done a provider the org's policy blocks.
    """
    actor_access.require(Capability.RESOLVE_REQUESTS)
    if status not in RESOLVED_STATUSES:
        raise ValidationFailed({"status": ["Status must be “done” or “dismissed”."]})
    reason = clean_reason(reason)
    org = actor_access.organization
    request = get_request(actor_access, request_id, for_update=True)
    if request.status != "open":
        message = already_resolved_message(request)
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
    request.resolution_reason = reason
    record_audit(
        event="INTEGRATION_REQUEST_RESOLVE",
        actor=actor_access.user,
        organization=org,
        target_type=AUDIT_TARGET,
        target_id=request.id,
        target_object=request.provider_name,
        data={
            "changes": diff_values({"status": "open", "reason": ""},
                                   {"status": status, "reason": reason}),
            "provider_type": request.provider_type,
            "provider_slug": request.provider_slug,
            "requester_id": request.requester_id,
        },
        ip_address=ip_address,
    )
    db.session.commit()
    emailed = notify_requester(request, actor_access.user.display_name, base_url)
    return ResolveOutcome(request, emailed, mail_configured())


def resolution_email(request: IntegrationRequest, resolver_name: str,
                     base_url: str | None) -> tuple[str, str]:
    """(subject, plain-text body) of the email the requester gets when their request is
    marked done or dismissed."""
    org = request.organization
    name = request.provider_name
    kind = PROVIDER_TYPE_LABELS[request.provider_type].lower()
    requester = request.requester
    if request.status == "done":
        subject = f"Your request for {name} was marked done"
        what = f"{resolver_name} marked your request for the {name} {kind} in {org.name} as done."
    else:
        subject = f"Your request for {name} was dismissed"
        what = f"{resolver_name} dismissed your request for the {name} {kind} in {org.name}."
    lines = [f"Hello {requester.display_name}," if requester else "Hello,", "", what, ""]
    if request.resolution_reason:
        lines += ["Their reason:", "", *indented(request.resolution_reason), ""]
    elif request.status == "dismissed":
        lines += ["They did not give a reason.", ""]
    lines += [
        f"Open {name}: {request_link(request, base_url)}",
        f"See your requests: {queue_link(org, base_url)}",
        "",
        f"You get this email because you asked for {name} in {org.name}.",
    ]
    return subject, "\n".join(lines) + "\n"


def notify_requester(request: IntegrationRequest, resolver_name: str,
                     base_url: str | None) -> bool | None:
    """Email the requester of a resolved (committed) request; never raises.

    None when there is nobody to email (a former member, or a deactivated user); False when
    the email could not be sent (the error is logged).
    """
    requester = request.requester
    if requester is None or not requester.is_active:
        return None
    try:
        subject, body = resolution_email(request, resolver_name, base_url)
        return send_email([requester.email], subject, body)
    except Exception:  # the resolution is committed; a notification bug must not surface
        log.exception("Could not email the requester of install request %s", request.id)
        return False
