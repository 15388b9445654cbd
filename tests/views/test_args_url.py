"""ArgsUrl (the links of list pages) gives exactly `urlencode(args, doseq=True)`."""

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from webapp.blueprints.listing import ArgsUrl

keys = st.sampled_from(["q", "page", "sort", "status", "features", "provider_key", "ä b", "&="])
values = st.text(max_size=12)
change_values = st.one_of(st.none(), values, st.integers(0, 999), st.lists(values, max_size=3))


def reference(base: str, args: MultiDict, changes: dict) -> str:
    """What url_with_args did before ArgsUrl: a dict of lists, changed, then urlencode."""
    merged = args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    query = urlencode(merged, doseq=True)
    return base + "?" + query if query else base


@given(st.lists(st.tuples(keys, values), max_size=6), st.dictionaries(keys, change_values, max_size=3))
def test_same_links_as_urlencode(pairs, changes):
    args = MultiDict(pairs)
    assert ArgsUrl("/settings/acme/integrations/", args)(**changes) == reference(
        "/settings/acme/integrations/", args, changes)


def test_kept_args_keep_their_order_and_repeats():
    args = MultiDict([("status", "active"), ("q", "a b"), ("status", "disabled")])
    url = ArgsUrl("/list/", args)
    assert url() == "/list/?status=active&status=disabled&q=a+b"
    assert url(page=2) == "/list/?status=active&status=disabled&q=a+b&page=2"
    assert url(q=None, status=["disabled"]) == "/list/?status=disabled"
    assert url(status=[], q=None) == "/list/"
