"""Doc integrations (SPEC §7.2): list, create, edit, publish, logo, delete; staff make changes."""

from flask import Blueprint

bp = Blueprint("doc_integrations", __name__)

from webapp.blueprints.doc_integrations import views  # noqa: E402,F401
