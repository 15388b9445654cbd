"""`sql_constant`: catalog constants written into a cached statement's SQL text, so that
the plugin configs page's one big statement binds nothing but the org id."""

import pytest
from sqlalchemy import event, select

from tests import factories
from webapp.extensions import db, sql_constant


@pytest.mark.parametrize("value", ["plain", "o'brien", "''", "", 'a"b;--', 0, 42, -7])
def test_a_constant_reads_back_as_itself(app, value):
    assert db.session.execute(select(sql_constant(value))).scalar_one() == value


@pytest.mark.parametrize("value", [True, None, 1.5, b"x", ["a"]])
def test_only_strings_and_integers_are_constants(value):
    with pytest.raises(TypeError):
        sql_constant(value)


def test_plugin_configs_statement_binds_only_the_org_id(app, client, login_as, org):
    """24 plugins' slugs, keys, statuses and limits are in the SQL text: SQLAlchemy does
    no per-execution work for them (it processed ~120 values, and re-rendered an IN list)."""
    login_as("member")
    project = factories.make_project(org, slug="bar")
    factories.set_plugin_option(project, "trello", "key", "k")
    db.session.commit()
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.get(f"/settings/{org.slug}/plugins/")
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code == 200
    statement, parameters = next((s, p) for s, p in seen if "UNION ALL" in s)
    values = parameters.values() if isinstance(parameters, dict) else parameters
    assert set(values) == {org.id}
    assert "'trello'" in statement


def test_plugin_configs_statement_is_compiled_once(app, client, login_as, org):
    """The statement is cached: SQLAlchemy compiles it on the first request only. A
    construct without a cache key (e.g. a VALUES list of literals) would make it compile
    the whole statement, ~1.3 ms, on every request."""
    login_as("member")
    db.session.commit()
    hits = []

    def after(conn, cursor, statement, parameters, context, executemany):
        if "project_lists" in statement:
            hits.append(context.cache_hit)

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        for _ in range(2):
            assert client.get(f"/settings/{org.slug}/plugins/").status_code == 200
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
    assert len(hits) == 2
    assert str(hits[1]) == "CacheStats.CACHE_HIT", hits
