"""/account/tokens/: create (plaintext shown once), list and revoke (after a confirmation page)
API tokens."""

from flask import flash, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.blueprints.account import bp
from webapp.blueprints.account.forms import RevokeForm, TokenForm
from webapp.blueprints.common import save_form
from webapp.services.tokens import (
    create_token,
    get_own_token,
    list_tokens,
    revoke_token,
    token_state,
)


def _show_once(created):
    """save_form's `done`, after the commit: the page with the plaintext, in this very
    response (never in the session or a URL)."""
    token, plaintext = created
    flash(f"Token “{token.name}” created. Copy it now: it will not be shown again.", "success")
    return _render_tokens(TokenForm(formdata=None), plaintext=plaintext)


def _render_tokens(form, status: int = 200, plaintext: str | None = None):
    return render_template(
        "account/tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        tokens=list_tokens(current_user),
        token_state=token_state,
        plaintext=plaintext,
    ), status


@bp.route("/tokens/", methods=["GET", "POST"])
@login_required
def tokens():
    """Logged-in users: their tokens; POST creates one and shows its plaintext once."""
    form = TokenForm()
    if request.method == "GET":
        return _render_tokens(form)
    return save_form(
        form,
        lambda: create_token(current_user, form.name.data, form.expires_on.data),
        render=lambda status: _render_tokens(form, status),
        done=_show_once,
    )


@bp.route("/tokens/<int:token_id>/revoke/", methods=["GET", "POST"])
@login_required
def revoke(token_id: int):
    """Logged-in users: GET names the token and what revoking it does; POST revokes one of
    their own tokens (another user's: 404)."""
    token = get_own_token(current_user, token_id)
    form = RevokeForm()
    back = url_for("account.tokens")

    def render(status: int = 200):
        return render_template("account/confirm_revoke.html", token=token, form=form,
                               state=token_state(token), cancel_href=back), status

    if request.method == "GET":
        return render()
    return save_form(
        form,
        lambda: revoke_token(current_user, token_id),
        render=render,
        done=lambda token: (f"Token “{token.name}” revoked: requests that send it are "
                            "refused from now on.", back),
    )
