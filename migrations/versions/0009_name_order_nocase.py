"""Installations in name order whatever the case: the name indexes compare names with the
`nocase` collation.

Revision ID: 0009_name_order_nocase
Revises: 0008_request_resolution
Create Date: 2026-12-06 10:00:00

The installed-integrations list (its page, CSV, API and the provider page) sorts by
integration name, then id. With the default collations the order was by code point, so
"Zeta" came before "alpha". The list now orders by `integration_name COLLATE nocase`, and
the three indexes whose order serves it keep that collation on the name column, so every
page is still read from one covering index range (an Index Only Scan on PostgreSQL, a
COVERING INDEX search on SQLite), not sorted:

- SQLite: `nocase` is built in (ASCII letters compared without case; the rest by code
  point).
- PostgreSQL: `nocase` is created here, an ICU collation at strength 2 (case ignored,
  accents kept), nondeterministic so that "Alpha" and "alpha" tie and the id decides, as
  on SQLite. The server needs ICU (PostgreSQL's Debian and Docker builds have it).

Plain DROP/CREATE INDEX (not batch mode): rebuilding the table on SQLite would drop the
triggers of migration 0003.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_name_order_nocase'
down_revision = '0008_request_resolution'
branch_labels = None
depends_on = None

TABLE = 'organization_integration'
NAME = 'integration_name'
# Index → its columns; NAME is the one that gets the collation.
INDEXES = {
    'ix_org_integration_org_name': ['organization_id', NAME, 'id', 'integration_provider',
                                    'status', 'integration_external_id'],
    'ix_org_integration_org_provider_name': ['organization_id', 'integration_provider', NAME,
                                             'id', 'status', 'integration_external_id'],
    'ix_org_integration_org_status_name': ['organization_id', 'status', NAME, 'id',
                                           'integration_provider'],
}
PG_COLLATION = ("CREATE COLLATION IF NOT EXISTS nocase "
                "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)")


def _create(collated: bool) -> None:
    for index, columns in INDEXES.items():
        op.create_index(index, TABLE, [
            sa.text(f"{column} COLLATE nocase") if collated and column == NAME else column
            for column in columns
        ])


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_COLLATION)
    for index in INDEXES:
        op.drop_index(index, table_name=TABLE)
    _create(collated=True)


def downgrade():
    for index in INDEXES:
        op.drop_index(index, table_name=TABLE)
    _create(collated=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP COLLATION IF EXISTS nocase")
