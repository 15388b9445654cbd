"""One plugin over all ACTIVE projects of an org: the plugin page's table, its counts, its CSV.

Every active project is a row, with the plugin's enabled and configured state decided in
SQL (predicates.py), so the table is filtered, sorted and paginated in the database. The
counts behind the pager and the yes/no filters come from one statement that probes only
the projects holding an option of the plugin (`_bucket_counts`), so their cost follows the
plugin's options rather than the org's projects (50k of them at the bench's scale).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from webapp.catalog.plugins import Plugin
from webapp.extensions import db
from webapp.models import ObjectStatus, Organization
from webapp.services.plugins.lists import ProjectEntry
from webapp.services.plugins.predicates import (
    OPTION,
    PROJECT,
    active_projects,
    configured_sql,
    enabled_sql,
)


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


@dataclass(frozen=True)
class _TableQuery:
    """The pieces of the table's statements for one plugin and set of filters."""

    conditions: list[ColumnElement[bool]]  # without the yes/no filters (the counts group by them)
    enabled: ColumnElement[bool]
    configured: ColumnElement[bool]
    rows: Select  # every matching row, by slug


def _table_query(org: Organization, plugin: Plugin, filters: PluginProjectFilters) -> _TableQuery:
    enabled_expr, configured_expr = enabled_sql(plugin), configured_sql(plugin)
    conditions = active_projects(org.id)
    if filters.q and filters.q.strip():
        needle = filters.q.strip().lower()
        conditions.append(
            or_(
                func.lower(PROJECT.c.slug).contains(needle, autoescape=True),
                func.lower(PROJECT.c.name).contains(needle, autoescape=True),
            )
        )
    filtered = list(conditions)
    if filters.enabled is not None:
        filtered.append(enabled_expr if filters.enabled else ~enabled_expr)
    if filters.configured is not None:
        filtered.append(configured_expr if filters.configured else ~configured_expr)
    rows = (
        select(PROJECT.c.id, PROJECT.c.slug, PROJECT.c.name, PROJECT.c.platform,
               enabled_expr.label("enabled"), configured_expr.label("configured"))
        .where(*filtered)
        .order_by(PROJECT.c.slug, PROJECT.c.id)
    )
    return _TableQuery(conditions, enabled_expr, configured_expr, rows)


def _table_entry(row) -> ProjectEntry:
    return ProjectEntry(row.id, row.slug, row.name, row.platform, bool(row.enabled), bool(row.configured))


def bucket_counts_query(org: Organization, plugin: Plugin,
                        filters: PluginProjectFilters) -> CompoundSelect:
    """The statement behind the table's counts (see `_bucket_counts`)."""
    return _counts_statement(org, plugin, _table_query(org, plugin, filters))


def _counts_statement(org: Organization, plugin: Plugin, table: _TableQuery) -> CompoundSelect:
    """UNION ALL of (part 0: the org's active projects matching the filters but the yes/no
    ones) and (part 1: (enabled, configured, projects) of those with an option of the
    plugin)."""
    with_options = select(OPTION.c.project_id).where(
        OPTION.c.project_organization_id == org.id,
        OPTION.c.plugin == plugin.slug,
        OPTION.c.project_status == int(ObjectStatus.ACTIVE),
    )
    probed = (
        select(table.enabled.label("enabled"), table.configured.label("configured"))
        .where(*table.conditions, PROJECT.c.id.in_(with_options))
        .subquery("probed")
    )
    buckets = (
        select(literal_column("1", Integer).label("part"), probed.c.enabled, probed.c.configured,
               func.count().label("n"))
        .group_by(probed.c.enabled, probed.c.configured)
    )
    everyone = select(literal_column("0", Integer).label("part"), null().label("enabled"),
                      null().label("configured"), func.count().label("n")).where(*table.conditions)
    return union_all(everyone, buckets)


def _bucket_counts(org: Organization, plugin: Plugin,
                   table: _TableQuery) -> dict[tuple[bool, bool], int]:
    """{(enabled, configured): projects} of the table, in one statement, without probing
    every project of the org: a project with no option of the plugin is neither enabled
    nor configured, so only the projects that have one (an index range of
    ix_project_plugin_option_list, via the options' trigger-kept project copies) are
    probed and grouped; the rest is the count of the org's active projects (read from
    ix_project_org_status_slug alone) minus those."""
    counts: dict[tuple[bool, bool], int] = {}
    active = 0
    for row in db.session.execute(_counts_statement(org, plugin, table)):
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
    table = _table_query(org, plugin, filters)
    counts = _bucket_counts(org, plugin, table)

    def count(enabled: bool | None, configured: bool | None) -> int:
        return sum(
            n for (e, c), n in counts.items()
            if (enabled is None or e == enabled) and (configured is None or c == configured)
        )

    total = count(filters.enabled, filters.configured)
    per_page = max(1, filters.per_page)
    page = min(max(1, filters.page), max(1, -(-total // per_page)))  # past the end → last page
    rows = db.session.execute(table.rows.limit(per_page).offset((page - 1) * per_page))
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
    rows_query = _table_query(org, plugin, filters or PluginProjectFilters()).rows
    for row in db.session.execute(rows_query.execution_options(yield_per=1000)):
        yield _table_entry(row)
