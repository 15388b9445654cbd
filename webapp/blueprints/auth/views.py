"""Login (throttled, safe `next`) and POST-only logout."""

import math

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.blueprints.auth import bp
from webapp.blueprints.auth.forms import LoginForm
from webapp.blueprints.common import client_ip, safe_next
from webapp.extensions import db
from webapp.services.accounts import authenticate
from webapp.services.login_throttle import LoginThrottled, forget_failures, start_attempt

INVALID_LOGIN = "Invalid email or password."


@bp.route("/login/", methods=["GET", "POST"])
def login():
    """Anyone: log in with email and password; follows `next` only to same-site paths."""
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("main.index")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form, error=None), status
    email, address = form.email.data, client_ip()
    try:
        start_attempt(email, address, current_app.extensions["login_limits"])
    except LoginThrottled as exc:
        return _throttled(form, exc.retry_after)
    user = authenticate(email, form.password.data)
    if user is None:
        return render_template("auth/login.html", form=form, error=INVALID_LOGIN), 400
    forget_failures(email, address)
    db.session.commit()
    login_user(user, remember=form.remember.data)
    return redirect(safe_next(url_for("main.index")))


def _throttled(form: LoginForm, retry_after: int):
    """429 with Retry-After; the same words whether or not the account exists."""
    minutes = math.ceil(retry_after / 60)  # waiting that long is enough
    error = (f"Too many failed login attempts. Try again in {minutes} minute"
             f"{'s' if minutes != 1 else ''}.")
    return (render_template("auth/login.html", form=form, error=error), 429,
            {"Retry-After": str(retry_after)})


@bp.route("/logout/", methods=["POST"])
@login_required
def logout():
    """Logged-in users: end the session (POST only, CSRF-checked)."""
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
