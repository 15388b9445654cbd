"""Which index ranges to read for one page of the installed-integrations list.

Why this exists: an org can have 100,000 installations, and a page is 25 of them. A plain
`ORDER BY name LIMIT 25 OFFSET n` with filters on provider and status makes the database
walk (or sort) every row that the filters refuse. organization_integration has a covering
index per order (see the model) and the exact row count of every (provider, status) group
(counts.status_matrix), so the planner knows how many rows each index range holds and how
many of them match, and picks ranges that read about one page of index entries.

It never assumes that names, providers and statuses are independent (real names often
contain the provider: "acme-github"): each candidate plan is costed by its WORST case —
every row the filters refuse sorting before the rows it needs — and the cheapest wins.
A plan is a list of `Part`s; listing.page_statement turns it into one SQL statement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from webapp.services.integrations.counts import Matrix, matching_groups
from webapp.services.integrations.filters import (
    IntegrationFilters,
    allowed_providers,
    provider_sort_name,
)

PART_OVERHEAD = 50  # index entries one more UNION ALL part is worth (planning, seeks, merge)

# The covering index that serves each in-part order (see models/integrations.py).
INDEX_BY_NAME = "ix_org_integration_org_name"  # (org, name, id, provider, status, external_id)
INDEX_BY_PROVIDER = "ix_org_integration_org_provider_name"  # (org, provider, name, id, status, external_id)
INDEX_BY_STATUS = "ix_org_integration_org_status_name"  # (org, status, name, id, provider)
INDEX_BY_DATE = "ix_org_integration_org_date_added_id"  # (org, date_added, id, provider, status)


@dataclass(frozen=True)
class Part:
    """One index range of a page query: rows of some providers × statuses, in-part order.
    `providers`/`statuses` None: what the filters allow. `rank` orders parts laid end to
    end; `offset`/`limit` are the part's own slice."""

    providers: tuple[str, ...] | None
    statuses: tuple[int, ...] | None
    index: str
    rank: int = 0
    offset: int = 0
    limit: int = 0


@dataclass(frozen=True)
class Plan:
    """The parts of a page, and how they combine: `merge` → merged in name/date order,
    then the page's offset and limit; otherwise laid end to end by rank."""

    parts: tuple[Part, ...]
    merge: bool


def _sum_by(groups: Matrix, position: int) -> dict:
    out: dict = {}
    for key, n in groups.items():
        out[key[position]] = out.get(key[position], 0) + n
    return out


def _name_sort_plans(matrix: Matrix, matching: Matrix, need: int) -> list[tuple[int, list[Part]]]:
    """Candidate plans for the first `need` rows in name order, with worst-case costs:

    - one scan of (org, name, id, …), checking provider and status in the index:
      at worst need + every row the filters refuse;
    - one part per matching provider on (org, provider, name, id, status), merged: at worst
      need + the provider's refused rows, per provider (good when few providers match);
    - one part per matching status on (org, status, name, id, provider), merged: likewise
      per status (good when a rare status is chosen).
    """
    refused = sum(matrix.values()) - sum(matching.values())
    plans = [(min(need, sum(matching.values())) + refused, [Part(None, None, INDEX_BY_NAME)])]
    for position, index in ((0, INDEX_BY_PROVIDER), (1, INDEX_BY_STATUS)):
        population, wanted = _sum_by(matrix, position), _sum_by(matching, position)
        if not wanted:
            continue
        cost = sum(2 * min(need, n) + population[key] - n + PART_OVERHEAD
                   for key, n in wanted.items())
        parts = [Part((key,), None, index, limit=min(n, need)) if position == 0
                 else Part(None, (key,), index, limit=min(n, need))
                 for key, n in sorted(wanted.items())]
        plans.append((cost, parts))
    return plans


def _plan_name_sort(matrix: Matrix, matching: Matrix, need: int) -> list[Part]:
    """The name-order plan with the cheapest worst case (see `_name_sort_plans`)."""
    return min(_name_sort_plans(matrix, matching, need), key=lambda plan: plan[0])[1]


def _plan_date_sort(matrix: Matrix, matching: Matrix, filters: IntegrationFilters,
                    need: int) -> Part:
    """Date order: scan (org, date_added, id, …) checking the filters in the index, or —
    when few rows match — read the matching rows by provider or status and sort them.

    The scan's cost is its expected one (need × rows / matching) times a safety factor of
    4, capped by its worst case; the other plan reads every matching row and its table row
    (those indexes do not hold date_added), counted as 10 index entries each.
    """
    total = sum(matching.values())
    everything = sum(matrix.values())
    scan = min(min(need, total) + everything - total, 4 * need * everything / total)
    if 10 * total < scan:
        if allowed_providers(filters) is not None:
            return Part(None, None, INDEX_BY_PROVIDER)
        return Part(None, None, INDEX_BY_STATUS)
    return Part(None, None, INDEX_BY_DATE)


def _segments(sizes: list[tuple[object, int]], offset: int, limit: int, make) -> list[Part]:
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


def plan_page(filters: IntegrationFilters, matrix: Matrix, offset: int, limit: int) -> Plan:
    """The cheapest plan for rows offset … offset + limit of the filtered, sorted list."""
    descending = filters.sort.startswith("-")
    key = filters.sort.lstrip("-")
    matching = matching_groups(matrix, filters)
    need = offset + limit
    if key == "provider":
        sizes = sorted(_sum_by(matching, 0).items(), key=lambda item: provider_sort_name(item[0]),
                       reverse=descending)
        return Plan(tuple(_segments(sizes, offset, limit,
                                    lambda p: Part((p,), None, INDEX_BY_PROVIDER))), False)
    if key == "status":
        sizes = sorted(_sum_by(matching, 1).items(), reverse=descending)
        return Plan(tuple(_segments(sizes, offset, limit,
                                    lambda s: Part(None, (s,), INDEX_BY_STATUS))), False)
    if filters.q:  # the counts are of searched rows: nothing tells where the misses lie
        return Plan((Part(None, None, INDEX_BY_DATE if key == "date_added" else INDEX_BY_NAME),),
                    True)
    if key == "date_added":
        return Plan((_plan_date_sort(matrix, matching, filters, need),), True)
    return Plan(tuple(_plan_name_sort(matrix, matching, need)), True)
