"""`read_rows`: the hot read paths' rows are named tuples (cheap `row.name` reads), they
hold what the database holds (types processed as SQLAlchemy processes them), and a read
sees the session's own pending writes."""

from datetime import datetime

from sqlalchemy import select

from tests import factories
from webapp.extensions import db, read_rows
from webapp.models import Integration
from webapp.models import OrganizationIntegration as OI


def test_rows_are_named_tuples_with_processed_values(app, org):
    factories.install(org, factories.make_integration("slack", name="Acme chat"),
                      config={"channel": "#ops"})
    db.session.commit()
    rows = read_rows(select(OI.integration_name.label("name"), OI.date_added,
                            OI.config.label("config"))
                     .where(OI.organization_id == org.id))
    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert isinstance(row, tuple) and not hasattr(row, "_mapping")  # not SQLAlchemy's Row
    assert row.name == row[0] == "Acme chat"
    assert isinstance(row.date_added, datetime) and row.date_added.tzinfo is not None
    assert row.config == {"channel": "#ops"}  # JSON read back as an object, not text
    name, added, config = row
    assert (name, added, config) == tuple(row)


def test_a_read_sees_the_sessions_pending_writes(app, org):
    db.session.add(Integration(provider="github", external_id="ext-pending",
                               name="Pending repo", metadata_={}))  # added, not flushed
    rows = read_rows(select(Integration.name).where(Integration.external_id == "ext-pending"))
    assert [row.name for row in rows] == ["Pending repo"]
