"""The installed integrations as CSV (SPEC §7.6): every row matching the list's filters, all
pages, in the list's order — or the rows a bulk action chose by id. One writer for both."""

import json
from collections.abc import Sequence

from flask_login import current_user

from webapp.blueprints.common import client_ip, csv_response
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import ObjectStatus, Organization
from webapp.services import integrations as svc
from webapp.services.audit import record_export
from webapp.services.permissions import OrgAccess

HEADER = ["integration_id", "provider", "provider_name", "name", "external_id", "status",
          "integration_status", "date_added", "grace_period_end", "domain_name", "account_type"]


def export_csv(access: OrgAccess, filters: svc.IntegrationFilters, ids: Sequence[int] = ()):
    """Every matching row (all pages; only `ids` when given) as CSV, streamed; the export
    is audit-logged (with its filters and ids) and committed first."""
    org = access.organization
    org_slug, org_id = org.slug, org.id
    audited: dict[str, object] = filters.as_dict()
    if ids:
        audited = {"ids": list(ids)}
    record_export(actor=current_user, organization=org, list_name="integrations",
                  filters=audited, ip_address=client_ip())
    db.session.commit()
    header = HEADER + (["config"] if filters.include_config else [])

    def rows():
        # Streaming runs after the request's session is gone: reload the org in this one.
        organization = db.session.get(Organization, org_id)
        for row in svc.iter_installations(organization, filters, ids=ids):
            provider = PROVIDERS.get(row.provider)
            metadata = row.metadata or {}
            line = [
                row.integration_id, row.provider, provider.name if provider else "",
                row.name, row.external_id, ObjectStatus.label_of(row.status),
                ObjectStatus.label_of(row.integration_status), row.date_added.isoformat(),
                row.grace_period_end.isoformat() if row.grace_period_end else "",
                metadata.get("domain_name", ""), metadata.get("account_type", ""),
            ]
            if filters.include_config:
                line.append(json.dumps(row.config or {}, sort_keys=True))
            yield line

    return csv_response(f"{org_slug}-integrations.csv", header, rows())
