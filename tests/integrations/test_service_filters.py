"""services.integrations: parsing filters, the one query, facets, pages (SQLite and PostgreSQL)."""

import itertools

import pytest

from tests import factories
from tests.integrations.helpers import ROWS, VISIBLE, bulk_install, oracle, parse_filters, seed
from webapp.catalog.features import IntegrationFeatures
from webapp.models import ObjectStatus
from webapp.services import integrations as svc
from webapp.services.errors import ValidationFailed


def names(page):
    return [oi.name for oi in page.items]


def listed(org, **raw):
    filters = parse_filters({k: v if isinstance(v, list) else [v] for k, v in raw.items()})
    return svc.list_installations(org, filters, 1, 100)


# -- parsing ---------------------------------------------------------------------------------


def test_parse_accepts_values_names_and_api_aliases():
    filters = parse_filters({
        "q": ["  slack "], "providerKey": ["slack"], "provider_key": ["github", "slack"],
        "features": ["issue_basic", "Alert Rule", "COMMITS", "issue-basic"],
        "integrationType": ["messaging"], "status": ["active", "PENDING_DELETION"],
        "includeConfig": ["0"], "sort": ["-date_added"],
    })
    assert filters.q == "slack"
    assert filters.provider_keys == ("github", "slack")
    assert filters.features == (IntegrationFeatures.ISSUE_BASIC, IntegrationFeatures.ALERT_RULE,
                                IntegrationFeatures.COMMITS)
    assert filters.integration_type == "messaging"
    assert filters.statuses == (ObjectStatus.ACTIVE, ObjectStatus.PENDING_DELETION)
    assert filters.include_config is False
    assert filters.sort == "-date_added"


def test_parse_defaults_and_empty_values():
    filters = parse_filters({"q": [""], "features": [""], "status": [""],
                                             "integration_type": [""], "sort": [""]})
    assert filters == svc.IntegrationFilters()
    assert not filters.is_filtered()
    assert filters.sort == "name" and filters.include_config is True


@pytest.mark.parametrize("raw, field, message", [
    ({"features": ["nope"]}, "features", "Unknown feature: nope"),
    ({"integration_type": ["chat"]}, "integration_type", "Invalid integration type"),
    ({"integrationType": ["chat"]}, "integration_type", "Invalid integration type"),
    ({"status": ["deletion_in_progress"]}, "status", "Unknown status: deletion_in_progress"),
    ({"status": ["gone"]}, "status", "Unknown status: gone"),
    ({"provider_key": ["myspace"]}, "provider_key", "Unknown provider: myspace"),
    ({"include_config": ["maybe"]}, "include_config", "Must be 1 (show) or 0 (hide)."),
    ({"sort": ["external_id"]}, "sort", "Unknown sort: external_id"),
    ({"q": ["x" * 201]}, "q", "Search text must be at most 200 characters."),
    ({"q": ["a\x00b"]}, "q", "Search text cannot contain control characters."),
])
def test_parse_rejects_bad_values_with_field_errors(raw, field, message):
    with pytest.raises(ValidationFailed) as info:
        parse_filters(raw)
    assert any(m.startswith(message) for m in info.value.field_errors[field])


def test_parse_reports_every_bad_field_at_once():
    with pytest.raises(ValidationFailed) as info:
        parse_filters({"features": ["issue-basic", "x", "y"], "integration_type": ["z"]})
    assert info.value.field_errors["features"] == ["Unknown feature: x", "Unknown feature: y"]
    assert info.value.field_errors["integration_type"] == ["Invalid integration type"]


# -- every filter alone and combined --------------------------------------------------------


@pytest.fixture
def data(org):
    other = factories.make_org(slug="other")
    seed(org, other)
    return org


def test_default_list_shows_visible_rows_by_name_never_deletion_in_progress_or_other_orgs(data):
    page = listed(data)
    assert names(page) == sorted(r[0] for r in VISIBLE)
    assert page.total == len(VISIBLE) == 8
    assert "Theta Slack" not in names(page)
    assert not any(n.startswith("Other Org") for n in names(page))


@pytest.mark.parametrize("raw, expected", [
    ({"q": "slack"}, ["Alpha Slack"]),                       # name, case-insensitive
    ({"q": "GH-BETA"}, ["Beta GitHub"]),                     # external id
    ({"q": "team_"}, ["Epsilon Vercel"]),                    # "_" is literal, not a wildcard
    ({"q": "%"}, []),                                        # "%" is literal too
    ({"provider_key": ["slack", "jira"]}, ["Alpha Slack", "Gamma Jira"]),
    ({"providerKey": "github"}, ["Beta GitHub"]),
    ({"features": "issue_basic"}, ["Beta GitHub", "Eta Example", "Gamma Jira", "Zeta GitLab"]),
    ({"features": ["deployment", "incident-management"]}, ["Delta PagerDuty", "Epsilon Vercel"]),
    ({"features": "mobile"}, []),                            # a real feature nobody has
    ({"integration_type": "messaging"}, ["Alpha Slack", "Iota Teams"]),
    ({"integration_type": "general"}, ["Epsilon Vercel", "Eta Example"]),
    ({"status": "disabled"}, ["Gamma Jira", "Zeta GitLab"]),
    ({"status": ["pending_deletion", "active"]},
     ["Alpha Slack", "Beta GitHub", "Delta PagerDuty", "Epsilon Vercel", "Eta Example", "Iota Teams"]),
    ({"features": "issue-sync", "status": "active"}, ["Beta GitHub", "Eta Example"]),
    ({"features": "commits", "integration_type": "source_code_management", "status": "disabled"},
     ["Zeta GitLab"]),
    ({"q": "a", "provider_key": ["slack", "github", "jira"], "status": "active"},
     ["Alpha Slack", "Beta GitHub"]),
    ({"provider_key": "slack", "integration_type": "project_management"}, []),
])
def test_each_filter_alone_and_combined(data, raw, expected):
    assert names(listed(data, **raw)) == expected


FILTER_VALUES = {
    "q": ["", "a", "ex"],
    "providers": [(), ("slack", "github", "jira"), ("example",)],
    "features": [(), ("issue-basic",), ("alert-rule", "deployment")],
    "integration_type": [None, "source_code_management", "messaging"],
    "statuses": [(), ("active",), ("disabled", "pending_deletion")],
}


def test_every_combination_matches_the_oracle_and_the_facets(data):
    """All 243 combinations: rows, total, and each facet count against a Python reading."""
    for combo in itertools.product(*FILTER_VALUES.values()):
        kwargs = dict(zip(FILTER_VALUES, combo, strict=True))
        raw = {"q": [kwargs["q"]], "provider_key": list(kwargs["providers"]),
               "features": list(kwargs["features"]),
               "integration_type": [kwargs["integration_type"] or ""],
               "status": list(kwargs["statuses"])}
        filters = parse_filters(raw)
        expected = oracle(**kwargs)
        facets = svc.facet_counts(data, filters)
        page = svc.list_installations(data, filters, 1, 100, facets)
        assert names(page) == expected, kwargs
        assert facets.total == len(expected) == svc.count_installations(data, filters), kwargs
        # Each facet = the rows that choosing it would give, the other filters kept.
        for key in ("slack", "jira", "vercel"):
            assert facets.providers[key] == len(oracle(**{**kwargs, "providers": (key,)})), (kwargs, key)
        for status in ("active", "disabled", "pending_deletion"):
            assert facets.statuses[status] == len(oracle(**{**kwargs, "statuses": (status,)})), kwargs
        for domain in ("messaging", "general", "source_code_management"):
            assert facets.integration_types[domain] == len(
                oracle(**{**kwargs, "integration_type": domain})), kwargs
        for feature in ("issue-basic", "alert-rule", "deployment", "mobile"):
            assert facets.features[feature] == len(oracle(**{**kwargs, "features": (feature,)})), kwargs


def test_facets_run_one_query(data, count_queries):
    filters = parse_filters({"features": ["commits"], "status": ["active"]})
    assert data.slug  # load the org (expired by the commit) outside the count
    with count_queries() as counter:
        svc.facet_counts(data, filters)
    assert counter.count == 1


@pytest.mark.parametrize("sort, expected", [
    ("name", sorted(r[0] for r in VISIBLE)),
    ("-name", sorted((r[0] for r in VISIBLE), reverse=True)),
    ("date_added", [r[0] for r in VISIBLE]),
    ("-date_added", [r[0] for r in reversed(VISIBLE)]),
])
def test_sorts(data, sort, expected):
    assert names(listed(data, sort=sort)) == expected


def test_sort_by_provider_uses_the_provider_name_and_status_by_state(data):
    by_provider = names(listed(data, sort="provider"))
    # Azure DevOps < Example < GitHub < GitLab < Jira < Microsoft Teams < PagerDuty < Slack < Vercel
    assert by_provider == ["Eta Example", "Beta GitHub", "Zeta GitLab", "Gamma Jira", "Iota Teams",
                           "Delta PagerDuty", "Alpha Slack", "Epsilon Vercel"]
    by_status = [oi.status for oi in listed(data, sort="status").items]
    assert by_status == sorted(by_status)
    assert [oi.status for oi in listed(data, sort="-status").items] == sorted(by_status, reverse=True)


def test_features_filtered_page_is_full_when_more_rows_match(org):
    """Sentry filters features after paginating (short pages); ours filters in SQL first."""
    bulk_install(org, 90, providers=("slack", "github", "jira"), statuses=(ObjectStatus.ACTIVE,))
    filters = parse_filters({"features": ["issue-basic"]})  # github + jira: 60
    first = svc.list_installations(org, filters, 1, 25)
    second = svc.list_installations(org, filters, 2, 25)
    third = svc.list_installations(org, filters, 3, 25)
    assert first.total == 60
    assert len(first.items) == 25 and len(second.items) == 25 and len(third.items) == 10
    seen = [oi.id for oi in first.items + second.items + third.items]
    assert len(set(seen)) == 60
    assert all(oi.provider in ("github", "jira") for oi in first.items + third.items)


def test_page_past_the_end_shows_the_last_page(data):
    page = svc.list_installations(data, svc.IntegrationFilters(), 99, 3)
    assert page.page == 3 and len(page.items) == 2 and page.total == 8


def test_include_config_off_still_lists_rows(data):
    page = listed(data, include_config="0")
    assert page.total == 8


def test_iter_for_csv_streams_every_row_in_order(data):
    filters = parse_filters({"status": ["active"]})
    rows = [oi.name for oi in svc.iter_installations(data, filters, batch=2)]
    assert rows == oracle(statuses=("active",))


def test_the_rows_do_not_depend_on_insertion_order_of_other_orgs(org):
    other = factories.make_org()
    bulk_install(other, 30, prefix="Other")
    seed(org)
    assert names(listed(org)) == sorted(r[0] for r in ROWS if r[3] != ObjectStatus.DELETION_IN_PROGRESS)
