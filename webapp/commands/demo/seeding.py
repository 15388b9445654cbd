"""Seeding the demo data (SPEC §9): two orgs, every status, every role.

"demo" (Demo Company) gets 50 × scale projects and 100 × scale installations across every
provider of the catalog, in every status (active, disabled, pending deletion, and one
deletion-in-progress row per hundred that the pages must keep hidden), plugin options in all
enabled/configured combinations, audit entries matching the disabled/uninstalled rows and
install requests (one open). "globex" (Globex Corporation) is small and shares a few
integrations with "demo". Doc integrations (drafts and published, with generated PNG logos)
and Sentry apps are global. Users of every role get random passwords, returned once.

Rows are written in bulk (`bulk.insert_rows`). The values are valid for the pages: statuses
from ObjectStatus, provider keys and config fields from the provider catalog, plugin slugs
and option names from the plugin catalog. Data is deterministic except the passwords and the
timestamps (relative to now).
"""

from __future__ import annotations

import random
import secrets
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
from webapp.commands.demo.bulk import insert_rows
from webapp.commands.demo.values import (
    DEMO_ORG,
    DEMO_USERS,
    DOC_INTEGRATIONS,
    GLOBEX_ORG,
    PLATFORMS,
    PLUGIN_VALUES,
    PROJECT_NAMES,
    PROJECT_VARIANTS,
    SENTRY_APPS,
    TEXT_VALUES,
    account,
    initials_of,
    logo_png,
    slug_of,
)
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    DocIntegration,
    DocIntegrationLogo,
    Integration,
    IntegrationFeature,
    IntegrationFeatureTarget,
    IntegrationRequest,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    SentryApp,
    User,
    utcnow,
)

PROJECTS_PER_SCALE = 50
INSTALLATIONS_PER_SCALE = 100


class DemoAlreadySeeded(Exception):
    """The demo orgs or users exist already; seeding again would collide."""


@dataclass(frozen=True)
class DemoLogin:
    """A demo user's login, with the password shown once."""

    email: str
    role: str
    password: str


@dataclass
class SeedResult:
    """The logins and the number of rows seeded, per kind."""

    logins: list[DemoLogin]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: what was seeded, with counts."""
        return "Seeded demo data: " + ", ".join(f"{n} {what}" for what, n in self.counts.items())


def database_has_users() -> bool:
    """True when any user exists (then `seed-demo --if-empty` does nothing)."""
    return db.session.scalar(select(User.id).limit(1)) is not None


class _Seeder:
    """Writes the demo rows table by table, remembering the new ids it needs later."""

    def __init__(self, scale: int):
        self.scale = scale
        self.rng = random.Random(20240601)
        self.now = utcnow()
        self.counts: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.orgs: dict[str, int] = {}

    def count(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def ago(self, max_days: int = 720, min_days: int = 0):
        seconds = self.rng.randint(min_days * 86400, max_days * 86400)
        return self.now - timedelta(seconds=seconds)

    # -- people and orgs

    def seed_users(self) -> list[DemoLogin]:
        logins, rows = [], []
        for email, name, role, _orgs, is_staff in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            logins.append(DemoLogin(email, role, password))
            rows.append({"email": email, "name": name, "password_hash": generate_password_hash(password),
                         "is_active": True, "is_staff": is_staff, "is_superuser": False,
                         "date_joined": self.ago(700, 400)})
        ids = insert_rows(User, rows, returning=True)
        self.users = {row["email"]: user_id for row, user_id in zip(rows, ids, strict=True)}
        self.count("users", len(rows))
        return logins

    def seed_orgs(self) -> None:
        rows = [{"slug": slug, "name": name, "date_added": self.ago(800, 720)}
                for slug, name in (DEMO_ORG, GLOBEX_ORG)]
        ids = insert_rows(Organization, rows, returning=True)
        self.orgs = {row["slug"]: org_id for row, org_id in zip(rows, ids, strict=True)}
        members = []
        for email, _name, _role, org_roles, _staff in DEMO_USERS:
            for org_slug, role in org_roles.items():
                members.append({"organization_id": self.orgs[org_slug], "user_id": self.users[email],
                                "role": role, "date_added": self.ago(400, 300)})
        insert_rows(OrganizationMember, members)
        self.count("organizations", len(rows))
        self.count("members", len(members))

    # -- projects and plugin options

    def seed_projects(self, org_slug: str, n: int) -> list[tuple[int, str]]:
        rows = []
        for i in range(n):
            base = PROJECT_NAMES[i % len(PROJECT_NAMES)]
            round_ = i // len(PROJECT_NAMES)
            variant = PROJECT_VARIANTS[round_ % len(PROJECT_VARIANTS)]
            suffix = f" {round_ // len(PROJECT_VARIANTS) + 1}" if round_ >= len(PROJECT_VARIANTS) else ""
            name = f"{base}{variant}{suffix}"
            if i % 10 == 7:
                status = ObjectStatus.DISABLED
            elif i % 25 == 24:
                status = ObjectStatus.PENDING_DELETION
            else:
                status = ObjectStatus.ACTIVE
            rows.append({
                "organization_id": self.orgs[org_slug], "slug": slug_of(name), "name": name,
                "platform": PLATFORMS[(i * 7) % len(PLATFORMS)], "status": int(status),
                "date_added": self.ago(700),
            })
        insert_rows(Project, rows)
        ids = dict(db.session.execute(
            select(Project.slug, Project.id).where(Project.organization_id == self.orgs[org_slug])
        ).all())
        self.count("projects", len(rows))
        return [(ids[row["slug"]], row["slug"]) for row in rows]

    def seed_plugin_options(self, projects: list[tuple[int, str]]) -> None:
        """Per project 0–3 plugins, cycling through all four enabled/configured combinations:
        enabled+configured, configured but disabled, enabled but not configured, configured
        with no `enabled` option at all."""
        plugins = list(PLUGINS.values())
        rows = []
        for i, (project_id, _project_slug) in enumerate(projects):
            for k in range(i % 4):
                plugin = plugins[(i * 7 + k * 5) % len(plugins)]
                values = PLUGIN_VALUES[plugin.slug]
                combo = (i + k) % 4
                options: dict[str, object] = {}
                if combo in (0, 2):
                    options["enabled"] = True
                elif combo == 1:
                    options["enabled"] = False
                if combo == 2:
                    if plugin.required_field:
                        options[plugin.required_field] = ""
                else:
                    options.update(values)
                for key, value in options.items():
                    rows.append({"project_id": project_id, "plugin": plugin.slug, "key": key,
                                 "value": value})
        insert_rows(ProjectPluginOption, rows)
        self.count("plugin options", len(rows))

    # -- integrations

    def _config(self, provider_key: str) -> dict:
        if self.rng.random() < 0.1:
            return {}  # freshly installed, never configured
        config: dict = {}
        for spec in PROVIDERS[provider_key].config_schema:
            if spec.type == "boolean":
                config[spec.name] = self.rng.random() < 0.5
            elif spec.type == "choice":
                config[spec.name] = self.rng.choice(spec.choices)[0]
            elif spec.type == "multichoice":
                values = [value for value, _label in spec.choices]
                config[spec.name] = sorted(self.rng.sample(values, self.rng.randint(1, len(values))))
            else:
                options = TEXT_VALUES.get(spec.name) or (spec.default or "",)
                config[spec.name] = self.rng.choice(options)
        return config

    def seed_integrations(self, n: int, offset: int = 0) -> list[int]:
        """n integrations cycling through every provider; returns their ids."""
        providers = list(PROVIDERS)
        rows = []
        for i in range(offset, offset + n):
            provider = providers[i % len(providers)]
            name, external_id, metadata = account(provider, i // len(providers))
            status = ObjectStatus.DISABLED if i % 37 == 11 else ObjectStatus.ACTIVE
            added = self.ago(700, 30)
            rows.append({"provider": provider, "external_id": external_id, "name": name,
                         "metadata_": metadata, "status": int(status), "date_added": added,
                         "date_updated": added})
        self.count("integrations", len(rows))
        insert_rows(Integration, rows)
        wanted = {(row["provider"], row["external_id"]) for row in rows}
        ids = {}
        for integration_id, provider, external_id in db.session.execute(
            select(Integration.id, Integration.provider, Integration.external_id)
            .where(Integration.provider.in_(sorted({provider for provider, _ in wanted})))
        ):
            if (provider, external_id) in wanted:
                ids[(provider, external_id)] = integration_id
        return [ids[(row["provider"], row["external_id"])] for row in rows]

    def seed_installations(self, org_slug: str, integration_ids: list[int]) -> list[dict]:
        """Install the integrations in an org: mostly active, some disabled, some pending
        deletion (with a grace period), one in a hundred deletion-in-progress (hidden)."""
        providers = list(PROVIDERS)
        rows = []
        for i, integration_id in enumerate(integration_ids):
            provider = providers[i % len(providers)]
            slot = i % 100
            grace = None
            if slot == 99:
                status = ObjectStatus.DELETION_IN_PROGRESS
            elif slot in (5, 23, 47, 71, 88):
                status = ObjectStatus.PENDING_DELETION
                grace = self.now + timedelta(days=self.rng.randint(1, 30))
            elif slot in (3, 17, 31, 44, 58, 66, 79, 93):
                status = ObjectStatus.DISABLED
            else:
                status = ObjectStatus.ACTIVE
            added = self.ago(700, 1)
            rows.append({"organization_id": self.orgs[org_slug], "integration_id": integration_id,
                         "config": self._config(provider), "status": int(status),
                         "grace_period_end": grace, "date_added": added,
                         # never after now: a change "in the future" would look like one
                         # made after any bulk action's confirmation (stale, skipped)
                         "date_updated": min(added + timedelta(days=self.rng.randint(0, 20)),
                                             self.now),
                         "version": 1})
        insert_rows(OrganizationIntegration, rows)
        self.count("installations", len(rows))
        return rows

    # -- global records

    def seed_doc_integrations(self) -> None:
        features = []
        for name, slug, author, description, url, popularity, is_draft, has_logo, feature_ids, colour in DOC_INTEGRATIONS:
            added = self.ago(500, 10)
            doc_id = insert_rows(DocIntegration, [{
                "name": name, "slug": slug, "author": author, "description": description,
                "url": url, "popularity": popularity, "is_draft": is_draft,
                "resources": [{"title": "Documentation", "url": url},
                              {"title": "Support", "url": url.rsplit("/", 1)[0] + "/support"}],
                "version": 1, "date_added": added, "date_updated": added,
            }], returning=True)[0]
            if has_logo:
                insert_rows(DocIntegrationLogo, [{
                    "doc_integration_id": doc_id, "uuid": uuid_lib.uuid4().hex,
                    "content_type": "image/png", "data": logo_png(initials_of(name), colour),
                    "width": 256, "height": 256, "date_added": added,
                }])
            features += [{"target_type": IntegrationFeatureTarget.DOC_INTEGRATION,
                          "target_id": doc_id, "feature": f, "date_added": added}
                         for f in feature_ids]
        insert_rows(IntegrationFeature, features)
        self.count("doc integrations", len(DOC_INTEGRATIONS))

    def seed_sentry_apps(self) -> None:
        rows = [{"slug": slug, "name": name, "author": author, "overview": overview,
                 "status": status, "date_added": self.ago(600, 30)}
                for slug, name, author, overview, status, _features in SENTRY_APPS]
        ids = insert_rows(SentryApp, rows, returning=True)
        features = [{"target_type": IntegrationFeatureTarget.SENTRY_APP, "target_id": app_id,
                     "feature": f, "date_added": row["date_added"]}
                    for row, app_id, app in zip(rows, ids, SENTRY_APPS, strict=True)
                    for f in app[5]]
        insert_rows(IntegrationFeature, features)
        self.count("sentry apps", len(rows))

    # -- requests and history

    def seed_requests(self) -> None:
        demo, globex = self.orgs["demo"], self.orgs["globex"]
        member, manager = self.users["member@demo.example"], self.users["manager@demo.example"]
        open_: dict[str, object] = {"status": "open", "resolved_by_id": None,
                                    "date_resolved": None, "resolution_reason": ""}
        # Every row names every column: COPY (PostgreSQL) takes the columns of the first row.
        rows: list[dict[str, object]] = [
            {"organization_id": demo, "requester_id": member, "provider_type": "first_party",
             "provider_slug": "msteams", "provider_name": PROVIDERS["msteams"].name,
             "message": "Our support team lives in Teams; could we get alert notifications there too?",
             "date_added": self.now - timedelta(days=2), **open_},
            {"organization_id": demo, "requester_id": member, "provider_type": "plugin",
             "provider_slug": "trello", "provider_name": PLUGINS["trello"].title,
             "message": "The design team tracks bugs in Trello.", "status": "done",
             "date_added": self.now - timedelta(days=40), "resolved_by_id": manager,
             "date_resolved": self.now - timedelta(days=38),
             "resolution_reason": "Enabled on the web project."},
            {"organization_id": demo, "requester_id": member, "provider_type": "sentry_app",
             "provider_slug": "stackmap", "provider_name": "StackMap", "message": "",
             "status": "dismissed", "date_added": self.now - timedelta(days=20),
             "resolved_by_id": manager, "date_resolved": self.now - timedelta(days=19),
             "resolution_reason": "GitHub’s stack trace links already cover this."},
            {"organization_id": globex, "requester_id": self.users["owner@demo.example"],
             "provider_type": "first_party", "provider_slug": "pagerduty",
             "provider_name": PROVIDERS["pagerduty"].name,
             "message": "We need paging for the reactor monitoring service.",
             "date_added": self.now - timedelta(hours=5), **open_},
        ]
        insert_rows(IntegrationRequest, rows)
        self.count("install requests", len(rows))

    def seed_history(self, installations: list[dict], names: dict[int, str]) -> None:
        """Audit entries for the first disabled / pending-deletion installations, by the admin."""
        admin = self.users["admin@demo.example"]
        first = installations[:200]
        link_ids = dict(db.session.execute(
            select(OrganizationIntegration.integration_id, OrganizationIntegration.id).where(
                OrganizationIntegration.organization_id == self.orgs["demo"],
                OrganizationIntegration.integration_id.in_([r["integration_id"] for r in first]),
            )
        ).all())
        rows = []
        for row in first:
            status = ObjectStatus(row["status"])
            if status not in (ObjectStatus.DISABLED, ObjectStatus.PENDING_DELETION):
                continue
            event = "INTEGRATION_DISABLE" if status == ObjectStatus.DISABLED else "INTEGRATION_REMOVE"
            rows.append({
                "organization_id": row["organization_id"], "actor_id": admin, "event": event,
                "target_type": "organization_integration",
                "target_id": link_ids[row["integration_id"]],
                "target_object": names[row["integration_id"]],
                "data": {"changes": {"status": {"before": "active", "after": status.label}}},
                "ip_address": "10.0.12.34", "datetime": row["date_updated"],
            })
        insert_rows(AuditLogEntry, rows)
        self.count("audit entries", len(rows))


def seed_demo(scale: int = 1) -> SeedResult:
    """Fill the demo data (caller commits); raises DemoAlreadySeeded when it is there already."""
    emails = [email for email, *_ in DEMO_USERS]
    taken = db.session.scalar(
        select(Organization.slug).where(Organization.slug.in_([DEMO_ORG[0], GLOBEX_ORG[0]])).limit(1)
    )
    if taken is not None:
        raise DemoAlreadySeeded(f"Organization '{taken}' already exists; seed-demo fills a fresh database.")
    taken = db.session.scalar(select(User.email).where(func.lower(User.email).in_(emails)).limit(1))
    if taken is not None:
        raise DemoAlreadySeeded(f"User {taken} already exists; seed-demo fills a fresh database.")

    seeder = _Seeder(scale)
    logins = seeder.seed_users()
    seeder.seed_orgs()
    demo_projects = seeder.seed_projects("demo", PROJECTS_PER_SCALE * scale)
    seeder.seed_plugin_options(demo_projects)
    globex_projects = seeder.seed_projects("globex", 8)
    seeder.seed_plugin_options(globex_projects)

    n_demo = INSTALLATIONS_PER_SCALE * scale
    demo_ids = seeder.seed_integrations(n_demo)
    globex_own = seeder.seed_integrations(6, offset=n_demo)
    demo_rows = seeder.seed_installations("demo", demo_ids)
    # Globex shares a few integrations with Demo (one Integration, two installations).
    seeder.seed_installations("globex", demo_ids[:6:] + globex_own)

    seeder.seed_doc_integrations()
    seeder.seed_sentry_apps()
    seeder.seed_requests()
    first = demo_ids[:200]
    names = dict(db.session.execute(select(Integration.id, Integration.name).where(Integration.id.in_(first))).all())
    seeder.seed_history(demo_rows, names)
    db.session.flush()
    return SeedResult(logins=logins, counts=seeder.counts)
