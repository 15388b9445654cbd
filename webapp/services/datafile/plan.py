"""The plan a validated file becomes: per record, its cleaned values and the row it updates.

Validation builds the plan (reading the database, writing nothing); loading applies it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    Integration,
    IntegrationFeature,
    Organization,
    OrganizationIntegration,
    OrganizationMember,
    Project,
    ProjectPluginOption,
    ProviderPolicy,
    SentryApp,
    User,
)
from webapp.services.text import is_storable_text

RowT = TypeVar("RowT")


@dataclass
class Entry(Generic[RowT]):
    """One validated record: cleaned values, the existing row (None = create), its path."""

    path: str
    values: dict
    existing: RowT | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class OrgPlan:
    """One organization of the file and the records it holds."""

    entry: Entry[Organization]
    members: list[Entry[OrganizationMember]] = field(default_factory=list)
    projects: list[Entry[Project]] = field(default_factory=list)
    integrations: list[Entry[OrganizationIntegration]] = field(default_factory=list)
    plugin_options: list[Entry[ProjectPluginOption]] = field(default_factory=list)
    existing_projects: dict[str, Project] = field(default_factory=dict)
    # The file's provider policy (cleaned), and the org's stored one; None: not in the file.
    policy: Entry[ProviderPolicy] | None = None


@dataclass
class Plan:
    """Every validated record of the file, and the rows they refer to by natural key."""

    users: list[Entry[User]] = field(default_factory=list)
    sentry_apps: list[Entry[SentryApp]] = field(default_factory=list)
    integrations: list[Entry[Integration]] = field(default_factory=list)
    doc_integrations: list[Entry[DocIntegration]] = field(default_factory=list)
    organizations: list[OrgPlan] = field(default_factory=list)
    users_by_email: dict[str, User] = field(default_factory=dict)
    integrations_by_key: dict[tuple[str, str], Integration] = field(default_factory=dict)


def chunks(values: list, size: int = 500) -> Iterator[list]:
    """`values` in slices of at most `size`, for IN (...) lookups. Text no database can store
    (NUL, lone surrogates; validation reports it) is left out: no row holds it, and
    PostgreSQL would refuse the whole query."""
    values = [value for value in values if not isinstance(value, str) or is_storable_text(value)]
    for start in range(0, len(values), size):
        yield values[start:start + size]


def features_of(target_type: int, ids: list[int]) -> dict[int, list[int]]:
    """The feature ids of each target (sentry app or doc integration) in `ids`, sorted."""
    result: dict[int, list[int]] = {}
    for chunk in chunks(ids):
        for target_id, feature in db.session.execute(
            select(IntegrationFeature.target_id, IntegrationFeature.feature).where(
                IntegrationFeature.target_type == target_type,
                IntegrationFeature.target_id.in_(chunk),
            )
        ):
            result.setdefault(target_id, []).append(feature)
    return {key: sorted(value) for key, value in result.items()}
