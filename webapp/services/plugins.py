"""Legacy plugins per project (SPEC §4.4, §7.3): project lists, the per-plugin table, settings.

Who may call what is the caller's business (pages check capabilities, the API likewise);
these functions take plain values and raise domain errors.

"Configured" and "enabled" are decided in SQL so that lists can be filtered, counted and
paginated in the database. The two SQL predicates below mirror the catalog's Python rules
(``webapp.catalog.plugins.is_configured`` / ``is_enabled``); tests/plugins check that both
agree value by value on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import (
    Integer,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import joinedload

from webapp.catalog.plugins import (
    PLUGINS,
    Plugin,
    get_plugin,
    is_configured,
    is_enabled,
    plugins_with_configuration,
)
from webapp.catalog.providers import ConfigField
from webapp.extensions import db, sql_constant
from webapp.models import (
    AuditLogEntry,
    ObjectStatus,
    Organization,
    Project,
    ProjectPluginOption,
    User,
)
from webapp.services.audit import diff_values, record_audit
from webapp.services.errors import NotFound, StaleEdit, ValidationFailed

TARGET_TYPE = "project_plugin"
TEXT_MAX_LENGTH = 10_000

# JSON texts (as stored on SQLite, as rendered by jsonb::text on PostgreSQL) that do not count.
_NO_VALUE_JSON = ("null", "false", '""')  # catalog _has_value: None, False, ""
_FALSY_JSON = (*_NO_VALUE_JSON, "0", "0.0", "-0.0", "[]", "{}")  # Python bool() is False


def _json_text(column):
    """The option value as JSON text; SQL NULL (no row, or a NULL value) reads as "null"."""
    return func.coalesce(cast(column, Text), sql_constant("null"))


def has_value_sql(column):
    """SQL twin of the catalog's "holds a value other than false, "" or null"."""
    return _json_text(column).not_in([sql_constant(v) for v in _NO_VALUE_JSON])


def truthy_sql(column):
    """SQL twin of ``bool(value)`` for JSON values (the catalog's ``is_enabled``)."""
    return _json_text(column).not_in([sql_constant(v) for v in _FALSY_JSON])


_FALSY_JSON_SET = frozenset(_FALSY_JSON)


def truthy_json_text(json_text: str) -> bool:
    """`truthy_sql` in Python, on the `_json_text` a statement selected: for rows that are
    only shown. SQLite evaluates the NOT IN list once per row, a fifth of the time of the
    configs page's statement; Python's set lookup costs next to nothing."""
    return json_text not in _FALSY_JSON_SET


# ---------------------------------------------------------------------------------------
# Which plugins


def resolve_plugin_slugs(slugs: list[str] | tuple[str, ...] | None) -> list[Plugin]:
    """The plugins named by *slugs* in catalog order (by title), duplicates collapsed.

    No slugs: every plugin with project configuration, deprecated ones skipped. A slug
    that is not in the catalog → NotFound("Plugin <slug> not found").
    """
    wanted = [s for s in (slugs or []) if s is not None and s != ""]
    if not wanted:
        return plugins_with_configuration()
    for slug in wanted:
        if slug not in PLUGINS:
            raise NotFound(f"Plugin {slug} not found")
    chosen = set(wanted)
    return [plugin for plugin in PLUGINS.values() if plugin.slug in chosen]


def get_plugin_or_404(slug: str) -> Plugin:
    """The catalog plugin *slug*, or NotFound("Plugin <slug> not found")."""
    plugin = get_plugin(slug)
    if plugin is None:
        raise NotFound(f"Plugin {slug} not found")
    return plugin


# ---------------------------------------------------------------------------------------
# Project lists (the plugin configs page and the API's projectList)


class ProjectEntry(NamedTuple):
    """One project as shown in a plugin's project list or table (a NamedTuple: the
    plugin configs page builds ~130 of them per request, 4× faster than a frozen
    dataclass)."""

    project_id: int
    project_slug: str
    project_name: str
    platform: str | None
    enabled: bool
    configured: bool


@dataclass(frozen=True)
class ProjectListPreview:
    """The first rows of a plugin's project list, and whether there are more.

    Counting a whole list costs a scan of every configured project; the configs page
    shows exact numbers only up to the preview size ("10+" beyond) and links to the
    plugin's page, whose table counts exactly.
    """

    entries: list[ProjectEntry]
    has_more: bool

    @property
    def total(self) -> int | None:
        """The list's length when the preview holds all of it, else None."""
        return None if self.has_more else len(self.entries)

    @property
    def enabled(self) -> int | None:
        return None if self.has_more else sum(1 for e in self.entries if e.enabled)


# Core tables, not ORM aliases: these statements are built per plugin, and building ORM
# aliases for 24 plugins cost more than running the SQL. The built statements are cached.
_OPTION = ProjectPluginOption.__table__
_PROJECT = Project.__table__


def _enabled_sql(plugin: Plugin):
    """Is the plugin enabled on the project (correlated): its `enabled` option is truthy."""
    enabled = _OPTION.alias("enabled_option")
    return truthy_sql(
        select(enabled.c.value)
        .where(enabled.c.project_id == _PROJECT.c.id, enabled.c.plugin == sql_constant(plugin.slug),
               enabled.c.key == sql_constant("enabled"))
        .scalar_subquery()
    )


def _configured_sql(plugin: Plugin):
    """Is the plugin configured on the project (correlated): its required option holds a
    value (no required field: any option but `enabled` does). One index probe."""
    required = _OPTION.alias("required_option")
    key_rule = (
        required.c.key == sql_constant(plugin.required_field)
        if plugin.required_field is not None
        else required.c.key != sql_constant("enabled")
    )
    return (
        select(required.c.id)
        .where(required.c.project_id == _PROJECT.c.id, required.c.plugin == sql_constant(plugin.slug), key_rule,
               has_value_sql(required.c.value))
        .exists()
    )


def _active_projects(org_id) -> list:
    """Conditions for the org's ACTIVE projects (*org_id*: a value or a bindparam)."""
    return [_PROJECT.c.organization_id == org_id, _PROJECT.c.status == sql_constant(int(ObjectStatus.ACTIVE))]


def _configured_range(columns, required, org_id, plugin, key):
    """SELECT *columns* over the index range of ix_project_plugin_option_list that lists
    a plugin's configured projects: its required option's rows (*required*, an alias of
    the option table) in the org that hold a value, on ACTIVE projects, by project slug
    (the trigger-kept copies). *plugin* and *key*: SQL constants, or a row's columns (the
    PostgreSQL LATERAL part). The one rule of both `_indexed_part` forms."""
    return (
        select(*columns)
        .where(
            required.c.project_organization_id == org_id,
            required.c.plugin == plugin,
            required.c.key == key,
            required.c.has_value == true(),
            required.c.project_status == sql_constant(int(ObjectStatus.ACTIVE)),
        )
        .order_by(required.c.project_slug, required.c.project_id)
    )


def _indexed_part(position: int, plugin: Plugin, org_id):
    """The plugin's configured projects read from ix_project_plugin_option_list alone
    (`_configured_range`); (position, plugin, project id, project slug)."""
    required = _OPTION.alias("required_option")
    return _configured_range(
        (sql_constant(position).label("position"), required.c.plugin.label("plugin"),
         required.c.project_id.label("project_id"),
         required.c.project_slug.label("project_slug")),
        required, org_id, sql_constant(plugin.slug), sql_constant(plugin.required_field))


def _project_walk_part(position: int, plugin: Plugin, org_id):
    """The same for a plugin without a required field (any option but `enabled` holding a
    value counts): the org's active projects by slug, probed one by one."""
    return (
        select(
            sql_constant(position).label("position"),
            sql_constant(plugin.slug).label("plugin"),
            _PROJECT.c.id.label("project_id"),
            _PROJECT.c.slug.label("project_slug"),
        )
        .where(*_active_projects(org_id), _configured_sql(plugin))
        .order_by(_PROJECT.c.slug, _PROJECT.c.id)
    )


@functools.lru_cache(maxsize=128)
def _project_list_union(plugins: tuple[Plugin, ...], limit: int | None, dialect: str):
    """One statement (org id bound as `org_id`): per plugin, the active projects where it
    is configured, by slug (at most *limit* each), glued with UNION ALL; each row carries
    the plugin's position in *plugins*. Each part is one index range (see _indexed_part),
    so its cost follows *limit*, not the number of projects of the org; the project's
    name and platform and the `enabled` option's JSON text are then probed once per
    listed row (`_entry` reads the flag from that text).

    On PostgreSQL the plugins with a required field share one part: a LATERAL subquery
    run once per (plugin, required field) pair of a constant list, the same index range
    each time (`_indexed_lateral_part`). The rows are the same; PostgreSQL sets up one
    small plan instead of one branch per plugin (0.7 → 0.5 ms for the configs page's 24
    plugins). SQLite has no LATERAL."""
    org_id = bindparam("org_id", type_=Integer)
    parts = []
    indexed = [(position, plugin) for position, plugin in enumerate(plugins)
               if plugin.required_field is not None]
    if dialect == "postgresql" and indexed:
        parts.append(_indexed_lateral_part(indexed, org_id, limit))
    for position, plugin in enumerate(plugins):
        if plugin.required_field is not None:
            if dialect == "postgresql":
                continue  # in the lateral part
            part = _indexed_part(position, plugin, org_id)
        else:
            part = _project_walk_part(position, plugin, org_id)
        if limit is not None:
            part = part.limit(sql_constant(limit)).offset(sql_constant(0))
        # SQLite refuses ORDER BY/LIMIT directly inside a compound SELECT: wrap each part.
        parts.append(select(part.subquery(f"plugin_{position}")))
    listed = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("project_lists")
    enabled = _OPTION.alias("enabled_option")
    return (
        select(
            listed.c.position,
            listed.c.project_id,
            listed.c.project_slug,
            _PROJECT.c.name.label("project_name"),
            _PROJECT.c.platform.label("platform"),
            _json_text(enabled.c.value).label("enabled_json"),
        )
        .select_from(
            listed.join(_PROJECT, _PROJECT.c.id == listed.c.project_id).outerjoin(
                enabled,
                and_(enabled.c.project_id == listed.c.project_id,
                     enabled.c.plugin == listed.c.plugin, enabled.c.key == sql_constant("enabled")),
            )
        )
        .order_by(listed.c.position, listed.c.project_slug, listed.c.project_id)
    )


def _indexed_lateral_part(indexed: list[tuple[int, Plugin]], org_id, limit: int | None):
    """PostgreSQL: `_indexed_part` of each (position, plugin) as one part: a list of
    (position, plugin, required field), each row joined to a LATERAL subquery that reads
    that plugin's index range (at most *limit* rows)."""
    # The list as constant rows glued with UNION ALL: SQLAlchemy caches no statement that
    # holds a VALUES construct of literals (it would compile it on every request).
    wanted = union_all(*(
        select(sql_constant(position).label("position"), sql_constant(plugin.slug).label("plugin"),
               sql_constant(plugin.required_field).label("key"))
        for position, plugin in indexed
    )).subquery("wanted")
    required = _OPTION.alias("required_option")
    ranges = _configured_range(
        (required.c.plugin, required.c.project_id, required.c.project_slug),
        required, org_id, wanted.c.plugin, wanted.c.key)
    if limit is not None:
        ranges = ranges.limit(sql_constant(limit))
    ranges = ranges.lateral("listed")
    return select(
        wanted.c.position.label("position"),
        ranges.c.plugin.label("plugin"),
        ranges.c.project_id.label("project_id"),
        ranges.c.project_slug.label("project_slug"),
    ).select_from(wanted.join(ranges, true()))


def _entry(row) -> ProjectEntry:
    """A row of `_project_list_union` (position, project id, slug, name, platform, the
    `enabled` option's JSON text) as an entry; unpacked by position, which costs half of
    reading its columns by name (the configs page reads ~130 such rows per request)."""
    _position, project_id, slug, name, platform, enabled_json = row
    return ProjectEntry(project_id, slug, name, platform, truthy_json_text(enabled_json), True)


def iter_plugin_project_entries(
    org: Organization, plugins: list[Plugin], stream: bool = True
) -> Iterator[tuple[Plugin, ProjectEntry]]:
    """Every (plugin, project entry) of the project lists, plugins in the given order and
    projects by slug; one statement, streamed in batches for the CSV export (`stream`),
    read at once for plugin_project_lists, which keeps every row anyway."""
    if not plugins:
        return
    query = _project_list_union(tuple(plugins), None, db.engine.dialect.name)
    if stream:
        rows = db.session.execute(query.execution_options(yield_per=1000), {"org_id": org.id})
    else:
        rows = db.session.execute(query, {"org_id": org.id}).all()
    for row in rows:
        yield plugins[row.position], _entry(row)


def plugin_project_lists(org: Organization, plugins: list[Plugin]) -> dict[str, list[ProjectEntry]]:
    """Anyone who may view the org: {plugin slug: its project list} — the org's ACTIVE
    projects where the plugin is configured (enabled or not), sorted by project slug.

    Keys follow the order of *plugins*; one SQL statement for all of them.
    """
    lists: dict[str, list[ProjectEntry]] = {plugin.slug: [] for plugin in plugins}
    for plugin, entry in iter_plugin_project_entries(org, plugins, stream=False):
        lists[plugin.slug].append(entry)
    return lists


def plugin_project_previews(
    org: Organization, plugins: list[Plugin], limit: int = 10
) -> dict[str, ProjectListPreview]:
    """Like plugin_project_lists, but at most *limit* projects per plugin and whether the
    list goes on (what the HTML page shows); one SQL statement, whose cost depends on
    *limit* and the number of plugins, not on how many projects use them."""
    entries: dict[str, list[ProjectEntry]] = {plugin.slug: [] for plugin in plugins}
    if plugins:
        query = _project_list_union(tuple(plugins), limit + 1, db.engine.dialect.name)
        lists = [entries[plugin.slug] for plugin in plugins]
        for row in db.session.execute(query, {"org_id": org.id}):
            lists[row[0]].append(_entry(row))
    return {
        slug: ProjectListPreview(rows[:limit], has_more=len(rows) > limit)
        for slug, rows in entries.items()
    }


def enabled_option_projects(
    org: Organization, plugins: list[Plugin], offset: int = 0, limit: int | None = None
) -> list[tuple[Plugin, Project, bool]]:
    """Anyone who may view the org (the JSON API's /plugins/ route, after Sentry's
    OrganizationPluginsEndpoint): (plugin, project, enabled) for each ACTIVE project of the
    org that has an `enabled` option for one of *plugins*, whatever its value (switched-off
    plugins are listed too), in the order of *plugins*, then by project slug. One statement;
    *offset* / *limit* page it in SQL."""
    from sqlalchemy import case  # local: keeps this addition to one function

    if not plugins:
        return []
    by_slug = {plugin.slug: plugin for plugin in plugins}
    position = case({slug: index for index, slug in enumerate(by_slug)}, value=ProjectPluginOption.plugin)
    query = (
        select(ProjectPluginOption.plugin, Project, truthy_sql(ProjectPluginOption.value))
        .join(Project, Project.id == ProjectPluginOption.project_id)
        .where(
            Project.organization_id == org.id,
            Project.status == int(ObjectStatus.ACTIVE),
            ProjectPluginOption.key == "enabled",
            ProjectPluginOption.plugin.in_(list(by_slug)),
        )
        .order_by(position, Project.slug, Project.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [(by_slug[slug], project, bool(enabled)) for slug, project, enabled in db.session.execute(query)]


# ---------------------------------------------------------------------------------------
# One plugin over all active projects (the plugin page's table)


@dataclass(frozen=True)
class PluginProjectFilters:
    """Filters of the plugin page's project table (all optional)."""

    q: str = ""  # substring of project slug or name, case-insensitive
    enabled: bool | None = None
    configured: bool | None = None
    page: int = 1
    per_page: int = 25


@dataclass
class PluginProjectsTable:
    """One page of the table plus its counts; facets count rows for each choice of one
    filter with the other filters applied."""

    items: list[ProjectEntry]
    total: int
    page: int
    per_page: int
    enabled_facets: dict[bool, int] = field(default_factory=dict)
    configured_facets: dict[bool, int] = field(default_factory=dict)


def _table_query(org: Organization, plugin: Plugin, filters: PluginProjectFilters):
    """(conditions without the yes/no filters, enabled expr, configured expr, row select)."""
    enabled_expr, configured_expr = _enabled_sql(plugin), _configured_sql(plugin)
    conditions = _active_projects(org.id)
    if filters.q and filters.q.strip():
        needle = filters.q.strip().lower()
        conditions.append(
            or_(
                func.lower(_PROJECT.c.slug).contains(needle, autoescape=True),
                func.lower(_PROJECT.c.name).contains(needle, autoescape=True),
            )
        )
    filtered = list(conditions)
    if filters.enabled is not None:
        filtered.append(enabled_expr if filters.enabled else ~enabled_expr)
    if filters.configured is not None:
        filtered.append(configured_expr if filters.configured else ~configured_expr)
    rows = (
        select(_PROJECT.c.id, _PROJECT.c.slug, _PROJECT.c.name, _PROJECT.c.platform,
               enabled_expr.label("enabled"), configured_expr.label("configured"))
        .where(*filtered)
        .order_by(_PROJECT.c.slug, _PROJECT.c.id)
    )
    return conditions, enabled_expr, configured_expr, rows


def _table_entry(row) -> ProjectEntry:
    return ProjectEntry(row.id, row.slug, row.name, row.platform, bool(row.enabled), bool(row.configured))


def bucket_counts_query(org: Organization, plugin: Plugin, filters: PluginProjectFilters):
    """The statement behind the table's counts (see `_bucket_counts`)."""
    conditions, enabled_expr, configured_expr, _rows = _table_query(org, plugin, filters)
    return _bucket_counts_query(org, plugin, conditions, enabled_expr, configured_expr)


def _bucket_counts_query(org: Organization, plugin: Plugin, conditions, enabled_expr,
                         configured_expr):
    """UNION ALL of (part 0: the org's active projects matching `conditions`) and (part 1:
    (enabled, configured, projects) of those with an option of the plugin)."""
    with_options = select(_OPTION.c.project_id).where(
        _OPTION.c.project_organization_id == org.id,
        _OPTION.c.plugin == plugin.slug,
        _OPTION.c.project_status == int(ObjectStatus.ACTIVE),
    )
    probed = (
        select(enabled_expr.label("enabled"), configured_expr.label("configured"))
        .where(*conditions, _PROJECT.c.id.in_(with_options))
        .subquery("probed")
    )
    buckets = (
        select(literal_column("1", Integer).label("part"), probed.c.enabled, probed.c.configured,
               func.count().label("n"))
        .group_by(probed.c.enabled, probed.c.configured)
    )
    everyone = select(literal_column("0", Integer).label("part"), null().label("enabled"),
                      null().label("configured"), func.count().label("n")).where(*conditions)
    return union_all(everyone, buckets)


def _bucket_counts(org: Organization, plugin: Plugin, conditions, enabled_expr,
                   configured_expr) -> dict[tuple[bool, bool], int]:
    """{(enabled, configured): projects} of the table, in one statement, without probing
    every project of the org: a project with no option of the plugin is neither enabled
    nor configured, so only the projects that have one (an index range of
    ix_project_plugin_option_list, via the options' trigger-kept project copies) are
    probed and grouped; the rest is the count of the org's active projects (read from
    ix_project_org_status_slug alone) minus those."""
    counts: dict[tuple[bool, bool], int] = {}
    active = 0
    query = _bucket_counts_query(org, plugin, conditions, enabled_expr, configured_expr)
    for row in db.session.execute(query):
        if row.part == 0:
            active = int(row.n)
        else:
            key = (bool(row.enabled), bool(row.configured))
            counts[key] = counts.get(key, 0) + int(row.n)
    counts[(False, False)] = counts.get((False, False), 0) + active - sum(counts.values())
    return counts


def plugin_projects_table(
    org: Organization, plugin: Plugin, filters: PluginProjectFilters | None = None
) -> PluginProjectsTable:
    """Anyone who may view the org: every ACTIVE project with this plugin's enabled and
    configured state, filtered, sorted by slug and paginated in SQL (two statements)."""
    filters = filters or PluginProjectFilters()
    conditions, enabled_expr, configured_expr, rows_query = _table_query(org, plugin, filters)
    counts = _bucket_counts(org, plugin, conditions, enabled_expr, configured_expr)

    def count(enabled: bool | None, configured: bool | None) -> int:
        return sum(
            n for (e, c), n in counts.items()
            if (enabled is None or e == enabled) and (configured is None or c == configured)
        )

    total = count(filters.enabled, filters.configured)
    per_page = max(1, filters.per_page)
    page = min(max(1, filters.page), max(1, -(-total // per_page)))  # past the end → last page
    rows = db.session.execute(rows_query.limit(per_page).offset((page - 1) * per_page))
    return PluginProjectsTable(
        items=[_table_entry(row) for row in rows],
        total=total,
        page=page,
        per_page=per_page,
        enabled_facets={True: count(True, filters.configured), False: count(False, filters.configured)},
        configured_facets={True: count(filters.enabled, True), False: count(filters.enabled, False)},
    )


def iter_plugin_projects(
    org: Organization, plugin: Plugin, filters: PluginProjectFilters | None = None
) -> Iterator[ProjectEntry]:
    """Every row of plugin_projects_table's filtered list (all pages), streamed: the CSV."""
    _conditions, _enabled, _configured, rows_query = _table_query(
        org, plugin, filters or PluginProjectFilters()
    )
    for row in db.session.execute(rows_query.execution_options(yield_per=1000)):
        yield _table_entry(row)


# ---------------------------------------------------------------------------------------
# One project's settings


@dataclass
class ProjectPluginState:
    """A plugin on one project: its schema fields' values, enabled, configured, extras."""

    project: Project
    plugin: Plugin
    settings: dict[str, object]  # every schema field; unset → None (booleans → False)
    enabled: bool
    configured: bool
    extra: dict[str, object]  # stored keys outside the schema (shown read-only, never dropped)
    version: str  # digest of settings + enabled: the form's optimistic-lock token


def get_active_project(org: Organization, project_slug: str, *, for_update: bool = False) -> Project | None:
    """The org's ACTIVE project *project_slug*, or None."""
    query = select(Project).where(
        Project.organization_id == org.id,
        Project.slug == project_slug,
        Project.status == int(ObjectStatus.ACTIVE),
    )
    if for_update:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def _project_or_field_error(org: Organization, project_slug: str, *, for_update: bool = False) -> Project:
    project = get_active_project(org, project_slug or "", for_update=for_update)
    if project is None:
        raise ValidationFailed({"project": [f"Project {project_slug} not found."]})
    return project


def _load_options(project: Project, plugin: Plugin) -> dict[str, ProjectPluginOption]:
    rows = db.session.scalars(
        select(ProjectPluginOption).where(
            ProjectPluginOption.project_id == project.id, ProjectPluginOption.plugin == plugin.slug
        )
    )
    return {row.key: row for row in rows}


def _unset(config_field: ConfigField) -> object:
    return False if config_field.type == "boolean" else None


def _settings(plugin: Plugin, options: Mapping[str, object]) -> dict[str, object]:
    return {f.name: options.get(f.name, _unset(f)) for f in plugin.config_schema}


def _version(settings: Mapping[str, object], enabled: bool) -> str:
    payload = json.dumps({"settings": settings, "enabled": enabled}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _state(project: Project, plugin: Plugin, rows: Mapping[str, ProjectPluginOption]) -> ProjectPluginState:
    options = {key: row.value for key, row in rows.items()}
    schema_names = {f.name for f in plugin.config_schema}
    settings = _settings(plugin, options)
    enabled = is_enabled(options)
    return ProjectPluginState(
        project=project,
        plugin=plugin,
        settings=settings,
        enabled=enabled,
        configured=is_configured(plugin, options),
        extra={k: v for k, v in sorted(options.items()) if k not in schema_names and k != "enabled"},
        version=_version(settings, enabled),
    )


def project_plugin_state(org: Organization, plugin: Plugin, project_slug: str) -> ProjectPluginState:
    """Anyone who may view the org: the plugin's settings on one active project (NotFound
    for a project that is not an active project of the org)."""
    project = get_active_project(org, project_slug)
    if project is None:
        raise NotFound(f"Project {project_slug} not found")
    return _state(project, plugin, _load_options(project, plugin))


def _clean_value(config_field: ConfigField, value: object) -> tuple[object, str | None]:
    """(clean value, error message or None) for one schema field."""
    if config_field.type == "boolean":
        if value is None:
            return False, None
        if isinstance(value, bool):
            return value, None
        return None, "Must be true or false."
    if config_field.type == "text":
        if value is None:
            return None, None
        if not isinstance(value, str):
            return None, "Must be text."
        text = value.strip()
        if len(text) > TEXT_MAX_LENGTH:
            return None, f"At most {TEXT_MAX_LENGTH:,} characters (you entered {len(text):,})."
        return (text or None), None
    allowed = [choice for choice, _label in config_field.choices]
    if config_field.type == "choice":
        if value is None or value == "":
            return None, None
        if not isinstance(value, str) or value not in allowed:
            return None, f"“{value}” is not one of the choices."
        return value, None
    if config_field.type == "multichoice":
        if value is None:
            return None, None
        if isinstance(value, str) or not isinstance(value, list | tuple):
            return None, "Must be a list of choices."
        chosen = []
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                return None, f"“{item}” is not one of the choices."
            if item not in chosen:
                chosen.append(item)
        return (chosen or None), None
    return None, "This field cannot be set."


SECRET_MASK = "••••••••"


def _shown(schema: Mapping[str, ConfigField], key: str, value: object) -> object:
    """A value as pages and audit entries may show it: credentials masked."""
    field_ = schema.get(key)
    if field_ is not None and field_.secret and value not in (None, ""):
        return SECRET_MASK
    return value


def mask_secret_changes(schema: Mapping[str, ConfigField], changes: dict) -> dict:
    """An audit diff with credential values replaced by a mask (that they changed is kept)."""
    return {
        key: {"before": _shown(schema, key, change["before"]),
              "after": _shown(schema, key, change["after"])}
        for key, change in changes.items()
    }


def _write_option(project: Project, plugin: Plugin, rows: dict[str, ProjectPluginOption],
                  key: str, value: object) -> None:
    """Set one option (None removes the row: unset and absent are the same)."""
    row = rows.get(key)
    if value is None:
        if row is not None:
            db.session.delete(row)
            del rows[key]
        return
    if row is None:
        rows[key] = row = ProjectPluginOption(project_id=project.id, plugin=plugin.slug, key=key)
        db.session.add(row)
    row.value = value


def _audit(event: str, actor: User | None, org: Organization, plugin: Plugin, project: Project,
           changes: dict, ip_address: str | None) -> None:
    record_audit(
        event=event,
        actor=actor,
        organization=org,
        target_type=TARGET_TYPE,
        target_id=project.id,
        target_object=target_object(plugin, project.slug),
        data={"changes": changes, "plugin": plugin.slug, "project": project.slug},
        ip_address=ip_address,
    )


def target_object(plugin: Plugin, project_slug: str) -> str:
    """The audit target of a plugin on a project: "<plugin slug>/<project slug>"."""
    return f"{plugin.slug}/{project_slug}"


def _set_enabled(actor, org, plugin, project, rows, enabled: bool, ip_address) -> bool:
    before = is_enabled({key: row.value for key, row in rows.items()})
    if before == enabled:
        return False
    if not enabled and not plugin.can_disable:
        raise ValidationFailed({"enabled": [f"{plugin.title} cannot be disabled."]})
    _write_option(project, plugin, rows, "enabled", enabled)
    _audit("PLUGIN_ENABLE" if enabled else "PLUGIN_DISABLE", actor, org, plugin, project,
           diff_values({"enabled": before}, {"enabled": enabled}), ip_address)
    return True


def set_plugin_enabled(
    actor: User | None, org: Organization, plugin: Plugin, project_slug: str, enabled: bool,
    ip_address: str | None = None,
) -> bool:
    """Admins and up: switch the plugin on or off for one active project; the settings are
    kept either way. Audits PLUGIN_ENABLE / PLUGIN_DISABLE. Returns False when nothing
    changed. The caller commits."""
    if not isinstance(enabled, bool):
        raise ValidationFailed({"enabled": ["Must be true or false."]})
    project = _project_or_field_error(org, project_slug, for_update=True)
    rows = _load_options(project, plugin)
    changed = _set_enabled(actor, org, plugin, project, rows, enabled, ip_address)
    if changed:
        db.session.flush()
    return changed


@dataclass
class SettingsResult:
    """What update_plugin_settings changed."""

    state: ProjectPluginState
    changes: dict[str, dict[str, object]]  # settings diff
    enabled_changed: bool

    @property
    def changed(self) -> bool:
        return bool(self.changes) or self.enabled_changed


def update_plugin_settings(
    actor: User | None,
    org: Organization,
    plugin: Plugin,
    project_slug: str,
    values: Mapping[str, object],
    enabled: bool | None = None,
    ip_address: str | None = None,
    expected_version: str | None = None,
) -> SettingsResult:
    """Admins and up: save schema fields of the plugin on one active project (fields not in
    *values* stay as they are; keys outside the schema are an error) and optionally switch
    it on or off. All-or-nothing: any field error → ValidationFailed and nothing written.

    The required field must hold a value after saving. *expected_version* (the form's
    token) refuses the save with StaleEdit when someone changed the settings meanwhile.
    Audits PLUGIN_EDIT (settings diff) and PLUGIN_ENABLE / PLUGIN_DISABLE. Caller commits.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(values, Mapping):
        raise ValidationFailed({"__all__": ["Settings must be an object."]})
    schema = {f.name: f for f in plugin.config_schema}
    cleaned: dict[str, object] = {}
    for name, value in values.items():
        config_field = schema.get(name)
        if config_field is None:
            errors.setdefault(name, []).append(f"Unknown field for {plugin.title}.")
            continue
        clean, message = _clean_value(config_field, value)
        if message:
            errors.setdefault(name, []).append(message)
        elif config_field.secret and clean is None:
            continue  # a blank credential keeps the stored one (pages never show it back)
        else:
            cleaned[name] = clean
    if enabled is not None and not isinstance(enabled, bool):
        errors.setdefault("enabled", []).append("Must be true or false.")
    try:
        project = _project_or_field_error(org, project_slug, for_update=True)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
        raise ValidationFailed(errors) from None
    rows = _load_options(project, plugin)
    state = _state(project, plugin, rows)
    before = dict(state.settings)
    after = {**before, **cleaned}
    required = plugin.required_field
    if required in schema and required not in errors and after.get(required) in (None, "", False):
        errors.setdefault(required, []).append(f"{schema[required].label} is required.")
    if enabled is False and state.enabled and not plugin.can_disable:
        errors.setdefault("enabled", []).append(f"{plugin.title} cannot be disabled.")
    if errors:
        raise ValidationFailed(errors)
    if expected_version is not None and expected_version != state.version:
        mine = {**after, "enabled": state.enabled if enabled is None else enabled}
        current = {**before, "enabled": state.enabled}
        raise StaleEdit({
            key: (_shown(schema, key, mine.get(key)), _shown(schema, key, current.get(key)))
            for key in current if mine.get(key) != current.get(key)
        })

    changes = diff_values(before, after)
    for key in changes:
        _write_option(project, plugin, rows, key, after[key])
    if changes:
        _audit("PLUGIN_EDIT", actor, org, plugin, project, mask_secret_changes(schema, changes),
               ip_address)
    enabled_changed = False
    if enabled is not None:
        enabled_changed = _set_enabled(actor, org, plugin, project, rows, enabled, ip_address)
    db.session.flush()
    return SettingsResult(
        state=_state(project, plugin, rows), changes=changes, enabled_changed=enabled_changed
    )


def plugin_history(plugin: Plugin, project: Project, limit: int = 50) -> list[AuditLogEntry]:
    """The audit entries of this plugin on this project, newest first (one query)."""
    return list(
        db.session.scalars(
            select(AuditLogEntry)
            .options(joinedload(AuditLogEntry.actor))
            .where(
                AuditLogEntry.target_type == TARGET_TYPE,
                AuditLogEntry.target_id == project.id,
                AuditLogEntry.target_object == target_object(plugin, project.slug),
            )
            .order_by(AuditLogEntry.datetime.desc(), AuditLogEntry.id.desc())
            .limit(limit)
        )
    )
