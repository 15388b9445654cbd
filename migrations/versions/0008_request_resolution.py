"""Install requests keep the reason they were resolved with.

Revision ID: 0008_request_resolution
Revises: 0007
Create Date: 2026-12-10 10:00:00

Who resolved a request and when were stored from the start (resolved_by_id,
date_resolved); the optional reason an owner or manager gives when dismissing is new. It is
emailed to the requester and shown under their requests. Existing rows get "" (no reason).
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_request_resolution'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('integration_request',
                  sa.Column('resolution_reason', sa.Text(), server_default='', nullable=False))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it): no copy of the table.
    op.drop_column('integration_request', 'resolution_reason')
