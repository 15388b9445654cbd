"""A database outage as an operator meets it (issue 21, finding 1).

A real gunicorn (2 workers) serves a private PostgreSQL database; a user logs in; then the
database refuses connections (`ALTER DATABASE … ALLOW_CONNECTIONS false`, backends
terminated). Every answer must be a 503 that needs no database, with `Retry-After`, and
each request must leave one WARNING line and no traceback. Once connections are allowed
again, everything answers 200 without a restart.
"""

import os
import re
import subprocess
import sys
import time
import uuid
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests import factories
from tests.conftest import PG_URL, USING_PG
from webapp import create_app
from webapp.extensions import db

pytestmark = pytest.mark.skipif(
    not USING_PG,
    reason="the outage is made with PostgreSQL's ALLOW_CONNECTIONS and pg_terminate_backend; "
           "run with DATABASE_URL=postgresql+psycopg://… (SQLite has no server to take away)",
)

REPO = Path(__file__).resolve().parents[2]
EMAIL = "owner@outage.example"
ORG = "outage-org"
PAGES = {  # what the finding saw answer 500
    "healthz": "/healthz",
    "login page": "/login/",
    "logged-in page": f"/settings/{ORG}/integrations/",
    "API": f"/api/0/organizations/{ORG}/integrations/",
}


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to check, not to follow


class Browser:
    """A cookie-keeping HTTP client: (status, headers, body) for each request."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def request(self, path: str, form: dict | None = None):
        data = urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def log_in(self, email: str, password: str):
        status, _, body = self.request("/login/")
        assert status == 200, body
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        assert token, "no CSRF token on the login page"
        return self.request("/login/", {"csrf_token": token.group(1), "email": email,
                                        "password": password})


def _admin_engine():
    admin_url = sa.engine.make_url(PG_URL).set(database="postgres")
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _allow_connections(name: str, allowed: bool) -> None:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name"), {"name": name})
    engine.dispose()


@pytest.fixture(scope="module")
def outage_database(tmp_path_factory):
    """A private, migrated database with an org owner; its name and URL."""
    name = f"test_outage_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("outage-setup"))})
    with app.app_context():
        upgrade()
        org = factories.make_org(slug=ORG, name="Outage Org")
        factories.make_member(org, factories.make_user(email=EMAIL), "owner")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield name, url
    with engine.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class ServerLog:
    """gunicorn's stderr, where the app logs: the lines written since the last `new_lines()`."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def new_lines(self) -> list[str]:
        text = self.path.read_text(errors="replace")
        lines, self.offset = text[self.offset:].splitlines(), len(text)
        return lines


@pytest.fixture(scope="module")
def server(outage_database, tmp_path_factory):
    """gunicorn, 2 workers, on the private database: (base URL, its log)."""
    _, url = outage_database
    folder = tmp_path_factory.mktemp("outage-server")
    log_path = folder / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": url, "WEBAPP_INSTANCE_PATH": str(folder),
           "FLASK_SECRET_KEY": "outage-test-secret", "PYTHONPATH": str(REPO)}
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "2",
             "--bind", "127.0.0.1:0", "--chdir", str(REPO), "wsgi:app"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        base_url = _wait_until_serving(process, log_path)
        log = ServerLog(log_path)
        log.new_lines()
        yield base_url, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_serving(process, log_path: Path) -> str:
    deadline = time.monotonic() + 30
    base_url = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited:\n{log_path.read_text()}"
        if base_url is None:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log_path.read_text())
            base_url = found.group(1) if found else None
        if base_url is not None:
            try:
                if Browser(base_url).request("/healthz")[0] == 200:
                    return base_url
            except URLError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer in 30 s:\n{log_path.read_text()}")


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
