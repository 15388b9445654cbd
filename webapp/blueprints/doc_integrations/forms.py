"""Doc-integration forms: the list filter (GET), the create/edit form with resource rows, logo
upload and delete confirmation.

The fields only parse what the browser sends; every rule (required fields, url scheme,
popularity bounds, resource rows, feature ids, publish rule) lives in
`webapp.services.doc_integrations.validate_doc_integration`, shared with the API and load-data.
"""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: not in types-WTForms 3.2
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import messages
from webapp.blueprints.common import apply_field_errors
from webapp.blueprints.filters import FilterForm, ListFilterForm, service_rule
from webapp.catalog.features import FEATURES
from webapp.services.doc_integrations import (
    DEFAULT_SORT,
    STATES,
    DocIntegrationFilters,
    LogoRejected,
    sort_error,
    state_error,
)
from webapp.services.errors import ValidationFailed


class DocIntegrationFilterForm(FilterForm):
    """The list's filters, for the page, its CSV export and the API: `q` (name, slug or
    author; the API's `query` too), `state` (staff only), `sort`; `filters()` once validated."""

    q = StringField("Search", render_kw={"placeholder": "Name, slug or author", "type": "search"})
    state = SelectField("State", choices=[SelectChoice("", "All")] + [SelectChoice(s, s.capitalize()) for s in STATES],
                        validate_choice=False, validators=[service_rule(state_error)])
    sort = HiddenField("Sort", validators=[service_rule(sort_error)])

    @classmethod
    def prepare_args(cls, args):
        """The API's `query` (Sentry's name for the search) is read before `q`."""
        if not args.get("query"):
            return args
        prepared = MultiDict(args)
        prepared.setlist("q", args.getlist("query") + args.getlist("q"))
        return prepared

    def filters(self) -> DocIntegrationFilters:
        """The valid filters (after `validate()`): a refused state or sort is left out, so
        the page still lists beside the message."""
        return DocIntegrationFilters(
            q=(self.q.data or "").strip() or None,
            state=None if self.state.errors else (self.state.data or None),
            sort=DEFAULT_SORT if self.sort.errors else (self.sort.data or DEFAULT_SORT),
        )

    def set_state_counts(self, counts: dict[str, int]) -> None:
        """Show how many rows each state choice gives (facet counts)."""
        total = sum(counts.values())
        choices = [SelectChoice("", f"All ({total:,})")] + [
            SelectChoice(s, f"{s.capitalize()} ({counts.get(s, 0):,})") for s in STATES
        ]
        if self.state.data and self.state.data not in STATES:
            choices.append(SelectChoice(self.state.data, f"{self.state.data} (unknown)"))
        self.state.choices = choices


class DocIntegrationListForm(ListFilterForm, DocIntegrationFilterForm):
    """The list page's form: the filters and the paging."""


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes posting the same name several times."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ResourceRowForm(Form):
    """One resource row: `resources-<i>-title`, `resources-<i>-url`, and its Remove button."""

    title = StringField("Title")
    url = StringField("URL")
    remove = SubmitField("Remove")


def feature_choices() -> list[SelectChoice]:
    return [SelectChoice(str(feature.id), feature.gate) for feature in FEATURES.values()]


class DocIntegrationForm(FlaskForm):
    """Create form; the edit form adds `is_draft` and `version`."""

    name = StringField("Name", description="At most 64 characters. The slug (the address) is made "
                                             "from it when the record is created and never changes.")
    author = StringField("Author", description="Who makes the integration.")
    url = StringField("URL", description="The integration's home page, starting with http:// or https://.")
    popularity = StringField("Popularity", default="1",
                             description="A whole number from 0 to 32767; leave empty for none. "
                                         "Higher numbers list first in the directory.")
    description = TextAreaField("Description", description="What it does, for the people choosing "
                                                            "integrations. Line breaks are kept.")
    features = MultiCheckboxField("Features", choices=feature_choices(), coerce=str,
                                  validate_choice=False)
    resources = FieldList(FormField(ResourceRowForm), label="Resources", min_entries=1)
    add_resource = SubmitField("Add resource row")

    def values(self) -> dict:
        """The submitted values as plain Python data for the service.

        A popularity left out of the post (not just left empty) is left out here too, so the
        service applies its default on create and keeps the stored value on edit.
        """
        values = {
            "name": self.name.data or "",
            "author": self.author.data or "",
            "description": self.description.data or "",
            "url": self.url.data or "",
            "popularity": self.popularity.data or "",
            "resources": [
                {"title": entry.form.title.data or "", "url": entry.form.url.data or ""}
                for entry in self.resources
            ],
            "features": list(self.features.data or []),
        }
        if self.popularity.raw_data == []:
            del values["popularity"]
        return values

    def apply_service_errors(self, error: ValidationFailed) -> None:
        """Put the service's errors beside the fields (save_form calls this), in the app's
        words (the API keeps Sentry's, messages.in_app_words): a resource row's beside its
        title or URL as well, the publish rule (`avatar`, the API's name) beside Draft."""
        errors = dict(error.field_errors)
        for index, fields in error.resource_rows.items():
            if index < len(self.resources.entries):
                row = self.resources.entries[index].form
                for name, row_messages in fields.items():
                    row[name].errors = list(row_messages)
        if "avatar" in errors and "is_draft" in self:
            errors["is_draft"] = errors.pop("avatar")
        errors = {name: [messages.in_app_words(m, self[name].label.text) if name in self else m
                         for m in found]
                  for name, found in errors.items()}
        apply_field_errors(self, errors)

    def removed_row(self) -> int | None:
        """The position of the row whose Remove button was pressed, if any."""
        for position, entry in enumerate(self.resources):
            if entry.form.remove.data:
                return position
        return None


class DocIntegrationEditForm(DocIntegrationForm):
    is_draft = BooleanField("Draft", description="Drafts are visible to staff only. Untick to publish "
                                                  "(a logo is required for publishing).")
    version = HiddenField("Version")

    def values(self) -> dict:
        return {**super().values(), "is_draft": bool(self.is_draft.data)}


class LogoForm(FlaskForm):
    logo = FileField("Logo image", validators=[FileRequired("Choose an image file to upload.")],
                     description="PNG, JPEG or GIF, 256 to 1024 pixels on each side, at most 1 MB.")

    def apply_service_errors(self, error: ValidationFailed) -> None:
        """A refused logo says what was uploaded against what is allowed, beside the field."""
        if isinstance(error, LogoRejected):
            self.logo.errors = [*self.logo.errors, error.explained]
        else:
            apply_field_errors(self, error.field_errors)


class ConfirmForm(FlaskForm):
    """CSRF only."""
