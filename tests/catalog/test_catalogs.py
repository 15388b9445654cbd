"""Tests of the code-defined catalogs (SPEC §4): providers, features, plugins."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from markupsafe import Markup

from webapp.catalog.features import (
    FEATURES,
    Feature,
    IntegrationFeatures,
    feature_description_text,
    parse_integration_feature,
    render_feature_description,
)
from webapp.catalog.plugins import (
    PLUGIN_TYPES,
    PLUGINS,
    Plugin,
    get_plugin,
    is_configured,
    is_enabled,
    plugins_with_configuration,
)
from webapp.catalog.providers import (
    DOMAIN_LABELS,
    DOMAINS,
    FIELD_TYPES,
    PROVIDERS,
    ConfigField,
    get_provider,
)

# -- providers (§4.1) -----------------------------------------------------------------------

CHAT = {"chat-unfurl", "alert-rule"}
SCM = {"commits", "issue-basic", "issue-sync", "stacktrace-link", "codeowners"}
JIRA = {"issue-basic", "issue-sync", "ticket-rules"}

SPEC_PROVIDERS: dict[str, tuple[str, str, set[str]]] = {
    "slack": ("Slack", "messaging", CHAT),
    "discord": ("Discord", "messaging", CHAT),
    "msteams": ("Microsoft Teams", "messaging", CHAT),
    "github": ("GitHub", "source_code_management", SCM),
    "github_enterprise": ("GitHub Enterprise", "source_code_management", SCM),
    "gitlab": ("GitLab", "source_code_management", SCM),
    "bitbucket": (
        "Bitbucket",
        "source_code_management",
        {"commits", "issue-basic", "stacktrace-link"},
    ),
    "bitbucket_server": (
        "Bitbucket Server",
        "source_code_management",
        {"commits", "stacktrace-link"},
    ),
    "vsts": ("Azure DevOps", "source_code_management", SCM | {"ticket-rules"}),
    "jira": ("Jira", "project_management", JIRA),
    "jira_server": ("Jira Server", "project_management", JIRA),
    "pagerduty": ("PagerDuty", "on_call_scheduling", {"incident-management", "alert-rule"}),
    "opsgenie": (
        "Opsgenie",
        "on_call_scheduling",
        {
            "incident-management",
            "alert-rule",
            "enterprise-incident-management",
            "enterprise-alert-rule",
        },
    ),
    "vercel": ("Vercel", "general", {"deployment"}),
    "example": (
        "Example",
        "general",
        {"commits", "issue-basic", "issue-sync", "stacktrace-link", "alert-rule"},
    ),
}


@pytest.mark.parametrize("key", sorted(SPEC_PROVIDERS))
def test_provider_matches_spec_table(key: str) -> None:
    name, domain, features = SPEC_PROVIDERS[key]
    provider = get_provider(key)
    assert provider is not None
    assert provider.key == provider.slug == key
    assert provider.name == name
    assert provider.domain == domain
    assert set(provider.feature_values) == features
    assert len(provider.features) == len(features)  # no duplicates
    assert provider.feature_values == sorted(features)
    assert all(isinstance(v, str) for v in provider.feature_values)


def test_every_spec_provider_is_registered() -> None:
    assert set(SPEC_PROVIDERS) <= set(PROVIDERS)
    assert get_provider("nope") is None


def test_domains() -> None:
    assert DOMAINS == (
        "messaging",
        "project_management",
        "source_code_management",
        "on_call_scheduling",
        "general",
    )
    assert set(DOMAIN_LABELS) == set(DOMAINS)
    assert DOMAIN_LABELS["source_code_management"] == "Source code management"
    assert all(p.domain in DOMAINS for p in PROVIDERS.values())


@pytest.mark.parametrize("provider", PROVIDERS.values(), ids=lambda p: p.key)
def test_provider_content(provider) -> None:
    assert len(provider.description) > 40
    assert 1 <= len(provider.config_schema) <= 6
    names = [f.name for f in provider.config_schema]
    assert len(names) == len(set(names)), "duplicate config field names"
    assert all(isinstance(f, ConfigField) for f in provider.config_schema)
    assert provider.source_url.startswith("https://")
    # Descriptions of features only describe features the provider has.
    assert {str(g) for g, _ in provider.feature_descriptions} <= set(provider.feature_values)


def test_provider_is_frozen_and_hashable() -> None:
    provider = PROVIDERS["slack"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        provider.name = "x"  # type: ignore[misc]
    assert hash(provider) == hash(PROVIDERS["slack"])


def test_provider_flags() -> None:
    for key in ("slack", "discord", "msteams"):
        assert PROVIDERS[key].can_disable is True
    # Installed from the vendor's marketplace, not from the directory.
    for key in ("msteams", "jira", "vercel"):
        assert PROVIDERS[key].can_add is False
        assert "externalInstall" in PROVIDERS[key].aspects
    assert PROVIDERS["github"].can_add is True


def test_jira_config_schema() -> None:
    fields = {f.name: f for f in PROVIDERS["jira"].config_schema}
    for name in ("sync_comments", "sync_forward_assignment", "sync_reverse_assignment"):
        assert fields[name].type == "boolean"
    assert fields["issues_ignored_fields"].type == "text"
    assert fields["resolution_strategy"].type == "choice"


# -- config fields ---------------------------------------------------------------------------


def _all_fields() -> list[tuple[str, ConfigField]]:
    fields = [(f"provider:{p.key}", f) for p in PROVIDERS.values() for f in p.config_schema]
    fields += [(f"plugin:{p.slug}", f) for p in PLUGINS.values() for f in p.config_schema]
    return fields


@pytest.mark.parametrize("owner,field", _all_fields(), ids=lambda x: getattr(x, "name", x))
def test_config_field_is_valid(owner: str, field: ConfigField) -> None:
    assert FIELD_TYPES == ("boolean", "text", "choice", "multichoice")
    assert field.type in FIELD_TYPES
    assert field.name and field.name.isidentifier()
    assert field.label
    assert field.help, f"{owner}.{field.name} has no help text"
    values = [value for value, _ in field.choices]
    if field.type == "choice":
        assert field.choices
        assert field.default in values
    elif field.type == "multichoice":
        assert field.choices
        assert isinstance(field.default, tuple)
        assert set(field.default) <= set(values)
    else:
        assert not field.choices
    if field.type == "boolean" and field.default is not None:
        assert isinstance(field.default, bool)
    assert len(values) == len(set(values))


def test_config_field_to_dict() -> None:
    plain = ConfigField("notes", "text", "Notes")
    assert plain.to_dict() == {"name": "notes", "type": "text", "label": "Notes", "help": ""}

    flag = ConfigField("sync", "boolean", "Sync", "Help.", default=False)
    assert flag.to_dict() == {
        "name": "sync",
        "type": "boolean",
        "label": "Sync",
        "help": "Help.",
        "default": False,
    }

    choice = ConfigField("c", "choice", "C", "H", (("a", "A"), ("b", "B")), "a")
    assert choice.to_dict()["choices"] == [["a", "A"], ["b", "B"]]
    assert choice.to_dict()["default"] == "a"

    multi = ConfigField("m", "multichoice", "M", "H", (("a", "A"), ("b", "B")), ("a", "b"))
    assert multi.to_dict()["default"] == ["a", "b"]


# -- provider features (§4.2) ----------------------------------------------------------------


def test_integration_features_values_in_spec_order() -> None:
    assert [f.value for f in IntegrationFeatures] == [
        "alert-rule",
        "chat-unfurl",
        "commits",
        "enterprise-alert-rule",
        "enterprise-incident-management",
        "incident-management",
        "issue-basic",
        "issue-sync",
        "mobile",
        "serverless",
        "ticket-rules",
        "stacktrace-link",
        "codeowners",
        "user-mapping",
        "data-forwarding",
        "session-replay",
        "deployment",
    ]
    assert IntegrationFeatures.ISSUE_BASIC == "issue-basic"
    assert str(IntegrationFeatures.ISSUE_BASIC) == "issue-basic"


@pytest.mark.parametrize(
    "raw",
    [
        "issue-basic",
        "issue_basic",
        "ISSUE_BASIC",
        "Issue-Basic",
        " issue-basic ",
        " Issue Basic ",
        "issue  basic",
        "\tISSUE_basic\n",
    ],
)
def test_parse_integration_feature_accepts_both_forms(raw: str) -> None:
    assert parse_integration_feature(raw) is IntegrationFeatures.ISSUE_BASIC


def test_parse_integration_feature_every_member() -> None:
    for member in IntegrationFeatures:
        assert parse_integration_feature(member.value) is member
        assert parse_integration_feature(member.name) is member
        assert parse_integration_feature(member.name.lower()) is member


@pytest.mark.parametrize("raw", ["", "  ", "issue", "issue-basics", "issuebasic", "-", "foo"])
def test_parse_integration_feature_rejects_unknown(raw: str) -> None:
    assert parse_integration_feature(raw) is None


# -- doc-integration features (§4.3) ---------------------------------------------------------


def test_features_ids_and_gates() -> None:
    assert list(FEATURES) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert 10 not in FEATURES
    assert all(isinstance(f, Feature) and FEATURES[f.id] is f for f in FEATURES.values())
    assert FEATURES[0].gate == "integrations-api"
    assert FEATURES[3].gate == "integrations-event-hooks"
    assert FEATURES[11].gate == "integrations-chat"
    assert FEATURES[12].gate == "integrations-session-replay"
    gates = [f.gate for f in FEATURES.values()]
    assert len(gates) == len(set(gates))


def test_feature_description_text() -> None:
    assert feature_description_text(0, "Acme") == (
        "Acme can utilize the API to pull data or update resources "
        "(with permissions granted, of course)."
    )
    assert feature_description_text(1, "Acme") == (
        "Organizations can create or link issues to another service."
    )
    assert (
        feature_description_text(7, "Acme") == "Configure alerts to trigger notifications in Acme."
    )
    # The name is inserted verbatim (no %-formatting, bold markers kept).
    assert feature_description_text(9, "100% **Viz**") == "Visualize data in 100% **Viz**."
    with pytest.raises(KeyError):
        feature_description_text(10, "Acme")


def test_render_feature_description_escapes_and_bolds() -> None:
    html = render_feature_description(0, "<script>alert(1)</script>")
    assert isinstance(html, Markup)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>utilize the API</strong>" in html
    assert str(html) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; can <strong>utilize the API</strong> to pull "
        "data or update resources (with permissions granted, of course)."
    )


def test_render_feature_description_without_bold() -> None:
    assert str(render_feature_description(11, "A & B")) == "Get notifications in A &amp; B."
    assert str(render_feature_description(3, "**x**")).startswith("**x** allows")
    with pytest.raises(KeyError):
        render_feature_description(10, "Acme")


# -- legacy plugins (§4.4) -------------------------------------------------------------------

SPEC_PLUGINS = {
    "amazon-sqs",
    "asana",
    "bitbucket",
    "clubhouse",
    "github",
    "gitlab",
    "heroku",
    "jira",
    "opsgenie",
    "pagerduty",
    "phabricator",
    "pivotal",
    "pushover",
    "redmine",
    "segment",
    "sessionstack",
    "slack",
    "splunk",
    "teamwork",
    "trello",
    "twilio",
    "victorops",
    "vsts",
    "webhooks",
}


def test_every_spec_plugin_is_registered() -> None:
    assert SPEC_PLUGINS <= set(PLUGINS)
    assert all(PLUGINS[slug].slug == slug for slug in PLUGINS)
    assert get_plugin("nope") is None
    assert get_plugin("slack") is PLUGINS["slack"]


def test_plugins_in_catalog_order() -> None:
    titles = [p.title for p in PLUGINS.values()]
    assert titles == sorted(titles, key=str.casefold)
    assert titles[0] == "Amazon SQS"


@pytest.mark.parametrize(
    "slug,required",
    [
        ("opsgenie", "api_key"),
        ("trello", "key"),
        ("webhooks", "urls"),
        ("slack", "webhook"),
        ("pagerduty", "service_key"),
        ("twilio", "account_sid"),
        ("amazon-sqs", "queue_url"),
    ],
)
def test_required_fields(slug: str, required: str) -> None:
    assert PLUGINS[slug].required_field == required


@pytest.mark.parametrize("plugin", PLUGINS.values(), ids=lambda p: p.slug)
def test_plugin_content(plugin: Plugin) -> None:
    assert plugin.title and plugin.short_name and len(plugin.description) > 40
    assert plugin.author_name and plugin.author_url.startswith("https://")
    assert plugin.resource_links
    assert all(url.startswith(("http://", "https://")) for _, url in plugin.resource_links)
    assert plugin.plugin_type in PLUGIN_TYPES
    assert plugin.features
    assert all(parse_integration_feature(f) is not None for f in plugin.features)
    assert {str(g) for g, _ in plugin.feature_descriptions} == set(plugin.features)
    names = [f.name for f in plugin.config_schema]
    assert len(names) == len(set(names))
    assert "enabled" not in names
    if plugin.required_field is not None:
        assert plugin.required_field in names
    assert not plugin.is_hidden


def test_exactly_two_deprecated_plugins() -> None:
    deprecated = {p.slug for p in PLUGINS.values() if p.is_deprecated}
    assert len(deprecated) == 2
    assert "clubhouse" in deprecated
    today = datetime.date.today()
    for slug in deprecated:
        date = PLUGINS[slug].deprecation_date
        assert date is not None and date < today


def test_plugins_with_configuration_skips_deprecated() -> None:
    listed = plugins_with_configuration()
    slugs = [p.slug for p in listed]
    assert "clubhouse" not in slugs
    assert all(not p.is_deprecated and p.has_configuration for p in listed)
    assert slugs == [p.slug for p in PLUGINS.values() if p in listed]  # catalog order
    assert len(listed) == len(PLUGINS) - 2


def test_has_configuration_and_deprecation_properties() -> None:
    bare = dataclasses.replace(PLUGINS["slack"], config_schema=(), deprecation_date=None)
    assert bare.has_configuration is False
    assert bare.is_deprecated is False
    future = dataclasses.replace(bare, deprecation_date=datetime.date(2999, 1, 1))
    assert future.is_deprecated is False


@pytest.mark.parametrize(
    "options,expected",
    [
        ({}, False),
        ({"enabled": False}, False),
        ({"enabled": None}, False),
        ({"enabled": ""}, False),
        ({"enabled": True}, True),
        ({"enabled": "1"}, True),
    ],
)
def test_is_enabled(options: dict, expected: bool) -> None:
    assert is_enabled(options) is expected


@pytest.mark.parametrize(
    "value,expected",
    [(False, False), ("", False), (None, False), ("x", True), (True, True), (0, True)],
)
def test_is_configured_required_field(value: object, expected: bool) -> None:
    plugin = PLUGINS["opsgenie"]
    assert is_configured(plugin, {"api_key": value}) is expected
    assert is_configured(plugin, {"api_key": value, "enabled": True}) is expected


def test_is_configured_ignores_other_options_when_required_field_set() -> None:
    plugin = PLUGINS["trello"]
    assert is_configured(plugin, {}) is False
    assert is_configured(plugin, {"token": "t", "enabled": True}) is False
    assert is_configured(plugin, {"key": "k"}) is True


def test_is_configured_without_required_field() -> None:
    plugin = dataclasses.replace(PLUGINS["webhooks"], required_field=None)
    assert is_configured(plugin, {}) is False
    assert is_configured(plugin, {"enabled": True}) is False
    assert is_configured(plugin, {"urls": "", "other": None, "flag": False}) is False
    assert is_configured(plugin, {"urls": "https://example.com/hook"}) is True


def test_configured_but_disabled_is_a_state() -> None:
    plugin = PLUGINS["webhooks"]
    options = {"urls": "https://example.com/hook", "enabled": False}
    assert is_configured(plugin, options) is True
    assert is_enabled(options) is False
