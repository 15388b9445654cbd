"""Saved-view forms (posted from the menu macro on each list page)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class SavedViewForm(FlaskForm):
    """Save the list's current filters under a name. Field names are stable (the macro posts them)."""

    list_key = HiddenField("List")
    org = HiddenField("Organization")  # the org slug for per-org lists; empty for global lists
    query_string = HiddenField("Filters")
    next = HiddenField()
    name = StringField("Name", render_kw={"maxlength": 100})


class DeleteSavedViewForm(FlaskForm):
    """CSRF and `next` only."""

    next = HiddenField()
