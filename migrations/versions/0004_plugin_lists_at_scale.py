"""Plugin project lists at scale: trigger-kept project copies and a has_value flag on options.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:00:00

- project_plugin_option gets `project_organization_id`, `project_slug` and
  `project_status`: copies of its Project's columns, so "the first configured ACTIVE
  projects of plugin P in org O, by slug" is one short range of an index on the options,
  instead of a walk over every project of the org probing its options.
- `has_value` is a GENERATED column: the option's JSON value is not null, false or ""
  (the rule of `webapp.services.plugins.predicates.has_value_sql` and the catalog's `_has_value`).
  VIRTUAL on SQLite (ALTER TABLE cannot add a stored one), STORED on PostgreSQL.
- ix_project_plugin_option_list (project_organization_id, plugin, key, has_value,
  project_status, project_slug, project_id) serves the plugin configs page, the API's
  plugin configs and the CSV export.

The copies are maintained by DATABASE TRIGGERS (one set per dialect), in the same
transaction as the write, whatever the write path (ORM, bulk INSERT, COPY, raw SQL). An
option whose project does not exist (SQLite does not enforce foreign keys) gets
organization 0, slug '' and status -1: it is never listed.

Triggers
  SQLite (row triggers; SQLite cannot change NEW, so copies are written by an UPDATE):
    ppo_after_insert       copy the Project's columns
    ppo_copy_guard         (project_id or a copy changed and differs from the Project)
                           copy the Project's columns again
    project_after_update   (organization_id, slug or status changed) rewrite the copies
    project_after_delete   delete its options: the declared ON DELETE CASCADE, which
                           SQLite only enforces with PRAGMA foreign_keys=ON
  PostgreSQL:
    project_plugin_option_copy  BEFORE INSERT / UPDATE OF project_id or the copies, per
                                row: NEW.copies := the Project's columns
    project_plugin_copy         AFTER UPDATE OF organization_id, slug, status on project,
                                per row: rewrite the copies (deletes cascade by the FK)

A later migration that rebuilds project_plugin_option or project on SQLite
(`batch_alter_table` with recreate) drops these triggers with the table: it must create
them again (call `create_sqlite_triggers()` from this module); tests/perf checks they exist.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The same text as the model's Computed column (webapp/models/plugins.py).
HAS_VALUE_SQL = "coalesce(CAST(value AS TEXT), 'null') NOT IN ('null', 'false', '\"\"')"
LIST_INDEX = ('ix_project_plugin_option_list',
              ['project_organization_id', 'plugin', 'key', 'has_value', 'project_status',
               'project_slug', 'project_id'])

# One row always (an aggregate), so a missing project gives the "never listed" values.
_PROJECT_COPY = ("SELECT coalesce(max(organization_id), 0), coalesce(max(slug), ''), "
                 "coalesce(max(status), -1) FROM project WHERE id = NEW.project_id")

SQLITE_TRIGGERS = {
    'ppo_after_insert': f"""
CREATE TRIGGER ppo_after_insert AFTER INSERT ON project_plugin_option
BEGIN
    UPDATE project_plugin_option
       SET (project_organization_id, project_slug, project_status) = ({_PROJECT_COPY})
     WHERE id = NEW.id;
END""",
    'ppo_copy_guard': f"""
CREATE TRIGGER ppo_copy_guard
AFTER UPDATE OF project_id, project_organization_id, project_slug, project_status
ON project_plugin_option
WHEN NOT EXISTS (SELECT 1 FROM project WHERE id = NEW.project_id
                    AND organization_id IS NEW.project_organization_id
                    AND slug IS NEW.project_slug AND status IS NEW.project_status)
BEGIN
    UPDATE project_plugin_option
       SET (project_organization_id, project_slug, project_status) = ({_PROJECT_COPY})
     WHERE id = NEW.id;
END""",
    'project_after_update': """
CREATE TRIGGER project_after_update AFTER UPDATE OF organization_id, slug, status ON project
WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.slug IS NOT NEW.slug
     OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE project_plugin_option
       SET project_organization_id = NEW.organization_id, project_slug = NEW.slug,
           project_status = NEW.status
     WHERE project_id = NEW.id;
END""",
    'project_after_delete': """
CREATE TRIGGER project_after_delete AFTER DELETE ON project
BEGIN
    DELETE FROM project_plugin_option WHERE project_id = OLD.id;
END""",
}

PG_FUNCTIONS = {
    'project_plugin_option_copy': """
CREATE FUNCTION project_plugin_option_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT coalesce(max(organization_id), 0), coalesce(max(slug), ''), coalesce(max(status), -1)
      INTO NEW.project_organization_id, NEW.project_slug, NEW.project_status
      FROM project WHERE id = NEW.project_id;
    RETURN NEW;
END $$""",
    'project_plugin_copy': """
CREATE FUNCTION project_plugin_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_plugin_option
       SET project_organization_id = NEW.organization_id, project_slug = NEW.slug,
           project_status = NEW.status
     WHERE project_id = NEW.id;
    RETURN NULL;
END $$""",
}

# (trigger name, table, definition without the name and table)
PG_TRIGGERS = (
    ('project_plugin_option_copy', 'project_plugin_option',
     "BEFORE INSERT OR UPDATE OF project_id, project_organization_id, project_slug, "
     "project_status ON project_plugin_option FOR EACH ROW "
     "EXECUTE FUNCTION project_plugin_option_copy()"),
    ('project_plugin_copy', 'project',
     "AFTER UPDATE OF organization_id, slug, status ON project FOR EACH ROW "
     "WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id "
     "OR OLD.slug IS DISTINCT FROM NEW.slug OR OLD.status IS DISTINCT FROM NEW.status) "
     "EXECUTE FUNCTION project_plugin_copy()"),
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
    with op.batch_alter_table('project_plugin_option', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_organization_id', sa.Integer(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('project_slug', sa.String(length=100),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('project_status', sa.Integer(),
                                      server_default='-1', nullable=False))
        batch_op.add_column(sa.Column('has_value', sa.Boolean(),
                                      sa.Computed(HAS_VALUE_SQL, persisted=dialect == 'postgresql'),
                                      nullable=True))
    if dialect == 'postgresql':
        op.execute(
            "UPDATE project_plugin_option AS o SET project_organization_id = p.organization_id, "
            "project_slug = p.slug, project_status = p.status FROM project AS p "
            "WHERE p.id = o.project_id"
        )
    else:
        op.execute(
            "UPDATE project_plugin_option SET (project_organization_id, project_slug, "
            "project_status) = (SELECT organization_id, slug, status FROM project "
            "WHERE project.id = project_plugin_option.project_id) "
            "WHERE project_id IN (SELECT id FROM project)"
        )
    with op.batch_alter_table('project_plugin_option', schema=None) as batch_op:
        batch_op.create_index(LIST_INDEX[0], LIST_INDEX[1], unique=False)

    if dialect == 'sqlite':
        create_sqlite_triggers()
    elif dialect == 'postgresql':
        create_postgresql_triggers()


def downgrade():
    drop_triggers()
    with op.batch_alter_table('project_plugin_option', schema=None) as batch_op:
        batch_op.drop_index(LIST_INDEX[0])
    with op.batch_alter_table('project_plugin_option', schema=None) as batch_op:
        batch_op.drop_column('has_value')
        batch_op.drop_column('project_status')
        batch_op.drop_column('project_slug')
        batch_op.drop_column('project_organization_id')
