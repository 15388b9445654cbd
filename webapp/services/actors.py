"""Who acts and where, as services read them: a user (the User model, or the logged-in
user's read-only summary) and an org reference (the Organization model, or its summary).

Services that only read these attributes take a `UserLike` / `OrgRef`; code that changes a
user or an org, or follows its relationships, takes the model."""

from typing import Protocol

from webapp.models.accounts import UserColumns


class UserLike(UserColumns, Protocol):
    """`User`, or `permissions.UserSummary` (`current_user` on the pages)."""

    @property
    def id(self) -> int: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def display_name(self) -> str: ...

    @property
    def is_privileged(self) -> bool: ...


class OrgRef(Protocol):
    """`Organization`, or `permissions.OrganizationSummary` (`access.organization`)."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...

    @property
    def name(self) -> str: ...
