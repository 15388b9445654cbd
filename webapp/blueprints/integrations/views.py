"""Pages of installed integrations (SPEC §6, §7.1, §7.5): thin views over services.integrations.

- /settings/<org>/integrations/                       list, filters, facets, CSV (?format=csv)
- /settings/<org>/integrations/<provider>/            provider page
- /settings/<org>/integrations/<provider>/<id>/       one installation; POST saves its config
- …/<id>/disable/, …/<id>/enable/ (POST), …/<id>/uninstall/ (GET confirm, POST)
"""

import json
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from webapp.blueprints.common import (
    Page,
    apply_field_errors,
    client_ip,
    csv_response,
    org_view,
    safe_next,
)
from webapp.blueprints.integrations import bp
from webapp.blueprints.integrations.forms import (
    ConfirmForm,
    IntegrationFilterForm,
    SelectChoice,
    config_form_class,
)
from webapp.catalog.features import IntegrationFeatures
from webapp.catalog.providers import DOMAIN_LABELS, DOMAINS, PROVIDERS, get_provider
from webapp.escaping import text
from webapp.extensions import db
from webapp.list_furniture import ArgsUrl, macro_html
from webapp.models import ObjectStatus, Organization
from webapp.services import integrations as svc
from webapp.services.audit import list_target_history, record_export
from webapp.services.errors import Conflict, StaleEdit, ValidationFailed
from webapp.services.permissions import Capability
from webapp.services.saved_views import list_saved_views
from webapp.web import format_datetime, path_segment

STATUS_LABELS = {"active": "Active", "disabled": "Disabled", "pending_deletion": "Pending deletion"}
# Features some catalog provider has; others stay accepted in the URL but are not offered.
OFFERED_FEATURES = [f for f in IntegrationFeatures if svc.providers_with_features([f])]
PROVIDERS_BY_NAME = sorted(PROVIDERS.values(), key=lambda p: p.name.lower())
INSTALL_REASON = "Only owners, managers and admins can install integrations."
DOMAIN_BADGES = {
    "messaging": "bg-primary-subtle text-primary-emphasis",
    "source_code_management": "bg-dark-subtle text-dark-emphasis",
    "project_management": "bg-info-subtle text-info-emphasis",
    "on_call_scheduling": "bg-danger-subtle text-danger-emphasis",
    "general": "bg-secondary-subtle text-secondary-emphasis",
}


def provider_initials(name: str) -> str:
    """Two letters for the provider badge: "Microsoft Teams" → MT, "GitHub" → GH, "Slack" → SL."""
    words = name.split()
    if len(words) > 1:
        return (words[0][0] + words[1][0]).upper()
    capitals = [c for c in name if c.isupper()]
    return "".join(capitals[:2]) if len(capitals) >= 2 else name[:2].upper()


@bp.app_template_global()
def provider_badge(key: str) -> tuple[str, str]:
    """(initials, classes) for the small provider icon (no external images). A template
    global, not a context processor: `integrations/_macros.html` is then imported without
    context, so Jinja reuses the imported module instead of building it on every page."""
    provider = PROVIDERS.get(key)
    if provider is None:
        return (key[:2].upper() or "?"), DOMAIN_BADGES["general"]
    return provider_initials(provider.name), DOMAIN_BADGES.get(provider.domain, "")


@bp.context_processor
def integration_labels():
    return {"domain_labels": DOMAIN_LABELS}


# The filter's choices, built once; a request only attaches its facet counts (FastSelect).
PROVIDER_CHOICES = [SelectChoice(p.key, p.name) for p in PROVIDERS_BY_NAME]
FEATURE_CHOICES = [SelectChoice(f.value, f.value)
                   for f in sorted(IntegrationFeatures, key=lambda f: f.value)]
OFFERED_FEATURE_CHOICES = [c for c in FEATURE_CHOICES
                           if IntegrationFeatures(c.value) in OFFERED_FEATURES]
TYPE_CHOICES = [SelectChoice("", "Any type")] + [SelectChoice(d, DOMAIN_LABELS[d]) for d in DOMAINS]
STATUS_CHOICES = [SelectChoice(s, label) for s, label in STATUS_LABELS.items()]


def _fill_choices(form: IntegrationFilterForm, facets) -> None:
    """Choices with the facet count beside each (how many rows choosing it would give)."""
    selected_features = set(form.features.data or [])
    form.provider_key.choices = PROVIDER_CHOICES
    form.features.choices = OFFERED_FEATURE_CHOICES
    if not selected_features.issubset(c.value for c in OFFERED_FEATURE_CHOICES):
        # A feature no provider has, chosen in the URL: offered too, so it shows as chosen.
        form.features.choices = [c for c in FEATURE_CHOICES if c in OFFERED_FEATURE_CHOICES
                                 or c.value in selected_features]
    form.integration_type.choices = TYPE_CHOICES
    form.status.choices = STATUS_CHOICES
    if facets is not None:
        form.provider_key.counts = facets.providers
        form.features.counts = facets.features
        form.integration_type.counts = facets.integration_types  # "Any type" has none
        form.status.counts = facets.statuses


def _show_filters(form: IntegrationFilterForm, filters: svc.IntegrationFilters) -> None:
    """Show the parsed (canonical) values, e.g. `issue_basic` selects `issue-basic`."""
    form.q.data = filters.q
    form.provider_key.data = list(filters.provider_keys)
    form.features.data = [f.value for f in filters.features]
    form.integration_type.data = filters.integration_type or ""
    form.status.data = [s.label for s in filters.statuses]
    form.include_config.data = "1" if filters.include_config else "0"
    form.sort.data = filters.sort if filters.sort != svc.DEFAULT_SORT else ""


@bp.route("/<org_slug>/integrations/")
@org_view()
def index(access):
    """Members: the org's installations, filtered in the URL; `format=csv` exports them all."""
    org = access.organization
    form = IntegrationFilterForm.from_args()
    paging_ok = form.validate()
    try:
        filters = svc.parse_integration_filters(request.args.to_dict(flat=False))
    except ValidationFailed as exc:
        apply_field_errors(form, exc.field_errors)
        filters = None
    if filters is None or not paging_ok:
        _fill_choices(form, None)
        return render_template("integrations/index.html", form=form, filters=None, page=None,
                               facets=None,
                               saved_views=list_saved_views(current_user, org, "integrations")), 400

    if request.args.get("format") == "csv":
        return _export_csv(access, filters)

    facets = svc.facet_counts(org, filters)
    result = svc.list_org_integrations(org, filters, form.page_number, form.page_size,
                                       facets=facets, lean="list")
    page = Page(result.items, result.total, result.page, result.per_page)
    _show_filters(form, filters)
    _fill_choices(form, facets)
    base = url_for("integrations.index", org_slug=org.slug)
    next_arg = "?next=" + quote(request.full_path.rstrip("?"), safe="/")
    args_url = ArgsUrl(base, request.args)
    return render_template(
        "integrations/index.html",
        form=form,
        filters=filters,
        facets=facets,
        page=page,
        base=base,
        rows=_rows_html(result.items, base, next_arg, filters.include_config),
        chips=_filter_chips_html(filters, args_url),
        args_url=args_url,
        providers=PROVIDERS,
        saved_views=list_saved_views(current_user, org, "integrations"),
    )


_CHIP = ('<a class="badge rounded-pill text-bg-light border fw-normal text-decoration-none '
         'filter-chip" href="{href}">{label} <i class="bi bi-x" aria-hidden="true"></i>'
         '<span class="visually-hidden">(remove this filter)</span></a>')


def _filter_chips_html(filters: svc.IntegrationFilters, args_url: ArgsUrl) -> Markup:
    """"Filtered by:" and a chip per active filter value, each a link to the list without
    that value (back to page 1). Empty when nothing is filtered."""
    if not filters.is_filtered():
        return Markup("")

    def chip(label_html: str, **changes) -> str:
        return _CHIP.format(href=text(args_url(page=None, **changes)), label=label_html)

    chips = []
    if filters.q:
        chips.append(chip(f"Search &ldquo;{text(filters.q)}&rdquo;", q=None))
    keys = list(filters.provider_keys)
    for key in keys:
        provider = PROVIDERS.get(key)
        chips.append(chip(f"Provider: {text(provider.name if provider else key)}",
                          provider_key=[k for k in keys if k != key] or None, providerKey=None))
    features = [f.value for f in filters.features]
    for value in features:
        chips.append(chip(f"Feature: {text(value)}",
                          features=[v for v in features if v != value] or None))
    if filters.integration_type:
        chips.append(chip(f"Type: {text(DOMAIN_LABELS[filters.integration_type])}",
                          integration_type=None, integrationType=None))
    statuses = [s.label for s in filters.statuses]
    for value in statuses:
        chips.append(chip(f"Status: {text(value.replace('_', ' ').capitalize())}",
                          status=[v for v in statuses if v != value] or None))
    return Markup('<div class="d-flex flex-wrap align-items-center gap-2 mb-2 small '
                  'active-filters">\n  <span class="text-body-secondary">Filtered by:</span>\n  '
                  + "\n  ".join(chips) + "\n</div>")


def _config_summary_html(config: dict | None, limit: int = 3) -> str:
    """The config column: the first stored keys and their values, "key: value &middot; …"
    (values cut at 40 characters), escaped; &mdash; for none."""
    if not config:
        return "&mdash;"
    parts = []
    for key in sorted(config)[:limit]:
        value = config[key]
        if isinstance(value, bool):
            shown = "on" if value else "off"
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = "" if value is None else str(value)
        parts.append(f"{text(key)}: {text(shown[:40]) or '&mdash;'}")
    more = len(config) - limit
    return " &middot; ".join(parts) + (f" &middot; +{more} more" if more > 0 else "")


def _rows_html(items, base: str, next_arg: str, include_config: bool) -> Markup:
    """The table's rows, laid out in Python as Django admin lays out its result rows: every
    value escaped here (`text`); the provider, status and integration-status cells come from
    the `integrations/_macros.html` macros, rendered once per value (`macro_html`), not per
    row or request. Row links are built from the list's own URL, not url_for per row. As a
    Jinja loop, these rows were a fifth of the page's rendering time."""
    macros = current_app.jinja_env.get_template("integrations/_macros.html").module
    provider_cells: dict[str, tuple[str, str]] = {}  # (cell, link prefix)
    status_cells: dict[int, str] = {}
    state_cells: dict[int, str] = {}
    prefix = text(base)
    next_part = text(next_arg)
    rows = []
    for row in items:  # lean rows of svc.list_org_integrations
        provider_key, status, state = row.provider, row.status, row.integration_status
        provider_cell = provider_cells.get(provider_key)
        if provider_cell is None:
            provider = PROVIDERS.get(provider_key)
            provider_cell = provider_cells[provider_key] = (
                f"{macro_html(macros, 'provider_icon', provider_key)} "
                f"{text(provider.name if provider else provider_key)}",
                f"{prefix}{path_segment(provider_key)}/")  # quoted: no HTML specials
        status_cell = status_cells.get(status)
        if status_cell is None:
            status_cell = status_cells[status] = macro_html(macros, "install_status", status)
        state_cell = state_cells.get(state)
        if state_cell is None:
            state_cell = state_cells[state] = macro_html(macros, "integration_status",
                                                         state)
        grace = row.grace_period_end
        config = (f'\n  <td class="small text-body-secondary config-summary text-truncate">'
                  f'{_config_summary_html(row.config)}</td>') if include_config else ""
        rows.append(
            f'<tr>\n  <td class="text-nowrap">{provider_cell[0]}</td>\n'
            f'  <td class="col-name"><a href="{provider_cell[1]}{row.integration_id}/{next_part}"'
            f' class="fw-semibold text-decoration-none">'
            f"{text(row.name)}</a></td>\n"
            f'  <td class="col-external-id"><code class="small text-body">'
            f"{text(row.external_id)}</code></td>\n"
            f"  <td>{status_cell}</td>\n  <td>{state_cell}</td>\n"
            # YYYY-MM-DD (UTC): isoformat is 5× cheaper than strftime
            f'  <td class="text-nowrap small">{row.date_added.date().isoformat()}</td>\n'
            f'  <td class="text-nowrap small">{format_datetime(grace) if grace else "&mdash;"}</td>'
            f"{config}\n</tr>")
    return Markup("\n".join(rows))


def _export_csv(access, filters: svc.IntegrationFilters):
    """Every matching row (all pages) as CSV; the export is audit-logged first."""
    org = access.organization
    org_slug, org_id = org.slug, org.id
    record_export(actor=current_user, organization=org, list_name="integrations",
                  filters=filters.as_dict(), ip_address=client_ip())
    db.session.commit()
    header = ["integration_id", "provider", "provider_name", "name", "external_id", "status",
              "integration_status", "date_added", "grace_period_end", "domain_name",
              "account_type"]
    if filters.include_config:
        header.append("config")

    def rows():
        # Streaming runs after the request's session is gone: reload the org in this one.
        for oi in svc.iter_org_integrations(db.session.get(Organization, org_id), filters):
            integration = oi.integration
            provider = PROVIDERS.get(integration.provider)
            metadata = integration.metadata_ or {}
            row = [
                integration.id, integration.provider, provider.name if provider else "",
                integration.name, integration.external_id, _label(oi.status),
                _label(integration.status), oi.date_added.isoformat(),
                oi.grace_period_end.isoformat() if oi.grace_period_end else "",
                metadata.get("domain_name", ""), metadata.get("account_type", ""),
            ]
            if filters.include_config:
                row.append(json.dumps(oi.config or {}, sort_keys=True))
            yield row

    return csv_response(f"{org_slug}-integrations.csv", header, rows())


def _label(status: int) -> str:
    try:
        return ObjectStatus(status).label
    except ValueError:
        return "unknown"


@bp.route("/<org_slug>/integrations/<provider_key>/")
@org_view()
def provider(access, provider_key: str):
    """Members: one provider — what it does, and this org's installations of it."""
    provider = get_provider(provider_key)
    if provider is None:
        abort(404)
    org = access.organization
    if "requests.index" in current_app.view_functions:
        request_href = url_for("requests.index", org_slug=org.slug, provider_type="first_party",
                               provider_slug=provider.key)
    else:
        request_href = (f"/settings/{quote(org.slug)}/integration-requests/"
                        f"?provider_type=first_party&provider_slug={quote(provider.key)}")
    return render_template(
        "integrations/provider.html",
        provider=provider,
        domain_label=DOMAIN_LABELS.get(provider.domain, provider.domain),
        installations=svc.provider_installations(org, provider.key),
        base=url_for("integrations.index", org_slug=org.slug),
        install_reason=None if access.can(Capability.MANAGE_INTEGRATIONS) else INSTALL_REASON,
        request_href=request_href,
    )


def _load(access, provider_key: str, integration_id: int):
    """The installation named by the URL; 404 when the provider part does not match."""
    oi = svc.get_org_integration(access.organization, integration_id)
    if oi.integration.provider != provider_key:
        abort(404)
    return oi


def _detail_url(oi, next_url: str | None = None) -> str:
    args = {"next": next_url} if next_url else {}
    return url_for("integrations.detail", org_slug=oi.organization.slug,
                   provider_key=oi.integration.provider, integration_id=oi.integration_id, **args)


def _list_url(access) -> str:
    return url_for("integrations.index", org_slug=access.organization.slug)


def _returning_next(access) -> str | None:
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


def _render_detail(access, oi, form, status: int = 200):
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
        action_form=ConfirmForm(formdata=None, next=_returning_next(access) or ""),
        back=back,
        status_label=_label(oi.status),
    ), status


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/", methods=["GET", "POST"])
@org_view()
def detail(access, provider_key: str, integration_id: int):
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
    if not form.validate_on_submit():  # CSRF
        return _render_detail(access, oi, form, 400)
    try:
        expected_version = int(form.version.data)
    except (TypeError, ValueError):
        form.form_errors.append("The form is missing its version; reload the page and try again.")
        return _render_detail(access, oi, form, 400)
    values = _posted_config(provider, form)
    try:
        changes = svc.update_integration_config(current_user, oi, values, expected_version,
                                                client_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        apply_field_errors(form, exc.field_errors)
        return _render_detail(access, oi, form, 400)
    except StaleEdit as exc:
        db.session.rollback()
        return render_template("integrations/conflict.html", oi=oi, changes=exc.changes,
                               message=exc.message,
                               reload_href=_detail_url(oi, _returning_next(access))), 409
    db.session.commit()
    if changes:
        flash(f"Saved the configuration of {oi.integration.name} ({len(changes)} "
              f"{'setting' if len(changes) == 1 else 'settings'} changed).", "success")
    else:
        flash("Nothing to save: the values are unchanged.", "info")
    return redirect(_detail_url(oi, _returning_next(access)))


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


def _status_action(access, provider_key, integration_id, action, done: str):
    oi = _load(access, provider_key, integration_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(current_user, oi, client_ip())
    except Conflict as exc:  # e.g. a second click on Disable: say so on the page
        db.session.rollback()
        flash(exc.message, "error")
        return _render_detail(access, oi, _config_form(oi), 409)
    db.session.commit()
    flash(done.format(name=oi.integration.name), "success")
    return redirect(_detail_url(oi, _returning_next(access)))


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/disable/", methods=["POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def disable(access, provider_key: str, integration_id: int):
    """Admins and up: disable an active installation."""
    return _status_action(access, provider_key, integration_id, svc.disable_integration,
                          "{name} is disabled.")


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/enable/", methods=["POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def enable(access, provider_key: str, integration_id: int):
    """Admins and up: enable a disabled installation."""
    return _status_action(access, provider_key, integration_id, svc.enable_integration,
                          "{name} is enabled again.")


@bp.route("/<org_slug>/integrations/<provider_key>/<int:integration_id>/uninstall/",
          methods=["GET", "POST"])
@org_view(Capability.MANAGE_INTEGRATIONS)
def uninstall(access, provider_key: str, integration_id: int):
    """Admins and up: GET shows what goes with the installation; POST marks it for deletion."""
    oi = _load(access, provider_key, integration_id)
    form = ConfirmForm(next=_returning_next(access) or "")
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        svc.uninstall_integration(current_user, oi, client_ip())
        db.session.commit()
        flash(f"{oi.integration.name} will be uninstalled: it is pending deletion and is "
              "removed by the next deletion run.", "success")
        return redirect(safe_next(_list_url(access)))
    return render_template(
        "integrations/confirm_uninstall.html",
        oi=oi,
        integration=oi.integration,
        provider=svc.provider_of(oi),
        impact=svc.uninstall_impact(oi),
        form=form,
        cancel_href=_detail_url(oi, _returning_next(access)),
    )
