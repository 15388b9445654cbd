"""What "configured" and "enabled" mean in SQL, for the plugin lists and tables.

They are decided in the database so that lists can be filtered, counted and paginated
there. The predicates mirror the catalog's Python rules (``webapp.catalog.plugins
.is_configured`` / ``is_enabled``); tests/plugins check that both agree value by value on
SQLite and PostgreSQL. The same "holds a value" text is the generated column
``project_plugin_option.has_value`` (models/plugins.py, migration 0004).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Text, cast, func, select

from webapp.catalog.plugins import Plugin
from webapp.models import ObjectStatus, Project, ProjectPluginOption

# Core tables, not ORM aliases: the list statements are built per plugin, and building ORM
# aliases for 24 plugins cost more than running the SQL.
OPTION = ProjectPluginOption.__table__
PROJECT = Project.__table__

# JSON texts (as stored on SQLite, as rendered by jsonb::text on PostgreSQL) that do not count.
NO_VALUE_JSON = ("null", "false", '""')  # catalog _has_value: None, False, ""
FALSY_JSON = (*NO_VALUE_JSON, "0", "0.0", "-0.0", "[]", "{}")  # Python bool() is False
_FALSY_JSON_SET = frozenset(FALSY_JSON)


def json_text(column) -> ColumnElement[str]:
    """The option value as JSON text; SQL NULL (no row, or a NULL value) reads as "null"."""
    return func.coalesce(cast(column, Text), "null")


def has_value_sql(column) -> ColumnElement[bool]:
    """SQL twin of the catalog's "holds a value other than false, "" or null"."""
    return json_text(column).not_in(NO_VALUE_JSON)


def truthy_sql(column) -> ColumnElement[bool]:
    """SQL twin of ``bool(value)`` for JSON values (the catalog's ``is_enabled``)."""
    return json_text(column).not_in(FALSY_JSON)


def truthy_json_text(text: str) -> bool:
    """`truthy_sql` in Python, on the `json_text` a statement selected: for rows that are
    only shown. SQLite evaluates the NOT IN list once per row, a fifth of the time of the
    configs page's statement; Python's set lookup costs next to nothing."""
    return text not in _FALSY_JSON_SET


def enabled_sql(plugin: Plugin) -> ColumnElement[bool]:
    """Is the plugin enabled on the project (correlated): its `enabled` option is truthy."""
    enabled = OPTION.alias("enabled_option")
    return truthy_sql(
        select(enabled.c.value)
        .where(enabled.c.project_id == PROJECT.c.id, enabled.c.plugin == plugin.slug,
               enabled.c.key == "enabled")
        .scalar_subquery()
    )


def configured_sql(plugin: Plugin) -> ColumnElement[bool]:
    """Is the plugin configured on the project (correlated): its required option holds a
    value (no required field: any option but `enabled` does). One index probe."""
    required = OPTION.alias("required_option")
    key_rule = (
        required.c.key == plugin.required_field
        if plugin.required_field is not None
        else required.c.key != "enabled"
    )
    return (
        select(required.c.id)
        .where(required.c.project_id == PROJECT.c.id, required.c.plugin == plugin.slug, key_rule,
               has_value_sql(required.c.value))
        .exists()
    )


def active_projects(org_id) -> list[ColumnElement[bool]]:
    """Conditions for the org's ACTIVE projects (*org_id*: a value or a bindparam)."""
    return [PROJECT.c.organization_id == org_id, PROJECT.c.status == int(ObjectStatus.ACTIVE)]
