"""Per-organization installation counts, kept exact by database triggers (migration 0003).

One row per (organization, provider, org-level status) with the number of
organization_integration rows in that group. Nothing in Python writes this table: triggers
on organization_integration (insert, update of organization/integration/status, delete,
truncate) and on integration (provider change) maintain it in the same transaction as the
change, so every write path — ORM, bulk inserts, COPY, load-data, raw SQL — keeps it exact.
The installed-integrations list reads its result count and facet counts from here (at most
providers × statuses rows per org) instead of counting the org's installations.
"""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import Base


class OrganizationIntegrationCount(Base):
    __tablename__ = "organization_integration_count"
    __table_args__ = (UniqueConstraint("organization_id", "provider", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    provider: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    count: Mapped[int] = mapped_column(server_default="0")
