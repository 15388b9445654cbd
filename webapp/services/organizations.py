"""Organization-level summaries."""

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    VISIBLE_STATUSES,
    IntegrationRequest,
    ObjectStatus,
    OrganizationIntegration,
    OrganizationMember,
    Project,
)
from webapp.services.actors import OrgRef


def org_overview(org: OrgRef) -> dict[str, int]:
    """Counts shown on the org overview page, in one query."""
    visible = [int(s) for s in VISIBLE_STATUSES]
    row = db.session.execute(
        select(
            select(func.count()).select_from(OrganizationIntegration)
            .where(OrganizationIntegration.organization_id == org.id,
                   OrganizationIntegration.status.in_(visible)).scalar_subquery(),
            select(func.count()).select_from(Project)
            .where(Project.organization_id == org.id,
                   Project.status == int(ObjectStatus.ACTIVE)).scalar_subquery(),
            select(func.count()).select_from(OrganizationMember)
            .where(OrganizationMember.organization_id == org.id).scalar_subquery(),
            select(func.count()).select_from(IntegrationRequest)
            .where(IntegrationRequest.organization_id == org.id,
                   IntegrationRequest.status == "open").scalar_subquery(),
        )
    ).one()
    return {"installations": row[0], "projects": row[1], "members": row[2], "open_requests": row[3]}
