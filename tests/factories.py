"""Plain factory functions for tests: each adds rows and flushes; tests commit when needed."""

import itertools

from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.models import (
    Integration,
    ObjectStatus,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    User,
)

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
_HASHES: dict[str, str] = {}


def _password_hash(password: str) -> str:
    """Hash each distinct test password once (scrypt is slow on purpose)."""
    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password)
    return _HASHES[password]


def make_user(email=None, password=PASSWORD, name=None, **fields) -> User:
    n = next(_seq)
    user = User(email=email or f"user{n}@example.com", name=name or f"User {n}", **fields)
    user.password_hash = _password_hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_org(slug=None, name=None) -> Organization:
    n = next(_seq)
    org = Organization(slug=slug or f"org-{n}", name=name or f"Org {n}")
    db.session.add(org)
    db.session.flush()
    return org


def make_member(org, user, role="member") -> OrganizationMember:
    member = OrganizationMember(organization=org, user=user, role=role)
    db.session.add(member)
    db.session.flush()
    return member


def make_project(org, slug=None, platform="python", status=ObjectStatus.ACTIVE, name=None) -> Project:
    n = next(_seq)
    project = Project(organization=org, slug=slug or f"project-{n}", name=name or (slug or f"Project {n}"),
                      platform=platform, status=int(status))
    db.session.add(project)
    db.session.flush()
    return project


def make_integration(provider="slack", external_id=None, name=None, metadata=None, **fields) -> Integration:
    n = next(_seq)
    integration = Integration(
        provider=provider,
        external_id=external_id or f"ext-{n}",
        name=name or f"{provider} {n}",
        metadata_=metadata if metadata is not None else {"domain_name": f"{provider}-{n}.example.com"},
        **fields,
    )
    db.session.add(integration)
    db.session.flush()
    return integration


def install(org, integration=None, status=ObjectStatus.ACTIVE, config=None, **fields) -> OrganizationIntegration:
    integration = integration or make_integration()
    oi = OrganizationIntegration(organization=org, integration=integration, status=int(status),
                                 config=config or {}, **fields)
    db.session.add(oi)
    db.session.flush()
    return oi


def set_plugin_option(project, plugin, key, value) -> ProjectPluginOption:
    option = ProjectPluginOption(project=project, plugin=plugin, key=key, value=value)
    db.session.add(option)
    db.session.flush()
    return option


def doc_integration_data(**overrides) -> dict:
    """A valid doc integration as the services, load-data and the API take it (JSON types)."""
    data = {
        "name": "Acme Tracker",
        "author": "Acme Inc.",
        "description": "Tracks things.",
        "url": "https://acme.example.com",
        "popularity": 10,
        "resources": [{"title": "Docs", "url": "https://docs.example.com"}],
        "features": [1, 2],
    }
    data.update(overrides)
    return data
