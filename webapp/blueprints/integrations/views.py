"""Pages of installed integrations (SPEC §6, §7.1, §7.5): thin views over services.integrations.

- /settings/<org>/integrations/                       list, filters, facets, CSV (?format=csv)
- /settings/<org>/integrations/<provider>/            provider page
- /settings/<org>/integrations/<provider>/<id>/       one installation; POST saves its config
- …/<id>/disable/, …/<id>/uninstall/, …/<id>/restore/ (GET confirm, POST); …/<id>/enable/ (POST)
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2

from webapp import messages
from webapp.blueprints.common import (
    client_ip,
    org_view,
    safe_next,
    save_form,
)
from webapp.blueprints.integrations import bp, table
from webapp.blueprints.integrations.export import export_csv
from webapp.blueprints.integrations.forms import (
    ConfirmForm,
    IntegrationFilterForm,
    IntegrationListForm,
    config_form_class,
)
from webapp.blueprints.listing import Chip, ListView, Page, url_with_args, value_chips
from webapp.catalog.features import IntegrationFeatures
from webapp.catalog.providers import DOMAIN_LABELS, DOMAINS, PROVIDERS, get_provider
from webapp.extensions import db
from webapp.models import ObjectStatus
from webapp.services import integrations as svc
from webapp.services.audit import list_target_history
from webapp.services.directory import FIRST_PARTY
from webapp.services.errors import Conflict
from webapp.services.ids import parse_id
from webapp.services.integrations.bulk import filters_query
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import get_policy
from webapp.services.saved_views import list_saved_views

STATUS_LABELS = {status.label: messages.status_words(status.label) for status in svc.FILTER_STATUSES}
# Features some catalog provider has; others stay accepted in the URL but are not offered.
OFFERED_FEATURES = [f for f in IntegrationFeatures if svc.providers_with_features([f])]
PROVIDERS_BY_NAME = sorted(PROVIDERS.values(), key=lambda p: p.name.lower())
INSTALL_REASON = "Only owners, managers and admins can install integrations."


# The tables' data (provider icons, status badges), for the templates' macros.
bp.add_app_template_global(table.provider_badge, "provider_badge")
bp.add_app_template_global(table.install_badge, "install_badge")
bp.add_app_template_global(table.integration_problem, "integration_problem")


@bp.context_processor
def integration_labels():
    return {"domain_labels": DOMAIN_LABELS, "providers": PROVIDERS}


def _filter_choices(form: IntegrationFilterForm, facets: svc.Facets | None) -> None:
    """The filter's choices, each with its facet count (how many rows choosing it would
    give) when the filters were valid. A feature no provider has stays offered when the URL
    chose it, so it shows as chosen."""
    providers: dict[str, int] | None = None
    features: dict[str, int] | None = None
    statuses: dict[str, int] | None = None
    types: dict[str, int] | None = None
    if facets is not None:
        providers, features = facets.providers, facets.features
        statuses, types = facets.statuses, facets.integration_types
    chosen_features = set(form.features.data or ())
    form.provider_key.set_choices([(p.key, p.name) for p in PROVIDERS_BY_NAME],
                                  providers)
    form.features.set_choices([(f.value, f.value)
                               for f in sorted(IntegrationFeatures, key=lambda f: f.value)
                               if f in OFFERED_FEATURES or f.value in chosen_features],
                              features)
    form.status.set_choices(STATUS_LABELS.items(), statuses)
    form.integration_type.choices = [SelectChoice("", "Any type")] + [
        SelectChoice(d, DOMAIN_LABELS[d] if types is None else f"{DOMAIN_LABELS[d]} ({types.get(d, 0):,})")
        for d in DOMAINS]
    policy = facets.policy if facets is not None else {}
    form.policy.choices = [SelectChoice("", "Any")] + [
        SelectChoice(value, f"{label} ({policy[value]:,})" if value in policy else label)
        for value, label in svc.POLICY_FILTERS.items()]


def _chips(filters: svc.IntegrationFilters) -> list[Chip]:
    """A chip per active filter value (see listing.value_chips)."""
    chips = []
    if filters.q:
        chips.append(Chip(f"Search “{filters.q}”", url_with_args(q=None, page=None)))
    chips += value_chips("Provider", "provider_key", filters.provider_keys,
                         lambda key: PROVIDERS[key].name, aliases=("providerKey",))
    chips += value_chips("Feature", "features", [f.value for f in filters.features])
    if filters.integration_type:
        chips.append(Chip(f"Type: {DOMAIN_LABELS[filters.integration_type]}",
                          url_with_args(integration_type=None, integrationType=None, page=None)))
    chips += value_chips("Status", "status", [s.label for s in filters.statuses],
                         lambda label: STATUS_LABELS[label])
    if filters.policy:
        chips.append(Chip(svc.POLICY_FILTERS[filters.policy], url_with_args(policy=None, page=None)))
    return chips


@bp.route("/<org_slug>/integrations/")
@org_view()
def index(access: OrgAccess):
    """Members: the org's installations, filtered in the URL; `format=csv` exports them all."""
    org = access.organization
    form = IntegrationListForm.from_args()
    saved_views = list_saved_views(current_user, org, "integrations")
    if not form.validate():
        _filter_choices(form, None)
        view = ListView(form, None, saved_views=saved_views)
        return render_template("integrations/index.html", view=view, filters=None), view.status
    # The policy's blocked providers: the `policy` filter and the rows' badges (one query).
    filters = svc.resolve_policy(org, form.filters(), always=True)
    if request.args.get("format") == "csv":
        return export_csv(access, filters)
    facets = svc.facet_counts(org, filters)
    result = svc.list_installations(org, filters, form.page_number, form.page_size, facets)
    _filter_choices(form, facets)
    view = ListView(form, Page(result.items, result.total, result.page, result.per_page),
                    sort=filters.sort, default_sort=svc.DEFAULT_SORT, chips=_chips(filters),
                    saved_views=saved_views)
    here = request.full_path.rstrip("?")
    rows = table.list_rows(result.items, url_for("integrations.index", org_slug=org.slug),
                           here, filters.include_config, filters.blocked_providers)
    # Admins and up get the bulk form: a checkbox per row, the action bar, "all N matching"
    # (its `filters` are the list's own, in the list's query-string spelling).
    can_manage = access.can(Capability.MANAGE_INTEGRATIONS)
    return render_template("integrations/index.html", view=view, filters=filters, rows=rows,
                           can_manage=can_manage, here=here,
                           bulk_filters=filters_query(filters) if can_manage else "")


@bp.route("/<org_slug>/integrations/<provider_key>/")
@org_view()
def provider(access: OrgAccess, provider_key: str):
    """Members: one provider — what it does, and this org's installations of it."""
    provider = get_provider(provider_key)
    if provider is None:
        abort(404)
    org = access.organization
    request_href = url_for("requests.index", org_slug=org.slug, provider_type="first_party",
                           provider_slug=provider.key)
    return render_template(
        "integrations/provider.html",
        provider=provider,
        domain_label=DOMAIN_LABELS.get(provider.domain, provider.domain),
        installations=svc.provider_installations(org, provider.key),
        base=url_for("integrations.index", org_slug=org.slug),
        install_reason=None if access.can(Capability.MANAGE_INTEGRATIONS) else INSTALL_REASON,
        request_href=request_href,
        # The org's policy refuses it: a badge and the reason instead of the request link.
        blocked=get_policy(org).refusal(FIRST_PARTY, provider.key, provider.name),
    )


def _load(access: OrgAccess, provider_key: str, integration_id: int):
    """The installation named by the URL; 404 when the provider part does not match."""
    oi = svc.get_org_integration(access.organization, integration_id)
    if oi.integration.provider != provider_key:
        abort(404)
    return oi


def _detail_url(oi, next_url: str | None = None) -> str:
    return url_for("integrations.detail", org_slug=oi.organization.slug,
                   provider_key=oi.integration.provider, integration_id=oi.integration_id,
                   next=next_url or None)  # None: no `next` arg


def _list_url(access: OrgAccess) -> str:
    return url_for("integrations.index", org_slug=access.organization.slug)


def _returning_next(access: OrgAccess) -> str | None:
    """The validated list URL to go back to (from ?next= or the form), if any."""
    target = safe_next("")
    return target or None


def _config_form(oi):
    """The config form filled with the stored values (None for a provider not in the catalog)."""
    provider = svc.provider_of(oi)
    if provider is None:
        return None
    return config_form_class(provider)(formdata=None, data=svc.config_values(oi),
                                       version=oi.version, next=safe_next(""))


def _render_detail(access: OrgAccess, oi, form, status: int = 200):
    provider = svc.provider_of(oi)
    reason = access.reason(Capability.MANAGE_INTEGRATIONS)
    back = safe_next(_list_url(access))
    return render_template(
        "integrations/detail.html",
        oi=oi,
        integration=oi.integration,
        provider=provider,
        form=form,
        extra_config=svc.extra_config(oi),
        history=list_target_history(svc.TARGET_TYPE, oi.id),
        manage_reason=reason,
        disable_reason=svc.disable_reason(oi),
        uninstall_reason=svc.uninstall_reason(oi),
        enable_reason=svc.enable_reason(oi, get_policy(access.organization))
        if oi.status == int(ObjectStatus.DISABLED) else None,
        action_form=ConfirmForm(formdata=None, next=_returning_next(access) or ""),
        back=back,
        status_label=ObjectStatus.label_of(oi.status),
    ), status


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/", methods=["GET", "POST"])
@org_view()
def detail(access: OrgAccess, provider_key: str, integration_id: int):
    """Members: one installation (read-only); admins and up: POST saves its config."""
    oi = _load(access, provider_key, integration_id)
    provider = svc.provider_of(oi)
    form_class = config_form_class(provider) if provider else None
    if request.method == "GET":
        return _render_detail(access, oi, _config_form(oi))

    access.require(Capability.MANAGE_INTEGRATIONS)
    if form_class is None:
        abort(404)
    form = form_class()
    if form.is_submitted() and parse_id(form.version.data) is None:
        form.form_errors.append("The form is missing its version; reload the page and try again.")

    def saved(changes) -> tuple[str, str, str]:
        back = _detail_url(oi, _returning_next(access))
        if not changes:
            return "Nothing to save: the values are unchanged.", back, "info"
        count = f"{len(changes)} {'setting' if len(changes) == 1 else 'settings'} changed"
        return f"Saved the configuration of {oi.integration.name} ({count}).", back, "success"

    return save_form(
        form,
        lambda: svc.update_integration_config(current_user, oi, _posted_config(provider, form),
                                              parse_id(form.version.data), client_ip()),
        render=lambda status: _render_detail(access, oi, form, status),
        done=saved,
        on_stale=lambda exc: (render_template(
            "integrations/conflict.html", oi=oi, changes=exc.changes, message=exc.message,
            reload_href=_detail_url(oi, _returning_next(access))), 409),
    )


def _posted_config(provider, form) -> dict:
    """The schema fields as posted, plus any unknown names (the service refuses those).

    HTML semantics: an unchecked checkbox (boolean or multichoice) is absent from the post
    and means off / none; a text or choice field absent from the post is left unchanged.
    """
    values = {}
    for field in provider.config_schema:
        if field.type in ("boolean", "multichoice") or field.name in request.form:
            values[field.name] = form[field.name].data
    for name in request.form:
        if name not in values and name not in ("csrf_token", "version", "next") and \
                name not in {f.name for f in provider.config_schema}:
            values[name] = request.form.get(name)
    return values


def _confirmed_action(access: OrgAccess, provider_key: str, integration_id: int, action,
                      done, confirm: str | None = None, refusal=None, context=None):
    """A status change of one installation. GET (routes with a `confirm` template) shows
    the confirmation page — what happens, or `refusal(oi)`, why it cannot — and changes
    nothing; POST (CSRF) calls `action(user, oi, ip)`, commits and flashes
    `done(oi, result)` (`result`: what `action` returned). A refused change (a second
    click, a stale page) says why on the installation page (409)."""
    oi = _load(access, provider_key, integration_id)
    form = ConfirmForm(next=_returning_next(access) or "")
    if request.method == "GET" and confirm is not None:
        return render_template(
            confirm, oi=oi, integration=oi.integration, provider=svc.provider_of(oi), form=form,
            refusal=refusal(oi) if refusal else None,
            cancel_href=_detail_url(oi, _returning_next(access)),
            **(context(oi) if context else {}))
    if not form.validate_on_submit():
        abort(400)
    try:
        result = action(current_user, oi, client_ip())
    except Conflict as exc:  # e.g. a second click on Disable: say so on the page
        db.session.rollback()
        flash(exc.message, "error")
        return _render_detail(access, oi, _config_form(oi), 409)
    db.session.commit()
    message, target = done(oi, result)
    flash(message, "success")
    return redirect(target)


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/disable/",
          methods=["GET", "POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def disable(access: OrgAccess, provider_key: str, integration_id: int):
    """Admins and up: GET says what disabling changes and keeps; POST disables an active
    installation (INTEGRATION_DISABLE)."""
    return _confirmed_action(
        access, provider_key, integration_id, svc.disable_integration,
        done=lambda oi, _: (f"{oi.integration.name} is disabled.",
                         _detail_url(oi, _returning_next(access))),
        confirm="integrations/confirm_disable.html", refusal=svc.disable_reason,
        context=lambda oi: {"impact": svc.uninstall_impact(oi)})


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/enable/", methods=["POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def enable(access: OrgAccess, provider_key: str, integration_id: int):
    """Admins and up: enable a disabled installation (nothing is lost by it: no confirmation)."""
    return _confirmed_action(
        access, provider_key, integration_id, svc.enable_integration,
        done=lambda oi, _: (f"{oi.integration.name} is enabled again.",
                         _detail_url(oi, _returning_next(access))))


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/restore/",
          methods=["GET", "POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def restore(access: OrgAccess, provider_key: str, integration_id: int):
    """Admins and up: GET says what restoring gives back; POST takes back the uninstall of
    an installation pending deletion, until the deletion run (INTEGRATION_RESTORE)."""
    def restored(oi, plan: svc.RestorePlan) -> tuple[str, str]:
        state = STATUS_LABELS[ObjectStatus.label_of(oi.status)].lower()
        how = (f"it is {state}, not active: {plan.blocked}" if plan.blocked
               else f"it is {state}, as before the uninstall.")
        return (f"{oi.integration.name} is restored: {how}",
                _detail_url(oi, _returning_next(access)))

    return _confirmed_action(
        access, provider_key, integration_id, svc.restore_integration, done=restored,
        confirm="integrations/confirm_restore.html", refusal=svc.restore_reason,
        context=lambda oi: {"plan": svc.restore_plan(oi), "impact": svc.uninstall_impact(oi),
                            "status_labels": STATUS_LABELS})


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/uninstall/",
          methods=["GET", "POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def uninstall(access: OrgAccess, provider_key: str, integration_id: int):
    """Admins and up: GET shows what goes with the installation; POST marks it for deletion
    (INTEGRATION_REMOVE); it can be restored until the deletion run."""
    return _confirmed_action(
        access, provider_key, integration_id, svc.uninstall_integration,
        done=lambda oi, _: (f"{oi.integration.name} will be uninstalled: it is pending deletion "
                         "and is removed by the next deletion run. Until then it can be "
                         "restored from its page.", safe_next(_list_url(access))),
        confirm="integrations/confirm_uninstall.html", refusal=svc.uninstall_reason,
        context=lambda oi: {"impact": svc.uninstall_impact(oi)})
