"""GET /api/0/integration-features/ — the §4.3 feature catalog."""

from flask import jsonify

from webapp.blueprints.api import bp
from webapp.catalog.features import FEATURES, feature_description_text


@bp.get("/integration-features/")
def integration_features():
    """Any authenticated caller: every feature with id, gate and description."""
    return jsonify([
        {
            "featureId": feature.id,
            "featureGate": feature.gate,
            "description": feature_description_text(feature.id, "The integration"),
        }
        for feature in FEATURES.values()
    ])
