"""Legacy per-project plugins (SPEC §4.4).

A plugin is switched on for a project by its ``enabled`` option and is *configured* when
its ``required_field`` option holds a real value. Options live in ``ProjectPluginOption``;
this module only describes the plugins and interprets an options mapping.

:data:`PLUGINS` iterates in catalog order: by title, case-insensitively.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, replace

from webapp.catalog.features import IntegrationFeatures as F
from webapp.catalog.providers import ConfigField

PLUGIN_TYPES: tuple[str, ...] = ("issue-tracking", "notification", "data-forwarding", "default")


@dataclass(frozen=True, kw_only=True)
class Plugin:
    """A legacy plugin."""

    slug: str
    title: str
    short_name: str
    description: str
    author_name: str = "Sentry Team"
    author_url: str = "https://github.com/getsentry/sentry"
    resource_links: tuple[tuple[str, str], ...]  # (title, url)
    features: tuple[str, ...]  # feature values (gates), e.g. "issue-basic", "alert-rule"
    required_field: str | None
    config_schema: tuple[ConfigField, ...]
    can_disable: bool = True
    is_hidden: bool = False
    is_testable: bool = False
    deprecation_date: datetime.date | None = None
    plugin_type: str = "default"  # issue-tracking | notification | data-forwarding | default
    # (feature value, sentence) pairs: the API's featureDescriptions.
    feature_descriptions: tuple[tuple[str, str], ...] = ()

    def __hash__(self) -> int:
        # The slug is the catalog's key: equal plugins have equal slugs. The generated hash
        # would hash every field (the config schema's fields…); the configs page looks its
        # cached statement up by a tuple of 24 plugins on every request.
        return hash(self.slug)

    @property
    def has_configuration(self) -> bool:
        return bool(self.config_schema)

    @property
    def is_deprecated(self) -> bool:
        """True once the deprecation date has been reached (UTC)."""
        if self.deprecation_date is None:
            return False
        return self.deprecation_date <= datetime.datetime.now(datetime.UTC).date()


_REPORT_ISSUE = ("Report Issue", "https://github.com/getsentry/sentry/issues")


def _links(module: str, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """Service-specific links first, then the usual "Report Issue" / "View Source"."""
    source = f"https://github.com/getsentry/sentry/tree/master/src/sentry_plugins/{module}"
    return (*extra, _REPORT_ISSUE, ("View Source", source))


def _text(name: str, label: str, help: str = "", default: object = None) -> ConfigField:
    return ConfigField(name, "text", label, help, default=default)


def _url(name: str, label: str, help: str = "", default: object = None) -> ConfigField:
    """One absolute http(s) URL."""
    return ConfigField(name, "text", label, help, default=default, format="url")


def _urls(name: str, label: str, help: str = "") -> ConfigField:
    """http(s) URLs, one per line."""
    return ConfigField(name, "text", label, help, format="urls")


def _int(name: str, label: str, help: str = "", low: int | None = None,
         high: int | None = None) -> ConfigField:
    """A whole number within low–high (stored as its digits, as the form sends it)."""
    return ConfigField(name, "text", label, help, format="integer", min_value=low, max_value=high)


def _bool(name: str, label: str, help: str, default: bool = False) -> ConfigField:
    return ConfigField(name, "boolean", label, help, default=default)


_ISSUE_FEATURES = (F.ISSUE_BASIC.value,)
_ALERT = (
    F.ALERT_RULE,
    "Configure alert rules that send notifications based on conditions you set.",
)

_AWS_REGIONS: tuple[tuple[str, str], ...] = tuple(
    (region, region)
    for region in (
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-south-1",
        "sa-east-1",
        "cn-north-1",
        "cn-northwest-1",
    )
)


_PLUGIN_LIST: tuple[Plugin, ...] = (
    Plugin(
        slug="amazon-sqs",
        title="Amazon SQS",
        short_name="Amazon SQS",
        description=(
            "Forward Sentry events to an Amazon SQS queue. Amazon Simple Queue Service is a "
            "fully managed message queue for decoupling microservices, distributed systems "
            "and serverless applications."
        ),
        resource_links=_links("amazon_sqs"),
        features=(F.DATA_FORWARDING.value,),
        required_field="queue_url",
        config_schema=(
            _url(
                "queue_url",
                "Queue URL",
                "e.g. https://sqs.us-east-1.amazonaws.com/123456789012/sentry-events",
            ),
            ConfigField(
                "region",
                "choice",
                "Region",
                "AWS region the queue lives in.",
                _AWS_REGIONS,
                "us-east-1",
            ),
            _text("access_key", "Access key", "Access key ID of an IAM user allowed to send."),
            _text("secret_key", "Secret key", "Secret access key of that IAM user."),
            _text(
                "message_group_id",
                "Message group ID",
                "Required for FIFO queues; leave empty for standard queues.",
            ),
            _text(
                "s3_bucket",
                "S3 bucket",
                "Optional bucket that stores each event; the SQS message then only carries a "
                "reference to it. Without a bucket, events over the 256 KB SQS limit are "
                "dropped.",
            ),
        ),
        plugin_type="data-forwarding",
        feature_descriptions=(
            (F.DATA_FORWARDING, "Forward Sentry errors and events to Amazon SQS."),
        ),
    ),
    Plugin(
        slug="asana",
        title="Asana",
        short_name="Asana",
        description=(
            "Create Asana tasks straight from Sentry issues, or link an issue to an "
            "existing task, without leaving the issue page."
        ),
        resource_links=_links("asana"),
        features=_ISSUE_FEATURES,
        required_field="workspace",
        config_schema=(
            _int(
                "workspace",
                "Workspace",
                "Numeric ID of the Asana workspace new tasks are created in.",
                low=1,
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.ISSUE_BASIC, "Create Asana tasks from Sentry issues, or link existing tasks."),
        ),
    ),
    Plugin(
        slug="bitbucket",
        title="Bitbucket",
        short_name="Bitbucket",
        description=(
            "Link a Bitbucket repository to the project to create and link Bitbucket issues "
            "from Sentry and to track commits."
        ),
        resource_links=_links("bitbucket"),
        features=(F.COMMITS.value, F.ISSUE_BASIC.value),
        required_field="repo",
        config_schema=(
            _text(
                "repo",
                "Repository name",
                "Repository including its owner, e.g. getsentry/sentry.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.COMMITS, "Track commits and releases from the linked repository."),
            (F.ISSUE_BASIC, "Create Bitbucket issues from Sentry, or link existing ones."),
        ),
    ),
    Plugin(
        slug="clubhouse",
        title="Clubhouse",
        short_name="Clubhouse",
        description=(
            "Create Clubhouse stories from Sentry issues, or link issues to existing "
            "stories. Clubhouse is now Shortcut; use the Shortcut integration instead."
        ),
        resource_links=_links("clubhouse"),
        features=_ISSUE_FEATURES,
        required_field="token",
        config_schema=(
            _text(
                "token",
                "API token",
                "Found in your Clubhouse account settings, under API Tokens.",
            ),
            _int("project", "Project ID", "Numeric ID of the project new stories go to.", low=1),
        ),
        deprecation_date=datetime.date(2022, 4, 30),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.ISSUE_BASIC, "Create Clubhouse stories from Sentry issues, or link existing ones."),
        ),
    ),
    Plugin(
        slug="github",
        title="GitHub",
        short_name="GitHub",
        description=(
            "Link a GitHub repository to the project to create and link GitHub issues from "
            "Sentry. For commit tracking across the organization, install the GitHub "
            "integration instead."
        ),
        resource_links=_links("github"),
        features=(F.COMMITS.value, F.ISSUE_BASIC.value),
        required_field="repo",
        config_schema=(
            _text(
                "repo",
                "Repository name",
                "Repository including its owner, e.g. getsentry/sentry.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.COMMITS, "Add commit data from the repository to your releases."),
            (F.ISSUE_BASIC, "Create GitHub issues from Sentry, or link existing issues."),
        ),
    ),
    Plugin(
        slug="gitlab",
        title="GitLab",
        short_name="GitLab",
        description=(
            "Link a GitLab repository to the project to create and link GitLab issues from "
            "Sentry, on gitlab.com or your own GitLab server."
        ),
        resource_links=_links("gitlab"),
        features=(F.COMMITS.value, F.ISSUE_BASIC.value),
        required_field="gitlab_url",
        config_schema=(
            _url(
                "gitlab_url",
                "GitLab URL",
                "URL of your GitLab server, e.g. https://gitlab.example.com.",
                default="https://gitlab.com",
            ),
            _text("gitlab_token", "Access token", "A GitLab personal access token with api scope."),
            _text(
                "gitlab_repo",
                "Repository name",
                "Repository including its owner, e.g. getsentry/sentry.",
            ),
            _text(
                "gitlab_labels",
                "Issue labels",
                "Labels added to every new issue, comma-separated, e.g. high, bug.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.COMMITS, "Resolve Sentry issues from commits that mention 'Fixes PROJ-ID'."),
            (F.ISSUE_BASIC, "Create GitLab issues from Sentry, or link existing issues."),
        ),
    ),
    Plugin(
        slug="heroku",
        title="Heroku",
        short_name="Heroku",
        description=(
            "Track Heroku releases: a release webhook tells Sentry about each deploy and "
            "associates the deployed commit with the project's repository."
        ),
        resource_links=_links("heroku"),
        features=(F.DEPLOYMENT.value,),
        required_field="repository",
        config_schema=(
            _text(
                "repository",
                "Repository",
                "Name of the organization repository deploys are associated with.",
            ),
            _text(
                "environment",
                "Deploy environment",
                "Environment name recorded for Heroku deploys.",
                default="production",
            ),
            _text(
                "webhook_secret",
                "Webhook secret",
                "Signing secret shown after adding the release webhook with the Heroku CLI.",
            ),
        ),
        feature_descriptions=(
            (F.DEPLOYMENT, "Record a release and deploy for each Heroku release."),
        ),
    ),
    Plugin(
        slug="jira",
        title="Jira",
        short_name="Jira",
        description=(
            "Create and link Jira issues from Sentry using a Jira user's credentials. The "
            "Jira integration replaces this plugin with two-way sync."
        ),
        resource_links=_links("jira"),
        features=_ISSUE_FEATURES,
        required_field="username",
        config_schema=(
            _url(
                "instance_url",
                "Jira instance URL",
                "e.g. https://jira.example.com; it must be reachable from this server.",
            ),
            _text(
                "username",
                "Username / email",
                "The Jira user needs permission to create issues in the project.",
            ),
            _text("password", "Password / API token", "Stored as entered; use an API token."),
            _text("default_project", "Linked project", "Key of the Jira project, e.g. OPS."),
            _text(
                "ignored_fields",
                "Ignored fields",
                "Comma-separated Jira fields hidden from the create form, e.g. components, "
                "security.",
            ),
            _bool(
                "auto_create",
                "Create Jira tickets automatically",
                "Create a Jira ticket for every new issue in the project.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.ISSUE_BASIC, "Create Jira issues from Sentry, or link existing ones."),
        ),
    ),
    Plugin(
        slug="opsgenie",
        title="OpsGenie",
        short_name="OpsGenie",
        description=(
            "Trigger alerts in Opsgenie from Sentry. Opsgenie provides alerting, on-call "
            "schedules and escalations so the right people are notified."
        ),
        resource_links=_links("opsgenie"),
        features=(F.INCIDENT_MANAGEMENT.value, F.ALERT_RULE.value),
        required_field="api_key",
        config_schema=(
            _text("api_key", "API key", "Opsgenie API key used to authenticate requests."),
            _url(
                "alert_url",
                "Opsgenie alert URL",
                "Alert API endpoint; use https://api.eu.opsgenie.com/v2/alerts for EU accounts.",
                default="https://api.opsgenie.com/v2/alerts",
            ),
            _text(
                "recipients",
                "Recipients",
                "User names of individual users or teams, comma-separated.",
            ),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (F.INCIDENT_MANAGEMENT, "Manage incidents and outages by sending alerts to Opsgenie."),
            _ALERT,
        ),
    ),
    Plugin(
        slug="pagerduty",
        title="PagerDuty",
        short_name="PagerDuty",
        description=(
            "Send alerts to PagerDuty and open an incident for each new issue, with an "
            "optional per-tag routing to other services."
        ),
        resource_links=_links("pagerduty"),
        features=(F.INCIDENT_MANAGEMENT.value, F.ALERT_RULE.value),
        required_field="service_key",
        config_schema=(
            _text(
                "service_key",
                "Service key",
                "Integration key of the PagerDuty service for Sentry.",
            ),
            _text(
                "routes",
                "Tag routing",
                "One route per line as 'tag, value, integration key', e.g. "
                "environment, production, KEY1. The first matching line wins.",
            ),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (F.INCIDENT_MANAGEMENT, "Manage incidents and outages by sending alerts to PagerDuty."),
            _ALERT,
        ),
    ),
    Plugin(
        slug="phabricator",
        title="Phabricator",
        short_name="Phabricator",
        description=(
            "Create Maniphest tasks in Phabricator from Sentry issues, or link issues to "
            "existing tasks."
        ),
        resource_links=_links("phabricator"),
        features=_ISSUE_FEATURES,
        required_field="host",
        config_schema=(
            _url("host", "Host", "e.g. https://phabricator.example.com"),
            _text(
                "token",
                "Conduit API token",
                "Generate one in your Phabricator account settings.",
            ),
            _text(
                "username",
                "Username",
                "Only for certificate authentication; not needed with a token.",
            ),
            _text(
                "certificate",
                "Certificate",
                "Only for certificate authentication; not needed with a token.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.ISSUE_BASIC, "Create Phabricator tasks from Sentry issues, or link existing ones."),
        ),
    ),
    Plugin(
        slug="pivotal",
        title="Pivotal Tracker",
        short_name="Pivotal",
        description=(
            "Create Pivotal Tracker stories from Sentry issues, or comment on existing "
            "stories to link them."
        ),
        resource_links=_links("pivotal"),
        features=_ISSUE_FEATURES,
        required_field="token",
        config_schema=(
            _text("token", "API token", "Found on your Pivotal Tracker profile page."),
            _int("project", "Project ID", "Numeric ID of the Tracker project.", low=1),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.ISSUE_BASIC, "Create Pivotal Tracker stories from Sentry, or link existing ones."),
        ),
    ),
    Plugin(
        slug="pushover",
        title="Pushover",
        short_name="Pushover",
        description=(
            "Get Sentry alerts as push notifications on Android, iPhone, iPad and desktop "
            "through Pushover."
        ),
        resource_links=_links("pushover"),
        features=(F.MOBILE.value, F.ALERT_RULE.value),
        required_field="apikey",
        config_schema=(
            _text("userkey", "User key", "Your Pushover user key."),
            _text("apikey", "API key", "Token of the Pushover application sending the alerts."),
            ConfigField(
                "priority",
                "choice",
                "Message priority",
                "Emergency messages repeat until acknowledged.",
                (
                    ("-2", "Lowest"),
                    ("-1", "Low"),
                    ("0", "Normal"),
                    ("1", "High"),
                    ("2", "Emergency"),
                ),
                "0",
            ),
            _int(
                "retry",
                "Retry (seconds)",
                "How often an emergency notification repeats; 30 to 10800.",
                low=30,
                high=10800,
            ),
            _int(
                "expire",
                "Expire (seconds)",
                "How long an emergency notification keeps repeating; 1 to 10800.",
                low=1,
                high=10800,
            ),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (F.MOBILE, "Receive notifications on your mobile device with the Pushover app."),
            _ALERT,
        ),
    ),
    Plugin(
        slug="redmine",
        title="Redmine",
        short_name="Redmine",
        description=(
            "Create Redmine issues from Sentry issues. Redmine is an open-source project "
            "management web application."
        ),
        resource_links=_links("redmine"),
        features=_ISSUE_FEATURES,
        required_field="host",
        config_schema=(
            _url("host", "Host", "e.g. https://redmine.example.com"),
            _text(
                "key",
                "API key",
                "Shown on your account page once the REST API is enabled.",
            ),
            _text("project_id", "Project ID", "Redmine project new issues are created in."),
            _int("tracker_id", "Tracker ID", "Tracker of new issues, e.g. 1 for Bug.", low=1),
            _int("default_priority", "Default priority ID", "Priority ID of new issues.", low=1),
            _text(
                "extra_fields",
                "Extra fields",
                "Extra issue attributes (custom fields, status id…) as a JSON object.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=((F.ISSUE_BASIC, "Create Redmine issues from Sentry issues."),),
    ),
    Plugin(
        slug="segment",
        title="Segment",
        short_name="Segment",
        description=(
            "Send error events to Segment, the customer data platform, as 'Error Captured' "
            "track calls attributed to the affected user."
        ),
        resource_links=_links("segment"),
        features=(F.DATA_FORWARDING.value,),
        required_field="write_key",
        config_schema=(_text("write_key", "Write key", "The write key of your Segment source."),),
        plugin_type="data-forwarding",
        feature_descriptions=((F.DATA_FORWARDING, "Forward Sentry errors to Segment."),),
    ),
    Plugin(
        slug="sessionstack",
        title="SessionStack",
        short_name="SessionStack",
        description=(
            "Watch the SessionStack recording of a user's session next to the error it "
            "produced, embedded in the issue page."
        ),
        resource_links=_links(
            "sessionstack",
            ("Documentation", "http://docs.sessionstack.com/integrations/sentry/"),
        ),
        features=(F.SESSION_REPLAY.value,),
        required_field="account_email",
        config_schema=(
            _text("account_email", "Account email", "Email of your SessionStack account."),
            _text("api_token", "API token", "API token generated in SessionStack."),
            _text("website_id", "Website ID", "ID of the website in SessionStack."),
            _url(
                "api_url",
                "SessionStack API URL",
                "Only for on-premise SessionStack.",
                default="https://api.sessionstack.com/",
            ),
            _url(
                "player_url",
                "SessionStack player URL",
                "Only for on-premise SessionStack.",
                default="http://app.sessionstack.com/player/",
            ),
        ),
        feature_descriptions=(
            (F.SESSION_REPLAY, "Watch a user's SessionStack session replay on the issue page."),
        ),
    ),
    Plugin(
        slug="slack",
        title="Slack",
        short_name="Slack",
        description=(
            "Post notifications to a Slack channel through an incoming webhook. The Slack "
            "integration offers richer, interactive alerts."
        ),
        resource_links=_links("slack"),
        features=(F.ALERT_RULE.value,),
        required_field="webhook",
        config_schema=(
            _url(
                "webhook",
                "Webhook URL",
                "Your Slack incoming webhook URL, e.g. https://hooks.slack.com/services/….",
            ),
            _text("username", "Bot name", "Name used when posting messages.", default="Sentry"),
            _url("icon_url", "Icon URL", "URL of a 32px PNG shown beside the bot; optional."),
            _text("channel", "Destination", "Optional #channel or @user overriding the webhook's."),
            _text("custom_message", "Custom message", "Optional text; Slack formatting works."),
            _bool("include_tags", "Include tags", "Include the event's tags in notifications."),
            _text(
                "included_tag_keys",
                "Included tags",
                "Only include these tags (comma-separated). Leave empty to include all.",
            ),
            _text("excluded_tag_keys", "Excluded tags", "Exclude these tags (comma-separated)."),
            _bool("include_rules", "Include rules", "Name the triggering rules in notifications."),
            _bool("exclude_project", "Exclude project name", "Leave the project name out."),
            _bool("exclude_culprit", "Exclude culprit", "Leave the culprit out."),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (
                F.ALERT_RULE,
                "Post rule-based notifications into a specific Slack channel automatically.",
            ),
        ),
    ),
    Plugin(
        slug="splunk",
        title="Splunk",
        short_name="Splunk",
        description=(
            "Send Sentry events to Splunk through its HTTP Event Collector, to search and "
            "chart errors alongside your other machine data."
        ),
        resource_links=_links(
            "splunk",
            (
                "Splunk Setup Instructions",
                "https://github.com/getsentry/sentry/blob/master/src/sentry_plugins/splunk/"
                "Splunk_Instructions.rst",
            ),
        ),
        features=(F.DATA_FORWARDING.value,),
        required_field="instance",
        config_schema=(
            _url(
                "instance",
                "Instance URL",
                "HTTP Event Collector endpoint, e.g. https://input-example.cloud.splunk.com:8088.",
            ),
            _text("index", "Index", "Splunk index events are written to.", default="main"),
            _text("source", "Source", "Source value set on each event.", default="sentry"),
            _text("token", "Token", "The HTTP Event Collector token."),
        ),
        plugin_type="data-forwarding",
        feature_descriptions=((F.DATA_FORWARDING, "Forward Sentry errors and events to Splunk."),),
    ),
    Plugin(
        slug="teamwork",
        title="Teamwork",
        short_name="Teamwork",
        description=(
            "Create Teamwork tasks from Sentry issues. Teamwork is a work and project "
            "management tool for client and team projects."
        ),
        resource_links=_links("teamwork"),
        features=_ISSUE_FEATURES,
        required_field="url",
        config_schema=(
            _url("url", "Teamwork URL", "e.g. https://example.teamwork.com"),
            _text(
                "token", "Teamwork API token", "Found under your Teamwork profile's API settings."
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=((F.ISSUE_BASIC, "Create Teamwork tasks from Sentry issues."),),
    ),
    Plugin(
        slug="trello",
        title="Trello",
        short_name="Trello",
        description=(
            "Create Trello cards from Sentry issues, or link issues to existing cards on "
            "any of your boards."
        ),
        resource_links=_links(
            "trello",
            (
                "Trello Setup Instructions",
                "https://github.com/getsentry/sentry/blob/master/src/sentry_plugins/trello/"
                "Trello_Instructions.md",
            ),
        ),
        features=_ISSUE_FEATURES,
        required_field="key",
        config_schema=(
            _text("key", "Trello API key", "Your Trello developer API key."),
            _text("token", "Trello API token", "A token generated for that API key."),
            _text(
                "organization",
                "Trello organization",
                "Optional workspace ID restricting the boards offered.",
            ),
        ),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.ISSUE_BASIC, "Create Trello cards from Sentry issues, or link existing cards."),
        ),
    ),
    Plugin(
        slug="twilio",
        title="Twilio (SMS)",
        short_name="Twilio",
        description=(
            "Get Sentry alerts as text messages. Twilio sends and receives SMS globally "
            "through its messaging API."
        ),
        author_name="Matt Robenolt",
        author_url="https://github.com/mattrobenolt",
        resource_links=_links(
            "twilio",
            (
                "Documentation",
                "https://github.com/getsentry/sentry/blob/master/src/sentry_plugins/twilio/"
                "Twilio_Instructions.md",
            ),
            ("Twilio", "https://www.twilio.com/"),
        ),
        features=(F.MOBILE.value, F.ALERT_RULE.value),
        required_field="account_sid",
        config_schema=(
            _text("account_sid", "Account SID", "From your Twilio console."),
            _text("auth_token", "Auth token", "From your Twilio console."),
            _text("sms_from", "SMS from #", "Twilio number messages are sent from, digits only."),
            _text(
                "sms_to",
                "SMS to #s",
                "Recipient phone numbers separated by commas or new lines (at most 10).",
            ),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (F.MOBILE, "Send SMS notifications to your mobile device via Twilio."),
            _ALERT,
        ),
    ),
    Plugin(
        slug="victorops",
        title="VictorOps",
        short_name="VictorOps",
        description=(
            "Trigger incidents in VictorOps (Splunk On-Call) from Sentry, with on-call "
            "routing and escalation for your teams."
        ),
        resource_links=_links("victorops"),
        features=(F.INCIDENT_MANAGEMENT.value, F.ALERT_RULE.value),
        required_field="api_key",
        config_schema=(
            _text("api_key", "API key", "The Sentry API key from your VictorOps integrations."),
            _text(
                "routing_key",
                "Routing key",
                "Routing key deciding which team is paged.",
                default="everyone",
            ),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (F.INCIDENT_MANAGEMENT, "Manage incidents and outages by sending alerts to VictorOps."),
            _ALERT,
        ),
    ),
    Plugin(
        slug="vsts",
        title="Visual Studio Team Services",
        short_name="VSTS",
        description=(
            "Create and link Visual Studio Team Services work items from Sentry issues. "
            "Replaced by the Azure DevOps integration."
        ),
        resource_links=_links("vsts"),
        features=(F.COMMITS.value, F.ISSUE_BASIC.value),
        required_field="instance",
        config_schema=(
            _text(
                "instance",
                "Instance",
                "Your account ({account}.visualstudio.com) or TFS server ({server:port}).",
            ),
            _text(
                "default_project",
                "Default project name",
                "Project used by default for new work items.",
            ),
        ),
        deprecation_date=datetime.date(2021, 9, 20),
        plugin_type="issue-tracking",
        feature_descriptions=(
            (F.COMMITS, "Add commit data from your repositories to releases."),
            (F.ISSUE_BASIC, "Create and link work items from Sentry issues."),
        ),
    ),
    Plugin(
        slug="webhooks",
        title="WebHooks",
        short_name="WebHooks",
        description=(
            "Send an HTTP POST with the issue and event to one or more URLs when an alert "
            "fires. For webhooks across many projects, an internal integration is better."
        ),
        resource_links=(
            _REPORT_ISSUE,
            (
                "View Source",
                "https://github.com/getsentry/sentry/tree/master/src/sentry/plugins/"
                "sentry_webhooks",
            ),
        ),
        features=(F.ALERT_RULE.value,),
        required_field="urls",
        config_schema=(
            _urls(
                "urls",
                "Callback URLs",
                "URLs to POST new events to, one per line (http:// or https://).",
            ),
        ),
        is_testable=True,
        plugin_type="notification",
        feature_descriptions=(
            (F.ALERT_RULE, "Send rule-based HTTP POST requests to your own endpoints."),
        ),
    ),
)

# Credentials among the plugins' settings (ConfigField.secret): masked everywhere.
SECRET_FIELDS: dict[str, frozenset[str]] = {
    "amazon-sqs": frozenset({"access_key", "secret_key"}),
    "clubhouse": frozenset({"token"}),
    "gitlab": frozenset({"gitlab_token"}),
    "heroku": frozenset({"webhook_secret"}),
    "jira": frozenset({"password"}),
    "opsgenie": frozenset({"api_key"}),
    "pagerduty": frozenset({"service_key"}),
    "phabricator": frozenset({"token"}),
    "pivotal": frozenset({"token"}),
    "pushover": frozenset({"userkey", "apikey"}),
    "redmine": frozenset({"key"}),
    "segment": frozenset({"write_key"}),
    "sessionstack": frozenset({"api_token"}),
    "slack": frozenset({"webhook"}),
    "splunk": frozenset({"token"}),
    "teamwork": frozenset({"token"}),
    "trello": frozenset({"key", "token"}),
    "twilio": frozenset({"auth_token"}),
    "victorops": frozenset({"api_key", "routing_key"}),
}


def _with_secrets(plugin: Plugin) -> Plugin:
    names = SECRET_FIELDS.get(plugin.slug, frozenset())
    unknown = names - {f.name for f in plugin.config_schema}
    if unknown:
        raise ValueError(f"{plugin.slug}: SECRET_FIELDS names unknown fields {sorted(unknown)}")
    schema = tuple(replace(f, secret=True) if f.name in names else f for f in plugin.config_schema)
    return replace(plugin, config_schema=schema)


_PLUGIN_LIST = tuple(_with_secrets(plugin) for plugin in _PLUGIN_LIST)

PLUGINS: dict[str, Plugin] = {
    plugin.slug: plugin
    for plugin in sorted(_PLUGIN_LIST, key=lambda p: (p.title.casefold(), p.slug))
}


def get_plugin(slug: str) -> Plugin | None:
    """The plugin registered under *slug*, or ``None``."""
    return PLUGINS.get(slug)


def plugins_with_configuration() -> list[Plugin]:
    """Plugins that have configuration and are not deprecated, in catalog order."""
    return [p for p in PLUGINS.values() if p.has_configuration and not p.is_deprecated]


def _has_value(value: object) -> bool:
    """A value other than ``False``, ``""`` or ``None`` (``0`` counts as a value)."""
    return not (value is None or value is False or (isinstance(value, str) and value == ""))


def is_enabled(options: Mapping[str, object]) -> bool:
    """True when the ``enabled`` option is truthy."""
    return bool(options.get("enabled"))


def is_configured(plugin: Plugin, options: Mapping[str, object]) -> bool:
    """True when the plugin's required option holds a value other than False, "" or None.

    A plugin without a ``required_field`` counts as configured when any option other than
    ``enabled`` holds such a value.
    """
    if plugin.required_field is not None:
        return _has_value(options.get(plugin.required_field))
    return any(_has_value(value) for key, value in options.items() if key != "enabled")
