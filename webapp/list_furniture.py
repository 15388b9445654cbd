"""The links and furniture of list pages: query-keeping links (ArgsUrl), sortable column
headers, the result count and the pager.

`sort_header`, `result_count` and `pager` are template globals (registered in web.py),
called as the Jinja macros of the same names were: `{{ sort_header('Name', 'name',
filters.sort, 'name') }}`. Laid out in Python because every list page shows them on every
request; as macros they were a tenth of the installed-integrations list's rendering (a
macro call builds a frame, a context and its arguments; the pager called ~8 of its links).
Every value is escaped here (`text`).
"""

from urllib.parse import quote, urlencode

from flask import request
from markupsafe import Markup

from webapp.escaping import text


class ArgsUrl:
    """`base` with query args kept and `changes` applied (None removes a key): the links of
    a list page (pager, sort headers, filter chips, CSV export). Each kept arg is encoded
    once per page, not once per link; the result equals `urlencode(args, doseq=True)` with
    the keys in their order."""

    def __init__(self, base: str, args) -> None:
        self.base = base
        self.encoded = {key: urlencode([(key, value) for value in values])
                        for key, values in args.lists()}

    def __call__(self, **changes) -> str:
        encoded = self.encoded
        if changes:
            encoded = dict(encoded)
            for key, value in changes.items():
                if value is None:
                    encoded.pop(key, None)
                else:
                    encoded[key] = urlencode({key: value}, doseq=True)
        query = "&".join(part for part in encoded.values() if part)
        return self.base + "?" + query if query else self.base


def request_path() -> str:
    """The path as requested, quoted as url_for would quote it."""
    req = request._get_current_object()  # one proxy read (web.LOCAL_PROXY_NOTE)
    return quote(req.script_root + req.path, safe="/:@!$&'()*+,;=~")


def request_args_url() -> ArgsUrl:
    """This request's ArgsUrl, built once per request (kept on the request object)."""
    req = request._get_current_object()
    builder = getattr(req, "_args_url", None)
    if builder is None:
        builder = req._args_url = ArgsUrl(request_path(), req.args)
    return builder


def sort_header(label: str, key: str, current_sort: str | None,
                default_sort: str | None = None) -> Markup:
    """A sortable column's <th>: aria-sort, and a link to sort by it (ascending first, then
    descending; `-key` is descending). `default_sort` is the list's order when the URL
    names none. The link keeps the other query args and goes back to page 1."""
    keys = (key, "-" + key)
    active = current_sort in keys or (not current_sort and default_sort in keys)
    descending = active and (current_sort or default_sort).startswith("-")
    next_sort = key if (not active or descending) else "-" + key
    if active:
        aria = "descending" if descending else "ascending"
        icon = f'<i class="bi bi-caret-{"down" if descending else "up"}-fill small" aria-hidden="true"></i>'
    else:
        aria = "none"
        icon = '<i class="bi bi-chevron-expand small text-body-tertiary" aria-hidden="true"></i>'
    href = text(request_args_url()(sort=next_sort, page=None))
    direction = "descending" if next_sort.startswith("-") else "ascending"
    return Markup(
        f'<th scope="col" aria-sort="{aria}">\n'
        f'  <a href="{href}" class="sort-link text-reset text-decoration-none">\n'
        f"    {text(label)}\n    {icon}\n"
        f'    <span class="visually-hidden">(sort {direction})</span>\n  </a>\n</th>')


def result_count(page, noun: str = "result", nouns: str | None = None) -> Markup:
    """"Showing 26–50 of 1,234 installations" (or "No installations") above a table."""
    plural = nouns or noun + "s"
    if page.total == 0:
        words = f"No {text(plural)}"
    else:
        words = (f"Showing {page.first_index}&ndash;{page.last_index} of {page.total:,} "
                 f"{text(noun if page.total == 1 else plural)}")
    return Markup(f'<p class="text-body-secondary small mb-2 result-count">\n  {words}\n</p>')


def pager(page, label: str = "Pages") -> Markup:
    """Previous, the page numbers around this one (… where some are left out), Next; each
    link keeps the other query args; the current page has aria-current. Nothing when the
    list fits on one page."""
    if page.pages <= 1:
        return Markup("")
    link = request_args_url()
    items = [_pager_step("Previous", "prev", page.page - 1 if page.has_prev else None, link)]
    for number in page.window():
        if number is None:
            items.append('<li class="page-item disabled"><span class="page-link">&hellip;</span></li>')
        elif number == page.page:
            items.append('<li class="page-item active"><span class="page-link" '
                         f'aria-current="page">{number}</span></li>')
        else:
            items.append(f'<li class="page-item"><a class="page-link" '
                         f'href="{text(link(page=number))}">{number}</a></li>')
    items.append(_pager_step("Next", "next", page.page + 1 if page.has_next else None, link))
    return Markup(f'<nav aria-label="{text(label)}">\n'
                  '  <ul class="pagination pagination-sm mb-0">\n    '
                  + "\n    ".join(items) + "\n  </ul>\n</nav>")


def _pager_step(word: str, rel: str, number: int | None, link: ArgsUrl) -> str:
    """Previous / Next: a link to `number`, or a disabled item when there is none."""
    if number is None:
        return f'<li class="page-item disabled"><span class="page-link">{word}</span></li>'
    return (f'<li class="page-item"><a class="page-link" href="{text(link(page=number))}" '
            f'rel="{rel}">{word}</a></li>')
