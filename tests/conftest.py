"""Fixtures after flaskr: an app and a database per test, `login_as(role)`, statement counting.

The schema comes from the Alembic migrations (as in production), built once per run:
SQLite copies a migrated template file per test; PostgreSQL (DATABASE_URL) gets a private
database per run, migrated once and truncated after each test.
"""

import os
import shutil
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import g
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import event

from tests import factories
from tests.slapd import slapd  # noqa: F401 (a session fixture: the run's private OpenLDAP server)
from webapp import create_app
from webapp.extensions import db

PG_URL = os.environ.get("DATABASE_URL", "")
USING_PG = PG_URL.startswith("postgresql")

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "SERVER_NAME": None,
}


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the many apps of a run (each test builds its own app)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = _MemoryBytecodeCache()


def _make_app(uri: str, tmp_instance, **extra):
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "INSTANCE_PATH": str(tmp_instance), **extra}
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database: the SQLite template file, or the run's PostgreSQL database URL."""
    instance = tmp_path_factory.mktemp("instance-template")
    if USING_PG:
        name = f"test_{uuid.uuid4().hex[:10]}"
        admin_url = sa.engine.make_url(PG_URL).set(database="postgres")
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        app = _make_app(url, instance)
        with app.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        yield url
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        path = instance / "template.sqlite3"
        app = _make_app(f"sqlite:///{path}", instance)
        with app.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        yield path


def _empty_all_tables(url: str) -> None:
    """Delete every row, children first, in one transaction (far faster than TRUNCATE on
    PostgreSQL for small tables); the migration's bookkeeping table is kept."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def app_factory(database_template, tmp_path):
    """Build an app on this test's fresh database; extra config as keyword arguments."""
    if USING_PG:
        uri = database_template
    else:
        db_path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_template, db_path)
        uri = f"sqlite:///{db_path}"
    made = []

    def make(**extra):
        app = _make_app(uri, tmp_path / "instance", **extra)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if USING_PG:
        _empty_all_tables(uri)


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def org(app):
    """The default organization most tests act in."""
    return factories.make_org(slug="acme", name="Acme Corp")


@pytest.fixture
def login_as(app, client, org):
    """login_as(role) → a user with that role in `org` ("staff": staff, no membership)."""

    def login(role: str = "member", **kwargs):
        if role == "staff":
            user = factories.make_user(is_staff=True, **kwargs)
        else:
            user = factories.make_user(**kwargs)
            factories.make_member(org, user, role)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        # The test keeps one app context, and Flask-Login caches the user in `g`.
        g.pop("_login_user", None)
        return user

    return login


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter:` → counter.count SQL statements run inside."""

    @contextmanager
    def counting():
        counter = StatementCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
