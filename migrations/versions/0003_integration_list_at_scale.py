"""Installed integrations at scale: trigger-kept copies, per-org counts, covering indexes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:00:00

- organization_integration gets `integration_name`, `integration_provider` and
  `integration_external_id`: copies of its Integration's columns, so one org's list is
  filtered and sorted from an index without joining integration.
- organization_integration_count holds, per (organization, provider, status), how many
  installations there are: the list's result count and facet counts read ≤ 60 rows
  instead of counting the org.
- Both are maintained by DATABASE TRIGGERS (below, one set per dialect), in the same
  transaction as the write, whatever the write path (ORM, bulk INSERT, COPY, raw SQL).
- Covering indexes for every list order replace (org, status) and (org, date_added).

Triggers
  SQLite (row triggers; SQLite cannot change NEW, so copies are written by an UPDATE):
    oi_after_insert         copy the Integration's columns; count +1
    oi_after_update_source  (organization_id, integration_id or status changed) re-copy
                            when integration_id changed; count −1 old group, +1 new group
    oi_copy_guard           a copy column set by hand is put back from the Integration
    oi_after_delete         count −1
    integration_after_update  (name, provider or external_id changed) move the counts
                            when the provider changed; rewrite the copies
    integration_after_delete  delete its installations: the declared ON DELETE CASCADE,
                            which SQLite only enforces with PRAGMA foreign_keys=ON
  PostgreSQL:
    organization_integration_copy       BEFORE INSERT / UPDATE OF the copies or
                                        integration_id, per row: NEW.copies := Integration's
    organization_integration_count_ins  AFTER INSERT, per statement (transition table):
                                        one grouped upsert, so a 100k-row COPY costs one
                                        statement, not 100k updates of the same few rows
    organization_integration_count_upd  AFTER UPDATE, per statement: net change per group
    organization_integration_count_del  AFTER DELETE, per statement: grouped decrement
                                        (an UPDATE, never an insert: a cascade from a
                                        deleted organization must not recreate its rows)
    organization_integration_count_trunc  AFTER TRUNCATE: the counts go too
    integration_copy                    AFTER UPDATE OF name, provider, external_id, per
                                        row: rewrite the copies (the count trigger moves
                                        the counts when the provider changed)

A later migration that rebuilds organization_integration or integration on SQLite
(`batch_alter_table` with recreate) drops these triggers with the table: it must create
them again (call `create_sqlite_triggers()` from this module); tests/perf checks they exist.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_INDEXES = {
    'ix_org_integration_org_status': ['organization_id', 'status'],
    'ix_org_integration_org_date_added': ['organization_id', 'date_added'],
}
NEW_INDEXES = {
    'ix_org_integration_org_name': ['organization_id', 'integration_name', 'id',
                                    'integration_provider', 'status', 'integration_external_id'],
    'ix_org_integration_org_provider_name': ['organization_id', 'integration_provider',
                                             'integration_name', 'id', 'status'],
    'ix_org_integration_org_status_name': ['organization_id', 'status', 'integration_name', 'id',
                                           'integration_provider'],
    'ix_org_integration_org_date_added_id': ['organization_id', 'date_added', 'id',
                                             'integration_provider', 'status'],
}

SQLITE_TRIGGERS = {
    'oi_after_insert': """
CREATE TRIGGER oi_after_insert AFTER INSERT ON organization_integration
BEGIN
    UPDATE organization_integration
       SET (integration_name, integration_provider, integration_external_id) =
           (SELECT name, provider, external_id FROM integration WHERE id = NEW.integration_id)
     WHERE id = NEW.id;
    INSERT INTO organization_integration_count (organization_id, provider, status, count)
    SELECT NEW.organization_id, integration_provider, NEW.status, 1
      FROM organization_integration WHERE id = NEW.id
        ON CONFLICT (organization_id, provider, status) DO UPDATE SET count = count + 1;
END""",
    'oi_after_update_source': """
CREATE TRIGGER oi_after_update_source
AFTER UPDATE OF organization_id, integration_id, status ON organization_integration
WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.integration_id IS NOT NEW.integration_id
     OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE organization_integration
       SET (integration_name, integration_provider, integration_external_id) =
           (SELECT name, provider, external_id FROM integration WHERE id = NEW.integration_id)
     WHERE id = NEW.id AND OLD.integration_id IS NOT NEW.integration_id;
    UPDATE organization_integration_count SET count = count - 1
     WHERE organization_id = OLD.organization_id AND provider = OLD.integration_provider
       AND status = OLD.status;
    INSERT INTO organization_integration_count (organization_id, provider, status, count)
    SELECT NEW.organization_id, integration_provider, NEW.status, 1
      FROM organization_integration WHERE id = NEW.id
        ON CONFLICT (organization_id, provider, status) DO UPDATE SET count = count + 1;
END""",
    'oi_copy_guard': """
CREATE TRIGGER oi_copy_guard
AFTER UPDATE OF integration_name, integration_provider, integration_external_id
ON organization_integration
WHEN NOT EXISTS (SELECT 1 FROM integration WHERE id = NEW.integration_id
                    AND name IS NEW.integration_name AND provider IS NEW.integration_provider
                    AND external_id IS NEW.integration_external_id)
BEGIN
    UPDATE organization_integration
       SET (integration_name, integration_provider, integration_external_id) =
           (SELECT name, provider, external_id FROM integration WHERE id = NEW.integration_id)
     WHERE id = NEW.id;
END""",
    'oi_after_delete': """
CREATE TRIGGER oi_after_delete AFTER DELETE ON organization_integration
BEGIN
    UPDATE organization_integration_count SET count = count - 1
     WHERE organization_id = OLD.organization_id AND provider = OLD.integration_provider
       AND status = OLD.status;
END""",
    'integration_after_update': """
CREATE TRIGGER integration_after_update AFTER UPDATE OF name, provider, external_id ON integration
WHEN OLD.name IS NOT NEW.name OR OLD.provider IS NOT NEW.provider
     OR OLD.external_id IS NOT NEW.external_id
BEGIN
    UPDATE organization_integration_count SET count = count - 1
     WHERE OLD.provider IS NOT NEW.provider AND provider = OLD.provider
       AND (organization_id, status) IN (SELECT organization_id, status
                                           FROM organization_integration
                                          WHERE integration_id = NEW.id);
    INSERT INTO organization_integration_count (organization_id, provider, status, count)
    SELECT organization_id, NEW.provider, status, 1 FROM organization_integration
     WHERE integration_id = NEW.id AND OLD.provider IS NOT NEW.provider
        ON CONFLICT (organization_id, provider, status) DO UPDATE SET count = count + 1;
    UPDATE organization_integration
       SET integration_name = NEW.name, integration_provider = NEW.provider,
           integration_external_id = NEW.external_id
     WHERE integration_id = NEW.id;
END""",
    'integration_after_delete': """
CREATE TRIGGER integration_after_delete AFTER DELETE ON integration
BEGIN
    DELETE FROM organization_integration WHERE integration_id = OLD.id;
END""",
}

PG_FUNCTIONS = {
    'organization_integration_copy': """
CREATE FUNCTION organization_integration_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT name, provider, external_id
      INTO NEW.integration_name, NEW.integration_provider, NEW.integration_external_id
      FROM integration WHERE id = NEW.integration_id;
    RETURN NEW;
END $$""",
    'organization_integration_count_ins': """
CREATE FUNCTION organization_integration_count_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organization_integration_count AS c (organization_id, provider, status, count)
    SELECT organization_id, integration_provider, status, count(*)
      FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, provider, status)
        DO UPDATE SET count = c.count + EXCLUDED.count;
    RETURN NULL;
END $$""",
    'organization_integration_count_upd': """
CREATE FUNCTION organization_integration_count_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organization_integration_count AS c (organization_id, provider, status, count)
    SELECT organization_id, provider, status, sum(delta)
      FROM (SELECT organization_id, integration_provider AS provider, status, -1 AS delta
              FROM old_rows
            UNION ALL
            SELECT organization_id, integration_provider, status, 1 FROM new_rows) AS changes
     GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, provider, status)
        DO UPDATE SET count = c.count + EXCLUDED.count;
    RETURN NULL;
END $$""",
    'organization_integration_count_del': """
CREATE FUNCTION organization_integration_count_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE organization_integration_count AS c SET count = c.count - gone.n
      FROM (SELECT organization_id, integration_provider AS provider, status, count(*) AS n
              FROM old_rows GROUP BY 1, 2, 3) AS gone
     WHERE c.organization_id = gone.organization_id AND c.provider = gone.provider
       AND c.status = gone.status;
    RETURN NULL;
END $$""",
    'organization_integration_count_trunc': """
CREATE FUNCTION organization_integration_count_trunc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM organization_integration_count;
    RETURN NULL;
END $$""",
    'integration_copy': """
CREATE FUNCTION integration_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE organization_integration
       SET integration_name = NEW.name, integration_provider = NEW.provider,
           integration_external_id = NEW.external_id
     WHERE integration_id = NEW.id;
    RETURN NULL;
END $$""",
}

# (trigger name, table, definition without the name and table)
PG_TRIGGERS = (
    ('organization_integration_copy', 'organization_integration',
     "BEFORE INSERT OR UPDATE OF integration_id, integration_name, integration_provider, "
     "integration_external_id ON organization_integration FOR EACH ROW "
     "EXECUTE FUNCTION organization_integration_copy()"),
    ('organization_integration_count_ins', 'organization_integration',
     "AFTER INSERT ON organization_integration REFERENCING NEW TABLE AS new_rows "
     "FOR EACH STATEMENT EXECUTE FUNCTION organization_integration_count_ins()"),
    ('organization_integration_count_upd', 'organization_integration',
     "AFTER UPDATE ON organization_integration REFERENCING OLD TABLE AS old_rows "
     "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION organization_integration_count_upd()"),
    ('organization_integration_count_del', 'organization_integration',
     "AFTER DELETE ON organization_integration REFERENCING OLD TABLE AS old_rows "
     "FOR EACH STATEMENT EXECUTE FUNCTION organization_integration_count_del()"),
    ('organization_integration_count_trunc', 'organization_integration',
     "AFTER TRUNCATE ON organization_integration "
     "FOR EACH STATEMENT EXECUTE FUNCTION organization_integration_count_trunc()"),
    ('integration_copy', 'integration',
     "AFTER UPDATE OF name, provider, external_id ON integration FOR EACH ROW "
     "WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.provider IS DISTINCT FROM NEW.provider "
     "OR OLD.external_id IS DISTINCT FROM NEW.external_id) EXECUTE FUNCTION integration_copy()"),
)

TRIGGER_NAMES = {
    'sqlite': tuple(SQLITE_TRIGGERS),
    'postgresql': tuple(name for name, _table, _definition in PG_TRIGGERS),
}


def create_sqlite_triggers():
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def create_postgresql_triggers():
    for statement in PG_FUNCTIONS.values():
        op.execute(statement)
    for name, _table, definition in PG_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {definition}")


def drop_triggers():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == 'postgresql':
        for name, table, _definition in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('organization_integration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('integration_name', sa.String(length=200),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('integration_provider', sa.String(length=64),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('integration_external_id', sa.String(length=200),
                                      server_default='', nullable=False))
    op.execute(
        "UPDATE organization_integration SET "
        "integration_name = (SELECT name FROM integration "
        "WHERE integration.id = organization_integration.integration_id), "
        "integration_provider = (SELECT provider FROM integration "
        "WHERE integration.id = organization_integration.integration_id), "
        "integration_external_id = (SELECT external_id FROM integration "
        "WHERE integration.id = organization_integration.integration_id)"
    )

    op.create_table(
        'organization_integration_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_organization_integration_count_organization_id_organization'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_integration_count')),
        sa.UniqueConstraint('organization_id', 'provider', 'status',
                            name=op.f('uq_organization_integration_count_organization_id_provider_status')),
    )
    op.execute(
        "INSERT INTO organization_integration_count (organization_id, provider, status, count) "
        "SELECT organization_id, integration_provider, status, count(*) "
        "FROM organization_integration GROUP BY organization_id, integration_provider, status"
    )

    with op.batch_alter_table('organization_integration', schema=None) as batch_op:
        for name in OLD_INDEXES:
            batch_op.drop_index(name)
        for name, columns in NEW_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)

    if dialect == 'sqlite':
        create_sqlite_triggers()
    elif dialect == 'postgresql':
        create_postgresql_triggers()


def downgrade():
    drop_triggers()
    with op.batch_alter_table('organization_integration', schema=None) as batch_op:
        for name in NEW_INDEXES:
            batch_op.drop_index(name)
        for name, columns in OLD_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    op.drop_table('organization_integration_count')
    with op.batch_alter_table('organization_integration', schema=None) as batch_op:
        batch_op.drop_column('integration_external_id')
        batch_op.drop_column('integration_provider')
        batch_op.drop_column('integration_name')

