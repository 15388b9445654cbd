"""The trusted single-sign-on proxy's login, checked before each request when
TRUSTED_PROXY_AUTH is on (the rules: services/proxy_login.py)."""

from flask import Flask, current_app, flash, redirect, request, session
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from webapp import messages
from webapp.blueprints.common import client_ip
from webapp.extensions import db
from webapp.services.proxy_login import TrustedProxy, sign_in_from_proxy

# The session's record that the proxy logged it in: the identity's key (ProxyIdentity.key).
PROXY_SESSION_KEY = "sso_proxy"
# Files and the load balancer's health check log nobody in.
SKIPPED_ENDPOINTS = frozenset({"static", "bootstrap.static", "main.healthz"})


def register_trusted_proxy(app: Flask) -> None:
    """Check the proxy's headers before each request, when TRUSTED_PROXY_AUTH is on."""
    if app.extensions.get("trusted_proxy") is not None:
        app.before_request(log_in_from_proxy)


def trusted_proxy() -> TrustedProxy | None:
    return current_app.extensions.get("trusted_proxy")


def direct_peer() -> str | None:
    """The address that opened the connection, as the WSGI server saw it: before ProxyFix
    (PROXY_FIX_X_FOR) replaced REMOTE_ADDR with an X-Forwarded-For value, which anyone can
    write."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or request.environ
    return original.get("REMOTE_ADDR")


def log_in_from_proxy() -> Response | None:
    """Before each request: when the trusted proxy names a user, the session is theirs
    (logged in at first sight and again when the proxy names someone else or other groups;
    a user the app refuses is logged out). When it names someone other than the session's
    user, that session ends (its CSRF token too) and a POST is not run: 303 to its URL.
    Requests with an API token are left to the API."""
    proxy = trusted_proxy()
    if proxy is None or request.endpoint in SKIPPED_ENDPOINTS \
            or "Authorization" in request.headers:
        return None
    identity = proxy.identity(direct_peer(), request.headers.get)
    if identity is None:
        return None
    if current_user.is_authenticated and session.get(PROXY_SESSION_KEY) == identity.key:
        return None
    user = sign_in_from_proxy(proxy, identity, client_ip())
    if user is None:
        db.session.rollback()
        logout_user()
        session.pop(PROXY_SESSION_KEY, None)
        return None
    db.session.commit()
    switched = current_user.is_authenticated and current_user.get_id() != str(user.id)
    if switched:
        session.clear()
    login_user(user)
    session[PROXY_SESSION_KEY] = identity.key
    if switched and request.method not in ("GET", "HEAD"):
        flash(messages.proxy_user_changed(user.email), "warning")
        here = request.full_path if request.query_string else request.path
        return redirect(request.script_root + here, 303)
    return None


def end_proxy_session() -> str | None:
    """At logout: forget that the proxy logged this session in; the proxy's sign-out URL
    when it did (else the proxy would log the next request straight back in)."""
    from_proxy = session.pop(PROXY_SESSION_KEY, None) is not None
    proxy = trusted_proxy()
    return proxy.logout_url if from_proxy and proxy is not None else None
