"""First-party integrations and their installations in organizations."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import JSONType, ObjectStatus, UTCDateTime, utcnow


class Integration(db.Model):
    __tablename__ = "integration"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), index=True)
    metadata_: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)
    status: Mapped[int] = mapped_column(default=ObjectStatus.ACTIVE)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrganizationIntegration(db.Model):
    __tablename__ = "organization_integration"
    __table_args__ = (
        UniqueConstraint("organization_id", "integration_id"),
        Index("ix_org_integration_org_status", "organization_id", "status"),
        Index("ix_org_integration_org_date_added", "organization_id", "date_added"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    config: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[int] = mapped_column(default=ObjectStatus.ACTIVE)
    grace_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    date_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organization: Mapped["Organization"] = relationship()  # noqa: F821
    integration: Mapped[Integration] = relationship()

    __mapper_args__ = {"version_id_col": version}
