"""/settings/<org>/audit-log/: the org's audit log, newest first, filterable, paginated, CSV."""

import json

from flask import abort, render_template, request, url_for
from flask_login import current_user

from webapp.blueprints.audit import bp
from webapp.blueprints.audit.forms import AuditLogFilterForm
from webapp.blueprints.common import client_ip, csv_response, org_view
from webapp.blueprints.listing import ListView, Page
from webapp.catalog.plugins import get_plugin
from webapp.extensions import db
from webapp.services.audit import (
    AuditFilters,
    audit_actor_choices,
    audit_event_facets,
    audit_facets,
    iter_audit_log,
    list_audit_log,
    record_export,
)
from webapp.services.audit_targets import (
    DOC_INTEGRATION,
    EXPORT,
    INSTALL_REQUEST,
    INSTALLATION,
    PLUGIN_ON_PROJECT,
    LiveTarget,
    live_targets,
)
from webapp.services.errors import Forbidden
from webapp.services.permissions import Capability
from webapp.services.saved_views import list_saved_views

CSV_HEADER = [
    "datetime", "event", "actor_email", "actor_name", "target_type", "target_id", "target",
    "ip_address", "changes", "data",
]


@bp.route("/settings/<org_slug>/audit-log/")
@org_view()
def index(access):
    """Admins, managers, owners, staff: the log; `format=csv` streams every matching entry."""
    if not access.can(Capability.VIEW_AUDIT_LOG):
        raise Forbidden(access.reason(Capability.VIEW_AUDIT_LOG))
    org = access.organization
    export_format = request.args.get("format", "")
    if export_format not in ("", "csv"):
        abort(400, description=f"Unknown format: {export_format}. The only export format is csv.")
    form = AuditLogFilterForm.from_args()
    facets = form.facets = audit_facets(org, form.date_range())
    valid = form.validate()
    filters = form.filters()
    if valid and export_format == "csv":
        return _export(access, filters)
    form.set_choices(audit_event_facets(org, filters, facets=facets),
                     audit_actor_choices(org, filters, facets=facets), filters)
    page, targets = None, {}
    if valid:
        result = list_audit_log(org, filters, form.page_number, form.page_size,
                                total=facets.total(filters))
        page = Page(result.entries, result.total, result.page, result.per_page)
        targets = _target_links(org, result.entries)
    view = ListView(form, page, saved_views=list_saved_views(current_user, org, "audit"))
    return render_template(
        "audit/index.html",
        view=view,
        targets=targets,
        log_is_empty=not facets.pairs,
        export_href=url_for("audit.index", org_slug=org.slug,
                            **{**_filter_args(), "format": "csv"}),
        clear_href=url_for("audit.index", org_slug=org.slug),
    ), view.status


def _target_links(org, entries) -> dict[int, str]:
    """{entry id: the address of its target's page} for the targets that still exist."""
    links = {}
    for entry_id, target in live_targets(org, entries, may_see_drafts=current_user.is_privileged).items():
        href = _target_href(org.slug, target)
        if href:
            links[entry_id] = href
    return links


# The lists a CSV export names (record_export's list_name) and their pages.
EXPORTED_LISTS = {"integrations": "integrations.index", "audit_log": "audit.index",
                  "plugin_project_lists": "plugins.index"}


def _target_href(org_slug: str, target: LiveTarget) -> str | None:
    """The page of a target that still exists (data for the template; None: no page)."""
    if target.kind == INSTALLATION:
        return url_for("integrations.detail", org_slug=org_slug, provider_key=target.key,
                       integration_id=int(target.sub))
    if target.kind == PLUGIN_ON_PROJECT:
        if get_plugin(target.sub) is None:
            return None
        return url_for("plugins.project_settings", org_slug=org_slug, slug=target.sub,
                       project_slug=target.key)
    if target.kind == INSTALL_REQUEST:
        return url_for("requests.index", org_slug=org_slug)
    if target.kind == DOC_INTEGRATION:
        return url_for("doc_integrations.detail", slug=target.key)
    if target.kind == EXPORT:
        plugin_slug = target.key.removeprefix("plugin_projects:")
        if plugin_slug != target.key:
            plugin = get_plugin(plugin_slug)
            return url_for("plugins.detail", org_slug=org_slug, slug=plugin.slug) if plugin else None
        endpoint = EXPORTED_LISTS.get(target.key)
        return url_for(endpoint, org_slug=org_slug) if endpoint else None
    return None


def _filter_args() -> dict:
    """The current query args worth keeping in links (not page/format)."""
    return {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "format")}


def _export(access, filters: AuditFilters):
    """Record the export (committed first: it may appear in its own file), then stream the rows."""
    org = access.organization
    record_export(
        actor=current_user, organization=org, list_name="audit_log",
        filters=filters.as_dict(),
        ip_address=client_ip(),
    )
    db.session.commit()

    def rows():
        for entry in iter_audit_log(org, filters):
            data = entry.data or {}
            yield [
                entry.datetime.isoformat(),
                entry.event,
                entry.actor.email if entry.actor else "system",
                entry.actor.name if entry.actor else "",
                entry.target_type,
                entry.target_id,
                entry.target_object,
                entry.ip_address,
                json.dumps(data.get("changes") or {}, sort_keys=True, default=str),
                json.dumps(data, sort_keys=True, default=str),
            ]

    return csv_response(f"{org.slug}-audit-log.csv", CSV_HEADER, rows())
