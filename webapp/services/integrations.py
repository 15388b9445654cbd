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
from functools import lru_cache

from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import contains_eager, defer
from sqlalchemy.sql.compiler import SQLCompiler

from webapp.catalog.features import IntegrationFeatures, parse_integration_feature
from webapp.catalog.providers import DOMAINS, PROVIDERS, ConfigField, Provider, get_provider
from webapp.direct_reads import direct_read
from webapp.extensions import begin_streamed_read, db, read_rows
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
from webapp.models.integrations import OrganizationIntegrationCount
from webapp.services.audit import diff_values, record_audit
from webapp.services.errors import Conflict, NotFound, StaleEdit, ValidationFailed
from webapp.services.ids import parse_id

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
    return _allowed_providers(filters.provider_keys, filters.features, filters.integration_type)


def _allowed_providers(provider_keys: tuple[str, ...], features: tuple[IntegrationFeatures, ...],
                       integration_type: str | None) -> set[str] | None:
    """allowed_providers of these three filters (the facets drop one of them at a time)."""
    allowed: set[str] | None = None
    if provider_keys:
        allowed = set(provider_keys)
    if features:  # the sets below, computed once (every list page asks, 4 times)
        keys = set().union(*(_FEATURE_PROVIDERS[feature] for feature in features))
        allowed = keys if allowed is None else allowed & keys
    if integration_type:
        keys = set(_DOMAIN_PROVIDERS.get(integration_type) or providers_in_domain(integration_type))
        allowed = keys if allowed is None else allowed & keys
    return allowed


def allowed_statuses(filters: IntegrationFilters) -> tuple[ObjectStatus, ...]:
    """The statuses shown: the chosen ones, else every visible status."""
    return filters.statuses or FILTER_STATUSES


# The same sets, computed once per feature and domain (allowed_providers unions them).
_DOMAIN_PROVIDERS = {domain: frozenset(providers_in_domain(domain)) for domain in DOMAINS}
_FEATURE_PROVIDERS = {feature: frozenset(providers_with_features([feature]))
                      for feature in IntegrationFeatures}
_FEATURE_FACETS = [(str(feature.value), providers)  # the features facet's choices, in order
                   for feature, providers in _FEATURE_PROVIDERS.items()]


# -- the query ------------------------------------------------------------------------------
#
# organization_integration carries trigger-kept copies of its Integration's name, provider
# and external id (migration 0003), so every filter and sort of the list reads one org's
# rows from a covering index, without joining integration; only the rows of the page are
# joined to their Integration. The result count and facet counts come from
# organization_integration_count (kept exact by triggers in the same transaction as every
# write), so no request counts the org's rows unless `q` asks for a substring search.

OI = OrganizationIntegration


def _sqlite_from_hint(compiler, table, text):
    """Render `select(...).with_hint(table, "INDEXED BY ix", "sqlite")` after the table name.

    SQLAlchemy's SQLite compiler drops FROM hints (it has no `get_from_hint_text`); the page
    queries name the index that matches their order, because SQLite has no statistics on a
    database that was never ANALYZEd and could otherwise pick an index that forces a sort
    of the whole org. Only statements that ask for a "sqlite" hint are affected.
    """
    return text


if SQLiteCompiler.get_from_hint_text is SQLCompiler.get_from_hint_text:
    SQLiteCompiler.get_from_hint_text = _sqlite_from_hint

# The covering index that serves each in-part order (see the model's docstring).
INDEX_BY_NAME = "ix_org_integration_org_name"  # (org, name, id, provider, status, external_id)
INDEX_BY_PROVIDER = "ix_org_integration_org_provider_name"  # (org, provider, name, id, status)
INDEX_BY_STATUS = "ix_org_integration_org_status_name"  # (org, status, name, id, provider)
INDEX_BY_DATE = "ix_org_integration_org_date_added_id"  # (org, date_added, id, provider, status)


def provider_sort_name(key: str) -> str:
    """What the provider sort orders by: the provider's display name, lowercased (the key
    itself for a provider this version does not know)."""
    provider = PROVIDERS.get(key)
    return provider.name.lower() if provider else key


def _provider_name_order():
    """Provider display name as an SQL expression (sorting by what the user sees)."""
    whens = {key: provider.name.lower() for key, provider in PROVIDERS.items()}
    return case(whens, value=OI.integration_provider, else_=OI.integration_provider)


def _order_by(sort: str) -> list:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "provider":
        primary = [_provider_name_order(), OI.integration_name]
    elif key == "status":
        primary = [OI.status, OI.integration_name]
    elif key == "date_added":
        primary = [OI.date_added]
    else:
        primary = [OI.integration_name]
    columns = primary + [OI.id]
    return [c.desc() for c in columns] if descending else [c.asc() for c in columns]


def like_pattern(q: str) -> str:
    """`q` as a case-insensitive LIKE pattern for "contains" (escape character "/")."""
    escaped = q.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _q_condition():
    """Name or external id contains the bound `q_pattern` (see `like_pattern`)."""
    pattern = bindparam("q_pattern", type_=String())
    return (func.lower(OI.integration_name).like(pattern, escape="/")
            | func.lower(OI.integration_external_id).like(pattern, escape="/"))


def _terms(providers: tuple[str, ...] | None, statuses: tuple[int, ...], has_q: bool) -> list:
    """WHERE terms on organization_integration alone (no join): the org (bound `org_id`),
    the statuses and providers (fixed sets: part of the statement's shape, so written as
    plain IN lists — an "expanding" IN would re-render the SQL on every execution), `q`."""
    terms = [OI.organization_id == bindparam("org_id", type_=Integer())]
    if len(statuses) == 1:
        terms.append(OI.status == literal_column(str(int(statuses[0]))))
    else:
        terms.append(OI.status.in_([literal_column(str(int(s))) for s in statuses]))
    if providers is not None:
        values = [bindparam(None, value=p, type_=String(), unique=True) for p in providers]
        terms.append(OI.integration_provider == values[0] if len(values) == 1
                     else OI.integration_provider.in_(values))
    if has_q:
        terms.append(_q_condition())
    return terms


def _shape_sets(filters: IntegrationFilters, providers=None, statuses=None):
    """(providers, statuses) as sorted tuples: the given ones, else what the filters allow."""
    if statuses is None:
        statuses = [int(s) for s in allowed_statuses(filters)]
    if providers is None:
        providers = allowed_providers(filters)
    return (None if providers is None else tuple(sorted(providers))), tuple(sorted(statuses))


def _params(org: Organization, filters: IntegrationFilters) -> dict[str, object]:
    params: dict[str, object] = {"org_id": org.id}
    if filters.q:
        params["q_pattern"] = like_pattern(filters.q)
    return params


def org_integrations_query(org: Organization, filters: IntegrationFilters) -> Select:
    """The org's installations matching `filters`, sorted: the one definition of the list.

    Selects OrganizationIntegration with its Integration loaded by the same JOIN. Never
    returns deletion_in_progress rows or other orgs' rows. Filters and order use the
    installation's own columns (indexed), so `limit`/`offset` over it read rows in index
    order for the name and date sorts. The CSV export streams it; the pages use
    `list_org_integrations`, which plans each page from the exact per-group counts.
    """
    providers, statuses = _shape_sets(filters)
    query = (
        select(OI)
        .join(Integration, Integration.id == OI.integration_id)
        .options(contains_eager(OI.integration))
        .where(*_terms(providers, statuses, bool(filters.q)))
    )
    if not filters.include_config:
        query = query.options(defer(OI.config))
    return query.order_by(*_order_by(filters.sort)).params(**_params(org, filters))


@dataclass
class Facets:
    """Counts per filter choice, each given the OTHER filters; `total` = rows of all filters.

    `matrix` is what they are computed from ({(provider, status): rows} of the rows matching
    `q`); pass the Facets to `list_org_integrations` so the page is planned from it.
    """

    providers: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    integration_types: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    total: int = 0
    matrix: dict[tuple[str, int], int] = field(default_factory=dict, repr=False)


@lru_cache(maxsize=8)
def _matrix_statement(has_q: bool) -> Select:
    if not has_q:
        counts = OrganizationIntegrationCount
        return direct_read(select(counts.provider, counts.status, counts.count).where(
            counts.organization_id == bindparam("org_id", type_=Integer()), counts.count > 0,
        ))
    return direct_read(
        select(OI.integration_provider, OI.status, func.count())
        .where(*_terms(None, tuple(int(s) for s in FILTER_STATUSES), True))
        .group_by(OI.integration_provider, OI.status)
        .with_hint(OI, f"INDEXED BY {INDEX_BY_NAME}", "sqlite")
    )


def _status_matrix_query(org: Organization, filters: IntegrationFilters) -> Select:
    """The one statement behind the counts (see `_status_matrix`), with its values bound."""
    return _matrix_statement(bool(filters.q)).params(**_params(org, filters))


def _status_matrix(org: Organization, filters: IntegrationFilters) -> dict[tuple[str, int], int]:
    """{(provider, status): count} of the org's rows matching the non-facet filters (`q`),
    in one statement. Facets and totals only ever sum the visible statuses.

    Without `q`: the ≤ 60 rows of organization_integration_count (exact: kept by triggers),
    deletion_in_progress included (the page planner counts the index entries it may skip).
    With `q`: a grouped count of the org's visible rows over the name index (a substring
    search cannot use a b-tree, so this reads every index entry of the org — never the
    table rows); the search box is the one request whose cost grows with the org.
    """
    rows = read_rows(_matrix_statement(bool(filters.q)), _params(org, filters))
    return {(provider, status): count for provider, status, count in rows}


def _total(matrix: dict[tuple[str, int], int], filters: IntegrationFilters) -> int:
    """How many rows match every filter: the matrix groups the filters allow."""
    allowed = allowed_providers(filters)
    statuses = {int(s) for s in allowed_statuses(filters)}
    return sum(n for (provider, status), n in matrix.items()
               if status in statuses and (allowed is None or provider in allowed))


def result_counts(org: Organization, filters: IntegrationFilters) -> Facets:
    """The matrix and the total of facet_counts without the per-choice counts (what a
    page without a filter form needs: the API); one statement."""
    matrix = _status_matrix(org, filters)
    return Facets(matrix=matrix, total=_total(matrix, filters))


def facet_counts(org: Organization, filters: IntegrationFilters) -> Facets:
    """Facet counts for the filter form and the exact result count, in one statement."""
    matrix = _status_matrix(org, filters)
    statuses = {int(s) for s in allowed_statuses(filters)}
    # Rows per provider for the statuses the filters allow, and per status for every
    # provider: each facet below sums a few of these (≤ 15 providers × 3 statuses).
    per_provider: dict[str, int] = {}
    per_status_provider: dict[int, dict[str, int]] = {int(s): {} for s in FILTER_STATUSES}
    for (provider, status), n in matrix.items():
        if status in statuses:
            per_provider[provider] = per_provider.get(provider, 0) + n
        if status in per_status_provider:
            bucket = per_status_provider[status]
            bucket[provider] = bucket.get(provider, 0) + n

    def rows_of(allowed: set[str] | None) -> int:
        if allowed is None:
            return sum(per_provider.values())
        return sum(n for p, n in per_provider.items() if p in allowed)

    facets = Facets(matrix=matrix, total=_total(matrix, filters))
    keys, features, kind = filters.provider_keys, filters.features, filters.integration_type
    allowed = _allowed_providers(keys, features, kind)

    others = _allowed_providers((), features, kind)
    facets.providers = {key: per_provider.get(key, 0) if others is None or key in others else 0
                        for key in PROVIDERS}

    for status in FILTER_STATUSES:
        bucket = per_status_provider[int(status)]
        facets.statuses[status.label] = (sum(bucket.values()) if allowed is None
                                         else sum(n for p, n in bucket.items() if p in allowed))

    others = _allowed_providers(keys, features, None)
    for domain in DOMAINS:
        in_domain = _DOMAIN_PROVIDERS[domain]
        facets.integration_types[domain] = rows_of(
            in_domain if others is None else in_domain & others)

    others = _allowed_providers(keys, (), kind)
    facets.features = {value: rows_of(having if others is None else having & others)
                       for value, having in _FEATURE_FACETS}
    return facets


@dataclass
class IntegrationPage:
    """One page of installations (views wrap it in their pager's Page)."""

    items: list  # OrganizationIntegration objects, or lean rows (list_org_integrations)
    total: int
    page: int
    per_page: int


def count_org_integrations(org: Organization, filters: IntegrationFilters) -> int:
    """How many installations match `filters` (one small statement; exact)."""
    return result_counts(org, filters).total


# -- page planning: read about one page of index entries whatever the org's size ------------
#
# The per-(provider, status) counts are exact, so the planner knows how many rows each
# index range holds and how many of them match. It never assumes that names, providers and
# statuses are independent (real names often contain the provider: "acme-github"): each
# candidate plan is costed by its WORST case — every row the filters refuse sorting before
# the rows it needs — and the cheapest worst case wins.

PART_OVERHEAD = 50  # index entries one more UNION ALL part is worth (planning, seeks, merge)


@dataclass(frozen=True)
class _Part:
    """One index range of a page query: rows of some providers × statuses, in-part order."""

    providers: tuple[str, ...] | None  # None: what the filters allow
    statuses: tuple[int, ...] | None
    index: str
    rank: int = 0
    offset: int = 0
    limit: int = 0


def _matching(matrix, filters: IntegrationFilters) -> dict[tuple[str, int], int]:
    """The matrix restricted to the groups the filters allow (non-empty groups only)."""
    allowed = allowed_providers(filters)
    statuses = {int(s) for s in allowed_statuses(filters)}
    return {(p, s): n for (p, s), n in matrix.items()
            if n > 0 and s in statuses and (allowed is None or p in allowed)}


def _sum_by(groups: dict[tuple[str, int], int], position: int) -> dict:
    out: dict = {}
    for key, n in groups.items():
        out[key[position]] = out.get(key[position], 0) + n
    return out


def _name_sort_plans(matrix, matching, need: int) -> list[tuple[float, list[_Part]]]:
    """Candidate plans for the first `need` rows in name order, with worst-case costs:

    - one scan of (org, name, id, …), checking provider and status in the index:
      at worst need + every row the filters refuse;
    - one part per matching provider on (org, provider, name, id, status), merged: at worst
      need + the provider's refused rows, per provider (good when few providers match);
    - one part per matching status on (org, status, name, id, provider), merged: likewise
      per status (good when a rare status is chosen).
    """
    refused = sum(matrix.values()) - sum(matching.values())
    plans = [(min(need, sum(matching.values())) + refused, [_Part(None, None, INDEX_BY_NAME)])]
    for position, index in ((0, INDEX_BY_PROVIDER), (1, INDEX_BY_STATUS)):
        population, wanted = _sum_by(matrix, position), _sum_by(matching, position)
        if not wanted:
            continue
        cost = sum(2 * min(need, n) + population[key] - n + PART_OVERHEAD
                   for key, n in wanted.items())
        parts = [_Part((key,), None, index, limit=min(n, need)) if position == 0
                 else _Part(None, (key,), index, limit=min(n, need))
                 for key, n in sorted(wanted.items())]
        plans.append((cost, parts))
    return plans


def _plan_name_sort(matrix, matching, need: int) -> list[_Part]:
    """The name-order plan with the cheapest worst case (see `_name_sort_plans`)."""
    return min(_name_sort_plans(matrix, matching, need), key=lambda plan: plan[0])[1]


def _plan_date_sort(matrix, matching, filters: IntegrationFilters, need: int) -> _Part:
    """Date order: scan (org, date_added, id, …) checking the filters in the index, or —
    when few rows match — read the matching rows by provider or status and sort them.

    The scan's cost is its expected one (need × rows / matching) times a safety factor of
    4, capped by its worst case; the other plan reads every matching row and its table row
    (those indexes do not hold date_added), counted as 10 index entries each.
    SQLite is told which index; PostgreSQL's planner chooses from its statistics.
    """
    total = sum(matching.values())
    everything = sum(matrix.values())
    scan = min(min(need, total) + everything - total, 4 * need * everything / total)
    if 10 * total < scan:
        if allowed_providers(filters) is not None:
            return _Part(None, None, INDEX_BY_PROVIDER)
        return _Part(None, None, INDEX_BY_STATUS)
    return _Part(None, None, INDEX_BY_DATE)


def _plan_segments(sizes: list[tuple[object, int]], offset: int, limit: int, make) -> list[_Part]:
    """Sorts by a group first (provider, status): the page is a slice of the groups laid end
    to end in order; each group it overlaps gives one part with its own offset and limit."""
    parts, start = [], 0
    for rank, (key, size) in enumerate(sizes):
        lo, hi = max(offset, start), min(offset + limit, start + size)
        if lo < hi:
            parts.append(replace(make(key), rank=rank, offset=lo - start, limit=hi - lo))
        start += size
        if start >= offset + limit:
            break
    return parts


def _plan(filters: IntegrationFilters, matrix, offset: int, limit: int) -> tuple[list[_Part], bool]:
    """(parts, merge): merge=True → parts are merged in name/date order; False → laid end
    to end by rank (each part already holds its slice of the page)."""
    descending = filters.sort.startswith("-")
    key = filters.sort.lstrip("-")
    matching = _matching(matrix, filters)
    need = offset + limit
    if key == "provider":
        sizes = sorted(_sum_by(matching, 0).items(), key=lambda item: provider_sort_name(item[0]),
                       reverse=descending)
        return _plan_segments(sizes, offset, limit,
                              lambda p: _Part((p,), None, INDEX_BY_PROVIDER)), False
    if key == "status":
        sizes = sorted(_sum_by(matching, 1).items(), reverse=descending)
        return _plan_segments(sizes, offset, limit,
                              lambda s: _Part(None, (s,), INDEX_BY_STATUS)), False
    if filters.q:  # the counts are of searched rows: nothing tells where the misses lie
        return [_Part(None, None, INDEX_BY_DATE if key == "date_added" else INDEX_BY_NAME)], True
    if key == "date_added":
        return [_plan_date_sort(matrix, matching, filters, need)], True
    return _plan_name_sort(matrix, matching, need), True


# Rows of plain columns instead of ORM objects (`lean` pages): what the HTML list shows,
# plus, for the API ("api"), the integration's metadata and the org id.
def _lean_columns(include_config: bool, lean: str) -> list:
    columns = [
        OI.integration_id.label("integration_id"),
        OI.integration_name.label("name"),
        OI.integration_external_id.label("external_id"),
        OI.integration_provider.label("provider"),
        OI.status.label("status"),
        Integration.status.label("integration_status"),
        OI.date_added.label("date_added"),
        OI.grace_period_end.label("grace_period_end"),
    ]
    if lean == "api":
        columns += [OI.organization_id.label("organization_id"),
                    Integration.metadata_.label("metadata")]
    if include_config:
        columns.append(OI.config.label("config"))
    return columns


@lru_cache(maxsize=512)
def _page_statement(sort: str, include_config: bool, has_q: bool, merge: bool,
                    parts: tuple[tuple[tuple[str, ...] | None, tuple[int, ...], str, int], ...],
                    lean: str | None = None) -> Select:
    """The page statement for one plan shape, built once: the org, `q`, every LIMIT and
    OFFSET are bound parameters (`org_id`, `q_pattern`, `limit_<i>`, `offset_<i>`,
    `limit`, `offset`), so a request only binds values (building SQLAlchemy statements
    costs more than running these queries). `parts`: (providers, statuses, index, rank).
    `lean` ("list" or "api"): rows of `_lean_columns` instead of OrganizationIntegration
    objects."""
    descending = sort.startswith("-")
    in_part = ([OI.date_added, OI.id] if sort.lstrip("-") == "date_added"
               else [OI.integration_name, OI.id])

    def direction(column):
        return column.desc() if descending else column.asc()

    selects = []
    for i, (providers, statuses, index, rank) in enumerate(parts):
        columns = [OI.id.label("id")] + [c.label(f"k{n}") for n, c in enumerate(in_part)]
        if not merge:
            columns.insert(0, literal_column(str(int(rank))).label("rank"))
        query = (
            select(*columns)
            .where(*_terms(providers, statuses, has_q))
            .order_by(*[direction(c) for c in in_part])
            .with_hint(OI, f"INDEXED BY {index}", "sqlite")
        )
        if merge and len(parts) == 1:
            query = query.limit(bindparam("limit", type_=Integer())).offset(bindparam("offset", type_=Integer()))
        else:
            query = query.limit(bindparam(f"limit_{i}", type_=Integer()))
            if not merge:
                query = query.offset(bindparam(f"offset_{i}", type_=Integer()))
        selects.append(query)
    if len(selects) == 1:
        ids = selects[0].subquery("page_ids")
    else:
        members = union_all(*[select(q.subquery()) for q in selects]).subquery("parts")
        if merge:
            ids = (select(members)
                   .order_by(*[direction(members.c[f"k{n}"]) for n in range(len(in_part))])
                   .limit(bindparam("limit", type_=Integer())).offset(bindparam("offset", type_=Integer())).subquery("page_ids"))
        else:
            ids = members
    order = [direction(ids.c[f"k{n}"]) for n in range(len(in_part))]
    if not merge:
        order.insert(0, ids.c.rank.asc())
    if lean:  # rows for read_rows; the other shape loads objects
        return direct_read(
            select(*_lean_columns(include_config, lean))
            .join(ids, ids.c.id == OI.id)
            .join(Integration, Integration.id == OI.integration_id)
            .order_by(*order)
        )
    query = (
        select(OI)
        .join(ids, ids.c.id == OI.id)
        .join(Integration, Integration.id == OI.integration_id)
        .options(contains_eager(OI.integration))
        .order_by(*order)
    )
    if not include_config:
        query = query.options(defer(OI.config))
    return query


def _page_query(org: Organization, filters: IntegrationFilters, matrix, offset: int,
                limit: int, lean: str | None = None) -> tuple[Select, dict[str, object]]:
    """(statement, parameters) of the page's rows with their Integration: the ids (and
    order keys) come from the planned index ranges; only those rows join integration."""
    parts, merge = _plan(filters, matrix, offset, limit)
    shape = tuple((*_shape_sets(filters, part.providers, part.statuses), part.index, part.rank)
                  for part in parts)
    params = _params(org, filters)
    params.update(limit=limit, offset=offset)
    for i, part in enumerate(parts):
        params[f"limit_{i}"] = part.limit
        params[f"offset_{i}"] = part.offset
    statement = _page_statement(filters.sort, filters.include_config, bool(filters.q), merge,
                                shape, lean)
    return statement, params


def list_org_integrations(
    org: Organization, filters: IntegrationFilters, page: int = 1, per_page: int = 25,
    total: int | None = None, facets: Facets | None = None, lean: str | None = None,
) -> IntegrationPage:
    """One page of the filtered, sorted list: two statements (counts, rows), or one when
    `facets` (from `facet_counts` with the same filters) is given.

    The page is planned from the exact per-(provider, status) counts: it reads about one
    page of index entries from the org's covering indexes (a few pages when few rows match),
    then joins only those rows to their Integration. `total` (without `facets`) is accepted
    for compatibility and ignored: the counts are needed for planning anyway.
    A page past the end shows the last page (a shared link still lands on rows).
    `lean="list"` (the HTML list): items are rows of plain columns (`integration_id`,
    `name`, `external_id`, `provider`, `status`, `integration_status`, `date_added`,
    `grace_period_end`, and `config` with include_config), not ORM objects;
    `lean="api"` adds `organization_id` and `metadata` (the integration's).
    """
    per_page = max(1, min(int(per_page), 100))
    if facets is None:
        facets = result_counts(org, filters)
    total = facets.total
    pages = max(1, -(-total // per_page))
    page = max(1, min(int(page), pages))
    items: list = []
    if total:
        statement, params = _page_query(org, filters, facets.matrix, (page - 1) * per_page,
                                        per_page, lean)
        if lean:
            items = read_rows(statement, params)
        else:
            items = list(db.session.scalars(statement, params))
    return IntegrationPage(items=items, total=total, page=page, per_page=per_page)


def iter_org_integrations(
    org: Organization, filters: IntegrationFilters, batch: int = 500
) -> Iterator[OrganizationIntegration]:
    """Every matching row in order, streamed in batches (CSV export over all pages)."""
    query = org_integrations_query(org, filters).execution_options(yield_per=batch)
    begin_streamed_read()
    yield from db.session.scalars(query)


def provider_installations(org: Organization, provider_key: str, limit: int = 10) -> IntegrationPage:
    """The provider page's list: the org's installations of one provider, first `limit`."""
    return list_org_integrations(org, IntegrationFilters(provider_keys=(provider_key,)), 1, limit)


# -- one installation -----------------------------------------------------------------------


def get_org_integration(org: Organization, integration_id: int | str) -> OrganizationIntegration:
    """The org's installation of Integration `integration_id` (the id in Sentry's URLs).

    NotFound for another org's, a missing, or a deletion_in_progress installation.
    """
    integration_id = parse_id(integration_id)
    if integration_id is None:
        raise NotFound("Integration not found")
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
    return schema_values(provider_of(oi), oi.config)


def schema_values(provider: Provider | None, stored: dict | None) -> dict[str, object]:
    """config_values from a provider and a stored config (for rows without ORM objects)."""
    if provider is None:
        return {}
    stored = stored or {}
    return {f.name: stored.get(f.name, _default(f)) for f in provider.config_schema}


def extra_config(oi: OrganizationIntegration) -> dict[str, object]:
    """Stored config keys outside the provider's schema (shown read-only, never dropped)."""
    provider = provider_of(oi)
    names = {f.name for f in provider.config_schema} if provider else set()
    return {k: v for k, v in sorted((oi.config or {}).items()) if k not in names}


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
