"""Hot SELECTs run on the DBAPI cursor, compiled once (what `read_rows` does with a statement
marked by `direct_read`).

SQLAlchemy's `Connection.execute` costs ~60 µs of Python per statement here (its cache key,
execution context and result objects), more than SQLite takes to run a list page's
statements (~18 µs for the user's). Every page runs the user's statement, and list pages
three more. A statement built once and kept (the result of a cached builder such as
`_user_and_memberships_statement`) can be compiled once: then a run is the SQL string, its
parameters in order, the DBAPI's `execute` and `fetchall`, and the column types' own
result processors (SQLite's timestamps and JSON). What SQLAlchemy does around that —
events, exception wrapping — is kept where it matters:

- with a `before_cursor_execute` / `after_cursor_execute` listener on the engine (the
  tests' statement counter, `bench/run.py`, Flask-SQLAlchemy's query recording), reads
  go through SQLAlchemy, so listeners see every statement;
- a DBAPI error is raised as SQLAlchemy's `DBAPIError` (a lost connection invalidated),
  as `Connection.execute` raises it;
- statements whose SQL is rendered per run (an expanding `IN`, `literal_execute`) are
  never planned: `plan_for` gives None and SQLAlchemy runs them.
"""

import weakref

from sqlalchemy import exc

_MISSING = object()

# Marked statements → {plan key: DirectRead}. Weak: a builder's evicted statement goes.
_MARKED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def direct_read(statement):
    """Mark `statement` to be run by `read_rows` on the DBAPI cursor, compiled once. Only
    for statements built once and kept (a cached builder's result): a statement built per
    request would be compiled per request. Returns `statement`, unchanged."""
    _MARKED[statement] = {}
    return statement


def plan_for(statement, connection) -> "DirectRead | None":
    """The compiled plan of a marked statement on this connection's dialect, or None when
    SQLAlchemy must run it (unmarked, rendered per run, or statement listeners present)."""
    plans = _MARKED.get(statement)
    if plans is None:
        return None
    dispatch = connection.dispatch
    if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
        return None
    dialect = connection.dialect
    key = (type(dialect), dialect.paramstyle)
    if key not in plans:
        plans[key] = DirectRead.compile(statement, dialect)
    return plans[key]


class DirectRead:
    """One statement compiled for one dialect: its SQL, how to build its parameters, and
    the names of its columns (`keys`, as `Result.keys()` gives them)."""

    __slots__ = ("sql", "binds", "positional", "keys", "types", "processors")

    @classmethod
    def compile(cls, statement, dialect) -> "DirectRead | None":
        compiled = statement.compile(dialect=dialect)
        if any(b.expanding or b.literal_execute for b in compiled.binds.values()):
            return None
        names = (list(compiled.positiontup) if dialect.positional  # in order, repeats too
                 else list(dict.fromkeys(compiled.bind_names.values())))
        if not dialect.positional and any(f"%({name})s" not in compiled.string
                                           for name in names):
            return None  # an escaped parameter name: leave it to SQLAlchemy
        binds = []
        for name in names:
            bind = compiled.binds[name]
            default = _MISSING if bind.required else bind.effective_value
            binds.append((name, default, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        plan = cls()
        plan.sql = compiled.string
        plan.binds = tuple(binds)
        plan.positional = dialect.positional
        plan.keys = tuple(statement.selected_columns.keys())
        plan.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        plan.processors = None  # set from the first run's cursor.description (as SQLAlchemy)
        return plan

    def parameters(self, params: dict | None):
        params = params or {}
        values = []
        for name, default, process in self.binds:
            value = params.get(name, default)
            if value is _MISSING:
                raise exc.InvalidRequestError(
                    f"A value is required for bind parameter {name!r}")
            values.append(process(value) if process is not None and value is not None
                          else value)
        if self.positional:
            return values
        return dict(zip((name for name, _, _ in self.binds), values, strict=True))

    def run(self, connection, params: dict | None, row_class: type) -> list:
        """The statement's rows as `row_class` tuples of processed values, on `connection`
        (a Core Connection: the session's, in its transaction)."""
        parameters = self.parameters(params)
        dbapi_connection = connection.connection.dbapi_connection
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, parameters)
            rows = cursor.fetchall()
            if self.processors is None:
                self.processors = self._result_processors(connection.dialect,
                                                          cursor.description)
        except connection.dialect.loaded_dbapi.Error as error:
            disconnect = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
            if disconnect:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                self.sql, parameters, error, connection.dialect.loaded_dbapi.Error,
                dialect=connection.dialect, connection_invalidated=disconnect,
            ) from error
        finally:
            cursor.close()
        make = tuple.__new__
        if not self.processors:
            return [make(row_class, row) for row in rows]
        processed = []
        for row in rows:
            values = list(row)
            for index, process in self.processors:
                value = values[index]
                if value is not None:
                    values[index] = process(value)
            processed.append(make(row_class, values))
        return processed

    def _result_processors(self, dialect, description) -> tuple:
        """(column index, result processor) of each column whose DBAPI value is not final
        (SQLite's timestamps and JSON, say)."""
        if len(description) != len(self.types):
            raise RuntimeError(f"{len(description)} columns, {len(self.types)} expected: {self.sql}")
        processors = ((index, type_.result_processor(dialect, column[1]))
                      for index, (type_, column) in enumerate(zip(self.types, description,
                                                                  strict=True)))
        return tuple((index, process) for index, process in processors if process is not None)
