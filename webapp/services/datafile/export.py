"""`export-data`: the whole data set in the data file's shape, and its text.

`export_data()` sorts by natural key at every level and `dump_data()` writes a stable
layout, so export → load → export gives the same bytes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    Integration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    ProviderPolicy,
    SentryApp,
    User,
)
from webapp.services.datafile.schema import iso_datetime


def _feature_ids(target_type: int) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for target_id, feature in db.session.execute(
        select(IntegrationFeature.target_id, IntegrationFeature.feature)
        .where(IntegrationFeature.target_type == target_type)
        .order_by(IntegrationFeature.target_id, IntegrationFeature.feature)
    ):
        result.setdefault(target_id, []).append(feature)
    return result


def export_data(*, with_secrets: bool = False) -> dict:
    """The whole data set in the data-file shape, sorted by natural key at every level.

    Users carry `password_hash` only `with_secrets` (and only when they have one).
    """
    users: list[dict[str, Any]] = []
    for user in db.session.scalars(select(User)):
        row: dict[str, Any] = {
            "email": user.email, "name": user.name, "is_active": user.is_active,
            "is_staff": user.is_staff, "is_superuser": user.is_superuser,
            "auth_source": user.auth_source,
        }
        if with_secrets and user.password_hash:
            row["password_hash"] = user.password_hash
        users.append(row)
    users.sort(key=lambda r: (r["email"].lower(), r["email"]))

    app_features = _feature_ids(IntegrationFeatureTarget.SENTRY_APP)
    sentry_apps: list[dict[str, Any]] = sorted(
        (
            {"slug": app.slug, "name": app.name, "author": app.author, "overview": app.overview,
             "status": app.status, "features": app_features.get(app.id, [])}
            for app in db.session.scalars(select(SentryApp))
        ),
        key=lambda r: r["slug"],
    )

    integrations: list[dict[str, Any]] = sorted(
        (
            {"provider": provider, "external_id": external_id, "name": name,
             "metadata": metadata or {}, "status": ObjectStatus(status).label}
            for provider, external_id, name, metadata, status in db.session.execute(
                select(Integration.provider, Integration.external_id, Integration.name,
                       Integration.metadata_, Integration.status)
            )
        ),
        key=lambda r: (r["provider"], r["external_id"]),
    )

    doc_features = _feature_ids(IntegrationFeatureTarget.DOC_INTEGRATION)
    doc_integrations: list[dict[str, Any]] = []
    for doc in db.session.scalars(select(DocIntegration).options(selectinload(DocIntegration.logo))):
        logo = None
        if doc.logo is not None:
            logo = {"content_type": doc.logo.content_type,
                    "data_base64": base64.b64encode(doc.logo.data).decode("ascii")}
        doc_integrations.append({
            "slug": doc.slug, "name": doc.name, "author": doc.author,
            "description": doc.description, "url": doc.url, "popularity": doc.popularity,
            "is_draft": doc.is_draft,
            "resources": [{"title": r.get("title"), "url": r.get("url")} for r in doc.resources or []],
            "features": doc_features.get(doc.id, []), "logo": logo,
        })
    doc_integrations.sort(key=lambda r: r["slug"])

    organizations = _export_organizations()
    return {
        "users": users, "sentry_apps": sentry_apps, "integrations": integrations,
        "doc_integrations": doc_integrations, "organizations": organizations,
    }


def _export_organizations() -> list[dict]:
    orgs: dict[int, dict] = {}
    for org_id, slug, name in db.session.execute(
        select(Organization.id, Organization.slug, Organization.name)
    ):
        orgs[org_id] = {"slug": slug, "name": name, "members": [], "projects": [],
                        "integrations": [], "plugin_options": []}
    for org_id, email, role, role_source in db.session.execute(
        select(OrganizationMember.organization_id, User.email, OrganizationMember.role,
               OrganizationMember.role_source)
        .join(User, User.id == OrganizationMember.user_id)
    ):
        orgs[org_id]["members"].append({"email": email, "role": role, "role_source": role_source})
    for org_id, slug, name, platform, status in db.session.execute(
        select(Project.organization_id, Project.slug, Project.name, Project.platform, Project.status)
    ):
        orgs[org_id]["projects"].append(
            {"slug": slug, "name": name, "platform": platform, "status": ObjectStatus(status).label}
        )
    for org_id, provider, external_id, status, config, grace in db.session.execute(
        select(OrganizationIntegration.organization_id, Integration.provider,
               Integration.external_id, OrganizationIntegration.status,
               OrganizationIntegration.config, OrganizationIntegration.grace_period_end)
        .join(Integration, Integration.id == OrganizationIntegration.integration_id)
    ):
        orgs[org_id]["integrations"].append({
            "provider": provider, "external_id": external_id,
            "status": ObjectStatus(status).label, "config": config or {},
            "grace_period_end": iso_datetime(grace),
        })
    for org_id, project, plugin, key, value in db.session.execute(
        select(Project.organization_id, Project.slug, ProjectPluginOption.plugin,
               ProjectPluginOption.key, ProjectPluginOption.value)
        .join(Project, Project.id == ProjectPluginOption.project_id)
    ):
        orgs[org_id]["plugin_options"].append(
            {"project": project, "plugin": plugin, "key": key, "value": value}
        )
    for org_id, mode, reason, providers in db.session.execute(
        select(ProviderPolicy.organization_id, ProviderPolicy.mode, ProviderPolicy.reason,
               ProviderPolicy.providers)
    ):
        orgs[org_id]["provider_policy"] = {"mode": mode, "reason": reason,
                                           "providers": sorted(providers or ())}
    for org in orgs.values():
        org["members"].sort(key=lambda r: (r["email"].lower(), r["email"]))
        org["projects"].sort(key=lambda r: r["slug"])
        org["integrations"].sort(key=lambda r: (r["provider"], r["external_id"]))
        org["plugin_options"].sort(key=lambda r: (r["project"], r["plugin"], r["key"]))
    return sorted(orgs.values(), key=lambda r: r["slug"])


def dump_data(data: dict) -> str:
    """The file text: indent 2, keys sorted, UTF-8 characters kept, a final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
