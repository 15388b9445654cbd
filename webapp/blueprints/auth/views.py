"""Login (throttled, safe `next`) and POST-only logout."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.blueprints.auth import bp
from webapp.blueprints.auth.forms import LoginForm
from webapp.blueprints.common import client_ip, safe_next
from webapp.extensions import db
from webapp.services.accounts import authenticate

INVALID_LOGIN = "Invalid email or password."


@bp.route("/login/", methods=["GET", "POST"])
def login():
    """Anyone: log in with email and password; follows `next` only to same-site paths."""
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("main.index")))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        throttle = current_app.extensions["login_throttle"]
        email, ip = form.email.data, client_ip()
        if throttle.is_blocked(email, ip):
            minutes = max(1, round(throttle.retry_after_seconds(email, ip) / 60))
            error = (f"Too many failed login attempts. Try again in {minutes} minute"
                     f"{'s' if minutes != 1 else ''}.")
            status = 429
        else:
            user = authenticate(email, form.password.data)
            if user is None:
                throttle.record_failure(email, ip)
                error = INVALID_LOGIN
                status = 400
            else:
                throttle.reset_account(email)
                db.session.commit()
                login_user(user, remember=form.remember.data)
                return redirect(safe_next(url_for("main.index")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout/", methods=["POST"])
@login_required
def logout():
    """Logged-in users: end the session (POST only, CSRF-checked)."""
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
