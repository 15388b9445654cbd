"""Saved views: POST-only routes to save and delete a user's named filter sets (SPEC §7.6)."""

from flask import Blueprint

bp = Blueprint("saved_views", __name__, url_prefix="/saved-views")

from webapp.blueprints.saved_views import views  # noqa: E402,F401
