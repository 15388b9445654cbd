"""Writing audit entries (in the caller's transaction) and computing before/after diffs.

Convention for `data`: {"changes": {field: {"before": old, "after": new}}, …other context}.
The audit-log page and every History section render "changes" as the diff.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import joinedload

from webapp import messages
from webapp.extensions import db
from webapp.models import AuditLogEntry, Organization, OrganizationMember, User
from webapp.services.actors import OrgRef, UserLike
from webapp.services.ids import parse_id


def diff_values(before: dict, after: dict) -> dict[str, dict[str, object]]:
    """The fields whose value changed: {field: {"before": old, "after": new}}."""
    changed = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changed[key] = {"before": before.get(key), "after": after.get(key)}
    return changed


def record_audit(
    *,
    event: str,
    actor: UserLike | None,
    organization: OrgRef | None = None,
    target_type: str = "",
    target_id: int | None = None,
    target_object: str = "",
    data: dict | None = None,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """Add an audit entry to the current transaction; the caller commits it with the change."""
    entry = AuditLogEntry(
        organization_id=organization.id if organization is not None else None,
        actor_id=actor.id if actor is not None else None,
        event=event,
        target_type=target_type,
        target_id=target_id,
        target_object=target_object[:255],
        data=data or {},
        ip_address=ip_address,
    )
    db.session.add(entry)
    return entry


def list_target_history(target_type: str, target_id: int, limit: int = 50) -> list[AuditLogEntry]:
    """A record's audit entries, newest first, with actors loaded (one query)."""
    return list(
        db.session.scalars(
            select(AuditLogEntry)
            .options(joinedload(AuditLogEntry.actor))
            .where(AuditLogEntry.target_type == target_type, AuditLogEntry.target_id == target_id)
            .order_by(AuditLogEntry.datetime.desc(), AuditLogEntry.id.desc())
            .limit(limit)
        )
    )


EXPORT_TARGET = "export"  # the target type of CSV exports' entries


def record_export(
    *, actor: UserLike, organization: OrgRef | None, list_name: str, filters: dict,
    ip_address: str | None = None,
) -> AuditLogEntry:
    """Audit a CSV export (SPEC §7.6): which list, with which filters. Caller commits."""
    return record_audit(
        event="EXPORT_CSV",
        actor=actor,
        organization=organization,
        target_type=EXPORT_TARGET,
        target_object=list_name,
        data={"list": list_name, "filters": filters},
        ip_address=ip_address,
    )


# --- Events in words (issue 22): pages show these; CSV and the API keep the event names -------

EVENT_LABELS: dict[str, str] = {
    "INTEGRATION_ADD": "Integration added",
    "INTEGRATION_EDIT": "Integration settings changed",
    "INTEGRATION_DISABLE": "Integration disabled",
    "INTEGRATION_ENABLE": "Integration enabled",
    "INTEGRATION_REMOVE": "Integration removed",
    "INTEGRATION_RESTORE": "Integration restored",
    "INTEGRATION_REQUEST": "Installation requested",
    "INTEGRATION_REQUEST_RESOLVE": "Install request resolved",
    "PLUGIN_EDIT": "Plugin settings changed",
    "PLUGIN_ENABLE": "Plugin enabled",
    "PLUGIN_DISABLE": "Plugin disabled",
    "DOC_INTEGRATION_ADD": "Doc integration added",
    "DOC_INTEGRATION_EDIT": "Doc integration changed",
    "DOC_INTEGRATION_LOGO": "Doc integration logo uploaded",
    "DOC_INTEGRATION_REMOVE": "Doc integration deleted",
    "EXPORT_CSV": "CSV exported",
    "INTEGRATION_BULK_DISABLE": "Integrations disabled in bulk",
    "INTEGRATION_BULK_ENABLE": "Integrations enabled in bulk",
    "INTEGRATION_BULK_UNINSTALL": "Integrations uninstalled in bulk",
    "PROVIDER_POLICY_EDIT": "Integration policy changed",
    "USER_ADD": "User added",
    "USER_EDIT": "User changed",
    "MEMBER_ADD": "Member added",
    "MEMBER_EDIT": "Member role changed",
    "MEMBER_REMOVE": "Member removed",
}


def event_label(event: str) -> str:
    """An audit event as pages show it: "Integration removed" for INTEGRATION_REMOVE; an
    event without a label here reads as its name in words ("TOKEN_REVOKE" → "Token revoke")."""
    return EVENT_LABELS.get(event) or messages.name_in_words(event)


# --- The org audit log page (SPEC §6, §7.6, §7.7): filters, facet counts, pages, CSV -----------

SYSTEM_ACTOR = "system"  # the `actor` filter value for entries without a user (actor_id NULL)


@dataclass(frozen=True)
class DateRange:
    """UTC days, both included; either end may be open (None)."""

    start: date | None = None
    end: date | None = None

    def __bool__(self) -> bool:
        return self.start is not None or self.end is not None

    def condition(self) -> ColumnElement[bool]:
        """SQL: the entry's time falls in the range (from 00:00 UTC of the first day to
        before 00:00 UTC of the day after the last; ix_audit_org_datetime serves it)."""
        conditions: list[ColumnElement[bool]] = []
        if self.start is not None:
            conditions.append(AuditLogEntry.datetime >= datetime.combine(self.start, time.min, UTC))
        if self.end is not None and self.end < date.max:
            after = datetime.combine(self.end + timedelta(days=1), time.min, UTC)
            conditions.append(AuditLogEntry.datetime < after)
        return and_(true(), *conditions)

    def as_dict(self) -> dict[str, str]:
        return {key: day.isoformat() for key, day in (("date_from", self.start),
                                                      ("date_to", self.end)) if day is not None}


@dataclass(frozen=True)
class AuditFilters:
    """The log's filters, valid (AuditLogFilterForm parses them): an event of the org's log,
    an actor: a user id, SYSTEM_ACTOR for entries without a user, or None for anyone; and
    a date range. The facets a page counts must have been counted within `dates`."""

    event: str | None = None
    actor: int | str | None = None
    dates: DateRange = DateRange()

    def as_dict(self) -> dict[str, int | str]:
        """The filters that are set (a CSV export's audit entry)."""
        chosen: dict[str, int | str] = {
            key: value for key, value in (("event", self.event), ("actor", self.actor))
            if value is not None}
        return {**chosen, **self.dates.as_dict()}


@dataclass
class AuditFacets:
    """Entry counts per (event, actor_id) for one org, plus the names of every possible actor.

    One query fills it; the event and actor facet counts and the filtered total are all
    derived from it, so the page needs no separate COUNT. With a date range the counts are
    those within it, and every (event, actor) of the whole log is still a key (count 0), so
    an event or actor outside the range is not "unknown".
    """

    pairs: dict[tuple[str, int | None], int] = field(default_factory=dict)
    users: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (name, email)

    def _matches(self, key: tuple[str, int | None], filters: AuditFilters, skip: str = "") -> bool:
        event, actor_id = key
        if skip != "event" and filters.event and event != filters.event:
            return False
        if skip != "actor" and filters.actor is not None:
            if filters.actor == SYSTEM_ACTOR:
                return actor_id is None
            return actor_id == filters.actor
        return True

    def total(self, filters: AuditFilters) -> int:
        """How many entries the filters select."""
        return sum(n for key, n in self.pairs.items() if self._matches(key, filters))

    def event_counts(self, filters: AuditFilters) -> dict[str, int]:
        """Every event present in the org → entries it would give with the other filters."""
        counts = {event: 0 for event, _ in self.pairs}
        for key, n in self.pairs.items():
            if self._matches(key, filters, skip="event"):
                counts[key[0]] += n
        return counts

    def actor_counts(self, filters: AuditFilters) -> dict[int | None, int]:
        """Every actor id (None = system) in the log → entries it would give with the other filters."""
        counts: dict[int | None, int] = {actor_id: 0 for _, actor_id in self.pairs}
        for key, n in self.pairs.items():
            if self._matches(key, filters, skip="actor"):
                counts[key[1]] += n
        return counts


@dataclass(frozen=True)
class ActorChoice:
    """One choice of the actor filter: value is the user id as text, or "system"."""

    value: str
    name: str
    email: str
    count: int

    @property
    def label(self) -> str:
        if self.value == SYSTEM_ACTOR:
            who = "system"
        elif self.name and self.name != self.email:
            who = f"{self.name} · {self.email}"
        else:
            who = self.email
        return f"{who} ({self.count:,})"


@dataclass
class AuditLogPage:
    entries: list[AuditLogEntry]
    total: int
    page: int
    per_page: int


def audit_facets(org: Organization, dates: DateRange | None = None) -> AuditFacets:
    """Counts per (event, actor) of the org's log (within `dates`, when given) and the names
    of its members and actors (1 query)."""
    in_range = func.sum(case((dates.condition(), 1), else_=0)) if dates else func.count()
    counted = (
        select(
            AuditLogEntry.event.label("event"),
            AuditLogEntry.actor_id.label("actor_id"),
            in_range.label("n"),
        )
        .where(AuditLogEntry.organization_id == org.id)
        .group_by(AuditLogEntry.event, AuditLogEntry.actor_id)
        .subquery()
    )
    log_rows = select(
        counted.c.event, counted.c.actor_id, counted.c.n, User.name, User.email
    ).outerjoin(User, User.id == counted.c.actor_id)
    member_rows = (
        select(
            cast(null(), String(64)).label("event"),
            OrganizationMember.user_id,
            literal(0).label("n"),
            User.name,
            User.email,
        )
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.organization_id == org.id)
    )
    facets = AuditFacets()
    for event, actor_id, n, name, email in db.session.execute(union_all(log_rows, member_rows)):
        if actor_id is not None and email is not None:
            facets.users[actor_id] = (name or "", email)
        if event is not None:
            facets.pairs[(event, actor_id)] = int(n or 0)
    return facets


def audit_event_facets(
    org: Organization, filters: AuditFilters, facets: AuditFacets | None = None
) -> list[tuple[str, int]]:
    """The events present in the org's log, by name, each with the entries it would give."""
    facets = facets if facets is not None else audit_facets(org)
    return sorted(facets.event_counts(filters).items())


def audit_actor_choices(
    org: Organization, filters: AuditFilters | None = None, facets: AuditFacets | None = None
) -> list[ActorChoice]:
    """Who the log can be filtered by: "system" (when it acted), then members and actors by name."""
    facets = facets if facets is not None else audit_facets(org)
    counts = facets.actor_counts(filters or AuditFilters())
    choices = []
    if None in counts:
        choices.append(ActorChoice(SYSTEM_ACTOR, "", "", counts[None]))
    people = [
        ActorChoice(str(user_id), name, email, counts.get(user_id, 0))
        for user_id, (name, email) in facets.users.items()
    ]
    people.sort(key=lambda c: ((c.name or c.email).casefold(), c.email.casefold()))
    return choices + people


def audit_event_error(event: str | None, facets: AuditFacets) -> str | None:
    """Why `event` cannot filter the org's log: no entry has it (None when one has, or empty)."""
    event = (event or "").strip()
    if event and event not in {e for e, _ in facets.pairs}:
        return messages.unknown("event", event)
    return None


def audit_actor_error(actor: str | None, facets: AuditFacets) -> str | None:
    """Why `actor` cannot filter the org's log: it names neither a member, nor someone in the
    log, nor the system when it acted (None when it does, or is empty)."""
    raw = (actor or "").strip()
    if raw and resolve_actor(raw, facets) is None:
        return f"Unknown actor: {raw}"
    return None


def resolve_actor(raw: str | None, facets: AuditFacets) -> int | str | None:
    """Whom an actor filter value (a user id, an email or "system") names: the user's id,
    SYSTEM_ACTOR, or None (empty, or nobody the log can be filtered by)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.casefold() == SYSTEM_ACTOR:
        return SYSTEM_ACTOR if any(a is None for _, a in facets.pairs) else None
    user_id = parse_id(raw)
    if user_id is not None:
        return user_id if user_id in facets.users else None
    wanted = raw.casefold()
    for user_id, (_, email) in facets.users.items():
        if email.casefold() == wanted:
            return user_id
    return None


def audit_log_query(org: Organization, filters: AuditFilters) -> Select:
    """The org's entries matching the filters, newest first, actors joined (page and CSV)."""
    query = (
        select(AuditLogEntry)
        .options(joinedload(AuditLogEntry.actor))
        .where(AuditLogEntry.organization_id == org.id)
    )
    if filters.event:
        query = query.where(AuditLogEntry.event == filters.event)
    if filters.actor == SYSTEM_ACTOR:
        query = query.where(AuditLogEntry.actor_id.is_(None))
    elif filters.actor is not None:
        query = query.where(AuditLogEntry.actor_id == filters.actor)
    if filters.dates:
        query = query.where(filters.dates.condition())
    return query.order_by(AuditLogEntry.datetime.desc(), AuditLogEntry.id.desc())


def list_audit_log(
    org: Organization, filters: AuditFilters, page: int, per_page: int, total: int | None = None
) -> AuditLogPage:
    """One page of the org's log (1 query when `total` is known from the facets, else 2).

    A page past the end shows the last page.
    """
    if total is None:
        total = audit_facets(org, filters.dates).total(filters)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = list(
        db.session.scalars(
            audit_log_query(org, filters).limit(per_page).offset((page - 1) * per_page)
        ).unique()
    )
    return AuditLogPage(entries=entries, total=total, page=page, per_page=per_page)


def iter_audit_log(org: Organization, filters: AuditFilters, batch: int = 500) -> Iterator[AuditLogEntry]:
    """Every matching entry, newest first, fetched in batches (for the streamed CSV export)."""
    result = db.session.scalars(audit_log_query(org, filters).execution_options(yield_per=batch))
    yield from result
