"""How a form field is laid out (label, control, help, error beside it), in Python.

`macros/forms.html` `render_field` calls `field_block` for text-like inputs and selects
(the common case): the same markup as a Jinja macro, at a fraction of the cost of macro
calls per field. The installed-integrations filter bar (six fields on every request)
calls `field_block` directly, without the macro around it.
`field_help` and `described_by` are the one definition of the help/error ids that the
macros use too.
"""

from markupsafe import Markup, escape
from wtforms.widgets.core import Input, Select, clean_key

from webapp.escaping import text

SELECT_TYPES = ("SelectField", "SelectMultipleField")


def html_params(**kwargs) -> Markup:
    """`wtforms.widgets.html_params`, the same output for the attribute names code passes
    (sorted keys, `clean_key`, True → bare attribute, False → left out, values escaped with
    `"` as &quot;; names are not escaped), built with one string join instead of a
    Markup.format per attribute: 5× faster."""
    parts = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            parts.append(clean_key(key))
        elif value is not False:
            parts.append(f'{clean_key(key)}="{text(value).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(parts))


def use_fast_html_params() -> None:
    """Input widgets (text, number, search, …) render their attributes with html_params
    above: WTForms' documented hook (`Input.html_params`), set once at app start."""
    Input.html_params = staticmethod(html_params)


def described_by(field) -> str:
    """The aria-describedby ids of a field: its help text and its error message."""
    ids = []
    if field.description:
        ids.append(f"{field.id}-help")
    if field.errors:
        ids.append(f"{field.id}-error")
    return " ".join(ids)


def field_help(field) -> Markup:
    """The help text and the error message under a field (ids for aria-describedby)."""
    parts = []
    if field.description:
        parts.append(f'<div class="form-text" id="{escape(field.id)}-help">'
                     f"{escape(field.description)}</div>")
    if field.errors:
        messages = " ".join(str(escape(message)) for message in field.errors)
        parts.append(f'<div class="invalid-feedback d-block" id="{escape(field.id)}-error">'
                     f"{messages}</div>")
    return Markup("\n".join(parts))


def field_block(field, class_: str = "", label_class: str = "form-label",
                wrapper_class: str = "mb-3", readonly: bool = False, **attributes) -> Markup:
    """Label, control and help of a text-like or select field, in a wrapper div; the
    control gets is-invalid, aria-invalid and aria-describedby when it should."""
    invalid = " is-invalid" if field.errors else ""
    aria = {}
    described = described_by(field)
    if described:
        aria["aria-describedby"] = described
    if field.errors:
        aria["aria-invalid"] = "true"
    aria.update(attributes)
    if field.type in SELECT_TYPES:
        control = field(class_=f"form-select {class_}{invalid}", disabled=readonly, **aria)
    else:
        control = field(class_=f"form-control {class_}{invalid}", readonly=readonly, **aria)
    label = field.label  # rendered as WTForms' Label does, with the fast html_params
    label_html = (f"<label {html_params(class_=label_class, for_=label.field_id)}>"
                  f"{escape(label.text)}</label>")
    return Markup(f'<div class="{escape(wrapper_class)}">\n  {label_html}\n'
                  f"  {control}\n  {field_help(field)}\n</div>")


class FastSelect(Select):
    """WTForms' Select, rendering its options in one pass (the same HTML; no per-option
    render_kw or optgroups, which filter selects do not use).

    Facet counts: give the bound field a `counts` mapping ({value: number}) and an option
    whose value is in it reads "label (1,234)". The choices can then be built once (a
    module constant) and only the counts change per request.

    List pages render their filter selects (~45 options with facet counts on the
    installed-integrations list, 22 plugins with counts on the plugin configs page) on
    every request; the stock widget builds each option with `html_params` and inspects
    `render_option`'s signature per option. The field's choices are `SelectChoice`
    objects (as every form of the app builds them)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = vars(field.flags)  # the flags set on the field (reading an unset one raises)
        for key in self.validation_attrs:
            if key not in kwargs and flags.get(key):
                kwargs[key] = flags[key]
        counts = field.__dict__.get("counts") or {}
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        # Selected as WTForms' iter_choices decides it, without a Choice object per option.
        coerce, data = field.coerce, field.data
        chosen = (data or ()) if self.multiple else None
        for choice in field.choices or ():
            value, label = choice.value, choice.label
            selected = coerce(value) in chosen if self.multiple else coerce(value) == data
            count = counts.get(value)
            html.append(f'<option value="{text(value)}"{" selected" if selected else ""}>'
                        f'{text(label or value)}{"" if count is None else f" ({count:,})"}'
                        "</option>")
        html.append("</select>")
        return Markup("".join(html))
