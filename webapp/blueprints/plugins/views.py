"""/settings/<org>/plugins/…: plugin configs (SPEC §7.3), one plugin's page, per-project
settings and enable/disable buttons. Thin: parse → service → flash/redirect or render."""

from flask import abort, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.common import client_ip, csv_response, org_view, safe_next, save_form
from webapp.blueprints.listing import ListView, Page
from webapp.blueprints.plugins import bp
from webapp.blueprints.plugins.forms import (
    PluginConfigsFilterForm,
    PluginProjectFilterForm,
    ProjectActionForm,
    settings_form_class,
    settings_initial,
)
from webapp.catalog.plugins import PLUGINS, Plugin
from webapp.extensions import db
from webapp.services.audit import record_export
from webapp.services.errors import ValidationFailed
from webapp.services.permissions import Capability
from webapp.services.plugins.lists import (
    get_plugin_or_404,
    iter_plugin_project_entries,
    plugin_project_previews,
    resolve_plugin_slugs,
)
from webapp.services.plugins.settings import (
    ProjectPluginState,
    SettingsResult,
    plugin_history,
    project_plugin_state,
    set_plugin_enabled,
    update_plugin_settings,
)
from webapp.services.plugins.table import (
    PluginProjectFilters,
    iter_plugin_projects,
    plugin_projects_table,
)
from webapp.services.saved_views import list_saved_views
from webapp.web import render_error

PREVIEW_ROWS = 5  # projects shown per plugin on the configs page; the plugin page has all
MANAGE_REASON = "Only owners, managers and admins can change plugin settings."
CONFIGS_CSV_HEADER = [
    "plugin", "plugin_title", "project_id", "project_slug", "project_name", "platform",
    "enabled", "configured",
]
TABLE_CSV_HEADER = ["project_id", "project_slug", "project_name", "platform", "enabled", "configured"]


def _export_format() -> str:
    value = request.args.get("format", "")
    if value not in ("", "csv"):
        abort(400, description=f"Unknown format: {value}. The only export format is csv.")
    return value


def _filter_args() -> dict:
    """The current query args worth keeping in links (not page/format)."""
    return {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "format")}


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


@bp.route("/settings/<org_slug>/plugins/")
@org_view()
def index(access):
    """Members and up: each plugin with its project list (configured active projects) and
    its exact count; `plugins` narrows the list (an unknown slug: 400, the message beside
    the filter, the known ones listed); `format=csv` exports the lists."""
    org = access.organization
    export_format = _export_format()
    form = PluginConfigsFilterForm.from_args()
    valid = form.validate()
    shown = resolve_plugin_slugs(form.chosen_slugs())
    if export_format == "csv" and valid:
        return _export_configs(access, shown, form.chosen_slugs())
    # One statement: previews of the shown plugins and the counts behind the filter's choices.
    selectable = [p for p in PLUGINS.values() if p.has_configuration]
    selectable_slugs = {p.slug for p in selectable}
    queried = selectable + [p for p in shown if p.slug not in selectable_slugs]
    previews = plugin_project_previews(org, queried, limit=PREVIEW_ROWS)
    form.label_with_counts(selectable, {p.slug: previews[p.slug].total for p in selectable})
    # The page lists plugins, all of them on one page.
    view = ListView(form, Page(shown, len(shown), 1, max(1, len(shown))),
                    saved_views=list_saved_views(current_user, org, "plugins"))
    return render_template(
        "plugins/index.html",
        view=view,
        previews=previews,
        can_manage=access.can(Capability.MANAGE_INTEGRATIONS),
        export_href=url_for("plugins.index", org_slug=org.slug, **{**_filter_args(), "format": "csv"}),
        clear_href=url_for("plugins.index", org_slug=org.slug),
    ), view.status


def _export_configs(access, plugins: list[Plugin], slugs: list[str]):
    org = access.organization
    record_export(actor=current_user, organization=org, list_name="plugin_project_lists",
                  filters={"plugins": [p.slug for p in plugins] if slugs else []},
                  ip_address=client_ip())
    db.session.commit()
    rows = (
        [plugin.slug, plugin.title, entry.project_id, entry.project_slug, entry.project_name,
         entry.platform, _yes_no(entry.enabled), _yes_no(entry.configured)]
        for plugin, entry in iter_plugin_project_entries(org, plugins)
    )
    return csv_response(f"{org.slug}-plugin-projects.csv", CONFIGS_CSV_HEADER, rows)


@bp.route("/settings/<org_slug>/plugins/<slug>/")
@org_view()
def detail(access, slug: str):
    """Members and up: the plugin's description, features, links and every active project
    with enabled/configured (filter, pager, `format=csv`); admins get the buttons. A
    refused filter value is 400 with its message beside the field; the table is still
    shown under the other filters."""
    org = access.organization
    plugin = get_plugin_or_404(slug)
    export_format = _export_format()
    form = PluginProjectFilterForm.from_args()
    valid = form.validate()
    filters = form.filters()
    if export_format == "csv" and valid:
        return _export_table(access, plugin, filters)
    table = plugin_projects_table(org, plugin, filters)
    form.set_facets(table.enabled_facets, table.configured_facets)
    view = ListView(form, Page(table.items, table.total, table.page, table.per_page))
    return render_template(
        "plugins/detail.html",
        plugin=plugin,
        view=view,
        can_manage=access.can(Capability.MANAGE_INTEGRATIONS),
        manage_reason=MANAGE_REASON,
        action_form=ProjectActionForm(),
        export_href=url_for("plugins.detail", org_slug=org.slug, slug=plugin.slug,
                            **{**_filter_args(), "format": "csv"}),
        clear_href=url_for("plugins.detail", org_slug=org.slug, slug=plugin.slug),
        here=request.full_path.rstrip("?"),
    ), view.status


def _export_table(access, plugin: Plugin, filters: PluginProjectFilters):
    org = access.organization
    record_export(actor=current_user, organization=org, list_name=f"plugin_projects:{plugin.slug}",
                  filters=_filter_args(), ip_address=client_ip())
    db.session.commit()
    rows = (
        [e.project_id, e.project_slug, e.project_name, e.platform, _yes_no(e.enabled),
         _yes_no(e.configured)]
        for e in iter_plugin_projects(org, plugin, filters)
    )
    return csv_response(f"{org.slug}-{plugin.slug}-projects.csv", TABLE_CSV_HEADER, rows)


def _toggle(access, slug: str, enabled: bool):
    """The enable / disable buttons, through save_form; a refusal is a 400 error page
    with the service's message."""
    access.require(Capability.MANAGE_INTEGRATIONS)
    org = access.organization
    plugin = get_plugin_or_404(slug)
    form = ProjectActionForm()
    project_slug = (form.project.data or "").strip()

    def done(changed: bool) -> tuple[str, str, str]:
        back = safe_next(url_for("plugins.detail", org_slug=org.slug, slug=plugin.slug))
        verb = "enabled" if enabled else "disabled"
        if not changed:
            return f"{plugin.title} was already {verb} on {project_slug}.", back, "info"
        hint = _unconfigured_hint(org, plugin, project_slug) if enabled else ""
        return f"{plugin.title} {verb} on {project_slug}.{hint}", back, "success"

    return save_form(
        form,
        lambda: set_plugin_enabled(current_user, org, plugin, project_slug, enabled, client_ip()),
        render=lambda status: _refused(form, status),
        done=done,
    )


def _refused(form: ProjectActionForm, status: int):
    """A button's refusal as an error page: the service's messages, or (the form itself
    was refused) the advice to reload."""
    messages = [*form.project.errors, *form.form_errors]
    return render_error(status, " ".join(messages) if messages else
                        "The form could not be submitted. Reload the page and try again.")


def _unconfigured_hint(org, plugin: Plugin, project_slug: str) -> str:
    state = project_plugin_state(org, plugin, project_slug)
    return "" if state.configured else " It is not configured yet: fill in its settings."


@bp.route("/settings/<org_slug>/plugins/<slug>/enable/", methods=["POST"])
@org_view()
def enable(access, slug: str):
    """Admins and up: switch the plugin on for the project in `project`."""
    return _toggle(access, slug, True)


@bp.route("/settings/<org_slug>/plugins/<slug>/disable/", methods=["POST"])
@org_view()
def disable(access, slug: str):
    """Admins and up: switch the plugin off for the project in `project` (settings kept)."""
    return _toggle(access, slug, False)


@bp.route("/settings/<org_slug>/plugins/<slug>/projects/<project_slug>/", methods=["GET", "POST"])
@org_view()
def project_settings(access, slug: str, project_slug: str):
    """Members: the plugin's settings on one project, read-only, with history. Admins and
    up: POST saves them (all-or-nothing; errors beside the fields with status 400)."""
    org = access.organization
    plugin = get_plugin_or_404(slug)
    if request.method == "POST":
        access.require(Capability.MANAGE_INTEGRATIONS)
    state = project_plugin_state(org, plugin, project_slug)
    form_class = settings_form_class(plugin)
    if request.method == "GET":
        form = form_class(data=settings_initial(plugin, state.settings, state.enabled,
                                                project_slug, state.version))
        return _render_settings(access, plugin, state, form)
    form = form_class()
    return save_form(
        form,
        lambda: _save_settings(access, plugin, project_slug, form),
        render=lambda status: _render_settings(access, plugin, state, form, status),
        done=lambda result: (
            _saved_message(plugin, project_slug, result),
            safe_next(url_for("plugins.project_settings", org_slug=org.slug, slug=plugin.slug,
                              project_slug=project_slug)),
            "success" if result.changed else "info",
        ),
    )


def _save_settings(access, plugin: Plugin, project_slug: str, form) -> SettingsResult:
    """The settings form's service call. A schema field named `project` or `enabled`
    (Pivotal's, Clubhouse's) takes the place of the form's own field of that name."""
    schema_names = {f.name for f in plugin.config_schema}
    posted_project = form.project.data if "project" not in schema_names else project_slug
    if (posted_project or "").strip() != project_slug:
        raise ValidationFailed({"project": [
            f"This form belongs to project {project_slug}; got “{posted_project or ''}”."]})
    return update_plugin_settings(
        current_user, access.organization, plugin, project_slug,
        {f.name: form[f.name].data for f in plugin.config_schema},
        enabled=form.enabled.data if "enabled" not in schema_names else None,
        ip_address=client_ip(), expected_version=form.version.data or None,
    )


def _render_settings(access, plugin: Plugin, state: ProjectPluginState, form, status: int = 200):
    """The settings page: the form (read-only for members) and the history."""
    schema_names = {f.name for f in plugin.config_schema}
    return render_template(
        "plugins/project_settings.html",
        plugin=plugin,
        state=state,
        form=form,
        schema_fields=[form[f.name] for f in plugin.config_schema],
        secrets_set={f.name for f in plugin.config_schema
                     if f.secret and state.settings.get(f.name) not in (None, "")},
        required_field=plugin.required_field,
        own_project="project" not in schema_names,
        own_enabled="enabled" not in schema_names,
        can_manage=access.can(Capability.MANAGE_INTEGRATIONS),
        manage_reason=MANAGE_REASON,
        history=plugin_history(plugin, state.project),
        next_url=safe_next(""),
    ), status


def _saved_message(plugin: Plugin, project_slug: str, result: SettingsResult) -> str:
    if not result.changed:
        return "No changes to save."
    parts = []
    if result.changes:
        count = len(result.changes)
        parts.append(f"{count} setting{'s' if count != 1 else ''} saved")
    if result.enabled_changed:
        parts.append("enabled" if result.state.enabled else "disabled")
    return f"{plugin.title} on {project_slug}: {' and '.join(parts)}."
