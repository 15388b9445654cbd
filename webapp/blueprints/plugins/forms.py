"""Plugin forms: the configs filter, the per-plugin project filter, the settings form
(built from the plugin's config schema; field names are the schema's names, SPEC §6.1)."""

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: not in types-WTForms 3.2
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import AnyOf, Length, Optional

from webapp.blueprints.filters import ChoicesFilterField, FilterForm, ListFilterForm, known_values
from webapp.catalog.plugins import PLUGINS, Plugin
from webapp.catalog.providers import ConfigField
from webapp.services.plugins.table import PluginProjectFilters

YES_NO = ("", "yes", "no")


class PluginConfigsFilterForm(FilterForm):
    """GET filter of /settings/<org>/plugins/: `plugins` (repeatable). An unknown slug is
    refused beside the field ("Unknown plugin: <slug>", 400) and the page lists the known
    ones; the API keeps its 404 "Plugin <slug> not found" (SPEC §8)."""

    plugins = ChoicesFilterField(
        "Plugins",
        validators=[known_values(PLUGINS.__contains__, "plugin")],
        description="Show only these plugins. The number is how many active projects have "
                    "it configured.",
    )

    def chosen_slugs(self) -> list[str]:
        """The chosen plugins that exist (after `validate()`; none chosen: [])."""
        return [slug for slug in self.plugins.data or () if slug in PLUGINS]

    def label_with_counts(self, plugins: list[Plugin], counts: Mapping[str, int]) -> None:
        """The plugins to pick from, each with its count of configured projects; a refused
        slug stays chosen, marked unknown."""
        shown = {p.slug for p in plugins}
        self.plugins.set_choices(
            [(p.slug, f"{p.title}{' (deprecated)' if p.is_deprecated else ''}") for p in plugins]
            + [(slug, f"{slug} (unknown)") for slug in dict.fromkeys(self.plugins.data or ())
               if slug not in shown and slug not in PLUGINS],
            counts)


class PluginProjectFilterForm(ListFilterForm):
    """GET filter of one plugin's project table: `q`, `enabled`, `configured` (yes/no);
    `filters()` gives the valid ones."""

    q = StringField(
        "Search projects",
        validators=[Optional(), Length(max=100, message="At most 100 characters.")],
        description="Part of a project slug or name.",
    )
    enabled = SelectField(
        "Enabled",
        choices=[SelectChoice("", "Any"), SelectChoice("yes", "Enabled"), SelectChoice("no", "Disabled")],
        validate_choice=False,
        validators=[Optional(), AnyOf(YES_NO, message="Choose Enabled, Disabled or Any.")],
    )
    configured = SelectField(
        "Configured",
        choices=[SelectChoice("", "Any"), SelectChoice("yes", "Configured"),
                 SelectChoice("no", "Not configured")],
        validate_choice=False,
        validators=[Optional(), AnyOf(YES_NO, message="Choose Configured, Not configured or Any.")],
    )

    def filters(self) -> PluginProjectFilters:
        """The table's filters after `validate()`: a refused value is left out (the table
        is still shown, the message beside its field)."""
        return PluginProjectFilters(
            q="" if self.q.errors else (self.q.data or ""),
            enabled=self._flag(self.enabled),
            configured=self._flag(self.configured),
            page=self.page_number,
            per_page=self.page_size,
        )

    @staticmethod
    def _flag(field) -> bool | None:
        """A yes/no filter as True/False, None when unset or refused."""
        if field.errors or not field.data:
            return None
        return field.data == "yes"

    def set_facets(self, enabled: dict[bool, int], configured: dict[bool, int]) -> None:
        """Show how many rows each choice would give."""
        self.enabled.choices = [
            SelectChoice("", "Any"),
            SelectChoice("yes", f"Enabled ({enabled.get(True, 0):,})"),
            SelectChoice("no", f"Disabled ({enabled.get(False, 0):,})"),
        ]
        self.configured.choices = [
            SelectChoice("", "Any"),
            SelectChoice("yes", f"Configured ({configured.get(True, 0):,})"),
            SelectChoice("no", f"Not configured ({configured.get(False, 0):,})"),
        ]


class ProjectActionForm(FlaskForm):
    """Enable / disable buttons: `project` (slug) and `csrf_token`."""

    project = HiddenField("Project")


class PluginSettingsFormBase(FlaskForm):
    """Fields every settings form has; the schema's fields are added per plugin."""

    version = HiddenField("Version")


def is_multiline(config_field: ConfigField) -> bool:
    """Text fields whose help speaks of lines (lists of URLs, routes…) get a textarea."""
    return (config_field.format == "urls" or config_field.name == "certificate"
            or "line" in config_field.help.lower())


def _schema_field(config_field: ConfigField):
    kwargs: dict[str, Any] = {"description": config_field.help}
    if config_field.type == "boolean":
        return BooleanField(config_field.label, **kwargs)
    if config_field.type == "choice":
        choices = [SelectChoice(value, label) for value, label in config_field.choices]
        if config_field.default is None:
            choices = [SelectChoice("", "— not set —"), *choices]
        return SelectField(config_field.label, choices=choices, validate_choice=False, **kwargs)
    if config_field.type == "multichoice":
        return SelectMultipleField(
            config_field.label,
            choices=[SelectChoice(value, label) for value, label in config_field.choices],
            validate_choice=False,
            **kwargs,
        )
    if config_field.secret:
        # Never rendered back into the page; blank on save keeps the stored credential.
        kwargs["description"] = (f"{config_field.help} " if config_field.help else "") + (
            "A saved value is never shown again; leave this blank to keep it.")
        return PasswordField(config_field.label, render_kw={"autocomplete": "new-password"},
                             **kwargs)
    if is_multiline(config_field):
        return TextAreaField(config_field.label, **kwargs)
    if config_field.format == "url":
        return URLField(config_field.label, **kwargs)
    if config_field.format == "integer":
        return StringField(config_field.label, render_kw={"inputmode": "numeric"}, **kwargs)
    return StringField(config_field.label, **kwargs)


def settings_form_class(plugin: Plugin) -> type[PluginSettingsFormBase]:
    """The settings form for *plugin*: `project` (slug, hidden), `enabled`, one field per
    schema entry named as the schema's `name`, `version`, `csrf_token`.

    A schema field named like a form field (Pivotal's and Clubhouse's `project`) wins:
    the form then identifies the project by its URL only.
    """
    schema_names = {f.name for f in plugin.config_schema}
    attrs: dict = {}
    if "project" not in schema_names:
        attrs["project"] = HiddenField("Project")
    if "enabled" not in schema_names:
        attrs["enabled"] = BooleanField(
            "Enabled for this project",
            description="Switching it off keeps the settings below.",
        )
    for config_field in plugin.config_schema:
        attrs[config_field.name] = _schema_field(config_field)
    return type(f"{plugin.slug.title().replace('-', '')}SettingsForm", (PluginSettingsFormBase,), attrs)


def settings_initial(plugin: Plugin, settings: dict, enabled: bool, project_slug: str,
                     version: str) -> dict:
    """Form data for GET: stored values, the schema default where nothing is stored."""
    data: dict = {"version": version}
    schema_names = {f.name for f in plugin.config_schema}
    if "project" not in schema_names:
        data["project"] = project_slug
    if "enabled" not in schema_names:
        data["enabled"] = enabled
    for config_field in plugin.config_schema:
        value = settings.get(config_field.name)
        if value is None and config_field.default is not None:
            value = config_field.default
        if config_field.type == "multichoice" and isinstance(value, tuple):
            value = list(value)
        data[config_field.name] = value
    return data
