"""/account/tokens/: create (plaintext shown once), list and revoke API tokens."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.blueprints.account import bp
from webapp.blueprints.account.forms import RevokeForm, TokenForm
from webapp.blueprints.common import apply_field_errors
from webapp.extensions import db
from webapp.services.errors import ValidationFailed
from webapp.services.tokens import create_token, list_tokens, revoke_token, token_state


@bp.route("/tokens/", methods=["GET", "POST"])
@login_required
def tokens():
    """Logged-in users: their tokens; POST creates one and shows its plaintext once."""
    form = TokenForm()
    plaintext = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                token, plaintext = create_token(current_user, form.name.data, form.expires_on.data)
            except ValidationFailed as exc:
                db.session.rollback()
                apply_field_errors(form, exc.field_errors)
                status = 400
            else:
                db.session.commit()
                form = TokenForm(formdata=None)
                flash(f"Token “{token.name}” created. Copy it now: it will not be shown again.",
                      "success")
        else:
            status = 400
    return render_template(
        "account/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=list_tokens(current_user),
        token_state=token_state,
        plaintext=plaintext,
    ), status


@bp.route("/tokens/<int:token_id>/revoke/", methods=["POST"])
@login_required
def revoke(token_id: int):
    """Logged-in users: revoke one of their own tokens."""
    form = RevokeForm()
    if not form.validate_on_submit():
        return redirect(url_for("account.tokens"))
    token = revoke_token(current_user, token_id)
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("account.tokens"))
