"""The Sentry-compatible JSON API under /api/0/ (SPEC §8), on the same services as the pages."""

from flask import Blueprint

from webapp.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/0")
# CSRF is enforced by api.common.authenticate: bearer tokens need none; sessions send X-CSRFToken.
csrf.exempt(bp)

from webapp.blueprints.api import (  # noqa: E402,F401
    bulk,
    common,
    doc_integrations,
    features,
    install_requests,
    integrations,
    openapi,
    plugins,
)
