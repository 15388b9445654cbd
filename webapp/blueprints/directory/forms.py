"""The directory's GET filter form."""

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from webapp.blueprints.filters import ListFilterForm
from webapp.services.directory import CATEGORY_LABELS, KIND_CATEGORIES

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
    """`q`, `category` (a domain or a kind), `installed` (yes/no). The service validates the
    choices (one rule for pages and API); the view relabels them with facet counts."""

    q = StringField(
        "Search",
        validators=[Optional(), Length(max=200, message="Search must be at most 200 characters.")],
    )
    category = SelectField("Category", choices=category_choices(), validate_choice=False)
    installed = SelectField("Installed", choices=installed_choices(), validate_choice=False)

    def label_with_counts(self, category_counts: dict[str, int], installed_counts: dict[str, int]):
        """Facet counts beside each choice."""
        self.category.choices = category_choices(category_counts)
        self.installed.choices = installed_choices(installed_counts)
