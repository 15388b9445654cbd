"""Direct reads (webapp/direct_reads.py): a statement marked with `direct_read` runs on the
DBAPI cursor, compiled once, and gives the rows SQLAlchemy would give; what SQLAlchemy does
around a statement (listeners, errors, per-run SQL) still happens."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, column, exc, select, table
from sqlalchemy.engine import Connection

from tests import factories
from webapp.direct_reads import direct_read
from webapp.extensions import db, read_rows
from webapp.models import Integration, OrganizationMember, User
from webapp.services import integrations as svc
from webapp.services import permissions


@pytest.fixture
def without_sqlalchemy_execute(monkeypatch):
    """`with without_sqlalchemy_execute():` Connection.execute fails inside (the test's own
    writes come before): what still runs went to the DBAPI directly."""

    def refuse(self, statement, *args, **kwargs):
        raise AssertionError(f"went through Connection.execute: {statement}")

    @contextmanager
    def refusing():
        with monkeypatch.context() as patch:
            patch.setattr(Connection, "execute", refuse)
            yield

    return refusing


def _rows_through_sqlalchemy(statement, params):
    return [tuple(row) for row in db.session.execute(statement, params)]


def test_marked_rows_equal_sqlalchemys_with_timestamps_json_and_flags(app, org):
    """The list's lean rows: tz-aware timestamps, a NULL one, JSON config, ints, text."""
    grace = datetime(2026, 12, 24, 9, 30, tzinfo=UTC)
    factories.install(org, factories.make_integration("slack", name="Chat ops"),
                      config={"channel": "#ops", "notify": True, "tags": ["a", "b"]})
    factories.install(org, factories.make_integration("github", name="Repos"),
                      grace_period_end=grace)
    factories.install(org, factories.make_integration("jira", name="No config"), config=None)
    db.session.commit()
    statement = svc._page_statement("name", True, False, True,
                                    ((None, (0, 1, 2), svc.INDEX_BY_NAME, 0),), "list")
    params = {"org_id": org.id, "limit": 25, "offset": 0}

    direct = read_rows(statement, params)

    assert [tuple(row) for row in direct] == _rows_through_sqlalchemy(statement, params)
    by_name = {row.name: row for row in direct}
    assert by_name["Chat ops"].config == {"channel": "#ops", "notify": True, "tags": ["a", "b"]}
    assert by_name["Repos"].grace_period_end == grace
    assert by_name["Chat ops"].grace_period_end is None
    assert by_name["Chat ops"].date_added.tzinfo is not None
    assert by_name["Chat ops"].date_added > datetime.now(UTC) - timedelta(minutes=5)


def test_user_statement_runs_without_sqlalchemy_execute(app, org, without_sqlalchemy_execute):
    user = factories.make_user(email="direct@example.com", name="Dee Rect")
    factories.make_member(org, user, role="admin")
    db.session.commit()
    user_id = user.id

    with without_sqlalchemy_execute():
        summary, orgs = permissions.load_user_and_organizations(user_id)

    assert (summary.email, summary.name, summary.is_active, summary.is_staff) == (
        "direct@example.com", "Dee Rect", True, False)
    assert summary.is_active is True  # SQLite's 1 read back as a bool, as SQLAlchemy does
    assert [(o.slug, role) for o, role in orgs] == [(org.slug, "admin")]


def test_the_list_page_runs_its_reads_directly(app, client, login_as, org,
                                               without_sqlalchemy_execute):
    """Every statement of the list page is marked (the user, the counts, the rows and the
    saved views): with Connection.execute refused, the page still renders its rows."""
    login_as("owner")
    factories.install(org, factories.make_integration("slack", name="Visible row"))
    db.session.commit()
    slug = org.slug
    db.session.remove()
    with without_sqlalchemy_execute():
        response = client.get(f"/settings/{slug}/integrations/?status=active")
    assert response.status_code == 200
    assert "Visible row" in response.get_data(as_text=True)


def test_listeners_see_every_statement(app, client, login_as, org, count_queries):
    """With a statement listener on the engine (the tests' counter, bench/run.py), marked
    statements go through SQLAlchemy, so the count is the page's real count."""
    login_as("owner")
    db.session.commit()
    slug = org.slug
    db.session.remove()
    with count_queries() as counter:
        assert client.get(f"/settings/{slug}/integrations/").status_code == 200
    assert any("organization_member" in s for s in counter.statements)  # the user's
    assert any("saved_view" in s for s in counter.statements)


def test_a_missing_parameter_is_refused(app):
    statement = permissions._user_and_memberships_statement()
    with pytest.raises(exc.SQLAlchemyError, match="user_id"):
        read_rows(statement, {})


def test_a_database_error_is_sqlalchemys(app):
    statement = direct_read(select(column("x")).select_from(table("no_such_table")))
    with pytest.raises(exc.DBAPIError):
        read_rows(statement)
    db.session.rollback()


def test_statements_rendered_per_run_go_through_sqlalchemy(app, org):
    """An expanding IN is rendered per run: SQLAlchemy runs it, with the right rows."""
    first = factories.make_integration("slack", name="One")
    second = factories.make_integration("github", name="Two")
    factories.make_integration("jira", name="Three")
    db.session.commit()
    statement = direct_read(select(Integration.name)
                            .where(Integration.id.in_(bindparam("ids", expanding=True)))
                            .order_by(Integration.name))
    assert [row.name for row in read_rows(statement, {"ids": [first.id, second.id]})] == [
        "One", "Two"]
    assert [row.name for row in read_rows(statement, {"ids": [second.id]})] == ["Two"]


def test_unmarked_statements_go_through_sqlalchemy(app, org, without_sqlalchemy_execute):
    with without_sqlalchemy_execute(), pytest.raises(AssertionError, match="Connection.execute"):
        read_rows(select(User.id).join(OrganizationMember))


def test_a_read_sees_the_sessions_pending_writes_directly(app, org):
    user = factories.make_user(email="pending@example.com")
    db.session.flush()
    db.session.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="member"))
    _, orgs = permissions.load_user_and_organizations(user.id)  # flushes the member first
    assert [o.slug for o, _ in orgs] == [org.slug]


def test_rows_keep_sqlalchemys_column_names(app, org):
    """Duplicate names are told apart as SQLAlchemy's `Result.keys()` does (id, id_1)."""
    user = factories.make_user(email="names@example.com")
    factories.make_member(org, user)
    db.session.commit()
    row = read_rows(permissions._user_and_memberships_statement(), {"user_id": user.id})[0]
    assert row._fields == ("id", "email", "name", "is_active", "is_staff", "is_superuser",
                           "id_1", "slug", "name_1", "role")
    assert (row.id, row.id_1, row.name_1) == (user.id, org.id, org.name)
