"""App-wide web wiring: user loading, error pages, security headers, template helpers, logging."""

import logging
import time
from urllib.parse import quote

from flask import Flask, g, jsonify, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import StrictUndefined
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from webapp import messages
from webapp.blueprints.listing import saved_views_state, url_with_args
from webapp.extensions import db, login_manager
from webapp.models import ObjectStatus
from webapp.services.audit import event_label
from webapp.services.errors import DomainError
from webapp.services.ids import parse_id
from webapp.services.permissions import (
    Capability,
    UserSummary,
    load_user_and_organizations,
    user_organizations,
)
from webapp.services.text import is_storable_text

log = logging.getLogger("webapp.request")

ERROR_TITLES = {
    400: "Bad request",
    401: "Login required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    429: "Too many requests",
    500: "Server error",
}

# While the database cannot serve: the seconds a client is asked to wait (Retry-After).
DATABASE_RETRY_AFTER = 30
# PostgreSQL SQLSTATE classes that mean "the database cannot serve now", not "this statement
# is wrong": 08 connection exception, 53 insufficient resources (too many connections, disk
# full), 57 operator intervention (shutdown, cannot connect now, statement timeout).
OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})
# SQLite's equivalents: the file is locked by another writer or cannot be opened.
OUTAGE_SQLITE_ERRORS = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Left nav: (label, endpoint, needs org, staff only, needs audit-log access). The nav only
# links to pages the user may open (SPEC §5: the UI hides what it would refuse).
NAV_ITEMS = (
    ("Overview", "main.org_home", True, False, False),
    ("Integrations", "integrations.index", True, False, False),
    ("Directory", "directory.index", True, False, False),
    ("Plugins", "plugins.index", True, False, False),
    ("Install requests", "requests.index", True, False, False),
    ("Integration policy", "policy.edit", True, False, False),
    ("Audit log", "audit.index", True, False, True),
    ("Doc integrations", "doc_integrations.index", False, True, False),
)


def remember_nav_org(access) -> None:
    """Keep the last org (slug, may view audit log) so pages outside an org keep its nav."""
    value = [access.organization.slug, access.can(Capability.VIEW_AUDIT_LOG)]
    if session.get("nav_org") != value:
        session["nav_org"] = value


def register_web(app: Flask) -> None:
    _register_user_loader()
    _register_error_handlers(app)
    _register_headers_and_logging(app)
    _register_template_helpers(app)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_user_loader() -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> UserSummary | None:
        if g.get("database_unavailable") is not None:
            return None  # the outage page renders without asking the database again
        record_id = parse_id(user_id)
        if record_id is None:
            return None
        user, orgs = load_user_and_organizations(record_id)
        if user is None or not user.is_active:
            return None
        if orgs is not None:  # the org switcher's and org pages' list, from the same statement
            g._request_orgs = (user.id, orgs)
        return user


def render_error(status: int, message: str | None = None, **context):
    if wants_json():
        return jsonify({"detail": message or ERROR_TITLES.get(status, "Error")}), status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES.get(status, "Error"),
            message=message,
            changes=context.pop("changes", None),
            **context,
        ),
        status,
    )


def is_database_outage(exc: Exception) -> bool:
    """Whether a database error means "the database cannot serve now" (503), rather than
    "this statement is wrong" (integrity, data, a missing table, an index limit: 500)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:  # the connection broke: server restart, backend terminated
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", "")  # psycopg's; None when it could not connect
    if sqlstate is None or sqlstate[:2] in OUTAGE_SQLSTATE_CLASSES:
        return True
    return getattr(exc.orig, "sqlite_errorname", "") in OUTAGE_SQLITE_ERRORS


def note_database_unavailable(exc: Exception) -> None:
    """Roll back, and remember for the rest of the request that the database is down: the
    user loader stops asking it, and the request's log line says why (one line, no trace)."""
    reason = getattr(exc, "orig", None) or exc
    g.database_unavailable = " ".join(str(reason).split())
    db.session.rollback()


def database_unavailable(exc: Exception):
    """The 503 answer while the database cannot serve: JSON for the API, else a standalone
    page that needs no database; both ask the client to retry later."""
    note_database_unavailable(exc)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if wants_json():
        return jsonify({"detail": "Database unavailable"}), 503, headers
    page = render_template("errors/database_unavailable.html", retry_after=DATABASE_RETRY_AFTER)
    return page, 503, headers


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, f"The form could not be submitted: {exc.description} "
                                 "Reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        changes = getattr(exc, "changes", None)
        return render_error(exc.status, exc.message or None, changes=changes)

    @app.errorhandler(StaleDataError)
    def stale_data(exc: StaleDataError):
        db.session.rollback()
        return render_error(409, "This record was changed by someone else at the same time. "
                                 "Nothing was saved; reload and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 401 and not wants_json():
            return exc
        response = render_error(exc.code, exc.description if exc.code not in (404, 500) else None)
        if isinstance(exc, MethodNotAllowed):
            body, status = response
            return body, status, {"Allow": ", ".join(exc.valid_methods or [])}
        return response

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        try:
            return render_error(500, None)
        except Exception:  # the layout itself failed: answer in plain text
            return "Server error", 500, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(sa_exc.SQLAlchemyError)
    def database_error(exc: sa_exc.SQLAlchemyError):
        """The database is down (503), or a statement failed (500, as any other error)."""
        if is_database_outage(exc):
            return database_unavailable(exc)
        return server_error(exc)


def _register_headers_and_logging(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()
        g.pop("_request_orgs", None)  # request_orgs is per request, even in a shared app context

    @app.before_request
    def refuse_nul_characters():
        """No database stores NUL in text (PostgreSQL refuses it): answer 400, never 500."""
        if request.path.startswith("/api/"):
            return None  # the API checks bodies and args itself, with JSON errors
        values = [request.path, *request.args.values()]
        if request.method in ("POST", "PUT", "PATCH"):
            values.extend(request.form.values())
        if not all(map(is_storable_text, values)):
            return render_error(400, "What you sent contains a NUL character, which cannot be "
                                     "stored. Remove it and try again.")
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static" and not request.path.startswith(
                ("/bootstrap/", "/doc-integration-logo/")):
            response.headers.setdefault("Cache-Control", "no-store")
        started = g.get("request_started")
        if started is None:
            return response
        fields = (request.method, request.full_path.rstrip("?"), response.status_code,
                  (time.perf_counter() - started) * 1000)
        outage = g.get("database_unavailable")
        if outage is not None:  # the request's one line, even in tests: no traceback
            log.warning("%s %s %s %.1fms database unavailable: %s", *fields, outage)
        elif not app.testing:
            log.info("%s %s %s %.1fms", *fields)
        return response


def request_orgs() -> list:
    """The logged-in user's `user_organizations` (org, role), loaded once per request: the
    org switcher lists them and the org pages resolve their org from them (no second query).
    Empty for an anonymous visitor."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("_request_orgs")
    if cached is None or cached[0] != current_user.id:
        cached = g._request_orgs = (current_user.id, user_organizations(current_user))
    return cached[1]


def _register_template_helpers(app: Flask) -> None:
    if app.testing:
        app.jinja_env.undefined = StrictUndefined
    app.jinja_env.globals.update(url_with_args=url_with_args,
                                 saved_views_state=saved_views_state)

    @app.context_processor
    def layout_context():
        user = current_user
        org = g.get("org")
        access = g.get("access")
        if org is not None and access is not None:
            nav_slug, may_audit = org.slug, access.can(Capability.VIEW_AUDIT_LOG)
        elif org is not None:
            nav_slug, may_audit = org.slug, bool(user.is_authenticated and user.is_privileged)
        else:
            nav_slug, may_audit = (session.get("nav_org") or [None, False])[:2]
        items = []
        if user.is_authenticated:
            current = request.endpoint or ""
            for label, endpoint, needs_org, staff_only, needs_audit in NAV_ITEMS:
                if endpoint not in app.view_functions:
                    continue
                if staff_only and not user.is_privileged:
                    continue
                if needs_audit and not may_audit:
                    continue
                if needs_org:
                    if not nav_slug:
                        continue
                    href = url_for(endpoint, org_slug=nav_slug)
                else:
                    href = url_for(endpoint)
                area = endpoint.split(".")[0]
                active = current == endpoint or (area != "main" and current.split(".")[0] == area)
                items.append({"label": label, "href": href, "active": active})
        return {
            "nav_items": items,
            "current_org": org,
            "access": g.get("access"),
            "config_endpoints": app.view_functions,
            "layout_orgs": request_orgs,
            # Pages outside an org (API tokens…) keep the nav of the last org: the switcher
            # names that org too, rather than "Choose…".
            "nav_org": (lambda: next((o for o, _ in request_orgs() if o.slug == nav_slug), None))
            if org is None and nav_slug else (lambda: org),
        }

    @app.template_filter("status_label")
    def status_label(value: int) -> str:
        return ObjectStatus.label_of(value)

    app.add_template_filter(event_label, "event_label")

    app.add_template_filter(path_segment, "path_segment")

    app.add_template_filter(format_datetime, "dt")

    @app.template_global()
    def may_view_audit_log() -> bool:
        """Whether this page's user may see audit details (IP addresses) in History sections."""
        access = g.get("access")
        if access is not None:
            return access.can(Capability.VIEW_AUDIT_LOG)
        return bool(current_user.is_authenticated and current_user.is_privileged)

    # Before/after values (diffs, conflicts) and statuses in the app's words (messages.py).
    app.add_template_filter(messages.shown_value, "audit_value")
    app.add_template_filter(messages.status_words, "status_words")


def format_datetime(value) -> str:
    """A timestamp as pages show it (the `dt` filter): 2026-11-26 14:05 UTC, or —."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else messages.EMPTY


def path_segment(value) -> str:
    """A value quoted for one segment of a URL path, "/" included (a project slug in a
    link; Jinja's `urlencode` leaves "/" as it is)."""
    return quote(str(value), safe="")
