"""One page of an org's installed integrations, as `InstallationRow`s (SPEC §6.1, §8).

organization_integration carries trigger-kept copies of its Integration's name, provider
and external id (migration 0003), so every filter and sort reads one org's rows from a
covering index without joining integration; only the rows of the page are joined to their
Integration. The page's index ranges come from the planner (planner.py), from the exact
counts (counts.py). The HTML list, its CSV export, the API list and the API detail all
produce the same row type, and the API has one serializer for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, case, literal_column, select, union_all

from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import Integration, Organization, OrganizationIntegration
from webapp.services.integrations.counts import Facets, q_condition, result_counts
from webapp.services.integrations.filters import (
    IntegrationFilters,
    allowed_providers,
    allowed_statuses,
)
from webapp.services.integrations.planner import Part, plan_page

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


def _where(org: Organization, filters: IntegrationFilters, providers=None, statuses=None) -> list:
    """WHERE terms on organization_integration alone: the org, the statuses and providers
    (the given ones, else what the filters allow), and `q`."""
    if providers is None:
        providers = allowed_providers(filters)
    if statuses is None:
        statuses = [int(s) for s in allowed_statuses(filters)]
    terms = [OI.organization_id == org.id, OI.status.in_(sorted(statuses))]
    if providers is not None:
        terms.append(OI.integration_provider.in_(sorted(providers)))
    if filters.q:
        terms.append(q_condition(filters.q))
    return terms


def _provider_name_order():
    """Provider display name as an SQL expression (sorting by what the user sees)."""
    whens = {key: provider.name.lower() for key, provider in PROVIDERS.items()}
    return case(whens, value=OI.integration_provider, else_=OI.integration_provider)


def _order_by(sort: str) -> list:
    key = sort.lstrip("-")
    if key == "provider":
        columns = [_provider_name_order(), OI.integration_name, OI.id]
    elif key == "status":
        columns = [OI.status, OI.integration_name, OI.id]
    elif key == "date_added":
        columns = [OI.date_added, OI.id]
    else:
        columns = [OI.integration_name, OI.id]
    return [c.desc() if sort.startswith("-") else c.asc() for c in columns]


def installations_query(org: Organization, filters: IntegrationFilters) -> Select:
    """The org's installations matching `filters`, sorted, as rows: the one definition of
    the list (the CSV export streams it; pages read the same rows through the planner).
    Never returns deletion_in_progress rows or other orgs' rows."""
    return (select(*ROW_COLUMNS)
            .join(Integration, Integration.id == OI.integration_id)
            .where(*_where(org, filters))
            .order_by(*_order_by(filters.sort)))


def _part_query(org: Organization, filters: IntegrationFilters, part: Part, merge: bool,
                single: bool) -> Select:
    """The ids and in-part order keys of one index range."""
    by_date = filters.sort.lstrip("-") == "date_added"
    keys = [OI.date_added, OI.id] if by_date else [OI.integration_name, OI.id]
    descending = filters.sort.startswith("-")
    columns = [OI.id.label("id"), *(key.label(f"k{n}") for n, key in enumerate(keys))]
    if not merge:
        columns.insert(0, literal_column(str(part.rank)).label("rank"))
    query = (select(*columns)
             .where(*_where(org, filters, part.providers, part.statuses))
             .order_by(*(key.desc() if descending else key.asc() for key in keys)))
    if merge and single:
        return query
    query = query.limit(part.limit)
    return query if merge else query.offset(part.offset)


def _union(parts: list[Select]):
    """UNION ALL of the parts, each kept whole (its own ORDER BY and LIMIT)."""
    return union_all(*(select(part.subquery()) for part in parts))


def page_statement(org: Organization, filters: IntegrationFilters, facets: Facets,
                    offset: int, limit: int) -> Select:
    """The page's rows: ids and order keys from the planned index ranges, then only those
    rows joined to their Integration."""
    plan = plan_page(filters, facets.matrix, offset, limit)
    descending = filters.sort.startswith("-")
    parts = [_part_query(org, filters, part, plan.merge, len(plan.parts) == 1)
             for part in plan.parts]
    if plan.merge:
        if len(parts) == 1:
            ids = parts[0].limit(limit).offset(offset).subquery("page_ids")
        else:
            members = _union(parts).subquery("parts")
            order = [members.c.k0, members.c.k1]
            ids = (select(members)
                   .order_by(*(c.desc() if descending else c.asc() for c in order))
                   .limit(limit).offset(offset).subquery("page_ids"))
    else:
        ids = (parts[0] if len(parts) == 1 else _union(parts)).subquery("page_ids")
    order = [ids.c.k0, ids.c.k1]
    order_by = [c.desc() if descending else c.asc() for c in order]
    if not plan.merge:
        order_by.insert(0, ids.c.rank.asc())
    return (select(*ROW_COLUMNS)
            .join(ids, ids.c.id == OI.id)
            .join(Integration, Integration.id == OI.integration_id)
            .order_by(*order_by))


def installation_rows(org: Organization, filters: IntegrationFilters, offset: int, limit: int,
                      facets: Facets | None = None) -> list[InstallationRow]:
    """Rows offset … offset + limit of the filtered, sorted list (`facets`: the counts of
    the same filters, when the caller has them)."""
    if facets is None:
        facets = result_counts(org, filters)
    if offset >= facets.total or limit <= 0:
        return []
    statement = page_statement(org, filters, facets, offset, limit)
    return [InstallationRow._make(row) for row in db.session.execute(statement)]


def list_installations(org: Organization, filters: IntegrationFilters, page: int = 1,
                       per_page: int = 25, facets: Facets | None = None) -> InstallationPage:
    """Members: one page of the filtered, sorted list; two statements (counts, rows), or
    one when `facets` (facet_counts of the same filters) is given. A page past the end
    shows the last page (a shared link still lands on rows)."""
    per_page = max(1, min(int(per_page), 100))
    if facets is None:
        facets = result_counts(org, filters)
    pages = max(1, -(-facets.total // per_page))
    page = max(1, min(int(page), pages))
    rows = installation_rows(org, filters, (page - 1) * per_page, per_page, facets)
    return InstallationPage(items=rows, total=facets.total, page=page, per_page=per_page)


def iter_installations(org: Organization, filters: IntegrationFilters,
                       batch: int = 500) -> Iterator[InstallationRow]:
    """Every matching row in order, streamed in batches (the CSV export of all pages)."""
    query = installations_query(org, filters).execution_options(yield_per=batch)
    for row in db.session.execute(query):
        yield InstallationRow._make(row)


def provider_installations(org: Organization, provider_key: str,
                           limit: int = 10) -> InstallationPage:
    """The provider page's list: the org's installations of one provider, first `limit`."""
    return list_installations(org, IntegrationFilters(provider_keys=(provider_key,)), 1, limit)
