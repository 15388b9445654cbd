"""One action over many installations of an org (issue 23): disable, enable or uninstall the
chosen ones (by Integration id, as in the URLs and the API) or every one matching the list's
filters. First a plan — what will change and what is skipped, and why, with counts — then
an apply in one transaction, with one audit entry per changed installation plus one for the
bulk action.

The rules are lifecycle.action_refusal's, the one rule of an installation's page: each
(provider, status) group of a selection is judged by it, and the apply's SQL selects exactly
the groups it allows. "All matching" selects with the list's own WHERE terms
(listing.matching_terms), and plans from the list's own counts, so its total is the list's.

Set-based, so the statement count does not grow with the selection: the apply locks the
rows it will change (PostgreSQL; SQLite has one writer), writes their audit entries with one
INSERT … SELECT, counts the selection's groups once, and changes the rows with one UPDATE;
the per-org counts follow through their triggers (migration 0003), in the same transaction.

Stale rows: a plan remembers the versions of the rows it chose by id, and when it was made.
At apply, a chosen row whose version moved, or any row changed after the plan, is skipped
and reported, never overwritten. (The times are the app hosts' clocks: keep them in sync.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from typing import cast as type_cast
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    tuple_,
    update,
)

from webapp import messages
from webapp.catalog.providers import PROVIDERS, get_provider
from webapp.extensions import db
from webapp.models import (
    VISIBLE_STATUSES,
    AuditLogEntry,
    ObjectStatus,
    OrganizationIntegration,
    utcnow,
)
from webapp.models.base import UTCDateTime
from webapp.services.actors import OrgRef
from webapp.services.audit import record_audit
from webapp.services.errors import NotFound, ValidationFailed
from webapp.services.ids import parse_id
from webapp.services.integrations.counts import matching_groups, result_counts
from webapp.services.integrations.filters import IntegrationFilters, resolve_policy
from webapp.services.integrations.lifecycle import (
    STATUS_ACTIONS,
    TARGET_TYPE,
    StatusAction,
    action_refusal,
)
from webapp.services.integrations.listing import matching_terms
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import Policy, get_policy

OI = OrganizationIntegration
MAX_IDS = 1000
STALE_REASON = "Changed by someone else since the confirmation."
GONE_REASON = "No longer installed."
BULK_EVENT = "INTEGRATION_BULK_{}"  # INTEGRATION_BULK_DISABLE, …_ENABLE, …_UNINSTALL
BULK_TARGET = "organization_integration_bulk"
VISIBLE = tuple(int(s) for s in VISIBLE_STATUSES)


def parse_planned_at(value: object) -> datetime | None:
    """A plan's time as a form or a body sends it back: an ISO 8601 date-time with a time
    zone, in UTC (clamped to the calendar's ends), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar by its offset
        return (datetime.min if parsed.year == 1 else datetime.max).replace(tzinfo=UTC)


def get_action(name: object) -> StatusAction:
    """The status action named `name`; ValidationFailed under `action` otherwise."""
    if isinstance(name, str) and name in STATUS_ACTIONS:
        return STATUS_ACTIONS[name]
    raise ValidationFailed({"action": [messages.unknown("action", name, STATUS_ACTIONS)]})


def json_integer(value: object) -> object:
    """A JSON number with no fraction (7.0: JSON Schema's integer) as an int; else as given."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def clean_ids(values: object) -> tuple[int, ...]:
    """Integration ids as given (numbers or their text), duplicates collapsed, in order;
    ValidationFailed under `ids` for anything else, none, or more than MAX_IDS."""
    if not isinstance(values, list | tuple):
        raise ValidationFailed({"ids": ["Must be a list of integration ids."]})
    ids: dict[int, None] = {}
    bad: list[str] = []
    for value in values:
        parsed = None if isinstance(value, bool) else parse_id(json_integer(value))
        if parsed is None:
            bad.append(str(value)[:40])
        else:
            ids[parsed] = None
    if bad:
        raise ValidationFailed({"ids": [f"Not an integration id: {value}" for value in bad[:10]]})
    if not ids:
        raise ValidationFailed({"ids": ["Choose at least one installation."]})
    if len(ids) > MAX_IDS:
        raise ValidationFailed({"ids": [f"At most {MAX_IDS:,} ids at once; select all matching "
                                        "the filters instead."]})
    return tuple(ids)


@dataclass(frozen=True)
class Selection:
    """What a bulk action acts on: Integration `ids`, or every row matching `filters`."""

    ids: tuple[int, ...] = ()
    filters: IntegrationFilters | None = None

    def __post_init__(self) -> None:
        if bool(self.ids) == (self.filters is not None):
            raise ValueError("a selection is either ids or filters")

    def as_dict(self) -> dict[str, object]:
        """The bulk audit entry's record of it: {"ids": [...]}, or {"filters": the list's
        query string of the filters} (plain values, as the audit log shows them)."""
        if self.filters is not None:
            return {"filters": filters_query(self.filters)}
        return {"ids": list(self.ids)}


def filters_query(filters: IntegrationFilters) -> str:
    """The list's query string of `filters` ("status=active&provider_key=slack"; "" for none)."""
    pairs = [("q", filters.q)] if filters.q else []
    pairs += [("provider_key", key) for key in filters.provider_keys]
    pairs += [("features", str(feature.value)) for feature in filters.features]
    pairs += [("integration_type", filters.integration_type)] if filters.integration_type else []
    pairs += [("status", status.label) for status in filters.statuses]
    pairs += [("policy", filters.policy)] if filters.policy else []
    return urlencode(pairs)


@dataclass(frozen=True)
class Expected:
    """What a plan saw, for the stale check of its apply: the versions of the rows chosen by
    id, and when it was made. Left empty, the apply checks only what changes while it runs
    (the API without a plan)."""

    versions: Mapping[int, int] = field(default_factory=dict)
    planned_at: datetime | None = None


@dataclass(frozen=True)
class Group:
    """Rows of one provider in one status: how many, and why they are skipped (None: they
    change)."""

    provider: str
    status: int
    count: int
    reason: str | None

    @property
    def provider_name(self) -> str:
        provider = get_provider(self.provider)
        return provider.name if provider else self.provider

    @property
    def status_label(self) -> str:
        return ObjectStatus.label_of(self.status)


@dataclass(frozen=True)
class PlanRow:
    """One row chosen by id, as the confirmation lists it."""

    integration_id: int
    name: str
    provider: str
    status: int
    reason: str | None


@dataclass(frozen=True)
class Skip:
    """Rows skipped for one reason."""

    reason: str
    count: int


def _skips(counted: Iterable[tuple[str, int]]) -> list[Skip]:
    """Counts per reason, largest first (then by reason)."""
    totals: dict[str, int] = {}
    for reason, count in counted:
        if count:
            totals[reason] = totals.get(reason, 0) + count
    return [Skip(reason, count) for reason, count in
            sorted(totals.items(), key=lambda item: (-item[1], item[0]))]


@dataclass
class BulkPlan:
    """What applying `action` to `selection` will do now."""

    action: StatusAction
    selection: Selection
    groups: list[Group]
    planned_at: datetime
    rows: list[PlanRow] = field(default_factory=list)  # chosen by id: each row
    versions: dict[int, int] = field(default_factory=dict)  # chosen by id: each row's version

    @property
    def total(self) -> int:
        return sum(group.count for group in self.groups)

    @property
    def changes(self) -> int:
        return sum(group.count for group in self.groups if group.reason is None)

    @property
    def skipped(self) -> list[Skip]:
        return _skips((g.reason, g.count) for g in self.groups if g.reason is not None)

    @property
    def expected(self) -> Expected:
        return Expected(dict(self.versions), self.planned_at)

    def names(self, group: Group | None = None, reason: str | None = None) -> list[str]:
        """Names of the rows chosen by id: of one group, or skipped for one reason."""
        return [row.name for row in self.rows
                if (group is None or (row.provider, row.status) == (group.provider, group.status))
                and (reason is None or row.reason == reason)]


@dataclass
class BulkResult:
    """What an apply did: rows changed, rows skipped per reason, and the bulk audit entry."""

    action: StatusAction
    changed: int
    skipped: list[Skip]
    audit_entry_id: int

    @property
    def skipped_total(self) -> int:
        return sum(skip.count for skip in self.skipped)


def _with_policy(org: OrgRef, selection: Selection, policy: Policy) -> Selection:
    """The selection with its filters' `policy` filter resolved from the policy the action
    judges by (one read of the policy for both)."""
    if selection.filters is None:
        return selection
    return replace(selection, filters=resolve_policy(org, selection.filters, policy=policy))


def _selection_terms(org: OrgRef, selection: Selection) -> list[ColumnElement[bool]]:
    """WHERE terms of the selected rows (shown statuses only, this org only)."""
    if selection.filters is not None:
        return matching_terms(org, selection.filters)
    return [OI.organization_id == org.id, OI.status.in_(VISIBLE),
            OI.integration_id.in_(selection.ids)]


def require_ids(org: OrgRef, ids: Iterable[int]) -> None:
    """NotFound unless every id names a shown installation of this org (one query)."""
    ids = tuple(ids)
    found = db.session.scalar(select(func.count()).select_from(OI).where(
        *_selection_terms(org, Selection(ids=ids))))
    if found != len(ids):
        raise NotFound("Integration not found")


def plan_bulk(access: OrgAccess, action: str, selection: Selection) -> BulkPlan:
    """Admins and up: what `action` over `selection` would change and skip, and why; reads
    only. Ids of another org, unknown or no longer shown → NotFound for the whole request."""
    access.require(Capability.MANAGE_INTEGRATIONS)
    status_action = get_action(action)
    org = access.organization
    policy = get_policy(org)
    selection = _with_policy(org, selection, policy)
    planned_at = utcnow()
    if selection.filters is not None:
        filters = selection.filters
        counts = matching_groups(result_counts(org, filters).matrix, filters)  # the list's
        groups = [Group(p, s, n, action_refusal(status_action, s, p, policy))
                  for (p, s), n in sorted(counts.items())]
        return BulkPlan(status_action, selection, groups, planned_at)
    found = db.session.execute(
        select(OI.integration_id, OI.integration_name, OI.integration_provider, OI.status,
               OI.version)
        .where(*_selection_terms(org, selection))
        .order_by(OI.integration_name, OI.integration_id)
    ).all()
    if len(found) != len(selection.ids):
        raise NotFound("Integration not found")
    rows = [PlanRow(iid, name, provider, status,
                    action_refusal(status_action, status, provider, policy))
            for iid, name, provider, status, _version in found]
    by_group: dict[tuple[str, int], list[PlanRow]] = {}
    for row in rows:
        by_group.setdefault((row.provider, row.status), []).append(row)
    groups = [Group(p, s, len(members), members[0].reason)
              for (p, s), members in sorted(by_group.items())]
    return BulkPlan(status_action, selection, groups, planned_at, rows,
                    {iid: version for iid, *_rest, version in found})


def _allowed_terms(action: StatusAction, policy: Policy) -> ColumnElement[bool]:
    """The (status, provider) pairs `action` may change, as SQL: action_refusal evaluated
    over every shown status and every catalog provider (and "", standing for a provider
    this version does not know)."""
    terms = []
    for status in VISIBLE:
        refused = sorted(key for key in PROVIDERS if action_refusal(action, status, key, policy))
        if action_refusal(action, status, "", policy):  # unknown providers refused too
            allowed = sorted(set(PROVIDERS) - set(refused))
            if allowed:
                terms.append(and_(OI.status == status, OI.integration_provider.in_(allowed)))
        elif refused:
            terms.append(and_(OI.status == status, OI.integration_provider.not_in(refused)))
        else:
            terms.append(OI.status == status)
    return or_(*terms) if terms else false()


def _stale_terms(expected: Expected, cutoff: datetime) -> ColumnElement[bool]:
    """Rows changed since the plan: a chosen row whose version moved, or any row updated
    after `cutoff` (the plan's time, else the apply's start)."""
    stale: ColumnElement[bool] = OI.date_updated > cutoff
    if expected.versions:
        pairs = sorted(expected.versions.items())
        moved = and_(OI.integration_id.in_([iid for iid, _ in pairs]),
                     not_(tuple_(OI.integration_id, OI.version).in_(pairs)))
        stale = or_(stale, moved)
    return stale


def _json_object(pairs: list[tuple[str, Any]]) -> Any:
    """A JSON object built in SQL from (key, SQL value) pairs (keys: constants of this module)."""
    dialect = db.session.get_bind().dialect.name
    build = func.jsonb_build_object if dialect == "postgresql" else func.json_object
    args: list[Any] = []
    for key, value in pairs:
        args += [literal_column(f"'{key}'"), value]
    return build(*args)


def _value(value: object, type_: Any = String) -> Any:
    """A bound value with its SQL type spelled out (PostgreSQL cannot guess the type of a
    parameter inside jsonb_build_object or a SELECT list)."""
    return cast(literal(value, type_), type_)


def _audit_rows(org: OrgRef, actor_id: int | None, action: StatusAction, token: str,
                target: list[ColumnElement[bool]], now: datetime, ip_address: str | None):
    """INSERT … SELECT: one audit entry per row of `target`, as a single change writes it
    (lifecycle._status_change), plus the bulk action's token."""
    labels = {int(status): status.label for status in ObjectStatus}
    before = case(labels, value=OI.status, else_=literal_column("'unknown'"))
    data = _json_object([
        ("changes", _json_object([("status", _json_object([
            ("before", before), ("after", _value(action.to.label))]))])),
        ("provider", OI.integration_provider),
        ("integration_id", OI.integration_id),
        ("bulk", _value(token)),
    ])
    columns = select(
        _value(org.id, Integer), _value(actor_id, Integer), _value(action.event),
        _value(TARGET_TYPE), OI.id, OI.integration_name, data, _value(ip_address),
        literal(now, UTCDateTime),  # no CAST: SQLite would make the stored text a number
    ).where(*target)
    return insert(AuditLogEntry).from_select(
        ["organization_id", "actor_id", "event", "target_type", "target_id", "target_object",
         "data", "ip_address", "datetime"], columns)


def apply_bulk(access: OrgAccess, action: str, selection: Selection,
               expected: Expected | None = None, ip_address: str | None = None) -> BulkResult:
    """Admins and up: apply `action` to `selection` in the current transaction (the caller
    commits), skipping what the rules refuse and what changed since `expected` (a plan's
    `expected`). Ids of another org, unknown or no longer shown → NotFound, nothing written.
    Writes one audit entry per changed installation and one INTEGRATION_BULK_<ACTION> entry
    with the counts."""
    access.require(Capability.MANAGE_INTEGRATIONS)
    status_action = get_action(action)
    expected = expected or Expected()
    org = access.organization
    policy = get_policy(org)
    selection = _with_policy(org, selection, policy)
    now = utcnow()
    selected = _selection_terms(org, selection)
    if selection.ids:
        require_ids(org, selection.ids)
    stale = _stale_terms(expected, expected.planned_at or now)
    target = [*selected, not_(stale), _allowed_terms(status_action, policy)]
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock what will change, so its audit entries and its UPDATE see the same rows.
        db.session.execute(select(func.count()).select_from(
            select(OI.id).where(*target).with_for_update().subquery()))
    token = uuid.uuid4().hex
    db.session.execute(_audit_rows(org, access.user.id, status_action, token, target, now,
                                   ip_address))
    groups = db.session.execute(
        select(OI.integration_provider, OI.status, func.count(),
               func.coalesce(func.sum(case((stale, 1), else_=0)), 0))
        .where(*selected).group_by(OI.integration_provider, OI.status)
    ).all()
    result = type_cast(CursorResult[Any], db.session.execute(
        update(OI).where(*target)
        .values(status=int(status_action.to), version=OI.version + 1, date_updated=now)
        .execution_options(synchronize_session=False)
    ))
    changed = result.rowcount or 0
    counted: list[tuple[str | None, int]] = []
    for provider, status, count, stale_count in groups:
        counted += [(STALE_REASON, stale_count),
                    (action_refusal(status_action, status, provider, policy), count - stale_count)]
    skipped = _skips((reason, count) for reason, count in counted if reason is not None)
    if selection.ids:
        skipped = _skips([*((s.reason, s.count) for s in skipped),
                          (GONE_REASON, len(selection.ids) - sum(n for _, n in counted))])
    entry = record_audit(
        event=BULK_EVENT.format(status_action.name.upper()), actor=access.user,
        organization=org, target_type=BULK_TARGET,
        target_object=f"{changed} {'installation' if changed == 1 else 'installations'}",
        data={"bulk": token, "action": status_action.name, **selection.as_dict(),
              "changed": changed, "skipped": [[s.reason, s.count] for s in skipped]},
        ip_address=ip_address)
    db.session.flush()
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, OI):  # the UPDATE went around the ORM: reload what it changed
            db.session.expire(obj)
    return BulkResult(status_action, changed, skipped, entry.id)


def get_bulk_result(access: OrgAccess, entry_id: int) -> tuple[BulkResult, AuditLogEntry]:
    """Admins and up: what the bulk action audited as `entry_id` did (its result page), with
    the entry; NotFound for another org's entry or one that is not a bulk action's."""
    access.require(Capability.MANAGE_INTEGRATIONS)
    entry = db.session.scalar(select(AuditLogEntry).where(
        AuditLogEntry.id == entry_id, AuditLogEntry.organization_id == access.organization.id,
        AuditLogEntry.target_type == BULK_TARGET))
    if entry is None or entry.data.get("action") not in STATUS_ACTIONS:
        raise NotFound("Bulk action not found")
    data = entry.data
    skipped = [Skip(str(reason), int(count)) for reason, count in data.get("skipped", [])]
    return BulkResult(STATUS_ACTIONS[data["action"]], int(data.get("changed", 0)), skipped,
                      entry.id), entry
