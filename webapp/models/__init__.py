"""All models, importable from one place."""

from webapp.models.accounts import ApiToken, AuthSource, User
from webapp.models.audit import AuditLogEntry
from webapp.models.base import VISIBLE_STATUSES, ObjectStatus, utcnow
from webapp.models.doc_integrations import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
    SentryApp,
)
from webapp.models.integrations import Integration, OrganizationIntegration
from webapp.models.login_attempts import LoginAttempt
from webapp.models.organizations import Organization, OrganizationMember, Project, Role
from webapp.models.plugins import IntegrationRequest, PluginOptionCount, ProjectPluginOption
from webapp.models.policy import ProviderPolicy
from webapp.models.saved_views import SavedView

__all__ = [
    "ApiToken", "AuditLogEntry", "AuthSource", "DocIntegration", "DocIntegrationLogo", "Integration",
    "IntegrationFeature", "IntegrationFeatureTarget", "IntegrationRequest", "LoginAttempt",
    "ObjectStatus", "Organization", "OrganizationIntegration", "OrganizationMember",
    "PluginOptionCount", "Project", "ProjectPluginOption", "ProviderPolicy", "Role", "SavedView",
    "SentryApp", "User", "VISIBLE_STATUSES", "utcnow",
]
