"""First-party integration providers (SPEC §4.1).

Each provider carries its directory data (name, description, domain, features) and the
**organization config schema** from which the installation's configuration form is built.
Field types are limited to ``boolean``, ``text``, ``choice`` and ``multichoice``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.catalog.features import IntegrationFeatures as F

DOMAINS: tuple[str, ...] = (
    "messaging",
    "project_management",
    "source_code_management",
    "on_call_scheduling",
    "general",
)

DOMAIN_LABELS: dict[str, str] = {
    "messaging": "Messaging",
    "project_management": "Project management",
    "source_code_management": "Source code management",
    "on_call_scheduling": "On-call scheduling",
    "general": "General",
}

FIELD_TYPES: tuple[str, ...] = ("boolean", "text", "choice", "multichoice")
# What a ``text`` field holds, checked when it is saved (services/fields.py): any text, one
# http(s) URL, http(s) URLs one per line, or a whole number (``min_value``–``max_value``).
TEXT_FORMATS: tuple[str, ...] = ("", "url", "urls", "integer")


@dataclass(frozen=True)
class ConfigField:
    """One field of a config schema: ``{name, type, label, help, choices?, default?}``.

    ``type`` is one of :data:`FIELD_TYPES`. ``choices`` holds ``(value, label)`` pairs for
    ``choice`` / ``multichoice`` fields; a ``multichoice`` default is a tuple of values.
    A ``text`` field may name a ``format`` (:data:`TEXT_FORMATS`), checked on save.
    """

    name: str
    type: str  # boolean | text | choice | multichoice
    label: str
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    default: object = None
    # A credential (API key, token, password, webhook URL with a token in it): never shown
    # back in pages or audit diffs; a blank submission keeps the stored value.
    secret: bool = False
    # A ``text`` field's format (TEXT_FORMATS) and, for ``integer``, its bounds.
    format: str = ""
    min_value: int | None = None
    max_value: int | None = None

    def __post_init__(self) -> None:
        if self.format not in TEXT_FORMATS or (self.format and self.type != "text"):
            raise ValueError(f"config field {self.name!r}: format {self.format!r} needs a "
                             f"text field and one of {TEXT_FORMATS}")

    def to_dict(self) -> dict[str, Any]:
        """The field as JSON-ready data; ``choices``/``default``/``secret`` only when set."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "help": self.help,
        }
        if self.choices:
            data["choices"] = [[value, label] for value, label in self.choices]
        if self.default is not None:
            default = self.default
            data["default"] = list(default) if isinstance(default, tuple) else default
        if self.secret:
            data["secret"] = True
        if self.format:
            data["format"] = self.format
        for key in ("min_value", "max_value"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class Provider:
    """A first-party integration provider."""

    key: str
    name: str
    description: str
    domain: str
    features: tuple[F, ...]
    config_schema: tuple[ConfigField, ...]
    can_add: bool = True
    can_disable: bool = False
    aspects: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source_url: str = ""
    # (feature value, sentence) pairs shown on the directory page, as Sentry's metadata does.
    feature_descriptions: tuple[tuple[str, str], ...] = ()

    @property
    def slug(self) -> str:
        return self.key

    @property
    def feature_values(self) -> list[str]:
        """The feature values, sorted (the API's ``provider.features``)."""
        return sorted(str(feature.value) for feature in self.features)


_SOURCE = "https://github.com/getsentry/sentry/tree/master/src/sentry/integrations/"


# -- shared field builders ----------------------------------------------------------------

_NOTIFY_ON_CHOICES: tuple[tuple[str, str], ...] = (
    ("all", "Every alert"),
    ("new_and_regressed", "New and regressed issues only"),
    ("critical", "Critical alerts only"),
)


def _notify_on(service: str) -> ConfigField:
    return ConfigField(
        "notify_on",
        "choice",
        "Notify on alert",
        f"Which alert rule notifications are posted to {service}. Rules still decide when "
        "they fire; this only narrows what is sent.",
        _NOTIFY_ON_CHOICES,
        "all",
    )


def _sync_fields(service: str, item: str) -> tuple[ConfigField, ...]:
    """The issue-sync toggles shared by issue trackers (Jira, GitHub, Azure DevOps…)."""
    return (
        ConfigField(
            "sync_forward_assignment",
            "boolean",
            f"Sync Sentry assignment to {service}",
            f"When an issue is assigned in Sentry, assign its linked {service} {item} "
            "to the same user.",
            default=False,
        ),
        ConfigField(
            "sync_reverse_assignment",
            "boolean",
            f"Sync {service} assignment to Sentry",
            f"When a {item} is assigned in {service}, assign its linked Sentry issue "
            "to the same user.",
            default=False,
        ),
        ConfigField(
            "sync_comments",
            "boolean",
            f"Sync Sentry comments to {service}",
            f"Post comments made on Sentry issues to the linked {service} {item}.",
            default=False,
        ),
    )


def _sync_status_forward(service: str, item: str) -> ConfigField:
    return ConfigField(
        "sync_status_forward",
        "boolean",
        f"Sync Sentry status to {service}",
        f"When a Sentry issue is resolved, close its linked {service} {item}; reopen it "
        "when the Sentry issue is unresolved.",
        default=False,
    )


def _sync_status_reverse(service: str, item: str) -> ConfigField:
    return ConfigField(
        "sync_status_reverse",
        "boolean",
        f"Sync {service} status to Sentry",
        f"When a {service} {item} is marked done, resolve its linked Sentry issue; when "
        "it is reopened, unresolve the Sentry issue.",
        default=False,
    )


def _issue_labels(service: str) -> ConfigField:
    return ConfigField(
        "issue_labels",
        "text",
        "Default issue labels",
        f"Comma-separated labels added to every {service} issue created from Sentry, "
        "e.g. sentry, bug.",
        default="",
    )


def _verify_ssl(service: str) -> ConfigField:
    return ConfigField(
        "verify_ssl",
        "boolean",
        "Verify SSL certificates",
        f"Check the TLS certificate of the {service} server. Only turn this off for a "
        "server with a self-signed certificate on a trusted network.",
        default=True,
    )


_JIRA_RESOLUTION = ConfigField(
    "resolution_strategy",
    "choice",
    "Resolution strategy",
    "How the linked Sentry issue is resolved when its Jira ticket is marked done "
    "(requires syncing Jira status to Sentry).",
    (
        ("resolve", "Resolve"),
        ("resolve_current_release", "Resolve in the current release"),
        ("resolve_next_release", "Resolve in the next release"),
    ),
    "resolve",
)

_JIRA_IGNORED_FIELDS = ConfigField(
    "issues_ignored_fields",
    "text",
    "Ignored fields",
    "Comma-separated list of Jira fields you don't want to show in the issue creation "
    'form, e.g. "components, security, customfield_10006".',
    default="",
)

_JIRA_FEATURE_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    (
        F.ISSUE_BASIC,
        "Create and link Sentry issues to Jira tickets in any of your projects, so a bug "
        "is one click away from its ticket.",
    ),
    (
        F.ISSUE_SYNC,
        "Keep assignees, comments and status in step between Sentry issues and their "
        "linked Jira tickets.",
    ),
    (F.TICKET_RULES, "Create Jira tickets automatically when an issue alert fires."),
)


def _scm_feature_descriptions(service: str) -> tuple[tuple[str, str], ...]:
    return (
        (
            F.COMMITS,
            f"Add {service} repositories to your organization so releases carry their "
            "commits and suspect commits point at the likely cause of an issue.",
        ),
        (
            F.ISSUE_BASIC,
            f"Create and link Sentry issues to {service} issues without leaving Sentry.",
        ),
        (
            F.ISSUE_SYNC,
            f"Keep assignees, comments and open/closed status in sync with {service}.",
        ),
        (
            F.STACKTRACE_LINK,
            f"Open the line of a stack trace frame directly in {service}.",
        ),
        (
            F.CODEOWNERS,
            f"Import the CODEOWNERS file from {service} and use it with your ownership "
            "rules to assign issues.",
        ),
    )


_PROVIDER_LIST: tuple[Provider, ...] = (
    # -- messaging -------------------------------------------------------------------------
    Provider(
        key="slack",
        name="Slack",
        description=(
            "Connect your organization to one or more Slack workspaces and get errors in "
            "front of you where your team already talks. Unfurled Sentry links and alert "
            "messages let people resolve, ignore and assign issues from the channel."
        ),
        domain="messaging",
        features=(F.CHAT_UNFURL, F.ALERT_RULE),
        config_schema=(
            ConfigField(
                "default_channel",
                "text",
                "Default channel",
                "Channel used when an alert rule doesn't name one, e.g. #alerts.",
                default="",
            ),
            _notify_on("Slack"),
            ConfigField(
                "unfurl_links",
                "boolean",
                "Unfurl Sentry links",
                "Show a preview with issue details when someone posts a Sentry link.",
                default=True,
            ),
            ConfigField(
                "thread_notifications",
                "boolean",
                "Thread issue alerts",
                "Post repeated alerts for the same issue as replies in one thread.",
                default=True,
            ),
        ),
        can_disable=True,
        aspects={
            "alerts": [
                {
                    "type": "info",
                    "text": (
                        "The Slack integration adds a new alert rule action to all projects. "
                        "To get notifications in Slack, create a rule that uses the Slack "
                        "workspace action in your project's alert settings."
                    ),
                }
            ]
        },
        source_url=_SOURCE + "slack",
        feature_descriptions=(
            (
                F.CHAT_UNFURL,
                "Unfurl Sentry links in Slack with context, and resolve, ignore or assign "
                "issues from the message.",
            ),
            (
                F.ALERT_RULE,
                "Post alert rule notifications into a chosen channel, e.g. every error seen "
                "more than 100 times a minute into #critical-errors.",
            ),
        ),
    ),
    Provider(
        key="discord",
        name="Discord",
        description=(
            "Connect Sentry to your Discord server and get alerts in the channel of your "
            "choice when something breaks. Act on issues straight from the alert message."
        ),
        domain="messaging",
        features=(F.CHAT_UNFURL, F.ALERT_RULE),
        config_schema=(
            ConfigField(
                "default_channel_id",
                "text",
                "Default channel ID",
                "ID of the Discord channel used when an alert rule doesn't name one "
                "(enable Developer Mode in Discord, then right-click the channel to copy it).",
                default="",
            ),
            _notify_on("Discord"),
            ConfigField(
                "mention_role",
                "text",
                "Role to mention",
                "Optional role mentioned in every alert, e.g. @on-call. Leave empty to "
                "mention nobody.",
                default="",
            ),
            ConfigField(
                "interactive_messages",
                "boolean",
                "Show action buttons",
                "Add Resolve, Archive and Assign buttons to alert messages.",
                default=True,
            ),
        ),
        can_disable=True,
        source_url=_SOURCE + "discord",
        feature_descriptions=(
            (F.CHAT_UNFURL, "Assign, archive and resolve issues by interacting with messages."),
            (
                F.ALERT_RULE,
                "Post alert rule notifications automatically into a specific Discord channel.",
            ),
        ),
    ),
    Provider(
        key="msteams",
        name="Microsoft Teams",
        description=(
            "Microsoft Teams keeps your team's chats, meetings and files in one place. Get "
            "Sentry alerts in your Teams channels and assign, ignore or resolve issues "
            "right from the card."
        ),
        domain="messaging",
        features=(F.CHAT_UNFURL, F.ALERT_RULE),
        config_schema=(
            ConfigField(
                "default_team",
                "text",
                "Default team",
                "Team whose channels alert rules can post to when none is chosen.",
                default="",
            ),
            ConfigField(
                "default_channel",
                "text",
                "Default channel",
                "Channel of the default team used when an alert rule doesn't name one, "
                "e.g. General.",
                default="General",
            ),
            _notify_on("Microsoft Teams"),
            ConfigField(
                "interactive_cards",
                "boolean",
                "Include action buttons",
                "Add Resolve, Ignore and Assign actions to alert cards.",
                default=True,
            ),
        ),
        can_add=False,
        can_disable=True,
        aspects={
            "externalInstall": {
                "url": "https://teams.microsoft.com/l/app/",
                "buttonText": "Teams Marketplace",
                "noticeText": (
                    "Visit the Teams Marketplace to install this integration. After adding "
                    "it to your team, a welcome message in the General channel completes "
                    "the installation."
                ),
            }
        },
        source_url=_SOURCE + "msteams",
        feature_descriptions=(
            (F.CHAT_UNFURL, "Interact with alert cards to assign, ignore and resolve issues."),
            (F.ALERT_RULE, "Post alert rule notifications to a specific channel or user."),
        ),
    ),
    # -- source code management ------------------------------------------------------------
    Provider(
        key="github",
        name="GitHub",
        description=(
            "Connect your organization to a GitHub organization or user account. Add "
            "commits to your releases, link GitHub issues and pull requests to Sentry "
            "issues, and jump from a stack trace to the code."
        ),
        domain="source_code_management",
        features=(F.COMMITS, F.ISSUE_BASIC, F.ISSUE_SYNC, F.STACKTRACE_LINK, F.CODEOWNERS),
        config_schema=(
            _sync_status_forward("GitHub", "issue"),
            *_sync_fields("GitHub", "issue"),
            _issue_labels("GitHub"),
            ConfigField(
                "pr_comments",
                "boolean",
                "Comment on pull requests",
                "Post a comment on merged pull requests listing the Sentry issues they "
                "may have caused.",
                default=True,
            ),
        ),
        can_disable=True,
        source_url=_SOURCE + "github",
        feature_descriptions=_scm_feature_descriptions("GitHub"),
    ),
    Provider(
        key="github_enterprise",
        name="GitHub Enterprise",
        description=(
            "Connect your organization to your self-hosted GitHub Enterprise Server through "
            "a GitHub App you register there. Bring in commits, link issues and open "
            "stack trace frames in your own instance."
        ),
        domain="source_code_management",
        features=(F.COMMITS, F.ISSUE_BASIC, F.ISSUE_SYNC, F.STACKTRACE_LINK, F.CODEOWNERS),
        config_schema=(
            _sync_status_forward("GitHub Enterprise", "issue"),
            *_sync_fields("GitHub Enterprise", "issue"),
            _issue_labels("GitHub Enterprise"),
            _verify_ssl("GitHub Enterprise"),
        ),
        can_disable=True,
        source_url=_SOURCE + "github_enterprise",
        feature_descriptions=_scm_feature_descriptions("GitHub Enterprise"),
    ),
    Provider(
        key="gitlab",
        name="GitLab",
        description=(
            "Connect your organization to a GitLab group on gitlab.com or your own GitLab "
            "instance. Track commits in releases, create and link GitLab issues, and open "
            "stack trace lines in the repository."
        ),
        domain="source_code_management",
        features=(F.COMMITS, F.ISSUE_BASIC, F.ISSUE_SYNC, F.STACKTRACE_LINK, F.CODEOWNERS),
        config_schema=(
            _sync_status_forward("GitLab", "issue"),
            *_sync_fields("GitLab", "issue"),
            ConfigField(
                "include_subgroups",
                "boolean",
                "Include subgroups",
                "Also offer the projects of the group's subgroups when adding repositories.",
                default=False,
            ),
            _issue_labels("GitLab"),
        ),
        source_url=_SOURCE + "gitlab",
        feature_descriptions=_scm_feature_descriptions("GitLab"),
    ),
    Provider(
        key="bitbucket",
        name="Bitbucket",
        description=(
            "Connect your organization to Bitbucket Cloud to add commits to releases, "
            "create and link Bitbucket issues, and open stack trace lines in your "
            "repositories."
        ),
        domain="source_code_management",
        features=(F.COMMITS, F.ISSUE_BASIC, F.STACKTRACE_LINK),
        config_schema=(
            ConfigField(
                "default_issue_type",
                "choice",
                "Default issue type",
                "Kind preselected when creating a Bitbucket issue from Sentry.",
                (
                    ("bug", "Bug"),
                    ("enhancement", "Enhancement"),
                    ("proposal", "Proposal"),
                    ("task", "Task"),
                ),
                "bug",
            ),
            ConfigField(
                "default_priority",
                "choice",
                "Default priority",
                "Priority preselected when creating a Bitbucket issue from Sentry.",
                (
                    ("trivial", "Trivial"),
                    ("minor", "Minor"),
                    ("major", "Major"),
                    ("critical", "Critical"),
                    ("blocker", "Blocker"),
                ),
                "major",
            ),
            ConfigField(
                "comment_on_link",
                "boolean",
                "Comment when linking",
                "Add a comment with the Sentry issue URL when linking an existing Bitbucket issue.",
                default=True,
            ),
        ),
        source_url=_SOURCE + "bitbucket",
        feature_descriptions=(
            (F.COMMITS, "Track commits and releases from your Bitbucket repositories."),
            (F.ISSUE_BASIC, "Create Bitbucket issues from Sentry, or link existing ones."),
            (F.STACKTRACE_LINK, "Open the line of a stack trace frame in Bitbucket."),
        ),
    ),
    Provider(
        key="bitbucket_server",
        name="Bitbucket Server",
        description=(
            "Connect your organization to a self-hosted Bitbucket Server or Data Center "
            "through an application link. Bring its commits into your releases and open "
            "stack trace lines in your repositories."
        ),
        domain="source_code_management",
        features=(F.COMMITS, F.STACKTRACE_LINK),
        config_schema=(
            _verify_ssl("Bitbucket Server"),
            ConfigField(
                "webhook_events",
                "multichoice",
                "Repository events",
                "Repository events the webhook registered on each added repository listens to.",
                (
                    ("repo:refs_changed", "Pushes"),
                    ("pr:opened", "Pull request opened"),
                    ("pr:merged", "Pull request merged"),
                ),
                ("repo:refs_changed",),
            ),
            ConfigField(
                "default_branch",
                "text",
                "Default branch",
                "Branch used for stack trace links when a code mapping doesn't set one.",
                default="master",
            ),
        ),
        source_url=_SOURCE + "bitbucket_server",
        feature_descriptions=(
            (F.COMMITS, "Track commits and releases from your Bitbucket Server repositories."),
            (F.STACKTRACE_LINK, "Open the line of a stack trace frame in Bitbucket Server."),
        ),
    ),
    Provider(
        key="vsts",
        name="Azure DevOps",
        description=(
            "Connect your organization to Azure DevOps to track commits in releases and "
            "create or link work items. Keep work item state and assignees in step with "
            "Sentry issues."
        ),
        domain="source_code_management",
        features=(
            F.COMMITS,
            F.ISSUE_BASIC,
            F.ISSUE_SYNC,
            F.STACKTRACE_LINK,
            F.CODEOWNERS,
            F.TICKET_RULES,
        ),
        config_schema=(
            *_sync_fields("Azure DevOps", "work item"),
            _sync_status_reverse("Azure DevOps", "work item"),
            ConfigField(
                "resolve_status",
                "choice",
                "State when resolved",
                "Work item state set when the linked Sentry issue is resolved.",
                (("Resolved", "Resolved"), ("Closed", "Closed"), ("Done", "Done")),
                "Resolved",
            ),
            ConfigField(
                "regression_status",
                "choice",
                "State when regressed",
                "Work item state set when the linked Sentry issue regresses.",
                (("Active", "Active"), ("New", "New"), ("To Do", "To Do")),
                "Active",
            ),
        ),
        source_url=_SOURCE + "vsts",
        feature_descriptions=(
            *_scm_feature_descriptions("Azure DevOps"),
            (F.TICKET_RULES, "Create Azure DevOps work items automatically from issue alerts."),
        ),
    ),
    # -- project management ----------------------------------------------------------------
    Provider(
        key="jira",
        name="Jira",
        description=(
            "Connect your organization to one or more Jira Cloud sites. Create and link "
            "tickets from Sentry issues and keep assignees, comments and status in sync."
        ),
        domain="project_management",
        features=(F.ISSUE_BASIC, F.ISSUE_SYNC, F.TICKET_RULES),
        config_schema=(
            *_sync_fields("Jira", "ticket"),
            _sync_status_reverse("Jira", "ticket"),
            _JIRA_IGNORED_FIELDS,
            _JIRA_RESOLUTION,
        ),
        can_add=False,
        aspects={
            "externalInstall": {
                "url": "https://marketplace.atlassian.com/apps/1219432/sentry-for-jira",
                "buttonText": "Jira Marketplace",
                "noticeText": (
                    "Install the Sentry add-on from the Jira Marketplace, then open its "
                    "settings in your Jira site to enable the integration for this "
                    "organization."
                ),
            }
        },
        source_url=_SOURCE + "jira",
        feature_descriptions=_JIRA_FEATURE_DESCRIPTIONS,
    ),
    Provider(
        key="jira_server",
        name="Jira Server",
        description=(
            "Connect your organization to a self-hosted Jira Server or Data Center instance "
            "through an application link. Create and link tickets and keep them in sync "
            "with Sentry issues."
        ),
        domain="project_management",
        features=(F.ISSUE_BASIC, F.ISSUE_SYNC, F.TICKET_RULES),
        config_schema=(
            *_sync_fields("Jira", "ticket"),
            _sync_status_reverse("Jira", "ticket"),
            _JIRA_IGNORED_FIELDS,
            _JIRA_RESOLUTION,
        ),
        source_url=_SOURCE + "jira_server",
        feature_descriptions=_JIRA_FEATURE_DESCRIPTIONS,
    ),
    # -- on-call scheduling ----------------------------------------------------------------
    Provider(
        key="pagerduty",
        name="PagerDuty",
        description=(
            "Connect your organization to PagerDuty services and trigger incidents from "
            "Sentry alert rules, so the right person is paged when an error spikes."
        ),
        domain="on_call_scheduling",
        features=(F.INCIDENT_MANAGEMENT, F.ALERT_RULE),
        config_schema=(
            ConfigField(
                "service_table",
                "text",
                "Services",
                "One PagerDuty service per line as 'service name, integration key'. Alert "
                "rules choose from these services.",
                default="",
            ),
            ConfigField(
                "default_service",
                "text",
                "Default service",
                "Service name (from the list above) used when an alert rule doesn't pick one.",
                default="",
            ),
            ConfigField(
                "default_severity",
                "choice",
                "Default severity",
                "Severity of incidents triggered by alert rules that don't set one; "
                "'Default' derives it from the event level.",
                (
                    ("default", "Default"),
                    ("critical", "Critical"),
                    ("error", "Error"),
                    ("warning", "Warning"),
                    ("info", "Info"),
                ),
                "default",
            ),
            ConfigField(
                "auto_resolve",
                "boolean",
                "Resolve incidents with the issue",
                "Resolve the PagerDuty incident when its Sentry issue is resolved.",
                default=True,
            ),
        ),
        source_url=_SOURCE + "pagerduty",
        feature_descriptions=(
            (
                F.INCIDENT_MANAGEMENT,
                "Manage incidents and outages by sending Sentry notifications to PagerDuty.",
            ),
            (F.ALERT_RULE, "Trigger PagerDuty incidents from alert rules you configure."),
        ),
    ),
    Provider(
        key="opsgenie",
        name="Opsgenie",
        description=(
            "Connect your organization to Opsgenie teams to create alerts from Sentry issue "
            "and metric alerts. Opsgenie's on-call schedules and escalations make sure "
            "someone responds."
        ),
        domain="on_call_scheduling",
        features=(
            F.INCIDENT_MANAGEMENT,
            F.ALERT_RULE,
            F.ENTERPRISE_INCIDENT_MANAGEMENT,
            F.ENTERPRISE_ALERT_RULE,
        ),
        config_schema=(
            ConfigField(
                "team_table",
                "text",
                "Teams",
                "One Opsgenie team per line as 'team name, integration key'. Alert rules "
                "choose from these teams.",
                default="",
            ),
            ConfigField(
                "default_team",
                "text",
                "Default team",
                "Team name (from the list above) used when an alert rule doesn't pick one.",
                default="",
            ),
            ConfigField(
                "default_priority",
                "choice",
                "Default priority",
                "Priority of Opsgenie alerts created by rules that don't set one.",
                (
                    ("P1", "P1 – Critical"),
                    ("P2", "P2 – High"),
                    ("P3", "P3 – Moderate"),
                    ("P4", "P4 – Low"),
                    ("P5", "P5 – Informational"),
                ),
                "P3",
            ),
            ConfigField(
                "auto_close",
                "boolean",
                "Close alerts with the issue",
                "Close the Opsgenie alert when its Sentry issue is resolved.",
                default=True,
            ),
        ),
        source_url=_SOURCE + "opsgenie",
        feature_descriptions=(
            (
                F.INCIDENT_MANAGEMENT,
                "Manage incidents and outages by sending Sentry notifications to Opsgenie.",
            ),
            (F.ALERT_RULE, "Create Opsgenie alerts from issue alert rules."),
            (
                F.ENTERPRISE_INCIDENT_MANAGEMENT,
                "Route incidents to several Opsgenie teams with their own integration keys.",
            ),
            (F.ENTERPRISE_ALERT_RULE, "Create Opsgenie alerts from metric alert rules."),
        ),
    ),
    # -- general ---------------------------------------------------------------------------
    Provider(
        key="vercel",
        name="Vercel",
        description=(
            "Vercel hosts static sites, Jamstack apps and serverless functions on a global "
            "edge network. Connect your Sentry and Vercel projects to upload source maps "
            "and create releases on every deployment."
        ),
        domain="general",
        features=(F.DEPLOYMENT,),
        config_schema=(
            ConfigField(
                "project_mappings",
                "text",
                "Project mappings",
                "One mapping per line as 'sentry-project-slug = vercel-project-id'. Each "
                "mapped Vercel project gets the Sentry DSN, organization, project and auth "
                "token as environment variables.",
                default="",
            ),
            ConfigField(
                "env_targets",
                "multichoice",
                "Vercel environments",
                "Vercel environments the Sentry environment variables are added to.",
                (
                    ("production", "Production"),
                    ("preview", "Preview"),
                    ("development", "Development"),
                ),
                ("production", "preview"),
            ),
            ConfigField(
                "upload_source_maps",
                "boolean",
                "Upload source maps",
                "Upload source maps to Sentry as part of each Vercel build.",
                default=True,
            ),
        ),
        can_add=False,
        aspects={
            "externalInstall": {
                "url": "https://vercel.com/integrations/sentry/add",
                "buttonText": "Vercel Marketplace",
                "noticeText": (
                    "Install this integration from the Vercel Marketplace. You'll be sent "
                    "back here afterwards to connect your Vercel and Sentry projects."
                ),
            },
            "configure_integration": {"title": "Connect Your Projects"},
        },
        source_url=_SOURCE + "vercel",
        feature_descriptions=(
            (
                F.DEPLOYMENT,
                "Upload source maps and notify Sentry of new releases being deployed on Vercel.",
            ),
        ),
    ),
    Provider(
        key="example",
        name="Example",
        description=(
            "An example integration that implements every integration hook without calling "
            "any external service. Use it to try installations and configuration forms, "
            "and in tests."
        ),
        domain="general",
        features=(F.COMMITS, F.ISSUE_BASIC, F.ISSUE_SYNC, F.STACKTRACE_LINK, F.ALERT_RULE),
        config_schema=(
            ConfigField(
                "project",
                "choice",
                "Default project",
                "Example project preselected when creating or linking an issue.",
                (("1", "Project 1"), ("2", "Project 2")),
                "1",
            ),
            ConfigField(
                "sync_comments",
                "boolean",
                "Sync comments",
                "Send comments on Sentry issues to the linked example issue.",
                default=False,
            ),
            ConfigField(
                "sync_status_outbound",
                "boolean",
                "Sync status outbound",
                "Close or reopen the linked example issue when the Sentry issue is "
                "resolved or unresolved.",
                default=False,
            ),
            ConfigField(
                "sync_status_inbound",
                "boolean",
                "Sync status inbound",
                "Resolve or unresolve the Sentry issue when the linked example issue "
                "changes state.",
                default=False,
            ),
            ConfigField(
                "sync_assignee_outbound",
                "boolean",
                "Sync assignee outbound",
                "Assign the linked example issue when the Sentry issue is assigned.",
                default=False,
            ),
            ConfigField(
                "sync_assignee_inbound",
                "boolean",
                "Sync assignee inbound",
                "Assign the Sentry issue when the linked example issue is assigned.",
                default=False,
            ),
        ),
        source_url=_SOURCE + "example",
        feature_descriptions=(
            (F.ISSUE_SYNC, "A feature description, to show how features are listed."),
        ),
    ),
)

PROVIDERS: dict[str, Provider] = {provider.key: provider for provider in _PROVIDER_LIST}


def get_provider(key: str) -> Provider | None:
    """The provider registered under *key*, or ``None``."""
    return PROVIDERS.get(key)
