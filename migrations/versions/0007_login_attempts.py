"""Login attempts in the database: the login throttle counts across every process and host.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00

Replaces the per-process counters of the `limits` library (memory://): each row is one
password check that did not succeed, from one client address (services/login_throttle.py).
Nothing to migrate: the old counters lived in memory.
"""
from alembic import op
import sqlalchemy as sa

import webapp.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('attempted_at', webapp.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    op.create_index('ix_login_attempt_email_address', 'login_attempt',
                    ['email', 'address', 'attempted_at'])
    op.create_index('ix_login_attempt_address', 'login_attempt', ['address', 'attempted_at'])
    op.create_index('ix_login_attempt_attempted_at', 'login_attempt', ['attempted_at'])


def downgrade():
    op.drop_index('ix_login_attempt_attempted_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_address', table_name='login_attempt')
    op.drop_index('ix_login_attempt_email_address', table_name='login_attempt')
    op.drop_table('login_attempt')
