"""Legacy plugins of an organization (SPEC §7.3, §8), on services.plugins.lists.

- GET /api/0/organizations/<org>/plugins/configs/   Sentry's OrganizationPluginsConfigsEndpoint:
  each plugin with its projectList (`plugins` repeatable; an unknown slug → 404)
- GET /api/0/organizations/<org>/plugins/           Sentry's OrganizationPluginsEndpoint:
  `plugins=_all` → every plugin; otherwise one entry per plugin and project that has the
  plugin's `enabled` option (`plugins` narrows; unknown slugs are ignored); paginated
"""

from flask import jsonify, request

from webapp.blueprints.api import bp
from webapp.blueprints.api.common import multi_arg, org_access, paginate
from webapp.blueprints.api.serializers import (
    serialize_org_plugin,
    serialize_plugin,
    serialize_plugin_config,
)
from webapp.catalog.plugins import PLUGINS
from webapp.services.permissions import Capability
from webapp.services.plugins.lists import (
    enabled_option_projects,
    plugin_project_lists,
    resolve_plugin_slugs,
)


@bp.get("/organizations/<org>/plugins/configs/")
def plugin_configs(org: str):
    """Members: the plugins that have project configuration (deprecated ones skipped), in
    catalog order, each with the org's active projects where it is configured (by slug).
    One query for the project lists of all plugins."""
    access = org_access(org)
    access.require(Capability.VIEW)
    plugins = resolve_plugin_slugs(multi_arg("plugins"))
    lists = plugin_project_lists(access.organization, plugins)
    return jsonify([serialize_plugin_config(plugin, lists[plugin.slug]) for plugin in plugins])


@bp.get("/organizations/<org>/plugins/")
def org_plugins(org: str):
    """Members: `plugins=_all` → every plugin of the catalog (no project); otherwise each
    plugin (all, or the given slugs; unknown slugs ignored) on each active project that has
    its `enabled` option, with `enabled` and the project. Paginated; one query per page."""
    access = org_access(org)
    access.require(Capability.VIEW)
    slugs = request.args.getlist("plugins")
    if slugs == ["_all"]:
        everything = list(PLUGINS.values())

        def catalog_page(offset: int, limit: int):
            shown = everything[offset:offset + limit]
            return [serialize_plugin(plugin) for plugin in shown], offset + limit < len(everything)

        return paginate(catalog_page)
    if "plugins" in request.args:
        wanted = set(multi_arg("plugins"))
        plugins = [plugin for plugin in PLUGINS.values() if plugin.slug in wanted]
    else:
        plugins = list(PLUGINS.values())

    def page(offset: int, limit: int):
        rows = enabled_option_projects(access.organization, plugins, offset, limit + 1)
        items = [serialize_org_plugin(plugin, project.id, project.slug, project.name, enabled)
                 for plugin, project, enabled in rows[:limit]]
        return items, len(rows) > limit

    return paginate(page)
