"""Migration 0010: user.auth_source ("local" for every existing user) and
organization_member.role_source (None: set by hand), added and dropped again; the models
match."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.perf.test_migration_0003 import scratch_db_url  # noqa: F401 (a fixture)
from webapp.extensions import db


def columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_existing_users_are_local_and_their_roles_set_by_hand_and_downgrade_drops_both(
        app_factory, scratch_db_url):  # noqa: F811
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:  # data written before 0010 existed
            conn.execute(sa.text(
                'INSERT INTO "user" (id, email, name, is_active, is_staff, is_superuser, '
                "date_joined) VALUES (1, 'ann@example.com', 'Ann', true, false, false, "
                "'2025-01-01')"))
            conn.execute(sa.text("INSERT INTO organization (id, slug, name, date_added) "
                                 "VALUES (1, 'acme', 'Acme', '2025-01-01')"))
            conn.execute(sa.text("INSERT INTO organization_member (organization_id, user_id, "
                                 "role, date_added) VALUES (1, 1, 'owner', '2025-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text('SELECT auth_source FROM "user"')).scalar_one() == "local"
            assert conn.execute(sa.text("SELECT role_source FROM organization_member")
                                ).scalar_one() is None
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "auth_source" in repr(d) or "role_source" in repr(d)] == []
        db.session.remove()
        downgrade(revision="0007")
        assert "auth_source" not in columns("user")
        assert "role_source" not in columns("organization_member")
        with db.engine.connect() as conn:  # the unique email index survived (no table copy)
            conn.execute(sa.text('INSERT INTO "user" (id, email, name, is_active, is_staff, '
                                 "is_superuser, date_joined) VALUES (2, 'b@example.com', 'B', "
                                 "true, false, false, '2025-01-01')"))
            try:
                conn.execute(sa.text('INSERT INTO "user" (id, email, name, is_active, is_staff,'
                                     " is_superuser, date_joined) VALUES (3, 'B@EXAMPLE.COM', "
                                     "'B', true, false, false, '2025-01-01')"))
            except sa.exc.IntegrityError:
                conn.rollback()
            else:
                raise AssertionError("uq_user_email_lower was lost")
        upgrade()
        assert "auth_source" in columns("user")
        db.session.remove()
