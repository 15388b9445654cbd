"""Shared column types and enums: UTC timestamps, JSON, ObjectStatus."""

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class ObjectStatus(enum.IntEnum):
    ACTIVE = 0
    DISABLED = 1
    PENDING_DELETION = 2
    DELETION_IN_PROGRESS = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @staticmethod
    def label_of(value: int) -> str:
        """The label of a stored status value; "unknown" for a value this version lacks."""
        return _STATUS_LABELS.get(value, "unknown")

    @classmethod
    def from_label(cls, label: str) -> "ObjectStatus | None":
        try:
            return cls[label.strip().upper()]
        except KeyError:
            return None


_STATUS_LABELS = {int(status): status.label for status in ObjectStatus}
VISIBLE_STATUSES = (ObjectStatus.ACTIVE, ObjectStatus.DISABLED, ObjectStatus.PENDING_DELETION)
