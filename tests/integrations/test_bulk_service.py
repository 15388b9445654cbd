"""Bulk actions in the service (issue 23): plan and apply, the skipped rows and their reasons,
stale rows, the all-or-nothing apply, cross-org ids, members, and "all matching" counting
exactly what the list counts."""

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.integrations.helpers import audit_entries, bulk_install, parse_filters, seed, status_of
from webapp.extensions import db
from webapp.models import ObjectStatus, OrganizationIntegration
from webapp.models.integration_counts import OrganizationIntegrationCount
from webapp.services.errors import Forbidden, NotFound, ValidationFailed
from webapp.services.integrations import list_installations
from webapp.services.integrations.bulk import (
    GONE_REASON,
    STALE_REASON,
    Expected,
    Selection,
    apply_bulk,
    clean_ids,
    get_action,
    plan_bulk,
)
from webapp.services.permissions import get_org_access
from webapp.services.policy import update_policy

S = ObjectStatus


def access_for(org, role="admin"):
    user = factories.make_user()
    factories.make_member(org, user, role)
    db.session.commit()
    return get_org_access(user, org.slug)


def counts_are_exact(org_id):
    """The trigger-kept counts equal a fresh count of the rows."""
    kept = {(p, s): n for p, s, n in db.session.execute(
        select(OrganizationIntegrationCount.provider, OrganizationIntegrationCount.status,
               OrganizationIntegrationCount.count)
        .where(OrganizationIntegrationCount.organization_id == org_id,
               OrganizationIntegrationCount.count != 0))}
    real = {(p, s): n for p, s, n in db.session.execute(
        select(OrganizationIntegration.integration_provider, OrganizationIntegration.status,
               func.count())
        .where(OrganizationIntegration.organization_id == org_id)
        .group_by(OrganizationIntegration.integration_provider, OrganizationIntegration.status))}
    return kept == real


@pytest.fixture
def rows(org):
    other = factories.make_org(slug="globex")
    made = seed(org, other)
    made["other"] = db.session.scalars(select(OrganizationIntegration)
                                       .where(OrganizationIntegration.organization_id == other.id)).first()
    return made


def ids(rows, *names):
    return Selection(ids=tuple(rows[name].integration_id for name in names))


def test_plan_by_ids_says_what_changes_and_what_is_skipped_and_writes_nothing(org, rows):
    admin = access_for(org)
    plan = plan_bulk(admin, "disable", ids(rows, "Alpha Slack", "Beta GitHub", "Epsilon Vercel",
                                           "Gamma Jira", "Delta PagerDuty"))
    assert (plan.total, plan.changes) == (5, 2)
    assert {(s.reason, s.count) for s in plan.skipped} == {
        ("Vercel installations cannot be disabled here; uninstall it instead.", 1),
        ("Already disabled.", 1),
        ("Pending deletion: only an active installation can be disabled.", 1),
    }
    assert [r.name for r in plan.rows if r.reason is None] == ["Alpha Slack", "Beta GitHub"]
    assert status_of(rows["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []


def test_apply_changes_the_planned_rows_with_an_audit_entry_each_and_one_for_the_action(org, rows):
    admin = access_for(org)
    plan = plan_bulk(admin, "disable", ids(rows, "Alpha Slack", "Beta GitHub", "Gamma Jira"))
    version = rows["Alpha Slack"].version
    result = apply_bulk(admin, "disable", plan.selection, plan.expected, "10.0.0.1")
    db.session.commit()
    assert (result.changed, result.skipped_total) == (2, 1)
    assert [(s.reason, s.count) for s in result.skipped] == [("Already disabled.", 1)]
    assert status_of(rows["Alpha Slack"]) == status_of(rows["Beta GitHub"]) == S.DISABLED
    db.session.refresh(rows["Alpha Slack"])
    assert rows["Alpha Slack"].version == version + 1
    per_row = audit_entries("INTEGRATION_DISABLE")
    assert sorted(e.target_object for e in per_row) == ["Alpha Slack", "Beta GitHub"]
    (bulk,) = audit_entries("INTEGRATION_BULK_DISABLE")
    assert all(e.data["changes"] == {"status": {"before": "active", "after": "disabled"}}
               and e.data["bulk"] == bulk.data["bulk"] and e.ip_address == "10.0.0.1"
               and e.actor_id == admin.user.id and e.organization_id == org.id
               and e.target_type == "organization_integration" for e in per_row)
    assert {e.data["integration_id"] for e in per_row} == {
        rows["Alpha Slack"].integration_id, rows["Beta GitHub"].integration_id}
    assert bulk.data["changed"] == 2
    assert bulk.data["skipped"] == [["Already disabled.", 1]]
    assert bulk.data["ids"] == list(plan.selection.ids)
    assert counts_are_exact(org.id)


def test_a_row_changed_after_the_plan_is_skipped_as_stale_never_overwritten(org, rows):
    admin = access_for(org)
    plan = plan_bulk(admin, "disable", ids(rows, "Alpha Slack", "Beta GitHub"))
    # someone else disables and enables Beta GitHub between the confirmation and the apply:
    # the same status again, but a newer version
    beta = db.session.get(OrganizationIntegration, rows["Beta GitHub"].id)
    beta.status = int(S.DISABLED)
    db.session.commit()
    beta.status = int(S.ACTIVE)
    db.session.commit()
    result = apply_bulk(admin, "disable", plan.selection, plan.expected)
    db.session.commit()
    assert result.changed == 1
    assert [(s.reason, s.count) for s in result.skipped] == [(STALE_REASON, 1)]
    assert status_of(rows["Beta GitHub"]) == S.ACTIVE
    assert [e.target_object for e in audit_entries("INTEGRATION_DISABLE")] == ["Alpha Slack"]


def test_all_matching_skips_rows_changed_after_the_plan(org, rows):
    admin = access_for(org)
    plan = plan_bulk(admin, "uninstall", Selection(filters=parse_filters({"status": "active"})))
    assert plan.changes == plan.total == 5
    late = factories.install(org, factories.make_integration(provider="slack", name="Late"))
    db.session.commit()
    result = apply_bulk(admin, "uninstall", plan.selection, plan.expected)
    db.session.commit()
    assert result.changed == 5
    assert [(s.reason, s.count) for s in result.skipped] == [(STALE_REASON, 1)]
    assert status_of(late) == S.ACTIVE
    assert counts_are_exact(org.id)


def test_an_id_of_another_org_is_not_found_for_the_whole_request_and_nothing_changes(org, rows):
    admin = access_for(org)
    selection = ids(rows, "Alpha Slack")
    mixed = Selection(ids=(*selection.ids, rows["other"].integration_id))
    with pytest.raises(NotFound):
        plan_bulk(admin, "disable", mixed)
    with pytest.raises(NotFound):
        apply_bulk(admin, "disable", mixed)
    db.session.rollback()
    assert status_of(rows["Alpha Slack"]) == S.ACTIVE
    assert audit_entries() == []
    unknown = Selection(ids=(999_999,))
    with pytest.raises(NotFound):
        apply_bulk(admin, "disable", unknown)


def test_a_deletion_in_progress_row_is_not_found_either(org, rows):
    admin = access_for(org)
    with pytest.raises(NotFound):
        plan_bulk(admin, "uninstall", ids(rows, "Theta Slack"))


def test_members_may_not_plan_or_apply(org, rows):
    member = access_for(org, "member")
    with pytest.raises(Forbidden):
        plan_bulk(member, "disable", ids(rows, "Alpha Slack"))
    with pytest.raises(Forbidden):
        apply_bulk(member, "disable", ids(rows, "Alpha Slack"))
    assert status_of(rows["Alpha Slack"]) == S.ACTIVE


def test_enable_skips_providers_the_policy_blocks_and_uninstall_skips_pending_ones(org, rows):
    owner = access_for(org, "owner")
    update_policy(owner, "block", "Security review pending.", {"first_party": ["jira"]}, None)
    db.session.commit()
    plan = plan_bulk(owner, "enable", Selection(filters=parse_filters({})))
    assert plan.changes == 1  # Zeta GitLab
    assert {(s.reason, s.count) for s in plan.skipped} == {
        ("Jira is blocked by this organization’s integration policy: Security review pending.", 1),
        ("Already active: only a disabled installation can be enabled.", 5),
        ("Pending deletion: only a disabled installation can be enabled.", 1),
    }
    result = apply_bulk(owner, "enable", plan.selection, plan.expected)
    assert (result.changed, result.skipped) == (1, plan.skipped)
    assert status_of(rows["Gamma Jira"]) == S.DISABLED
    assert status_of(rows["Zeta GitLab"]) == S.ACTIVE
    uninstall = apply_bulk(owner, "uninstall", Selection(filters=parse_filters({})))
    assert uninstall.changed == 7
    assert [(s.reason, s.count) for s in uninstall.skipped] == [("Already pending deletion.", 1)]
    assert counts_are_exact(org.id)


@pytest.mark.parametrize("action", ["disable", "enable", "uninstall"])
@pytest.mark.parametrize("policy", [None, ("block", ["slack", "jira"]), ("allow_only", ["gitlab"])])
def test_apply_changes_exactly_what_the_plan_says_for_every_rule(org, action, policy):
    """The plan judges (provider, status) groups in Python, the apply selects them in SQL:
    both from action_refusal, so they agree — for catalog providers and for a provider this
    version does not know."""
    bulk_install(org, 60, providers=("slack", "github", "jira", "vercel", "legacy-thing"))
    owner = access_for(org, "owner")
    if policy:
        update_policy(owner, policy[0], "Because.", {"first_party": policy[1]}, None)
        db.session.commit()
    plan = plan_bulk(owner, action, Selection(filters=parse_filters({})))
    result = apply_bulk(owner, action, plan.selection, plan.expected)
    db.session.commit()
    assert (result.changed, result.skipped) == (plan.changes, plan.skipped)
    assert len(audit_entries(get_action(action).event)) == plan.changes
    assert counts_are_exact(org.id)


@pytest.mark.parametrize("raw", [
    {}, {"status": "active"}, {"provider_key": ["slack", "github"]}, {"q": "a"},
    {"features": "alert-rule", "status": ["active", "disabled"]},
    {"integration_type": "source_code_management"}, {"policy": "blocked"},
    {"q": "ta", "policy": "blocked", "status": "disabled"},
])
def test_all_matching_counts_exactly_what_the_list_counts(org, rows, raw):
    owner = access_for(org, "owner")
    update_policy(owner, "block", "No.", {"first_party": ["slack", "gitlab"]}, None)
    db.session.commit()
    filters = parse_filters(raw)
    plan = plan_bulk(owner, "uninstall", Selection(filters=filters))
    assert plan.total == list_installations(org, filters).total


def test_bad_input_is_refused_by_field():
    with pytest.raises(ValidationFailed) as exc:
        get_action("delete")
    assert exc.value.field_errors == {"action": ["Unknown action: delete. Use one of: disable, "
                                                 "enable, uninstall."]}
    for bad, message in [("1,2", "Must be a list of integration ids."),
                         ([], "Choose at least one installation."),
                         (["x", 3], "Not an integration id: x"),
                         ([True], "Not an integration id: True"),
                         (list(range(1, 1002)), "At most 1,000 ids at once; select all "
                                                "matching the filters instead.")]:
        with pytest.raises(ValidationFailed) as exc:
            clean_ids(bad)
        assert exc.value.field_errors["ids"][0] == message
    assert clean_ids(["3", 3, 4]) == (3, 4)


def test_an_apply_without_a_plan_still_skips_nothing_it_may_change(org, rows):
    admin = access_for(org)
    result = apply_bulk(admin, "disable", ids(rows, "Alpha Slack", "Iota Teams"), Expected())
    assert result.changed == 2
    assert GONE_REASON not in {s.reason for s in result.skipped}
