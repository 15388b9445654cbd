"""Projects by organization and status, in slug order: ix_project_org_status_slug.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:00:00

One plugin's page (/settings/<org>/plugins/<slug>/) lists every ACTIVE project of the org
by slug with the plugin's state, and counts them. With (organization_id, status, slug, id)
the count of the org's active projects reads this index alone (no table rows) and the
table walks it in slug order; only the projects that have options for the plugin are then
probed for their state (see `plugin_projects_table`).
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX (not batch mode): rebuilding `project` on SQLite would drop the
    # triggers of migration 0004.
    op.create_index('ix_project_org_status_slug', 'project',
                    ['organization_id', 'status', 'slug', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_project_org_status_slug', table_name='project')
