"""Demo data for `flask --app webapp seed-demo` (SPEC §9): two orgs, every status, every role.

"demo" (Demo Company) gets 50 × scale projects and 100 × scale installations across every
provider of the catalog, in every status (active, disabled, pending deletion, and one
deletion-in-progress row per hundred that the pages must keep hidden), plugin options in all
enabled/configured combinations, audit entries matching the disabled/uninstalled rows and
install requests (one open). "globex" (Globex Corporation) is small and shares a few
integrations with "demo". Doc integrations (drafts and published, with generated PNG logos)
and Sentry apps are global. Users of every role get random passwords, returned once.

Rows are written with bulk Core inserts in chunks (no ORM object per row), so `--scale 1000`
(100k installations, 50k projects) takes seconds. The values are valid for the pages:
statuses from ObjectStatus, provider keys and config fields from the provider catalog,
plugin slugs and option names from the plugin catalog. Data is deterministic except the
passwords and the timestamps (relative to now).
"""

from __future__ import annotations

import io
import json
import random
import secrets
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import JSON, func, insert, select
from werkzeug.security import generate_password_hash

from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS
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

DEMO_ORG = ("demo", "Demo Company")
GLOBEX_ORG = ("globex", "Globex Corporation")
PROJECTS_PER_SCALE = 50
INSTALLATIONS_PER_SCALE = 100
CHUNK = 5000

# (email, name, role shown, {org slug: role}, is_staff)
DEMO_USERS = (
    ("owner@demo.example", "Olivia Martin", "owner", {"demo": "owner", "globex": "member"}, False),
    ("manager@demo.example", "Marcus Chen", "manager", {"demo": "manager"}, False),
    ("admin@demo.example", "Aisha Patel", "admin", {"demo": "admin"}, False),
    ("member@demo.example", "Tom Becker", "member", {"demo": "member"}, False),
    ("staff@demo.example", "Sofia Rossi", "staff", {}, True),
    ("owner@globex.example", "Hank Scorpio", "owner (globex)", {"globex": "owner"}, False),
)


class DemoAlreadySeeded(Exception):
    """The demo orgs or users exist already; seeding again would collide."""


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str


@dataclass
class SeedResult:
    logins: list[DemoLogin]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "Seeded demo data: " + ", ".join(f"{n} {what}" for what, n in self.counts.items())


def database_has_users() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


# --------------------------------------------------------------------------- realistic values

PROJECT_NAMES = (
    "Web Frontend", "Checkout API", "Payments Service", "Mobile iOS", "Mobile Android",
    "Search Indexer", "Notification Worker", "Admin Console", "Billing", "Identity Service",
    "Inventory Sync", "Recommendations", "Data Pipeline", "Marketing Site", "Partner API",
    "Reporting", "Image Resizer", "Support Portal", "Feature Flags", "Internal Tools",
)
PROJECT_VARIANTS = ("", " Staging", " Legacy", " EU", " US", " Beta", " Canary", " Batch",
                    " Edge", " Sandbox")
PLATFORMS = ("javascript-react", "python-django", "node-express", "apple-ios", "android",
             "python", "go", "java-spring-boot", "ruby-rails", "php-laravel", "dotnet",
             "elixir", None)

# Base account names per provider: a name, the slug-ish handle used in ids/domains.
ACCOUNTS = {
    "slack": ("Demo Company", "Demo Engineering", "Demo Support", "Demo Sales", "Demo Ops"),
    "discord": ("Demo Community", "Demo Dev Guild", "Demo Game Studio"),
    "msteams": ("Demo Company HQ", "Demo Customer Success", "Demo Finance"),
    "github": ("demo-company", "demo-labs", "demo-mobile", "olivia-martin"),
    "github_enterprise": ("platform", "payments", "security"),
    "gitlab": ("Demo Group", "Demo Infrastructure", "Demo Data"),
    "bitbucket": ("demo-team", "demo-agency", "demo-legacy"),
    "bitbucket_server": ("Demo Bitbucket", "Demo Bitbucket DR"),
    "vsts": ("DemoCompany", "DemoCompanyQA", "DemoPlatform"),
    "jira": ("demo-company", "demo-support", "demo-it"),
    "jira_server": ("Demo Jira", "Demo Jira Archive"),
    "pagerduty": ("Demo Company", "Demo Platform On-call", "Demo Payments On-call"),
    "opsgenie": ("Demo Ops", "Demo SRE"),
    "vercel": ("demo-company", "demo-marketing", "olivia-martin"),
    "example": ("Example Account", "Example Sandbox"),
}

TEXT_VALUES = {
    "default_channel": ("#alerts", "#alerts-web", "#payments-oncall", "#eng-errors", "General"),
    "default_channel_id": ("1097730241312129034", "1102993378237401118"),
    "mention_role": ("@oncall", "@backend", ""),
    "default_team": ("Platform", "Payments", "Web", "SRE"),
    "issue_labels": ("sentry", "sentry, bug", "bug, triage", ""),
    "default_branch": ("main", "master", "develop"),
    "issues_ignored_fields": ("components, security", "labels", ""),
    "service_table": ("Checkout API: PD2K9QX\nWeb Frontend: PD7LM3A", "Billing: PX81QZE"),
    "default_service": ("Checkout API", "Web Frontend", "Billing"),
    "team_table": ("payments: Payments Team\nweb: Web Team", "sre: SRE"),
    "project_mappings": ("web-frontend: demo-web\nmarketing-site: demo-marketing", ""),
}

# Plausible option values per plugin; the required field comes first in the catalog's check.
PLUGIN_VALUES = {
    "amazon-sqs": {"queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/sentry-events",
                   "region": "eu-west-1", "access_key": "AKIAIOSFODNN7DEMO1"},
    "asana": {"workspace": "1200123456789012"},
    "bitbucket": {"repo": "demo-team/web-frontend"},
    "clubhouse": {"token": "ch-demo-2f6b0c1e", "project": "17"},
    "github": {"repo": "demo-company/checkout-api"},
    "gitlab": {"gitlab_url": "https://gitlab.demo.example", "gitlab_repo": "platform/billing",
               "gitlab_labels": "sentry, bug"},
    "heroku": {"repository": "demo-company/marketing-site", "environment": "production"},
    "jira": {"username": "sentry-bot@demo.example", "instance_url": "https://jira.demo.example",
             "default_project": "OPS", "auto_create": False},
    "opsgenie": {"api_key": "5a1e0d7c-demo-4c2f-9d0b-opsgenie0001",
                 "recipients": "payments_team, sre"},
    "pagerduty": {"service_key": "R02DEMOSERVICEKEY0000000000000001",
                  "routes": "environment, production, R02DEMOPRODKEY"},
    "phabricator": {"host": "https://phabricator.demo.example", "username": "sentry"},
    "pivotal": {"token": "demo-pivotal-token-0001", "project": "2480001"},
    "pushover": {"apikey": "azGDORePK8gMaC0QOYAMyEEuzJnyUi", "userkey": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
                 "priority": "0"},
    "redmine": {"host": "https://redmine.demo.example", "project_id": "web", "tracker_id": "1"},
    "segment": {"write_key": "demoWriteKey0001"},
    "sessionstack": {"account_email": "sessions@demo.example", "website_id": "4471"},
    "slack": {"webhook": "https://hooks.slack.example/services/T000/B000/demo", "channel": "#alerts",
              "include_tags": True},
    "splunk": {"instance": "https://splunk.demo.example:8088", "index": "sentry",
               "source": "sentry"},
    "teamwork": {"url": "https://demo.teamwork.example", "token": "tw-demo-0001"},
    "trello": {"key": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "organization": "demo-company"},
    "twilio": {"account_sid": "AC00000000000000000000000000demo", "sms_from": "+15005550006",
               "sms_to": "+15005550001"},
    "victorops": {"api_key": "vo-demo-api-key-0001", "routing_key": "everyone"},
    "vsts": {"instance": "demo-company.visualstudio.com", "default_project": "Web"},
    "webhooks": {"urls": "https://hooks.demo.example/sentry\nhttps://ops.demo.example/events"},
}

DOC_INTEGRATIONS = (
    # name, slug, author, description, url, popularity, is_draft, has logo, features, colour
    ("Statusly", "statusly", "Statusly Inc.",
     "Publish incidents from Sentry alerts to your public status page and keep subscribers "
     "informed while you fix the problem.", "https://statusly.example/docs/sentry", 42, False,
     True, (5, 7), (37, 99, 235)),
    ("Release Radar", "release-radar", "Radar Labs",
     "See every deploy next to the errors it introduced, with a release timeline per project.",
     "https://releaseradar.example/integrations/sentry", 31, False, True, (0, 8, 9),
     (16, 185, 129)),
    ("FlagPole", "flagpole", "FlagPole GmbH",
     "Correlate feature-flag changes with error spikes and roll back a flag from the issue page.",
     "https://flagpole.example/docs", 18, False, True, (0, 6), (245, 158, 11)),
    ("Ticketeer", "ticketeer", "Ticketeer Ltd",
     "Create and link support tickets from Sentry issues; agents see the stack trace in the "
     "ticket.", "https://ticketeer.example/sentry", 12, False, True, (1, 4), (139, 92, 246)),
    ("LogHarbor", "logharbor", "Harbor Data",
     "Forward events to LogHarbor and jump from a log line to the matching Sentry issue.",
     "https://logharbor.example/docs/forwarding", 9, False, True, (0, 3, 9), (14, 165, 233)),
    ("ReplayDeck", "replaydeck", "ReplayDeck Inc.",
     "Link errors to the user's session replay to see what happened before the crash.",
     "https://replaydeck.example/sentry", 4, True, True, (12,), (236, 72, 153)),
    ("ChatRelay", "chatrelay", "Relay Software",
     "Get notifications in ChatRelay rooms and resolve issues with a reply.",
     "https://chatrelay.example/help/sentry", 2, True, False, (11, 7), (100, 116, 139)),
    ("Code Owners Sync", "code-owners-sync", "Demo Company Platform Team",
     "Internal: keeps Sentry ownership rules in sync with our service catalog.",
     "https://wiki.demo.example/code-owners-sync", None, True, False, (0, 2), (71, 85, 105)),
)

SENTRY_APPS = (
    # slug, name, author, overview, status, features
    ("incident-bot", "Incident Bot", "Demo Company SRE",
     "Opens an incident channel and pages the owning team when a critical issue fires.",
     "published", (0, 5, 7)),
    ("linkly", "Linkly", "Linkly Inc.",
     "Link Sentry issues to Linkly tasks and keep their status in sync.", "published", (1, 4)),
    ("stackmap", "StackMap", "StackMap OÜ",
     "Open any stack trace line in your code browser.", "published", (2,)),
    ("deploy-notes", "Deploy Notes", "Demo Company Platform Team",
     "Posts release notes when a release is deployed.", "unpublished", (8,)),
    ("triage-helper", "Triage Helper", "Demo Company Support",
     "Internal app that tags and routes new issues to the support rotation.", "internal",
     (0, 3)),
)


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def logo_png(initials: str, colour: tuple[int, int, int], size: int = 256) -> bytes:
    """A square PNG logo: a coloured background with white initials."""
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size // 2.5)
    box = draw.textbbox((0, 0), initials, font=font)
    x = (size - (box[2] - box[0])) / 2 - box[0]
    y = (size - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), initials, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _uuid(kind: str, n: int) -> uuid_lib.UUID:
    """A stable, realistic-looking UUID for the n-th account of a kind."""
    return uuid_lib.uuid5(uuid_lib.NAMESPACE_URL, f"https://demo.example/{kind}/{n}")


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return name[:2].upper()


# --------------------------------------------------------------------------- seeding


def _copy_rows(model, rows: list[dict]) -> None:
    """PostgreSQL: COPY rows (dicts keyed by ORM attribute) into the model's table.

    Columns the rows leave out get their Python-side default (as an INSERT would), JSON
    values are sent as JSON text. Runs in the session's transaction.
    """
    table = model.__table__
    mapper = model.__mapper__
    keys = {mapper.get_property_by_column(column).key: column for column in table.columns}
    given = [key for key in keys if key in rows[0]]
    defaults = {}
    for key, column in keys.items():
        if key in rows[0] or column.primary_key or column.default is None:
            continue
        if column.default.is_scalar:
            defaults[key] = lambda arg=column.default.arg: arg
        elif column.default.is_callable:
            defaults[key] = lambda fn=column.default.arg: fn(None)
    names = given + list(defaults)
    json_keys = {key for key in names if isinstance(keys[key].type, JSON)}
    connection = db.session.connection()
    quote = connection.dialect.identifier_preparer.quote
    statement = (f"COPY {quote(table.name)} ({', '.join(quote(keys[key].name) for key in names)})"
                 " FROM STDIN")
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[key] for key in given] + [make() for make in defaults.values()]
            copy.write_row([json.dumps(value) if key in json_keys else value
                            for key, value in zip(names, values, strict=True)])


class _Seeder:
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

    def bulk(self, model, rows: list[dict], *, returning: bool = False) -> list[int]:
        """Insert rows in chunks; with `returning`, their new ids in row order.

        RETURNING makes PostgreSQL's bulk insert 3× slower, so big tables insert without it
        and look their ids up by natural key afterwards (one query). On PostgreSQL, big
        tables go through COPY, which is 2–3× faster than multi-row INSERTs.
        """
        ids: list[int] = []
        if not rows:
            return ids
        if not returning and db.engine.dialect.name == "postgresql":
            _copy_rows(model, rows)
            return ids
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            if returning:
                result = db.session.execute(
                    insert(model).returning(model.id, sort_by_parameter_order=True), chunk
                )
                ids.extend(result.scalars().all())
            else:
                db.session.execute(insert(model), chunk)
        return ids

    # -- people and orgs

    def seed_users(self) -> list[DemoLogin]:
        logins, rows = [], []
        for email, name, role, _orgs, is_staff in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            logins.append(DemoLogin(email, role, password))
            rows.append({"email": email, "name": name, "password_hash": generate_password_hash(password),
                         "is_active": True, "is_staff": is_staff, "is_superuser": False,
                         "date_joined": self.ago(700, 400)})
        ids = self.bulk(User, rows, returning=True)
        self.users = {row["email"]: user_id for row, user_id in zip(rows, ids, strict=True)}
        self.count("users", len(rows))
        return logins

    def seed_orgs(self) -> None:
        rows = [{"slug": slug, "name": name, "date_added": self.ago(800, 720)}
                for slug, name in (DEMO_ORG, GLOBEX_ORG)]
        ids = self.bulk(Organization, rows, returning=True)
        self.orgs = {row["slug"]: org_id for row, org_id in zip(rows, ids, strict=True)}
        members = []
        for email, _name, _role, org_roles, _staff in DEMO_USERS:
            for org_slug, role in org_roles.items():
                members.append({"organization_id": self.orgs[org_slug], "user_id": self.users[email],
                                "role": role, "date_added": self.ago(400, 300)})
        self.bulk(OrganizationMember, members)
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
                "organization_id": self.orgs[org_slug], "slug": _slug(name), "name": name,
                "platform": PLATFORMS[(i * 7) % len(PLATFORMS)], "status": int(status),
                "date_added": self.ago(700),
            })
        self.bulk(Project, rows)
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
        self.bulk(ProjectPluginOption, rows)
        self.count("plugin options", len(rows))

    # -- integrations

    def _account(self, provider: str, n: int) -> tuple[str, str, dict]:
        """(name, external_id, metadata) of the n-th account of a provider (unique per n)."""
        bases = ACCOUNTS[provider]
        base = bases[n % len(bases)]
        round_ = n // len(bases)
        name = base if round_ == 0 else f"{base} {round_ + 1}"
        handle = _slug(name)
        number = 41000000 + n * 7919
        if provider == "slack":
            external_id = f"T{number:09X}"
            metadata = {"domain_name": f"{handle}.slack.com", "installation_type": "born_as_bot",
                        "scopes": ["channels:read", "chat:write", "links:read", "links:write"]}
        elif provider == "discord":
            external_id = str(1090000000000000000 + n * 104729)
            metadata = {"domain_name": f"discord.com/channels/{external_id}",
                        "application_id": "1088912345678901234"}
        elif provider == "msteams":
            external_id = f"19:{_uuid(provider, n).hex}@thread.tacv2"
            metadata = {"domain_name": f"{handle}.teams.example",
                        "service_url": "https://smba.trafficmanager.example/emea/",
                        "tenant_id": str(_uuid("tenant", n))}
        elif provider == "github":
            external_id = str(number)
            metadata = {"domain_name": f"github.com/{handle}",
                        "account_type": "User" if handle.startswith("olivia") else "Organization"}
        elif provider == "github_enterprise":
            external_id = f"ghe.demo.example:{number}"
            metadata = {"domain_name": f"ghe.demo.example/{handle}", "account_type": "Organization",
                        "installation_id": number}
        elif provider == "gitlab":
            external_id = f"gitlab.demo.example:{number}"
            metadata = {"domain_name": f"gitlab.demo.example/{handle}",
                        "base_url": "https://gitlab.demo.example", "scopes": ["api"]}
        elif provider == "bitbucket":
            external_id = "{" + str(_uuid(provider, n)) + "}"
            metadata = {"domain_name": f"bitbucket.org/{handle}", "type": "team"}
        elif provider == "bitbucket_server":
            external_id = f"bitbucket.demo.example:{handle}"
            metadata = {"domain_name": f"bitbucket.demo.example/{handle}",
                        "base_url": "https://bitbucket.demo.example", "verify_ssl": True}
        elif provider == "vsts":
            external_id = str(_uuid(provider, n))
            metadata = {"domain_name": f"{handle}.visualstudio.com", "account_type": "organization"}
        elif provider == "jira":
            external_id = f"{handle}.atlassian.example"
            metadata = {"domain_name": f"{handle}.atlassian.example",
                        "base_url": f"https://{handle}.atlassian.example"}
        elif provider == "jira_server":
            external_id = f"jira.demo.example:{handle}"
            metadata = {"domain_name": f"jira.demo.example/{handle}",
                        "base_url": "https://jira.demo.example", "verify_ssl": True}
        elif provider == "pagerduty":
            external_id = f"P{number:07X}"
            metadata = {"domain_name": f"{handle}.pagerduty.example",
                        "services": [{"service": "Checkout API", "id": f"PS{number % 99991:05d}"}]}
        elif provider == "opsgenie":
            external_id = f"{handle}-{number}"
            metadata = {"domain_name": f"{handle}.app.opsgenie.example",
                        "base_url": "https://api.opsgenie.example/"}
        elif provider == "vercel":
            external_id = f"team_{number:x}"
            metadata = {"domain_name": f"vercel.example/{handle}",
                        "account_type": "personal" if handle.startswith("olivia") else "team"}
        else:
            external_id = f"example:{number}"
            metadata = {"domain_name": f"{handle}.example.com"}
        return name, external_id, metadata

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
            name, external_id, metadata = self._account(provider, i // len(providers))
            status = ObjectStatus.DISABLED if i % 37 == 11 else ObjectStatus.ACTIVE
            added = self.ago(700, 30)
            rows.append({"provider": provider, "external_id": external_id, "name": name,
                         "metadata_": metadata, "status": int(status), "date_added": added,
                         "date_updated": added})
        self.count("integrations", len(rows))
        self.bulk(Integration, rows)
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
                         "date_updated": added + timedelta(days=self.rng.randint(0, 20)),
                         "version": 1})
        self.bulk(OrganizationIntegration, rows)
        self.count("installations", len(rows))
        return rows

    # -- global records

    def seed_doc_integrations(self) -> None:
        features = []
        for name, slug, author, description, url, popularity, is_draft, has_logo, feature_ids, colour in DOC_INTEGRATIONS:
            added = self.ago(500, 10)
            doc_id = self.bulk(DocIntegration, [{
                "name": name, "slug": slug, "author": author, "description": description,
                "url": url, "popularity": popularity, "is_draft": is_draft,
                "resources": [{"title": "Documentation", "url": url},
                              {"title": "Support", "url": url.rsplit("/", 1)[0] + "/support"}],
                "version": 1, "date_added": added, "date_updated": added,
            }], returning=True)[0]
            if has_logo:
                self.bulk(DocIntegrationLogo, [{
                    "doc_integration_id": doc_id, "uuid": uuid_lib.uuid4().hex,
                    "content_type": "image/png", "data": logo_png(_initials(name), colour),
                    "width": 256, "height": 256, "date_added": added,
                }])
            features += [{"target_type": IntegrationFeatureTarget.DOC_INTEGRATION,
                          "target_id": doc_id, "feature": f, "date_added": added}
                         for f in feature_ids]
        self.bulk(IntegrationFeature, features)
        self.count("doc integrations", len(DOC_INTEGRATIONS))

    def seed_sentry_apps(self) -> None:
        rows = [{"slug": slug, "name": name, "author": author, "overview": overview,
                 "status": status, "date_added": self.ago(600, 30)}
                for slug, name, author, overview, status, _features in SENTRY_APPS]
        ids = self.bulk(SentryApp, rows, returning=True)
        features = [{"target_type": IntegrationFeatureTarget.SENTRY_APP, "target_id": app_id,
                     "feature": f, "date_added": row["date_added"]}
                    for row, app_id, app in zip(rows, ids, SENTRY_APPS, strict=True)
                    for f in app[5]]
        self.bulk(IntegrationFeature, features)
        self.count("sentry apps", len(rows))

    # -- requests and history

    def seed_requests(self) -> None:
        demo, globex = self.orgs["demo"], self.orgs["globex"]
        member, manager = self.users["member@demo.example"], self.users["manager@demo.example"]
        rows = [
            {"organization_id": demo, "requester_id": member, "provider_type": "first_party",
             "provider_slug": "msteams", "provider_name": PROVIDERS["msteams"].name,
             "message": "Our support team lives in Teams; could we get alert notifications there too?",
             "status": "open", "date_added": self.now - timedelta(days=2)},
            {"organization_id": demo, "requester_id": member, "provider_type": "plugin",
             "provider_slug": "trello", "provider_name": PLUGINS["trello"].title,
             "message": "The design team tracks bugs in Trello.", "status": "done",
             "date_added": self.now - timedelta(days=40), "resolved_by_id": manager,
             "date_resolved": self.now - timedelta(days=38)},
            {"organization_id": demo, "requester_id": member, "provider_type": "sentry_app",
             "provider_slug": "stackmap", "provider_name": "StackMap", "message": "",
             "status": "dismissed", "date_added": self.now - timedelta(days=20),
             "resolved_by_id": manager, "date_resolved": self.now - timedelta(days=19)},
            {"organization_id": globex, "requester_id": self.users["owner@demo.example"],
             "provider_type": "first_party", "provider_slug": "pagerduty",
             "provider_name": PROVIDERS["pagerduty"].name,
             "message": "We need paging for the reactor monitoring service.", "status": "open",
             "date_added": self.now - timedelta(hours=5)},
        ]
        self.bulk(IntegrationRequest, rows)
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
        self.bulk(AuditLogEntry, rows)
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
