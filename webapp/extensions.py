"""Extension objects, created unbound; `create_app` binds them. Models import `db` from here."""

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Integer, MetaData, Text, literal_column
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The models' base class. Models subclass it, not `db.Model`: Flask-SQLAlchemy builds
    `db.Model` at run time (a sibling of Base sharing its registry and metadata, so
    `db.metadata` and `db.create_all` see every model), which mypy cannot follow."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
bootstrap = Bootstrap5()


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
