"""The links and furniture of list pages: query-keeping links (ArgsUrl), sortable column
headers, the result count, the pager, the saved-views menu, and the cells that rows share
(`macro_html`).

`sort_header`, `result_count`, `pager` and `saved_views_menu` are template globals
(registered in web.py), called as the Jinja macros of the same names were:
`{{ sort_header('Name', 'name', filters.sort, 'name') }}`. Laid out in Python because every
list page shows them on every request: as macros they cost ~1 M of the installed-
integrations list's 19 M instructions a request (a macro call builds a frame, a context and
its arguments), in Python ~0.1 M (bench/README.md, "The ninth stop").
Every value is escaped here (`text`).
"""

import weakref
from urllib.parse import quote, urlencode

from flask import request, url_for
from markupsafe import Markup

from webapp.csrf_tokens import csrf_token
from webapp.escaping import text
from webapp.services.saved_views import clean_query_pairs

# What a macro rendered for some arguments, per loaded template module (a reloaded template is
# a new module, with its own entries): see macro_html.
_MACRO_HTML: "weakref.WeakKeyDictionary[object, dict[tuple, str]]" = weakref.WeakKeyDictionary()
_MACRO_HTML_MAX = 256  # per template; arguments can come from the data (provider keys)


def macro_html(module, macro: str, *args) -> str:
    """What `{{ macro(*args) }}` of a template `module` (`env.get_template(name).module`)
    renders, stripped, rendered once per process and arguments: for the macros whose output
    depends on their arguments alone (status badges, provider initials) that list rows
    share. A macro call costs ~20 µs (a frame, a context, its arguments); a list page's
    rows and cards need a handful of distinct cells, on every request."""
    rendered = _MACRO_HTML.get(module)
    if rendered is None:
        rendered = _MACRO_HTML[module] = {}
    key = (macro, *args)
    html = rendered.get(key)
    if html is None:
        html = str(getattr(module, macro)(*args)).strip()
        if len(rendered) < _MACRO_HTML_MAX:
            rendered[key] = html
    return html


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


def saved_views_menu(list_key: str, views: list, org=None) -> Markup:
    """Saved views (SPEC §7.6): the user's named filter sets of this list, and "Save current
    view". Rendered on the list page itself: the links are this page's URL + the saved
    query string. Works without JavaScript: a <details> disclosure holding plain links and
    POST forms. The panel is absolutely placed against the nearest positioned ancestor, so
    it opens at the right edge of the content wherever the button wrapped to.

    `views`: rows of `services.saved_views.list_saved_views` (id, name, query_string)."""
    req = request._get_current_object()  # one proxy read (web.LOCAL_PROXY_NOTE)
    list_url = request_path()
    # From the parsed args, as the page's own links are built (ArgsUrl): repeated keys
    # grouped, a stray `%FF` kept as the text the list filters on.
    current_qs = clean_query_pairs(req.args.items(multi=True))
    here = text(req.full_path if req.query_string else req.path)
    csrf = text(csrf_token())
    field_id = text(f"saved-view-name-{list_key}")
    if views:
        items = []
        for view in views:
            current = view.query_string == current_qs
            marked = ' fw-semibold" aria-current="true"' if current else '"'
            href = text(list_url + ("?" + view.query_string if view.query_string else ""))
            name = text(view.name)
            items.append(
                '<li class="d-flex align-items-center justify-content-between gap-3 py-1">\n'
                f'  <a href="{href}" class="text-nowrap{marked}>{name}</a>\n'
                f'  <form method="post" action="{text(url_for("saved_views.delete", view_id=view.id))}"'
                ' class="d-inline">\n'
                f'    <input type="hidden" name="csrf_token" value="{csrf}">\n'
                f'    <input type="hidden" name="next" value="{here}">\n'
                '    <button type="submit" class="btn btn-link btn-sm link-danger p-0 text-nowrap">'
                '<i class="bi bi-trash" aria-hidden="true"></i> Delete'
                f'<span class="visually-hidden"> saved view {name}</span></button>\n'
                "  </form>\n</li>")
        listing = ('<ul class="list-unstyled mb-2 saved-views-list">\n'
                   + "\n".join(items) + "\n</ul>")
        count = f" ({len(views)})"
    else:
        listing = '<p class="small text-body-secondary mb-2 text-nowrap">No saved views of this list yet.</p>'
        count = ""
    help_id = f"{field_id}-help"
    described = "" if current_qs else f' aria-describedby="{help_id}"'
    help_text = "" if current_qs else (
        f'\n    <p class="form-text small mt-0 mb-2" id="{help_id}">No filters are set: this '
        "view would show the whole list.</p>")
    return Markup(
        '<details class="saved-views">\n'
        '  <summary class="btn btn-outline-secondary btn-sm"><i class="bi bi-bookmark" '
        f'aria-hidden="true"></i> Saved views{count}</summary>\n'
        '  <div class="saved-views-panel position-absolute end-0 me-4 mt-1 p-3 bg-body border '
        'rounded shadow z-3">\n'
        f"  {listing}\n"
        f'  <form method="post" action="{text(url_for("saved_views.create"))}" '
        'class="border-top pt-2">\n'
        f'    <input type="hidden" name="csrf_token" value="{csrf}">\n'
        f'    <input type="hidden" name="list_key" value="{text(list_key)}">\n'
        f'    <input type="hidden" name="org" value="{text(org.slug) if org else ""}">\n'
        f'    <input type="hidden" name="query_string" value="{text(current_qs)}">\n'
        f'    <input type="hidden" name="next" value="{here}">\n'
        f'    <label for="{field_id}" class="form-label small mb-1">Name for the current '
        "filters</label>\n"
        f'    <input type="text" id="{field_id}" name="name" class="form-control '
        f'form-control-sm mb-2" maxlength="100" required size="32"{described}>{help_text}\n'
        '    <button type="submit" class="btn btn-primary btn-sm">Save current view</button>\n'
        "  </form>\n  </div>\n</details>")
