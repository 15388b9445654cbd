"""Bulk actions on the installed integrations (issue 23; SPEC §6): thin views over
services.integrations.bulk.

- /settings/<org>/integrations/bulk/              GET or POST (the list's form): the
                                                  confirmation — what will change, what is
                                                  skipped and why, with counts; nothing
                                                  changes. Export CSV answers with the file.
- /settings/<org>/integrations/bulk/apply/        POST (the confirmation's form): apply in one
                                                  transaction, then the result page
- /settings/<org>/integrations/bulk/<entry_id>/   the result: "12 disabled, 3 skipped", why
"""

from flask import redirect, render_template, request, url_for

from webapp import messages
from webapp.blueprints.common import apply_field_errors, client_ip, org_view, safe_next, save_form
from webapp.blueprints.integrations import bp
from webapp.blueprints.integrations.export import export_csv
from webapp.blueprints.integrations.forms import EXPORT, BulkActionForm, BulkApplyForm
from webapp.catalog.providers import DOMAIN_LABELS, PROVIDERS
from webapp.services import integrations as svc
from webapp.services.errors import ValidationFailed
from webapp.services.integrations.bulk import (
    BulkPlan,
    BulkResult,
    apply_bulk,
    get_bulk_result,
    plan_bulk,
    require_ids,
)
from webapp.services.permissions import Capability, OrgAccess


def result_summary(result: BulkResult) -> str:
    """"12 disabled, 3 skipped" (the result page's heading and the flash)."""
    return f"{result.changed:,} {result.action.done}, {result.skipped_total:,} skipped"


def describe_filters(filters: svc.IntegrationFilters) -> list[str]:
    """The filters of an "all matching" selection in words, one item per filter."""
    items = []
    if filters.q:
        items.append(f"Search “{filters.q}”")
    if filters.provider_keys:
        items.append("Provider: " + ", ".join(
            PROVIDERS[key].name if key in PROVIDERS else key for key in filters.provider_keys))
    if filters.features:
        items.append("Feature: " + ", ".join(str(f.value) for f in filters.features))
    if filters.integration_type:
        items.append(f"Type: {DOMAIN_LABELS.get(filters.integration_type, filters.integration_type)}")
    if filters.statuses:
        items.append("Status: " + ", ".join(messages.status_words(s.label) for s in filters.statuses))
    if filters.policy:
        items.append(svc.POLICY_FILTERS[filters.policy])
    return items


def _list_url(access: OrgAccess, form: BulkActionForm) -> str:
    """Where Cancel and Back lead: the validated `next`, else the list (with the filters of
    an "all matching" selection)."""
    query = form.filter_query()
    default = url_for("integrations.index", org_slug=access.organization.slug)
    return safe_next(f"{default}?{query}" if query else default)


def _apply_fields(form: BulkActionForm, plan: BulkPlan) -> list[tuple[str, str]]:
    """The confirmation form's hidden (name, value) pairs: the same selection, plus what the
    plan saw for the stale check."""
    fields = [("action", plan.action.name), ("next", form.next.data or "")]
    if plan.selection.filters is not None:
        fields += [("all_matching", "1"), ("filters", form.filter_query())]
    else:
        fields += [("ids", str(iid)) for iid in plan.selection.ids]
        fields.append(("versions", ",".join(f"{iid}:{v}" for iid, v in sorted(plan.versions.items()))))
    fields.append(("planned_at", plan.planned_at.isoformat()))
    return fields


def _render_confirm(access: OrgAccess, form: BulkActionForm, plan: BulkPlan | None,
                    status: int = 200):
    selection = plan.selection if plan else None
    return render_template(
        "integrations/bulk_confirm.html",
        form=form,
        plan=plan,
        filter_items=describe_filters(selection.filters) if selection and selection.filters else [],
        apply_fields=_apply_fields(form, plan) if plan else [],
        back_href=_list_url(access, form),
    ), status


@bp.route("/<org_slug>/integrations/bulk/", methods=["GET", "POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def bulk_confirm(access: OrgAccess):
    """Admins and up: what a bulk action on the list's selection would change and skip, and
    why (nothing changes here); Export CSV downloads the selection at once."""
    if request.method == "POST":
        form = BulkActionForm()
        valid = form.validate_on_submit()
    else:
        form = BulkActionForm(formdata=request.args, meta={"csrf": False})
        valid = form.validate()
    if not valid:
        return _render_confirm(access, form, None, 400)
    try:
        selection = form.selection()
        if form.action.data == EXPORT:
            if selection.ids:
                require_ids(access.organization, selection.ids)
            return export_csv(access, selection.filters or svc.IntegrationFilters(),
                              selection.ids)
        plan = plan_bulk(access, form.action.data, selection)
    except ValidationFailed as exc:
        apply_field_errors(form, exc.field_errors)
        return _render_confirm(access, form, None, 400)
    return _render_confirm(access, form, plan)


@bp.route("/<org_slug>/integrations/bulk/apply/", methods=["POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def bulk_apply(access: OrgAccess):
    """Admins and up: apply the confirmed bulk action in one transaction (rows changed since
    the confirmation are skipped), then show its result."""
    form = BulkApplyForm()

    def done(result: BulkResult):
        # The result page says what happened (its heading): no flash repeating it.
        return redirect(url_for("integrations.bulk_result", org_slug=access.organization.slug,
                                entry_id=result.audit_entry_id, next=form.next.data or None))

    return save_form(
        form,
        lambda: apply_bulk(access, form.action.data, form.selection(), form.expected(),
                           client_ip()),
        render=lambda status: _render_confirm(access, form, None, status),
        done=done,
    )


@bp.route("/<org_slug>/integrations/bulk/<int:entry_id>/")
@org_view(Capability.MANAGE_INTEGRATIONS)
def bulk_result(access: OrgAccess, entry_id: int):
    """Admins and up: what a bulk action did — how many changed, how many were skipped and
    why (read from its audit entry)."""
    result, entry = get_bulk_result(access, entry_id)
    org_slug = access.organization.slug
    return render_template(
        "integrations/bulk_result.html",
        result=result,
        entry=entry,
        summary=result_summary(result),
        back_href=safe_next(url_for("integrations.index", org_slug=org_slug)),
        audit_href=url_for("audit.index", org_slug=org_slug, event=result.action.event),
    )
