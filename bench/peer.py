"""Flask-Admin's list view over the app's own tables: the peer of issue 7's "≥ 10 ×
Flask-Admin" goal (run by hand with bench/compare_peer.py, never by the test suite).

A stock Flask-Admin `ModelView` of the installations (`OrganizationIntegration`) of the
org `demo` that the app lists (rows being deleted are hidden), with the related
Integration's columns joined (name, provider, external id, integration status), 25 rows a
page, sorted by the integration's name, a status filter and a provider filter: the list
page a team gets from Flask-Admin without tuning it.

Flask-Admin is not a dependency of the app: this module runs in its own virtualenv
(`bench/.venv-peer`, see bench/README.md), which installs the app and Flask-Admin.

    gunicorn bench.peer:app     # DATABASE_URL names the database, as for the app
"""

import os

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Integration, Organization, OrganizationIntegration
from webapp.models.base import VISIBLE_STATUSES, ObjectStatus

ORG_SLUG = "demo"


class InstallationsView(ModelView):
    """The installations of one org with their Integration joined, as Flask-Admin lists them."""

    can_create = can_edit = can_delete = False
    page_size = 25
    column_list = ("integration.provider", "integration.name", "integration.external_id",
                   "status", "integration.status", "date_added", "grace_period_end")
    column_labels = {"integration.provider": "Provider", "integration.name": "Name",
                     "integration.external_id": "External ID",
                     "integration.status": "Integration status"}
    column_sortable_list = ("integration.provider", "integration.name", "status", "date_added")
    column_default_sort = ("integration.name", False)
    column_select_related_list = (OrganizationIntegration.integration,)  # joined, not per row
    column_filters = ("status", Integration.provider)
    column_formatters = {
        "status": lambda view, context, model, name: ObjectStatus(model.status).name.title(),
    }

    def __init__(self, org_id: int):
        self.org_id = org_id
        super().__init__(OrganizationIntegration, db.session, name="Installations",
                         endpoint="installations")

    def _of_org(self, query):
        """The org's installations that the app lists (rows being deleted are hidden)."""
        return query.filter(OrganizationIntegration.organization_id == self.org_id,
                            OrganizationIntegration.status.in_(VISIBLE_STATUSES))

    def get_query(self):
        return self._of_org(super().get_query())

    def get_count_query(self):
        return self._of_org(super().get_count_query())


def create_peer_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config["SECRET_KEY"] = "peer"
    db.init_app(app)
    with app.app_context():
        org_id = db.session.scalar(select(Organization.id).where(Organization.slug == ORG_SLUG))
    admin = Admin(app, name="Peer")
    admin.add_view(InstallationsView(org_id))

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


app = create_peer_app()
