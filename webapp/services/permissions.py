"""The one answer to "may this user do X in this org" — used by every page and the API."""

import enum
import functools

from sqlalchemy import bindparam, select

from webapp.extensions import db
from webapp.models import Organization, OrganizationMember, Role, User
from webapp.services.errors import Forbidden, NotFound
from webapp.services.ids import parse_id


class Capability(enum.StrEnum):
    VIEW = "view"  # org integrations, directory, plugin configs, published doc integrations
    REQUEST_INSTALL = "request_install"
    MANAGE_INTEGRATIONS = "manage_integrations"  # config, enable/disable, uninstall, plugins
    RESOLVE_REQUESTS = "resolve_requests"
    VIEW_AUDIT_LOG = "view_audit_log"


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
}

ROLE_ORDER = [Role.MEMBER, Role.ADMIN, Role.MANAGER, Role.OWNER]


class OrgAccess:
    """A user's standing in one organization: their role (None for staff acting as staff)."""

    def __init__(self, user: User, organization: Organization, role: str | None):
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


@functools.cache
def _org_access_statement(by_id_too: bool):
    """get_org_access's statement, built once: the org by `slug` (or `org_id`) with the
    role of `user_id` in it (None when not a member)."""
    query = select(Organization, OrganizationMember.role).outerjoin(
        OrganizationMember,
        (OrganizationMember.organization_id == Organization.id)
        & (OrganizationMember.user_id == bindparam("user_id")),
    )
    match = Organization.slug == bindparam("slug")
    if by_id_too:  # as with `orgs` below: an org the user belongs to first, then slug over id
        match = match | (Organization.id == bindparam("org_id"))
        query = query.order_by(OrganizationMember.role.is_(None),
                               (Organization.slug == bindparam("slug")).desc())
    return query.where(match).limit(1)


def get_org_access(
    user: User, org_ref: str, orgs: list[tuple[Organization, str | None]] | None = None
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
        params = {"user_id": user.id, "slug": org_ref}
        if org_id is not None:
            params["org_id"] = org_id
        row = db.session.execute(_org_access_statement(org_id is not None), params).first()
    if row is None:
        raise NotFound("Organization not found")
    organization, role = row
    if role is None and not user.is_privileged:
        raise NotFound("Organization not found")
    return OrgAccess(user, organization, role)


@functools.cache
def _user_organizations_statement(privileged: bool):
    """user_organizations' statement, built once (the user id is bound per call)."""
    membership = ((OrganizationMember.organization_id == Organization.id)
                  & (OrganizationMember.user_id == bindparam("user_id")))
    query = select(Organization, OrganizationMember.role)
    query = query.outerjoin(OrganizationMember, membership) if privileged else query.join(
        OrganizationMember, membership)
    return query.order_by(Organization.name, Organization.id)


def join_member_orgs(query):
    """`query`, which selects (…, User, Organization, OrganizationMember.role), joined to
    each org the user is a member of, by org name: one row per membership, or one row with
    Organization and role None. Read its rows with `split_member_orgs`."""
    return (
        query.outerjoin(OrganizationMember, OrganizationMember.user_id == User.id)
        .outerjoin(Organization, Organization.id == OrganizationMember.organization_id)
        .order_by(Organization.name, Organization.id)
    )


def split_member_orgs(rows) -> tuple[User | None, list[tuple[Organization, str | None]] | None]:
    """(user, user_organizations(user)) from the rows of a `join_member_orgs` query (User,
    Organization and role are their last three columns); the org list is None for staff
    (they may open every org: ask user_organizations); (None, None) without rows."""
    if not rows:
        return None, None
    user = rows[0][-3]
    if user.is_privileged:
        return user, None
    return user, [(row[-2], row[-1]) for row in rows if row[-2] is not None]


@functools.cache
def _user_and_memberships_statement():
    """One user with each org they are a member of and their role."""
    return join_member_orgs(select(User, Organization, OrganizationMember.role)).where(
        User.id == bindparam("user_id"))


def load_user_and_organizations(
    user_id: int,
) -> tuple[User | None, list[tuple[Organization, str | None]] | None]:
    """(user, user_organizations(user)) in one statement — what every page needs first.
    The org list is None for staff (they may open every org: ask user_organizations)."""
    return split_member_orgs(
        db.session.execute(_user_and_memberships_statement(), {"user_id": user_id}).all())


def user_organizations(user: User) -> list[tuple[Organization, str | None]]:
    """The orgs a user may open, with their role, by name (staff: every org)."""
    rows = db.session.execute(_user_organizations_statement(bool(user.is_privileged)),
                              {"user_id": user.id})
    return [(org, role) for org, role in rows]
