"""Result and facet counts of the installed-integrations list, from one small statement.

Rows matching the filters that are not facets (`q`) are counted per (provider, status):
the "matrix". Every facet is a function of provider and status only, so each facet "given
the other filters" and the exact total are sums over that matrix, using the same provider
sets as the SQL filter (filters.allowed_providers). The page planner reads the matrix too.

Without `q` the matrix is the org's rows of organization_integration_count (≤ 60, kept
exact by triggers in the same transaction as every write: migration 0003). With `q` it is
a grouped count over the name index: a substring search cannot use a b-tree, so the search
box is the one request whose cost grows with the org.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, bindparam, func, select

from webapp.catalog.features import IntegrationFeatures
from webapp.catalog.providers import DOMAINS, PROVIDERS
from webapp.extensions import db
from webapp.models import OrganizationIntegration
from webapp.models.integrations import OrganizationIntegrationCount
from webapp.services.actors import OrgRef
from webapp.services.integrations.filters import (
    FILTER_STATUSES,
    IntegrationFilters,
    allowed_providers,
    allowed_statuses,
    like_pattern,
    policy_providers,
    providers_allowed_by,
    providers_in_domain,
    providers_with_features,
    resolve_policy,
)

OI = OrganizationIntegration

# {(provider, status): rows}
Matrix = dict[tuple[str, int], int]


@dataclass
class Facets:
    """Counts per filter choice, each given the OTHER filters; `total` = rows of all filters.

    `matrix` is what they are computed from; `list_installations` plans its page from it.
    """

    providers: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    integration_types: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    # {"blocked": rows} when the org's policy-blocked providers were read (resolve_policy)
    policy: dict[str, int] = field(default_factory=dict)
    total: int = 0
    matrix: Matrix = field(default_factory=dict, repr=False)


def q_condition(pattern):
    """Name or external id matches the LIKE `pattern` (filters.like_pattern), ignoring case."""
    return (func.lower(OI.integration_name).like(pattern, escape="/")
            | func.lower(OI.integration_external_id).like(pattern, escape="/"))


# Without `q`, the org's kept counts: built once with a bound parameter (as
# permissions.USER_AND_ORGANIZATIONS), since every list request runs it.
KEPT_COUNTS = select(
    OrganizationIntegrationCount.provider, OrganizationIntegrationCount.status,
    OrganizationIntegrationCount.count,
).where(OrganizationIntegrationCount.organization_id == bindparam("org_id"),
        OrganizationIntegrationCount.count > 0)


def matrix_statement(org: OrgRef, filters: IntegrationFilters) -> Select:
    """The statement behind `status_matrix`, values included: (provider, status, count)."""
    if not filters.q:
        return KEPT_COUNTS.params(org_id=org.id)
    return (
        select(OI.integration_provider, OI.status, func.count())
        .where(OI.organization_id == org.id,
               OI.status.in_([int(s) for s in FILTER_STATUSES]),
               q_condition(like_pattern(filters.q)))
        .group_by(OI.integration_provider, OI.status)
    )


def status_matrix(org: OrgRef, filters: IntegrationFilters) -> Matrix:
    """{(provider, status): count} of the org's rows matching `q`, in one statement.
    Without `q`, deletion_in_progress rows are included (the planner counts the index
    entries it may skip); facets and totals only ever sum the visible statuses."""
    if filters.q:
        rows = db.session.execute(matrix_statement(org, filters))
    else:
        rows = db.session.execute(KEPT_COUNTS, {"org_id": org.id})
    return {(provider, status): count for provider, status, count in rows}


def matching_groups(matrix: Matrix, filters: IntegrationFilters) -> Matrix:
    """The matrix restricted to the groups the filters allow (non-empty groups only)."""
    allowed = allowed_providers(filters)
    statuses = {int(s) for s in allowed_statuses(filters)}
    return {(p, s): n for (p, s), n in matrix.items()
            if n > 0 and s in statuses and (allowed is None or p in allowed)}


def result_counts(org: OrgRef, filters: IntegrationFilters) -> Facets:
    """The matrix and the total, without per-choice counts (the API); one statement (and
    one more for the `policy` filter, unless resolve_policy has read the policy)."""
    filters = resolve_policy(org, filters)
    matrix = status_matrix(org, filters)
    return Facets(matrix=matrix, total=sum(matching_groups(matrix, filters).values()))


def count_installations(org: OrgRef, filters: IntegrationFilters) -> int:
    """How many installations match `filters` (exact)."""
    return result_counts(org, filters).total


def facet_counts(org: OrgRef, filters: IntegrationFilters) -> Facets:
    """Facet counts for the filter form and the exact result count, in one statement."""
    filters = resolve_policy(org, filters)
    facets = result_counts(org, filters)
    statuses = {int(s) for s in allowed_statuses(filters)}
    per_provider: dict[str, int] = {}  # rows per provider, of the statuses the filters allow
    for (provider, status), n in facets.matrix.items():
        if status in statuses:
            per_provider[provider] = per_provider.get(provider, 0) + n

    def rows_of(allowed: set[str] | None) -> int:
        return sum(n for p, n in per_provider.items() if allowed is None or p in allowed)

    keys, features, kind = filters.provider_keys, filters.features, filters.integration_type
    policy = policy_providers(filters)

    others = providers_allowed_by((), features, kind, policy)
    facets.providers = {key: rows_of({key} if others is None else {key} & others)
                        for key in PROVIDERS}

    allowed = providers_allowed_by(keys, features, kind, policy)
    facets.statuses = {
        status.label: sum(n for (p, s), n in facets.matrix.items()
                          if s == int(status) and (allowed is None or p in allowed))
        for status in FILTER_STATUSES
    }

    others = providers_allowed_by(keys, features, None, policy)
    facets.integration_types = {
        domain: rows_of(providers_in_domain(domain) if others is None
                        else providers_in_domain(domain) & others)
        for domain in DOMAINS
    }

    others = providers_allowed_by(keys, (), kind, policy)
    facets.features = {
        str(feature.value): rows_of(providers_with_features([feature]) if others is None
                                    else providers_with_features([feature]) & others)
        for feature in IntegrationFeatures
    }

    if filters.blocked_providers is not None:
        others = providers_allowed_by(keys, features, kind)
        blocked = set(filters.blocked_providers)
        facets.policy = {"blocked": rows_of(blocked if others is None else blocked & others)}
    return facets
