"""The list pipeline that every list page shares (Django admin's ChangeList, in Flask idiom).

    request.args ──> <Thing>FilterForm (GET; parses and validates the filters once)
                 ──> the area's service: one page of typed rows, the total, facet counts
                 ──> ListView: the form, the page, the filter chips and the URLs of sorting
                     and paging, handed to the template as data
                 ──> templates/<area>/index.html with macros/tables.html, pagination.html,
                     filters.html and saved_views.html: all markup, autoescaped

Python computes data here (URLs, selected state, counts); the macros render it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from flask import request
from sqlalchemy import Row

from webapp.services.saved_views import clean_query_pairs


class ArgsUrl:
    """`base` with the query args kept and `changes` applied (None removes a key): the links
    of a list page (pager, sort headers, filter chips, CSV export)."""

    def __init__(self, base: str, args) -> None:
        self.base = base
        self.args: dict[str, list[str]] = {key: list(values) for key, values in args.lists()}

    def __call__(self, **changes: Any) -> str:
        args = dict(self.args)
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = list(value) if isinstance(value, list | tuple) else [value]
        query = urlencode([(key, value) for key, values in args.items() for value in values])
        return f"{self.base}?{query}" if query else self.base


def request_path() -> str:
    """This request's path, quoted as url_for quotes it."""
    return quote(request.script_root + request.path, safe="/:@!$&'()*+,;=~")


def url_with_args(**changes: Any) -> str:
    """This page's URL with its query args kept and `changes` applied (a template global)."""
    return ArgsUrl(request_path(), request.args)(**changes)


@dataclass
class Page:
    """One page of a list, with what the pager and the result count need."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def window(self, size: int = 2) -> list[int | None]:
        """Page numbers to show, None where a gap is elided."""
        shown = {1, self.pages} | set(range(self.page - size, self.page + size + 1))
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for i, n in enumerate(numbers):
            if i and n - numbers[i - 1] > 1:
                out.append(None)
            out.append(n)
        return out


@dataclass(frozen=True)
class Chip:
    """One active filter value above a list: its label and the list's URL without it."""

    label: str
    href: str


@dataclass
class ListView:
    """What a list page's template gets: the filter form, the page of rows (None when the
    filters are invalid), the chips of the active filters, and the list's sort order."""

    form: Any
    page: Page | None
    sort: str = ""
    default_sort: str = ""
    chips: list[Chip] = field(default_factory=list)
    saved_views: Sequence[Row[int, str, str]] = field(default_factory=list)

    @property
    def is_filtered(self) -> bool:
        return bool(self.chips) or bool(self.form.errors)

    @property
    def status(self) -> int:
        """The page's HTTP status: 400 while a filter value is refused (its message beside
        the field, the list shown without it or not at all), else 200. Every list page
        answers a bad filter this way; the API keeps its documented errors."""
        return 400 if self.form.errors else 200


def value_chips(label: str, name: str, values: Iterable[str], shown=lambda value: value,
                aliases: tuple[str, ...] = ()) -> list[Chip]:
    """A chip per value of a repeatable filter `name`, each linking to the list without
    that value (and back to page 1). `shown` gives a value's label; `aliases` are other
    spellings of the argument, dropped from the links."""
    values = list(values)
    drop = dict.fromkeys(aliases)
    return [Chip(f"{label}: {shown(value)}",
                 url_with_args(page=None, **drop,
                               **{name: [v for v in values if v != value] or None}))
            for value in values]


@dataclass(frozen=True)
class SavedViewsState:
    """What the saved-views menu needs of this request: the list's URL, the current
    filters as a query string, and the page to come back to."""

    list_url: str
    current_qs: str
    here: str


def saved_views_state() -> SavedViewsState:
    """The saved-views menu's view of this request (a template global)."""
    # From the parsed args, as the page's own links are built: repeated keys grouped,
    # a stray `%FF` kept as the text the list filters on.
    current_qs = clean_query_pairs(request.args.items(multi=True))
    here = request.full_path if request.query_string else request.path
    return SavedViewsState(request_path(), current_qs, here)
