"""/api/0/organizations/<org>/plugins/configs/ and …/plugins/ (SPEC §7.3, §8), ported from
Sentry's OrganizationPluginsConfigsEndpoint and OrganizationPluginsEndpoint tests."""

import pytest

from tests import factories
from webapp.catalog.plugins import PLUGINS, plugins_with_configuration
from webapp.extensions import db
from webapp.models import ObjectStatus

CONFIGS = "/api/0/organizations/acme/plugins/configs/"
PLUGIN_KEYS = {"id", "slug", "name", "shortName", "type", "canDisable", "isTestable",
               "hasConfiguration", "features", "featureDescriptions", "isDeprecated",
               "deprecationDate", "isHidden", "author", "description", "resourceLinks"}


def configure(project, slug, enabled=True, value="set"):
    plugin = PLUGINS[slug]
    factories.set_plugin_option(project, slug, plugin.required_field, value)
    if enabled is not None:
        factories.set_plugin_option(project, slug, "enabled", enabled)


def by_slug(response) -> dict:
    return {p["slug"]: p for p in response.json}


# -- configs ----------------------------------------------------------------------------------


def test_no_configs_lists_every_configurable_plugin(api_as, org):
    response = api_as().get(CONFIGS)
    assert response.status_code == 200
    assert [p["slug"] for p in response.json] == [p.slug for p in plugins_with_configuration()]
    assert "clubhouse" not in by_slug(response)  # deprecated: skipped
    trello = by_slug(response)["trello"]
    assert set(trello) == PLUGIN_KEYS | {"projectList"}
    assert trello["id"] == "trello"
    assert trello["name"] == "Trello"
    assert trello["projectList"] == []
    assert trello["author"] == {"name": PLUGINS["trello"].author_name, "url": PLUGINS["trello"].author_url}
    assert trello["isDeprecated"] is False
    assert trello["resourceLinks"] and set(trello["resourceLinks"][0]) == {"title", "url"}


def test_project_list_configured_enabled_or_not(api_as, org):
    on = factories.make_project(org, slug="b-on", platform="javascript")
    off = factories.make_project(org, slug="a-off")
    only_enabled = factories.make_project(org, slug="c-enabled-only")
    cleared = factories.make_project(org, slug="d-cleared")
    gone = factories.make_project(org, slug="e-gone", status=ObjectStatus.PENDING_DELETION)
    configure(on, "trello")
    configure(off, "trello", enabled=False)
    factories.set_plugin_option(only_enabled, "trello", "enabled", True)
    configure(cleared, "trello", value="")
    configure(gone, "trello")
    db.session.commit()
    response = api_as().get(CONFIGS, query_string={"plugins": "trello"})
    assert response.status_code == 200
    assert [p["slug"] for p in response.json] == ["trello"]
    assert response.json[0]["projectList"] == [
        {"projectId": off.id, "projectSlug": "a-off", "projectName": off.name, "enabled": False,
         "configured": True, "projectPlatform": "python"},
        {"projectId": on.id, "projectSlug": "b-on", "projectName": on.name, "enabled": True,
         "configured": True, "projectPlatform": "javascript"},
    ]


def test_several_plugins_come_back_in_catalog_order(api_as, org):
    response = api_as().get(CONFIGS, query_string=[("plugins", "webhooks"), ("plugins", "asana"),
                                                  ("plugins", "opsgenie"), ("plugins", "asana")])
    assert [p["slug"] for p in response.json] == ["asana", "opsgenie", "webhooks"]


@pytest.mark.parametrize("query", [[("plugins", "nope")], [("plugins", "asana"), ("plugins", "nope")]])
def test_unknown_plugin_is_404(api_as, org, query):
    response = api_as().get(CONFIGS, query_string=query)
    assert response.status_code == 404
    assert response.json == {"detail": "Plugin nope not found"}


def test_other_orgs_projects_are_not_listed(api_as, org):
    other = factories.make_org()
    configure(factories.make_project(other), "trello")
    db.session.commit()
    assert api_as().get(CONFIGS, query_string={"plugins": "trello"}).json[0]["projectList"] == []


def test_configs_non_member_is_404(api_as, org):
    assert api_as("outsider").get(CONFIGS).status_code == 404


def test_configs_query_count_is_constant(api_as, org, count_queries):
    api = api_as()
    configure(factories.make_project(org), "trello")
    db.session.commit()
    api.get(CONFIGS)  # the token's first use writes last_used (at most once a minute)
    with count_queries() as small:
        api.get(CONFIGS)
    for i in range(40):
        project = factories.make_project(org)
        for slug in ("trello", "opsgenie", "webhooks", "slack"):
            configure(project, slug, enabled=i % 2 == 0)
    db.session.commit()
    with count_queries() as large:
        response = api.get(CONFIGS)
    assert len(by_slug(response)["opsgenie"]["projectList"]) == 40
    assert large.count == small.count
    assert small.count <= 6


# -- /plugins/ --------------------------------------------------------------------------------

PLUGINS_URL = "/api/0/organizations/acme/plugins/"


def test_all_lists_every_plugin_without_projects(api_as, org):
    response = api_as().get(PLUGINS_URL, query_string={"plugins": "_all"})
    assert response.status_code == 200
    assert [p["slug"] for p in response.json] == list(PLUGINS)
    assert set(response.json[0]) == PLUGIN_KEYS
    assert by_slug(response)["clubhouse"]["isDeprecated"] is True


def test_plugins_per_project_with_an_enabled_option(api_as, org):
    a = factories.make_project(org, slug="a")
    b = factories.make_project(org, slug="b")
    dead = factories.make_project(org, slug="c", status=ObjectStatus.PENDING_DELETION)
    factories.set_plugin_option(b, "trello", "enabled", True)
    factories.set_plugin_option(a, "trello", "enabled", False)
    factories.set_plugin_option(a, "asana", "enabled", True)
    factories.set_plugin_option(a, "webhooks", "urls", "https://hook.example")  # no enabled option
    factories.set_plugin_option(dead, "asana", "enabled", True)
    factories.set_plugin_option(factories.make_project(factories.make_org()), "asana", "enabled", True)
    db.session.commit()
    response = api_as().get(PLUGINS_URL)
    assert response.status_code == 200
    rows = [(p["slug"], p["project"]["slug"], p["enabled"]) for p in response.json]
    assert rows == [("asana", "a", True), ("trello", "a", False), ("trello", "b", True)]
    first = response.json[0]
    assert set(first) == PLUGIN_KEYS | {"enabled", "project"}
    assert first["project"] == {"id": a.id, "slug": "a", "name": a.name}


def test_plugins_filter_ignores_unknown_slugs(api_as, org):
    project = factories.make_project(org, slug="p")
    factories.set_plugin_option(project, "trello", "enabled", True)
    factories.set_plugin_option(project, "asana", "enabled", True)
    db.session.commit()
    api = api_as()
    response = api.get(PLUGINS_URL, query_string=[("plugins", "trello"), ("plugins", "nope")])
    assert response.status_code == 200
    assert [p["slug"] for p in response.json] == ["trello"]
    assert api.get(PLUGINS_URL, query_string={"plugins": "nope"}).json == []


def test_plugins_pagination_and_constant_queries(api_as, org, count_queries):
    api = api_as()
    for i in range(3):
        factories.set_plugin_option(factories.make_project(org, slug=f"p{i:03d}"), "trello", "enabled", True)
    db.session.commit()
    api.get(PLUGINS_URL)  # the token's first use writes last_used (at most once a minute)
    with count_queries() as small:
        assert len(api.get(PLUGINS_URL).json) == 3
    for i in range(3, 130):
        factories.set_plugin_option(factories.make_project(org, slug=f"p{i:03d}"), "trello", "enabled", True)
    db.session.commit()
    with count_queries() as large:
        first = api.get(PLUGINS_URL)
    assert len(first.json) == 100
    assert large.count == small.count
    assert 'rel="next"; results="true"; cursor="0:100:0"' in first.headers["Link"]
    second = api.get(PLUGINS_URL, query_string={"cursor": "0:100:0"})
    assert [p["project"]["slug"] for p in second.json][:2] == ["p100", "p101"]
    assert len(second.json) == 30


def test_all_is_paginated_too(api_as, org):
    response = api_as().get(PLUGINS_URL, query_string={"plugins": "_all", "per_page": 5})
    assert len(response.json) == 5
    assert 'rel="next"; results="true"' in response.headers["Link"]


def test_plugins_non_member_is_404(api_as, org):
    assert api_as("outsider").get(PLUGINS_URL).status_code == 404
