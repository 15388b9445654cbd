"""Doc integrations (SPEC §7.2): the one place for their validation rules, queries and changes.

Used by the HTML pages, `load-data` and the JSON API alike, so every function takes plain
Python values and raises domain errors (`ValidationFailed`, `NotFound`, `Forbidden`,
`StaleEdit`). Changes add their audit entry to the caller's transaction; the caller commits.
Callers import from here (`from webapp.services import doc_integrations as docs`); the
modules are `records` (reading one record), `validation`, `logos`, `listing` and `lifecycle`.
"""

from webapp.services.doc_integrations.lifecycle import (
    create_doc_integration,
    delete_doc_integration,
    delete_impact,
    update_doc_integration,
)
from webapp.services.doc_integrations.listing import (
    DEFAULT_SORT,
    SORTS,
    STATES,
    DocIntegrationFilters,
    doc_integrations_query,
    fetch_doc_integrations,
    iter_doc_integrations_export,
    list_doc_integrations,
    sort_error,
    state_error,
)
from webapp.services.doc_integrations.logos import (
    LogoImage,
    LogoRejected,
    get_logo,
    logo_too_large,
    set_logo,
    validate_logo,
)
from webapp.services.doc_integrations.records import (
    TARGET_TYPE,
    VALUE_FIELDS,
    doc_integration_values,
    features_for,
    get_doc_integration,
    is_staff,
    require_staff,
)
from webapp.services.doc_integrations.validation import (
    AUTHOR_MAX,
    NAME_MAX,
    POPULARITY_DEFAULT,
    POPULARITY_MAX,
    POPULARITY_MIN,
    PUBLISH_NEEDS_LOGO,
    RESERVED_SLUGS,
    RESOURCE_TITLE_MAX,
    RESOURCE_URL_MAX,
    SLUG_MAX,
    URL_MAX,
    slugify_name,
    validate_doc_integration,
)

__all__ = [
    "AUTHOR_MAX",
    "DEFAULT_SORT",
    "NAME_MAX",
    "POPULARITY_DEFAULT",
    "POPULARITY_MAX",
    "POPULARITY_MIN",
    "PUBLISH_NEEDS_LOGO",
    "RESERVED_SLUGS",
    "RESOURCE_TITLE_MAX",
    "RESOURCE_URL_MAX",
    "SLUG_MAX",
    "SORTS",
    "STATES",
    "TARGET_TYPE",
    "URL_MAX",
    "VALUE_FIELDS",
    "DocIntegrationFilters",
    "LogoImage",
    "LogoRejected",
    "create_doc_integration",
    "delete_doc_integration",
    "delete_impact",
    "doc_integration_values",
    "doc_integrations_query",
    "features_for",
    "fetch_doc_integrations",
    "get_doc_integration",
    "get_logo",
    "is_staff",
    "iter_doc_integrations_export",
    "list_doc_integrations",
    "logo_too_large",
    "require_staff",
    "set_logo",
    "slugify_name",
    "sort_error",
    "state_error",
    "update_doc_integration",
    "validate_doc_integration",
    "validate_logo",
]
