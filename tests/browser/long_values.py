"""Long and non-ASCII values in every table of the demo data, for the layout tests (issue 22).

`seed_long_values()` runs after `seed_demo()`: it adds, through the services where a page's
history or the audit log shows the value, the cases a person reported (a 1,000-"x" install
request message, a 5,000-character callback URL in a plugin setting) and a long, unbroken
or non-ASCII value in every other table (integrations, doc integrations, sentry apps,
projects, tokens, saved views, organization and user names).
"""

from dataclasses import dataclass

from sqlalchemy import select

from tests import factories
from webapp.catalog.plugins import PLUGINS
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    IntegrationRequest,
    Organization,
    OrganizationMember,
    SentryApp,
    User,
)
from webapp.services.integrations.lifecycle import update_integration_config
from webapp.services.plugins.settings import update_plugin_settings
from webapp.services.saved_views import save_view
from webapp.services.tokens import create_token

# Unbroken runs: no space, no hyphen, nothing a browser may break a line at.
REQUEST_MESSAGE = "x" * 1000
CALLBACK_URL = "https://hooks.example.com/" + "a" * (5000 - len("https://hooks.example.com/"))
LONG_WORD = "Überwachungsdienstleistungsgesellschaftsvertragsverlängerung"  # 59 characters
DOC_NAME = ("Ωmega" + "ж" * 59)[:64]
OWNER_NAME = "Olivia Martin-" + "Łęczycka" * 20
ORG_NAME = "Größenwahn " + "Ä" * 180


@dataclass(frozen=True)
class LongValues:
    """Where the long values ended up, for the test to visit."""

    org_slug: str
    integration_id: int
    integration_name: str
    project_slug: str
    doc_slug: str
    sentry_app_slug: str
    request_id: int


def _org(slug: str) -> Organization:
    return db.session.scalar(select(Organization).where(Organization.slug == slug))


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def seed_long_values() -> LongValues:
    """Add the long values to the demo data (caller commits)."""
    demo = _org("demo")
    owner, member = _user("owner@demo.example"), _user("member@demo.example")
    owner.name = OWNER_NAME

    # A third organization with a long name: the top bar's switcher shows it.
    wide_org = factories.make_org(slug="w" * 50, name=ORG_NAME)
    factories.make_member(wide_org, owner, "owner")

    # Installed integrations: unbroken and non-ASCII name, external id and config.
    name = ("Ä" + LONG_WORD * 4)[:200]
    integration = factories.make_integration(
        "slack", external_id="T" + "9" * 199, name=name,
        metadata={"domain_name": "ü" * 150 + ".slack.com"},
    )
    installation = factories.install(demo, integration, config={"default_channel": "#general"})
    update_integration_config(owner, installation, {"default_channel": "#" + "ß" * 999}, None, "10.0.0.1")

    # Plugins: a project with a long slug and name, and the reported 5,000-character URL.
    project = factories.make_project(demo, slug="p" * 100, name=LONG_WORD * 3, platform="x" * 64)
    update_plugin_settings(owner, demo, PLUGINS["webhooks"], project.slug, {"urls": CALLBACK_URL},
                           enabled=True, ip_address="10.0.0.1")
    update_plugin_settings(owner, demo, PLUGINS["trello"], project.slug,
                           {"key": "k" * 300, "organization": "ö" * 500}, enabled=True,
                           ip_address="10.0.0.1")

    # Doc integrations (published: the directory lists it too) and a sentry app.
    doc = DocIntegration(
        name=DOC_NAME, slug="d" * 64, author="A" * 255, description=LONG_WORD * 40,
        url="https://docs.example.com/" + "u" * 175, popularity=32767, is_draft=False,
        resources=[{"title": "T" * 255, "url": "https://r.example.com/" + "r" * 178}],
    )
    app = SentryApp(slug="s" * 64, name="Σ" * 64, author="B" * 255, overview=LONG_WORD * 30,
                    status="published")
    db.session.add_all([doc, app])

    # The reported install request: a member's 1,000 unbroken "x".
    request = IntegrationRequest(
        organization_id=demo.id, requester_id=member.id, provider_type="plugin",
        provider_slug="webhooks", provider_name="WebHooks", message=REQUEST_MESSAGE, status="open",
    )
    db.session.add(request)

    # The owner's token and saved views.
    create_token(owner, "t" * 100)
    save_view(owner, demo, "integrations", "v" * 100, "q=" + "q" * 150)
    save_view(owner, demo, "audit", "Ä" * 100, "")

    # The member sees the long org name too.
    db.session.add(OrganizationMember(organization=wide_org, user=member, role="member"))
    db.session.flush()
    return LongValues(
        org_slug=wide_org.slug, integration_id=integration.id, integration_name=name,
        project_slug=project.slug, doc_slug=doc.slug, sentry_app_slug=app.slug, request_id=request.id,
    )
