"""Which plugins, and each plugin's project list: the plugin configs page, its CSV, the API.

A plugin's project list is the org's ACTIVE projects where the plugin is configured, by
slug. One statement reads the lists of every plugin asked for (`project_lists_statement`):
a UNION ALL of one part per plugin, each part one index range of
ix_project_plugin_option_list (the option rows carry trigger-kept copies of their project's
org, slug and status, migration 0004), so a list's cost follows its length, not the number
of projects of the org. That is what keeps the configs page fast at 100k installations and
50k projects; a plain join over the org's projects scanned them all. The length of each
whole list (the page's exact counts) is kept on write in plugin_option_count (migration
0012) and read in the same statement: one row per plugin, not a count of its range.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)

from webapp.catalog.plugins import PLUGINS, Plugin, get_plugin, plugins_with_configuration
from webapp.extensions import db
from webapp.models import (
    ObjectStatus,
    Organization,
    PluginOptionCount,
    Project,
    ProjectPluginOption,
)
from webapp.services.actors import OrgRef
from webapp.services.errors import NotFound
from webapp.services.plugins.predicates import (
    OPTION,
    PROJECT,
    active_projects,
    configured_sql,
    json_text,
    truthy_json_text,
    truthy_sql,
)

COUNTS = PluginOptionCount.__table__

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
# Project lists


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
    """The first rows of a plugin's project list, whether there are more, and how many
    projects the whole list has (`total`, read in the same statement from the counts kept
    on write: the number the plugin's page gives as "Configured")."""

    entries: list[ProjectEntry]
    has_more: bool
    total: int

    @property
    def enabled(self) -> int | None:
        """How many of the listed projects have it enabled; None when the preview does not
        hold the whole list (the plugin's page counts them)."""
        return None if self.has_more else sum(1 for e in self.entries if e.enabled)


def _configured_range(columns, required, org_id, plugin, key) -> Select:
    """SELECT *columns* over the index range of ix_project_plugin_option_list that lists
    a plugin's configured projects: its required option's rows (*required*, an alias of
    the option table) in the org that hold a value, on ACTIVE projects, by project slug
    (the trigger-kept copies). *plugin* and *key*: values, or a row's columns (the
    PostgreSQL LATERAL part). The one rule of both `_indexed_part` forms."""
    return (
        select(*columns)
        .where(
            required.c.project_organization_id == org_id,
            required.c.plugin == plugin,
            required.c.key == key,
            required.c.has_value == true(),
            required.c.project_status == int(ObjectStatus.ACTIVE),
        )
        .order_by(required.c.project_slug, required.c.project_id)
    )


def _indexed_part(position: int, plugin: Plugin, org_id) -> Select:
    """The plugin's configured projects read from ix_project_plugin_option_list alone
    (`_configured_range`); (position, plugin, project id, project slug)."""
    required = OPTION.alias("required_option")
    return _configured_range(
        (literal(position).label("position"), required.c.plugin.label("plugin"),
         required.c.project_id.label("project_id"),
         required.c.project_slug.label("project_slug")),
        required, org_id, plugin.slug, plugin.required_field)


def _project_walk_part(position: int, plugin: Plugin, org_id) -> Select:
    """The same for a plugin without a required field (any option but `enabled` holding a
    value counts): the org's active projects by slug, probed one by one."""
    return (
        select(
            literal(position).label("position"),
            literal(plugin.slug).label("plugin"),
            PROJECT.c.id.label("project_id"),
            PROJECT.c.slug.label("project_slug"),
        )
        .where(*active_projects(org_id), configured_sql(plugin))
        .order_by(PROJECT.c.slug, PROJECT.c.id)
    )


def _count_part(plugins: tuple[Plugin, ...], org_id) -> Select | None:
    """(position, how many projects the plugin's list has) of each plugin with a required
    field: its row of plugin_option_count for (org, plugin, required field), kept exact on
    write by triggers (migration 0012) with the predicate of `_configured_range`; one
    lookup of the table's unique index per plugin. A plugin whose list is empty may have
    no row (0). None when no plugin has a required field."""
    indexed = [(position, plugin) for position, plugin in enumerate(plugins)
               if plugin.required_field is not None]
    if not indexed:
        return None
    wanted = _wanted_plugins(indexed)
    return select(wanted.c.position.label("position"), COUNTS.c.projects.label("total")).select_from(
        wanted.join(COUNTS, and_(COUNTS.c.organization_id == org_id, COUNTS.c.plugin == wanted.c.plugin,
                                 COUNTS.c.key == wanted.c.key)))


def _walk_count_part(position: int, plugin: Plugin, org_id) -> Select:
    """(position, total) of a plugin without a required field: `_project_walk_part` counted."""
    return select(literal(position).label("position"), func.count().label("total")).where(
        *active_projects(org_id), configured_sql(plugin))


def _counts(plugins: tuple[Plugin, ...], org_id) -> Select | CompoundSelect:
    """(position, total) of the plugins, glued with UNION ALL (no row: 0)."""
    counted = _count_part(plugins, org_id)
    parts = [counted] if counted is not None else []
    parts += [_walk_count_part(position, plugin, org_id) for position, plugin in enumerate(plugins)
              if plugin.required_field is None]
    return union_all(*parts) if len(parts) > 1 else parts[0]


@functools.lru_cache(maxsize=128)
def project_lists_statement(plugins: tuple[Plugin, ...], limit: int | None, dialect: str,
                            counts: bool = False) -> Select | CompoundSelect:
    """One statement (org id bound as `org_id`): per plugin, the active projects where it
    is configured, by slug (at most *limit* each), glued with UNION ALL; each row carries
    the plugin's position in *plugins*. Each part is one index range (see _indexed_part),
    so its cost follows *limit*, not the number of projects of the org; the project's
    name and platform and the `enabled` option's JSON text are then probed once per
    listed row (`_entry` reads the flag from that text). Built once per (plugins, limit,
    dialect, counts): building the 24 parts of the configs page costs more than running them.

    With *counts*, every row has a 7th column `total`: NULL on the project rows, and one
    more row per plugin (no project) whose `total` is the length of its whole list, read
    from plugin_option_count (`_counts`; a plugin without a row has none, and 0 projects):
    the configs page shows exact numbers without a second statement, whatever the length.

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
            part = part.limit(limit).offset(0)
        # SQLite refuses ORDER BY/LIMIT directly inside a compound SELECT: wrap each part.
        parts.append(select(part.subquery(f"plugin_{position}")))
    listed = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("project_lists")
    enabled = OPTION.alias("enabled_option")
    columns = [
        listed.c.position.label("position"),
        listed.c.project_id.label("project_id"),
        listed.c.project_slug.label("project_slug"),
        PROJECT.c.name.label("project_name"),
        PROJECT.c.platform.label("platform"),
        json_text(enabled.c.value).label("enabled_json"),
    ]
    entries = select(*columns, *([cast(null(), Integer).label("total")] if counts else [])).select_from(
        listed.join(PROJECT, PROJECT.c.id == listed.c.project_id).outerjoin(
            enabled,
            and_(enabled.c.project_id == listed.c.project_id,
                 enabled.c.plugin == listed.c.plugin, enabled.c.key == "enabled"),
        )
    )
    if not counts:
        return entries.order_by(listed.c.position, listed.c.project_slug, listed.c.project_id)
    totals = _counts(plugins, org_id).subquery("totals")
    count_rows = select(totals.c.position, cast(null(), Integer), cast(null(), String),
                        cast(null(), String), cast(null(), String), cast(null(), String),
                        totals.c.total)
    both = union_all(entries, count_rows)
    return both.order_by(both.selected_columns.position, both.selected_columns.project_slug,
                         both.selected_columns.project_id)


def _wanted_plugins(indexed: list[tuple[int, Plugin]]):
    """The constant list (position, plugin, required field) of the LATERAL parts, as
    one-row SELECTs glued with UNION ALL (a statement SQLAlchemy caches)."""
    return union_all(*(
        select(literal(position).label("position"), literal(plugin.slug).label("plugin"),
               literal(plugin.required_field).label("key"))
        for position, plugin in indexed
    )).subquery("wanted")


def _indexed_lateral_part(indexed: list[tuple[int, Plugin]], org_id, limit: int | None) -> Select:
    """PostgreSQL: `_indexed_part` of each (position, plugin) as one part: a list of
    (position, plugin, required field), each row joined to a LATERAL subquery that reads
    that plugin's index range (at most *limit* rows)."""
    wanted = _wanted_plugins(indexed)
    required = OPTION.alias("required_option")
    ranges = _configured_range(
        (required.c.plugin, required.c.project_id, required.c.project_slug),
        required, org_id, wanted.c.plugin, wanted.c.key)
    if limit is not None:
        ranges = ranges.limit(limit)
    lateral = ranges.lateral("listed")
    return select(
        wanted.c.position.label("position"),
        lateral.c.plugin.label("plugin"),
        lateral.c.project_id.label("project_id"),
        lateral.c.project_slug.label("project_slug"),
    ).select_from(wanted.join(lateral, true()))


def _entry(row) -> ProjectEntry:
    """A row of `project_lists_statement` (position, project id, slug, name, platform, the
    `enabled` option's JSON text) as an entry; unpacked by position, which costs half of
    reading its columns by name (the configs page reads ~130 such rows per request)."""
    _position, project_id, slug, name, platform, enabled_json = row[:6]
    return ProjectEntry(project_id, slug, name, platform, truthy_json_text(enabled_json), True)


def iter_plugin_project_entries(
    org: OrgRef, plugins: list[Plugin], stream: bool = True
) -> Iterator[tuple[Plugin, ProjectEntry]]:
    """Every (plugin, project entry) of the project lists, plugins in the given order and
    projects by slug; one statement, streamed in batches for the CSV export (`stream`),
    read at once for plugin_project_lists, which keeps every row anyway."""
    if not plugins:
        return
    query = project_lists_statement(tuple(plugins), None, db.engine.dialect.name)
    rows: Iterable[Row] = (
        db.session.execute(query.execution_options(yield_per=1000), {"org_id": org.id})
        if stream else db.session.execute(query, {"org_id": org.id}).all()
    )
    for row in rows:
        yield plugins[row.position], _entry(row)


def plugin_project_lists(org: OrgRef, plugins: list[Plugin]) -> dict[str, list[ProjectEntry]]:
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
    """Like plugin_project_lists, but at most *limit* projects per plugin, whether the
    list goes on and how long it is (what the HTML page shows); one SQL statement, whose
    rows depend on *limit* and the number of plugins; the counts read one row of
    plugin_option_count per plugin."""
    entries: dict[str, list[ProjectEntry]] = {plugin.slug: [] for plugin in plugins}
    totals: dict[str, int] = dict.fromkeys(entries, 0)
    if plugins:
        query = project_lists_statement(tuple(plugins), limit + 1, db.engine.dialect.name,
                                        counts=True)
        lists = [entries[plugin.slug] for plugin in plugins]
        for row in db.session.execute(query, {"org_id": org.id}):
            if row[1] is None:  # a plugin's count row (no project)
                totals[plugins[row[0]].slug] = int(row[6])
            else:
                lists[row[0]].append(_entry(row))
    return {
        slug: ProjectListPreview(rows[:limit], has_more=len(rows) > limit, total=totals[slug])
        for slug, rows in entries.items()
    }


def enabled_option_projects(
    org: OrgRef, plugins: list[Plugin], offset: int = 0, limit: int | None = None
) -> list[tuple[Plugin, Project, bool]]:
    """Anyone who may view the org (the JSON API's /plugins/ route, after Sentry's
    OrganizationPluginsEndpoint): (plugin, project, enabled) for each ACTIVE project of the
    org that has an `enabled` option for one of *plugins*, whatever its value (switched-off
    plugins are listed too), in the order of *plugins*, then by project slug. One statement;
    *offset* / *limit* page it in SQL."""
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
