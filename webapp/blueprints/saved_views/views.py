"""POST /saved-views/ and /saved-views/<id>/delete/: both redirect back to a same-site `next`.

The lists live on other pages, so an error cannot re-render them here: it is flashed (with the
name the user typed) and the user goes back to the list, filters untouched.
"""

from flask import current_app, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from webapp.blueprints.common import is_safe_next
from webapp.blueprints.saved_views import bp
from webapp.blueprints.saved_views.forms import DeleteSavedViewForm, SavedViewForm
from webapp.extensions import db
from webapp.services.errors import ValidationFailed
from webapp.services.permissions import get_org_access
from webapp.services.saved_views import LIST_ENDPOINTS, delete_saved_view, save_view


def _back(target: str | None, list_key: str | None = None, org_slug: str | None = None):
    """Redirect to `next` when it is a same-site path, else to the list, else home."""
    if is_safe_next(target):
        return redirect(target)
    endpoint = LIST_ENDPOINTS.get(list_key or "")
    if endpoint and endpoint in current_app.view_functions:
        try:
            return redirect(url_for(endpoint, org_slug=org_slug) if org_slug else url_for(endpoint))
        except BuildError:  # a per-org list without an org: go home instead
            pass
    return redirect(url_for("main.index"))


@bp.route("/", methods=["POST"])
@login_required
def create():
    """Logged-in users: save the current filters of a list under a name (their own view)."""
    form = SavedViewForm()
    org_slug = (form.org.data or "").strip() or None
    if not form.validate_on_submit():
        flash("The view could not be saved: the form expired. Reload the page and try again.",
              "danger")
        return _back(form.next.data, form.list_key.data, org_slug)
    # A non-member naming an org gets the usual 404: no one learns which orgs exist.
    org = get_org_access(current_user, org_slug).organization if org_slug else None
    try:
        view = save_view(current_user, org, form.list_key.data or "", form.name.data or "",
                         form.query_string.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        messages = [m for msgs in exc.field_errors.values() for m in msgs]
        typed = " ".join((form.name.data or "").split())
        what = f"“{typed[:100]}”" if typed else "this view"
        flash(f"Could not save {what}: {' '.join(messages)}", "danger")
        return _back(form.next.data, form.list_key.data, org_slug)
    db.session.commit()
    flash(f"Saved view “{view.name}” created.", "success")
    return _back(form.next.data, view.list_key, org_slug)


@bp.route("/<int:view_id>/delete/", methods=["POST"])
@login_required
def delete(view_id: int):
    """Logged-in users: delete one of their own saved views (anyone else's: 404)."""
    form = DeleteSavedViewForm()
    if not form.validate_on_submit():
        flash("The view could not be deleted: the form expired. Reload the page and try again.",
              "danger")
        return _back(form.next.data)
    view = delete_saved_view(current_user, view_id)
    name = view.name
    db.session.commit()
    flash(f"Saved view “{name}” deleted.", "success")
    return _back(form.next.data)
