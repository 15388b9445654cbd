"""What the installations tables show, as data: provider icons, status badges and the list's
rows, each cell computed once in Python (as Django admin's `items_for_result` does) so that
templates print plain, autoescaped values. The markup is in templates/integrations/."""

from collections.abc import Collection, Iterable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import quote

from webapp.catalog.providers import PROVIDERS
from webapp.messages import status_words
from webapp.models import ObjectStatus
from webapp.services.integrations import InstallationRow

DOMAIN_BADGES = {
    "messaging": "bg-primary-subtle text-primary-emphasis",
    "source_code_management": "bg-dark-subtle text-dark-emphasis",
    "project_management": "bg-info-subtle text-info-emphasis",
    "on_call_scheduling": "bg-danger-subtle text-danger-emphasis",
    "general": "bg-secondary-subtle text-secondary-emphasis",
}


class Badge(NamedTuple):
    """Words and Bootstrap classes of a small label (a provider icon, a status badge)."""

    label: str
    css: str


INSTALL_BADGES = {
    status: Badge(status_words(status.label), css) for status, css in (
        (ObjectStatus.ACTIVE, "text-bg-success"),
        (ObjectStatus.DISABLED, "text-bg-secondary"),
        (ObjectStatus.PENDING_DELETION, "text-bg-danger"),
        (ObjectStatus.DELETION_IN_PROGRESS, "text-bg-danger"),
    )
}
UNKNOWN_BADGE = Badge("Unknown", "text-bg-light border")


def provider_initials(name: str) -> str:
    """Two letters for the provider badge: "Microsoft Teams" → MT, "GitHub" → GH, "Slack" → SL."""
    words = name.split()
    if len(words) > 1:
        return (words[0][0] + words[1][0]).upper()
    capitals = [c for c in name if c.isupper()]
    return "".join(capitals[:2]) if len(capitals) >= 2 else name[:2].upper()


@cache
def provider_badge(key: str) -> Badge:
    """The provider's small icon (initials on its domain's colour; no external images)."""
    provider = PROVIDERS.get(key)
    if provider is None:
        return Badge(key[:2].upper() or "?", DOMAIN_BADGES["general"])
    return Badge(provider_initials(provider.name), DOMAIN_BADGES.get(provider.domain, ""))


def provider_name(key: str) -> str:
    provider = PROVIDERS.get(key)
    return provider.name if provider else key


def install_badge(status: int) -> Badge:
    """An installation's status (organization_integration.status) as a badge."""
    return INSTALL_BADGES.get(status, UNKNOWN_BADGE)  # type: ignore[call-overload]


def integration_problem(status: int) -> str | None:
    """The integration's own status (the connection, all orgs) in words when it is not active."""
    label = ObjectStatus.label_of(status)
    return None if label == "active" else label.replace("_", " ").capitalize()


def config_summary(config: dict[str, Any] | None, limit: int = 3) -> str:
    """The config column: the first stored keys with their values (each cut at 40
    characters), then how many more keys there are; "—" when there is none."""
    config = config or {}
    items = []
    for key in sorted(config)[:limit]:
        value = config[key]
        if isinstance(value, bool):
            shown = "on" if value else "off"
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = "" if value is None else str(value)
        items.append(f"{key}: {shown[:40] or '—'}")
    if len(config) > limit:
        items.append(f"+{len(config) - limit} more")
    return " · ".join(items) or "—"


class ListRow(NamedTuple):
    """One row of the installed-integrations table, every cell ready to print."""

    integration_id: int  # the bulk form's `ids` value
    detail_url: str
    provider_name: str
    icon: Badge
    name: str
    external_id: str
    status: Badge
    integration_problem: str | None
    date_added: str
    grace_period_end: datetime | None
    config: str | None
    # The org's provider policy blocks this provider: the row's "Blocked by policy" badge.
    policy_badge: Badge | None = None


POLICY_BADGE = Badge("Blocked by policy", "text-bg-warning")


def list_rows(rows: Iterable[InstallationRow], list_url: str, next_url: str,
              include_config: bool,
              blocked_providers: Collection[str] | None = None) -> list[ListRow]:
    """The table's rows; each links to its installation's page, which returns to `next_url`.
    `blocked_providers`: the provider keys the org's policy blocks (their rows get a badge)."""
    blocked = blocked_providers or ()
    next_arg = quote(next_url, safe="/")
    return [
        ListRow(
            integration_id=row.integration_id,
            detail_url=f"{list_url}{quote(row.provider, safe='')}/{row.integration_id}/?next={next_arg}",
            provider_name=provider_name(row.provider),
            icon=provider_badge(row.provider),
            name=row.name,
            external_id=row.external_id,
            status=install_badge(row.status),
            integration_problem=integration_problem(row.integration_status),
            date_added=row.date_added.strftime("%Y-%m-%d"),
            grace_period_end=row.grace_period_end,
            config=config_summary(row.config) if include_config else None,
            policy_badge=POLICY_BADGE if row.provider in blocked else None,
        )
        for row in rows
    ]
