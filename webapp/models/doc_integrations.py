"""Doc integrations (global), their logos, features, and Sentry apps."""

import uuid as uuid_lib
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Base
from webapp.models.base import JSONType, UTCDateTime, utcnow


class DocIntegration(Base):
    __tablename__ = "doc_integration"
    __table_args__ = (
        CheckConstraint("popularity IS NULL OR (popularity >= 0 AND popularity <= 32767)",
                        name="popularity_range"),
        Index("ix_doc_integration_draft_name", "is_draft", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    author: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(200))
    popularity: Mapped[int | None] = mapped_column(SmallInteger, default=1, index=True)
    is_draft: Mapped[bool] = mapped_column(default=True)
    resources: Mapped[list] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(default=1)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    date_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    logo: Mapped["DocIntegrationLogo | None"] = relationship(
        back_populates="doc_integration", cascade="all, delete-orphan", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}


class DocIntegrationLogo(Base):
    __tablename__ = "doc_integration_logo"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_integration_id: Mapped[int] = mapped_column(
        ForeignKey("doc_integration.id", ondelete="CASCADE"), unique=True
    )
    uuid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid_lib.uuid4().hex)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    doc_integration: Mapped[DocIntegration] = relationship(back_populates="logo")


class IntegrationFeatureTarget:
    SENTRY_APP = 0
    DOC_INTEGRATION = 1


class IntegrationFeature(Base):
    __tablename__ = "integration_feature"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "feature"),
        CheckConstraint("target_type IN (0, 1)", name="target_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[int] = mapped_column(SmallInteger)
    target_id: Mapped[int] = mapped_column()
    feature: Mapped[int] = mapped_column(SmallInteger)
    user_description: Mapped[str | None] = mapped_column(Text)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SentryApp(Base):
    __tablename__ = "sentry_app"
    __table_args__ = (
        CheckConstraint("status IN ('unpublished', 'published', 'internal')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(255), default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="unpublished")
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
