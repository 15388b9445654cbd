"""Shared data for the installed-integrations tests: a known org, and an oracle in Python."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests import factories
from webapp.blueprints.integrations.forms import IntegrationFilterForm
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import AuditLogEntry, Integration, ObjectStatus, OrganizationIntegration
from webapp.services.errors import ValidationFailed
from webapp.services.integrations import IntegrationFilters

S = ObjectStatus

# (name, provider, external_id, org-level status); added one day apart in this order.
ROWS = [
    ("Alpha Slack", "slack", "T-ALPHA", S.ACTIVE),
    ("Beta GitHub", "github", "gh-beta", S.ACTIVE),
    ("Gamma Jira", "jira", "jira-gamma", S.DISABLED),
    ("Delta PagerDuty", "pagerduty", "pd-delta", S.PENDING_DELETION),
    ("Epsilon Vercel", "vercel", "team_epsilon", S.ACTIVE),
    ("Zeta GitLab", "gitlab", "gl-zeta", S.DISABLED),
    ("Eta Example", "example", "ex-eta", S.ACTIVE),
    ("Theta Slack", "slack", "T-THETA", S.DELETION_IN_PROGRESS),  # never shown
    ("Iota Teams", "msteams", "ms-iota", S.ACTIVE),
]
VISIBLE = [r for r in ROWS if r[3] != S.DELETION_IN_PROGRESS]


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def seed(org, other_org=None):
    """The ROWS in `org` (plus a Slack and a GitHub install in `other_org`); committed."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    made = {}
    for i, (name, provider, external_id, status) in enumerate(ROWS):
        integration = factories.make_integration(
            provider=provider, external_id=external_id, name=name,
            metadata={"domain_name": f"{external_id}.example.com", "account_type": "Organization"},
        )
        made[name] = factories.install(org, integration, status=status,
                                       date_added=start + timedelta(days=i),
                                       config={"seeded": i})
    if other_org is not None:
        for provider, name in (("slack", "Other Org Slack"), ("github", "Other Org GitHub")):
            integration = factories.make_integration(provider=provider, name=name)
            factories.install(other_org, integration)
    db.session.commit()
    return made


def bulk_install(org, count, providers=("slack", "github", "jira", "example", "pagerduty"),
                 statuses=(S.ACTIVE, S.DISABLED, S.PENDING_DELETION), prefix="Bulk"):
    """`count` installations in `org` (or an org id) with rotating providers and statuses."""
    org_id = org if isinstance(org, int) else org.id
    integrations = [
        Integration(provider=providers[i % len(providers)], external_id=f"{prefix}-{i:05d}",
                    name=f"{prefix} {i:05d}", metadata_={})
        for i in range(count)
    ]
    db.session.add_all(integrations)
    db.session.flush()
    db.session.add_all([
        OrganizationIntegration(organization_id=org_id, integration_id=integration.id,
                                status=int(statuses[i % len(statuses)]), config={"n": i})
        for i, integration in enumerate(integrations)
    ])
    db.session.commit()


def oracle(rows=VISIBLE, q="", providers=(), features=(), integration_type=None, statuses=()):
    """Names of `rows` matching the filters, computed without SQL (the test's own reading)."""
    out = []
    for name, provider, external_id, status in rows:
        catalog = PROVIDERS[provider]
        if q and q.lower() not in name.lower() and q.lower() not in external_id.lower():
            continue
        if providers and provider not in providers:
            continue
        if features and not {str(f.value) for f in catalog.features} & set(features):
            continue
        if integration_type and catalog.domain != integration_type:
            continue
        if statuses and status.label not in statuses:
            continue
        out.append(name)
    return sorted(out)


def parse_filters(raw: dict) -> IntegrationFilters:
    """The filters the list's form parses from `raw` ({name: value or [values]});
    ValidationFailed with the form's errors when they are invalid."""
    pairs = [(name, value) for name, values in raw.items()
             for value in (values if isinstance(values, list) else [values])]
    form = IntegrationFilterForm.from_args(MultiDict(pairs))
    if not form.validate():
        raise ValidationFailed(dict(form.errors))
    return form.filters()


def status_of(oi) -> int:
    """The installation's status as stored now (not the session's copy)."""
    return db.session.scalar(select(OrganizationIntegration.status)
                             .where(OrganizationIntegration.id == oi.id))


def audit_entries(prefix: str = "") -> list[AuditLogEntry]:
    """Audit entries whose event starts with `prefix`, oldest first, as stored now."""
    db.session.expire_all()
    return list(db.session.scalars(select(AuditLogEntry)
                                   .where(AuditLogEntry.event.startswith(prefix))
                                   .order_by(AuditLogEntry.id)))


def audit(event: str) -> list[AuditLogEntry]:
    """The audit entries of exactly `event`."""
    return list(db.session.scalars(select(AuditLogEntry).where(AuditLogEntry.event == event)))


def reload(oi) -> OrganizationIntegration | None:
    """The installation as stored now (None once deleted)."""
    db.session.expire_all()
    return db.session.get(OrganizationIntegration, oi.id)
