"""Forms of the integrations pages: the filters of the installed-integrations list (the one
parser of its query string, for the page, the CSV export and the API) and the
per-provider config form."""

from functools import cache
from urllib.parse import parse_qsl

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from webapp import messages
from webapp.blueprints.filters import ChoicesFilterField, FilterForm, ListFilterForm, known_values
from webapp.catalog.features import parse_integration_feature
from webapp.catalog.providers import DOMAINS, PROVIDERS, Provider
from webapp.models import ObjectStatus
from webapp.services.errors import ValidationFailed
from webapp.services.ids import parse_version_pair
from webapp.services.integrations import (
    DEFAULT_SORT,
    FILTER_STATUSES,
    Q_MAX_LENGTH,
    SORTS,
    IntegrationFilters,
)
from webapp.services.integrations.bulk import Expected, Selection, clean_ids, parse_planned_at
from webapp.services.integrations.filters import POLICY_FILTERS
from webapp.services.text import has_control_characters

# The API's spellings of the list's arguments (Sentry's camelCase).
API_ALIASES = {"providerKey": "provider_key", "integrationType": "integration_type",
               "includeConfig": "include_config"}
SHOW = {"1", "true", "yes", "on"}
HIDE = {"0", "false", "no", "off"}


def canonical_args(args: MultiDict) -> MultiDict:
    """`args` with the API's spellings under the list's own names (their values after the
    own name's values)."""
    out: MultiDict[str, str] = MultiDict()
    for key, values in args.lists():
        if key not in API_ALIASES:
            out.setlist(key, values)
    for alias, name in API_ALIASES.items():
        if alias in args:
            out.setlist(name, out.getlist(name) + args.getlist(alias))
    return out


def _stripped(valuelist) -> list[str]:
    """The non-empty values, stripped."""
    return [value.strip() for value in valuelist or () if value.strip()]


class LastValueField(StringField):
    """A text argument: the last non-empty value given, stripped ("" when none)."""

    data: str

    def process_formdata(self, valuelist):
        values = _stripped(valuelist)
        self.data = values[-1] if values else ""


class LastValueSelectField(SelectField):
    """A single-choice select whose data is the last non-empty value given."""

    data: str

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        values = _stripped(valuelist)
        self.data = values[-1] if values else ""


class ValuesFilterField(ChoicesFilterField):
    """A repeatable argument: every non-empty value, stripped, canonical where `canonical`
    knows it (an unknown value stays as typed, for its validator to name it)."""

    data: list[str]

    def __init__(self, *args, canonical=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.canonical = canonical or (lambda value: value)

    def process_formdata(self, valuelist):
        self.data = [self.canonical(value) or value for value in _stripped(valuelist)]


def _feature_value(value: str) -> str | None:
    feature = parse_integration_feature(value)
    return feature.value if feature else None


def _status_label(value: str) -> str | None:
    status = ObjectStatus.from_label(value)
    return status.label if status in FILTER_STATUSES else None


def _visible_status(value: str) -> bool:
    return _status_label(value) is not None


def _known_feature(value: str) -> bool:
    return _feature_value(value) is not None


def _one_type(form, field) -> None:
    types = set(_stripped(field.raw_data))
    if field.data and (field.data not in DOMAINS or len(types) > 1):
        raise ValidationError("Invalid integration type")


def _printable(form, field) -> None:
    if len(field.data) > Q_MAX_LENGTH:
        raise ValidationError(f"Search text must be at most {Q_MAX_LENGTH} characters.")
    if has_control_characters(field.data, allowed=""):
        raise ValidationError("Search text cannot contain control characters.")


def _show_or_hide(form, field) -> None:
    if field.data and field.data.lower() not in SHOW | HIDE:
        raise ValidationError("Must be 1 (show) or 0 (hide).")


def _known_policy(form, field) -> None:
    if field.data and field.data not in POLICY_FILTERS:
        raise ValidationError(f"Unknown policy filter: {field.data}. Use: {', '.join(POLICY_FILTERS)}.")


def _known_sort(form, field) -> None:
    if field.data and field.data not in SORTS:
        raise ValidationError(messages.unknown("sort", field.data, SORTS))


class IntegrationFilterForm(FilterForm):
    """The installed-integrations filters (SPEC §6.1 names); `filters()` once valid."""

    q = LastValueField("Search", render_kw={"placeholder": "Name or external ID"},
                       validators=[_printable])
    provider_key = ValuesFilterField("Provider", validators=[
        known_values(PROVIDERS.__contains__, "provider")])
    features = ValuesFilterField("Features", description="Any of the chosen features.",
                           canonical=_feature_value,
                           validators=[known_values(_known_feature, "feature")])
    integration_type = LastValueSelectField("Type", validators=[_one_type])
    status = ValuesFilterField("Status", canonical=_status_label, validators=[
        known_values(_visible_status, "status")])
    include_config = LastValueSelectField(
        "Config column", choices=[SelectChoice("1", "Show"), SelectChoice("0", "Hide")],
        validators=[_show_or_hide])
    sort = LastValueField(widget=HiddenInput(), validators=[_known_sort])
    policy = LastValueSelectField(
        "Policy", choices=[SelectChoice("", "Any"),
                           *(SelectChoice(value, label) for value, label in POLICY_FILTERS.items())],
        validators=[_known_policy])

    @classmethod
    def prepare_args(cls, args):
        """The API's spellings are accepted on the page too."""
        return canonical_args(args)

    def filters(self) -> IntegrationFilters:
        """The validated filters (call after `validate()` passed)."""
        return IntegrationFilters(
            q=self.q.data,
            provider_keys=tuple(dict.fromkeys(self.provider_key.data)),
            features=tuple(dict.fromkeys(feature for feature in map(parse_integration_feature,
                                                                    self.features.data)
                                         if feature is not None)),
            integration_type=self.integration_type.data or None,
            statuses=tuple(dict.fromkeys(status for status in map(ObjectStatus.from_label,
                                                                  self.status.data)
                                         if status is not None)),
            include_config=(self.include_config.data or "1").lower() not in HIDE,
            sort=self.sort.data or DEFAULT_SORT,
            policy=self.policy.data or "",
        )


class IntegrationListForm(ListFilterForm, IntegrationFilterForm):
    """The list page's form: the filters and the paging."""


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


# -- bulk actions (issue 23) ------------------------------------------------------------------

BULK_ACTIONS = [SelectChoice("disable", "Disable"), SelectChoice("enable", "Enable"),
                SelectChoice("uninstall", "Uninstall"), SelectChoice("export", "Export CSV")]
EXPORT = "export"


def parse_filter_pairs(pairs) -> IntegrationFilters:
    """The list's filters from (name, value) pairs, parsed by the list's own form (the API's
    spellings too; paging and unknown names are ignored, as the list ignores them);
    ValidationFailed with the form's errors by field name otherwise."""
    form = IntegrationFilterForm.from_args(MultiDict(list(pairs)))
    if not form.validate():
        raise ValidationFailed(dict(form.errors))
    return form.filters()


def _one_of_bulk_actions(form, field) -> None:
    if field.data not in {choice.value for choice in BULK_ACTIONS}:
        raise ValidationError("Choose an action: Disable, Enable, Uninstall or Export CSV.")


class BulkActionForm(FlaskForm):
    """A bulk action on the installed-integrations list: `action`, and either the chosen
    Integration `ids` (repeatable) or, with `all_matching=1`, every row matching `filters`
    (the list's query string). The list posts it; GET links may carry it too."""

    action = SelectField("Action", choices=BULK_ACTIONS, validate_choice=False,
                         validators=[_one_of_bulk_actions])
    ids = SelectMultipleField("Installations", choices=[], validate_choice=False)
    all_matching = HiddenField()
    filters = HiddenField("Filters")
    next = HiddenField()

    def selection(self) -> Selection:
        """The chosen rows; ValidationFailed under `ids` or `filters` when they are wrong."""
        if self.all_matching.data == "1":
            try:
                filters = parse_filter_pairs(parse_qsl(self.filters.data or "", keep_blank_values=True))
            except ValidationFailed as exc:
                raise ValidationFailed({"filters": [
                    message for messages in exc.field_errors.values() for message in messages]}
                ) from None
            return Selection(filters=filters)
        if not self.ids.data:
            raise ValidationFailed({"ids": ["Choose at least one installation, or all "
                                            "matching the filters."]})
        return Selection(ids=clean_ids(self.ids.data))

    def filter_query(self) -> str:
        """The list's query string of an "all matching" selection ("" otherwise)."""
        return (self.filters.data or "") if self.all_matching.data == "1" else ""


class BulkApplyForm(BulkActionForm):
    """The confirmation's form: the same selection, plus what the plan saw (`versions` of
    rows chosen by id as "id:version,…", and `planned_at`) for the stale check."""

    versions = HiddenField()
    planned_at = HiddenField()

    def expected(self) -> Expected:
        """What the plan saw; ValidationFailed under `planned_at` when the form is damaged."""
        planned_at = parse_planned_at(self.planned_at.data)
        versions: dict[int, int] = {}
        for text in filter(None, (self.versions.data or "").split(",")):
            iid, _, version = text.partition(":")
            pair = parse_version_pair(iid, version)
            if pair is None:
                planned_at = None
                break
            versions[pair[0]] = pair[1]
        if planned_at is None:
            raise ValidationFailed({"planned_at": [
                "The confirmation is incomplete; go back to the list and try again."]})
        return Expected(versions, planned_at)
