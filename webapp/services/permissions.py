"""The one answer to "may this user do X in this org" — used by every page and the API."""

import enum
from typing import NamedTuple

from sqlalchemy import bindparam, func, select

from webapp.extensions import db
from webapp.models import Organization, OrganizationMember, Role, User
from webapp.models.accounts import UserRules
from webapp.services.actors import OrgRef, UserLike
from webapp.services.errors import Forbidden, NotFound
from webapp.services.ids import parse_id


class Capability(enum.StrEnum):
    VIEW = "view"  # org integrations, directory, plugin configs, published doc integrations
    REQUEST_INSTALL = "request_install"
    MANAGE_INTEGRATIONS = "manage_integrations"  # config, enable/disable, uninstall, plugins
    RESOLVE_REQUESTS = "resolve_requests"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_POLICY = "manage_policy"  # the org's provider policy (owners and managers)


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.MEMBER: frozenset({Capability.VIEW, Capability.REQUEST_INSTALL}),
    Role.ADMIN: frozenset(
        {Capability.VIEW, Capability.REQUEST_INSTALL, Capability.MANAGE_INTEGRATIONS,
         Capability.VIEW_AUDIT_LOG}
    ),
    Role.MANAGER: frozenset(Capability),
    Role.OWNER: frozenset(Capability),
}

# Shown beside a disabled control: why the user cannot use it (SPEC §7.6 "Say why").
REASONS: dict[Capability, str] = {
    Capability.MANAGE_INTEGRATIONS: "Only owners, managers and admins can change this installation.",
    Capability.RESOLVE_REQUESTS: "Only owners and managers can resolve install requests.",
    Capability.VIEW_AUDIT_LOG: "Only owners, managers and admins can view the audit log.",
    Capability.MANAGE_POLICY: "Only owners and managers can change the integration policy.",
}

ROLE_ORDER = [Role.MEMBER, Role.ADMIN, Role.MANAGER, Role.OWNER]


# -- who is asking: summaries read once per request -----------------------------------------
#
# Every page starts by loading the logged-in user and their orgs (the org switcher, and the
# org of an org page). They are read as plain values in one Core statement, like Sentry's
# RpcUser and RpcOrganizationSummary: building, tracking and closing ORM objects for them
# cost more than the statement itself. Pages and services read a user's id, email, name and
# flags and an org's id, slug and name; code that changes a user or an org loads its model.


class OrganizationSummary(NamedTuple):
    """An org as pages and services address it (`access.organization`, the org switcher)."""

    id: int
    slug: str
    name: str


ORGANIZATION_COLUMNS = (Organization.id, Organization.slug, Organization.name)
USER_COLUMNS = (User.id, User.email, User.name, User.is_active, User.is_staff, User.is_superuser)


class UserSummary(UserRules):
    """The logged-in user of a browser session (`current_user`), read with their orgs by
    `load_user_and_organizations`: the columns of USER_COLUMNS, Flask-Login's interface and
    the User model's rules (UserRules). Not an ORM object: nothing to change or save."""

    __slots__ = ("id", "email", "name", "is_active", "is_staff", "is_superuser")
    is_authenticated = True
    is_anonymous = False

    def __init__(self, id: int, email: str, name: str, is_active: bool, is_staff: bool,
                 is_superuser: bool):
        self.id = id
        self.email = email
        self.name = name
        self.is_active = is_active
        self.is_staff = is_staff
        self.is_superuser = is_superuser

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<UserSummary {self.email}>"


class OrgAccess:
    """A user's standing in one organization: their role (None for staff acting as staff)."""

    def __init__(self, user: UserLike, organization: OrgRef, role: str | None):
        self.user = user
        self.organization = organization
        self.role = role

    def can(self, capability: Capability) -> bool:
        if self.user.is_privileged:
            return True
        return self.role is not None and capability in ROLE_CAPABILITIES.get(self.role, ())

    def require(self, capability: Capability) -> None:
        if not self.can(capability):
            raise Forbidden()

    def reason(self, capability: Capability) -> str | None:
        """Why the user may not do this, or None when they may."""
        if self.can(capability):
            return None
        return REASONS.get(capability, "You do not have permission to perform this action.")


def _org_access_query(user_id: int, slug: str, org_id: int | None):
    """The org by `slug` (or `org_id`) with the user's role in it (None when not a member)."""
    query = select(*ORGANIZATION_COLUMNS, OrganizationMember.role).outerjoin(
        OrganizationMember,
        (OrganizationMember.organization_id == Organization.id)
        & (OrganizationMember.user_id == user_id),
    )
    match = Organization.slug == slug
    if org_id is not None:  # as with `orgs` below: an org the user belongs to first, then slug
        match = match | (Organization.id == org_id)
        query = query.order_by(OrganizationMember.role.is_(None), (Organization.slug == slug).desc())
    return query.where(match).limit(1)


def get_org_access(
    user: UserLike, org_ref: str,
    orgs: list[tuple[OrganizationSummary, str | None]] | None = None,
) -> OrgAccess:
    """Resolve an org by slug (or numeric id) for this user; NotFound when not a member.

    Non-members get NotFound, never Forbidden, so no one learns which orgs exist.
    `orgs`: the user's `user_organizations(user)` when the caller has them already (the
    pages load them once per request for the org switcher): then no query runs.
    """
    org_id = parse_id(org_ref)
    if orgs is not None:
        row = next((r for r in orgs if r[0].slug == org_ref), None)
        if row is None and org_id is not None:
            row = next((r for r in orgs if r[0].id == org_id), None)
    else:
        found = db.session.execute(_org_access_query(user.id, org_ref, org_id)).first()
        row = (OrganizationSummary(*found[:3]), found[3]) if found else None
    if row is None:
        raise NotFound("Organization not found")
    organization, role = row
    if role is None and not user.is_privileged:
        raise NotFound("Organization not found")
    return OrgAccess(user, organization, role)


def join_member_orgs(query):
    """`query`, which selects from User and ends with ORGANIZATION_COLUMNS and
    OrganizationMember.role, joined to each org the user is a member of, by org name: one
    row per membership, or one row with the org's columns and role None. Read the orgs of
    its rows with `member_orgs`."""
    return (
        query.outerjoin(OrganizationMember, OrganizationMember.user_id == User.id)
        .outerjoin(Organization, Organization.id == OrganizationMember.organization_id)
        .order_by(func.lower(Organization.name), Organization.id)
    )


def member_orgs(rows) -> list[tuple[OrganizationSummary, str | None]]:
    """The (org, role) pairs of the rows of a `join_member_orgs` query, by org name: what
    `user_organizations` gives a member."""
    return [(OrganizationSummary(*row[-4:-1]), row[-1]) for row in rows if row[-4] is not None]


# Built once, with a bound parameter, as every statement that is the same on each request:
# SQLAlchemy keeps a statement object's cache key, so running this one costs ~65 µs where
# building it anew each time would add ~170 µs (bench/README.md, "How pages stay fast").
USER_AND_ORGANIZATIONS = join_member_orgs(
    select(*USER_COLUMNS, *ORGANIZATION_COLUMNS, OrganizationMember.role)
).where(User.id == bindparam("user_id"))


def load_user_and_organizations(
    user_id: int,
) -> tuple[UserSummary | None, list[tuple[OrganizationSummary, str | None]] | None]:
    """(user, user_organizations(user)) in one statement — what every page needs first.
    The org list is None for staff (they may open every org: ask user_organizations);
    (None, None) for an unknown id."""
    rows = db.session.execute(USER_AND_ORGANIZATIONS, {"user_id": user_id}).all()
    if not rows:
        return None, None
    user = UserSummary(*rows[0][:len(USER_COLUMNS)])
    return user, (None if user.is_privileged else member_orgs(rows))


def user_organizations(user: UserLike) -> list[tuple[OrganizationSummary, str | None]]:
    """The orgs a user may open, with their role, by name (staff: every org)."""
    membership = ((OrganizationMember.organization_id == Organization.id)
                  & (OrganizationMember.user_id == user.id))
    query = select(*ORGANIZATION_COLUMNS, OrganizationMember.role)
    query = (query.outerjoin(OrganizationMember, membership) if user.is_privileged
             else query.join(OrganizationMember, membership))
    # By name whatever the case (a user's orgs, or every org for staff: a short list).
    rows = db.session.execute(query.order_by(func.lower(Organization.name), Organization.id))
    return [(OrganizationSummary(*row[:3]), row[3]) for row in rows]
