"""Users who sign in elsewhere — the company directory (LDAP / Active Directory) or a trusted
single-sign-on proxy: the group → role mapping, and the local user kept in step at each login.

One rule for both sources. A mapping (LDAP_GROUP_ROLES, TRUSTED_PROXY_GROUP_ROLES) gives
groups grants: "staff", or "<org slug>:<role>". The organizations it names, and the staff
flag when it names "staff", are the mapping's to manage: at each login an external user has
there exactly what their groups grant (memberships added, changed and removed, each
audited; the highest role wins when several groups name one org). Anything the mapping
does not name is left as it was set by hand (`add-member`, `create-user --staff`).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import AuthSource, Organization, OrganizationMember, Role, User, utcnow
from webapp.services.accounts import EMAIL_RE, get_user_by_email
from webapp.services.audit import diff_values, record_audit
from webapp.services.permissions import ROLE_ORDER
from webapp.services.text import has_control_characters

log = logging.getLogger(__name__)

STAFF = "staff"
NAME_LENGTH = 200  # User.name
EMAIL_LENGTH = 254  # User.email
# How the account page and the audit log name where a role came from.
SOURCE_LABELS = {AuthSource.LDAP.value: "from directory",
                 AuthSource.PROXY.value: "from single sign-on"}
# How the account page names the way a user signs in.
AUTH_SOURCE_LABELS = {AuthSource.LOCAL.value: "Password of this app",
                      AuthSource.LDAP.value: "Company directory (LDAP)",
                      AuthSource.PROXY.value: "Single sign-on"}


def group_key(group: str) -> str:
    """A group as the mapping compares it: a DN without case or spaces around its separators
    ("CN=Staff, OU=Groups" = "cn=staff,ou=groups"), any other name without case."""
    text = group.strip()
    try:
        parts = parse_dn(text, strip=True)
    except LDAPInvalidDnError:
        return text.casefold()
    return "".join(f"{kind}={value}{separator}" for kind, value, separator in parts).casefold()


@dataclass(frozen=True)
class Granted:
    """What a user's groups grant: org slug → (role, the groups that gave it), and staff
    (None when the mapping does not name "staff": the flag is then left alone)."""

    roles: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    staff: bool | None = None


@dataclass(frozen=True)
class GroupRoles:
    """A checked group mapping: group key → its grants, each "staff" or (org slug, role)."""

    grants: Mapping[str, tuple[str | tuple[str, str], ...]]

    @classmethod
    def parse(cls, mapping: object, setting: str) -> "GroupRoles":
        """Check a mapping from the settings; ValueError names the setting and the fault."""
        if not isinstance(mapping, Mapping):
            raise ValueError(f"{setting} must map group names to grants, e.g. "
                             '{"cn=staff,ou=groups,dc=example,dc=com": "staff"}')
        grants: dict[str, tuple[str | tuple[str, str], ...]] = {}
        for group, values in mapping.items():
            if not isinstance(group, str) or not group.strip():
                raise ValueError(f"{setting}: a group name must be a non-empty string")
            items = [values] if isinstance(values, str) else values
            if not isinstance(items, list | tuple):
                raise ValueError(f"{setting}[{group!r}]: give a grant or a list of grants")
            grants[group_key(group)] = tuple(_parse_grant(item, f"{setting}[{group!r}]")
                                             for item in items)
        return cls(grants)

    @property
    def organizations(self) -> frozenset[str]:
        """The org slugs the mapping names (and so manages)."""
        return frozenset(g[0] for grants in self.grants.values() for g in grants
                         if isinstance(g, tuple))

    @property
    def manages_staff(self) -> bool:
        return any(g == STAFF for grants in self.grants.values() for g in grants)

    def granted(self, groups: Iterable[str]) -> Granted:
        """What these groups grant together."""
        roles: dict[str, tuple[str, tuple[str, ...]]] = {}
        staff = False if self.manages_staff else None
        for group in sorted(set(groups)):
            for grant in self.grants.get(group_key(group), ()):
                if isinstance(grant, str):  # STAFF
                    staff = True
                    continue
                slug, role = grant
                if slug in roles:
                    best, via = roles[slug]
                    role = max(best, role, key=lambda r: ROLE_ORDER.index(Role(r)))
                    roles[slug] = (role, (*via, group))
                else:
                    roles[slug] = (role, (group,))
        return Granted(roles, staff)


def _parse_grant(item: object, where: str) -> str | tuple[str, str]:
    if item == STAFF:
        return STAFF
    slug, _, role = item.partition(":") if isinstance(item, str) else ("", "", "")
    if not slug or role not in {r.value for r in Role}:
        raise ValueError(f"{where}: {item!r} is not a grant: use \"staff\" or "
                         f"\"<org slug>:<role>\" with a role among "
                         f"{', '.join(r.value for r in Role)}")
    return slug.strip(), role


@dataclass(frozen=True)
class ExternalAccount:
    """Who the directory or the proxy says signed in."""

    email: str
    name: str
    groups: tuple[str, ...]
    source: AuthSource


def staff_source(user: User, mappings: Mapping[str, GroupRoles | None]) -> str | None:
    """Where the user's staff flag comes from: the label of their sign-in source when that
    source's mapping (`mappings`: auth source → its GroupRoles, None when off) manages it,
    else None (set by hand)."""
    mapping = mappings.get(user.auth_source)
    if mapping is None or not mapping.manages_staff:
        return None
    return SOURCE_LABELS[user.auth_source]


def is_valid_email(email: str) -> bool:
    """One address, no control characters (NUL: PostgreSQL cannot store it), ≤ 254."""
    return (bool(EMAIL_RE.match(email)) and len(email) <= EMAIL_LENGTH
            and not has_control_characters(email, allowed=""))


def display_name(name: str) -> str:
    """The name a source sent, as stored: control characters as spaces (a header or an
    entry may carry NUL, which PostgreSQL refuses), runs of spaces as one, at most
    NAME_LENGTH."""
    spaced = "".join(c if " " <= c != "\x7f" else " " for c in name)
    return " ".join(spaced.split())[:NAME_LENGTH]


def sign_in_external(account: ExternalAccount, mapping: GroupRoles,
                     ip_address: str | None = None) -> User | None:
    """At each directory or proxy login: the local user (created at the first one, with no
    local password; name and source refreshed later), their roles set from their groups.
    None for a deactivated user. The caller commits."""
    if not is_valid_email(account.email):
        log.warning("%s login refused: %r is not a usable email", account.source, account.email)
        return None
    user = get_user_by_email(account.email)
    created = False
    name = display_name(account.name)
    if user is None:
        user = User(email=account.email, name=name or account.email.split("@")[0],
                    auth_source=account.source.value)
        try:  # two first logins at once (two proxy requests): the second finds the first's row
            with db.session.begin_nested():
                db.session.add(user)
            created = True
        except IntegrityError:
            user = get_user_by_email(account.email)
            if user is None:
                raise
    if created:
        record_audit(event="USER_ADD", actor=None, target_type="user", target_id=user.id,
                     target_object=user.email, ip_address=ip_address,
                     data={"source": SOURCE_LABELS[account.source]})
    elif not user.is_active:
        return None
    else:
        if name and user.name != name:
            user.name = name
        if user.auth_source != account.source.value:  # e.g. a local account, now the directory's
            record_audit(event="USER_EDIT", actor=None, target_type="user", target_id=user.id,
                         target_object=user.email, ip_address=ip_address,
                         data={"changes": {"auth_source": {"before": user.auth_source,
                                                           "after": account.source.value}}})
            user.auth_source = account.source.value
    user.last_login = utcnow()
    apply_group_roles(user, mapping.granted(account.groups), mapping, account.source, ip_address)
    return user


def apply_group_roles(user: User, granted: Granted, mapping: GroupRoles, source: AuthSource,
                      ip_address: str | None = None) -> None:
    """Make the user's memberships in the mapping's orgs (and their staff flag, when the
    mapping names it) what `granted` says, auditing each change. The caller commits."""
    slugs = mapping.organizations
    orgs = {org.slug: org for org in db.session.scalars(
        select(Organization).where(Organization.slug.in_(slugs)))} if slugs else {}
    members = {m.organization_id: m for m in db.session.scalars(
        select(OrganizationMember).where(OrganizationMember.user_id == user.id))}
    for slug in sorted(slugs):
        org = orgs.get(slug)
        if org is None:
            log.warning("The %s group mapping names organization %r, which does not exist",
                        source, slug)
            continue
        role, via = granted.roles.get(slug, (None, ()))
        _set_membership(user, org, members.get(org.id), role, source,
                        {"source": SOURCE_LABELS[source], "groups": list(via)}, ip_address)
    if granted.staff is not None and granted.staff != user.is_staff:
        record_audit(event="USER_EDIT", actor=None, target_type="user", target_id=user.id,
                     target_object=user.email, ip_address=ip_address,
                     data={"changes": {"is_staff": {"before": user.is_staff,
                                                    "after": granted.staff}},
                           "source": SOURCE_LABELS[source]})
        user.is_staff = granted.staff


def _set_membership(user: User, org: Organization, member: OrganizationMember | None,
                    role: str | None, source: AuthSource, context: dict,
                    ip_address: str | None) -> None:
    """One org: add, change or remove the membership to match `role` (None: no membership)."""
    before = {"role": member.role, "role_source": member.role_source} if member else {}
    after = {"role": role, "role_source": source.value} if role else {}
    changes = diff_values(before, after)
    if not changes:
        return
    if member is None:
        try:  # two logins at once: the second finds the membership the first one added
            with db.session.begin_nested():
                db.session.add(OrganizationMember(organization_id=org.id, user_id=user.id,
                                                  role=role, role_source=source.value))
        except IntegrityError:
            member = db.session.scalar(select(OrganizationMember).where(
                OrganizationMember.organization_id == org.id,
                OrganizationMember.user_id == user.id))
            if member is None:
                raise
            _set_membership(user, org, member, role, source, context, ip_address)
            return
        event = "MEMBER_ADD"
    elif role is None:
        db.session.delete(member)
        event = "MEMBER_REMOVE"
    else:
        member.role, member.role_source = role, source.value
        event = "MEMBER_EDIT"
    record_audit(event=event, actor=None, organization=org, target_type="member",
                 target_id=user.id, target_object=user.email, ip_address=ip_address,
                 data={"changes": changes, **context})
