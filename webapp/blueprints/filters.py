"""Base for GET filter forms: bound to request.args, no CSRF, validated page/per_page."""

from flask import current_app, request
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional, StopValidation

# Far past any real list (100 rows a page × 100,000 pages); larger numbers are typing errors.
MAX_PAGE = 100_000


def _whole_number_first(form, field) -> None:
    """`page=abc` already has its message ("Not a valid integer value."): stop there, so
    the range check does not add "must be between…" for a number nobody typed."""
    if field.process_errors:
        raise StopValidation()


class ListFilterForm(FlaskForm):
    """Subclass and add filter fields; call `ListFilterForm.from_args()` in the view."""

    class Meta:
        csrf = False

    page = IntegerField("Page", validators=[
        Optional(),
        _whole_number_first,
        NumberRange(min=1, max=MAX_PAGE, message=f"Page must be between 1 and {MAX_PAGE:,}."),
    ])
    per_page = IntegerField(
        "Rows per page",
        validators=[Optional(), _whole_number_first,
                    NumberRange(min=1, max=100, message="Rows per page must be between 1 and 100.")],
    )

    @classmethod
    def from_args(cls, **kwargs):
        return cls(formdata=request.args, **kwargs)

    def is_filtered(self, ignore=("page", "per_page", "sort", "include_config", "format")) -> bool:
        """True when any real filter holds a value (drives "Clear filters")."""
        for field in self:
            if field.name in ignore:
                continue
            if field.data not in (None, "", [], ()):
                return True
        return False

    @property
    def page_number(self) -> int:
        return self.page.data if (self.page.data and not self.page.errors) else 1

    @property
    def page_size(self) -> int:
        if self.per_page.data and not self.per_page.errors:
            return self.per_page.data
        return current_app.config["PER_PAGE_DEFAULT"]
