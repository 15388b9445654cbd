"""API token forms."""

from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Optional


class TokenForm(FlaskForm):
    name = StringField("Name", description="What the token is for, e.g. “deploy script”.")
    expires_on = DateField(
        "Expires on",
        validators=[Optional()],
        description="Optional. The token stops working at the end of this day (UTC).",
    )


class RevokeForm(FlaskForm):
    """CSRF only."""
