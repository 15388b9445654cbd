"""Links to the page of a provider, plugin, sentry app or doc integration, and each
directory row's next step.

Each kind's page belongs to a different area; when its endpoint is registered we build the
URL with url_for, otherwise (area not built yet, or different argument names) we fall back
to the SPEC §6 path, so a link never breaks a page.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request, url_for
from werkzeug.routing import BuildError

from webapp.services.directory import (
    DOC_INTEGRATION,
    FIRST_PARTY,
    PLUGIN,
    SENTRY_APP,
    DirectoryEntry,
    install_hint,
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


@dataclass(frozen=True)
class NextStep:
    """A directory row's action: the button's `label` and `href`, the `context` a screen
    reader hears after the label, and for who may install, what installing it means."""

    label: str
    href: str
    context: str
    hint: str = ""
    primary: bool = False


def next_step(entry: DirectoryEntry, org_slug: str, can_install: bool,
              blocked: bool = False) -> NextStep:
    """Installed entries, doc integrations and providers the org's policy blocks open their
    page; a member asks for one not installed; who may install it learns how (a plugin: on
    its project table)."""
    page = entry_url(entry.kind, org_slug, entry.slug)
    if entry.installed is not False or not entry.requestable or blocked:
        return NextStep("Open", page, entry.name)
    if not can_install:
        return NextStep("Request installation", request_url(org_slug, entry.kind, entry.slug),
                        f"of {entry.name}", primary=True)
    hint = install_hint(entry.kind, entry.name)
    if entry.kind == PLUGIN:
        return NextStep("Enable on a project", page + "#projects", f"({entry.name})", hint)
    return NextStep("How to install", page, entry.name, hint)
