"""Saved views (SPEC §7.6): a user names the current filter set of a list and gets it back.

A view stores the list's query string without paging/format/CSRF arguments; applying it is
just a link to the list URL with that query string, so the list's own filter form validates it.
"""

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from webapp import messages
from webapp.extensions import db
from webapp.models import SavedView
from webapp.services.actors import OrgRef, UserLike
from webapp.services.errors import NotFound, ValidationFailed
from webapp.services.text import has_control_characters

# list_key → True when the list belongs to an organization (its views are kept per org).
LIST_KEYS: dict[str, bool] = {
    "integrations": True,
    "directory": True,
    "plugins": True,
    "requests": True,
    "audit": True,
    "doc_integrations": False,
}

# The list page each key belongs to (for redirects when no usable `next` was sent).
LIST_ENDPOINTS: dict[str, str] = {
    "integrations": "integrations.index",
    "directory": "directory.index",
    "plugins": "plugins.index",
    "requests": "requests.index",
    "audit": "audit.index",
    "doc_integrations": "doc_integrations.index",
}

# Arguments that describe how a page was fetched, not what the list shows.
DROPPED_ARGS = frozenset({"page", "format", "csrf_token", "next"})
NAME_MAX = 100
QUERY_STRING_MAX = 2000
VIEWS_PER_LIST_MAX = 50


def clean_query_string(query_string: str | None) -> str:
    """The query string to store: without page/format/csrf/next and empty values, order kept."""
    return clean_query_pairs(parse_qsl((query_string or "").lstrip("?"), keep_blank_values=False))


def clean_query_pairs(pairs) -> str:
    """clean_query_string of (key, value) pairs, e.g. a request's parsed args."""
    return urlencode([(k, v) for k, v in pairs if k not in DROPPED_ARGS and v != ""])


# The menu's statements, built once with bound parameters (as permissions.USER_AND_ORGANIZATIONS).
_VIEWS = (select(SavedView.id, SavedView.name, SavedView.query_string)
          .where(SavedView.user_id == bindparam("user_id"),
                 SavedView.list_key == bindparam("list_key"))
          .order_by(func.lower(SavedView.name), SavedView.id))
ORG_VIEWS = _VIEWS.where(SavedView.organization_id == bindparam("org_id"))
GLOBAL_VIEWS = _VIEWS.where(SavedView.organization_id.is_(None))


def list_saved_views(user: UserLike, org: OrgRef | None,
                     list_key: str) -> Sequence[Row[int, str, str]]:
    """The user's own views of this list, by name (1 query): of this org for org lists,
    else the views without an org, as rows (id, name, query_string)."""
    if list_key not in LIST_KEYS or not getattr(user, "is_authenticated", False):
        return []
    params = {"user_id": user.id, "list_key": list_key}
    if LIST_KEYS[list_key] and org is not None:
        return db.session.execute(ORG_VIEWS, params | {"org_id": org.id}).all()
    return db.session.execute(GLOBAL_VIEWS, params).all()


def save_view(
    user: UserLike, org: OrgRef | None, list_key: str, name: str, query_string: str
) -> SavedView:
    """Any logged-in user: name the current filters of a list. Adds the row; the caller commits.

    Field errors: an unknown list, an org list without an org, a missing, too long or already
    used name (case-insensitive), a too long query string, too many views for the list.
    """
    errors: dict[str, list[str]] = {}
    if list_key not in LIST_KEYS:
        # Its first 40 characters: the message is flashed, and the session cookie holds it.
        errors["list_key"] = [f"Unknown list: {str(list_key)[:40]}"]
    elif LIST_KEYS[list_key] and org is None:
        errors["list_key"] = ["This list belongs to an organization; open it from there."]
    name = " ".join((name or "").split())
    if not name:
        errors.setdefault("name", []).append("Name is required.")
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(f"Name must be at most {NAME_MAX} characters.")
    elif has_control_characters(name):
        errors.setdefault("name", []).append(messages.no_control_characters("Name"))
    cleaned = clean_query_string(query_string)
    if len(cleaned) > QUERY_STRING_MAX:
        errors["query_string"] = ["These filters are too long to save."]
    if errors:
        raise ValidationFailed(errors)
    org_for_row = org if LIST_KEYS[list_key] else None
    existing = list_saved_views(user, org_for_row, list_key)
    if any(view.name.casefold() == name.casefold() for view in existing):
        raise ValidationFailed({"name": [f"You already have a view named {name}."]})
    if len(existing) >= VIEWS_PER_LIST_MAX:
        raise ValidationFailed({"name": [
            f"You can keep at most {VIEWS_PER_LIST_MAX} views of this list; delete one first."
        ]})
    view = SavedView(
        user_id=user.id,
        organization_id=org_for_row.id if org_for_row is not None else None,
        list_key=list_key,
        name=name,
        query_string=cleaned,
    )
    db.session.add(view)
    try:
        db.session.flush()
    except IntegrityError:  # the same name saved at the same moment from another tab
        db.session.rollback()
        raise ValidationFailed({"name": [f"You already have a view named {name}."]}) from None
    return view


def delete_saved_view(user: UserLike, view_id: int) -> SavedView:
    """Delete one of the user's own views; anyone else's (or a missing one) is NotFound."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound("Saved view not found")
    db.session.delete(view)
    return view
