"""/account/: who you are, how you sign in, your organizations and roles (and where each
comes from); /account/tokens/: create (plaintext shown once), list and revoke (after a
confirmation page) API tokens."""

from flask import current_app, flash, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.blueprints.account import bp
from webapp.blueprints.account.forms import RevokeForm, TokenForm
from webapp.blueprints.common import save_form
from webapp.extensions import db
from webapp.models import AuthSource, User
from webapp.services.accounts import list_memberships
from webapp.services.external_accounts import AUTH_SOURCE_LABELS, SOURCE_LABELS, staff_source
from webapp.services.tokens import (
    create_token,
    get_own_token,
    list_tokens,
    revoke_token,
    token_state,
)


@bp.route("/")
@login_required
def index():
    """Logged-in users: their account, how they sign in, their organizations and roles,
    each role marked with where it comes from (the directory, single sign-on, by hand)."""
    user = db.session.get(User, current_user.id)
    directory = current_app.extensions["directory_login"]
    proxy = current_app.extensions["trusted_proxy"]
    mappings = {AuthSource.LDAP.value: directory.group_roles if directory else None,
                AuthSource.PROXY.value: proxy.group_roles if proxy else None}
    return render_template(
        "account/index.html", user=user, memberships=list_memberships(current_user.id),
        sign_in_label=AUTH_SOURCE_LABELS.get(user.auth_source, user.auth_source),
        staff_from=staff_source(user, mappings), role_sources=SOURCE_LABELS)


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
