"""One plugin on one project: its settings, enabled flag and history (the settings page, the
enable/disable buttons).

Writes are all-or-nothing and audited in the same transaction (PLUGIN_EDIT,
PLUGIN_ENABLE, PLUGIN_DISABLE); credentials are masked in the audit and never shown back.
Unset and absent are the same: a value cleared to None removes its option row. The
caller commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp import messages
from webapp.catalog.plugins import Plugin, is_configured, is_enabled
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
from webapp.services.fields import check_text_format

TARGET_TYPE = "project_plugin"
TEXT_MAX_LENGTH = 10_000


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
    """(clean value, error message or None) for one schema field: booleans, choices and
    text by type, a text field's format (URL, URLs one per line, whole number) by
    services.fields."""
    if config_field.type == "boolean":
        if value is None:
            return False, None
        if isinstance(value, bool):
            return value, None
        return None, messages.BOOLEAN
    if config_field.type == "text":
        if value is None:
            return None, None
        if not isinstance(value, str):
            return None, messages.TEXT
        text = value.strip()
        if len(text) > TEXT_MAX_LENGTH:
            return None, messages.at_most_characters(TEXT_MAX_LENGTH, len(text))
        if not text:
            return None, None
        text, error = check_text_format(config_field, text)
        return (None, error) if error else (text, None)
    allowed = [choice for choice, _label in config_field.choices]
    if config_field.type == "choice":
        if value is None or value == "":
            return None, None
        if not isinstance(value, str) or value not in allowed:
            return None, messages.not_a_choice(value)
        return value, None
    if config_field.type == "multichoice":
        if value is None:
            return None, None
        if isinstance(value, str) or not isinstance(value, list | tuple):
            return None, messages.LIST_OF_CHOICES
        chosen = []
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                return None, messages.not_a_choice(item)
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
        raise ValidationFailed({"enabled": [messages.BOOLEAN]})
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
        errors.setdefault("enabled", []).append(messages.BOOLEAN)
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
        errors.setdefault(required, []).append(messages.required(schema[required].label))
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
