"""Installed integrations of an organization (SPEC §6.1, §7.1, §7.5): the list and one
installation. Plain functions over `db.session`, shared by the HTML pages and the API.

- filters.py    IntegrationFilters (what the filter form produces) and the provider sets
- counts.py     the exact result and facet counts, from one small statement
- planner.py    which index ranges to read for one page at any org size
- listing.py    InstallationRow, the page, the CSV stream, the plain sorted query
- lifecycle.py  one installation: config, disable/enable, uninstall, restore, the
                deletion job
- bulk.py       one action over many installations (ids, or all matching the filters)
"""

from webapp.services.integrations.counts import (
    Facets,
    count_installations,
    facet_counts,
    result_counts,
)
from webapp.services.integrations.filters import (
    DEFAULT_SORT,
    FILTER_STATUSES,
    POLICY_FILTERS,
    Q_MAX_LENGTH,
    SORTS,
    IntegrationFilters,
    allowed_providers,
    providers_with_features,
    resolve_policy,
)
from webapp.services.integrations.lifecycle import (
    TARGET_TYPE,
    RestorePlan,
    UninstallImpact,
    config_values,
    disable_integration,
    disable_reason,
    enable_integration,
    enable_reason,
    extra_config,
    get_org_integration,
    provider_of,
    restore_integration,
    restore_plan,
    restore_reason,
    run_deletions,
    schema_values,
    uninstall_impact,
    uninstall_integration,
    uninstall_reason,
    update_integration_config,
)
from webapp.services.integrations.listing import (
    InstallationPage,
    InstallationRow,
    installation_rows,
    installations_query,
    iter_installations,
    list_installations,
    provider_installations,
)

__all__ = [
    "DEFAULT_SORT", "FILTER_STATUSES", "POLICY_FILTERS", "Q_MAX_LENGTH", "SORTS", "TARGET_TYPE",
    "Facets", "InstallationPage", "InstallationRow", "IntegrationFilters", "RestorePlan",
    "UninstallImpact",
    "allowed_providers", "config_values", "count_installations", "disable_integration",
    "disable_reason", "enable_integration", "enable_reason", "extra_config", "facet_counts",
    "get_org_integration", "installation_rows", "installations_query", "iter_installations",
    "list_installations", "provider_installations", "provider_of", "providers_with_features",
    "resolve_policy", "restore_integration", "restore_plan", "restore_reason", "result_counts",
    "run_deletions", "schema_values", "uninstall_impact", "uninstall_integration",
    "uninstall_reason", "update_integration_config",
]
