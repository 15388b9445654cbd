"""Base classes of the GET filter forms: bound to request.args, no CSRF.

`FilterForm` is a list's filters alone (the API parses its query string with the same
class); `ListFilterForm` adds the page number and page size of an HTML list;
`ChoicesFilterField` is a repeatable filter shown as a dropdown of checkboxes.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from flask import current_app, request
from wtforms import DateField, Form, IntegerField, SelectMultipleField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2
from wtforms.validators import NumberRange, Optional, StopValidation, ValidationError

from webapp import messages

# Far past any real list (100 rows a page × 100,000 pages); larger numbers are typing errors.
MAX_PAGE = 100_000
NOT_FILTERS = ("page", "per_page", "sort", "include_config", "format")


def _whole_number_first(form, field) -> None:
    """`page=abc` already has its message ("Page must be a whole number."): stop there, so
    the range check does not add "must be between…" for a number nobody typed."""
    if field.process_errors:
        raise StopValidation()


class WholeNumberField(IntegerField):
    """An integer argument whose refusal is worded as the app's ("Page must be a whole
    number.", not WTForms' "Not a valid integer value.")."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(messages.whole_number(self.label.text)) from None


class DayField(DateField):
    """A YYYY-MM-DD argument (a date input): the last non-empty value, None when left
    empty; anything else is refused as "Enter a date as YYYY-MM-DD."."""

    def process_formdata(self, valuelist):
        values = [value.strip() for value in valuelist or () if value.strip()]
        if not values:
            self.data = None
            return
        try:
            super().process_formdata(values[-1:])
        except ValueError:
            raise ValueError(messages.DATE) from None


def known_values(known: Callable[[str], bool], what: str):
    """A validator of a repeatable filter: "Unknown <what>: <value>" for each value that
    `known` refuses (the page answers 400 with them beside the field, ListView.status)."""
    def check(form, field):
        bad = [value for value in field.data or () if value not in (None, "") and not known(value)]
        if bad:
            field.errors.extend(messages.unknown(what, value) for value in bad)
            raise StopValidation()  # the messages above; nothing more
    return check


def service_rule(error):
    """A field validator from a service's rule: `error(value)` gives a message or None."""
    def check(form, field):
        message = error(field.data)
        if message:
            raise ValidationError(message)
    return check


class FilterOption(NamedTuple):
    """One checkbox of a ChoicesFilterField's dropdown, ready to print."""

    id: str
    value: str
    label: str
    checked: bool
    facet_count: str | None  # as shown ("1,234"); None while the counts are unknown


class ChoicesFilterField(SelectMultipleField):
    """A repeatable filter (`status=active&status=disabled`), rendered by macros/filters.html
    as a `<details>` dropdown of checkboxes. Its choices carry plain labels ("Active"); the
    facet counts ("how many rows choosing it would give") are kept beside them in `counts`,
    None while they are unknown (invalid filters). Values are not checked against the
    choices here: each form names a bad value in its own validator."""

    counts: Mapping[str, int | str] | None
    pairs: list[tuple[str, str]]  # the (value, label) choices, as set_choices got them

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)
        self.counts = None
        self.pairs = []

    def set_choices(self, choices: Iterable[tuple[str, str]],
                    counts: Mapping[str, int | str] | None = None) -> None:
        """The (value, label) choices, and the facet count of each value when known (a value
        missing from `counts` counts 0)."""
        choices = self.pairs = list(choices)
        self.choices = [SelectChoice(value, label) for value, label in choices]
        self.counts = None if counts is None else {value: counts.get(value, 0)
                                                   for value, _ in choices}

    def options(self) -> list[FilterOption]:
        """The dropdown's checkboxes: each choice, whether the URL chose it, and its count."""
        chosen = set(self.data or ())
        counts = self.counts
        options = []
        for index, (value, label) in enumerate(self.pairs):
            count = None if counts is None else counts.get(value)
            options.append(FilterOption(
                f"{self.id}-{index}", value, label, value in chosen,
                f"{count:,}" if isinstance(count, int) else count))
        return options

    def summary(self, options: Iterable[FilterOption]) -> str:
        """What the closed dropdown says: "Active, Disabled", "Slack, Jira +2 more" or "Any"."""
        labels = [option.label for option in options if option.checked]
        if not labels:
            return "Any"
        more = f" +{len(labels) - 2} more" if len(labels) > 2 else ""
        return ", ".join(labels[:2]) + more


class FilterForm(Form):
    """Subclass and add filter fields; build it with `from_args()` in the view. A plain
    WTForms form: a GET form has no CSRF token, and the API and tests use it without a
    request."""

    @classmethod
    def from_args(cls, args=None, **kwargs):
        """The form bound to `args` (default: this request's query args)."""
        return cls(formdata=cls.prepare_args(request.args if args is None else args), **kwargs)

    @classmethod
    def prepare_args(cls, args):
        """The args as the fields read them (a subclass may rename other spellings)."""
        return args

    def is_filtered(self) -> bool:
        """True when any real filter holds a value (drives "Clear filters")."""
        return any(field.data not in (None, "", [], ())
                   for field in self if field.name not in NOT_FILTERS)


class ListFilterForm(FilterForm):
    """A list page's filters with its paging (`page`, `per_page`)."""

    page = WholeNumberField("Page", validators=[
        Optional(),
        _whole_number_first,
        NumberRange(min=1, max=MAX_PAGE, message=messages.between("Page", 1, MAX_PAGE)),
    ])
    per_page = WholeNumberField(
        "Rows per page",
        validators=[Optional(), _whole_number_first,
                    NumberRange(min=1, max=100, message=messages.between("Rows per page", 1, 100))],
    )

    @property
    def page_number(self) -> int:
        return self.page.data if (self.page.data and not self.page.errors) else 1

    @property
    def page_size(self) -> int:
        if self.per_page.data and not self.per_page.errors:
            return self.per_page.data
        return current_app.config["PER_PAGE_DEFAULT"]
