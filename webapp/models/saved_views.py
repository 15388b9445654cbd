"""Saved views: a user's named filter sets for a list page (SPEC §7.6)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import Base
from webapp.models.base import UTCDateTime, utcnow


class SavedView(Base):
    """One named query string of one list (`list_key`), owned by one user.

    `organization_id` is NULL for lists that are not per org (doc integrations).
    """

    __tablename__ = "saved_view"
    __table_args__ = (
        UniqueConstraint("user_id", "organization_id", "list_key", "name"),
        Index("ix_saved_view_user_list", "user_id", "list_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    list_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    query_string: Mapped[str] = mapped_column(Text, default="")
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<SavedView {self.list_key} {self.name!r}>"
