"""API token forms."""

from flask_wtf import FlaskForm
from wtforms import StringField

from webapp.blueprints.filters import DayField


class TokenForm(FlaskForm):
    name = StringField("Name", description="What the token is for, e.g. “deploy script”.")
    expires_on = DayField(
        "Expires on",
        description="Optional. The token stops working at the end of this day (UTC).",
    )


class RevokeForm(FlaskForm):
    """CSRF only."""
