"""The directory's GET filter form: the one parser of the directory's query string."""

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in types-WTForms 3.2
from wtforms.validators import Length, Optional

from webapp.blueprints.filters import ListFilterForm, service_rule
from webapp.services.directory import (
    CATEGORY_LABELS,
    KIND_CATEGORIES,
    category_error,
    installed_error,
)

DOMAIN_GROUP = "Integrations by domain"
KIND_GROUP = "Other kinds"


def category_choices(counts: dict[str, int] | None = None) -> list[SelectChoice]:
    """Domains, then the other kinds; with facet counts when given: "Messaging (3)"."""
    choices = [SelectChoice("", "Any category")]
    for value, label in CATEGORY_LABELS.items():
        if counts is not None:
            label = f"{label} ({counts.get(value, 0)})"
        group = KIND_GROUP if value in KIND_CATEGORIES else DOMAIN_GROUP
        choices.append(SelectChoice(value, label, optgroup=group))
    return choices


def installed_choices(counts: dict[str, int] | None = None) -> list[SelectChoice]:
    def label(text, key):
        return f"{text} ({counts.get(key, 0)})" if counts is not None else text

    return [
        SelectChoice("", "Any"),
        SelectChoice("yes", label("Installed", "yes")),
        SelectChoice("no", label("Not installed", "no")),
    ]


class DirectoryFilterForm(ListFilterForm):
    """`q`, `category` (a domain or a kind), `installed` (yes/no), checked by the service's
    rules; `filters()` gives the valid ones. The view relabels the choices with facet counts."""

    q = StringField(
        "Search",
        validators=[Optional(), Length(max=200, message="Search must be at most 200 characters.")],
    )
    category = SelectField("Category", choices=category_choices(), validate_choice=False,
                           validators=[service_rule(category_error)])
    installed = SelectField("Installed", choices=installed_choices(), validate_choice=False,
                            validators=[service_rule(installed_error)])

    def filters(self) -> dict[str, str | None]:
        """The filters after `validate()`: a refused value is left out (the list is still
        shown, the message beside its field)."""
        return {name: (None if self[name].errors else self[name].data or None)
                for name in ("q", "category", "installed")}

    def label_with_counts(self, category_counts: dict[str, int], installed_counts: dict[str, int]):
        """Facet counts beside each choice; a refused value stays visible in its select."""
        for field, choices in ((self.category, category_choices(category_counts)),
                               (self.installed, installed_choices(installed_counts))):
            if field.errors and field.data:
                choices.append(SelectChoice(field.data, f"{field.data} (unknown)"))
            field.choices = choices
