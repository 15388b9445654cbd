"""Provider policy: an organization allows all providers, only some, or blocks some.

Revision ID: 0011_provider_policy
Revises: 0010_directory_login
Create Date: 2026-12-10 09:00:00

One row per organization at most (models/policy.py); no row means "allow all", so nothing
to migrate.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import webapp.models.base

revision = '0011_provider_policy'
down_revision = '0010_directory_login'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'provider_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('providers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                      'postgresql'), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('date_updated', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("mode IN ('allow_all', 'allow_only', 'block')",
                           name=op.f('ck_provider_policy_mode')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_provider_policy_organization_id_organization'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'],
                                name=op.f('fk_provider_policy_updated_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_policy')),
        sa.UniqueConstraint('organization_id', name=op.f('uq_provider_policy_organization_id')),
    )


def downgrade():
    op.drop_table('provider_policy')
