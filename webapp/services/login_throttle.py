"""Login throttling counted in the app's database, so every process and host shares it
(as django-axes does): nothing else to run.

Keys: the (account, client address) pair, and the client address alone. The account alone
is never a key, so an attacker elsewhere cannot lock its owner out: the owner's own
address has its own count. The refusal is the same whether or not the account exists.

How it counts: each password check first commits a `login_attempt` row, then counts the
other rows of its two keys within the window. When a key already holds its limit, the
check is refused (its row deleted again, so refusals cost no slot) with the time until
the key has a free slot again. A successful login deletes its pair's rows;
the rows left are failures. Committing before counting is what makes it correct across
processes: of attempts racing for a key's last slot each sees the others' rows, so at
most the limit of passwords are ever checked (in a close race all may be refused, never
all checked). One INSERT, two indexed reads; no lock is held during the password check.
Rows older than the window are deleted at each insert.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import LoginAttempt, utcnow
from webapp.models.login_attempts import ADDRESS_LENGTH, EMAIL_LENGTH

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class LoginLimits:
    """Failed passwords allowed within `window` per (account, address) and per address."""

    per_account_and_address: int
    per_address: int
    window: timedelta

    @classmethod
    def from_config(cls, config: Mapping) -> "LoginLimits":
        limits = cls(int(config["LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"]),
                     int(config["LOGIN_LIMIT_PER_ADDRESS"]),
                     timedelta(seconds=int(config["LOGIN_LIMIT_WINDOW_SECONDS"])))
        if min(limits.per_account_and_address, limits.per_address) < 1 or \
                limits.window <= timedelta(0):
            raise ValueError("LOGIN_LIMIT_* settings must be positive")
        return limits


class LoginThrottled(Exception):
    """Too many failed logins for this pair or address; `retry_after` in whole seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Lockout:
    """A locked key: an account from one address, or (email None) an address alone."""

    email: str | None
    address: str
    failures: int
    until: datetime


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()[:EMAIL_LENGTH]


def normalize_address(address: str | None) -> str:
    return (address or UNKNOWN_ADDRESS)[:ADDRESS_LENGTH]


def start_attempt(email: str, address: str | None, limits: LoginLimits,
                  now: datetime | None = None) -> None:
    """Before a password check: record it (committed at once, in its own transaction), or
    raise LoginThrottled and record nothing."""
    now = now or utcnow()
    email, address = normalize_email(email), normalize_address(address)
    with db.engine.begin() as conn:
        conn.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= now - limits.window))
        attempt_id = conn.execute(insert(LoginAttempt).values(
            email=email, address=address, attempted_at=now).returning(LoginAttempt.id)).scalar_one()
    with db.engine.begin() as conn:
        until = _locked_until(conn, email, address, limits, now, other_than=attempt_id)
        if until is not None:
            conn.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
    if until is not None:
        raise LoginThrottled(max(1, math.ceil((until - now).total_seconds())))


def forget_failures(email: str, address: str | None) -> None:
    """After a successful login: its (account, address) pair starts again from zero, in the
    caller's transaction. Failures from other addresses stay counted."""
    db.session.execute(delete(LoginAttempt).where(
        LoginAttempt.email == normalize_email(email),
        LoginAttempt.address == normalize_address(address)))


def list_lockouts(limits: LoginLimits, now: datetime | None = None) -> list[Lockout]:
    """Admins (CLI): every key refused right now, pairs first, each with its failure count
    and when it opens again."""
    now = now or utcnow()
    since = now - limits.window
    session = db.session()
    failures = func.count().label("failures")
    recent = LoginAttempt.attempted_at > since
    pairs = session.execute(
        select(LoginAttempt.email, LoginAttempt.address, failures).where(recent)
        .group_by(LoginAttempt.email, LoginAttempt.address)
        .having(failures >= limits.per_account_and_address)
        .order_by(LoginAttempt.email, LoginAttempt.address)).all()
    addresses = session.execute(
        select(LoginAttempt.address, failures).where(recent).group_by(LoginAttempt.address)
        .having(failures >= limits.per_address).order_by(LoginAttempt.address)).all()
    keys: list[tuple[str | None, str, int, ColumnElement[bool], int]]
    keys = [(email, address, count, _pair(email, address), limits.per_account_and_address)
            for email, address, count in pairs]
    keys += [(None, address, count, LoginAttempt.address == address, limits.per_address)
             for address, count in addresses]
    return [Lockout(email, address, count, newest + limits.window)
            for email, address, count, condition, limit in keys
            if (newest := _nth_newest(session, condition, limit, since)) is not None]


def clear_lockouts(*, email: str | None = None, address: str | None = None) -> int:
    """Admins (CLI): forget the failures of an account, of an address, of both together, or
    (neither given) all of them; the number of attempts forgotten. The caller commits."""
    statement = delete(LoginAttempt)
    if email is not None:
        statement = statement.where(LoginAttempt.email == normalize_email(email))
    if address is not None:
        statement = statement.where(LoginAttempt.address == normalize_address(address))
    result = cast(CursorResult, db.session.execute(statement))
    return result.rowcount


def _pair(email: str, address: str) -> ColumnElement[bool]:
    return (LoginAttempt.email == email) & (LoginAttempt.address == address)


def _locked_until(conn: Connection, email: str, address: str, limits: LoginLimits,
                  now: datetime, other_than: int) -> datetime | None:
    """When the pair and the address both have a free slot again (None: now)."""
    since = now - limits.window
    ends = [newest + limits.window
            for condition, limit in ((_pair(email, address), limits.per_account_and_address),
                                     (LoginAttempt.address == address, limits.per_address))
            if (newest := _nth_newest(conn, condition & (LoginAttempt.id != other_than),
                                      limit, since)) is not None]
    return max(ends, default=None)


def _nth_newest(conn: Connection | Session, condition: ColumnElement[bool], n: int,
                since: datetime) -> datetime | None:
    """The time of the n-th newest attempt after `since` matching `condition` (None: fewer
    than n): the key is full until that attempt leaves the window."""
    return conn.scalar(
        select(LoginAttempt.attempted_at)
        .where(condition, LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at.desc()).offset(n - 1).limit(1))
