"""The data file's shape (docs/data-format.md): its sections, tables and field definitions.

Each `*_FIELDS` maps a field name to (check, when required): the check turns a JSON value
into the stored value or raises `BadValue`; KEY fields identify a record, CREATE fields are
needed only to create one, OPTIONAL fields may always be left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from webapp.catalog.features import FEATURES
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.models import AuthSource, ObjectStatus, Role
from webapp.services.accounts import EMAIL_RE

ROOT_KEYS = ("users", "sentry_apps", "integrations", "doc_integrations", "organizations")
# One summary line per table, in this order.
TABLES = (
    "user", "sentry_app", "integration", "doc_integration", "organization",
    "organization_member", "project", "organization_integration", "project_plugin_option",
    "provider_policy",
)
STATUS_LABELS = tuple(status.label for status in ObjectStatus)
SENTRY_APP_STATUSES = ("unpublished", "published", "internal")
ROLES = tuple(role.value for role in Role)
# How a user signs in (migration 0010); where a membership's role comes from: null when set
# by hand, else the source whose group mapping set it (never "local").
AUTH_SOURCES = tuple(source.value for source in AuthSource)
ROLE_SOURCES = tuple(source.value for source in AuthSource if source != AuthSource.LOCAL)

ORG_SLUG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
PROJECT_SLUG_RE = re.compile(r"^[a-z0-9_-]{1,100}$")
APP_SLUG_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
PASSWORD_HASH_RE = re.compile(r"^(scrypt|pbkdf2):[^$\s]+\$[^$\s]+\$[^$\s]+$")
PASSWORD_MIN = 8


def iso_datetime(value: datetime | None) -> str | None:
    """A date-time as the file writes it: ISO 8601 in UTC, or None."""
    return value.astimezone(UTC).isoformat() if value is not None else None


class BadValue(Exception):
    """A field's value is wrong; the message is shown after the field's JSON path."""


def _text(limit: int, *, blank: bool = False) -> Callable[[object], str]:
    def check(value):
        if not isinstance(value, str):
            raise BadValue("must be a string")
        if not blank and not value.strip():
            raise BadValue("must not be empty")
        if len(value) > limit:
            raise BadValue(f"must be at most {limit} characters")
        return value

    return check


def _nullable(check: Callable) -> Callable:
    def wrapped(value):
        return None if value is None else check(value)

    return wrapped


def _any_text(value):
    if not isinstance(value, str):
        raise BadValue("must be a string")
    return value


def _boolean(value):
    if not isinstance(value, bool):
        raise BadValue("must be true or false")
    return value


def _choice(choices: Iterable[str], what: str = "must be one of") -> Callable[[object], str]:
    allowed = tuple(choices)

    def check(value):
        if not isinstance(value, str) or value not in allowed:
            raise BadValue(f"{what}: {', '.join(allowed)}")
        return value

    return check


def _status(value) -> int:
    if not isinstance(value, str) or value not in STATUS_LABELS:
        raise BadValue(f"must be one of: {', '.join(STATUS_LABELS)}")
    return int(ObjectStatus[value.upper()])


def _pattern(regex: re.Pattern, message: str) -> Callable[[object], str]:
    def check(value):
        if not isinstance(value, str) or not regex.fullmatch(value):  # `$` allows a final \n
            raise BadValue(message)
        return value

    return check


def _email(value) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value) or len(value) > 254:
        raise BadValue("must be a valid email address")
    return value


def _password(value) -> str:
    if not isinstance(value, str) or len(value) < PASSWORD_MIN:
        raise BadValue(f"must be a string of at least {PASSWORD_MIN} characters")
    return value


def _password_hash(value) -> str:
    if not isinstance(value, str) or len(value) > 255 or not PASSWORD_HASH_RE.fullmatch(value):
        raise BadValue("must be a werkzeug password hash (scrypt:… or pbkdf2:…)")
    return value


def _object(value) -> dict:
    if not isinstance(value, dict):
        raise BadValue("must be a JSON object")
    return value


def _any_json(value):
    return value


def _provider(value) -> str:
    if not isinstance(value, str) or value not in PROVIDERS:
        raise BadValue(f"unknown provider {value!r}; known: {', '.join(sorted(PROVIDERS))}")
    return value


def _plugin(value) -> str:
    if not isinstance(value, str) or value not in PLUGINS:
        raise BadValue(f"unknown plugin {value!r}; known: {', '.join(sorted(PLUGINS))}")
    return value


def _feature_list(value) -> list[int]:
    if not isinstance(value, list):
        raise BadValue("must be a list of feature ids")
    bad = [item for item in value
           if isinstance(item, bool) or not isinstance(item, int) or item not in FEATURES]
    if bad:
        raise BadValue(f"unknown feature id(s): {', '.join(json.dumps(b) for b in bad)}; "
                   f"known: {', '.join(str(i) for i in FEATURES)}")
    return sorted(set(value))


def _datetime(value) -> datetime:
    if not isinstance(value, str):
        raise BadValue("must be an ISO 8601 date-time string or null")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue("must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00+00:00") from None
    if parsed.tzinfo is None:
        raise BadValue("must include a time zone offset, e.g. +00:00")
    return parsed.astimezone(UTC)


KEY, CREATE, OPTIONAL = "key", "create", "optional"  # when a field is required

USER_FIELDS = {
    "email": (_email, KEY),
    "name": (_text(200, blank=True), OPTIONAL),
    "password": (_password, OPTIONAL),
    "password_hash": (_password_hash, OPTIONAL),
    "is_staff": (_boolean, OPTIONAL),
    "is_superuser": (_boolean, OPTIONAL),
    "is_active": (_boolean, OPTIONAL),
    "auth_source": (_choice(AUTH_SOURCES), OPTIONAL),
}
SENTRY_APP_FIELDS = {
    "slug": (_pattern(APP_SLUG_RE, "must be 1–64 characters: a-z, 0-9, '-' and '_'"), KEY),
    "name": (_text(64), CREATE),
    "author": (_text(255, blank=True), OPTIONAL),
    "overview": (_any_text, OPTIONAL),
    "status": (_choice(SENTRY_APP_STATUSES), OPTIONAL),
    "features": (_feature_list, OPTIONAL),
}
INTEGRATION_FIELDS = {
    "provider": (_provider, KEY),
    "external_id": (_text(200), KEY),
    "name": (_text(200), CREATE),
    "metadata": (_object, OPTIONAL),
    "status": (_status, OPTIONAL),
}
DOC_INTEGRATION_KEYS = ("slug", "name", "author", "description", "url", "popularity",
                        "is_draft", "resources", "features", "logo")
ORGANIZATION_FIELDS = {
    "slug": (_pattern(ORG_SLUG_RE, "must be 1–50 characters: a-z, 0-9 and '-'"), KEY),
    "name": (_text(200), CREATE),
    "members": (None, OPTIONAL),
    "projects": (None, OPTIONAL),
    "integrations": (None, OPTIONAL),
    "plugin_options": (None, OPTIONAL),
    "provider_policy": (None, OPTIONAL),
}
# An organization's provider policy: checked by services.policy.clean_policy, as the page does.
PROVIDER_POLICY_KEYS = ("mode", "reason", "providers")
MEMBER_FIELDS = {
    "email": (_email, KEY),
    "role": (_choice(ROLES), CREATE),
    "role_source": (_nullable(_choice(ROLE_SOURCES, "must be null (set by hand) or one of")),
                    OPTIONAL),
}
PROJECT_FIELDS = {
    "slug": (_pattern(PROJECT_SLUG_RE, "must be 1–100 characters: a-z, 0-9, '-' and '_'"), KEY),
    "name": (_text(200), CREATE),
    "platform": (_nullable(_text(64)), OPTIONAL),
    "status": (_status, OPTIONAL),
}
ORG_INTEGRATION_FIELDS = {
    "provider": (_provider, KEY),
    "external_id": (_text(200), KEY),
    "status": (_status, OPTIONAL),
    "config": (_object, OPTIONAL),
    "grace_period_end": (_nullable(_datetime), OPTIONAL),
}
PLUGIN_OPTION_FIELDS = {
    "project": (_pattern(PROJECT_SLUG_RE, "must be a project slug"), KEY),
    "plugin": (_plugin, KEY),
    "key": (_text(64), KEY),
    "value": (_any_json, KEY),
}
