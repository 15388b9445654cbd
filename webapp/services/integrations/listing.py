"""One page of an org's installed integrations, as `InstallationRow`s (SPEC §6.1, §8).

organization_integration carries trigger-kept copies of its Integration's name, provider
and external id (migration 0003), so every filter and sort reads one org's rows from a
covering index without joining integration; only the rows of the page are joined to their
Integration. The page's index ranges come from the planner (planner.py), from the exact
counts (counts.py). The HTML list, its CSV export, the API list and the API detail all
produce the same row type, and the API has one serializer for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Label, Select, bindparam, case, literal_column, select, union_all

from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import Integration, OrganizationIntegration
from webapp.models.integrations import NAME_COLLATION
from webapp.services.actors import OrgRef
from webapp.services.integrations.counts import Facets, q_condition, result_counts
from webapp.services.integrations.filters import (
    IntegrationFilters,
    allowed_providers,
    allowed_statuses,
    like_pattern,
    resolve_policy,
)
from webapp.services.integrations.planner import plan_page

OI = OrganizationIntegration


class InstallationRow(NamedTuple):
    """An installation as every list shows it: the org link and its Integration's fields."""

    id: int
    integration_id: int
    organization_id: int
    name: str
    external_id: str
    provider: str
    status: int
    integration_status: int
    date_added: datetime
    grace_period_end: datetime | None
    metadata: dict[str, Any] | None
    config: dict[str, Any] | None

    @classmethod
    def of(cls, oi: OrganizationIntegration) -> InstallationRow:
        """The row of a loaded installation (the detail page and the API detail)."""
        integration = oi.integration
        return cls(oi.id, oi.integration_id, oi.organization_id, integration.name,
                   integration.external_id, integration.provider, oi.status,
                   integration.status, oi.date_added, oi.grace_period_end,
                   integration.metadata_, oi.config)


ROW_COLUMNS = (OI.id, OI.integration_id, OI.organization_id, OI.integration_name,
               OI.integration_external_id, OI.integration_provider, OI.status,
               Integration.status, OI.date_added, OI.grace_period_end, Integration.metadata_,
               OI.config)


@dataclass
class InstallationPage:
    """One page of installations: rows, the exact total, the page shown (past-the-end
    pages show the last one), the page size."""

    items: list[InstallationRow]
    total: int
    page: int
    per_page: int


def _terms(providers: tuple[str, ...] | None, statuses: tuple[int, ...], has_q: bool,
           org_id: Any = None, q_pattern: Any = None) -> list:
    """WHERE terms on organization_integration alone: the org (`org_id`, else bound as
    `org_id`), the statuses and providers, and `q` (`q_pattern`, else bound as `q_pattern`)."""
    terms = [OI.organization_id == (bindparam("org_id") if org_id is None else org_id),
             OI.status.in_(statuses)]
    if providers is not None:
        terms.append(OI.integration_provider.in_(providers))
    if has_q:
        terms.append(q_condition(bindparam("q_pattern") if q_pattern is None else q_pattern))
    return terms


def matching_terms(org: OrgRef, filters: IntegrationFilters) -> list:
    """WHERE terms on organization_integration alone, values included, for the org's rows
    that match `filters`: the list's own terms, for statements over "all matching" (bulk
    actions)."""
    filters = resolve_policy(org, filters)
    return _terms(*_shape(filters), bool(filters.q), org.id,
                  like_pattern(filters.q) if filters.q else None)


def _shape(filters: IntegrationFilters, providers: tuple[str, ...] | None = None,
           statuses: tuple[int, ...] | None = None
           ) -> tuple[tuple[str, ...] | None, tuple[int, ...]]:
    """(providers, statuses) as sorted tuples: the given ones, else what the filters allow."""
    if providers is None:
        allowed = allowed_providers(filters)
        providers = None if allowed is None else tuple(sorted(allowed))
    if statuses is None:
        statuses = tuple(sorted(int(s) for s in allowed_statuses(filters)))
    return providers, statuses


def _params(org: OrgRef, filters: IntegrationFilters) -> dict[str, object]:
    params: dict[str, object] = {"org_id": org.id}
    if filters.q:
        params["q_pattern"] = like_pattern(filters.q)
    return params


def _provider_name_order():
    """Provider display name as an SQL expression (sorting by what the user sees)."""
    whens = {key: provider.name.lower() for key, provider in PROVIDERS.items()}
    return case(whens, value=OI.integration_provider, else_=OI.integration_provider)


def _order_by(sort: str) -> list:
    key = sort.lstrip("-")
    if key == "provider":
        columns = [_provider_name_order(), OI.name_order(), OI.id]
    elif key == "status":
        columns = [OI.status, OI.name_order(), OI.id]
    elif key == "date_added":
        columns = [OI.date_added, OI.id]
    else:
        columns = [OI.name_order(), OI.id]
    return [c.desc() if sort.startswith("-") else c.asc() for c in columns]


def installations_query(org: OrgRef, filters: IntegrationFilters,
                        ids: Sequence[int] = ()) -> Select:
    """The org's installations matching `filters` (and among the Integration `ids`, when
    given), sorted, as rows: the one definition of the list (the CSV export streams it;
    pages read the same rows through the planner). Never returns deletion_in_progress rows
    or other orgs' rows."""
    filters = resolve_policy(org, filters)
    query = (select(*ROW_COLUMNS)
             .join(Integration, Integration.id == OI.integration_id)
             .where(*_terms(*_shape(filters), bool(filters.q)))
             .order_by(*_order_by(filters.sort))
             .params(**_params(org, filters)))
    return query.where(OI.integration_id.in_(ids)) if ids else query


def _limit(name: str):
    """A LIMIT written into the SQL as a number (`literal_execute`; SQLAlchemy still caches
    the statement): PostgreSQL's generic plan then knows the page is 25 rows. With the limit
    as a parameter it guessed thousands, and joined the page to the whole table (28 ms
    instead of 0.3 ms for `?sort=-date_added&status=disabled` at 100k rows)."""
    return bindparam(name, type_=Integer, literal_execute=True)


def _union(parts: list[Select]):
    """UNION ALL of the parts, each kept whole (its own ORDER BY and LIMIT)."""
    return union_all(*(select(part.subquery()) for part in parts))


# A part of a page statement: (providers, statuses, rank).
PartShape = tuple[tuple[str, ...] | None, tuple[int, ...], int]


@lru_cache(maxsize=256)
def _page_statement(sort: str, has_q: bool, merge: bool,
                    shapes: tuple[PartShape, ...]) -> Select:
    """The page statement of one plan shape, built once per shape (building it costs more
    than SQLite takes to run it). Every value of a request is bound: `org_id`, `q_pattern`,
    `limit`, `offset`, and each part's `limit_<i>` / `offset_<i>`."""
    descending = sort.startswith("-")
    by_date = sort.lstrip("-") == "date_added"
    keys = [OI.date_added, OI.id] if by_date else [OI.name_order(), OI.id]

    def ordered(columns):
        return [c.desc() if descending else c.asc() for c in columns]

    def merged(k0, k1):
        """The parts' keys ordered again outside them: names without case, as inside."""
        return ordered([k0 if by_date else k0.collate(NAME_COLLATION), k1])

    parts = []
    for i, (providers, statuses, rank) in enumerate(shapes):
        columns: list[Label[Any]] = [OI.id.label("id"),
                                     *(key.label(f"k{n}") for n, key in enumerate(keys))]
        if not merge:
            columns.insert(0, literal_column(str(rank)).label("rank"))
        part = select(*columns).where(*_terms(providers, statuses, has_q)).order_by(*ordered(keys))
        if not (merge and len(shapes) == 1):
            part = part.limit(_limit(f"limit_{i}"))
            if not merge:
                part = part.offset(bindparam(f"offset_{i}"))
        parts.append(part)
    if merge and len(parts) == 1:
        ids = parts[0].limit(_limit("limit")).offset(bindparam("offset")).subquery("page_ids")
    elif merge:
        members = _union(parts).subquery("parts")
        ids = (select(members).order_by(*merged(members.c.k0, members.c.k1))
               .limit(_limit("limit")).offset(bindparam("offset")).subquery("page_ids"))
    else:
        ids = (parts[0] if len(parts) == 1 else _union(parts)).subquery("page_ids")
    order_by = merged(ids.c.k0, ids.c.k1)
    if not merge:
        order_by.insert(0, ids.c.rank.asc())
    return (select(*ROW_COLUMNS)
            .join(ids, ids.c.id == OI.id)
            .join(Integration, Integration.id == OI.integration_id)
            .order_by(*order_by))


def page_statement(org: OrgRef, filters: IntegrationFilters, facets: Facets,
                   offset: int, limit: int) -> tuple[Select, dict[str, object]]:
    """The page's rows and the values to run it with: ids and order keys from the planned
    index ranges (planner.py), then only those rows joined to their Integration."""
    plan = plan_page(filters, facets.matrix, offset, limit)
    shapes = tuple((*_shape(filters, part.providers, part.statuses), part.rank)
                   for part in plan.parts)
    params = _params(org, filters) | {"limit": limit, "offset": offset}
    for i, part in enumerate(plan.parts):
        params[f"limit_{i}"] = part.limit
        params[f"offset_{i}"] = part.offset
    return _page_statement(filters.sort, bool(filters.q), plan.merge, shapes), params


def installation_rows(org: OrgRef, filters: IntegrationFilters, offset: int, limit: int,
                      facets: Facets | None = None) -> list[InstallationRow]:
    """Rows offset … offset + limit of the filtered, sorted list (`facets`: the counts of
    the same filters, when the caller has them)."""
    filters = resolve_policy(org, filters)
    if facets is None:
        facets = result_counts(org, filters)
    if offset >= facets.total or limit <= 0:
        return []
    statement, params = page_statement(org, filters, facets, offset, limit)
    return [InstallationRow._make(row) for row in db.session.execute(statement, params)]


def list_installations(org: OrgRef, filters: IntegrationFilters, page: int = 1,
                       per_page: int = 25, facets: Facets | None = None) -> InstallationPage:
    """Members: one page of the filtered, sorted list; two statements (counts, rows), or
    one when `facets` (facet_counts of the same filters) is given. A page past the end
    shows the last page (a shared link still lands on rows)."""
    per_page = max(1, min(int(per_page), 100))
    filters = resolve_policy(org, filters)
    if facets is None:
        facets = result_counts(org, filters)
    pages = max(1, -(-facets.total // per_page))
    page = max(1, min(int(page), pages))
    rows = installation_rows(org, filters, (page - 1) * per_page, per_page, facets)
    return InstallationPage(items=rows, total=facets.total, page=page, per_page=per_page)


def iter_installations(org: OrgRef, filters: IntegrationFilters, batch: int = 500,
                       ids: Sequence[int] = ()) -> Iterator[InstallationRow]:
    """Every matching row (among `ids`, when given) in order, streamed in batches (the CSV
    export of all pages)."""
    query = installations_query(org, filters, ids).execution_options(yield_per=batch)
    for row in db.session.execute(query):
        yield InstallationRow._make(row)


def provider_installations(org: OrgRef, provider_key: str,
                           limit: int = 10) -> InstallationPage:
    """The provider page's list: the org's installations of one provider, first `limit`."""
    return list_installations(org, IntegrationFilters(provider_keys=(provider_key,)), 1, limit)
