"""The integration directory and the sentry-app pages."""

from flask import Blueprint

bp = Blueprint("directory", __name__)

from webapp.blueprints.directory import views  # noqa: E402,F401
