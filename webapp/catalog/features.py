"""Feature catalogs (SPEC §4.2 and §4.3).

* :class:`IntegrationFeatures` – the feature values a first-party provider (or a legacy
  plugin) advertises, e.g. ``issue-basic``.
* :data:`FEATURES` – the features a doc integration or Sentry App can declare, each with a
  gate and a description template in which ``%s`` stands for the integration's name and
  ``**…**`` marks bold text.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from markupsafe import Markup, escape


class IntegrationFeatures(enum.StrEnum):
    """Feature values of first-party providers, in SPEC order."""

    ALERT_RULE = "alert-rule"
    CHAT_UNFURL = "chat-unfurl"
    COMMITS = "commits"
    ENTERPRISE_ALERT_RULE = "enterprise-alert-rule"
    ENTERPRISE_INCIDENT_MANAGEMENT = "enterprise-incident-management"
    INCIDENT_MANAGEMENT = "incident-management"
    ISSUE_BASIC = "issue-basic"
    ISSUE_SYNC = "issue-sync"
    MOBILE = "mobile"
    SERVERLESS = "serverless"
    TICKET_RULES = "ticket-rules"
    STACKTRACE_LINK = "stacktrace-link"
    CODEOWNERS = "codeowners"
    USER_MAPPING = "user-mapping"
    DATA_FORWARDING = "data-forwarding"
    SESSION_REPLAY = "session-replay"
    DEPLOYMENT = "deployment"


_SEPARATORS = re.compile(r"[\s_\-]+")
_BY_NORMALIZED: dict[str, IntegrationFeatures] = {
    member.value: member for member in IntegrationFeatures
}


def _normalize(raw: str) -> str:
    """Lower-case, and turn every run of spaces, ``_`` and ``-`` into one ``-``."""
    return _SEPARATORS.sub("-", raw.strip().lower()).strip("-")


def parse_integration_feature(raw: str) -> IntegrationFeatures | None:
    """Parse a feature filter value; ``None`` when it names no known feature.

    Accepts the value (``issue-basic``) and the enum-style name (``issue_basic``,
    ``ISSUE_BASIC``), ignoring case, surrounding whitespace, and treating inner spaces
    like ``-``/``_`` (so ``" Issue Basic "`` works too).
    """
    if not isinstance(raw, str):
        return None
    return _BY_NORMALIZED.get(_normalize(raw))


@dataclass(frozen=True)
class Feature:
    """A doc-integration / Sentry App feature (SPEC §4.3)."""

    id: int
    gate: str
    template: str


FEATURES: dict[int, Feature] = {
    feature.id: feature
    for feature in (
        Feature(
            0,
            "integrations-api",
            "%s can **utilize the API** to pull data or update resources "
            "(with permissions granted, of course).",
        ),
        Feature(
            1,
            "integrations-issue-link",
            "Organizations can **create or link issues** to another service.",
        ),
        Feature(
            2,
            "integrations-stacktrace-link",
            "Organizations can **open a line of a stack trace** in another service.",
        ),
        Feature(
            3,
            "integrations-event-hooks",
            "%s allows organizations to **forward events to another service**.",
        ),
        Feature(
            4,
            "integrations-project-management",
            "Create or link issues in %s from issue groups.",
        ),
        Feature(
            5,
            "integrations-incident-management",
            "Manage incidents and outages by sending notifications to %s.",
        ),
        Feature(
            6,
            "integrations-feature-flag",
            "Improve visibility into feature flagging by sending errors to %s.",
        ),
        Feature(
            7,
            "integrations-alert-rule",
            "Configure alerts to trigger notifications in %s.",
        ),
        Feature(
            8,
            "integrations-release-management",
            "Notify of new releases being deployed in %s.",
        ),
        Feature(9, "integrations-visualization", "Visualize data in %s."),
        # Id 10 does not exist (SPEC §4.3).
        Feature(11, "integrations-chat", "Get notifications in %s."),
        Feature(12, "integrations-session-replay", "Link errors to the session replay in %s."),
    )
}

_BOLD = "**"


def _template(feature_id: int) -> str:
    try:
        return FEATURES[feature_id].template
    except KeyError:
        raise KeyError(f"Unknown feature id: {feature_id!r}") from None


def feature_description_text(feature_id: int, name: str) -> str:
    """The description as plain text: ``%s`` replaced by *name*, bold markers dropped.

    Raises :class:`KeyError` for an unknown id.
    """
    # Drop the markers before substituting, so a name containing "**" survives intact.
    return _template(feature_id).replace(_BOLD, "").replace("%s", name)


def render_feature_description(feature_id: int, name: str) -> Markup:
    """The description as safe HTML.

    Everything is escaped (the name too) except ``**…**`` in the template, which becomes
    ``<strong>…</strong>``. Raises :class:`KeyError` for an unknown id.
    """
    escaped_name = escape(name)
    html: list[str] = []
    for index, segment in enumerate(_template(feature_id).split(_BOLD)):
        text = escaped_name.join(escape(piece) for piece in segment.split("%s"))
        html.append(f"<strong>{text}</strong>" if index % 2 else str(text))
    return Markup("".join(html))
