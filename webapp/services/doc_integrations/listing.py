"""The doc-integration list: the rules of its filters, the filtered, sorted query behind the
page, its CSV and the API, the facet counts per state, one page of rows with their features,
and the CSV rows."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import joinedload

from webapp import messages
from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
    User,
)
from webapp.services.doc_integrations.records import features_for, is_staff

STATES = ("draft", "published")
SORTS = ("name", "-name", "popularity", "-popularity", "date_added", "-date_added")
DEFAULT_SORT = "name"


def state_error(state: str | None) -> str | None:
    """Why `state` is not a state filter (None when it is one, or empty)."""
    if state and state not in STATES:
        return messages.unknown("state", state, STATES)
    return None


def sort_error(sort: str | None) -> str | None:
    """Why `sort` is not a sort order of the list (None when it is one, or empty)."""
    if sort and sort not in SORTS:
        return messages.unknown("sort", sort, SORTS)
    return None


@dataclass(frozen=True)
class DocIntegrationFilters:
    """The list's filters, valid (DocIntegrationFilterForm parses them): a search in name,
    slug and author, the state (staff only: others see published records whatever it says)
    and the sort order."""

    q: str | None = None
    state: str | None = None
    sort: str = DEFAULT_SORT

    def seen_by(self, user: User | None) -> DocIntegrationFilters:
        """The filters as they apply to `user`: the state filter is staff's alone."""
        return self if is_staff(user) else replace(self, state=None)

    def as_dict(self) -> dict[str, str]:
        """The filters that are set (a CSV export's audit entry)."""
        return {key: value for key, value in
                (("q", self.q), ("state", self.state), ("sort", self.sort)) if value}


def doc_integrations_query(user: User | None, filters: DocIntegrationFilters) -> Select:
    """The filtered, sorted select behind the list page, its CSV and the API.

    Non-staff only ever see published records (the `state` filter is then ignored).
    """
    filters = filters.seen_by(user)
    query = select(DocIntegration).where(*_conditions(user, filters.q, filters.state))
    column = {
        "name": func.lower(DocIntegration.name),  # what people expect: "beta" between "Alpha" and "Gamma"
        "popularity": DocIntegration.popularity,
        "date_added": DocIntegration.date_added,
    }[filters.sort.lstrip("-")]
    if filters.sort.startswith("-"):
        order = column.desc().nulls_last()
        tiebreak = DocIntegration.id.desc()
    else:
        order = column.asc().nulls_last()
        tiebreak = DocIntegration.id.asc()
    return query.order_by(order, tiebreak)


def _conditions(user: User | None, q: str | None, state: str | None) -> list:
    """WHERE clauses: drafts only for staff, the state filter, the search."""
    conditions: list[ColumnElement[bool]] = []
    if not is_staff(user):
        conditions.append(DocIntegration.is_draft.is_(False))
    elif state:
        conditions.append(DocIntegration.is_draft.is_(state == "draft"))
    if q:
        pattern = "%" + _escape_like(q.lower()) + "%"
        conditions.append(
            or_(
                func.lower(DocIntegration.name).like(pattern, escape="\\"),
                func.lower(DocIntegration.slug).like(pattern, escape="\\"),
                func.lower(DocIntegration.author).like(pattern, escape="\\"),
            )
        )
    return conditions


def state_counts(user: User | None, q: str | None = None) -> dict[str, int]:
    """How many records each state filter would give with this search (one query)."""
    counts = {state: 0 for state in STATES}
    rows = db.session.execute(
        select(DocIntegration.is_draft, func.count(DocIntegration.id))
        .where(*_conditions(user, q, None))
        .group_by(DocIntegration.is_draft)
    )
    for is_draft, count in rows:
        counts["draft" if is_draft else "published"] = count
    return counts


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class DocIntegrationPage:
    """One page of doc integrations with their features (pager-compatible)."""

    items: list[DocIntegration]
    total: int
    page: int
    per_page: int
    features: dict[int, list[IntegrationFeature]]
    state_counts: dict[str, int]


def fetch_doc_integrations(query: Select, offset: int, limit: int) -> list[DocIntegration]:
    """Up to `limit` rows of a list query from `offset`, each with its logo but not the image bytes."""
    return list(
        db.session.scalars(
            query.options(joinedload(DocIntegration.logo).defer(DocIntegrationLogo.data))
            .limit(limit)
            .offset(offset)
        ).unique()
    )


def list_doc_integrations(user: User | None, filters: DocIntegrationFilters, page: int = 1,
                          per_page: int = 25) -> DocIntegrationPage:
    """A page of the list (three queries: counts per state, rows with logo, features).

    `state_counts` holds how many rows each state filter gives with this search (facets);
    the page's total comes from them, so no separate count query is needed.
    """
    filters = filters.seen_by(user)
    query = doc_integrations_query(user, filters)
    counts = state_counts(user, filters.q)
    total = counts[filters.state] if filters.state else sum(counts.values())
    items = fetch_doc_integrations(query, (page - 1) * per_page, per_page)
    return DocIntegrationPage(items=items, total=total, page=page, per_page=per_page,
                              features=features_for(items) if items else {}, state_counts=counts)


def iter_doc_integrations_export(user: User | None, filters: DocIntegrationFilters):
    """All matching records with their features for CSV: yields (instance, has_logo, [ids]).

    Two queries whatever the size: the features of every match, then the rows streamed.
    """
    query = doc_integrations_query(user, filters)
    ids = query.with_only_columns(DocIntegration.id).order_by(None).subquery()
    features: dict[int, list[int]] = {}
    for target_id, feature in db.session.execute(
        select(IntegrationFeature.target_id, IntegrationFeature.feature)
        .where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
            IntegrationFeature.target_id.in_(select(ids.c.id)),
        )
        .order_by(IntegrationFeature.target_id, IntegrationFeature.feature)
    ):
        features.setdefault(target_id, []).append(feature)
    rows = db.session.execute(
        query.add_columns(DocIntegrationLogo.uuid)
        .outerjoin(DocIntegrationLogo, DocIntegrationLogo.doc_integration_id == DocIntegration.id)
        .execution_options(yield_per=500)
    )
    for instance, logo_uuid in rows:
        yield instance, logo_uuid is not None, features.get(instance.id, [])
