"""Bad input when saving or deleting a saved view: a refused save is a 400 page of its own
(the form again, the message beside the name or in the error summary), and nothing is
saved."""

import hashlib

import pytest
import sqlalchemy as sa

from tests import factories
from tests.bad_input import CONTROL, HUGE, NON_ASCII, NUL, TOO_LONG, assert_nul_refused
from tests.saved_views.test_saved_views import post_save, refusal
from webapp.extensions import db
from webapp.models import SavedView

# 10,000 characters the session cookie's compression cannot shrink (unlike "x" * 10,000).
UNCOMPRESSIBLE = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(157))[:10_000]


def saved_names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SavedView.name)))


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": CONTROL}, "Name cannot contain control characters."),
    ({"name": TOO_LONG}, "Name must be at most 100 characters."),
    ({"name": "x", "list_key": TOO_LONG}, "Unknown list: " + "x" * 40),
    ({"name": "x", "list_key": UNCOMPRESSIBLE}, "Unknown list: " + UNCOMPRESSIBLE[:40]),
    ({"name": "x", "list_key": NON_ASCII}, f"Unknown list: {NON_ASCII}"),
    ({"name": "x", "query_string": "q=" + TOO_LONG}, "These filters are too long to save."),
])
def test_a_refusal_is_400_with_its_message_and_nothing_is_saved(client, login_as, org, fields,
                                                                message):
    login_as("admin")
    response = post_save(client, **fields)
    assert response.status_code == 400
    assert message in refusal(response)[1], refusal(response)
    assert len(response.get_data()) < 40_000  # the refused value is not repeated in full
    assert saved_names() == []


@pytest.mark.parametrize("field", ["name", "list_key", "org", "query_string", "next"])
def test_nul_in_any_field_is_400_and_nothing_is_saved(client, login_as, org, field):
    login_as("admin")
    assert_nul_refused(post_save(client, **{"name": "x", field: NUL}))
    assert saved_names() == []


def test_a_name_in_any_script_is_kept_as_typed(client, login_as, org):
    login_as("admin")
    assert post_save(client, f"  {NON_ASCII}  ").status_code == 302
    assert saved_names() == [NON_ASCII]


@pytest.mark.parametrize("org_slug", ["globex", TOO_LONG, HUGE])
def test_another_or_no_org_is_404_and_nothing_is_saved(client, login_as, org, org_slug):
    factories.make_org(slug="globex")
    login_as("admin")
    assert post_save(client, "x", org=org_slug).status_code == 404
    assert saved_names() == []


@pytest.mark.parametrize("view_id", ["0", "2147483648", HUGE])
def test_deleting_an_unknown_view_is_404(client, login_as, org, view_id):
    login_as("admin")
    assert post_save(client, "mine").status_code == 302
    assert client.post(f"/saved-views/{view_id}/delete/").status_code == 404
    assert saved_names() == ["mine"]
