"""/settings/<org>/integration-policy/: members read the org's provider policy; owners and
managers change it (thin: the form → services.policy.update_policy)."""

from urllib.parse import urlencode

from flask import render_template, request, url_for

from webapp.blueprints.common import client_ip, org_view, save_form
from webapp.blueprints.policy import bp
from webapp.blueprints.policy.forms import PolicyForm
from webapp.services.audit import list_target_history
from webapp.services.errors import StaleEdit
from webapp.services.ids import parse_id
from webapp.services.permissions import Capability, OrgAccess
from webapp.services.policy import (
    KINDS,
    TARGET_TYPE,
    Policy,
    blocked_installation_count,
    get_policy,
    provider_choices,
    update_policy,
)


def _form_data(policy: Policy) -> dict:
    data: dict[str, object] = {"mode": policy.mode, "reason": policy.reason,
                               "version": str(policy.version)}
    for kind in KINDS:
        data[kind] = [key.split(":", 1)[1] for key in sorted(policy.providers)
                      if key.startswith(f"{kind}:")]
    return data


def _render(access: OrgAccess, form: PolicyForm, policy: Policy, status: int = 200,
            conflict: StaleEdit | None = None):
    org = access.organization
    blocked = blocked_installation_count(org, policy)
    list_url = url_for("integrations.index", org_slug=org.slug)
    bulk_args = {"action": "uninstall", "all_matching": "1", "filters": "policy=blocked"}
    return render_template(
        "policy/edit.html",
        form=form,
        policy=policy,
        kinds=KINDS,
        manage_reason=access.reason(Capability.MANAGE_POLICY),
        blocked_installations=blocked,
        blocked_list_href=f"{list_url}?policy=blocked",
        bulk_uninstall_href=url_for("integrations.bulk_confirm", org_slug=org.slug) + "?"
        + urlencode(bulk_args) if access.can(Capability.MANAGE_INTEGRATIONS) else None,
        history=list_target_history(TARGET_TYPE, policy.id) if policy.id else [],
        conflict=conflict,
    ), status


@bp.route("/settings/<org_slug>/integration-policy/", methods=["GET", "POST"])
@org_view()
def edit(access: OrgAccess):
    """Members: the org's provider policy, read-only; owners and managers: POST changes it
    (audited with its before/after diff)."""
    org = access.organization
    choices = provider_choices()
    policy = get_policy(org)
    if request.method == "GET":
        form = PolicyForm(formdata=None, data=_form_data(policy))
        form.set_choices(choices)
        return _render(access, form, policy)

    access.require(Capability.MANAGE_POLICY)
    form = PolicyForm()
    form.set_choices(choices)
    if form.is_submitted() and parse_id(form.version.data) is None:
        form.form_errors.append("The form is missing its version; reload the page and try again.")

    def saved(changes) -> tuple[str, str, str]:
        here = url_for("policy.edit", org_slug=org.slug)
        if not changes:
            return "Nothing to save: the policy is unchanged.", here, "info"
        blocked = blocked_installation_count(org, get_policy(org))
        message = "Saved the integration policy."
        if blocked:
            message += (f" {blocked:,} installed {'integration is' if blocked == 1 else 'integrations are'}"
                        " of providers it blocks: see them on this page.")
        return message, here, "success"

    def stale(exc: StaleEdit):
        current = get_policy(org)
        fresh = PolicyForm(formdata=None, data=_form_data(current))
        fresh.set_choices(choices)
        return _render(access, fresh, current, 409, conflict=exc)

    return save_form(
        form,
        lambda: update_policy(access, form.mode.data, form.reason.data, form.providers(),
                              parse_id(form.version.data), client_ip()),
        render=lambda status: _render(access, form, policy, status),
        done=saved,
        on_stale=stale,
    )
