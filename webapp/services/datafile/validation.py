"""Parsing and validating a data file completely, before anything is written.

Every fault is collected with its JSON path, e.g. `organizations[0].projects[2].slug:
required`, and raised together as `DataFileInvalid`; a valid file becomes a `Plan` of
records to create or update by natural key (the rows to update are read here).
"""

from __future__ import annotations

import json
from operator import itemgetter

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (
    Integration,
    IntegrationFeatureTarget,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    ProviderPolicy,
    SentryApp,
    User,
)
from webapp.services.datafile.doc_checks import DocIntegrationChecks
from webapp.services.datafile.plan import Entry, OrgPlan, Plan, chunks, features_of
from webapp.services.datafile.schema import (
    INTEGRATION_FIELDS,
    MEMBER_FIELDS,
    ORG_INTEGRATION_FIELDS,
    ORGANIZATION_FIELDS,
    PLUGIN_OPTION_FIELDS,
    PROJECT_FIELDS,
    PROVIDER_POLICY_KEYS,
    ROOT_KEYS,
    SENTRY_APP_FIELDS,
    USER_FIELDS,
)
from webapp.services.errors import ValidationFailed
from webapp.services.policy import KINDS, clean_policy, provider_choices


class DataFileInvalid(Exception):
    """The file has faults; `errors` lists them as "<json path>: <message>"."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s) in the data file")
        self.errors = errors


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


class _Validator(DocIntegrationChecks):
    """Checks a parsed file completely (no writes) and builds the plan of changes."""

    def __init__(self, data: object):
        super().__init__()
        self.data = data
        self.plan = Plan()
        self.file_users: set[str] = set()
        self.file_integrations: set[tuple[str, str]] = set()

    def run(self) -> Plan:
        data = self.data
        if not isinstance(data, dict):
            raise DataFileInvalid(["(file): must be one JSON object"])
        for key in data:
            if key not in ROOT_KEYS:
                self.error(key, f"unknown section (allowed: {', '.join(ROOT_KEYS)})")
        self._find_unstorable(data, "")
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
        for chunk in chunks(sorted(referenced)):
            for user in db.session.scalars(select(User).where(func.lower(User.email).in_(chunk))):
                existing[user.email.lower()] = user
        self.plan.users_by_email = existing
        self.file_users = {key for _, _, key in cleaned_items}
        for path, cleaned, key in cleaned_items:
            self.plan.users.append(Entry(path, cleaned, existing.get(key), {"key": key}))

    def _sentry_apps(self, items: list) -> None:
        valid = list(self._unique_records(items, "sentry_apps", SENTRY_APP_FIELDS,
                                          key=itemgetter("slug"), what="slug", key_field="slug"))
        existing: dict[str, SentryApp] = {}
        slugs = [slug for *_, slug in valid]
        for chunk in chunks(slugs):
            for found in db.session.scalars(select(SentryApp).where(SentryApp.slug.in_(chunk))):
                existing[found.slug] = found
        current = features_of(IntegrationFeatureTarget.SENTRY_APP, [a.id for a in existing.values()])
        for path, item, cleaned, slug in valid:
            app = existing.get(slug)
            if app is None:
                self._require_for_create(item, path, SENTRY_APP_FIELDS)
            self.plan.sentry_apps.append(
                Entry(path, cleaned, app, {"features": current.get(app.id, []) if app else []})
            )

    def _integrations(self, items: list, organizations: list) -> None:
        valid = list(self._unique_records(items, "integrations", INTEGRATION_FIELDS,
                                          key=itemgetter("provider", "external_id"),
                                          what="integration (provider, external_id)"))
        wanted: set[str] = {cleaned["external_id"] for _, _, cleaned, _ in valid}
        for org in organizations:
            if isinstance(org, dict) and isinstance(org.get("integrations"), list):
                for link in org["integrations"]:
                    if isinstance(link, dict) and isinstance(link.get("external_id"), str):
                        wanted.add(link["external_id"])
        existing: dict[tuple[str, str], Integration] = {}
        for chunk in chunks(sorted(wanted)):
            for found in db.session.scalars(
                select(Integration).where(Integration.external_id.in_(chunk))
            ):
                existing[(found.provider, found.external_id)] = found
        self.plan.integrations_by_key = dict(existing)
        self.file_integrations = {key for *_, key in valid}
        for path, item, cleaned, key in valid:
            integration = existing.get(key)
            if integration is None:
                self._require_for_create(item, path, INTEGRATION_FIELDS)
            self.plan.integrations.append(Entry(path, cleaned, integration, {"key": key}))

    def _organizations(self, items: list) -> None:
        valid = list(self._unique_records(items, "organizations", ORGANIZATION_FIELDS,
                                          key=itemgetter("slug"), what="slug", key_field="slug"))
        existing: dict[str, Organization] = {}
        for chunk in chunks([slug for *_, slug in valid]):
            for found in db.session.scalars(select(Organization).where(Organization.slug.in_(chunk))):
                existing[found.slug] = found
        for path, item, cleaned, slug in valid:
            org = existing.get(slug)
            if org is None:
                self._require_for_create(item, path, ORGANIZATION_FIELDS)
            plan = OrgPlan(Entry(path, cleaned, org))
            self._org_children(plan, item, path, org)
            self.plan.organizations.append(plan)

    def _org_children(self, plan: OrgPlan, item: dict, path: str, org: Organization | None) -> None:
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

        for sub, raw_member, cleaned, key in self._unique_records(
            members, f"{path}.members", MEMBER_FIELDS,
            key=lambda cleaned: cleaned["email"].lower(), what="member email", key_field="email",
        ):
            if key not in self.plan.users_by_email and key not in self.file_users:
                self.error(f"{sub}.email", "no user with this email in the file or the database")
                continue
            existing_member = current_members.get(key)
            if existing_member is None:
                self._require_for_create(raw_member, sub, MEMBER_FIELDS)
            plan.members.append(Entry(sub, cleaned, existing_member, {"key": key}))

        file_projects: set[str] = set()
        for sub, raw_project, cleaned, slug in self._unique_records(
            projects, f"{path}.projects", PROJECT_FIELDS,
            key=itemgetter("slug"), what="project slug", key_field="slug",
        ):
            file_projects.add(slug)
            existing_project = current_projects.get(slug)
            if existing_project is None:
                self._require_for_create(raw_project, sub, PROJECT_FIELDS)
            plan.projects.append(Entry(sub, cleaned, existing_project))

        known = set(self.plan.integrations_by_key) | self.file_integrations
        for sub, _link, cleaned, key in self._unique_records(
            links, f"{path}.integrations", ORG_INTEGRATION_FIELDS,
            key=itemgetter("provider", "external_id"), what="installation (provider, external_id)",
        ):
            if key not in known:
                self.error(sub, f"unknown integration {key[0]}/{key[1]}: not in the file's "
                                "integrations nor in the database")
                continue
            plan.integrations.append(Entry(sub, cleaned, current_links.get(key), {"key": key}))

        for sub, _option, cleaned, key in self._unique_records(
            options, f"{path}.plugin_options", PLUGIN_OPTION_FIELDS,
            key=itemgetter("project", "plugin", "key"), what="option (project, plugin, key)",
        ):
            if key[0] not in file_projects and key[0] not in current_projects:
                self.error(f"{sub}.project",
                           f"no project {key[0]!r} in this organization (in the file or the database)")
                continue
            plan.plugin_options.append(Entry(sub, cleaned, current_options.get(key), {"key": key}))

        if "provider_policy" in item:
            self._provider_policy(plan, item["provider_policy"], f"{path}.provider_policy", org)

    def _provider_policy(self, plan: OrgPlan, raw, path: str, org: Organization | None) -> None:
        """The org's provider policy: {"mode", "reason", "providers": ["<kind>:<slug>", …]},
        checked by the page's own rule (services.policy.clean_policy); a sentry app may be one
        of the file's."""
        if not isinstance(raw, dict):
            self.error(path, "must be an object")
            return
        for key in raw:
            if key not in PROVIDER_POLICY_KEYS:
                self.error(f"{path}.{key}", f"unknown field (allowed: {', '.join(PROVIDER_POLICY_KEYS)})")
        if "mode" not in raw:
            self.error(f"{path}.mode", "required")
            return
        listed = raw.get("providers", [])
        if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
            self.error(f"{path}.providers", "must be a list of \"<kind>:<slug>\" strings")
            return
        by_kind: dict[str, list[str]] = {kind: [] for kind in KINDS}
        for key in listed:
            kind, _, slug = key.partition(":")
            if kind not in KINDS or not slug:
                self.error(f"{path}.providers", f"{key!r} is not \"<kind>:<slug>\" with a kind of: "
                                                f"{', '.join(KINDS)}")
                return
            by_kind[kind].append(slug)
        known = {kind: [slug for slug, _ in choices] for kind, choices in provider_choices().items()}
        known["sentry_app"] += [entry.values["slug"] for entry in self.plan.sentry_apps]
        try:
            cleaned = clean_policy(raw["mode"], raw.get("reason", ""), by_kind, known)
        except ValidationFailed as exc:
            for name, messages in exc.field_errors.items():
                field_path = f"{path}.{name}" if name in ("mode", "reason") else f"{path}.providers"
                for message in messages:
                    self.error(field_path, message)
            return
        existing = None
        if org is not None:
            existing = db.session.scalar(select(ProviderPolicy)
                                         .where(ProviderPolicy.organization_id == org.id))
        plan.policy = Entry(path, cleaned.as_values(), existing)


def validate_data(data: object) -> Plan:
    """Check a parsed file completely without writing; raises DataFileInvalid(errors)."""
    return _Validator(data).run()
