"""POST /saved-views/ and /saved-views/<id>/delete/: both redirect back to a same-site `next`.

The save form lives in each list's "Saved views" menu. A refused save (no name, a name
taken, filters too long, filters of no list) answers 400 with a page of its own: the form again,
the name as typed and the message beside it, and a way back to the list, filters untouched.
"""

from urllib.parse import unquote_plus

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from webapp.blueprints.common import is_safe_next, save_form
from webapp.blueprints.saved_views import bp
from webapp.blueprints.saved_views.forms import DeleteSavedViewForm, SavedViewForm
from webapp.services.permissions import get_org_access
from webapp.services.saved_views import LIST_ENDPOINTS, delete_saved_view, save_view


def _back_url(target: str | None, list_key: str | None = None, org_slug: str | None = None) -> str:
    """`next` when it is a same-site path, else the list, else home."""
    if is_safe_next(target):
        return target
    endpoint = LIST_ENDPOINTS.get(list_key or "")
    if endpoint and endpoint in current_app.view_functions:
        try:
            return url_for(endpoint, org_slug=org_slug) if org_slug else url_for(endpoint)
        except BuildError:  # a per-org list without an org: go home instead
            pass
    return url_for("main.index")


def _refused(message: str, back: str):
    """save_form's `render`: no page to show the errors on here, so flash and go back."""
    flash(message, "danger")
    return redirect(back)


@bp.route("/", methods=["POST"])
@login_required
def create():
    """Logged-in users: save the current filters of a list under a name (their own view)."""
    form = SavedViewForm()
    org_slug = (form.org.data or "").strip() or None

    def save():
        # A non-member naming an org gets the usual 404: no one learns which orgs exist.
        org = get_org_access(current_user, org_slug).organization if org_slug else None
        return save_view(current_user, org, form.list_key.data or "", form.name.data or "",
                         form.query_string.data or "")

    def render(status: int):
        back = _back_url(form.next.data, form.list_key.data, org_slug)
        # The filters in words a person reads ("q=Zürich", not "q=Z%C3%BCrich").
        filters = unquote_plus(form.query_string.data or "")
        return render_template("saved_views/save.html", form=form, back=back,
                               filters=filters), status

    return save_form(
        form, save, render=render,
        done=lambda view: (f"Saved view “{view.name}” created.",
                           _back_url(form.next.data, view.list_key, org_slug)),
    )


@bp.route("/<int:view_id>/delete/", methods=["POST"])
@login_required
def delete(view_id: int):
    """Logged-in users: delete one of their own saved views (anyone else's: 404)."""
    form = DeleteSavedViewForm()
    return save_form(
        form,
        lambda: delete_saved_view(current_user, view_id).name,  # read before the commit
        render=lambda _status: _refused("The view could not be deleted: the form expired. "
                                        "Reload the page and try again.", _back_url(form.next.data)),
        done=lambda name: (f"Saved view “{name}” deleted.", _back_url(form.next.data)),
    )
