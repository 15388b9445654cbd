"""get_provider_name (SPEC §7.4): every provider type, an unknown type, unknown slugs."""

import pytest

from webapp.extensions import db
from webapp.models import SentryApp
from webapp.services.install_requests import get_provider_name


@pytest.fixture
def sentry_app(app):
    sentry_app = SentryApp(slug="acme-app", name="Acme App", author="Acme", status="unpublished")
    db.session.add(sentry_app)
    db.session.commit()
    return sentry_app


@pytest.mark.parametrize(
    ("provider_type", "slug", "name"),
    [
        ("first_party", "slack", "Slack"),
        ("first_party", "vsts", "Azure DevOps"),
        ("first_party", "msteams", "Microsoft Teams"),
        ("plugin", "trello", "Trello"),
        ("plugin", "amazon-sqs", "Amazon SQS"),
    ],
)
def test_catalog_names(app, provider_type, slug, name):
    assert get_provider_name(provider_type, slug) == name


def test_sentry_app_name_comes_from_the_database_whatever_its_status(sentry_app):
    assert get_provider_name("sentry_app", "acme-app") == "Acme App"


@pytest.mark.parametrize(
    ("provider_type", "slug"),
    [
        ("first_party", "nope"),
        ("plugin", "nope"),
        ("sentry_app", "nope"),
        ("first_party", ""),
        ("first_party", "Slack"),  # slugs are exact
        ("plugin", "slack-app"),
    ],
)
def test_unknown_slug_is_none(app, sentry_app, provider_type, slug):
    assert get_provider_name(provider_type, slug) is None


@pytest.mark.parametrize("provider_type", ["doc_integration", "", "FIRST_PARTY", "integration", None])
def test_unknown_type_is_none(app, sentry_app, provider_type):
    assert get_provider_name(provider_type, "slack") is None
    assert get_provider_name(provider_type, "acme-app") is None


def test_types_do_not_cross(app, sentry_app):
    """A slug known under one type is unknown under another."""
    assert get_provider_name("plugin", "acme-app") is None
    assert get_provider_name("sentry_app", "slack") is None
    assert get_provider_name("first_party", "trello") is None
