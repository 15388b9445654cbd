"""An organization's provider policy: /settings/<org>/integration-policy/ (issue 23)."""

from flask import Blueprint

bp = Blueprint("policy", __name__)

from webapp.blueprints.policy import views  # noqa: E402,F401
