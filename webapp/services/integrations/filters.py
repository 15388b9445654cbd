"""The installed-integrations list's filters as typed values, and the provider sets they
stand for (SPEC §6.1).

`IntegrationFilters` is what the filter form (blueprints/integrations/forms.py) produces
from a query string, for the HTML list, its CSV export and the API alike. Filters that
name providers indirectly (`features`, `integration_type`) become a set of provider keys
from the code catalog (§4.1), so the database never needs to know the catalog: the SQL
filter and the facet arithmetic both use `allowed_providers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from webapp.catalog.features import IntegrationFeatures
from webapp.catalog.providers import PROVIDERS
from webapp.models import VISIBLE_STATUSES, ObjectStatus
from webapp.services.actors import OrgRef
from webapp.services.policy import Policy, get_policy

SORTS: tuple[str, ...] = (
    "name", "-name", "provider", "-provider", "status", "-status", "date_added", "-date_added",
)
DEFAULT_SORT = "name"
FILTER_STATUSES: tuple[ObjectStatus, ...] = tuple(VISIBLE_STATUSES)
Q_MAX_LENGTH = 200
# The `policy` filter's one value: installations of providers the org's policy blocks.
POLICY_BLOCKED = "blocked"
POLICY_FILTERS: dict[str, str] = {POLICY_BLOCKED: "Blocked by policy"}


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
    policy: str = ""
    # The org's policy-blocked provider keys, once `resolve_policy` has read them (the
    # `policy` filter needs them; the list's "blocked by policy" badges use them too).
    blocked_providers: frozenset[str] | None = None

    def is_filtered(self) -> bool:
        """True when a filter narrows the list (sort and include_config do not)."""
        return bool(self.q or self.provider_keys or self.features or self.integration_type
                    or self.statuses or self.policy)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (audit entries of exports)."""
        return {
            "q": self.q,
            "provider_keys": list(self.provider_keys),
            "features": [str(f.value) for f in self.features],
            "integration_type": self.integration_type,
            "statuses": [s.label for s in self.statuses],
            "include_config": self.include_config,
            "sort": self.sort,
            "policy": self.policy,
        }


# The catalog is code: which providers have a feature, or are of a domain, is known at import.
_PROVIDERS_WITH_FEATURE = {
    feature: frozenset(key for key, p in PROVIDERS.items() if feature in p.features)
    for feature in IntegrationFeatures
}
_PROVIDERS_IN_DOMAIN: dict[str, frozenset[str]] = {}
for _key, _provider in PROVIDERS.items():
    _PROVIDERS_IN_DOMAIN[_provider.domain] = _PROVIDERS_IN_DOMAIN.get(_provider.domain, frozenset()) | {_key}


def providers_with_features(features: Iterable[IntegrationFeatures]) -> set[str]:
    """Keys of catalog providers that have ANY of the features."""
    return set().union(*(_PROVIDERS_WITH_FEATURE[f] for f in features))


def providers_in_domain(domain: str) -> set[str]:
    """Keys of catalog providers of one domain (`integration_type`)."""
    return set(_PROVIDERS_IN_DOMAIN.get(domain, ()))


def resolve_policy(org: OrgRef, filters: IntegrationFilters, *, always: bool = False,
                   policy: Policy | None = None) -> IntegrationFilters:
    """`filters` with the org's policy-blocked providers read (one query, none when the
    caller has the `policy`) when the `policy` filter needs them, or `always` (the list page
    shows badges); else `filters` itself."""
    if filters.blocked_providers is not None or not (filters.policy or always):
        return filters
    policy = policy or get_policy(org)
    return replace(filters, blocked_providers=policy.blocked_provider_keys())


def policy_providers(filters: IntegrationFilters) -> set[str] | None:
    """The provider keys the `policy` filter allows; None without that filter."""
    if not filters.policy:
        return None
    if filters.blocked_providers is None:
        raise ValueError("the policy filter is not resolved: call resolve_policy(org, filters)")
    return set(filters.blocked_providers)


def allowed_providers(filters: IntegrationFilters) -> set[str] | None:
    """The provider keys the provider-ish filters allow; None when they allow every provider."""
    return providers_allowed_by(filters.provider_keys, filters.features, filters.integration_type,
                                policy_providers(filters))


def providers_allowed_by(provider_keys: Iterable[str], features: Iterable[IntegrationFeatures],
                         integration_type: str | None,
                         policy: set[str] | None = None) -> set[str] | None:
    """allowed_providers of these filters (each facet leaves out its own filter); `policy`:
    the `policy` filter's providers (policy_providers)."""
    allowed: set[str] | None = set(provider_keys) or None
    features = tuple(features)
    if features:
        with_features = providers_with_features(features)
        allowed = with_features if allowed is None else allowed & with_features
    if integration_type:
        in_domain = providers_in_domain(integration_type)
        allowed = in_domain if allowed is None else allowed & in_domain
    if policy is not None:
        allowed = set(policy) if allowed is None else allowed & policy
    return allowed


def allowed_statuses(filters: IntegrationFilters) -> tuple[ObjectStatus, ...]:
    """The statuses shown: the chosen ones, else every visible status."""
    return filters.statuses or FILTER_STATUSES


def like_pattern(q: str) -> str:
    """`q` as a case-insensitive LIKE pattern for "contains" (escape character "/")."""
    escaped = q.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def provider_sort_name(key: str) -> str:
    """What the provider sort orders by: the provider's display name, lowercased (the key
    itself for a provider this version does not know)."""
    provider = PROVIDERS.get(key)
    return provider.name.lower() if provider else key
