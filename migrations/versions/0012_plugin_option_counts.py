"""Plugin option counts kept on write: how many active projects hold each option with a value.

Revision ID: 0012_plugin_option_counts
Revises: 0011_provider_policy
Create Date: 2026-12-12 09:00:00

- plugin_option_count holds, per (organization, plugin, option key), how many
  project_plugin_option rows have `has_value` true and `project_status` ACTIVE (0): the
  rows the plugin configs page lists (services/plugins/lists.py `_configured_range`). The
  page reads one row per plugin (its required option) instead of counting each plugin's
  range of ix_project_plugin_option_list, which on SQLite reads every option row of the
  range (`has_value` is a virtual column: the index is not covering).
- Kept exact by DATABASE TRIGGERS (below, one set per dialect), in the same transaction as
  the write, whatever the write path (ORM, bulk INSERT, COPY, raw SQL, load-data). A
  project's status change, move or deletion reaches the option rows through the triggers
  of migration 0004 (an UPDATE of the copies, a DELETE of the options), and so the counts.
- A group's row is kept when its count goes back to 0 (as organization_integration_count).

Triggers
  SQLite (row triggers; the copies of 0004 arrive as UPDATEs of the option row):
    ppo_count_after_insert  count +1 when the new row has a value on an active project
    ppo_count_after_update  (value, copies, plugin, key or project_id changed) −1 for the
                            old row if it counted, +1 for the new row if it counts; both
                            are upserts, so the result does not depend on the order in
                            which SQLite fires this trigger and 0004's copy triggers
    ppo_count_after_delete  count −1 when the row counted (an UPDATE, never an insert)
  PostgreSQL (the copies are set BEFORE the row is written, by 0004's row trigger):
    project_plugin_option_count_ins    AFTER INSERT, per statement (transition table): one
                                       grouped upsert, so a COPY costs one statement
    project_plugin_option_count_upd    AFTER UPDATE, per statement: net change per group
    project_plugin_option_count_del    AFTER DELETE, per statement: grouped decrement (an
                                       UPDATE, never an insert: a cascade from a deleted
                                       organization must not recreate its rows)
    project_plugin_option_count_trunc  AFTER TRUNCATE: the counts go too

  PostgreSQL, replacing 0004's row trigger of the same name (same copies, one statement):
    project_plugin_copy                AFTER UPDATE on project, per statement (transition
                                       tables): rewrite the copies of every project whose
                                       organization, slug or status changed in ONE update
                                       of the options. 0004's version ran one update per
                                       project, and with it one run of the count trigger:
                                       archiving an org's 50,000 projects took 65 s instead
                                       of 7 s.

A later migration that rebuilds project_plugin_option on SQLite (`batch_alter_table` with
recreate) drops these triggers with the table: it must create them again (call
`create_sqlite_triggers()` from this module); tests/perf checks they exist.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_plugin_option_counts'
down_revision = '0011_provider_policy'
branch_labels = None
depends_on = None

# ObjectStatus.ACTIVE; the predicate of services/plugins/lists.py `_configured_range`.
COUNTED = "has_value AND project_status = 0"


def _counted(row: str) -> str:
    return f"({row}.has_value AND {row}.project_status = 0)"


def _upsert(row: str, delta: str) -> str:
    return f"""
    INSERT INTO plugin_option_count (organization_id, plugin, key, projects)
    SELECT {row}.project_organization_id, {row}.plugin, {row}.key, {delta} WHERE {_counted(row)}
        ON CONFLICT (organization_id, plugin, key) DO UPDATE SET projects = projects + {delta};"""


SQLITE_TRIGGERS = {
    'ppo_count_after_insert': f"""
CREATE TRIGGER ppo_count_after_insert AFTER INSERT ON project_plugin_option
WHEN {_counted('NEW')}
BEGIN{_upsert('NEW', '1')}
END""",
    'ppo_count_after_update': f"""
CREATE TRIGGER ppo_count_after_update
AFTER UPDATE OF value, project_status, project_organization_id, plugin, key, project_id
ON project_plugin_option
WHEN {_counted('OLD')} IS NOT {_counted('NEW')}
     OR ({_counted('NEW')} AND (OLD.project_organization_id IS NOT NEW.project_organization_id
                                OR OLD.plugin IS NOT NEW.plugin OR OLD.key IS NOT NEW.key))
BEGIN{_upsert('OLD', '-1')}{_upsert('NEW', '1')}
END""",
    'ppo_count_after_delete': f"""
CREATE TRIGGER ppo_count_after_delete AFTER DELETE ON project_plugin_option
WHEN {_counted('OLD')}
BEGIN
    UPDATE plugin_option_count SET projects = projects - 1
     WHERE organization_id = OLD.project_organization_id AND plugin = OLD.plugin
       AND key = OLD.key;
END""",
}

PG_FUNCTIONS = {
    'project_plugin_option_count_ins': f"""
CREATE FUNCTION project_plugin_option_count_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO plugin_option_count AS c (organization_id, plugin, key, projects)
    SELECT project_organization_id, plugin, key, count(*)
      FROM new_rows WHERE {COUNTED} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, plugin, key)
        DO UPDATE SET projects = c.projects + EXCLUDED.projects;
    RETURN NULL;
END $$""",
    'project_plugin_option_count_upd': f"""
CREATE FUNCTION project_plugin_option_count_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO plugin_option_count AS c (organization_id, plugin, key, projects)
    SELECT organization_id, plugin, key, sum(delta)
      FROM (SELECT project_organization_id AS organization_id, plugin, key, -1 AS delta
              FROM old_rows WHERE {COUNTED}
            UNION ALL
            SELECT project_organization_id, plugin, key, 1
              FROM new_rows WHERE {COUNTED}) AS changes
     GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, plugin, key)
        DO UPDATE SET projects = c.projects + EXCLUDED.projects;
    RETURN NULL;
END $$""",
    'project_plugin_option_count_del': f"""
CREATE FUNCTION project_plugin_option_count_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE plugin_option_count AS c SET projects = c.projects - gone.n
      FROM (SELECT project_organization_id AS organization_id, plugin, key, count(*) AS n
              FROM old_rows WHERE {COUNTED} GROUP BY 1, 2, 3) AS gone
     WHERE c.organization_id = gone.organization_id AND c.plugin = gone.plugin
       AND c.key = gone.key;
    RETURN NULL;
END $$""",
    'project_plugin_option_count_trunc': """
CREATE FUNCTION project_plugin_option_count_trunc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM plugin_option_count;
    RETURN NULL;
END $$""",
}

# 0004's project_plugin_copy, per statement (see above); 0004's own text comes back on downgrade.
PG_PROJECT_COPY = ("""
CREATE OR REPLACE FUNCTION project_plugin_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_plugin_option AS o
       SET project_organization_id = n.organization_id, project_slug = n.slug,
           project_status = n.status
      FROM new_rows AS n JOIN old_rows AS b ON b.id = n.id
     WHERE o.project_id = n.id
       AND (b.organization_id IS DISTINCT FROM n.organization_id OR b.slug IS DISTINCT FROM n.slug
            OR b.status IS DISTINCT FROM n.status);
    RETURN NULL;
END $$""",
    "CREATE TRIGGER project_plugin_copy AFTER UPDATE ON project REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_plugin_copy()")
PG_PROJECT_COPY_0004 = ("""
CREATE OR REPLACE FUNCTION project_plugin_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_plugin_option
       SET project_organization_id = NEW.organization_id, project_slug = NEW.slug,
           project_status = NEW.status
     WHERE project_id = NEW.id;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER project_plugin_copy AFTER UPDATE OF organization_id, slug, status ON project "
    "FOR EACH ROW WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id "
    "OR OLD.slug IS DISTINCT FROM NEW.slug OR OLD.status IS DISTINCT FROM NEW.status) "
    "EXECUTE FUNCTION project_plugin_copy()")


def replace_project_copy(function: str, trigger: str) -> None:
    """PostgreSQL: project_plugin_copy (trigger and function) redefined, in place."""
    op.execute("DROP TRIGGER IF EXISTS project_plugin_copy ON project")
    op.execute(function)
    op.execute(trigger)


# (trigger name, table, definition without the name and table)
PG_TRIGGERS = (
    ('project_plugin_option_count_ins', 'project_plugin_option',
     "AFTER INSERT ON project_plugin_option REFERENCING NEW TABLE AS new_rows "
     "FOR EACH STATEMENT EXECUTE FUNCTION project_plugin_option_count_ins()"),
    ('project_plugin_option_count_upd', 'project_plugin_option',
     "AFTER UPDATE ON project_plugin_option REFERENCING OLD TABLE AS old_rows "
     "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION project_plugin_option_count_upd()"),
    ('project_plugin_option_count_del', 'project_plugin_option',
     "AFTER DELETE ON project_plugin_option REFERENCING OLD TABLE AS old_rows "
     "FOR EACH STATEMENT EXECUTE FUNCTION project_plugin_option_count_del()"),
    ('project_plugin_option_count_trunc', 'project_plugin_option',
     "AFTER TRUNCATE ON project_plugin_option "
     "FOR EACH STATEMENT EXECUTE FUNCTION project_plugin_option_count_trunc()"),
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
    op.create_table(
        'plugin_option_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('plugin', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('projects', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_plugin_option_count_organization_id_organization'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plugin_option_count')),
        sa.UniqueConstraint('organization_id', 'plugin', 'key',
                            name=op.f('uq_plugin_option_count_organization_id_plugin_key')),
    )
    # The triggers come after the fill, in the same transaction (the migration's): no write
    # can fall between the two on PostgreSQL; SQLite has one writer at a time.
    op.execute(
        "INSERT INTO plugin_option_count (organization_id, plugin, key, projects) "
        "SELECT project_organization_id, plugin, key, count(*) FROM project_plugin_option "
        f"WHERE {COUNTED} GROUP BY project_organization_id, plugin, key"
    )
    if dialect == 'sqlite':
        create_sqlite_triggers()
    elif dialect == 'postgresql':
        create_postgresql_triggers()
        replace_project_copy(*PG_PROJECT_COPY)


def downgrade():
    drop_triggers()
    if op.get_bind().dialect.name == 'postgresql':
        replace_project_copy(*PG_PROJECT_COPY_0004)
    op.drop_table('plugin_option_count')
