"""The CSRF token of the pages' forms: Flask-WTF's, signed once per session token."""

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

FIELD = "csrf_token"
REMEMBERED_MAX = 4096  # signed tokens kept (one per live session); the oldest go first

_signed: dict[tuple[str, str], str] = {}  # (secret key, the session's raw token) → signed


def csrf_token() -> str:
    """What Flask-WTF's `generate_csrf()` gives, signed once per session token rather than on
    every page: every logged-in page has a form (log out), and signing took ~60 µs a request.
    The app's tokens never expire (WTF_CSRF_TIME_LIMIT = None: they are tied to the
    session), so a token signed on an earlier page is as valid as one signed now. With a
    time limit configured, this is generate_csrf itself. A token already made in this
    request (a FlaskForm's) is the one returned, as generate_csrf returns it."""
    app = current_app._get_current_object()
    config = app.config
    if (config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None
            or config.get("WTF_CSRF_FIELD_NAME", FIELD) != FIELD):
        return generate_csrf()
    token = g.get(FIELD)
    if token is not None:
        return token
    secret = config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    raw = session.get(FIELD)
    token = _signed.get((secret, raw)) if isinstance(raw, str) else None
    if token is None:
        token = generate_csrf()  # signs; a new session also gets its raw token here
        if len(_signed) >= REMEMBERED_MAX:
            del _signed[next(iter(_signed))]
        _signed[(secret, session[FIELD])] = token
    setattr(g, FIELD, token)  # where generate_csrf keeps it: later forms reuse it
    return token
