"""Bulk writes for the demo data: chunked Core inserts, COPY on PostgreSQL.

No ORM object per row, so `seed-demo --scale 1000` (100k installations, 50k projects)
takes seconds.
"""

from __future__ import annotations

import json

from sqlalchemy import JSON, insert

from webapp.extensions import db

CHUNK = 5000


def _copy_rows(model, rows: list[dict]) -> None:
    """PostgreSQL: COPY rows (dicts keyed by ORM attribute) into the model's table.

    Columns the rows leave out get their Python-side default (as an INSERT would), JSON
    values are sent as JSON text. Runs in the session's transaction.
    """
    table = model.__table__
    mapper = model.__mapper__
    keys = {mapper.get_property_by_column(column).key: column for column in table.columns}
    given = [key for key in keys if key in rows[0]]
    defaults = {}
    for key, column in keys.items():
        if key in rows[0] or column.primary_key or column.default is None:
            continue
        if column.default.is_scalar:
            defaults[key] = lambda arg=column.default.arg: arg
        elif column.default.is_callable:
            defaults[key] = lambda fn=column.default.arg: fn(None)
    names = given + list(defaults)
    json_keys = {key for key in names if isinstance(keys[key].type, JSON)}
    connection = db.session.connection()
    quote = connection.dialect.identifier_preparer.quote
    statement = (f"COPY {quote(table.name)} ({', '.join(quote(keys[key].name) for key in names)})"
                 " FROM STDIN")
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None  # the psycopg connection of a checked-out connection
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[key] for key in given] + [make() for make in defaults.values()]
            copy.write_row([json.dumps(value) if key in json_keys else value
                            for key, value in zip(names, values, strict=True)])


def insert_rows(model, rows: list[dict], *, returning: bool = False) -> list[int]:
    """Insert rows in chunks; with `returning`, their new ids in row order.

    RETURNING makes PostgreSQL's bulk insert 3× slower, so big tables insert without it
    and look their ids up by natural key afterwards (one query). On PostgreSQL, big
    tables go through COPY, which is 2–3× faster than multi-row INSERTs.
    """
    ids: list[int] = []
    if not rows:
        return ids
    if not returning and db.engine.dialect.name == "postgresql":
        _copy_rows(model, rows)
        return ids
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if returning:
            result = db.session.execute(
                insert(model).returning(model.id, sort_by_parameter_order=True), chunk
            )
            ids.extend(result.scalars().all())
        else:
            db.session.execute(insert(model), chunk)
    return ids
