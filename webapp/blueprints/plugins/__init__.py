"""Legacy plugins: the plugin configs page, one plugin's page, per-project settings."""

from flask import Blueprint

bp = Blueprint("plugins", __name__)

from webapp.blueprints.plugins import views  # noqa: E402,F401
