"""webapp.escaping.text gives exactly markupsafe.escape's characters, for any value."""

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from webapp.escaping import text


@given(st.text())
def test_text_escapes_strings_as_markupsafe_does(value):
    assert text(value) == str(escape(value))
    assert type(text(value)) is str


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
                 st.text().map(Markup)))
def test_other_values_as_markupsafe_escape_renders_them(value):
    assert text(value) == str(escape(value))


def test_markup_is_kept_and_hostile_text_is_not():
    assert text(Markup("<b>ok</b>")) == "<b>ok</b>"
    assert text("<script>alert('x') & \"y\"</script>") == (
        "&lt;script&gt;alert(&#39;x&#39;) &amp; &#34;y&#34;&lt;/script&gt;")
