"""The append-only audit log."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Base
from webapp.models.base import JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.accounts import User


class AuditLogEntry(Base):
    __tablename__ = "audit_log_entry"
    __table_args__ = (
        Index("ix_audit_org_datetime", "organization_id", "datetime"),
        Index("ix_audit_org_event_datetime", "organization_id", "event", "datetime"),
        Index("ix_audit_org_actor_datetime", "organization_id", "actor_id", "datetime"),
        Index("ix_audit_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[int | None] = mapped_column()
    target_object: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    datetime: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped["User | None"] = relationship()
