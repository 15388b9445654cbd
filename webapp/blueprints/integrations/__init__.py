"""Installed integrations: the list with filters, provider pages, one installation's page."""

from flask import Blueprint

bp = Blueprint("integrations", __name__, url_prefix="/settings")

from webapp.blueprints.integrations import bulk_views, views  # noqa: E402,F401
