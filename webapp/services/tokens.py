"""API tokens: created with a plaintext shown once, stored as a SHA-256 hash, revocable."""

import functools
import hashlib
import secrets
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import bindparam, select

from webapp.extensions import db
from webapp.models import ApiToken, OrganizationMember, User, utcnow
from webapp.services.actors import UserLike
from webapp.services.errors import NotFound, ValidationFailed
from webapp.services.permissions import (
    ORGANIZATION_COLUMNS,
    OrganizationSummary,
    join_member_orgs,
    member_orgs,
)

TOKEN_PREFIX = "iat_"


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def validate_token_fields(name: str, expires_on) -> dict:
    """Check a token's name and optional expiry date (a date in the future)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Name is required."]
    elif len(name) > 100:
        errors["name"] = ["Name must be at most 100 characters."]
    expires_at = None
    if expires_on is not None:
        expires_at = datetime.combine(expires_on, time.max, tzinfo=UTC)
        if expires_at <= utcnow():
            errors["expires_on"] = ["Expiry must be a date in the future."]
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "expires_at": expires_at}


def create_token(user: UserLike, name: str, expires_on=None) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the plaintext (never stored)."""
    fields = validate_token_fields(name, expires_on)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=fields["name"],
        token_hash=hash_token(plaintext),
        last_four=plaintext[-4:],
        expires_at=fields["expires_at"],
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def list_tokens(user: UserLike) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.date_added.desc(), ApiToken.id.desc())
        )
    )


def get_own_token(user: UserLike, token_id: int) -> ApiToken:
    """One of the user's own tokens; NotFound for another user's or a missing one."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("Token not found")
    return token


def revoke_token(user: UserLike, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (idempotent)."""
    token = get_own_token(user, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


# last_used is written at most this often per token: a script calling the API in a loop
# must not turn every read into a database write (GitHub and Sentry keep it coarse too).
LAST_USED_RESOLUTION = timedelta(minutes=1)


@functools.cache
def _token_statement():
    """The token by hash with its user and each org the user is a member of, with their
    role (one row per membership; Organization and role are None without one): built once,
    the hash is bound per request."""
    return join_member_orgs(
        select(ApiToken, User, *ORGANIZATION_COLUMNS, OrganizationMember.role)
        .join(User, User.id == ApiToken.user_id)
    ).where(ApiToken.token_hash == bindparam("token_hash"))


def authenticate_token_with_orgs(
    plaintext: str,
) -> tuple[User | None, list[tuple[OrganizationSummary, str | None]] | None]:
    """(user, their orgs with roles) for an unexpired, unrevoked token of an active user, in
    one statement; (None, None) otherwise. The org list is what `user_organizations` gives a
    member (org routes resolve their org from it, no second query); None for staff, who may
    open every org. Marks the token used (last_used moves when it is unset or older than
    LAST_USED_RESOLUTION; the caller commits)."""
    rows = db.session.execute(_token_statement(), {"token_hash": hash_token(plaintext)}).all()
    if not rows:
        return None, None
    token, user = rows[0][0], rows[0][1]
    now = utcnow()
    if token.revoked_at is not None:
        return None, None
    if token.expires_at is not None and token.expires_at <= now:
        return None, None
    if not user.is_active:
        return None, None
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        token.last_used = now
    return user, (None if user.is_privileged else member_orgs(rows))


def authenticate_token(plaintext: str) -> User | None:
    """The user of an unexpired, unrevoked token (see authenticate_token_with_orgs)."""
    return authenticate_token_with_orgs(plaintext)[0]


def token_state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"
