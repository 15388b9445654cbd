"""Per-project options of legacy plugins, and install requests."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import JSONType, UTCDateTime, utcnow


class ProjectPluginOption(db.Model):
    __tablename__ = "project_plugin_option"
    __table_args__ = (
        UniqueConstraint("project_id", "plugin", "key"),
        Index("ix_project_plugin_option_plugin_key", "plugin", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[object] = mapped_column(JSONType, nullable=True)

    project: Mapped["Project"] = relationship()  # noqa: F821


class IntegrationRequest(db.Model):
    __tablename__ = "integration_request"
    __table_args__ = (
        CheckConstraint(
            "provider_type IN ('first_party', 'plugin', 'sentry_app')", name="provider_type"
        ),
        CheckConstraint("status IN ('open', 'done', 'dismissed')", name="status"),
        Index("ix_integration_request_org_status_date", "organization_id", "status", "date_added"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    provider_type: Mapped[str] = mapped_column(String(16))
    provider_slug: Mapped[str] = mapped_column(String(64))
    provider_name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    date_resolved: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped["Organization"] = relationship()  # noqa: F821
    requester: Mapped["User | None"] = relationship(foreign_keys=[requester_id])  # noqa: F821
    resolved_by: Mapped["User | None"] = relationship(foreign_keys=[resolved_by_id])  # noqa: F821
