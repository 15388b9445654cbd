"""Users and memberships: lookup, creation, login bookkeeping."""

import re

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Organization, OrganizationMember, Role, User, utcnow
from webapp.services.errors import NotFound, ValidationFailed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (whatever was wrong)."""
    user = get_user_by_email(email)
    if user is None or not user.is_active or not user.check_password(password or ""):
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
    """Add (or change the role of) a user in an org."""
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
        member.role = role
    db.session.flush()
    return member
