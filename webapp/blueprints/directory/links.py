"""Links to the page of a provider, plugin, sentry app or doc integration.

Each kind's page belongs to a different area; when its endpoint is registered we build the
URL with url_for, otherwise (area not built yet, or different argument names) we fall back
to the SPEC §6 path, so a link never breaks a page.
"""

from urllib.parse import urlencode

from flask import request, url_for
from werkzeug.routing import BuildError

from webapp.services.directory import (
    DOC_INTEGRATION,
    FIRST_PARTY,
    PLUGIN,
    SENTRY_APP,
    page_path,
)

# kind → (endpoint, name of its slug argument, takes org_slug)
ENDPOINTS: dict[str, tuple[str, str, bool]] = {
    FIRST_PARTY: ("integrations.provider", "provider_key", True),
    PLUGIN: ("plugins.detail", "slug", True),
    SENTRY_APP: ("directory.sentry_app", "slug", True),
    DOC_INTEGRATION: ("doc_integrations.detail", "slug", False),
}


def entry_url(kind: str, org_slug: str, slug: str, **query) -> str:
    """The page of one directory entry (query args appended, e.g. referrer)."""
    endpoint, slug_arg, takes_org = ENDPOINTS[kind]
    kwargs = {slug_arg: slug, **query}
    if takes_org:
        kwargs["org_slug"] = org_slug
    try:
        return url_for(endpoint, **kwargs)
    except BuildError:
        pass
    url = request.script_root + page_path(kind, org_slug, slug)
    if query:
        url += "?" + urlencode(query)
    return url


def request_url(org_slug: str, kind: str, slug: str) -> str:
    """The install-request form, prefilled for this provider."""
    return url_for("requests.index", org_slug=org_slug, provider_type=kind, provider_slug=slug)
