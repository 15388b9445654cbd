"""A database outage as an operator meets it (issue 21, finding 1).

A real gunicorn (2 workers) serves a private PostgreSQL database; a user logs in; then the
database refuses connections (`ALTER DATABASE … ALLOW_CONNECTIONS false`, backends
terminated). Every answer must be a 503 that needs no database, with `Retry-After`, and
each request must leave one WARNING line and no traceback. Once connections are allowed
again, everything answers 200 without a restart.
"""

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import USING_PG
from tests.resilience.servers import Browser, admin_engine, app_env, gunicorn, private_database
from webapp.extensions import db

pytestmark = pytest.mark.skipif(
    not USING_PG,
    reason="the outage is made with PostgreSQL's ALLOW_CONNECTIONS and pg_terminate_backend; "
           "run with DATABASE_URL=postgresql+psycopg://… (SQLite has no server to take away)",
)

EMAIL = "owner@outage.example"
ORG = "outage-org"
PAGES = {  # what the finding saw answer 500
    "healthz": "/healthz",
    "login page": "/login/",
    "logged-in page": f"/settings/{ORG}/integrations/",
    "API": f"/api/0/organizations/{ORG}/integrations/",
}


def _allow_connections(name: str, allowed: bool) -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name"), {"name": name})
    engine.dispose()


def _seed() -> None:
    org = factories.make_org(slug=ORG, name="Outage Org")
    factories.make_member(org, factories.make_user(email=EMAIL), "owner")
    db.session.commit()


@pytest.fixture(scope="module")
def outage_database(tmp_path_factory):
    """A private, migrated database with an org owner; its name and URL."""
    with private_database("test_outage", tmp_path_factory.mktemp("outage-setup"), _seed) as found:
        yield found


@pytest.fixture(scope="module")
def server(outage_database, tmp_path_factory):
    """gunicorn, 2 workers, on the private database: (base URL, its log)."""
    _, url = outage_database
    folder = tmp_path_factory.mktemp("outage-server")
    with gunicorn(app_env(url, folder, "outage-test-secret"), folder) as running:
        yield running.url, running.log


def _assert_outage_page(status, headers, body, what):
    assert status == 503, f"{what}: {status}\n{body[:500]}"
    assert headers["Retry-After"] == "30", what
    assert headers["Content-Type"].startswith("text/html"), what
    assert "<h1" in body and "Database unavailable" in body, what
    # Same look as every page, from the app itself (intranet: no CDN).
    assert "/bootstrap/static/" in body and "/static/css/app.css" in body, what
    assert not re.search(r'(?:href|src)="(?:https?:)?//', body), what


def test_outage_answers_503_without_database_then_recovers(outage_database, server):
    name, _ = outage_database
    base_url, log = server
    owner = Browser(base_url)
    status, headers, _ = owner.log_in(EMAIL, factories.PASSWORD)
    assert status == 302, "the owner could not log in"
    for what, path in PAGES.items():
        assert owner.request(path)[0] in (200, 302), what
    log.new_lines()

    _allow_connections(name, False)
    try:
        status, headers, body = owner.request(PAGES["healthz"])
        assert (status, body) == (503, "database unavailable")
        assert headers["Retry-After"] == "30"
        # A logged-in visitor's login page (it asks who is logged in), then an org page.
        _assert_outage_page(*owner.request(PAGES["login page"]), "login page")
        _assert_outage_page(*owner.request(PAGES["logged-in page"]), "logged-in page")
        status, headers, body = owner.request(PAGES["API"])
        assert status == 503, body
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"] == "30"
        assert body.strip() == '{"detail":"Database unavailable"}'
        # Logging in needs the database: the same friendly 503, not a 500.
        _assert_outage_page(*Browser(base_url).log_in(EMAIL, factories.PASSWORD), "logging in")

        lines = log.new_lines()
        assert "Traceback" not in "\n".join(lines)
        assert not [line for line in lines if " ERROR " in line], lines
        # One line per request. The login form itself needs no database (200, INFO).
        expected = [("WARNING", "GET", PAGES["healthz"]), ("WARNING", "GET", PAGES["login page"]),
                    ("WARNING", "GET", PAGES["logged-in page"]), ("WARNING", "GET", PAGES["API"]),
                    ("INFO", "GET", "/login/"), ("WARNING", "POST", "/login/")]
        assert len(lines) == len(expected), "\n".join(lines)
        for line, (level, method, path) in zip(lines, expected, strict=True):
            assert f" {level} webapp.request: {method} {path} " in line, line
            if level == "WARNING":
                assert " 503 " in line and "database unavailable: " in line, line
                assert "not currently accepting connections" in line, line
    finally:
        _allow_connections(name, True)

    # Back without a restart: the same session, the same workers.
    status, _, body = owner.request(PAGES["healthz"])
    assert (status, body) == (200, "ok")
    assert owner.request(PAGES["login page"])[0] == 302  # logged in: on to the start page
    status, _, body = owner.request(PAGES["logged-in page"])
    assert status == 200 and "Outage Org" in body
    status, _, body = owner.request(PAGES["API"])
    assert status == 200 and body.startswith("[")
    assert Browser(base_url).log_in(EMAIL, factories.PASSWORD)[0] == 302
    lines = log.new_lines()
    assert lines and all(" INFO webapp.request: " in line for line in lines), "\n".join(lines)
