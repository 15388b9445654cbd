"""The data file of `load-data` / `export-data` (SPEC §9.1; documented in docs/data-format.md).

`export_data()` reads the whole data set into the file's shape, sorted by natural key at every
level, and `dump_data()` writes it with a stable layout, so export → load → export gives the
same bytes. `load_data()` first validates the whole file — collecting every fault with its
JSON path, e.g. `organizations[0].projects[2].slug: required` — and raises `DataFileInvalid`
before anything is written; only then does it create or update records by natural key, in
the caller's transaction (the caller commits once). Only real changes count as "updated",
and only changed rows are touched, so a version column moves exactly when a record changed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, null, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from webapp.catalog.features import FEATURES
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    Integration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    Role,
    SentryApp,
    User,
    utcnow,
)
from webapp.services import doc_integrations as docs
from webapp.services.accounts import EMAIL_RE
from webapp.services.audit import diff_values, record_audit
from webapp.services.errors import ValidationFailed

ROOT_KEYS = ("users", "sentry_apps", "integrations", "doc_integrations", "organizations")
# One summary line per table, in this order.
TABLES = (
    "user", "sentry_app", "integration", "doc_integration", "organization",
    "organization_member", "project", "organization_integration", "project_plugin_option",
)
STATUS_LABELS = tuple(status.label for status in ObjectStatus)
SENTRY_APP_STATUSES = ("unpublished", "published", "internal")
ROLES = tuple(role.value for role in Role)

ORG_SLUG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
PROJECT_SLUG_RE = re.compile(r"^[a-z0-9_-]{1,100}$")
APP_SLUG_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
PASSWORD_HASH_RE = re.compile(r"^(scrypt|pbkdf2):[^$\s]+\$[^$\s]+\$[^$\s]+$")
PASSWORD_MIN = 8

AUDIT_SOURCE = "load-data"


class DataFileInvalid(Exception):
    """The file has faults; `errors` lists them as "<json path>: <message>"."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s) in the data file")
        self.errors = errors


@dataclass
class LoadSummary:
    """What a load created and updated, per table."""

    counts: dict[str, list[int]] = field(
        default_factory=lambda: {table: [0, 0] for table in TABLES}
    )

    def created(self, table: str) -> None:
        self.counts[table][0] += 1

    def updated(self, table: str) -> None:
        self.counts[table][1] += 1

    def lines(self) -> list[str]:
        return [f"{table}: created {c}, updated {u}" for table, (c, u) in self.counts.items()]


# --------------------------------------------------------------------------- export


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _feature_ids(target_type: int) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for target_id, feature in db.session.execute(
        select(IntegrationFeature.target_id, IntegrationFeature.feature)
        .where(IntegrationFeature.target_type == target_type)
        .order_by(IntegrationFeature.target_id, IntegrationFeature.feature)
    ):
        result.setdefault(target_id, []).append(feature)
    return result


def export_data(*, with_secrets: bool = False) -> dict:
    """The whole data set in the data-file shape, sorted by natural key at every level.

    Users carry `password_hash` only `with_secrets` (and only when they have one).
    """
    users = []
    for user in db.session.scalars(select(User)):
        row = {
            "email": user.email, "name": user.name, "is_active": user.is_active,
            "is_staff": user.is_staff, "is_superuser": user.is_superuser,
        }
        if with_secrets and user.password_hash:
            row["password_hash"] = user.password_hash
        users.append(row)
    users.sort(key=lambda r: (r["email"].lower(), r["email"]))

    app_features = _feature_ids(IntegrationFeatureTarget.SENTRY_APP)
    sentry_apps = sorted(
        (
            {"slug": app.slug, "name": app.name, "author": app.author, "overview": app.overview,
             "status": app.status, "features": app_features.get(app.id, [])}
            for app in db.session.scalars(select(SentryApp))
        ),
        key=lambda r: r["slug"],
    )

    integrations = sorted(
        (
            {"provider": provider, "external_id": external_id, "name": name,
             "metadata": metadata or {}, "status": ObjectStatus(status).label}
            for provider, external_id, name, metadata, status in db.session.execute(
                select(Integration.provider, Integration.external_id, Integration.name,
                       Integration.metadata_, Integration.status)
            )
        ),
        key=lambda r: (r["provider"], r["external_id"]),
    )

    doc_features = _feature_ids(IntegrationFeatureTarget.DOC_INTEGRATION)
    doc_integrations = []
    for doc in db.session.scalars(select(DocIntegration).options(selectinload(DocIntegration.logo))):
        logo = None
        if doc.logo is not None:
            logo = {"content_type": doc.logo.content_type,
                    "data_base64": base64.b64encode(doc.logo.data).decode("ascii")}
        doc_integrations.append({
            "slug": doc.slug, "name": doc.name, "author": doc.author,
            "description": doc.description, "url": doc.url, "popularity": doc.popularity,
            "is_draft": doc.is_draft,
            "resources": [{"title": r.get("title"), "url": r.get("url")} for r in doc.resources or []],
            "features": doc_features.get(doc.id, []), "logo": logo,
        })
    doc_integrations.sort(key=lambda r: r["slug"])

    organizations = _export_organizations()
    return {
        "users": users, "sentry_apps": sentry_apps, "integrations": integrations,
        "doc_integrations": doc_integrations, "organizations": organizations,
    }


def _export_organizations() -> list[dict]:
    orgs: dict[int, dict] = {}
    for org_id, slug, name in db.session.execute(
        select(Organization.id, Organization.slug, Organization.name)
    ):
        orgs[org_id] = {"slug": slug, "name": name, "members": [], "projects": [],
                        "integrations": [], "plugin_options": []}
    for org_id, email, role in db.session.execute(
        select(OrganizationMember.organization_id, User.email, OrganizationMember.role)
        .join(User, User.id == OrganizationMember.user_id)
    ):
        orgs[org_id]["members"].append({"email": email, "role": role})
    for org_id, slug, name, platform, status in db.session.execute(
        select(Project.organization_id, Project.slug, Project.name, Project.platform, Project.status)
    ):
        orgs[org_id]["projects"].append(
            {"slug": slug, "name": name, "platform": platform, "status": ObjectStatus(status).label}
        )
    for org_id, provider, external_id, status, config, grace in db.session.execute(
        select(OrganizationIntegration.organization_id, Integration.provider,
               Integration.external_id, OrganizationIntegration.status,
               OrganizationIntegration.config, OrganizationIntegration.grace_period_end)
        .join(Integration, Integration.id == OrganizationIntegration.integration_id)
    ):
        orgs[org_id]["integrations"].append({
            "provider": provider, "external_id": external_id,
            "status": ObjectStatus(status).label, "config": config or {},
            "grace_period_end": _iso(grace),
        })
    for org_id, project, plugin, key, value in db.session.execute(
        select(Project.organization_id, Project.slug, ProjectPluginOption.plugin,
               ProjectPluginOption.key, ProjectPluginOption.value)
        .join(Project, Project.id == ProjectPluginOption.project_id)
    ):
        orgs[org_id]["plugin_options"].append(
            {"project": project, "plugin": plugin, "key": key, "value": value}
        )
    for org in orgs.values():
        org["members"].sort(key=lambda r: (r["email"].lower(), r["email"]))
        org["projects"].sort(key=lambda r: r["slug"])
        org["integrations"].sort(key=lambda r: (r["provider"], r["external_id"]))
        org["plugin_options"].sort(key=lambda r: (r["project"], r["plugin"], r["key"]))
    return sorted(orgs.values(), key=lambda r: r["slug"])


def dump_data(data: dict) -> str:
    """The file text: indent 2, keys sorted, UTF-8 characters kept, a final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- field checks


class _Bad(Exception):
    """A field's value is wrong; the message is shown after the field's JSON path."""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def parse_data_file(text: str) -> object:
    """The parsed JSON; a syntax error becomes DataFileInvalid with its line and column."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DataFileInvalid(
            [f"(file): not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
        ) from None
    except ValueError as exc:
        raise DataFileInvalid([f"(file): not valid JSON: {exc}"]) from None
    except RecursionError:
        raise DataFileInvalid(["(file): not valid JSON: nested too deeply"]) from None


def _text(limit: int, *, blank: bool = False) -> Callable[[object], str]:
    def check(value):
        if not isinstance(value, str):
            raise _Bad("must be a string")
        if not blank and not value.strip():
            raise _Bad("must not be empty")
        if len(value) > limit:
            raise _Bad(f"must be at most {limit} characters")
        return value

    return check


def _nullable(check: Callable) -> Callable:
    def wrapped(value):
        return None if value is None else check(value)

    return wrapped


def _any_text(value):
    if not isinstance(value, str):
        raise _Bad("must be a string")
    return value


def _boolean(value):
    if not isinstance(value, bool):
        raise _Bad("must be true or false")
    return value


def _choice(choices: Iterable[str], what: str = "must be one of") -> Callable[[object], str]:
    allowed = tuple(choices)

    def check(value):
        if not isinstance(value, str) or value not in allowed:
            raise _Bad(f"{what}: {', '.join(allowed)}")
        return value

    return check


def _status(value) -> int:
    if not isinstance(value, str) or value not in STATUS_LABELS:
        raise _Bad(f"must be one of: {', '.join(STATUS_LABELS)}")
    return int(ObjectStatus.from_label(value))


def _pattern(regex: re.Pattern, message: str) -> Callable[[object], str]:
    def check(value):
        if not isinstance(value, str) or not regex.fullmatch(value):  # `$` allows a final \n
            raise _Bad(message)
        return value

    return check


def _email(value) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value) or len(value) > 254:
        raise _Bad("must be a valid email address")
    return value


def _password(value) -> str:
    if not isinstance(value, str) or len(value) < PASSWORD_MIN:
        raise _Bad(f"must be a string of at least {PASSWORD_MIN} characters")
    return value


def _password_hash(value) -> str:
    if not isinstance(value, str) or len(value) > 255 or not PASSWORD_HASH_RE.fullmatch(value):
        raise _Bad("must be a werkzeug password hash (scrypt:… or pbkdf2:…)")
    return value


def _object(value) -> dict:
    if not isinstance(value, dict):
        raise _Bad("must be a JSON object")
    return value


def _any_json(value):
    return value


def _provider(value) -> str:
    if not isinstance(value, str) or value not in PROVIDERS:
        raise _Bad(f"unknown provider {value!r}; known: {', '.join(sorted(PROVIDERS))}")
    return value


def _plugin(value) -> str:
    if not isinstance(value, str) or value not in PLUGINS:
        raise _Bad(f"unknown plugin {value!r}; known: {', '.join(sorted(PLUGINS))}")
    return value


def _feature_list(value) -> list[int]:
    if not isinstance(value, list):
        raise _Bad("must be a list of feature ids")
    bad = [item for item in value
           if isinstance(item, bool) or not isinstance(item, int) or item not in FEATURES]
    if bad:
        raise _Bad(f"unknown feature id(s): {', '.join(json.dumps(b) for b in bad)}; "
                   f"known: {', '.join(str(i) for i in FEATURES)}")
    return sorted(set(value))


def _datetime(value) -> datetime:
    if not isinstance(value, str):
        raise _Bad("must be an ISO 8601 date-time string or null")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad("must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00+00:00") from None
    if parsed.tzinfo is None:
        raise _Bad("must include a time zone offset, e.g. +00:00")
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
}
MEMBER_FIELDS = {
    "email": (_email, KEY),
    "role": (_choice(ROLES), CREATE),
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


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _same(a, b) -> bool:
    """Equal as stored data: strict about types (true is not 1), blind to key order."""
    if isinstance(a, datetime) or isinstance(b, datetime):
        return a == b
    return _canonical(a) == _canonical(b)


def _assign(obj, attr: str, value) -> bool:
    """Set obj.attr only when the value really differs; True when it did."""
    if _same(getattr(obj, attr), value):
        return False
    setattr(obj, attr, value)
    # The ORM compares JSON values with ==, for which 1 == True: force the UPDATE.
    flag_modified(obj, attr)
    return True


# --------------------------------------------------------------------------- the plan


@dataclass
class _Entry:
    """One validated record: cleaned values, the existing row (None = create), its path."""

    path: str
    values: dict
    existing: object | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class _OrgPlan:
    entry: _Entry
    members: list[_Entry] = field(default_factory=list)
    projects: list[_Entry] = field(default_factory=list)
    integrations: list[_Entry] = field(default_factory=list)
    plugin_options: list[_Entry] = field(default_factory=list)
    existing_projects: dict[str, Project] = field(default_factory=dict)


@dataclass
class _Plan:
    users: list[_Entry] = field(default_factory=list)
    sentry_apps: list[_Entry] = field(default_factory=list)
    integrations: list[_Entry] = field(default_factory=list)
    doc_integrations: list[_Entry] = field(default_factory=list)
    organizations: list[_OrgPlan] = field(default_factory=list)
    users_by_email: dict[str, User] = field(default_factory=dict)
    integrations_by_key: dict[tuple[str, str], Integration] = field(default_factory=dict)


class _Validator:
    """Checks a parsed file completely (no writes) and builds the plan of changes."""

    def __init__(self, data: object):
        self.data = data
        self.errors: list[str] = []
        self.plan = _Plan()
        self.file_users: set[str] = set()
        self.file_integrations: set[tuple[str, str]] = set()

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    # -- generic helpers

    def _list(self, container: dict, key: str, path: str) -> list:
        value = container.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        return value

    def _record(self, item, path: str, spec: dict) -> dict | None:
        """Check one object's fields; the cleaned present fields, or None if its key is bad.

        "required" for missing key fields is reported here; create-only requirements are
        reported by `_require_for_create` once we know whether the record exists.
        """
        if not isinstance(item, dict):
            self.error(path, "must be an object")
            return None
        for key in item:
            if key not in spec:
                self.error(f"{path}.{key}", f"unknown field (allowed: {', '.join(spec)})")
        cleaned: dict = {}
        key_ok = True
        for name, (check, required) in spec.items():
            if name not in item:
                if required == KEY:
                    self.error(f"{path}.{name}", "required")
                    key_ok = False
                continue
            if check is None:
                continue
            try:
                cleaned[name] = check(item[name])
            except _Bad as exc:
                self.error(f"{path}.{name}", str(exc))
                if required == KEY:
                    key_ok = False
        return cleaned if key_ok else None

    def _require_for_create(self, item: dict, path: str, spec: dict) -> None:
        for name, (_check, required) in spec.items():
            if required == CREATE and name not in item:
                self.error(f"{path}.{name}", "required")

    def _records_unique_by_slug(self, items: list, section: str, fields) -> list[tuple]:
        """(path, raw item, cleaned) of the section's valid records; bad or repeated slugs
        are reported at their JSON path and left out."""
        seen: dict = {}
        valid = []
        for index, item in enumerate(items):
            path = f"{section}[{index}]"
            cleaned = self._record(item, path, fields)
            if cleaned is None or self._duplicate(seen, cleaned["slug"], f"{path}.slug", "slug"):
                continue
            valid.append((path, item, cleaned))
        return valid

    def _duplicate(self, seen: dict, key, path: str, what: str) -> bool:
        if key in seen:
            self.error(path, f"duplicate {what} (also at {seen[key]})")
            return True
        seen[key] = path
        return False

    def _find_nul(self, value, path: str) -> None:
        """PostgreSQL cannot store NUL characters in text or JSON; refuse them everywhere."""
        if isinstance(value, str):
            if "\x00" in value:
                self.error(path, "must not contain NUL (\\u0000) characters")
        elif isinstance(value, dict):
            for key, item in value.items():
                sub = f"{path}.{key}" if path else key
                if "\x00" in key:
                    self.error(path or "(file)", "keys must not contain NUL (\\u0000) characters")
                self._find_nul(item, sub)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._find_nul(item, f"{path}[{index}]")

    # -- the run

    def run(self) -> _Plan:
        data = self.data
        if not isinstance(data, dict):
            raise DataFileInvalid(["(file): must be one JSON object"])
        for key in data:
            if key not in ROOT_KEYS:
                self.error(key, f"unknown section (allowed: {', '.join(ROOT_KEYS)})")
        self._find_nul(data, "")
        if self.errors:
            raise DataFileInvalid(self.errors)
        users = self._list(data, "users", "users")
        apps = self._list(data, "sentry_apps", "sentry_apps")
        integrations = self._list(data, "integrations", "integrations")
        doc_integrations = self._list(data, "doc_integrations", "doc_integrations")
        organizations = self._list(data, "organizations", "organizations")

        self._users(users, organizations)
        self._sentry_apps(apps)
        self._integrations(integrations, organizations)
        self._doc_integrations(doc_integrations)
        self._organizations(organizations)
        if self.errors:
            raise DataFileInvalid(self.errors)
        return self.plan

    # -- sections

    def _users(self, items: list, organizations: list) -> None:
        referenced: set[str] = set()
        seen: dict = {}
        cleaned_items = []
        for index, item in enumerate(items):
            path = f"users[{index}]"
            cleaned = self._record(item, path, USER_FIELDS)
            if cleaned is None:
                continue
            if "password" in item and "password_hash" in item:
                self.error(path, "give either password or password_hash, not both")
            key = cleaned["email"].lower()
            if self._duplicate(seen, key, f"{path}.email", "email"):
                continue
            referenced.add(key)
            cleaned_items.append((path, cleaned, key))
        for org in organizations:
            if isinstance(org, dict) and isinstance(org.get("members"), list):
                for member in org["members"]:
                    if isinstance(member, dict) and isinstance(member.get("email"), str):
                        referenced.add(member["email"].lower())
        existing: dict[str, User] = {}
        for chunk in _chunks(sorted(referenced)):
            for user in db.session.scalars(select(User).where(func.lower(User.email).in_(chunk))):
                existing[user.email.lower()] = user
        self.plan.users_by_email = existing
        self.file_users = {key for _, _, key in cleaned_items}
        for path, cleaned, key in cleaned_items:
            self.plan.users.append(_Entry(path, cleaned, existing.get(key), {"key": key}))

    def _sentry_apps(self, items: list) -> None:
        valid = self._records_unique_by_slug(items, "sentry_apps", SENTRY_APP_FIELDS)
        existing: dict[str, SentryApp] = {}
        slugs = [cleaned["slug"] for _, _, cleaned in valid]
        for chunk in _chunks(slugs):
            for app in db.session.scalars(select(SentryApp).where(SentryApp.slug.in_(chunk))):
                existing[app.slug] = app
        current = _features_of(IntegrationFeatureTarget.SENTRY_APP, [a.id for a in existing.values()])
        for path, item, cleaned in valid:
            app = existing.get(cleaned["slug"])
            if app is None:
                self._require_for_create(item, path, SENTRY_APP_FIELDS)
            self.plan.sentry_apps.append(
                _Entry(path, cleaned, app, {"features": current.get(app.id, []) if app else []})
            )

    def _integrations(self, items: list, organizations: list) -> None:
        seen: dict = {}
        valid = []
        wanted: set[str] = set()
        for index, item in enumerate(items):
            path = f"integrations[{index}]"
            cleaned = self._record(item, path, INTEGRATION_FIELDS)
            if cleaned is None:
                continue
            key = (cleaned["provider"], cleaned["external_id"])
            if self._duplicate(seen, key, path, "integration (provider, external_id)"):
                continue
            valid.append((path, item, cleaned, key))
            wanted.add(cleaned["external_id"])
        for org in organizations:
            if isinstance(org, dict) and isinstance(org.get("integrations"), list):
                for link in org["integrations"]:
                    if isinstance(link, dict) and isinstance(link.get("external_id"), str):
                        wanted.add(link["external_id"])
        existing: dict[tuple[str, str], Integration] = {}
        for chunk in _chunks(sorted(wanted)):
            for integration in db.session.scalars(
                select(Integration).where(Integration.external_id.in_(chunk))
            ):
                existing[(integration.provider, integration.external_id)] = integration
        self.plan.integrations_by_key = dict(existing)
        self.file_integrations = {key for *_, key in valid}
        for path, item, cleaned, key in valid:
            integration = existing.get(key)
            if integration is None:
                self._require_for_create(item, path, INTEGRATION_FIELDS)
            self.plan.integrations.append(_Entry(path, cleaned, integration, {"key": key}))

    def _doc_integrations(self, items: list) -> None:
        seen: dict = {}
        prepared = []
        for index, item in enumerate(items):
            path = f"doc_integrations[{index}]"
            if not isinstance(item, dict):
                self.error(path, "must be an object")
                continue
            for key in item:
                if key not in DOC_INTEGRATION_KEYS:
                    self.error(f"{path}.{key}",
                               f"unknown field (allowed: {', '.join(DOC_INTEGRATION_KEYS)})")
            explicit = "slug" in item
            if explicit:
                slug = item["slug"]
                if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9_-]{1,64}", slug):
                    self.error(f"{path}.slug", "must be 1–64 characters: a-z, 0-9, '-' and '_'")
                    continue
                if slug.isdigit():
                    self.error(f"{path}.slug", "must not be all digits")
                    continue
                if slug in getattr(docs, "RESERVED_SLUGS", ()):
                    self.error(f"{path}.slug", f"'{slug}' is reserved")
                    continue
            else:
                name = item.get("name")
                if not isinstance(name, str) or not name.strip():
                    self.error(f"{path}.name", "required (the slug is generated from it)")
                    continue
                slug = docs.slugify_name(name.strip())
                if not slug or len(slug) > docs.SLUG_MAX:
                    # Let the shared validator word the fault (no letters, or too long).
                    slug = None
            if slug is not None and self._duplicate(seen, slug, f"{path}.slug", "slug"):
                continue
            prepared.append((path, item, slug, explicit))
        slugs = [slug for _, _, slug, _ in prepared if slug]
        existing: dict[str, DocIntegration] = {}
        for chunk in _chunks(slugs):
            for doc in db.session.scalars(
                select(DocIntegration).options(selectinload(DocIntegration.logo))
                .where(DocIntegration.slug.in_(chunk))
            ):
                existing[doc.slug] = doc
        current = _features_of(IntegrationFeatureTarget.DOC_INTEGRATION,
                               [d.id for d in existing.values()])
        for path, item, slug, explicit in prepared:
            instance = existing.get(slug) if slug else None
            self._doc_integration(path, item, slug, explicit, instance,
                                  current.get(instance.id, []) if instance else [])

    def _doc_integration(self, path: str, item: dict, slug: str | None, explicit: bool,
                         instance: DocIntegration | None, features: list[int]) -> None:
        logo_action, has_logo = None, instance is not None and instance.logo is not None
        if "logo" in item:
            logo_action = self._logo(item["logo"], f"{path}.logo")
            # A faulty logo is reported already; do not add "a logo is required" on top.
            has_logo = logo_action != "remove"
        data = {k: v for k, v in item.items() if k not in ("slug", "logo")}
        if instance is not None:
            # Fields the file leaves out keep their stored values.
            current = docs.doc_integration_values(instance, features)
            data = {**current, **data}
        probe = instance
        if instance is None and explicit:
            # The file names the slug, so the slug the name would generate does not matter
            # (it may be taken by another record): validate as a new record with that slug.
            probe = DocIntegration(popularity=docs.POPULARITY_DEFAULT, is_draft=True)
        try:
            cleaned = docs.validate_doc_integration(data, instance=probe, has_logo=has_logo)
        except ValidationFailed as exc:
            self._doc_errors(path, exc)
            return
        if not cleaned["is_draft"] and logo_action == "remove":
            self.error(f"{path}.logo", docs.PUBLISH_NEEDS_LOGO)
            return
        if logo_action == "bad":
            return
        if instance is None:
            cleaned["slug"] = slug
        self.plan.doc_integrations.append(
            _Entry(path, cleaned, instance, {"features": features, "logo": logo_action})
        )

    def _doc_errors(self, path: str, exc: ValidationFailed) -> None:
        rows = getattr(exc, "resource_rows", {}) or {}
        for name, messages in exc.field_errors.items():
            target = {"avatar": "logo"}.get(name, name)
            if name == "resources" and rows:
                for index in sorted(rows):
                    for sub, sub_messages in rows[index].items():
                        for message in sub_messages:
                            self.error(f"{path}.resources[{index}].{sub}", message)
                continue
            for message in messages:
                self.error(f"{path}.{target}", message)

    def _logo(self, value, path: str):
        """("set", bytes, LogoImage) | "remove" | "bad" (errors reported)."""
        if value is None:
            return "remove"
        if not isinstance(value, dict):
            self.error(path, "must be an object with content_type and data_base64, or null")
            return "bad"
        ok = True
        for key in value:
            if key not in ("content_type", "data_base64"):
                self.error(f"{path}.{key}", "unknown field (allowed: content_type, data_base64)")
                ok = False
        encoded = value.get("data_base64")
        if encoded is None:
            self.error(f"{path}.data_base64", "required")
            return "bad"
        try:
            raw = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            self.error(f"{path}.data_base64", "must be base64 text")
            return "bad"
        try:
            checked = docs.validate_logo(raw)
        except ValidationFailed as exc:
            for messages in exc.field_errors.values():
                for message in messages:
                    self.error(path, message)
            return "bad"
        content_type = value.get("content_type")
        if content_type is not None and content_type != checked.content_type:
            self.error(f"{path}.content_type",
                       f"does not match the image (it is {checked.content_type})")
            ok = False
        return ("set", raw, checked) if ok else "bad"

    def _organizations(self, items: list) -> None:
        valid = self._records_unique_by_slug(items, "organizations", ORGANIZATION_FIELDS)
        existing: dict[str, Organization] = {}
        for chunk in _chunks([cleaned["slug"] for _, _, cleaned in valid]):
            for org in db.session.scalars(select(Organization).where(Organization.slug.in_(chunk))):
                existing[org.slug] = org
        for path, item, cleaned in valid:
            org = existing.get(cleaned["slug"])
            if org is None:
                self._require_for_create(item, path, ORGANIZATION_FIELDS)
            plan = _OrgPlan(_Entry(path, cleaned, org))
            self._org_children(plan, item, path, org)
            self.plan.organizations.append(plan)

    def _org_children(self, plan: _OrgPlan, item: dict, path: str, org: Organization | None) -> None:
        members = self._list(item, "members", f"{path}.members")
        projects = self._list(item, "projects", f"{path}.projects")
        links = self._list(item, "integrations", f"{path}.integrations")
        options = self._list(item, "plugin_options", f"{path}.plugin_options")

        current_members: dict[str, OrganizationMember] = {}
        current_projects: dict[str, Project] = {}
        current_links: dict[tuple[str, str], OrganizationIntegration] = {}
        current_options: dict[tuple[str, str, str], ProjectPluginOption] = {}
        if org is not None:
            for member in db.session.scalars(
                select(OrganizationMember).options(selectinload(OrganizationMember.user))
                .where(OrganizationMember.organization_id == org.id)
            ):
                current_members[member.user.email.lower()] = member
            for project in db.session.scalars(select(Project).where(Project.organization_id == org.id)):
                current_projects[project.slug] = project
            if links:
                for link in db.session.scalars(
                    select(OrganizationIntegration)
                    .options(selectinload(OrganizationIntegration.integration))
                    .where(OrganizationIntegration.organization_id == org.id)
                ):
                    key = (link.integration.provider, link.integration.external_id)
                    current_links[key] = link
            if options:
                slugs = {project.id: slug for slug, project in current_projects.items()}
                for option in db.session.scalars(
                    select(ProjectPluginOption)
                    .join(Project, Project.id == ProjectPluginOption.project_id)
                    .where(Project.organization_id == org.id)
                ):
                    current_options[(slugs[option.project_id], option.plugin, option.key)] = option
        plan.existing_projects = current_projects

        seen: dict = {}
        for index, member in enumerate(members):
            sub = f"{path}.members[{index}]"
            cleaned = self._record(member, sub, MEMBER_FIELDS)
            if cleaned is None:
                continue
            key = cleaned["email"].lower()
            if self._duplicate(seen, key, f"{sub}.email", "member email"):
                continue
            if key not in self.plan.users_by_email and key not in self.file_users:
                self.error(f"{sub}.email", "no user with this email in the file or the database")
                continue
            existing = current_members.get(key)
            if existing is None:
                self._require_for_create(member, sub, MEMBER_FIELDS)
            plan.members.append(_Entry(sub, cleaned, existing, {"key": key}))

        seen = {}
        file_projects: set[str] = set()
        for index, project in enumerate(projects):
            sub = f"{path}.projects[{index}]"
            cleaned = self._record(project, sub, PROJECT_FIELDS)
            if cleaned is None or self._duplicate(seen, cleaned["slug"], f"{sub}.slug", "project slug"):
                continue
            file_projects.add(cleaned["slug"])
            existing = current_projects.get(cleaned["slug"])
            if existing is None:
                self._require_for_create(project, sub, PROJECT_FIELDS)
            plan.projects.append(_Entry(sub, cleaned, existing))

        seen = {}
        known = set(self.plan.integrations_by_key) | self.file_integrations
        for index, link in enumerate(links):
            sub = f"{path}.integrations[{index}]"
            cleaned = self._record(link, sub, ORG_INTEGRATION_FIELDS)
            if cleaned is None:
                continue
            key = (cleaned["provider"], cleaned["external_id"])
            if self._duplicate(seen, key, sub, "installation (provider, external_id)"):
                continue
            if key not in known:
                self.error(sub, f"unknown integration {key[0]}/{key[1]}: not in the file's "
                                "integrations nor in the database")
                continue
            plan.integrations.append(_Entry(sub, cleaned, current_links.get(key), {"key": key}))

        seen = {}
        for index, option in enumerate(options):
            sub = f"{path}.plugin_options[{index}]"
            cleaned = self._record(option, sub, PLUGIN_OPTION_FIELDS)
            if cleaned is None:
                continue
            key = (cleaned["project"], cleaned["plugin"], cleaned["key"])
            if self._duplicate(seen, key, sub, "option (project, plugin, key)"):
                continue
            if key[0] not in file_projects and key[0] not in current_projects:
                self.error(f"{sub}.project",
                           f"no project {key[0]!r} in this organization (in the file or the database)")
                continue
            plan.plugin_options.append(_Entry(sub, cleaned, current_options.get(key), {"key": key}))


def _features_of(target_type: int, ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for chunk in _chunks(ids):
        for target_id, feature in db.session.execute(
            select(IntegrationFeature.target_id, IntegrationFeature.feature).where(
                IntegrationFeature.target_type == target_type,
                IntegrationFeature.target_id.in_(chunk),
            )
        ):
            result.setdefault(target_id, []).append(feature)
    return {key: sorted(value) for key, value in result.items()}


# --------------------------------------------------------------------------- writing


class _Writer:
    """Applies a validated plan in the current transaction; counts real changes."""

    def __init__(self, plan: _Plan):
        self.plan = plan
        self.summary = LoadSummary()
        self.audits: list[Callable[[], None]] = []

    def run(self) -> LoadSummary:
        self._users()
        self._sentry_apps()
        self._integrations()
        self._doc_integrations()
        for org_plan in self.plan.organizations:
            self._organization(org_plan)
        db.session.flush()
        for write_audit in self.audits:
            write_audit()
        db.session.flush()
        return self.summary

    def _users(self) -> None:
        for entry in self.plan.users:
            values, user = entry.values, entry.existing
            if user is None:
                user = User(
                    email=values["email"],
                    name=values.get("name", values["email"].split("@")[0]),
                    is_active=values.get("is_active", True),
                    is_staff=values.get("is_staff", False),
                    is_superuser=values.get("is_superuser", False),
                )
                if "password" in values:
                    user.set_password(values["password"])
                elif "password_hash" in values:
                    user.password_hash = values["password_hash"]
                db.session.add(user)
                self.summary.created("user")
            else:
                changed = False
                for name in ("name", "is_active", "is_staff", "is_superuser", "password_hash"):
                    if name in values:
                        changed |= _assign(user, name, values[name])
                if "password" in values and not user.check_password(values["password"]):
                    user.set_password(values["password"])
                    changed = True
                if changed:
                    self.summary.updated("user")
            self.plan.users_by_email[entry.extra["key"]] = user

    def _replace_features(self, target_type: int, target_id: int, current: list[int],
                          wanted: list[int]) -> bool:
        if sorted(current) == sorted(wanted):
            return False
        gone = set(current) - set(wanted)
        if gone:
            for row in db.session.scalars(
                select(IntegrationFeature).where(
                    IntegrationFeature.target_type == target_type,
                    IntegrationFeature.target_id == target_id,
                    IntegrationFeature.feature.in_(sorted(gone)),
                )
            ):
                db.session.delete(row)
        for feature_id in sorted(set(wanted) - set(current)):
            db.session.add(IntegrationFeature(target_type=target_type, target_id=target_id,
                                              feature=feature_id))
        return True

    def _sentry_apps(self) -> None:
        for entry in self.plan.sentry_apps:
            values, app = entry.values, entry.existing
            changed = False
            if app is None:
                app = SentryApp(slug=values["slug"], name=values["name"],
                                author=values.get("author", ""),
                                overview=values.get("overview", ""),
                                status=values.get("status", "unpublished"))
                db.session.add(app)
                db.session.flush()
                self.summary.created("sentry_app")
            else:
                for name in ("name", "author", "overview", "status"):
                    if name in values:
                        changed |= _assign(app, name, values[name])
            if "features" in values:
                changed |= self._replace_features(
                    IntegrationFeatureTarget.SENTRY_APP, app.id, entry.extra["features"],
                    values["features"],
                )
            if changed and entry.existing is not None:
                self.summary.updated("sentry_app")

    def _integrations(self) -> None:
        for entry in self.plan.integrations:
            values, integration = entry.values, entry.existing
            if integration is None:
                integration = Integration(
                    provider=values["provider"], external_id=values["external_id"],
                    name=values["name"], metadata_=values.get("metadata", {}),
                    status=values.get("status", int(ObjectStatus.ACTIVE)),
                )
                db.session.add(integration)
                self.summary.created("integration")
            else:
                changed = False
                for name, attr in (("name", "name"), ("metadata", "metadata_"), ("status", "status")):
                    if name in values:
                        changed |= _assign(integration, attr, values[name])
                if changed:
                    self.summary.updated("integration")
            self.plan.integrations_by_key[entry.extra["key"]] = integration

    def _doc_integrations(self) -> None:
        for entry in self.plan.doc_integrations:
            values, doc = entry.values, entry.existing
            fields = ("name", "author", "description", "url", "popularity", "is_draft", "resources")
            logo = entry.extra["logo"]
            if doc is None:
                doc = DocIntegration(slug=values["slug"], **{name: values[name] for name in fields})
                if values["popularity"] is None:
                    doc.popularity = null()  # an explicit NULL, not the column default of 1
                db.session.add(doc)
                db.session.flush()
                self._replace_features(IntegrationFeatureTarget.DOC_INTEGRATION, doc.id, [],
                                       values["features"])
                if isinstance(logo, tuple):
                    self._set_logo(doc, logo)
                self.summary.created("doc_integration")
                self._audit_doc("DOC_INTEGRATION_ADD", doc, {}, values,
                                old_logo=None if isinstance(logo, tuple) else False)
                continue
            before = docs.doc_integration_values(doc, entry.extra["features"])
            changed = False
            for name in fields:
                changed |= _assign(doc, name, values[name])
            changed |= self._replace_features(IntegrationFeatureTarget.DOC_INTEGRATION, doc.id,
                                              entry.extra["features"], values["features"])
            old_logo = doc.logo.uuid if doc.logo is not None else None
            logo_changed = False
            if logo == "remove" and doc.logo is not None:
                doc.logo = None  # delete-orphan removes the row
                logo_changed = True
            elif isinstance(logo, tuple) and (doc.logo is None or doc.logo.data != logo[1]):
                self._set_logo(doc, logo)
                logo_changed = True
            if changed or logo_changed:
                doc.date_updated = utcnow()  # an UPDATE even when only features/logo changed
                self.summary.updated("doc_integration")
                self._audit_doc("DOC_INTEGRATION_EDIT", doc, before, values,
                                old_logo=old_logo if logo_changed else False)

    def _set_logo(self, doc: DocIntegration, logo: tuple) -> None:
        _, raw, checked = logo
        if doc.logo is not None:
            db.session.delete(doc.logo)
            db.session.flush()
        doc.logo = DocIntegrationLogo(content_type=checked.content_type, data=raw,
                                      width=checked.width, height=checked.height)

    def _audit_doc(self, event: str, doc: DocIntegration, before: dict, values: dict,
                   old_logo: str | None | bool = False) -> None:
        """Audit a created/changed doc integration; `old_logo` False = the logo did not change."""
        after = {name: values[name] for name in docs.VALUE_FIELDS}
        changes = diff_values(before, after)

        def write() -> None:
            if old_logo is not False:
                new_logo = doc.logo.uuid if doc.logo is not None else None
                changes["logo"] = {"before": old_logo, "after": new_logo}
            record_audit(event=event, actor=None, target_type=docs.TARGET_TYPE, target_id=doc.id,
                         target_object=doc.name,
                         data={"changes": changes, "slug": doc.slug, "source": AUDIT_SOURCE})

        self.audits.append(write)

    def _organization(self, plan: _OrgPlan) -> None:
        values, org = plan.entry.values, plan.entry.existing
        if org is None:
            org = Organization(slug=values["slug"], name=values["name"])
            db.session.add(org)
            self.summary.created("organization")
        elif "name" in values and _assign(org, "name", values["name"]):
            self.summary.updated("organization")

        for entry in plan.members:
            user = self.plan.users_by_email[entry.extra["key"]]
            if entry.existing is None:
                db.session.add(OrganizationMember(organization=org, user=user,
                                                  role=entry.values["role"]))
                self.summary.created("organization_member")
            elif "role" in entry.values and _assign(entry.existing, "role", entry.values["role"]):
                self.summary.updated("organization_member")

        projects = dict(plan.existing_projects)
        for entry in plan.projects:
            values, project = entry.values, entry.existing
            if project is None:
                project = Project(organization=org, slug=values["slug"], name=values["name"],
                                  platform=values.get("platform"),
                                  status=values.get("status", int(ObjectStatus.ACTIVE)))
                db.session.add(project)
                self.summary.created("project")
            else:
                changed = False
                for name in ("name", "platform", "status"):
                    if name in values:
                        changed |= _assign(project, name, values[name])
                if changed:
                    self.summary.updated("project")
            projects[values["slug"]] = project

        for entry in plan.integrations:
            self._org_integration(org, entry)

        for entry in plan.plugin_options:
            values = entry.values
            if entry.existing is None:
                db.session.add(ProjectPluginOption(project=projects[values["project"]],
                                                   plugin=values["plugin"], key=values["key"],
                                                   value=values["value"]))
                self.summary.created("project_plugin_option")
            elif _assign(entry.existing, "value", values["value"]):
                self.summary.updated("project_plugin_option")

    def _org_integration(self, org: Organization, entry: _Entry) -> None:
        values, link = entry.values, entry.existing
        integration = self.plan.integrations_by_key[entry.extra["key"]]
        names = ("status", "config", "grace_period_end")
        if link is None:
            link = OrganizationIntegration(
                organization=org, integration=integration,
                status=values.get("status", int(ObjectStatus.ACTIVE)),
                config=values.get("config", {}), grace_period_end=values.get("grace_period_end"),
            )
            db.session.add(link)
            self.summary.created("organization_integration")
            before: dict = {}
        else:
            before = {name: getattr(link, name) for name in names}
            changed = False
            for name in names:
                if name in values:
                    changed |= _assign(link, name, values[name])
            if not changed:
                return
            self.summary.updated("organization_integration")
        after = {name: getattr(link, name) for name in names}
        event = "INTEGRATION_ADD" if not before else "INTEGRATION_EDIT"

        def show(state: dict) -> dict:
            shown = dict(state)
            if "status" in shown:
                shown["status"] = ObjectStatus(shown["status"]).label
            if "grace_period_end" in shown:
                shown["grace_period_end"] = _iso(shown["grace_period_end"])
            return shown

        def write() -> None:
            record_audit(event=event, actor=None, organization=org,
                         target_type="organization_integration", target_id=link.id,
                         target_object=integration.name,
                         data={"changes": diff_values(show(before), show(after)),
                               "source": AUDIT_SOURCE})

        self.audits.append(write)


# --------------------------------------------------------------------------- entry points


def validate_data(data: object) -> _Plan:
    """Check a parsed file completely without writing; raises DataFileInvalid(errors)."""
    return _Validator(data).run()


def load_data(data: object) -> LoadSummary:
    """Validate everything, then create/update by natural key in the current transaction.

    Raises DataFileInvalid before any write when the file has faults. The caller commits
    (or rolls back); nothing is deleted by a load.
    """
    plan = validate_data(data)
    return _Writer(plan).run()
