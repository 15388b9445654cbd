"""The org audit log: /settings/<org>/audit-log/ (append-only; there are no edit/delete routes)."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from webapp.blueprints.audit import views  # noqa: E402,F401
