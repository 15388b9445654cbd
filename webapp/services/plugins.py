"""Legacy plugins per project (SPEC §4.4, §7.3): project lists, the per-plugin table, settings.

Who may call what is the caller's business (pages check capabilities, the API likewise);
these functions take plain values and raise domain errors.

"Configured" and "enabled" are decided in SQL so that lists can be filtered, counted and
paginated in the database. The two SQL predicates below mirror the catalog's Python rules
(``webapp.catalog.plugins.is_configured`` / ``is_enabled``); tests/plugins check that both
agree value by value on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from webapp.catalog.plugins import (
    PLUGINS,
    Plugin,
    get_plugin,
    is_configured,
    is_enabled,
    plugins_with_configuration,
)
from webapp.catalog.providers import ConfigField
from webapp.extensions import db
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
    return func.coalesce(cast(column, Text), "null")


def has_value_sql(column):
    """SQL twin of the catalog's "holds a value other than false, "" or null"."""
    return _json_text(column).not_in(_NO_VALUE_JSON)


def truthy_sql(column):
    """SQL twin of ``bool(value)`` for JSON values (the catalog's ``is_enabled``)."""
    return _json_text(column).not_in(_FALSY_JSON)


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


@dataclass(frozen=True)
class ProjectEntry:
    """One project as shown in a plugin's project list or table."""

    project_id: int
    project_slug: str
    project_name: str
    platform: str | None
    enabled: bool
    configured: bool


@dataclass(frozen=True)
class ProjectListPreview:
    """The first rows of a plugin's project list, with the counts of the whole list."""

    entries: list[ProjectEntry]
    total: int  # active projects where the plugin is configured
    enabled: int  # … of which it is enabled

    @property
    def truncated(self) -> bool:
        return self.total > len(self.entries)


def _configured_select(org: Organization, plugins: list[Plugin]):
    """(plugin, project id/slug/name/platform, enabled) for every active project of *org*
    where one of *plugins* is configured. Unordered; callers add order or windows."""
    required = aliased(ProjectPluginOption, name="required_option")
    enabled = aliased(ProjectPluginOption, name="enabled_option")
    which = []
    for plugin in plugins:
        if plugin.required_field is not None:
            which.append(and_(required.plugin == plugin.slug, required.key == plugin.required_field))
        else:  # catalog rule: any option other than "enabled" holding a value
            which.append(and_(required.plugin == plugin.slug, required.key != "enabled"))
    anchor = (
        select(required.project_id.label("project_id"), required.plugin.label("plugin"))
        .join(Project, Project.id == required.project_id)
        .where(
            Project.organization_id == org.id,
            Project.status == int(ObjectStatus.ACTIVE),
            or_(*which),
            has_value_sql(required.value),
        )
        .group_by(required.project_id, required.plugin)
        .subquery("configured")
    )
    return (
        select(
            anchor.c.plugin,
            Project.id.label("project_id"),
            Project.slug.label("project_slug"),
            Project.name.label("project_name"),
            Project.platform.label("platform"),
            truthy_sql(enabled.value).label("enabled"),
        )
        .join(Project, Project.id == anchor.c.project_id)
        .outerjoin(
            enabled,
            and_(
                enabled.project_id == anchor.c.project_id,
                enabled.plugin == anchor.c.plugin,
                enabled.key == "enabled",
            ),
        )
    )


def _entry(row) -> ProjectEntry:
    return ProjectEntry(
        project_id=row.project_id,
        project_slug=row.project_slug,
        project_name=row.project_name,
        platform=row.platform,
        enabled=bool(row.enabled),
        configured=True,
    )


def _catalog_position(column, plugins: list[Plugin]):
    return case({plugin.slug: index for index, plugin in enumerate(plugins)}, value=column, else_=len(plugins))


def iter_plugin_project_entries(
    org: Organization, plugins: list[Plugin]
) -> Iterator[tuple[Plugin, ProjectEntry]]:
    """Every (plugin, project entry) of the project lists, plugins in the given order and
    projects by slug; one streamed query (the CSV export and plugin_project_lists)."""
    if not plugins:
        return
    base = _configured_select(org, plugins).subquery("entries")
    query = select(base).order_by(
        _catalog_position(base.c.plugin, plugins), base.c.project_slug, base.c.project_id
    )
    by_slug = {plugin.slug: plugin for plugin in plugins}
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        yield by_slug[row.plugin], _entry(row)


def plugin_project_lists(org: Organization, plugins: list[Plugin]) -> dict[str, list[ProjectEntry]]:
    """Anyone who may view the org: {plugin slug: its project list} — the org's ACTIVE
    projects where the plugin is configured (enabled or not), sorted by project slug.

    Keys follow the order of *plugins*; one SQL statement for all of them.
    """
    lists: dict[str, list[ProjectEntry]] = {plugin.slug: [] for plugin in plugins}
    for plugin, entry in iter_plugin_project_entries(org, plugins):
        lists[plugin.slug].append(entry)
    return lists


def plugin_project_previews(
    org: Organization, plugins: list[Plugin], limit: int = 10
) -> dict[str, ProjectListPreview]:
    """Like plugin_project_lists, but at most *limit* projects per plugin plus the counts
    of the whole lists (what the HTML page shows); one SQL statement."""
    previews = {plugin.slug: ProjectListPreview([], 0, 0) for plugin in plugins}
    if not plugins:
        return previews
    base = _configured_select(org, plugins).subquery("entries")
    enabled_int = case((base.c.enabled, 1), else_=0)
    ranked = select(
        base,
        func.row_number()
        .over(partition_by=base.c.plugin, order_by=[base.c.project_slug, base.c.project_id])
        .label("position"),
        func.count().over(partition_by=base.c.plugin).label("total"),
        func.sum(enabled_int).over(partition_by=base.c.plugin).label("enabled_total"),
    ).subquery("ranked")
    query = (
        select(ranked)
        .where(ranked.c.position <= limit)
        .order_by(ranked.c.plugin, ranked.c.position)
    )
    entries: dict[str, list[ProjectEntry]] = {plugin.slug: [] for plugin in plugins}
    totals: dict[str, tuple[int, int]] = {}
    for row in db.session.execute(query):
        entries[row.plugin].append(_entry(row))
        totals[row.plugin] = (int(row.total), int(row.enabled_total or 0))
    for slug, rows in entries.items():
        total, enabled = totals.get(slug, (0, 0))
        previews[slug] = ProjectListPreview(rows, total, enabled)
    return previews


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


def _plugin_columns(plugin: Plugin):
    """(enabled expression, configured expression) for one plugin, correlated to Project."""
    enabled = aliased(ProjectPluginOption, name="enabled_option")
    enabled_expr = truthy_sql(
        select(enabled.value)
        .where(enabled.project_id == Project.id, enabled.plugin == plugin.slug, enabled.key == "enabled")
        .scalar_subquery()
    )
    required = aliased(ProjectPluginOption, name="required_option")
    key_rule = (
        required.key == plugin.required_field
        if plugin.required_field is not None
        else required.key != "enabled"
    )
    configured_expr = (
        select(required.id)
        .where(required.project_id == Project.id, required.plugin == plugin.slug, key_rule,
               has_value_sql(required.value))
        .exists()
    )
    return enabled_expr, configured_expr


def _table_query(org: Organization, plugin: Plugin, filters: PluginProjectFilters):
    """(conditions without the yes/no filters, enabled expr, configured expr, row select)."""
    enabled_expr, configured_expr = _plugin_columns(plugin)
    conditions = [Project.organization_id == org.id, Project.status == int(ObjectStatus.ACTIVE)]
    if filters.q and filters.q.strip():
        needle = filters.q.strip().lower()
        conditions.append(
            or_(
                func.lower(Project.slug).contains(needle, autoescape=True),
                func.lower(Project.name).contains(needle, autoescape=True),
            )
        )
    filtered = list(conditions)
    if filters.enabled is not None:
        filtered.append(enabled_expr if filters.enabled else ~enabled_expr)
    if filters.configured is not None:
        filtered.append(configured_expr if filters.configured else ~configured_expr)
    rows = (
        select(Project.id, Project.slug, Project.name, Project.platform,
               enabled_expr.label("enabled"), configured_expr.label("configured"))
        .where(*filtered)
        .order_by(Project.slug, Project.id)
    )
    return conditions, enabled_expr, configured_expr, rows


def _table_entry(row) -> ProjectEntry:
    return ProjectEntry(row.id, row.slug, row.name, row.platform, bool(row.enabled), bool(row.configured))


def plugin_projects_table(
    org: Organization, plugin: Plugin, filters: PluginProjectFilters | None = None
) -> PluginProjectsTable:
    """Anyone who may view the org: every ACTIVE project with this plugin's enabled and
    configured state, filtered, sorted by slug and paginated in SQL (two statements)."""
    filters = filters or PluginProjectFilters()
    conditions, enabled_expr, configured_expr, rows_query = _table_query(org, plugin, filters)

    # Counts per (enabled, configured) bucket: the total and both facets in one statement.
    buckets = select(enabled_expr.label("enabled"), configured_expr.label("configured"),
                     Project.id).where(*conditions).subquery("buckets")
    counts = {
        (bool(row.enabled), bool(row.configured)): int(row.n)
        for row in db.session.execute(
            select(buckets.c.enabled, buckets.c.configured, func.count().label("n"))
            .group_by(buckets.c.enabled, buckets.c.configured)
        )
    }

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
            key: (mine.get(key), current.get(key))
            for key in current if mine.get(key) != current.get(key)
        })

    changes = diff_values(before, after)
    for key in changes:
        _write_option(project, plugin, rows, key, after[key])
    if changes:
        _audit("PLUGIN_EDIT", actor, org, plugin, project, changes, ip_address)
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
