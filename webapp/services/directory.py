"""The integration directory (SPEC §6): providers, plugins, doc integrations and sentry apps
in one searchable list, with each entry's installed state in the organization.

The catalogs live in code and doc integrations / sentry apps in the database, so the list is
one SQL statement: the catalog entries become a ``VALUES`` CTE (with their installed flag
already worked out) united with the two tables. Filtering, counting, facets, sorting and
paging all happen in SQL, so a page costs the same three queries whatever the data size:
installed state, facets (which also give the total), and the page itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import (
    Integer,
    String,
    cast,
    column,
    func,
    literal,
    select,
    union,
    union_all,
    values,
)

from webapp import messages
from webapp.catalog.features import FEATURES, render_feature_description
from webapp.catalog.plugins import PLUGINS, is_enabled
from webapp.catalog.providers import DOMAIN_LABELS, DOMAINS, PROVIDERS
from webapp.extensions import db
from webapp.models import (
    VISIBLE_STATUSES,
    DocIntegration,
    Integration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    ObjectStatus,
    OrganizationIntegration,
    Project,
    ProjectPluginOption,
    SentryApp,
)
from webapp.services.actors import OrgRef
from webapp.services.errors import NotFound, ValidationFailed
from webapp.services.permissions import OrgAccess

# Kinds of directory entries. The first three are also install-request provider types.
FIRST_PARTY = "first_party"
PLUGIN = "plugin"
SENTRY_APP = "sentry_app"
DOC_INTEGRATION = "doc_integration"

KIND_LABELS: dict[str, str] = {
    FIRST_PARTY: "Integration",
    PLUGIN: "Plugin",
    SENTRY_APP: "Sentry app",
    DOC_INTEGRATION: "Doc integration",
}

# `category` is a provider's domain, or the kind for everything that is not a provider.
KIND_CATEGORIES: dict[str, str] = {
    PLUGIN: "Plugins",
    SENTRY_APP: "Sentry apps",
    DOC_INTEGRATION: "Doc integrations",
}
CATEGORY_LABELS: dict[str, str] = {**{d: DOMAIN_LABELS[d] for d in DOMAINS}, **KIND_CATEGORIES}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)

INSTALLED_CHOICES: tuple[str, ...] = ("yes", "no")

# Sentry apps listed to every org. Internal apps are left out on purpose: in Sentry an
# internal app belongs to the one organization that built it, and our SentryApp has no
# owning organization, so listing it would show one org's private app to every org.
LISTED_SENTRY_APP_STATUSES: tuple[str, ...] = ("published",)


@dataclass(frozen=True)
class DirectoryEntry:
    kind: str
    slug: str
    name: str
    description: str
    category: str
    # True / False; None when the idea does not apply (doc integrations are documentation
    # of an integration set up elsewhere: nothing to install in this app).
    installed: bool | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def requestable(self) -> bool:
        """Whether an install request can name this entry (doc integrations: no)."""
        return self.kind in (FIRST_PARTY, PLUGIN, SENTRY_APP)


@dataclass
class DirectoryResult:
    """One page of entries plus the facet counts shown beside each filter choice."""

    entries: list[DirectoryEntry]
    total: int
    page: int
    per_page: int
    category_counts: dict[str, int]  # under the other filters (q, installed)
    installed_counts: dict[str, int]  # "yes"/"no" under the other filters (q, category)


def install_hint(kind: str, name: str) -> str:
    """What installing an entry means in this app and where it happens (SPEC §4, §6): shown
    to those who may install it, beside the way there. "" for doc integrations (nothing to
    install)."""
    if kind == FIRST_PARTY:
        return f"Set up in {name}’s own flow, then managed here."
    if kind == PLUGIN:
        return "Installed by enabling it on a project."
    if kind == SENTRY_APP:
        return "Installed in Sentry itself, not in this app."
    return ""


def page_path(kind: str, org_slug: str, slug: str) -> str:
    """The SPEC §6 path of an entry's page (no script root, no host)."""
    org = quote(org_slug, safe="")
    slug = quote(slug, safe="")
    if kind == FIRST_PARTY:
        return f"/settings/{org}/integrations/{slug}/"
    if kind == PLUGIN:
        return f"/settings/{org}/plugins/{slug}/"
    if kind == SENTRY_APP:
        return f"/settings/{org}/sentry-apps/{slug}/"
    if kind == DOC_INTEGRATION:
        return f"/doc-integrations/{slug}/"
    raise ValueError(f"unknown directory kind: {kind!r}")


def category_error(category: str | None) -> str | None:
    """The message for a category that is neither a provider domain nor a kind (empty: none)."""
    if category and category not in CATEGORIES:
        return messages.unknown("category", category, CATEGORIES)
    return None


def installed_error(installed: str | None) -> str | None:
    """The message for an installed value other than "yes" or "no" (empty: none)."""
    if installed and installed not in INSTALLED_CHOICES:
        return messages.must_be("Installed", "“yes” or “no”")
    return None


def validate_directory_filters(category: str | None, installed: str | None) -> None:
    """Raise ValidationFailed for an unknown category or installed value (empty = no filter).

    The page's filter form checks the same rules (category_error, installed_error) when it
    parses the URL; this guards the other callers."""
    errors = {name: [message] for name, message in (("category", category_error(category)),
                                                   ("installed", installed_error(installed)))
              if message}
    if errors:
        raise ValidationFailed(errors)


def installed_state(org: OrgRef) -> tuple[set[str], set[str]]:
    """(provider keys installed in a visible status, plugin slugs enabled on an active project).

    One query: the distinct provider keys, united with the distinct (plugin, `enabled`
    value) pairs, whose truthiness is then judged by the plugin catalog's own rule.
    """
    providers = (
        select(
            literal(FIRST_PARTY).label("kind"),
            Integration.provider.label("slug"),
            literal(None, String).label("value"),
        )
        .join(OrganizationIntegration, OrganizationIntegration.integration_id == Integration.id)
        .where(
            OrganizationIntegration.organization_id == org.id,
            OrganizationIntegration.status.in_([int(s) for s in VISIBLE_STATUSES]),
        )
    )
    plugins = (
        select(
            literal(PLUGIN).label("kind"),
            ProjectPluginOption.plugin.label("slug"),
            cast(ProjectPluginOption.value, String).label("value"),
        )
        .join(Project, Project.id == ProjectPluginOption.project_id)
        .where(
            Project.organization_id == org.id,
            Project.status == int(ObjectStatus.ACTIVE),
            ProjectPluginOption.key == "enabled",
        )
    )
    installed_providers: set[str] = set()
    enabled_plugins: set[str] = set()
    for kind, slug, raw in db.session.execute(union(providers, plugins)):
        if kind == FIRST_PARTY:
            installed_providers.add(slug)
        elif is_enabled({"enabled": _json_value(raw)}):
            enabled_plugins.add(slug)
    return installed_providers, enabled_plugins


def _json_value(raw):
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def _catalog_rows(installed_providers: set[str], enabled_plugins: set[str]) -> list[tuple]:
    rows = [
        (FIRST_PARTY, p.key, p.name, p.description, p.domain, int(p.key in installed_providers))
        for p in PROVIDERS.values()
    ]
    rows += [
        (PLUGIN, p.slug, p.title, p.description, PLUGIN, int(p.slug in enabled_plugins))
        for p in PLUGINS.values()
        if not p.is_deprecated and not p.is_hidden
    ]
    return rows


def _entries_subquery(installed_providers: set[str], enabled_plugins: set[str]):
    catalog = (
        values(
            column("kind", String),
            column("slug", String),
            column("name", String),
            column("description", String),
            column("category", String),
            column("installed", Integer),
            name="catalog",
        )
        .data(_catalog_rows(installed_providers, enabled_plugins))
        .cte("catalog")
    )
    docs = select(
        literal(DOC_INTEGRATION).label("kind"),
        DocIntegration.slug,
        DocIntegration.name,
        cast(DocIntegration.description, String).label("description"),
        literal(DOC_INTEGRATION).label("category"),
        literal(None, Integer).label("installed"),
    ).where(DocIntegration.is_draft.is_(False))
    apps = select(
        literal(SENTRY_APP).label("kind"),
        SentryApp.slug,
        SentryApp.name,
        cast(SentryApp.overview, String).label("description"),
        literal(SENTRY_APP).label("category"),
        literal(0, Integer).label("installed"),
    ).where(SentryApp.status.in_(LISTED_SENTRY_APP_STATUSES))
    return union_all(
        select(catalog.c.kind, catalog.c.slug, catalog.c.name, catalog.c.description,
               catalog.c.category, catalog.c.installed),
        docs,
        apps,
    ).subquery("entries")


def directory_entries(
    org: OrgRef,
    q: str | None = None,
    category: str | None = None,
    installed: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> DirectoryResult:
    """Anyone who may view the org: one page of the directory, sorted by name, with facets.

    `q` matches name or description (substring, case-insensitive); `category` is a provider
    domain or an entry kind (plugin, sentry_app, doc_integration); `installed` is "yes" or
    "no" (doc integrations are neither). Unknown values raise ValidationFailed.
    """
    q = (q or "").strip()
    category = category or None
    installed = installed or None
    validate_directory_filters(category, installed)
    page = max(1, int(page))
    per_page = max(1, int(per_page))

    entries = _entries_subquery(*installed_state(org))
    search = []
    if q:
        needle = q.lower()
        search.append(
            func.lower(entries.c.name).contains(needle, autoescape=True)
            | func.lower(entries.c.description).contains(needle, autoescape=True)
        )

    facet_rows = db.session.execute(
        select(entries.c.category, entries.c.installed, func.count())
        .where(*search)
        .group_by(entries.c.category, entries.c.installed)
    ).all()
    wanted_installed = {"yes": 1, "no": 0}.get(installed) if installed else None
    category_counts = dict.fromkeys(CATEGORIES, 0)
    installed_counts = dict.fromkeys(INSTALLED_CHOICES, 0)
    total = 0
    for row_category, row_installed, count in facet_rows:
        category_ok = category is None or row_category == category
        installed_ok = installed is None or row_installed == wanted_installed
        if installed_ok and row_category in category_counts:
            category_counts[row_category] += count
        if category_ok and row_installed is not None:
            installed_counts["yes" if row_installed else "no"] += count
        if category_ok and installed_ok:
            total += count

    items: list[DirectoryEntry] = []
    offset = (page - 1) * per_page
    if offset < total:
        conditions = list(search)
        if category:
            conditions.append(entries.c.category == category)
        if installed:
            conditions.append(entries.c.installed == wanted_installed)
        rows = db.session.execute(
            select(entries)
            .where(*conditions)
            .order_by(func.lower(entries.c.name), entries.c.kind, entries.c.slug)
            .offset(offset)
            .limit(per_page)
        ).all()
        items = [
            DirectoryEntry(
                kind=row.kind,
                slug=row.slug,
                name=row.name,
                description=row.description or "",
                category=row.category,
                installed=None if row.installed is None else bool(row.installed),
            )
            for row in rows
        ]
    return DirectoryResult(
        entries=items,
        total=total,
        page=page,
        per_page=per_page,
        category_counts=category_counts,
        installed_counts=installed_counts,
    )


@dataclass(frozen=True)
class AppFeature:
    feature_id: int
    gate: str
    description: object  # Markup: the rendered §4.3 description
    user_description: str | None


def get_sentry_app(access: OrgAccess, slug: str) -> tuple[SentryApp, list[AppFeature]]:
    """Anyone who may view the org: a listed sentry app with its features (two queries).

    Unpublished and internal apps are NotFound except for staff, matching the directory.
    """
    app = db.session.scalar(select(SentryApp).where(SentryApp.slug == slug))
    if app is None or (
        app.status not in LISTED_SENTRY_APP_STATUSES and not access.user.is_privileged
    ):
        raise NotFound(f"Sentry app {slug} not found")
    rows = db.session.scalars(
        select(IntegrationFeature)
        .where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.SENTRY_APP,
            IntegrationFeature.target_id == app.id,
        )
        .order_by(IntegrationFeature.feature)
    )
    features = []
    for row in rows:
        spec = FEATURES.get(row.feature)
        if spec is None:  # an id outside §4.3 (hand-edited data): skip rather than fail
            continue
        features.append(
            AppFeature(
                feature_id=row.feature,
                gate=spec.gate,
                description=render_feature_description(row.feature, app.name),
                user_description=row.user_description,
            )
        )
    return app, features
