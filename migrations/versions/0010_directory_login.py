"""Directory and single-sign-on logins: how each user signs in, and where each role comes from.

Revision ID: 0010_directory_login
Revises: 0009_name_order_nocase
Create Date: 2026-12-10 10:00:00

`user.auth_source`: "local" (a password kept here), "ldap" (the company directory) or
"proxy" (a trusted single-sign-on proxy); every existing user is local.
`organization_member.role_source`: None when the role was set by hand, else the source
whose group mapping set it at the user's last login (services/external_accounts.py);
every existing membership was set by hand.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_directory_login'
down_revision = '0009_name_order_nocase'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('auth_source', sa.String(length=16), nullable=False,
                                    server_default='local'))
    op.add_column('organization_member', sa.Column('role_source', sa.String(length=16),
                                                   nullable=True))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it): a batch copy of `user` would
    # lose its expression index uq_user_email_lower, which SQLite cannot reflect.
    op.drop_column('organization_member', 'role_source')
    op.drop_column('user', 'auth_source')
