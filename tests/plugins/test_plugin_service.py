"""Service tests for legacy plugins (SPEC §4.4, §7.3), mirroring Sentry's
OrganizationPluginsConfigsEndpoint cases, plus the per-plugin table and settings writes."""

import dataclasses

import pytest

from tests import factories
from webapp.catalog.plugins import PLUGINS, get_plugin, is_configured, is_enabled
from webapp.extensions import db
from webapp.models import AuditLogEntry, ObjectStatus, ProjectPluginOption
from webapp.services.errors import NotFound, StaleEdit, ValidationFailed
from webapp.services.plugins.lists import (
    plugin_project_lists,
    plugin_project_previews,
    resolve_plugin_slugs,
)
from webapp.services.plugins.settings import (
    project_plugin_state,
    set_plugin_enabled,
    update_plugin_settings,
)
from webapp.services.plugins.table import (
    PluginProjectFilters,
    iter_plugin_projects,
    plugin_projects_table,
)

TRELLO = PLUGINS["trello"]


def options(project, plugin):
    rows = db.session.scalars(
        db.select(ProjectPluginOption).where(
            ProjectPluginOption.project_id == project.id, ProjectPluginOption.plugin == plugin
        )
    )
    return {row.key: row.value for row in rows}


def audit_entries(event=None):
    query = db.select(AuditLogEntry).order_by(AuditLogEntry.id)
    if event:
        query = query.where(AuditLogEntry.event == event)
    return list(db.session.scalars(query))


# --- resolve_plugin_slugs ------------------------------------------------------------------


def test_no_slugs_gives_every_configurable_plugin_in_catalog_order_without_deprecated():
    plugins = resolve_plugin_slugs([])
    slugs = [p.slug for p in plugins]
    assert "clubhouse" not in slugs and "vsts" not in slugs  # deprecated
    assert "trello" in slugs and "webhooks" in slugs
    titles = [p.title.casefold() for p in plugins]
    assert titles == sorted(titles)
    assert all(p.has_configuration for p in plugins)


def test_several_slugs_come_back_in_catalog_order_and_once():
    plugins = resolve_plugin_slugs(["webhooks", "trello", "asana", "trello"])
    assert [p.slug for p in plugins] == ["asana", "trello", "webhooks"]


def test_explicit_deprecated_slug_is_returned():
    assert [p.slug for p in resolve_plugin_slugs(["clubhouse"])] == ["clubhouse"]


def test_unknown_slug_is_not_found():
    with pytest.raises(NotFound) as exc:
        resolve_plugin_slugs(["trello", "bad_plugin"])
    assert exc.value.message == "Plugin bad_plugin not found"


# --- plugin_project_lists: the upstream cases -----------------------------------------------


def test_enabled_but_not_configured_project_is_absent(org):
    project = factories.make_project(org, slug="bar")
    factories.set_plugin_option(project, "trello", "enabled", True)
    assert plugin_project_lists(org, [TRELLO]) == {"trello": []}


def test_configured_and_disabled_project_is_listed_with_enabled_false(org):
    project = factories.make_project(org, slug="bar", platform="python")
    factories.set_plugin_option(project, "trello", "key", "some_value")
    factories.set_plugin_option(project, "trello", "enabled", False)
    [entry] = plugin_project_lists(org, [TRELLO])["trello"]
    assert (entry.project_id, entry.project_slug, entry.project_name) == (project.id, "bar", "bar")
    assert entry.platform == "python"
    assert entry.enabled is False and entry.configured is True


def test_configured_without_enabled_option_counts_as_disabled(org):
    project = factories.make_project(org, slug="bar")
    factories.set_plugin_option(project, "trello", "key", "some_value")
    [entry] = plugin_project_lists(org, [TRELLO])["trello"]
    assert entry.enabled is False


def test_configured_and_enabled_project_is_listed_with_enabled_true(org):
    project = factories.make_project(org, slug="bar")
    factories.set_plugin_option(project, "trello", "key", "some_value")
    factories.set_plugin_option(project, "trello", "enabled", True)
    [entry] = plugin_project_lists(org, [TRELLO])["trello"]
    assert entry.enabled is True and entry.configured is True


@pytest.mark.parametrize(
    "status", [ObjectStatus.DISABLED, ObjectStatus.PENDING_DELETION, ObjectStatus.DELETION_IN_PROGRESS]
)
def test_project_that_is_not_active_is_absent(org, status):
    project = factories.make_project(org, slug="bar", status=status)
    factories.set_plugin_option(project, "trello", "key", "some_value")
    factories.set_plugin_option(project, "trello", "enabled", True)
    assert plugin_project_lists(org, [TRELLO]) == {"trello": []}


def test_two_projects_both_listed_in_slug_order_with_platforms(org):
    second = factories.make_project(org, slug="zed", platform="javascript")
    first = factories.make_project(org, slug="bar", platform="python")
    for project in (second, first):
        factories.set_plugin_option(project, "trello", "key", "some_value")
        factories.set_plugin_option(project, "trello", "enabled", True)
    entries = plugin_project_lists(org, [TRELLO])["trello"]
    assert [(e.project_slug, e.platform) for e in entries] == [("bar", "python"), ("zed", "javascript")]


def test_other_orgs_projects_never_appear(org):
    other = factories.make_org()
    project = factories.make_project(other, slug="theirs")
    factories.set_plugin_option(project, "trello", "key", "k")
    assert plugin_project_lists(org, [TRELLO]) == {"trello": []}


def test_lists_of_several_plugins_each_hold_their_own_projects(org):
    a = factories.make_project(org, slug="a")
    b = factories.make_project(org, slug="b")
    factories.set_plugin_option(a, "trello", "key", "k")
    factories.set_plugin_option(b, "webhooks", "urls", "https://example.com/hook")
    factories.set_plugin_option(b, "webhooks", "enabled", True)
    factories.set_plugin_option(a, "opsgenie", "api_key", "")  # empty: not configured
    lists = plugin_project_lists(org, resolve_plugin_slugs(["webhooks", "trello", "opsgenie"]))
    assert list(lists) == ["opsgenie", "trello", "webhooks"]  # catalog order (by title)
    assert lists["opsgenie"] == []
    assert [e.project_slug for e in lists["trello"]] == ["a"]
    assert [(e.project_slug, e.enabled) for e in lists["webhooks"]] == [("b", True)]


def test_project_lists_cost_one_statement_for_many_plugins_and_projects(org, count_queries):
    plugins = resolve_plugin_slugs([])
    for n in range(30):
        project = factories.make_project(org, slug=f"p-{n:02d}")
        for plugin in plugins[: n % 5 + 1]:
            factories.set_plugin_option(project, plugin.slug, plugin.required_field, "value")
            factories.set_plugin_option(project, plugin.slug, "enabled", n % 2 == 0)
    db.session.commit()
    org_id = org.id
    assert org_id
    with count_queries() as counter:
        lists = plugin_project_lists(org, plugins)
    assert counter.count == 1
    assert len(lists[plugins[0].slug]) == 30
    with count_queries() as counter:
        previews = plugin_project_previews(org, plugins, limit=10)
    assert counter.count == 1
    first = previews[plugins[0].slug]
    assert first.has_more and first.total == 30 and first.enabled is None
    assert [e.project_slug for e in first.entries] == [f"p-{n:02d}" for n in range(10)]
    last = previews[plugins[4].slug]  # configured on every fifth project: 6 of them
    assert not last.has_more and last.total == 6
    assert last.enabled == sum(1 for e in last.entries if e.enabled)
    assert [e.project_slug for e in last.entries] == [f"p-{n:02d}" for n in range(4, 30, 5)]


# --- SQL predicates agree with the catalog's Python rules -----------------------------------

VALUES = [None, False, True, "", "x", "false", "0", 0, 1, 0.0, -0.0, 2.5, [], ["a"], {}, {"a": 1}]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_sql_configured_and_enabled_agree_with_catalog(org, value):
    """The SQL predicates behind lists and filters give the catalog's answers."""
    project = factories.make_project(org, slug="p")
    factories.set_plugin_option(project, "trello", "key", value)
    factories.set_plugin_option(project, "trello", "enabled", value)
    listed = plugin_project_lists(org, [TRELLO])["trello"]
    stored = {"key": value, "enabled": value}
    assert bool(listed) == is_configured(TRELLO, stored)
    table = plugin_projects_table(org, TRELLO)
    [row] = table.items
    assert row.configured == is_configured(TRELLO, stored)
    assert row.enabled == is_enabled(stored)
    if listed:
        assert listed[0].enabled == is_enabled(stored)


def test_sql_null_value_counts_as_no_value(org):
    project = factories.make_project(org, slug="p")
    db.session.execute(
        db.insert(ProjectPluginOption).values(project_id=project.id, plugin="trello", key="key", value=db.null())
    )
    assert plugin_project_lists(org, [TRELLO]) == {"trello": []}


# --- plugin_projects_table --------------------------------------------------------------------


def _table_fixture(org):
    rows = {
        "alpha": dict(key="k", enabled=True),  # configured, enabled
        "beta": dict(key="k"),  # configured, disabled
        "gamma": dict(enabled=True),  # enabled, not configured
        "delta": {},  # nothing
    }
    for slug, opts in rows.items():
        project = factories.make_project(org, slug=slug, name=slug.title(), platform="go")
        for key, value in opts.items():
            factories.set_plugin_option(project, "trello", key, value)
    factories.make_project(org, slug="omega", status=ObjectStatus.DISABLED)
    db.session.commit()


def test_table_lists_every_active_project_sorted_with_both_columns(org):
    _table_fixture(org)
    table = plugin_projects_table(org, TRELLO)
    assert [(e.project_slug, e.enabled, e.configured) for e in table.items] == [
        ("alpha", True, True), ("beta", False, True), ("delta", False, False), ("gamma", True, False),
    ]
    assert table.total == 4
    assert table.enabled_facets == {True: 2, False: 2}
    assert table.configured_facets == {True: 2, False: 2}


def test_table_filters_combine_and_facets_follow_the_other_filters(org):
    _table_fixture(org)
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(enabled=True))
    assert [e.project_slug for e in table.items] == ["alpha", "gamma"]
    assert table.configured_facets == {True: 1, False: 1}
    assert table.enabled_facets == {True: 2, False: 2}
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(enabled=False, configured=True))
    assert [e.project_slug for e in table.items] == ["beta"]
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(configured=False))
    assert [e.project_slug for e in table.items] == ["delta", "gamma"]
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(q="AMM"))  # gamma, by slug/name
    assert [e.project_slug for e in table.items] == ["gamma"]
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(q="100%_"))
    assert table.items == [] and table.total == 0


def test_table_paginates_in_sql_and_clamps_past_the_end(org):
    _table_fixture(org)
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(page=2, per_page=3))
    assert [e.project_slug for e in table.items] == ["gamma"] and table.page == 2
    table = plugin_projects_table(org, TRELLO, PluginProjectFilters(page=9, per_page=3))
    assert table.page == 2
    assert [e.project_slug for e in iter_plugin_projects(org, TRELLO, PluginProjectFilters(enabled=True))] == [
        "alpha", "gamma",
    ]


def test_table_counts_match_every_project_probed_one_by_one(org):
    """The counts probe only projects with an option of the plugin and take the rest from
    the org's active-project count: compare with the catalog's rules on every project, for
    every filter combination (with options of other plugins, falsy values, a disabled
    project, another org's project and a search around)."""
    other_org = factories.make_org(slug="other")
    layouts = [
        {"key": "k", "enabled": True}, {"key": "k"}, {"enabled": True}, {"enabled": False},
        {"key": ""}, {"key": False, "enabled": "yes"}, {}, {}, {"key": None},
    ]
    for n, layout in enumerate(layouts):
        project = factories.make_project(org, slug=f"p{n}", name=f"Project {n % 3}")
        for key, value in layout.items():
            factories.set_plugin_option(project, "trello", key, value)
        factories.set_plugin_option(project, "asana", "workspace", "w")  # another plugin
    disabled = factories.make_project(org, slug="gone", status=ObjectStatus.DISABLED)
    factories.set_plugin_option(disabled, "trello", "key", "k")
    foreign = factories.make_project(other_org, slug="p0")
    factories.set_plugin_option(foreign, "trello", "key", "k")
    db.session.commit()

    active = [p for p in org_projects(org) if p.status == ObjectStatus.ACTIVE]
    for q in ("", "project 1"):
        for enabled in (None, True, False):
            for configured in (None, True, False):
                table = plugin_projects_table(
                    org, TRELLO, PluginProjectFilters(q=q, enabled=enabled, configured=configured))
                states = [(is_enabled(options(p, "trello")), is_configured(TRELLO, options(p, "trello")))
                          for p in active if not q or q in p.name.lower()]

                def n(e, c, states=states):
                    return sum(1 for se, sc in states if (e is None or se == e) and (c is None or sc == c))

                assert table.total == n(enabled, configured), (q, enabled, configured)
                assert table.enabled_facets == {True: n(True, configured), False: n(False, configured)}
                assert table.configured_facets == {True: n(enabled, True), False: n(enabled, False)}


def org_projects(org):
    from webapp.models import Project
    return db.session.scalars(db.select(Project).where(Project.organization_id == org.id)).all()


@pytest.mark.parametrize("n_projects", [3, 60])
def test_table_costs_two_statements_whatever_the_size(org, count_queries, n_projects):
    for n in range(n_projects):
        project = factories.make_project(org, slug=f"p-{n:03d}")
        if n % 2:
            factories.set_plugin_option(project, "trello", "key", "k")
    db.session.commit()
    assert org.id
    with count_queries() as counter:
        table = plugin_projects_table(org, TRELLO, PluginProjectFilters(configured=True, per_page=25))
    assert counter.count == 2
    assert table.total == n_projects // 2


# --- set_plugin_enabled / update_plugin_settings ----------------------------------------------


def test_enable_then_disable_keeps_settings_and_audits_both(org):
    actor = factories.make_user()
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "key", "k")
    assert set_plugin_enabled(actor, org, TRELLO, "web", True, "10.0.0.1") is True
    db.session.commit()
    assert options(project, "trello") == {"key": "k", "enabled": True}
    assert set_plugin_enabled(actor, org, TRELLO, "web", False, "10.0.0.1") is True
    db.session.commit()
    assert options(project, "trello") == {"key": "k", "enabled": False}  # settings kept
    [enable, disable] = audit_entries()
    assert (enable.event, disable.event) == ("PLUGIN_ENABLE", "PLUGIN_DISABLE")
    assert disable.target_type == "project_plugin" and disable.target_id == project.id
    assert disable.target_object == "trello/web"
    assert disable.data["changes"] == {"enabled": {"before": True, "after": False}}
    assert disable.actor_id == actor.id and disable.ip_address == "10.0.0.1"
    assert disable.organization_id == org.id
    [entry] = plugin_project_lists(org, [TRELLO])["trello"]
    assert entry.enabled is False  # configured-but-disabled stays listed


def test_enable_when_already_enabled_changes_and_audits_nothing(org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "enabled", True)
    assert set_plugin_enabled(None, org, TRELLO, "web", True) is False
    assert audit_entries() == []


@pytest.mark.parametrize("slug", ["nope", "gone"])
def test_enable_unknown_or_inactive_project_is_a_project_field_error(org, slug):
    factories.make_project(org, slug="gone", status=ObjectStatus.PENDING_DELETION)
    with pytest.raises(ValidationFailed) as exc:
        set_plugin_enabled(None, org, TRELLO, slug, True)
    assert exc.value.field_errors == {"project": [f"Project {slug} not found."]}


def test_update_settings_writes_options_and_audits_the_diff(org):
    actor = factories.make_user()
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "key", "old")
    factories.set_plugin_option(project, "trello", "legacy_thing", {"kept": 1})
    result = update_plugin_settings(actor, org, TRELLO, "web", {"key": " new ", "token": "t"},
                                    enabled=True, ip_address="10.1.1.1")
    db.session.commit()
    assert result.changes == {
        "key": {"before": "old", "after": "new"},
        "token": {"before": None, "after": "t"},
    }
    assert result.enabled_changed and result.state.enabled and result.state.configured
    assert options(project, "trello") == {
        "key": "new", "token": "t", "enabled": True, "legacy_thing": {"kept": 1},
    }
    edit, enable = audit_entries()
    assert (edit.event, enable.event) == ("PLUGIN_EDIT", "PLUGIN_ENABLE")
    # Trello's key and token are credentials: the audit entry says they changed, not to what.
    assert edit.data["changes"] == {
        "key": {"before": "••••••••", "after": "••••••••"},
        "token": {"before": None, "after": "••••••••"},
    }
    assert edit.data["plugin"] == "trello" and edit.data["project"] == "web"
    assert edit.target_object == "trello/web" and edit.ip_address == "10.1.1.1"


def test_update_settings_clearing_an_optional_field_removes_it(org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "key", "k")
    factories.set_plugin_option(project, "trello", "organization", "acme")
    update_plugin_settings(None, org, TRELLO, "web", {"organization": "  "})
    assert options(project, "trello") == {"key": "k"}
    [edit] = audit_entries()
    assert edit.data["changes"] == {"organization": {"before": "acme", "after": None}}


def test_update_settings_with_nothing_changed_writes_no_audit(org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "key", "k")
    result = update_plugin_settings(None, org, TRELLO, "web", {"key": "k"}, enabled=False)
    assert not result.changed
    assert audit_entries() == []


def test_disabling_through_settings_keeps_every_option(org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "key", "k")
    factories.set_plugin_option(project, "trello", "token", "t")
    factories.set_plugin_option(project, "trello", "enabled", True)
    update_plugin_settings(None, org, TRELLO, "web", {}, enabled=False)
    assert options(project, "trello") == {"key": "k", "token": "t", "enabled": False}
    assert [e.event for e in audit_entries()] == ["PLUGIN_DISABLE"]


@pytest.mark.parametrize(
    ("plugin", "values", "field", "message"),
    [
        ("trello", {"nope": "x"}, "nope", "Unknown field for Trello."),
        ("trello", {"key": ""}, "key", "Trello API key is required."),
        ("trello", {"key": 5}, "key", "Must be text."),
        ("trello", {"key": "x" * 10_001}, "key", "At most 10,000 characters (you entered 10,001)."),
        ("jira", {"username": "u", "auto_create": "yes"}, "auto_create", "Must be true or false."),
        ("amazon-sqs", {"queue_url": "q", "region": "mars-1"}, "region", "“mars-1” is not one of the choices."),
        ("amazon-sqs", {"queue_url": "q", "region": ["us-east-1"]}, "region", "“['us-east-1']” is not one of the choices."),
    ],
)
def test_update_settings_rejects_bad_values_and_writes_nothing(org, plugin, values, field, message):
    project = factories.make_project(org, slug="web")
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        update_plugin_settings(None, org, get_plugin(plugin), "web", values, enabled=True)
    assert exc.value.field_errors[field] == [message]
    db.session.rollback()
    assert options(project, plugin) == {}
    assert audit_entries() == []


def test_update_settings_unknown_project_is_a_project_field_error_with_the_other_errors(org):
    with pytest.raises(ValidationFailed) as exc:
        update_plugin_settings(None, org, TRELLO, "missing", {"nope": 1})
    assert exc.value.field_errors == {
        "nope": ["Unknown field for Trello."], "project": ["Project missing not found."],
    }


def test_choice_field_accepts_a_listed_value_and_boolean_true(org):
    project = factories.make_project(org, slug="web")
    update_plugin_settings(None, org, get_plugin("amazon-sqs"), "web",
                           {"queue_url": "https://q", "region": "eu-west-1"})
    update_plugin_settings(None, org, get_plugin("jira"), "web", {"username": "u", "auto_create": True})
    assert options(project, "amazon-sqs") == {"queue_url": "https://q", "region": "eu-west-1"}
    assert options(project, "jira") == {"username": "u", "auto_create": True}


def test_stale_version_is_refused_and_nothing_written(org):
    project = factories.make_project(org, slug="web")
    factories.set_plugin_option(project, "trello", "key", "k")
    version = project_plugin_state(org, TRELLO, "web").version
    update_plugin_settings(None, org, TRELLO, "web", {"key": "someone-else"})
    db.session.commit()
    with pytest.raises(StaleEdit) as exc:
        update_plugin_settings(None, org, TRELLO, "web", {"key": "mine"}, expected_version=version)
    assert exc.value.changes == {"key": ("••••••••", "••••••••")}  # a credential: masked
    db.session.rollback()
    assert options(project, "trello") == {"key": "someone-else"}


def test_plugin_without_required_field_counts_any_other_valued_option(org):
    """The catalog allows plugins without a required field: any option but `enabled`."""
    loose = dataclasses.replace(TRELLO, required_field=None)
    two = factories.make_project(org, slug="two-values")
    factories.set_plugin_option(two, "trello", "token", "t")
    factories.set_plugin_option(two, "trello", "organization", "o")
    only_enabled = factories.make_project(org, slug="only-enabled")
    factories.set_plugin_option(only_enabled, "trello", "enabled", True)
    empty = factories.make_project(org, slug="empty-value")
    factories.set_plugin_option(empty, "trello", "token", "")
    entries = plugin_project_lists(org, [loose])["trello"]
    assert [e.project_slug for e in entries] == ["two-values"]  # once, despite two values
    table = plugin_projects_table(org, loose)
    assert {e.project_slug: e.configured for e in table.items} == {
        "empty-value": False, "only-enabled": False, "two-values": True,
    }


def test_plugins_with_and_without_required_field_list_together_in_the_order_asked(org):
    """One statement mixes both kinds of part (on PostgreSQL: the LATERAL part of the
    plugins with a required field, and a walk part for the others): each plugin keeps its
    own projects, by slug, in the order of the plugins asked for."""
    loose = dataclasses.replace(TRELLO, required_field=None)  # walks the org's projects
    asana, github = PLUGINS["asana"], PLUGINS["github"]
    for slug in ("b-proj", "a-proj", "c-proj"):
        project = factories.make_project(org, slug=slug)
        factories.set_plugin_option(project, "trello", "token", "t")
        if slug != "c-proj":
            factories.set_plugin_option(project, "asana", "workspace", "w")
            factories.set_plugin_option(project, "asana", "enabled", slug == "a-proj")
        if slug == "c-proj":
            factories.set_plugin_option(project, "github", "repo", "acme/c")
    lists = plugin_project_lists(org, [github, loose, asana])
    assert list(lists) == ["github", "trello", "asana"]
    assert [e.project_slug for e in lists["github"]] == ["c-proj"]
    assert [e.project_slug for e in lists["trello"]] == ["a-proj", "b-proj", "c-proj"]
    assert [(e.project_slug, e.enabled) for e in lists["asana"]] == [
        ("a-proj", True), ("b-proj", False)]
    previews = plugin_project_previews(org, [asana, loose, github], limit=2)
    assert [e.project_slug for e in previews["trello"].entries] == ["a-proj", "b-proj"]
    assert previews["trello"].has_more
    assert [e.project_slug for e in previews["asana"].entries] == ["a-proj", "b-proj"]
    assert not previews["asana"].has_more
    assert [e.project_slug for e in previews["github"].entries] == ["c-proj"]
