"""First-party integrations and their installations in organizations."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Base
from webapp.models.base import JSONType, ObjectStatus, UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.organizations import Organization


class Integration(Base):
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


# Names sort without case (SQLite's built-in NOCASE; on PostgreSQL an ICU collation of that
# name, created by migration 0009).
NAME_COLLATION = "nocase"


class OrganizationIntegration(Base):
    """An Integration installed in an Organization.

    `integration_name`, `integration_provider` and `integration_external_id` are copies of
    the Integration's columns, written ONLY by database triggers (migration 0003: on insert,
    on a change of `integration_id`, and when the Integration changes), so the list can
    filter and sort one org's rows with an index and no join. Never set them from Python
    (the triggers overwrite them); read the Integration for display.

    The covering indexes each serve a list order: (org, name, id) for the default order,
    (org, provider, name, id) and (org, status, name, id) for one provider / one status in
    name order (and the provider and status sorts), (org, date_added, id) for the date sort;
    the trailing columns let filters be checked in the index without reading the row. Names
    order without case: in the database the name column of those three indexes has the
    collation NAME_COLLATION (migration 0009), the one the list's ORDER BY names
    (`name_order`). Neither SQLAlchemy's reflection nor Alembic's comparison sees an index
    column's collation, so the indexes are declared here by their columns alone;
    tests/perf/test_name_order.py checks the collation in the database.
    """

    __tablename__ = "organization_integration"
    __table_args__ = (
        UniqueConstraint("organization_id", "integration_id"),
        Index("ix_org_integration_org_name", "organization_id", "integration_name", "id",
              "integration_provider", "status", "integration_external_id"),
        Index("ix_org_integration_org_provider_name", "organization_id", "integration_provider",
              "integration_name", "id", "status", "integration_external_id"),
        Index("ix_org_integration_org_status_name", "organization_id", "status",
              "integration_name", "id", "integration_provider"),
        Index("ix_org_integration_org_date_added_id", "organization_id", "date_added", "id",
              "integration_provider", "status"),
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
    # Trigger-maintained copies of the Integration's columns (see the class docstring).
    integration_name: Mapped[str] = mapped_column(String(200), server_default="")
    integration_provider: Mapped[str] = mapped_column(String(64), server_default="")
    integration_external_id: Mapped[str] = mapped_column(String(200), server_default="")

    organization: Mapped["Organization"] = relationship()
    integration: Mapped[Integration] = relationship()

    # eager_defaults off: the copies are never fetched back after an INSERT (SQLite's
    # RETURNING would report the value before the AFTER INSERT trigger filled it in); they
    # are expired and read from the database if anything asks for them.
    __mapper_args__ = {"version_id_col": version, "eager_defaults": False}

    @classmethod
    def name_order(cls):
        """The name as the list orders it: without case (NAME_COLLATION, as its indexes)."""
        return cls.integration_name.collate(NAME_COLLATION)


from webapp.models.integration_counts import OrganizationIntegrationCount  # noqa: E402

__all__ = ["Integration", "OrganizationIntegration", "OrganizationIntegrationCount"]
