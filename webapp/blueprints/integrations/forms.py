"""Forms of the integrations pages: the GET filter form and the per-provider config form.

The filter form only renders the fields and validates paging; the filter values themselves
are validated by `services.integrations.parse_integration_filters` (one rule for the page
and the API), whose field errors the view attaches to this form.
"""

from functools import cache

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.widgets import CheckboxInput, ListWidget

try:  # WTForms ≥ 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    def SelectChoice(value, label):  # noqa: N802
        return (value, label)

from webapp.blueprints.filters import ListFilterForm
from webapp.catalog.providers import Provider
from webapp.form_fields import FastSelect


class IntegrationFilterForm(ListFilterForm):
    """GET filters of the installed-integrations list (SPEC §6.1 names)."""

    q = StringField("Search", description="Part of a name or external ID.")
    provider_key = SelectMultipleField("Provider", choices=[], validate_choice=False,
                                       widget=FastSelect(multiple=True))
    features = SelectMultipleField("Features", choices=[], validate_choice=False,
                                   description="Any of the chosen features.",
                                   widget=FastSelect(multiple=True))
    integration_type = SelectField("Type", choices=[], validate_choice=False, widget=FastSelect())
    status = SelectMultipleField("Status", choices=[], validate_choice=False,
                                 widget=FastSelect(multiple=True))
    include_config = SelectField(
        "Config column", choices=[SelectChoice("1", "Show"), SelectChoice("0", "Hide")],
        validate_choice=False, widget=FastSelect(),
    )
    sort = HiddenField()


class MultiCheckboxField(SelectMultipleField):
    """A multi-choice as a list of checkboxes (rendered by macros/forms.html render_field)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """Confirmation and action buttons: CSRF only (plus the page to return to)."""

    next = HiddenField()


# Names a schema field may not take: they would shadow the form's own attributes.
_RESERVED = set(dir(FlaskForm)) | {"version", "next", "csrf_token"}


@cache
def config_form_class(provider: Provider) -> type[FlaskForm]:
    """The config form of one provider: a field per schema entry, named as the schema's
    `name`, plus hidden `version` and `next`. Choice checks are the service's job."""
    attrs: dict[str, object] = {"version": HiddenField(), "next": HiddenField()}
    for field in provider.config_schema:
        if field.name in _RESERVED:
            raise ValueError(f"config field name {field.name!r} of {provider.key} is reserved")
        choices = [SelectChoice(value, label) for value, label in field.choices]
        if field.type == "boolean":
            attrs[field.name] = BooleanField(field.label, description=field.help)
        elif field.type == "choice":
            attrs[field.name] = SelectField(field.label, description=field.help, choices=choices,
                                            validate_choice=False)
        elif field.type == "multichoice":
            attrs[field.name] = MultiCheckboxField(field.label, description=field.help,
                                                   choices=choices, validate_choice=False)
        else:
            attrs[field.name] = StringField(field.label, description=field.help)
    return type(f"{provider.key.title().replace('_', '')}ConfigForm", (FlaskForm,), attrs)
