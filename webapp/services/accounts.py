"""Users and memberships: lookup, creation, login bookkeeping."""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from webapp.extensions import db
from webapp.models import AuthSource, Organization, OrganizationMember, Role, User, utcnow
from webapp.services.errors import NotFound, ValidationFailed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active local user with this email and password, or None (whatever was wrong).
    Users of the directory or the proxy never log in with a local password."""
    user = get_user_by_email(email)
    if user is None or not user.is_active or user.auth_source != AuthSource.LOCAL:
        return None
    if not user.check_password(password or ""):
        return None
    user.last_login = utcnow()
    return user


def create_user(email: str, password: str, name: str = "", *, is_staff=False, is_superuser=False) -> User:
    email = (email or "").strip()
    errors = {}
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = ["Enter a valid email address."]
    elif get_user_by_email(email) is not None:
        errors["email"] = [f"A user with email {email} already exists."]
    if len(password or "") < 8:
        errors["password"] = ["Password must be at least 8 characters."]
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, name=name or email.split("@")[0], is_staff=is_staff,
                is_superuser=is_superuser)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def add_member(org_slug: str, email: str, role: str) -> OrganizationMember:
    """Add (or change the role of) a user in an org; the role is then set by hand (a group
    mapping that names the org still sets it at the user's next directory login)."""
    if role not in {r.value for r in Role}:
        raise ValidationFailed({"role": [f"Role must be one of: {', '.join(r.value for r in Role)}."]})
    org = db.session.scalar(select(Organization).where(Organization.slug == org_slug))
    if org is None:
        raise NotFound(f"Organization {org_slug} not found")
    user = get_user_by_email(email)
    if user is None:
        raise NotFound(f"User {email} not found")
    member = db.session.scalar(
        select(OrganizationMember).where(
            OrganizationMember.organization_id == org.id, OrganizationMember.user_id == user.id
        )
    )
    if member is None:
        member = OrganizationMember(organization=org, user=user, role=role)
        db.session.add(member)
    else:
        member.role, member.role_source = role, None
    db.session.flush()
    return member


def list_memberships(user_id: int) -> list[OrganizationMember]:
    """A user's memberships with their orgs, by org name (the account page)."""
    return list(db.session.scalars(
        select(OrganizationMember).join(Organization)
        .options(contains_eager(OrganizationMember.organization))
        .where(OrganizationMember.user_id == user_id)
        .order_by(func.lower(Organization.name), Organization.id)))
