"""Per-project options of legacy plugins, and install requests."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Base
from webapp.models.base import JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.accounts import User
    from webapp.models.organizations import Organization, Project

# The option's JSON value is not null, false or "" (services.plugins.predicates
# .has_value_sql, the catalog's _has_value); the same text in migration 0004.
HAS_VALUE_SQL = "coalesce(CAST(value AS TEXT), 'null') NOT IN ('null', 'false', '\"\"')"


class ProjectPluginOption(Base):
    """One option of a legacy plugin on a project.

    `project_organization_id`, `project_slug` and `project_status` are copies of the
    Project's columns, written ONLY by database triggers (migration 0004: on insert, on a
    change of `project_id`, and when the Project changes); `has_value` is a generated
    column. Never set them from Python. With them, ix_project_plugin_option_list gives
    "the configured ACTIVE projects of plugin P in org O, by slug" as one index range.
    """

    __tablename__ = "project_plugin_option"
    __table_args__ = (
        UniqueConstraint("project_id", "plugin", "key"),
        Index("ix_project_plugin_option_plugin_key", "plugin", "key"),
        Index("ix_project_plugin_option_list", "project_organization_id", "plugin", "key",
              "has_value", "project_status", "project_slug", "project_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[object] = mapped_column(JSONType, nullable=True)
    # Trigger-maintained copies of the Project's columns and the generated flag (see above).
    project_organization_id: Mapped[int] = mapped_column(server_default="0")
    project_slug: Mapped[str] = mapped_column(String(100), server_default="")
    project_status: Mapped[int] = mapped_column(server_default="-1")
    has_value: Mapped[bool | None] = mapped_column(Boolean, Computed(HAS_VALUE_SQL))

    project: Mapped["Project"] = relationship()

    # eager_defaults off: the copies are never fetched back after an INSERT (SQLite's
    # RETURNING would report the value before the AFTER INSERT trigger filled it in).
    __mapper_args__ = {"eager_defaults": False}


class PluginOptionCount(Base):
    """How many ACTIVE projects of an organization hold a value for a plugin option.

    One row per (organization, plugin, option key) with the number of project_plugin_option
    rows in that group whose `has_value` is true and whose `project_status` is ACTIVE — the
    rows the plugin configs page lists. Nothing in Python writes this table: triggers on
    project_plugin_option (migration 0012) keep it exact in the same transaction as the
    change, whatever the write path; a project's status change, move or deletion reaches it
    through the option rows' copies (migration 0004). Rows are kept at 0. The configs page
    reads each plugin's count here instead of counting its index range.
    """

    __tablename__ = "plugin_option_count"
    __table_args__ = (UniqueConstraint("organization_id", "plugin", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    plugin: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    projects: Mapped[int] = mapped_column(server_default="0")


class IntegrationRequest(Base):
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
    # Why it was dismissed (or a note on marking it done), told to the requester; "" = none.
    resolution_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    organization: Mapped["Organization"] = relationship()
    requester: Mapped["User | None"] = relationship(foreign_keys=[requester_id])
    resolved_by: Mapped["User | None"] = relationship(foreign_keys=[resolved_by_id])
