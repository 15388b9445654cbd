"""The login form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp import messages


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired(message="Enter your email."),
        Length(max=254, message=messages.at_most_characters(254, what="Email")),
    ])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    remember = BooleanField("Remember me on this computer")
