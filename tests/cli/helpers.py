"""Helpers for the CLI tests: a second, empty database and a small data set."""

import shutil
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from tests import factories
from tests.conftest import USING_PG
from webapp.commands.demo import logo_png
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
    ObjectStatus,
    SentryApp,
    utcnow,
)


class EmptyDatabase:
    """A freshly migrated, empty database next to the test's own (SQLite file or PG database)."""

    def __init__(self, database_template, tmp_path):
        self.pg_name = None
        if USING_PG:
            self.pg_name = f"test_empty_{uuid.uuid4().hex[:10]}"
            self.admin_url = sa.engine.make_url(database_template).set(database="postgres")
            engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.pg_name}"'))
            engine.dispose()
            self.uri = (sa.engine.make_url(database_template).set(database=self.pg_name)
                        .render_as_string(hide_password=False))
            self.migrated = False
        else:
            path = tmp_path / "empty.sqlite3"
            shutil.copyfile(database_template, path)
            self.uri = f"sqlite:///{path}"
            self.migrated = True

    def prepare(self, app) -> None:
        """Create the schema with the migrations (PostgreSQL only; the SQLite copy has it)."""
        if not self.migrated:
            with app.app_context():
                upgrade()
                db.session.remove()
            self.migrated = True

    def drop(self) -> None:
        if self.pg_name:
            engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            engine.dispose()


def make_sample_data():
    """A small data set touching every section and field of the data file."""
    ann = factories.make_user(email="Ann@Example.com", name="Ann Owner")
    factories.make_user(email="sam@example.com", name="Sam Staff", is_staff=True)
    # Bob signs in with the company directory, whose groups gave him his Initech role.
    bob = factories.make_user(email="bob@example.com", name="", is_active=False,
                              auth_source="ldap")
    org = factories.make_org(slug="initech", name="Initech")
    other = factories.make_org(slug="umbrella", name="Umbrella Corp")
    factories.make_member(org, ann, "owner")
    factories.make_member(org, bob, "member").role_source = "ldap"
    factories.make_member(other, ann, "admin")
    web = factories.make_project(org, slug="web", name="Web", platform="javascript-react")
    api = factories.make_project(org, slug="api", name="API", platform=None,
                                 status=ObjectStatus.DISABLED)
    factories.make_project(other, slug="web", name="Umbrella Web")
    slack = factories.make_integration("slack", external_id="T0123", name="Initech Slack",
                                       metadata={"domain_name": "initech.slack.com",
                                                 "scopes": ["chat:write"]})
    github = factories.make_integration("github", external_id="4242", name="initech",
                                        metadata={"account_type": "Organization"},
                                        status=int(ObjectStatus.DISABLED))
    factories.install(org, slack, config={"notify_on": "critical", "unfurl_links": False,
                                          "legacy": [1, {"nested": None}]})
    factories.install(org, github, status=ObjectStatus.PENDING_DELETION,
                      grace_period_end=utcnow().replace(microsecond=0) + timedelta(days=3))
    factories.install(other, slack, status=ObjectStatus.DISABLED)
    factories.set_plugin_option(web, "trello", "key", "a1b2c3")
    factories.set_plugin_option(web, "trello", "enabled", True)
    factories.set_plugin_option(api, "webhooks", "urls", "https://hooks.example/x")
    factories.set_plugin_option(api, "webhooks", "enabled", False)
    factories.set_plugin_option(api, "opsgenie", "api_key", {"weird": [1.5, True, None]})

    published = DocIntegration(
        slug="statusly", name="Statusly", author="Statusly Inc.", description="Status pages.",
        url="https://statusly.example/docs", popularity=7, is_draft=False,
        resources=[{"title": "Docs", "url": "https://statusly.example/docs"}],
    )
    published.logo = DocIntegrationLogo(content_type="image/png", data=logo_png("ST", (1, 2, 3)),
                                        width=256, height=256)
    draft = DocIntegration(slug="chatrelay", name="ChatRelay", author="Relay", description="Chat.",
                           url="http://chatrelay.example", popularity=None, is_draft=True,
                           resources=[])
    app = SentryApp(slug="incident-bot", name="Incident Bot", author="SRE", overview="Pages.",
                    status="published")
    db.session.add_all([published, draft, app])
    db.session.flush()
    db.session.add_all([
        IntegrationFeature(target_type=IntegrationFeatureTarget.DOC_INTEGRATION,
                           target_id=published.id, feature=feature) for feature in (5, 7)
    ] + [IntegrationFeature(target_type=IntegrationFeatureTarget.SENTRY_APP, target_id=app.id,
                            feature=0)])
    db.session.commit()
