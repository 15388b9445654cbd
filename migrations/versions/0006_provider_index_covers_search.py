"""The provider index covers the search box: ix_org_integration_org_provider_name gains
integration_external_id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 14:30:00

The search (`q`) matches a name or an external id, so its count reads every index entry of
the org. SQLite's planner picks the provider index for that count (it groups by provider),
which did not hold the external id: each entry then read its table row (~550 ms at 100,000
installations). With the external id in the index the count reads the index alone
(~70 ms); the page's other reads are unchanged.
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

NAME = 'ix_org_integration_org_provider_name'
COLUMNS = ['organization_id', 'integration_provider', 'integration_name', 'id', 'status']


def upgrade():
    # Plain DROP/CREATE INDEX (not batch mode): rebuilding the table on SQLite would drop
    # the triggers of migration 0003.
    op.drop_index(NAME, table_name='organization_integration')
    op.create_index(NAME, 'organization_integration', COLUMNS + ['integration_external_id'])


def downgrade():
    op.drop_index(NAME, table_name='organization_integration')
    op.create_index(NAME, 'organization_integration', COLUMNS)
