"""Extension objects, created unbound; `create_app` binds them. Models import `db` from here."""

from collections import namedtuple
from functools import lru_cache

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Integer, MetaData, Text, literal_column
from sqlalchemy.orm import DeclarativeBase

from webapp.direct_reads import plan_for

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
bootstrap = Bootstrap5()


def read_rows(statement, params=None) -> list:
    """Run a SELECT of plain columns on the session's connection and return its rows, as
    named tuples (`row.name`, `row[0]`, unpacking).

    For the hot read paths (list pages, the API list, saved views): Core execution skips the
    ORM's per-statement work (about a tenth of a millisecond each), which these statements
    do not use — they load no objects. Pending ORM changes are flushed first, as
    `Session.execute` would, so a read never misses this session's own writes.

    Named tuples, not SQLAlchemy's Row: reading `row.name` of a Row takes ~0.75 µs (its
    `__getattr__` runs after a failed attribute lookup), of a named tuple ~0.07 µs, and
    list pages read ~10 values of each of 25–100 rows (a twentieth of the API list's time).

    A statement marked with `direct_read` (built once and kept) runs on the DBAPI cursor,
    compiled once (webapp/direct_reads.py); any other statement through SQLAlchemy."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()
    connection = session.connection()
    plan = plan_for(statement, connection)
    if plan is not None:
        return plan.run(connection, params, _row_class(plan.keys))
    result = connection.execute(statement, params)
    make = tuple.__new__
    row_class = _row_class(tuple(result.keys()))
    return [make(row_class, row) for row in result]


@lru_cache(maxsize=512)
def _row_class(columns: tuple[str, ...]) -> type:
    """The named-tuple class of a statement's columns (one per column set, built once)."""
    return namedtuple("Row", columns, rename=True)


def begin_streamed_read() -> None:
    """Call before a streamed read (`yield_per`: a server-side cursor on PostgreSQL, which
    only lives inside a transaction block). A safe request reads in autocommit (see
    `read_in_autocommit` in webapp/web.py): then this opens a transaction block on the
    session's connection, which the session's close ends. Elsewhere it does nothing."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.autocommit and not dbapi_connection.info.transaction_status:
        connection.exec_driver_sql("BEGIN")  # transaction_status 0: IDLE, outside a block


def sql_constant(value: str | int):
    """A constant the code owns (a catalog slug, a status number, a page size) written into
    the SQL text instead of bound on every execution. For statements built once and cached:
    SQLAlchemy processes each bound value (and re-renders each IN list) per execution, and
    a cached statement's constants never change. Never for values from a request."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"not a SQL constant: {value!r}")
    if isinstance(value, int):
        return literal_column(str(int(value)), Integer)
    return literal_column("'" + value.replace("'", "''") + "'", Text)
