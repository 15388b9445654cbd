"""webapp.form_fields: the fast html_params matches WTForms' output; field blocks keep the
label, the control, the help and the error tied together (aria-describedby)."""

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup
from wtforms import Form, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange
from wtforms.widgets.core import html_params as wtforms_html_params

from webapp.form_fields import field_block, html_params

CASES = [
    {},
    {"name": "q", "id": "q", "class_": "form-control form-control-sm"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_attr": "user.name", "aria_labeledby": "name", "for_": "x"},
    {"value": '<script>"x" & \'y\'</script>', "title": Markup('say "hi" <b>')},
    {"value": None, "maxlength": 200, "min": 0, "step": 0.5},
    {"aria_describedby": "a-help a-error", "aria_invalid": "true", "disabled": False},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_html_params_is_wtforms_html_params(kwargs):
    assert html_params(**kwargs) == wtforms_html_params(**kwargs)


class Demo(Form):
    name = StringField("Name", description="Shown to members.")
    size = IntegerField("Size", validators=[NumberRange(min=1, message="Too small.")])
    kind = SelectField("Kind", choices=[SelectChoice("a", "A <1>"), SelectChoice("b", "B")])


def test_field_block_ties_help_and_error_to_the_control():
    form = Demo(data={"name": '<i>x</i>', "size": 0, "kind": "b"})
    form.validate()
    soup = BeautifulSoup(str(field_block(form.size, wrapper_class="mb-2")), "html.parser")
    control = soup.find("input", id="size")
    assert "is-invalid" in control["class"] and control["aria-invalid"] == "true"
    assert control["aria-describedby"] == "size-error"
    assert soup.find(id="size-error").get_text() == "Too small."
    assert soup.find("label")["for"] == "size"
    for field in form:  # the label is WTForms' own markup
        assert str(form[field.name].label(class_="form-label")) in str(field_block(field))
    assert soup.div["class"] == ["mb-2"]

    soup = BeautifulSoup(str(field_block(form.name, readonly=True, maxlength=64)), "html.parser")
    control = soup.find("input", id="name")
    assert control["value"] == "<i>x</i>" and control.has_attr("readonly")
    assert control["aria-describedby"] == "name-help" and control["maxlength"] == "64"
    assert soup.find(id="name-help").get_text() == "Shown to members."

    soup = BeautifulSoup(str(field_block(form.kind, class_="form-select-sm")), "html.parser")
    select = soup.find("select", id="kind")
    assert select["class"] == ["form-select", "form-select-sm"]
    assert [o.get_text() for o in select.find_all("option")] == ["A <1>", "B"]
    assert select.find("option", selected=True)["value"] == "b"
