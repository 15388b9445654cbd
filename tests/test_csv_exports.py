"""CSV exports stream every row as a real server does it: after the request's session is gone.

The other tests keep one app context open around every request, which hides that: here the
requests run with no outer app context, like under gunicorn.
"""

import csv
import io

from tests import factories
from webapp.extensions import db
from webapp.models import DocIntegration


def _client_logged_in(app, user_id):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    return client


def _rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_installed_integrations_csv_has_every_row_outside_an_app_context(app_factory):
    app = app_factory()
    with app.app_context():
        org = factories.make_org(slug="acme")
        owner = factories.make_user()
        factories.make_member(org, owner, "owner")
        for n in range(3):
            factories.install(org, factories.make_integration("slack", name=f"Slack {n}"))
        db.session.commit()
        owner_id = owner.id
        db.session.remove()
    rows = _rows(_client_logged_in(app, owner_id).get("/settings/acme/integrations/?format=csv"))
    assert len(rows) == 1 + 3
    assert {row[3] for row in rows[1:]} == {"Slack 0", "Slack 1", "Slack 2"}


def test_doc_integrations_csv_has_every_row_outside_an_app_context(app_factory):
    app = app_factory()
    with app.app_context():
        staff = factories.make_user(is_staff=True)
        for n in range(2):
            db.session.add(DocIntegration(name=f"Doc {n}", slug=f"doc-{n}", author="A",
                                          description="D", url="https://x.example", resources=[]))
        db.session.commit()
        staff_id = staff.id
        db.session.remove()
    rows = _rows(_client_logged_in(app, staff_id).get("/doc-integrations/?format=csv"))
    assert [row[0] for row in rows[1:]] == ["Doc 0", "Doc 1"]


def test_audit_and_plugin_csvs_outside_an_app_context(app_factory):
    app = app_factory()
    with app.app_context():
        org = factories.make_org(slug="acme")
        owner = factories.make_user()
        factories.make_member(org, owner, "owner")
        project = factories.make_project(org, slug="web")
        factories.set_plugin_option(project, "webhooks", "urls", "https://hook.example")
        db.session.commit()
        owner_id = owner.id
        db.session.remove()
    client = _client_logged_in(app, owner_id)
    plugin_rows = _rows(client.get("/settings/acme/plugins/?format=csv"))
    assert any("web" in row for row in plugin_rows[1:])
    audit_rows = _rows(client.get("/settings/acme/audit-log/?format=csv"))
    assert any("EXPORT_CSV" in row for row in audit_rows[1:])
