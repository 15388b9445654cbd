"""Users and their API tokens."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import Base
from webapp.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from webapp.models.organizations import OrganizationMember


class UserColumns(Protocol):
    """The columns UserRules reads."""

    @property
    def email(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def is_staff(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...


class UserRules:
    """What pages ask of a user, once for the User model and for the logged-in user's
    summary (`services.permissions.UserSummary`)."""

    __slots__ = ()

    @property
    def display_name(self: UserColumns) -> str:
        return self.name or self.email

    @property
    def is_privileged(self: UserColumns) -> bool:
        """Staff and superusers act in every org and manage doc integrations."""
        return self.is_staff or self.is_superuser


class AuthSource(enum.StrEnum):
    """How a user signs in: a local password, the company directory (LDAP / Active
    Directory), or a trusted single-sign-on proxy (services/external_accounts.py)."""

    LOCAL = "local"
    LDAP = "ldap"
    PROXY = "proxy"


class User(UserRules, UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    date_joined: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Users of the directory or the proxy have no local password: the local login form
    # never accepts one for them, even one set later (a leaver's old password).
    auth_source: Mapped[str] = mapped_column(String(16), default=AuthSource.LOCAL.value,
                                             server_default=AuthSource.LOCAL.value)

    memberships: Mapped[list["OrganizationMember"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


# Email is unique whatever its case.
Index("uq_user_email_lower", func.lower(User.email), unique=True)


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_four: Mapped[str] = mapped_column(String(4))
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
