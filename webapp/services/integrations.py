"""Installed integrations of an organization (SPEC §7.1, §7.5): list, filter, facets, manage.

One query builder, `org_integrations_query(org, filters)`, serves the HTML list, the CSV
export, the facet counts and (later) the JSON API. Every filter is applied in SQL before
pagination. Filters that name providers indirectly (`features`, `integration_type`) are
turned into a set of provider keys from the code catalog (§4.1) and applied as
`integration.provider IN (...)`, so the database never needs to know the catalog.

Facet counts and the result count come from ONE grouped query: rows matching the filters
that are not facets (`q`) counted per (provider, status). Every facet is a function of
provider and status only, so each facet "given the other filters" and the exact total are
computed from that small matrix in Python, using the same provider-set rules as the SQL.

Functions take plain Python values (no WTForms, no request): the pages and the API share
them. Changes add their audit entry to the current transaction; the caller commits both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy import Select, case, delete, func, select, update
from sqlalchemy.orm import contains_eager, defer

from webapp.catalog.features import IntegrationFeatures, parse_integration_feature
from webapp.catalog.providers import DOMAINS, PROVIDERS, ConfigField, Provider, get_provider
from webapp.extensions import db
from webapp.models import (
    VISIBLE_STATUSES,
    AuditLogEntry,
    Integration,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    User,
    utcnow,
)
from webapp.services.audit import diff_values, record_audit
from webapp.services.errors import Conflict, NotFound, StaleEdit, ValidationFailed

TARGET_TYPE = "organization_integration"

SORTS: tuple[str, ...] = (
    "name", "-name", "provider", "-provider", "status", "-status", "date_added", "-date_added",
)
DEFAULT_SORT = "name"
FILTER_STATUSES: tuple[ObjectStatus, ...] = tuple(VISIBLE_STATUSES)
Q_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 1000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


# -- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegrationFilters:
    """A validated filter set (SPEC §6.1 names). Empty tuples / None mean "no filter"."""

    q: str = ""
    provider_keys: tuple[str, ...] = ()
    features: tuple[IntegrationFeatures, ...] = ()
    integration_type: str | None = None
    statuses: tuple[ObjectStatus, ...] = ()
    include_config: bool = True
    sort: str = DEFAULT_SORT

    def is_filtered(self) -> bool:
        """True when a filter narrows the list (sort and include_config do not)."""
        return bool(self.q or self.provider_keys or self.features or self.integration_type
                    or self.statuses)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (audit entries of exports, saved views)."""
        data = asdict(self)
        data["provider_keys"] = list(self.provider_keys)
        data["features"] = [str(f.value) for f in self.features]
        data["statuses"] = [s.label for s in self.statuses]
        return data


def _has_control_characters(text: str, allowed: str = "\t\n\r") -> bool:
    """NUL and other control characters (PostgreSQL refuses NUL in text and JSON)."""
    return any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in text)


def _values(raw: Mapping[str, object], *names: str) -> list[str]:
    """Every value given for any of `names` (repeatable args; a plain string counts once)."""
    out: list[str] = []
    for name in names:
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, str | bytes):
            value = [value]
        for item in value:  # type: ignore[union-attr]
            out.append(item if isinstance(item, str) else str(item))
    return out


def _dedupe(items: Iterable) -> tuple:
    seen: dict = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


def parse_integration_filters(raw: Mapping[str, object]) -> IntegrationFilters:
    """Validate list filters given as {name: [values]} (e.g. request.args.to_dict(flat=False)).

    Accepts the API spellings too (`providerKey`, `integrationType`, `includeConfig`).
    Empty values are ignored. Raises ValidationFailed({field: [message]}) for bad values.
    """
    errors: dict[str, list[str]] = {}

    q_values = [v.strip() for v in _values(raw, "q") if v.strip()]
    q = q_values[-1] if q_values else ""
    if len(q) > Q_MAX_LENGTH:
        errors.setdefault("q", []).append(f"Search text must be at most {Q_MAX_LENGTH} characters.")
    elif _has_control_characters(q, allowed=""):
        errors.setdefault("q", []).append("Search text cannot contain control characters.")

    provider_keys = []
    for value in _values(raw, "provider_key", "providerKey"):
        key = value.strip()
        if not key:
            continue
        if key not in PROVIDERS:
            errors.setdefault("provider_key", []).append(f"Unknown provider: {key}")
        else:
            provider_keys.append(key)

    features = []
    for value in _values(raw, "features"):
        if not value.strip():
            continue
        feature = parse_integration_feature(value)
        if feature is None:
            errors.setdefault("features", []).append(f"Unknown feature: {value.strip()}")
        else:
            features.append(feature)

    integration_type = None
    type_values = [v.strip() for v in _values(raw, "integration_type", "integrationType") if v.strip()]
    if type_values:
        integration_type = type_values[-1]
        if integration_type not in DOMAINS or len(set(type_values)) > 1:
            errors.setdefault("integration_type", []).append("Invalid integration type")

    statuses = []
    for value in _values(raw, "status"):
        if not value.strip():
            continue
        status = ObjectStatus.from_label(value)
        if status is None or status not in FILTER_STATUSES:
            errors.setdefault("status", []).append(
                f"Unknown status: {value.strip()} (use active, disabled or pending_deletion)"
            )
        else:
            statuses.append(status)

    include_config = True
    config_values = [v.strip().lower() for v in _values(raw, "include_config", "includeConfig") if v.strip()]
    if config_values:
        if config_values[-1] in _TRUE:
            include_config = True
        elif config_values[-1] in _FALSE:
            include_config = False
        else:
            errors.setdefault("include_config", []).append("Must be 1 (show) or 0 (hide).")

    sort = DEFAULT_SORT
    sort_values = [v.strip() for v in _values(raw, "sort") if v.strip()]
    if sort_values:
        sort = sort_values[-1]
        if sort not in SORTS:
            errors.setdefault("sort", []).append(
                f"Unknown sort: {sort}. Use one of: {', '.join(SORTS)}."
            )

    if errors:
        raise ValidationFailed(errors)
    return IntegrationFilters(
        q=q,
        provider_keys=_dedupe(provider_keys),
        features=_dedupe(features),
        integration_type=integration_type,
        statuses=_dedupe(statuses),
        include_config=include_config,
        sort=sort,
    )


# -- provider sets: the one rule used by the SQL filter and by the facet arithmetic ----------


def providers_with_features(features: Iterable[IntegrationFeatures]) -> set[str]:
    """Keys of catalog providers that have ANY of the features."""
    wanted = set(features)
    return {key for key, provider in PROVIDERS.items() if wanted & set(provider.features)}


def providers_in_domain(domain: str) -> set[str]:
    """Keys of catalog providers of one domain (`integration_type`)."""
    return {key for key, provider in PROVIDERS.items() if provider.domain == domain}


def allowed_providers(filters: IntegrationFilters) -> set[str] | None:
    """The provider keys the provider-ish filters allow; None when they allow every provider."""
    allowed: set[str] | None = None
    if filters.provider_keys:
        allowed = set(filters.provider_keys)
    if filters.features:
        keys = providers_with_features(filters.features)
        allowed = keys if allowed is None else allowed & keys
    if filters.integration_type:
        keys = providers_in_domain(filters.integration_type)
        allowed = keys if allowed is None else allowed & keys
    return allowed


def allowed_statuses(filters: IntegrationFilters) -> tuple[ObjectStatus, ...]:
    """The statuses shown: the chosen ones, else every visible status."""
    return filters.statuses or FILTER_STATUSES


# -- the query ------------------------------------------------------------------------------


def _provider_name_order():
    """Provider display name as an SQL expression (sorting by what the user sees)."""
    whens = {key: provider.name.lower() for key, provider in PROVIDERS.items()}
    return case(whens, value=Integration.provider, else_=Integration.provider)


def _order_by(sort: str) -> list:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    oi = OrganizationIntegration
    if key == "provider":
        primary = [_provider_name_order(), Integration.name]
    elif key == "status":
        primary = [oi.status, Integration.name]
    elif key == "date_added":
        primary = [oi.date_added]
    else:
        primary = [Integration.name]
    columns = primary + [oi.id]
    return [c.desc() for c in columns] if descending else [c.asc() for c in columns]


def org_integrations_query(org: Organization, filters: IntegrationFilters) -> Select:
    """The org's installations matching `filters`, sorted: the one query behind every list.

    Selects OrganizationIntegration with its Integration loaded by the same JOIN. Never
    returns deletion_in_progress rows or other orgs' rows. Callers reshape it
    (`with_only_columns` for counts and facets, `limit/offset` for pages).
    """
    oi = OrganizationIntegration
    query = (
        select(oi)
        .join(Integration, Integration.id == oi.integration_id)
        .options(contains_eager(oi.integration))
        .where(oi.organization_id == org.id)
        .where(oi.status.in_([int(s) for s in allowed_statuses(filters)]))
    )
    providers = allowed_providers(filters)
    if providers is not None:
        query = query.where(Integration.provider.in_(sorted(providers)))
    if filters.q:
        query = query.where(
            Integration.name.icontains(filters.q, autoescape=True)
            | Integration.external_id.icontains(filters.q, autoescape=True)
        )
    if not filters.include_config:
        query = query.options(defer(oi.config))
    return query.order_by(*_order_by(filters.sort))


@dataclass
class Facets:
    """Counts per filter choice, each given the OTHER filters; `total` = rows of all filters."""

    providers: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    integration_types: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    total: int = 0


def _status_matrix(org: Organization, filters: IntegrationFilters) -> dict[tuple[str, int], int]:
    """{(provider, status): count} of the org's rows matching the non-facet filters (q)."""
    base = replace(filters, provider_keys=(), features=(), integration_type=None, statuses=(),
                   sort=DEFAULT_SORT)
    query = (
        org_integrations_query(org, base)
        .with_only_columns(Integration.provider, OrganizationIntegration.status, func.count(),
                           maintain_column_froms=True)
        .group_by(Integration.provider, OrganizationIntegration.status)
        .order_by(None)
    )
    return {(provider, status): count for provider, status, count in db.session.execute(query)}


def facet_counts(org: Organization, filters: IntegrationFilters) -> Facets:
    """Facet counts for the filter form and the exact result count, in one grouped query."""
    matrix = _status_matrix(org, filters)
    statuses = {int(s) for s in allowed_statuses(filters)}

    def total(provider_ok, status_ok=lambda s: s in statuses) -> int:
        return sum(n for (p, s), n in matrix.items() if provider_ok(p) and status_ok(s))

    def within(allowed: set[str] | None):
        return (lambda p: True) if allowed is None else (lambda p: p in allowed)

    facets = Facets()
    facets.total = total(within(allowed_providers(filters)))

    others = within(allowed_providers(replace(filters, provider_keys=())))
    for key in PROVIDERS:
        facets.providers[key] = total(lambda p, key=key: p == key and others(p))

    provider_ok = within(allowed_providers(filters))
    for status in FILTER_STATUSES:
        facets.statuses[status.label] = total(provider_ok, lambda s, status=status: s == status)

    others = within(allowed_providers(replace(filters, integration_type=None)))
    in_domain = {d: providers_in_domain(d) for d in DOMAINS}
    for domain in DOMAINS:
        facets.integration_types[domain] = total(
            lambda p, domain=domain: p in in_domain[domain] and others(p)
        )

    others = within(allowed_providers(replace(filters, features=())))
    for feature in IntegrationFeatures:
        having = providers_with_features([feature])
        facets.features[str(feature.value)] = total(lambda p, having=having: p in having and others(p))
    return facets


@dataclass
class IntegrationPage:
    """One page of installations (views wrap it in their pager's Page)."""

    items: list[OrganizationIntegration]
    total: int
    page: int
    per_page: int


def count_org_integrations(org: Organization, filters: IntegrationFilters) -> int:
    """How many installations match `filters` (one COUNT over the same query)."""
    query = (
        org_integrations_query(org, filters)
        .with_only_columns(func.count(), maintain_column_froms=True)
        .order_by(None)
    )
    return db.session.scalar(query) or 0


def list_org_integrations(
    org: Organization, filters: IntegrationFilters, page: int = 1, per_page: int = 25,
    total: int | None = None,
) -> IntegrationPage:
    """One page of the filtered, sorted list (two queries; one when `total` is known).

    `total`: pass `facet_counts(...).total` when already computed, to skip the count query.
    A page past the end shows the last page (a shared link still lands on rows).
    """
    per_page = max(1, min(int(per_page), 100))
    if total is None:
        total = count_org_integrations(org, filters)
    pages = max(1, -(-total // per_page))
    page = max(1, min(int(page), pages))
    items: list[OrganizationIntegration] = []
    if total:
        query = org_integrations_query(org, filters).limit(per_page).offset((page - 1) * per_page)
        items = list(db.session.scalars(query).unique())
    return IntegrationPage(items=items, total=total, page=page, per_page=per_page)


def iter_org_integrations(
    org: Organization, filters: IntegrationFilters, batch: int = 500
) -> Iterator[OrganizationIntegration]:
    """Every matching row in order, streamed in batches (CSV export over all pages)."""
    query = org_integrations_query(org, filters).execution_options(yield_per=batch)
    yield from db.session.scalars(query)


def provider_installations(org: Organization, provider_key: str, limit: int = 10) -> IntegrationPage:
    """The provider page's list: the org's installations of one provider, first `limit`."""
    return list_org_integrations(org, IntegrationFilters(provider_keys=(provider_key,)), 1, limit)


# -- one installation -----------------------------------------------------------------------


def get_org_integration(org: Organization, integration_id: int | str) -> OrganizationIntegration:
    """The org's installation of Integration `integration_id` (the id in Sentry's URLs).

    NotFound for another org's, a missing, or a deletion_in_progress installation.
    """
    try:
        integration_id = int(integration_id)
    except (TypeError, ValueError):
        raise NotFound("Integration not found") from None
    oi = db.session.scalars(
        select(OrganizationIntegration)
        .join(Integration, Integration.id == OrganizationIntegration.integration_id)
        .options(contains_eager(OrganizationIntegration.integration))
        .where(
            OrganizationIntegration.organization_id == org.id,
            OrganizationIntegration.integration_id == integration_id,
            OrganizationIntegration.status != int(ObjectStatus.DELETION_IN_PROGRESS),
        )
    ).first()
    if oi is None:
        raise NotFound("Integration not found")
    return oi


def provider_of(oi: OrganizationIntegration) -> Provider | None:
    """The catalog provider of an installation (None for a provider this version lacks)."""
    return get_provider(oi.integration.provider)


def _default(field_: ConfigField) -> object:
    default = field_.default
    if isinstance(default, tuple):
        return list(default)
    if default is None:
        return False if field_.type == "boolean" else ([] if field_.type == "multichoice" else "")
    return default


def config_values(oi: OrganizationIntegration) -> dict[str, object]:
    """The schema fields' effective values: the stored value, else the field's default."""
    provider = provider_of(oi)
    stored = oi.config or {}
    if provider is None:
        return {}
    return {f.name: stored.get(f.name, _default(f)) for f in provider.config_schema}


def extra_config(oi: OrganizationIntegration) -> dict[str, object]:
    """Stored config keys outside the provider's schema (shown read-only, never dropped)."""
    provider = provider_of(oi)
    names = {f.name for f in provider.config_schema} if provider else set()
    return {k: v for k, v in sorted((oi.config or {}).items()) if k not in names}


def config_summary(oi: OrganizationIntegration, limit: int = 3) -> str:
    """A short one-line summary of the stored config for list rows (stored keys only)."""
    config = oi.config or {}
    if not config:
        return ""
    parts = []
    for key in sorted(config)[:limit]:
        value = config[key]
        if isinstance(value, bool):
            text = "on" if value else "off"
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value) or "—"
        else:
            text = str(value) if value not in (None, "") else "—"
        parts.append(f"{key}: {text[:40]}")
    more = len(config) - limit
    return " · ".join(parts) + (f" · +{more} more" if more > 0 else "")


def _clean_value(field_: ConfigField, value: object) -> tuple[object, str | None]:
    """(cleaned value, error message or None) for one schema field."""
    choices = [c for c, _ in field_.choices]
    if field_.type == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE, None
        return None, "Must be true or false."
    if field_.type == "text":
        if value is None:
            value = ""
        if not isinstance(value, str):
            return None, "Must be text."
        value = value.strip()
        if len(value) > TEXT_MAX_LENGTH:
            return None, f"Must be at most {TEXT_MAX_LENGTH} characters."
        if _has_control_characters(value):
            return None, "Cannot contain control characters."
        return value, None
    if field_.type == "choice":
        if not isinstance(value, str) or value not in choices:
            return None, f"Not a valid choice: {value!s}. Choose one of: {', '.join(choices)}."
        return value, None
    if field_.type == "multichoice":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return None, "Must be a list of choices."
        unknown = [v for v in value if v not in choices]
        if unknown:
            return None, f"Not a valid choice: {', '.join(unknown)}. Choose from: {', '.join(choices)}."
        return [c for c in choices if c in value], None  # catalog order, no duplicates
    return None, "Unsupported field type."


def update_integration_config(
    actor: User | None,
    oi: OrganizationIntegration,
    values: Mapping[str, object],
    expected_version: int | None,
    ip_address: str | None = None,
) -> dict[str, dict[str, object]]:
    """Admins and up: merge `values` (schema field names only) into the stored config.

    Keys outside the provider's schema → field error; other stored keys are kept.
    `expected_version` (None = no check, as the API's plain POST) older than the record →
    StaleEdit listing the differing fields; nothing is written. Writes INTEGRATION_EDIT with
    before/after in the current transaction. Returns the changes (empty: nothing to save).
    """
    provider = provider_of(oi)
    if oi.status == int(ObjectStatus.PENDING_DELETION):
        raise Conflict("This installation is pending deletion; its configuration can no longer change.")
    schema = {f.name: f for f in provider.config_schema} if provider else {}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    for name, value in values.items():
        if name not in schema:
            errors.setdefault(name, []).append(
                f"Unknown field: {name} is not part of the "
                f"{provider.name if provider else oi.integration.provider} configuration."
            )
            continue
        clean, error = _clean_value(schema[name], value)
        if error:
            errors.setdefault(name, []).append(error)
        else:
            cleaned[name] = clean
    if errors:
        raise ValidationFailed(errors)

    current = config_values(oi)
    if expected_version is not None and int(expected_version) != oi.version:
        changes = {name: (mine, current.get(name)) for name, mine in cleaned.items()
                   if current.get(name) != mine}
        raise StaleEdit(changes or {"version": (int(expected_version), oi.version)})

    before = {name: current.get(name) for name in cleaned}
    changes = diff_values(before, cleaned)
    if not changes:
        return {}
    oi.config = {**(oi.config or {}), **cleaned}
    record_audit(
        event="INTEGRATION_EDIT",
        actor=actor,
        organization=oi.organization,
        target_type=TARGET_TYPE,
        target_id=oi.id,
        target_object=oi.integration.name,
        data={"changes": changes, "provider": oi.integration.provider,
              "integration_id": oi.integration_id},
        ip_address=ip_address,
    )
    db.session.flush()
    return changes


def _status_change(actor, oi, new_status: ObjectStatus, event: str, ip_address) -> None:
    before = ObjectStatus(oi.status).label
    oi.status = int(new_status)
    record_audit(
        event=event,
        actor=actor,
        organization=oi.organization,
        target_type=TARGET_TYPE,
        target_id=oi.id,
        target_object=oi.integration.name,
        data={"changes": {"status": {"before": before, "after": new_status.label}},
              "provider": oi.integration.provider, "integration_id": oi.integration_id},
        ip_address=ip_address,
    )
    db.session.flush()


def disable_reason(oi: OrganizationIntegration) -> str | None:
    """Why this installation cannot be disabled now, or None when it can."""
    provider = provider_of(oi)
    if oi.status != int(ObjectStatus.ACTIVE):
        return "Only an active installation can be disabled."
    if provider is not None and not provider.can_disable:
        return f"{provider.name} installations cannot be disabled here; uninstall it instead."
    return None


def disable_integration(actor: User | None, oi: OrganizationIntegration,
                        ip_address: str | None = None) -> None:
    """Admins and up: set the org-level status to disabled (INTEGRATION_DISABLE)."""
    reason = disable_reason(oi)
    if reason:
        raise Conflict(reason)
    _status_change(actor, oi, ObjectStatus.DISABLED, "INTEGRATION_DISABLE", ip_address)


def enable_integration(actor: User | None, oi: OrganizationIntegration,
                       ip_address: str | None = None) -> None:
    """Admins and up: set a disabled installation back to active (INTEGRATION_ENABLE)."""
    if oi.status != int(ObjectStatus.DISABLED):
        raise Conflict("Only a disabled installation can be enabled.")
    _status_change(actor, oi, ObjectStatus.ACTIVE, "INTEGRATION_ENABLE", ip_address)


def uninstall_integration(actor: User | None, oi: OrganizationIntegration,
                          ip_address: str | None = None) -> None:
    """Admins and up: mark an active or disabled installation pending deletion
    (INTEGRATION_REMOVE); `run_deletions()` finishes the job."""
    if oi.status not in (int(ObjectStatus.ACTIVE), int(ObjectStatus.DISABLED)):
        raise Conflict("This installation is already being uninstalled.")
    _status_change(actor, oi, ObjectStatus.PENDING_DELETION, "INTEGRATION_REMOVE", ip_address)


@dataclass
class UninstallImpact:
    """What an uninstall removes and what it keeps (for the confirmation page)."""

    stored_settings: int
    schema_settings: int
    extra_settings: int
    other_organizations: int
    history_entries: int


def uninstall_impact(oi: OrganizationIntegration) -> UninstallImpact:
    """Counts for the confirmation page (one query)."""
    provider = provider_of(oi)
    names = {f.name for f in provider.config_schema} if provider else set()
    config = oi.config or {}
    other_orgs = (
        select(func.count())
        .select_from(OrganizationIntegration)
        .where(OrganizationIntegration.integration_id == oi.integration_id,
               OrganizationIntegration.organization_id != oi.organization_id)
        .scalar_subquery()
    )
    history = (
        select(func.count())
        .select_from(AuditLogEntry)
        .where(AuditLogEntry.target_type == TARGET_TYPE, AuditLogEntry.target_id == oi.id)
        .scalar_subquery()
    )
    other_count, history_count = db.session.execute(select(other_orgs, history)).one()
    return UninstallImpact(
        stored_settings=len(config),
        schema_settings=len([k for k in config if k in names]),
        extra_settings=len([k for k in config if k not in names]),
        other_organizations=other_count,
        history_entries=history_count,
    )


def run_deletions(batch: int = 500) -> int:
    """Operators (CLI): finish uninstalls. Every pending_deletion installation goes to
    deletion_in_progress (committed, so pages stop showing it), then its row — the org link
    with its config — is deleted. The Integration row stays. Safe to run concurrently or
    again after a crash (rows left in progress are picked up). Returns rows deleted."""
    oi = OrganizationIntegration
    db.session.execute(
        update(oi)
        .where(oi.status == int(ObjectStatus.PENDING_DELETION))
        .values(status=int(ObjectStatus.DELETION_IN_PROGRESS), version=oi.version + 1,
                date_updated=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    deleted = 0
    while True:
        ids = list(db.session.scalars(
            select(oi.id).where(oi.status == int(ObjectStatus.DELETION_IN_PROGRESS))
            .order_by(oi.id).limit(batch)
        ))
        if not ids:
            break
        result = db.session.execute(
            delete(oi).where(oi.id.in_(ids), oi.status == int(ObjectStatus.DELETION_IN_PROGRESS))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        deleted += result.rowcount or 0
    db.session.expire_all()
    return deleted
