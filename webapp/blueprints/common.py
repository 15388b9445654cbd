"""Helpers shared by the HTML views: org loading, the staff check, safe redirects, CSV, the
POST-form pattern."""

import csv
import functools
import io
from collections.abc import Callable, Iterable
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from flask import Response, flash, g, redirect, request, stream_with_context
from flask_login import current_user, login_required

from webapp.extensions import db
from webapp.services.errors import Forbidden, StaleEdit, ValidationFailed
from webapp.services.permissions import Capability, UserSummary, get_org_access
from webapp.web import remember_nav_org, request_orgs


def org_view(capability: Capability = Capability.VIEW) -> Callable:
    """Decorate a view taking `org_slug`: login required, non-members 404, role checked (403).

    Sets g.org and g.access (an OrgAccess) for the view and the layout.
    """

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(org_slug: str, **kwargs):
            # Members: from their org list (loaded with the user). Staff may open every
            # org: one row, not the whole list, when the page may not render the switcher.
            # One proxy read (web.LOCAL_PROXY_NOTE); login_required: the session's user.
            user: UserSummary = current_user._get_current_object()
            orgs = None if user.is_privileged else request_orgs()
            access = get_org_access(user, org_slug, orgs=orgs)
            g.org = access.organization
            g.access = access
            remember_nav_org(access)
            access.require(capability)
            return view(access, **kwargs)

        return wrapped

    return decorator


def staff_only(message: str, load: Callable[..., Any] | None = None) -> Callable:
    """Decorate a view for staff: login required, 403 with `message` for anyone else.

    With `load`, the view's URL arguments name a record: `load(**url_args)` reads it before
    the staff check, so a record the user may not see is a 404 as it is for anyone, and the
    view is called with the record instead of its URL arguments.
    """

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(**kwargs):
            record = load(**kwargs) if load is not None else None
            if not current_user.is_privileged:
                raise Forbidden(message)
            return view(record) if load is not None else view(**kwargs)

        return wrapped

    return decorator


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only same-site absolute paths: '/x' — never '//host', 'http://…' or a backslash trick."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    """The `next` arg (query or form) when it is a same-site path, else `default`."""
    target = request.values.get("next")
    return target if is_safe_next(target) else default


def client_ip() -> str | None:
    return request.remote_addr


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    """Stream rows as CSV (text/csv) with a download filename."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield buffer.getvalue()
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_csv_safe(v) for v in row])
            yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def apply_field_errors(form, field_errors: dict[str, list[str]]) -> None:
    """Attach service field errors to a WTForms form (unknown fields go to form_errors)."""
    for name, messages in field_errors.items():
        field = getattr(form, name, None) if name != "__all__" else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)


def show_service_errors(form, error: ValidationFailed) -> None:
    """Put a service's field errors beside the form's fields. A form whose fields are not
    all named as the service's errors (a FieldList's rows, a rule shown beside another
    field) places them itself, in its `apply_service_errors(error)`."""
    apply = getattr(form, "apply_service_errors", None)
    if apply is not None:
        apply(error)
    else:
        apply_field_errors(form, error.field_errors)


def save_form(form, save: Callable[[], Any], *, render: Callable[[int], Any],
              done: Callable[[Any], Any],
              on_stale: Callable[[StaleEdit], Any] | None = None):
    """The POST-form pattern of every form view, in one place:

    validate the form (its CSRF token included) → `save()`, a service call → on
    ValidationFailed roll back, put the errors beside their fields and `render(400)`; on
    StaleEdit roll back and answer `on_stale(error)` (409 pages) → else commit, flash the
    message of `done(result)` — (message, url) or (message, url, flash category) — and
    redirect to its url. A page that must answer in place (a token's plaintext, shown once)
    has `done` return its response instead of a tuple.
    Errors a view adds to `form.form_errors` before calling also give `render(400)`."""
    if not form.validate_on_submit() or form.form_errors:
        return render(400)
    try:
        result = save()
    except ValidationFailed as exc:
        db.session.rollback()
        show_service_errors(form, exc)
        return render(400)
    except StaleEdit as exc:
        if on_stale is None:
            raise
        db.session.rollback()
        return on_stale(exc)
    db.session.commit()
    outcome = done(result)
    if not isinstance(outcome, tuple) or isinstance(outcome[1], int):
        return outcome  # a response (or a (body, status) pair) of the view's own
    message, url, *category = outcome
    flash(message, category[0] if category else "success")
    return redirect(url)
