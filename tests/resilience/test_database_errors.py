"""Which database errors are an outage (503) and which stay a server error (500), and the 503
answers' shape, on any backend: an unreachable SQLite file stands in for a database that is
down (the PostgreSQL outage itself is in test_database_outage.py)."""

import logging
import sqlite3

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc

from webapp.extensions import db
from webapp.web import is_database_outage


def _sqlite_error(sql: str, database: str = ":memory:") -> sqlite3.OperationalError:
    try:
        sqlite3.connect(database).execute(sql)
    except sqlite3.OperationalError as error:
        return error
    raise AssertionError("no error")


def _locked_sqlite_error(tmp_path) -> sqlite3.OperationalError:
    path = str(tmp_path / "locked.sqlite3")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        sqlite3.connect(path, timeout=0).execute("SELECT * FROM t")
    except sqlite3.OperationalError as error:
        return error
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    raise AssertionError("not locked")


@pytest.mark.parametrize("error, outage", [
    # Cannot connect at all (refused, not accepting connections, host down): no SQLSTATE.
    (sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection failed")), True),
    # The server ended the connection (pg_terminate_backend, restart): SQLAlchemy says so.
    (sa_exc.OperationalError("SELECT 1", {}, pg_errors.AdminShutdown(), connection_invalidated=True), True),
    (sa_exc.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("closed"), connection_invalidated=True), True),
    (sa_exc.OperationalError("SELECT 1", {}, pg_errors.TooManyConnections()), True),
    (sa_exc.OperationalError("SELECT 1", {}, pg_errors.QueryCanceled()), True),  # statement timeout
    (sa_exc.TimeoutError("QueuePool limit reached"), True),  # no pooled connection came free
    # The statement is wrong, not the database: these stay 500s.
    (sa_exc.IntegrityError("INSERT", {}, pg_errors.UniqueViolation()), False),
    (sa_exc.DataError("INSERT", {}, pg_errors.StringDataRightTruncation()), False),
    (sa_exc.OperationalError("INSERT", {}, pg_errors.ProgramLimitExceeded()), False),  # index row too big
    (sa_exc.ProgrammingError("SELECT", {}, pg_errors.UndefinedTable()), False),
    (sa_exc.OperationalError("SELECT", {}, _sqlite_error("SELECT * FROM missing")), False),
    (sa_exc.InvalidRequestError("bad use of the session"), False),
])
def test_outage_or_server_error(error, outage):
    assert is_database_outage(error) is outage


def test_sqlite_busy_and_unopenable_files_are_outages(tmp_path):
    unopenable = _sqlite_error("SELECT 1", str(tmp_path / "missing" / "db.sqlite3"))
    assert is_database_outage(sa_exc.OperationalError("SELECT 1", {}, unopenable))
    locked = _locked_sqlite_error(tmp_path)
    assert is_database_outage(sa_exc.OperationalError("SELECT 1", {}, locked))


@pytest.fixture
def down_app(app_factory, tmp_path):
    """An app whose database cannot be opened, with a logged-in session's cookie."""
    app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    yield app, client
    with app.app_context():
        db.session.remove()


def test_pages_and_api_answer_503_without_the_database(down_app, caplog):
    app, client = down_app
    caplog.set_level(logging.INFO)
    page = client.get("/settings/acme/integrations/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    text = page.get_data(as_text=True)
    assert "Database unavailable" in text and "/bootstrap/static/" in text
    api = client.get("/api/0/organizations/acme/integrations/")
    assert api.status_code == 503
    assert api.get_json() == {"detail": "Database unavailable"}
    assert api.headers["Retry-After"] == "30"
    health = client.get("/healthz")
    assert (health.status_code, health.get_data(as_text=True)) == (503, "database unavailable")

    records = [r for r in caplog.records if r.name.startswith("webapp")]
    assert [(r.levelname, r.getMessage().split(" 503 ")[0]) for r in records] == [
        ("WARNING", "GET /settings/acme/integrations/"),
        ("WARNING", "GET /api/0/organizations/acme/integrations/"),
        ("WARNING", "GET /healthz"),
    ]
    assert all("unable to open database file" in r.getMessage() and not r.exc_info for r in records)


def test_a_failing_statement_stays_a_500_with_its_traceback(app_factory, caplog):
    app = app_factory()

    @app.route("/duplicate")
    def duplicate():
        raise sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key"))

    response = app.test_client().get("/duplicate")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert [r.exc_info is not None for r in caplog.records if r.levelname == "ERROR"] == [True]
