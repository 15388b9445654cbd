"""Login (local password or the company directory; throttled, safe `next`) and POST-only
logout (to the single-sign-on proxy's sign-out page for sessions the proxy opened)."""

import math

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.blueprints.auth import bp
from webapp.blueprints.auth.forms import LoginForm
from webapp.blueprints.auth.proxy import end_proxy_session
from webapp.blueprints.common import client_ip, safe_next
from webapp.extensions import db
from webapp.services.directory_login import DIRECTORY_UNAVAILABLE, DirectoryUnavailable, sign_in
from webapp.services.login_throttle import LoginThrottled, forget_failures, start_attempt

INVALID_LOGIN = "Invalid email or password."


@bp.route("/login/", methods=["GET", "POST"])
def login():
    """Anyone: log in with email and password (the directory's for its users, else the local
    one); follows `next` only to same-site paths."""
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("main.index")))
    form = LoginForm()
    if not form.validate_on_submit():
        return _render(form, None, 400 if request.method == "POST" else 200)
    email, address = form.email.data, client_ip()
    try:
        start_attempt(email, address, current_app.extensions["login_limits"])
    except LoginThrottled as exc:
        return _throttled(form, exc.retry_after)
    try:
        user = sign_in(email, form.password.data, current_app.extensions["directory_login"],
                       address)
    except DirectoryUnavailable:
        return _render(form, DIRECTORY_UNAVAILABLE, 503)
    if user is None:
        return _render(form, INVALID_LOGIN, 400)
    forget_failures(email, address)
    db.session.commit()
    login_user(user, remember=form.remember.data)
    return redirect(safe_next(url_for("main.index")))


def _render(form: LoginForm, error: str | None, status: int, headers: dict | None = None):
    page = render_template("auth/login.html", form=form, error=error,
                           directory_login=current_app.extensions["directory_login"] is not None)
    return page, status, headers or {}


def _throttled(form: LoginForm, retry_after: int):
    """429 with Retry-After; the same words whether or not the account exists."""
    minutes = math.ceil(retry_after / 60)  # waiting that long is enough
    error = (f"Too many failed login attempts. Try again in {minutes} minute"
             f"{'s' if minutes != 1 else ''}.")
    return _render(form, error, 429, {"Retry-After": str(retry_after)})


@bp.route("/logout/", methods=["POST"])
@login_required
def logout():
    """Logged-in users: end the session (POST only, CSRF-checked); a session the single-
    sign-on proxy opened goes on to the proxy's sign-out page (PROXY_LOGOUT_URL)."""
    proxy_logout_url = end_proxy_session()
    logout_user()
    if proxy_logout_url:
        return redirect(proxy_logout_url)
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
