"""Real servers for the resilience tests: a private PostgreSQL database, gunicorn serving
it, and a cookie-keeping HTTP client. PostgreSQL only (DATABASE_URL names the server)."""

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests.conftest import PG_URL
from webapp import create_app
from webapp.extensions import db

REPO = Path(__file__).resolve().parents[2]


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to check, not to follow


class Browser:
    """A cookie-keeping HTTP client: (status, headers, body) for each request.

    Cookies go to every port of the host, as a browser's do: `at(other_url)` is the same
    browser (the same cookies) talking to another server of the same site.
    """

    def __init__(self, base_url: str, jar: CookieJar | None = None):
        self.base_url = base_url
        self.jar = jar if jar is not None else CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirect)

    def at(self, base_url: str) -> "Browser":
        return Browser(base_url, self.jar)

    def request(self, path: str, form: dict | None = None):
        data = urlencode(form, doseq=True).encode() if form is not None else None
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def csrf_token(self, path: str = "/login/") -> str:
        status, _, body = self.request(path)
        assert status == 200, body
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        assert token, f"no CSRF token on {path}"
        return token.group(1)

    def log_in(self, email: str, password: str):
        return self.request("/login/", {"csrf_token": self.csrf_token(), "email": email,
                                        "password": password})


def admin_engine() -> sa.Engine:
    """The server's `postgres` database, for CREATE/DROP/ALTER DATABASE."""
    admin_url = sa.engine.make_url(PG_URL).set(database="postgres")
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")


@contextmanager
def private_database(prefix: str, instance: Path,
                     seed: Callable[[], None] | None = None) -> Iterator[tuple[str, str]]:
    """A new database on DATABASE_URL's server, migrated and seeded (`seed()` runs in an
    app context; it commits): its name and URL. Dropped afterwards. Skips the test when the
    server does not answer."""
    engine = admin_engine()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        engine.dispose()
        pytest.skip(f"PostgreSQL does not answer at {sa.engine.make_url(PG_URL)!r}: "
                    f"{str(error.orig).strip().splitlines()[0]}")
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": str(instance)})
        with app.app_context():
            upgrade()
            if seed is not None:
                seed()
            db.session.remove()
            db.engine.dispose()
        yield name, url
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def app_env(database_url: str, instance: Path, secret_key: str, **settings: str) -> dict[str, str]:
    """The environment of an app process (server or CLI) on one host: its own instance
    folder, the shared database and key, and any FLASK_* settings."""
    return {**os.environ, "DATABASE_URL": database_url, "WEBAPP_INSTANCE_PATH": str(instance),
            "FLASK_SECRET_KEY": secret_key, "PYTHONPATH": str(REPO), **settings}


class ServerLog:
    """gunicorn's stderr, where the app logs: the lines written since the last `new_lines()`."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def new_lines(self) -> list[str]:
        text = self.path.read_text(errors="replace")
        lines, self.offset = text[self.offset:].splitlines(), len(text)
        return lines


@dataclass
class Server:
    url: str
    log: ServerLog


@contextmanager
def gunicorn(env: dict[str, str], folder: Path, workers: int = 2) -> Iterator[Server]:
    """`gunicorn wsgi:app` on a free port of 127.0.0.1, answering /healthz, until the end
    of the block. `folder` holds its log."""
    log_path = folder / "gunicorn.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", str(workers),
             "--bind", "127.0.0.1:0", "--chdir", str(REPO), "wsgi:app"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        base_url = _wait_until_serving(process, log_path)
        log = ServerLog(log_path)
        log.new_lines()
        yield Server(base_url, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_serving(process: subprocess.Popen, log_path: Path) -> str:
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
