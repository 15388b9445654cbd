"""Install-request forms: the request (POST), the queue filter (GET), Mark done (POST) and
the dismissal with its reason (POST)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2
from wtforms.validators import Length, Optional

from webapp.blueprints.filters import ListFilterForm, service_rule
from webapp.services.install_requests import (
    DEFAULT_QUEUE_STATE,
    MESSAGE_MAX_LENGTH,
    PROVIDER_TYPE_LABELS,
    QUEUE_SORTS,
    STATUS_LABELS,
    provider_type_error,
    queue_sort_error,
    queue_state_error,
    queue_type_error,
)
from webapp.services.request_resolution import REASON_MAX_LENGTH

TYPE_CHOICES = [SelectChoice(value, label) for value, label in PROVIDER_TYPE_LABELS.items()]
STATE_LABELS: dict[str, str] = {**STATUS_LABELS, "all": "All"}


def state_choices(counts: dict[str, int] | None = None) -> list[SelectChoice]:
    """Open, Done, Dismissed, All; with facet counts when given: "Done (3)"."""
    return [SelectChoice(value, f"{label} ({counts.get(value, 0)})" if counts is not None else label)
            for value, label in STATE_LABELS.items()]


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
    """GET filters of the request queue (names differ from the request form's), checked by
    the service's rules; `filters()` gives the valid ones. `state` picks open (the default),
    done, dismissed or all requests."""

    q = StringField(
        "Search",
        validators=[Optional(), Length(max=200, message="Search must be at most 200 characters.")],
    )
    kind = SelectField("Type", choices=[SelectChoice("", "Any type"), *TYPE_CHOICES],
                       validate_choice=False, validators=[service_rule(queue_type_error)])
    state = SelectField("State", choices=state_choices(), validate_choice=False,
                        validators=[service_rule(queue_state_error)])
    sort = SelectField("Sort", choices=[SelectChoice(key) for key in QUEUE_SORTS],
                       validate_choice=False, validators=[service_rule(queue_sort_error)])

    def filters(self) -> dict[str, str | None]:
        """The service's filters after `validate()`: a refused value is left out (the queue
        is still shown, the message beside its field)."""
        def valid(field):
            return None if field.errors else field.data or None

        return {"q": valid(self.q), "provider_type": valid(self.kind),
                "state": valid(self.state), "sort": valid(self.sort)}

    def is_filtered(self) -> bool:
        """The open queue is the list itself, not a filter of it."""
        return bool(self.q.data or self.kind.data
                    or self.state.data not in (None, "", DEFAULT_QUEUE_STATE))

    def label_with_counts(self, state_counts: dict[str, int]) -> None:
        """Facet counts beside each state; a refused value stays visible in its select."""
        choices = state_choices(state_counts)
        if self.state.errors and self.state.data:
            choices.append(SelectChoice(self.state.data, f"{self.state.data} (unknown)"))
        self.state.choices = choices


class ResolveForm(FlaskForm):
    """CSRF only (Mark done)."""


class DismissForm(FlaskForm):
    """The dismissal's confirmation: an optional `reason`, checked by the service (one rule
    for every caller), and the list to go back to (`next`)."""

    reason = TextAreaField(
        "Reason (optional)",
        description=f"Emailed to the requester and shown under their requests; "
        f"at most {REASON_MAX_LENGTH} characters.",
    )
    next = HiddenField()

    def __init__(self, *args, mail_configured: bool = True, **kwargs):
        """`mail_configured` False (no MAIL_SERVER): the reason is not emailed, only shown."""
        super().__init__(*args, **kwargs)
        if not mail_configured:
            self.reason.description = (f"Shown to the requester under their requests (no email: "
                                       f"mail is not configured); at most {REASON_MAX_LENGTH} "
                                       f"characters.")
