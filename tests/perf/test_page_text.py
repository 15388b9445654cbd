"""The installed-integrations list and the plugin configs page write their own text in
ASCII (HTML entities for —, ·, …). A page of ASCII data is then an ASCII string, which
Python joins and encodes to UTF-8 by copying. One "—" for an empty cell made the whole
~37 KB list a two-byte string, one "·" a one-byte string encoded character by character:
together ~2.5 % of the list's instructions (bench/README.md, "Counted in instructions")."""

from datetime import UTC, datetime

from tests import factories
from tests.integrations.helpers import seed
from webapp.extensions import db

URL = "/settings/acme/integrations/"


def test_the_list_of_ascii_data_is_an_ascii_page(client, login_as, org):
    seed(org)
    oi = factories.install(org, factories.make_integration("slack", name="Grace"),
                           config={"empty": "", "list": ["a", "b"], "flag": False, "n": None})
    oi.grace_period_end = datetime(2030, 1, 1, tzinfo=UTC)
    db.session.commit()
    login_as("member")
    for query in ("", "?per_page=2&page=2", "?status=active&features=alert-rule&q=a",
                  "?include_config=0", "?page=abc"):
        body = client.get(URL + query).get_data(as_text=True)
        assert "Installed integrations" in body
        assert body.isascii(), (query, sorted({c for c in body if not c.isascii()}))


def test_the_plugin_configs_page_of_ascii_data_is_an_ascii_page(client, login_as, org):
    for n in range(12):  # more than the preview shows ("10+")
        project = factories.make_project(org, slug=f"p{n}", platform=None if n % 2 else "python")
        factories.set_plugin_option(project, "trello", "key", "k")
    db.session.commit()
    login_as("member")
    for query in ("", "?plugins=trello", "?plugins=asana&plugins=trello"):
        body = client.get(f"/settings/{org.slug}/plugins/" + query).get_data(as_text=True)
        assert "Trello" in body
        assert body.isascii(), (query, sorted({c for c in body if not c.isascii()}))
