"""The demo data's fixed values: orgs and users, realistic names, accounts, option values, logos.

Nothing here is random: the seeder picks among these values with a seeded generator.
"""

from __future__ import annotations

import io
import uuid as uuid_lib

from PIL import Image, ImageDraw, ImageFont

DEMO_ORG = ("demo", "Demo Company")
GLOBEX_ORG = ("globex", "Globex Corporation")

# (email, name, role shown, {org slug: role}, is_staff)
DEMO_USERS: tuple[tuple[str, str, str, dict[str, str], bool], ...] = (
    ("owner@demo.example", "Olivia Martin", "owner", {"demo": "owner", "globex": "member"}, False),
    ("manager@demo.example", "Marcus Chen", "manager", {"demo": "manager"}, False),
    ("admin@demo.example", "Aisha Patel", "admin", {"demo": "admin"}, False),
    ("member@demo.example", "Tom Becker", "member", {"demo": "member"}, False),
    ("staff@demo.example", "Sofia Rossi", "staff", {}, True),
    ("owner@globex.example", "Hank Scorpio", "owner (globex)", {"globex": "owner"}, False),
)

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
PLUGIN_VALUES: dict[str, dict[str, object]] = {
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


def slug_of(text: str) -> str:
    """A slug (projects, account handles): lower case, other characters between words become '-'."""
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


def initials_of(name: str) -> str:
    """Two capital letters for a logo: of the first two words, else the first two letters."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return name[:2].upper()


def account(provider: str, n: int) -> tuple[str, str, dict]:
    """(name, external_id, metadata) of the n-th account of a provider (unique per n)."""
    bases = ACCOUNTS[provider]
    base = bases[n % len(bases)]
    round_ = n // len(bases)
    name = base if round_ == 0 else f"{base} {round_ + 1}"
    handle = slug_of(name)
    number = 41000000 + n * 7919
    metadata: dict[str, object]
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
