"""API plumbing: authentication, JSON errors, request bodies, Sentry-style cursor pagination."""

import re
from urllib.parse import urlencode

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from webapp.blueprints.api import bp
from webapp.extensions import csrf, db
from webapp.services.actors import UserLike
from webapp.services.errors import DomainError, StaleEdit, ValidationFailed
from webapp.services.ids import parse_id
from webapp.services.permissions import OrgAccess, get_org_access
from webapp.services.text import has_unstorable_text, is_storable_text
from webapp.services.tokens import authenticate_token_with_orgs
from webapp.web import request_orgs

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# `<value>:<offset>:<is_prev>`, ASCII digits; the OpenAPI document states the same pattern.
CURSOR_PATTERN = r"^([0-9]+):([0-9]{1,8}):([01])$"
CURSOR_RE = re.compile(CURSOR_PATTERN)
MAX_PER_PAGE = 100
# Routes anyone may read without credentials (the API description itself).
PUBLIC_ENDPOINTS = {"api.openapi_document"}
UNSTORABLE_TEXT = "Text cannot contain NUL characters or invalid Unicode."
NOT_NULL = "This field may not be null."
ETAG_RE = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


class ApiError(Exception):
    """An error answered as {"detail": message} (or a field-error dict) with `status`."""

    def __init__(self, status: int, detail: str | dict):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@bp.before_request
def authenticate():
    """Bearer token, else the session (whose unsafe methods need X-CSRFToken); else 401."""
    g.api_orgs = None  # the caller's orgs when known (members); None: ask the database
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Invalid token header. No credentials provided.")
        user, orgs = authenticate_token_with_orgs(token.strip())
        if user is None:
            db.session.rollback()
            raise ApiError(401, "Invalid token")
        session = db.session()
        if session.dirty:  # last_used moved: commit it without expiring the user just loaded
            session.expire_on_commit = False
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
        g.api_user, g.api_orgs = user, orgs
        return None
    if current_user.is_authenticated:
        if request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        g.api_user = current_user._get_current_object()
        g.api_orgs = None if g.api_user.is_privileged else request_orgs()
        return None
    raise ApiError(401, "Authentication credentials were not provided.")


def api_user() -> UserLike:
    """The caller: the token's User, or the session's `current_user` (a UserSummary)."""
    return g.api_user


def org_access(org_ref: str) -> OrgAccess:
    """The caller's OrgAccess for an org slug or numeric id (404 for non-members)."""
    access = get_org_access(api_user(), org_ref, orgs=g.get("api_orgs"))
    g.org = access.organization
    return access


def json_body() -> dict:
    """The request body as a JSON object (whatever the Content-Type says); else a 400.

    Fields holding text that cannot be stored (NUL, lone surrogates) are 400 field errors.
    """
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        raise ApiError(400, "Request body is nested too deeply.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    bad = [key for key, value in data.items() if has_unstorable_text(key) or has_unstorable_text(value)]
    if bad:
        raise ValidationFailed({key: [UNSTORABLE_TEXT] for key in bad})
    return data


def refuse_nulls(body: dict, *names: str) -> None:
    """Body fields the OpenAPI document declares non-nullable: `null` is a 400 under the
    field's name (the services read None as "not given", which the pages need)."""
    nulls = [name for name in names if name in body and body[name] is None]
    if nulls:
        raise ValidationFailed({name: [NOT_NULL] for name in nulls})


@bp.before_request
def refuse_unstorable_text():
    """NUL in the path → 404 (nothing is named so); in a query arg → 400 under its name."""
    if any(isinstance(v, str) and not is_storable_text(v) for v in (request.view_args or {}).values()):
        raise ApiError(404, "The requested resource does not exist")
    bad = sorted({key for key, values in request.args.lists()
                  if not is_storable_text(key) or not all(map(is_storable_text, values))})
    if bad:
        raise ValidationFailed({key: [UNSTORABLE_TEXT] for key in bad})


def client_ip() -> str | None:
    return request.remote_addr


def if_match_version() -> int | None:
    """The record version a write expects, from `If-Match: "<version>"` (the ETag of a GET).

    No header (or `*`) → None: the write does not check. A malformed header → 400.
    """
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    match = ETAG_RE.match(raw)
    if not match:
        raise ApiError(400, 'Invalid If-Match header: send the ETag of a GET, e.g. If-Match: "3".')
    return int(match.group(1))


def with_etag(response, version: int):
    """Attach the record's version as its ETag (send it back in If-Match to avoid lost updates)."""
    response.set_etag(str(version))
    return response



def multi_arg(*names: str) -> list[str]:
    """A repeatable query arg under any of its names (e.g. providerKey / provider_key)."""
    values: list[str] = []
    for name in names:
        values.extend(v for v in request.args.getlist(name) if v != "")
    return values


def paginate(query_total_and_items, default_per_page: int = MAX_PER_PAGE):
    """Run a paged read and answer with Sentry's Link header.

    `query_total_and_items(offset, limit)` returns (items, has_more).
    Cursor format "<value>:<offset>:<is_prev>" as Sentry's; only offset is meaningful here.
    """
    per_page = _per_page(default_per_page)
    offset = _cursor_offset()
    items, has_more = query_total_and_items(offset, per_page)
    response = jsonify(items)
    response.headers["Link"] = _link_header(offset, per_page, has_more)
    return response


def _per_page(default: int) -> int:
    """Rows per page from `per_page` (absent: `default`). Empty or out of range is a 400."""
    raw = request.args.get("per_page")
    if raw is None:
        return default
    per_page = parse_id(raw)
    if per_page is None or not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, "Invalid per_page parameter.")
    return per_page


def _cursor_offset() -> int:
    """The page's offset from `cursor` (absent: 0). An empty or malformed cursor is a 400."""
    raw = request.args.get("cursor")
    if raw is None:
        return 0
    match = CURSOR_RE.fullmatch(raw)
    if not match:
        raise ApiError(400, "Invalid cursor parameter.")
    return int(match.group(2))


def _link_header(offset: int, per_page: int, has_more: bool) -> str:
    base = request.base_url
    args = [(k, v) for k, vs in request.args.lists() for v in vs if k != "cursor"]

    def link(cursor: str, rel: str, results: bool) -> str:
        query = urlencode(args + [("cursor", cursor)])
        return (f'<{base}?{query}>; rel="{rel}"; results="{"true" if results else "false"}"; '
                f'cursor="{cursor}"')

    prev_offset = max(0, offset - per_page)
    return ", ".join([
        link(f"0:{prev_offset}:1", "previous", offset > 0),
        link(f"0:{offset + per_page}:0", "next", has_more),
    ])


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    db.session.rollback()
    body = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
    response = jsonify(body)
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@bp.errorhandler(ValidationFailed)
def validation_failed(exc: ValidationFailed):
    db.session.rollback()
    errors = dict(exc.field_errors)
    if list(errors) == ["__all__"]:
        return jsonify({"detail": " ".join(errors["__all__"])}), 400
    return jsonify(errors), 400


@bp.errorhandler(StaleEdit)
def stale_edit(exc: StaleEdit):
    """409 with what differs now: {"detail", "changes": {field: {"yours", "current"}}}."""
    db.session.rollback()
    changes = {
        field: {"yours": mine, "current": current}
        for field, (mine, current) in (exc.changes or {}).items()
    }
    return jsonify({"detail": exc.message, "changes": changes}), 409


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    db.session.rollback()
    return jsonify({"detail": exc.message or "Error"}), exc.status


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    """A session's unsafe request without a valid X-CSRFToken: 403, as Django REST framework."""
    db.session.rollback()
    detail = f"CSRF Failed: {exc.description} Send the token in the X-CSRFToken header."
    return jsonify({"detail": detail}), 403


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    db.session.rollback()
    detail: str | None = exc.description
    if exc.code == 404:
        detail = "The requested resource does not exist"
    response = jsonify({"detail": detail})
    response.status_code = exc.code or 500  # Flask hands code-less exceptions back as they are
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
