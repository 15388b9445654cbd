"""Organizations, their members and projects."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Base
from webapp.models.base import ObjectStatus, UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.accounts import User


class Role(enum.StrEnum):
    MEMBER = "member"
    ADMIN = "admin"
    MANAGER = "manager"
    OWNER = "owner"


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["OrganizationMember"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class OrganizationMember(Base):
    __tablename__ = "organization_member"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        CheckConstraint("role IN ('member', 'admin', 'manager', 'owner')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    # Where the role comes from: None when set by hand (add-member), else the AuthSource
    # whose group mapping set it at the user's last login ("ldap", "proxy").
    role_source: Mapped[str | None] = mapped_column(String(16))
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="members")
    user: Mapped["User"] = relationship(back_populates="memberships")


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("organization_id", "slug"),
        # An org's active projects by slug, and their count, from the index alone (0005).
        Index("ix_project_org_status_slug", "organization_id", "status", "slug", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(default=ObjectStatus.ACTIVE, index=True)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
