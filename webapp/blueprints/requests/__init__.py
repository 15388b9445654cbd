"""Install requests: the request form, the member's own requests, the owners' queue."""

from flask import Blueprint

bp = Blueprint("requests", __name__)

from webapp.blueprints.requests import views  # noqa: E402,F401
