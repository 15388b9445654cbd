"""Bad input when saving or deleting a saved view. The lists live on other pages, so a
refusal is flashed on the list the user came from (302, a documented exception to the
400 rule, see blueprints/saved_views/views.py); the flash must still say what was wrong,
and nothing is saved."""

import hashlib

import pytest
import sqlalchemy as sa

from tests import factories
from tests.bad_input import CONTROL, HUGE, NON_ASCII, NUL, TOO_LONG, assert_nul_refused
from tests.saved_views.test_saved_views import AUDIT, flashes, post_save
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
def test_a_refusal_is_flashed_on_the_list_and_nothing_is_saved(client, login_as, org, fields,
                                                               message):
    login_as("admin")
    response = post_save(client, **fields)
    assert response.status_code == 302 and response.headers["Location"].startswith(AUDIT)
    assert len(response.headers.get("Set-Cookie", "")) < 4093  # a browser keeps the flash
    page = client.get(response.headers["Location"])
    assert any(message in text for text in flashes(page)), flashes(page)
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
