"""Home, org picker, org overview and /healthz."""

from flask import current_app, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.blueprints.common import org_view
from webapp.blueprints.main import bp
from webapp.extensions import db
from webapp.services.organizations import org_overview
from webapp.services.permissions import OrgAccess
from webapp.web import DATABASE_RETRY_AFTER, note_database_unavailable, request_orgs


def org_landing_url(org_slug: str) -> str:
    """The installed-integrations page when it exists, else the org overview."""
    if "integrations.index" in current_app.view_functions:
        return url_for("integrations.index", org_slug=org_slug)
    return url_for("main.org_home", org_slug=org_slug)


@bp.route("/")
@login_required
def index():
    """Logged-in users: go to the only org, or pick one."""
    orgs = request_orgs()
    if len(orgs) == 1:
        return redirect(org_landing_url(orgs[0][0].slug))
    return render_template("main/org_picker.html", orgs=orgs)


@bp.route("/settings/<org_slug>/")
@org_view()
def org_home(access: OrgAccess):
    """Members: the org overview with counts and links to each area."""
    return render_template("main/org_home.html", counts=org_overview(access.organization))


@bp.route("/healthz")
def healthz():
    """Anyone: 200 "ok" when the database answers, 503 otherwise (plain text for monitors)."""
    plain_text = {"Content-Type": "text/plain; charset=utf-8"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        note_database_unavailable(exc)
        return "database unavailable", 503, {**plain_text, "Retry-After": str(DATABASE_RETRY_AFTER)}
    return "ok", 200, plain_text
