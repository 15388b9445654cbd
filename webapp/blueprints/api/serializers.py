"""JSON shapes of the API (SPEC §8), with Sentry's camelCase field names.

Pure functions: each takes rows that are already loaded (and, for lists, the related data
fetched in bulk by the caller) and returns plain JSON-ready data. None of them runs a query,
so a list costs the same number of queries whatever its length.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask import url_for

from webapp.catalog.features import FEATURES
from webapp.catalog.plugins import Plugin
from webapp.catalog.providers import PROVIDERS, Provider, get_provider
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationRequest,
    ObjectStatus,
)
from webapp.services.integrations import InstallationRow, schema_values
from webapp.services.plugins.lists import ProjectEntry


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in Z, as Sentry writes datetimes."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def status_label(value: int) -> str:
    return ObjectStatus.label_of(value)


# -- installed integrations ------------------------------------------------------------------


def serialize_provider(provider: Provider | None, key: str) -> dict[str, Any]:
    """Sentry's serialize_provider; a provider key this version does not know still serializes."""
    if provider is None:
        return {"key": key, "slug": key, "name": key, "canAdd": False, "canDisable": False,
                "features": [], "aspects": {}}
    return _provider_json(provider.key)


@functools.cache
def _provider_json(key: str) -> dict[str, Any]:
    """A catalog provider's JSON, built once per provider (the catalog is code: it cannot
    change while the app runs). Shared by every item of a list: never mutate it."""
    provider = PROVIDERS[key]
    return {
        "key": provider.key,
        "slug": provider.slug,
        "name": provider.name,
        "canAdd": provider.can_add,
        "canDisable": provider.can_disable,
        "features": provider.feature_values,
        "aspects": dict(provider.aspects),
    }


@functools.cache
def _schema_json(key: str) -> tuple[tuple[str, dict[str, Any], object], ...]:
    """(field name, field JSON without its value, default value) per schema field, built
    once per provider (the value of a field is the stored one, else the default: the rule of
    `schema_values`). Shared by every item of a list: never mutate them."""
    provider = PROVIDERS[key]
    defaults = schema_values(provider, {})
    return tuple((field.name, field.to_dict(), defaults[field.name])
                 for field in provider.config_schema)


def serialize_installation(row: InstallationRow, include_config: bool = True) -> dict[str, Any]:
    """OrganizationIntegrationSerializer: the Integration's fields, its provider, and the org
    link. Without `include_config`, `configOrganization` is left out and `configData` is
    null."""
    metadata = row.metadata or {}
    provider = get_provider(row.provider)
    data: dict[str, Any] = {
        "id": str(row.integration_id),
        "name": row.name,
        "icon": metadata.get("icon"),
        "domainName": metadata.get("domain_name"),
        "accountType": metadata.get("account_type"),
        "scopes": metadata.get("scopes"),
        "status": status_label(row.integration_status),
        "provider": serialize_provider(provider, row.provider),
    }
    config_data = None
    if include_config:
        stored = row.config or {}
        data["configOrganization"] = ([{**field, "value": stored.get(name_, default)}
                                       for name_, field, default in _schema_json(provider.key)]
                                      if provider is not None else [])
        config_data = dict(stored)
    data.update({
        "configData": config_data,
        "externalId": row.external_id,
        "organizationId": row.organization_id,
        "organizationIntegrationStatus": status_label(row.status),
        "gracePeriodEnd": iso(row.grace_period_end),
    })
    return data


# -- doc integrations ------------------------------------------------------------------------


def feature_description(feature_id: int, name: str, user_description: str | None = None) -> str:
    """Sentry's IntegrationFeature.description: the user's text, else the catalog sentence with
    the integration's name (markdown `**bold**` kept, as Sentry sends it)."""
    if user_description:
        return user_description.strip()
    feature = FEATURES.get(feature_id)
    if feature is None:
        return ""
    return feature.template.replace("%s", name).strip()


def serialize_feature(row: IntegrationFeature | int, name: str) -> dict[str, Any]:
    """IntegrationFeatureSerializer with a target: {featureId, featureGate, description}."""
    feature_id = row if isinstance(row, int) else row.feature
    user_description = None if isinstance(row, int) else row.user_description
    feature = FEATURES.get(feature_id)
    return {
        "featureId": feature_id,
        "featureGate": feature.gate if feature else str(feature_id),
        "description": feature_description(feature_id, name, user_description),
    }


def serialize_avatar(logo: DocIntegrationLogo | None) -> dict[str, Any] | None:
    """DocIntegrationAvatarSerializer: {avatarType, avatarUuid, avatarUrl (absolute)} or null."""
    if logo is None:
        return None
    return {
        "avatarType": "upload",
        "avatarUuid": logo.uuid,
        "avatarUrl": url_for("doc_integrations.logo_image", uuid=logo.uuid, _external=True),
    }


def serialize_doc_integration(
    doc: DocIntegration, features: Iterable[IntegrationFeature | int]
) -> dict[str, Any]:
    """DocIntegrationSerializer. `features`: this record's feature rows, fetched in bulk by
    the caller (services.doc_integrations.features_for); `doc.logo` must be loaded."""
    data: dict[str, Any] = {
        "name": doc.name,
        "slug": doc.slug,
        "author": doc.author,
        "description": doc.description,
        "url": doc.url,
        "popularity": doc.popularity,
        "isDraft": doc.is_draft,
        "features": [
            serialize_feature(row, doc.name)
            for row in sorted(features, key=lambda r: r if isinstance(r, int) else r.feature)
        ],
        "avatar": serialize_avatar(doc.logo),
    }
    if doc.resources:
        data["resources"] = [{"title": r.get("title"), "url": r.get("url")} for r in doc.resources]
    return data


def serialize_doc_integrations(
    docs: Iterable[DocIntegration], features: Mapping[int, list[IntegrationFeature]]
) -> list[dict[str, Any]]:
    """Many records with the features of all of them fetched in one query beforehand."""
    return [serialize_doc_integration(doc, features.get(doc.id, [])) for doc in docs]


# -- plugins ---------------------------------------------------------------------------------


def serialize_plugin(plugin: Plugin) -> dict[str, Any]:
    """PluginSerializer without a project."""
    data: dict[str, Any] = {
        "id": plugin.slug,
        "slug": plugin.slug,
        "name": plugin.title,
        "shortName": plugin.short_name,
        "type": plugin.plugin_type,
        "canDisable": plugin.can_disable,
        "isTestable": plugin.is_testable,
        "hasConfiguration": plugin.has_configuration,
        "features": list(plugin.features),
        "featureDescriptions": [
            {"description": text.strip(), "featureGate": str(gate)}
            for gate, text in plugin.feature_descriptions
        ],
        "isDeprecated": plugin.is_deprecated,
        "deprecationDate": plugin.deprecation_date.isoformat() if plugin.deprecation_date else None,
        "isHidden": plugin.is_deprecated or plugin.is_hidden,
        "author": {"name": plugin.author_name, "url": plugin.author_url},
        "description": plugin.description,
        "resourceLinks": [{"title": title, "url": url} for title, url in plugin.resource_links],
    }
    return data


def serialize_project_entry(entry: ProjectEntry) -> dict[str, Any]:
    return {
        "projectId": entry.project_id,
        "projectSlug": entry.project_slug,
        "projectName": entry.project_name,
        "enabled": entry.enabled,
        "configured": entry.configured,
        "projectPlatform": entry.platform,
    }


def serialize_plugin_config(plugin: Plugin, entries: Iterable[ProjectEntry]) -> dict[str, Any]:
    """The plugin configs route: the plugin plus its projectList."""
    return {**serialize_plugin(plugin),
            "projectList": [serialize_project_entry(entry) for entry in entries]}


def serialize_org_plugin(plugin: Plugin, project_id: int, project_slug: str, project_name: str,
                         enabled: bool) -> dict[str, Any]:
    """OrganizationPluginSerializer: the plugin on one project, with `enabled` there."""
    data = serialize_plugin(plugin)
    data["enabled"] = enabled
    data["isHidden"] = plugin.is_deprecated or (not enabled and plugin.is_hidden)
    data["project"] = {"id": project_id, "slug": project_slug, "name": project_name}
    return data


# -- install requests ------------------------------------------------------------------------


def serialize_install_request(request: IntegrationRequest) -> dict[str, Any]:
    """A stored install request (Sentry stores none, so this shape is ours)."""
    return {
        "id": str(request.id),
        "providerType": request.provider_type,
        "providerSlug": request.provider_slug,
        "providerName": request.provider_name,
        "message": request.message,
        "status": request.status,
        "dateAdded": iso(request.date_added),
    }


def serialize_bulk(action: str, *, dry_run: bool, selected: int, changed: int,
                   skipped: Iterable[Any], planned_at: datetime | None = None,
                   versions: Mapping[int, int] | None = None,
                   audit_entry_id: int | None = None) -> dict[str, Any]:
    """A bulk action's plan (`dry_run`) or result: the same shape for both."""
    return {
        "action": action,
        "dryRun": dry_run,
        "selected": selected,
        "changed": changed,
        "skipped": [{"reason": skip.reason, "count": skip.count} for skip in skipped],
        "plannedAt": iso(planned_at),
        "versions": {str(iid): version for iid, version in sorted((versions or {}).items())},
        "auditEntryId": audit_entry_id,
    }
