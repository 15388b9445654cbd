"""One voice for messages (issue 22): no form of the app can show one of WTForms' default
messages ("This field is required.", "Not a valid choice.", "Not a valid integer value.",
"Field must be between…"): every validator that words a message has the app's, number and
date fields are the app's own, choice fields leave the choice check to the app's rules."""

import importlib
import pkgutil

import pytest
from wtforms import DateField, DateTimeField, DecimalField, FloatField, Form, IntegerField
from wtforms.fields.choices import SelectFieldBase
from wtforms.validators import Optional

import webapp.blueprints
from webapp import messages
from webapp.blueprints.filters import DayField, WholeNumberField
from webapp.blueprints.integrations.forms import config_form_class
from webapp.blueprints.plugins.forms import settings_form_class
from webapp.catalog.plugins import PLUGINS
from webapp.catalog.providers import PROVIDERS


def app_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(webapp.blueprints.__path__, "webapp.blueprints."):
        importlib.import_module(module.name)
    found, todo = [], [Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("webapp."):
                found.append(sub)
    built = [config_form_class(p) for p in PROVIDERS.values()]
    built += [settings_form_class(p) for p in PLUGINS.values()]
    return found + built


FORMS = app_form_classes()


def unbound_fields(form_class):
    """(name, UnboundField) of every field a form class declares or inherits."""
    return [(name, getattr(form_class, name)) for name in dir(form_class)
            if hasattr(getattr(form_class, name, None), "field_class")]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_no_field_can_show_a_wtforms_default_message(form_class):
    for name, unbound in unbound_fields(form_class):
        field_class = unbound.field_class
        kwargs = unbound.kwargs
        for validator in kwargs.get("validators") or ():
            if isinstance(validator, Optional):
                continue
            if hasattr(validator, "message"):
                assert validator.message, (form_class.__name__, name, validator)
        if issubclass(field_class, (IntegerField, DecimalField, FloatField)):
            assert issubclass(field_class, WholeNumberField), (form_class.__name__, name)
        if issubclass(field_class, (DateField, DateTimeField)):
            assert issubclass(field_class, DayField), (form_class.__name__, name)
        if issubclass(field_class, SelectFieldBase):
            assert kwargs.get("validate_choice", True) is False or issubclass(
                field_class, _validating_selects()), (form_class.__name__, name)


def _validating_selects() -> tuple:
    """Select fields whose own class turns WTForms' choice check off."""
    from webapp.blueprints.filters import ChoicesFilterField
    from webapp.blueprints.integrations.forms import LastValueSelectField
    return (LastValueSelectField, ChoicesFilterField)


def test_the_guard_sees_the_forms_it_should():
    names = {form.__name__ for form in FORMS}
    assert {"LoginForm", "TokenForm", "AuditLogFilterForm", "IntegrationListForm",
            "DocIntegrationForm", "PluginConfigsFilterForm", "InstallRequestForm"} <= names
    assert len(FORMS) > len(PROVIDERS) + len(PLUGINS)
    login = next(form for form in FORMS if form.__name__ == "LoginForm")
    assert {"email", "password", "remember"} <= {name for name, _ in unbound_fields(login)}


def test_the_guard_catches_a_default_message():
    from wtforms import StringField
    from wtforms.validators import Length

    class Careless(Form):
        name = StringField("Name", validators=[Length(max=3)])

    with pytest.raises(AssertionError):
        test_no_field_can_show_a_wtforms_default_message(Careless)


@pytest.mark.parametrize("value, field, shown", [
    (None, "", "—"), ("", "x", "—"), ([], "x", "—"), ({}, "x", "—"),
    (True, "enabled", "Yes"), (False, "enabled", "No"), (0, "count", "0"),
    ("pending_deletion", "status", "Pending deletion"), ("pending_deletion", "name", "pending_deletion"),
    ("someday_soon", "status", "Someday soon"), (["a", "b"], "x", '["a", "b"]'),
])
def test_diff_values_have_one_empty_mark_and_statuses_in_words(value, field, shown):
    assert messages.shown_value(value, field) == shown


@pytest.mark.parametrize("message, shown", [
    ("This field is required.", "Name is required."),
    ("Ensure this field has no more than 64 characters.", "Name must be at most 64 characters."),
    ("Name must contain at least one letter or digit.", "Name must contain at least one letter or digit."),
])
def test_sentry_wording_reads_in_the_apps_words_on_pages(message, shown):
    assert messages.in_app_words(message, "Name") == shown


@pytest.mark.parametrize("event, shown", [
    ("INTEGRATION_REMOVE", "Integration removed"), ("SOMETHING_NEW", "Something new"),
    ("_", "_"),
])
def test_audit_events_read_in_words_those_without_a_label_too(event, shown):
    from webapp.services.audit import event_label

    assert event_label(event) == shown
