"""An organization's provider policy: which providers its members may request and its
admins may keep enabled (issue 23; services/policy.py holds the rules)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import Base
from webapp.models.base import JSONType, UTCDateTime, utcnow


class ProviderPolicy(Base):
    """At most one row per organization; no row means "allow all".

    `mode` is `allow_all`, `allow_only` (only the listed providers) or `block` (all but the
    listed ones). `providers` lists them as "<type>:<slug>" strings, sorted, over first-party
    providers (`first_party`), plugins (`plugin`) and sentry apps (`sentry_app`); the list is
    kept whatever the mode, so switching to "allow all" and back loses nothing. `reason` is
    shown to members beside what the policy refuses.
    """

    __tablename__ = "provider_policy"
    __table_args__ = (
        CheckConstraint("mode IN ('allow_all', 'allow_only', 'block')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True
    )
    mode: Mapped[str] = mapped_column(String(16), default="allow_all")
    reason: Mapped[str] = mapped_column(Text, default="")
    providers: Mapped[list] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(default=1)
    date_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}
