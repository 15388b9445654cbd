"""Login attempts still counted by the login throttle (services/login_throttle.py)."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import Base
from webapp.models.base import UTCDateTime, utcnow

EMAIL_LENGTH = 254
ADDRESS_LENGTH = 64


class LoginAttempt(Base):
    """One password check that did not succeed (or is under way), from one client address.

    `email` is the one typed, lower-cased, whether or not such an account exists.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_address", "email", "address", "attempted_at"),
        Index("ix_login_attempt_address", "address", "attempted_at"),
        Index("ix_login_attempt_attempted_at", "attempted_at"),
    )

    # 64-bit on PostgreSQL: every attempt takes an id, refused ones included.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.email} from {self.address}>"
