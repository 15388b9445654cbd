"""The Sentry-compatible JSON API under /api/0/ (SPEC §8), on the same services as the pages."""

from flask import Blueprint
from werkzeug.routing import BaseConverter

from webapp.extensions import csrf


class InstallationRefConverter(BaseConverter):
    """`<installation:integration_id>`: any path segment but "bulk", which names the bulk
    route beside the installations (so its Allow header lists only its own methods). The
    view still parses the id: "abc" is a 404 "Integration not found", as Sentry answers."""

    regex = r"(?!bulk\Z)[^/]+"
    part_isolating = True  # one path segment (the "/" in the regex is the excluded one)


bp = Blueprint("api", __name__, url_prefix="/api/0")


@bp.record_once
def _register_converters(state) -> None:
    state.app.url_map.converters["installation"] = InstallationRefConverter
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
