"""Install-request forms: the request (POST), the queue filter (GET), resolve buttons (POST)."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2
from wtforms.validators import Length, Optional

from webapp.blueprints.filters import ListFilterForm, service_rule
from webapp.services.install_requests import (
    MESSAGE_MAX_LENGTH,
    PROVIDER_TYPE_LABELS,
    QUEUE_SORTS,
    provider_type_error,
    queue_sort_error,
    queue_type_error,
)

TYPE_CHOICES = [SelectChoice(value, label) for value, label in PROVIDER_TYPE_LABELS.items()]


class InstallRequestForm(FlaskForm):
    """SPEC §6.1 names: provider_type, provider_slug, message. The service validates them
    (one rule for the page and the API); the form carries CSRF, keeps the values, and
    checks its type select (the API, like Sentry, answers an unknown type as an unknown
    provider)."""

    provider_type = SelectField("Type", choices=TYPE_CHOICES, validate_choice=False,
                                validators=[service_rule(provider_type_error)])
    provider_slug = StringField(
        "Provider slug",
        description="The slug shown in the directory, e.g. slack, jira or trello. "
        "“Request installation” in the directory fills it in.",
    )
    message = TextAreaField(
        "Message (optional)",
        description=f"Why your team needs it, at most {MESSAGE_MAX_LENGTH:,} characters.",
    )


class QueueFilterForm(ListFilterForm):
    """GET filters of the open-request queue (names differ from the request form's), checked
    by the service's rules; `filters()` gives the valid ones."""

    q = StringField(
        "Search",
        validators=[Optional(), Length(max=200, message="Search must be at most 200 characters.")],
    )
    kind = SelectField("Type", choices=[SelectChoice("", "Any type"), *TYPE_CHOICES],
                       validate_choice=False, validators=[service_rule(queue_type_error)])
    sort = SelectField("Sort", choices=[SelectChoice(key) for key in QUEUE_SORTS],
                       validate_choice=False, validators=[service_rule(queue_sort_error)])

    def filters(self) -> dict[str, str | None]:
        """The service's filters after `validate()`: a refused value is left out (the queue
        is still shown, the message beside its field)."""
        def valid(field):
            return None if field.errors else field.data or None

        return {"q": valid(self.q), "provider_type": valid(self.kind), "sort": valid(self.sort)}


class ResolveForm(FlaskForm):
    """CSRF only (Mark done / Dismiss)."""
