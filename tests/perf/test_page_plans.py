"""Every page plan returns exactly the rows of the plain sorted query, page by page.

`list_org_integrations` reads a page from index ranges chosen from the exact counts (one
scan, per-provider or per-status parts merged, groups laid end to end for the provider and
status sorts). Whatever plan is chosen — and each is forced here in turn — a page must hold
the same rows in the same order as `org_integrations_query(...).offset().limit()`.
Names are correlated with providers on purpose (as real names often are).
"""

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.integrations.helpers import parse_filters
from webapp.extensions import db
from webapp.models import ObjectStatus
from webapp.services import integrations as svc
from webapp.services.integrations import planner
from webapp.services.integrations.counts import status_matrix

S = ObjectStatus
PER_PAGE = 7
FILTER_SETS = [
    {},
    {"status": ["disabled"]},
    {"status": ["active", "pending_deletion"]},
    {"provider_key": ["github"]},
    {"features": ["alert-rule"], "status": ["active", "disabled"]},
    {"integration_type": "source_code_management", "status": ["pending_deletion"]},
    {"provider_key": ["jira", "vercel"], "features": ["issue-basic"]},
    {"q": "acme"},
    {"q": "acme", "provider_key": ["slack", "github"], "status": ["disabled"]},
]


@pytest.fixture
def data(org):
    other = factories.make_org(slug="other-org")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    providers = ["slack", "github", "jira", "pagerduty", "vercel", "gitlab"]
    statuses = [S.ACTIVE, S.ACTIVE, S.DISABLED, S.PENDING_DELETION, S.DELETION_IN_PROGRESS]
    for i in range(150):
        provider = providers[i % len(providers)]
        owner = ("acme", "Globex", "INITECH")[i % 3]
        # Same names on purpose (ties are broken by id), names that sort by provider, and
        # names that differ only in case (the list orders them without case, migration 0008).
        name = f"{provider.capitalize() if i % 4 == 0 else provider} {owner} {i // 12:02d}"
        integration = factories.make_integration(provider=provider, external_id=f"E{i:04d}",
                                                 name=name)
        factories.install(org, integration, status=statuses[(i * 7) % len(statuses)],
                          date_added=start + timedelta(hours=(i * 37) % 150))
        if i % 10 == 0:
            factories.install(other, integration)
    db.session.commit()
    return org


def expected_ids(org, filters, page):
    query = svc.installations_query(org, filters)
    return [row.id for row in db.session.execute(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE))]


def pages_match(org, raw, sort):
    filters = parse_filters({**raw, "sort": [sort]})
    first = svc.list_installations(org, filters, 1, PER_PAGE)
    pages = max(1, -(-first.total // PER_PAGE))
    for page in range(1, pages + 1):
        got = [oi.id for oi in svc.list_installations(org, filters, page, PER_PAGE).items]
        assert got == expected_ids(org, filters, page), (raw, sort, page)
    db.session.expunge_all()
    return first.total


@pytest.mark.parametrize("sort", svc.SORTS)
def test_the_chosen_plan_pages_like_the_plain_query(data, sort):
    for raw in FILTER_SETS:
        pages_match(data, raw, sort)


@pytest.mark.parametrize("candidate", [0, 1, 2], ids=["scan", "per-provider", "per-status"])
@pytest.mark.parametrize("sort", ["name", "-name"])
def test_every_name_order_plan_pages_like_the_plain_query(data, monkeypatch, candidate, sort):
    used = []

    def forced(matrix, matching, need):
        plans = planner._name_sort_plans(matrix, matching, need)
        plan = plans[candidate] if candidate < len(plans) else plans[0]
        used.append(plan[1][0].index)
        return plan[1]

    monkeypatch.setattr(planner, "_plan_name_sort", forced)
    for raw in FILTER_SETS:
        if "q" not in raw:
            pages_match(data, raw, sort)
    expected = (planner.INDEX_BY_NAME, planner.INDEX_BY_PROVIDER, planner.INDEX_BY_STATUS)[candidate]
    assert expected in used


@pytest.mark.parametrize("index", [planner.INDEX_BY_DATE, planner.INDEX_BY_PROVIDER, planner.INDEX_BY_STATUS])
@pytest.mark.parametrize("sort", ["date_added", "-date_added"])
def test_every_date_order_plan_pages_like_the_plain_query(data, monkeypatch, index, sort):
    monkeypatch.setattr(planner, "_plan_date_sort",
                        lambda matrix, matching, filters, need: planner.Part(None, None, index))
    for raw in FILTER_SETS:
        pages_match(data, raw, sort)


def test_pages_past_the_end_and_empty_results(data):
    filters = parse_filters({"provider_key": ["github"]})
    total = svc.facet_counts(data, filters).total
    last = svc.list_installations(data, filters, 10_000, PER_PAGE)
    assert last.page == -(-total // PER_PAGE) and last.items
    nothing = parse_filters({"provider_key": ["discord"]})
    empty = svc.list_installations(data, nothing, 3, PER_PAGE)
    assert (empty.total, empty.page, empty.items) == (0, 1, [])


def test_the_planner_prefers_bounded_plans(data):
    """The worst case decides: a narrow provider filter reads per provider, a rare status
    per status; the provider and status sorts read their groups; the date sort scans."""
    matrix = status_matrix(data, svc.IntegrationFilters())

    def plan(**raw):
        filters = parse_filters(raw)
        return {part.index for part in planner.plan_page(filters, matrix, 0, 25).parts}

    assert plan(provider_key=["github"]) == {planner.INDEX_BY_PROVIDER}
    assert plan(status=["disabled"]) == {planner.INDEX_BY_STATUS}
    assert plan(sort=["provider"]) == {planner.INDEX_BY_PROVIDER}
    assert plan(sort=["-status"]) == {planner.INDEX_BY_STATUS}
    assert plan(sort=["date_added"]) == {planner.INDEX_BY_DATE}
