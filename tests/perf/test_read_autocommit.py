"""PostgreSQL: safe requests read in autocommit, writes keep their transaction, and the
connection keeps its prepared statements (webapp.web `read_in_autocommit`, config.py)."""

import pytest
from sqlalchemy import event, text

from tests.conftest import USING_PG
from webapp.extensions import db

pytestmark = pytest.mark.skipif(
    not USING_PG, reason="PostgreSQL only (SQLite does not open a transaction to read)")

LIST = "/settings/acme/integrations/"


def autocommit_during(client, method: str, path: str, **kwargs):
    """(response, the connection's autocommit flag at each statement of the request).
    Each request starts with a fresh session, as it does in production."""
    db.session.remove()
    flags: list[bool] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        flags.append(conn.connection.dbapi_connection.autocommit)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.open(path, method=method, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return response, flags


def test_a_page_reads_in_autocommit_and_a_write_keeps_its_transaction(app, client, login_as):
    login_as("owner")
    response, flags = autocommit_during(client, "GET", LIST)
    assert response.status_code == 200
    assert flags and all(flags)

    response, flags = autocommit_during(client, "POST", "/saved-views/", data={
        "list_key": "integrations", "org": "acme", "name": "Slack only",
        "query_string": "provider_key=slack", "next": LIST})
    assert response.status_code == 302
    assert flags and not any(flags)  # the INSERT and its checks run in one transaction
    db.session.remove()
    names = db.session.execute(text("SELECT name FROM saved_view")).scalars().all()
    assert names == ["Slack only"]


def test_the_connection_keeps_prepared_statements_and_plans_them_once(app, client, login_as):
    """psycopg prepares a statement on its 5th run and forgets them all on ROLLBACK: reads
    in autocommit end without one, so the sixth page view runs prepared statements."""
    login_as("member")
    for _ in range(6):
        db.session.remove()
        assert client.get(LIST).status_code == 200
    db.session.remove()
    connection = db.session.connection()
    assert connection.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
    prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    assert prepared >= 1


def test_streamed_reads_work_in_a_read_in_autocommit(app, org):
    """A CSV export streams with a server-side cursor, which needs a transaction block:
    begin_streamed_read opens one when the request reads in autocommit."""
    from tests import factories
    from webapp.models import Organization
    from webapp.services import integrations as svc

    for n in range(3):
        factories.install(org, factories.make_integration(name=f"Team {n}"))
    db.session.commit()
    org_id = org.id
    db.session.remove()
    with app.test_request_context(LIST):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        org = db.session.get(Organization, org_id)
        rows = list(svc.iter_org_integrations(org, svc.IntegrationFilters(), batch=2))
        assert [oi.integration.name for oi in rows] == ["Team 0", "Team 1", "Team 2"]
        db.session.remove()
