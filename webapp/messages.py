"""The app's wording, defined once (issue 22: one voice for messages): bad input, and how
pages show statuses and before/after values.

Forms, filter forms and services build their messages here instead of spelling them in
place or leaving WTForms' defaults ("This field is required.", "Not a valid choice.",
"Number must be between…") on a page. The shapes:

- "<What> is required."                      `required`
- "<What> must be …" (a rule, a range)        `between`, `at_most_characters`, `must_be`
- "Unknown <what>: <value>" (+ the choices)    `unknown`
- "“<value>” is not one of the choices."       `not_a_choice`

Plain functions and constants: no Flask, so services import them too. A few API messages
are Sentry's (SPEC §8: "Invalid integration type", "Unknown feature: <value>"); `unknown`
keeps the latter's exact shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

BOOLEAN = "Must be true or false."
TEXT = "Must be text."
LIST_OF_CHOICES = "Must be a list of choices."
CONTROL_CHARACTERS = "Cannot contain control characters."
HTTP_URL = "Enter a full URL starting with http:// or https://."
DATE = "Enter a date as YYYY-MM-DD."


def required(what: str) -> str:
    """"Name is required." """
    return f"{what} is required."


def must_be(what: str, rule: str) -> str:
    """"Installed must be “yes” or “no”." """
    return f"{what} must be {rule}."


def between(what: str, low: int, high: int) -> str:
    """"Page must be between 1 and 100,000." """
    return f"{what} must be between {low:,} and {high:,}."


def whole_number(what: str) -> str:
    """"Page must be a whole number." (a value that is not one: `page=abc`)."""
    return f"{what} must be a whole number."


def at_least(what: str, low: int) -> str:
    return f"{what} must be at least {low:,}."


def at_most(what: str, high: int) -> str:
    return f"{what} must be at most {high:,}."


def at_most_characters(limit: int, length: int | None = None, what: str | None = None) -> str:
    """"At most 10,000 characters (you entered 10,001).", "Search must be at most 200
    characters." or "Reason must be at most 500 characters (it has 501)." """
    if what:
        has = f" (it has {length:,})" if length is not None else ""
        return f"{what} must be at most {limit:,} characters{has}."
    entered = f" (you entered {length:,})" if length is not None else ""
    return f"At most {limit:,} characters{entered}."


def no_control_characters(what: str) -> str:
    """"Reason cannot contain control characters." (line breaks and tabs are fine)."""
    return f"{what} cannot contain control characters."


SHOWN_MAX_LENGTH = 40


def shown(value: object) -> str:
    """A refused value as a message repeats it: at most SHOWN_MAX_LENGTH characters (then
    "…"), and "(empty)" for nothing, so a 10,000-character value makes no 10 KB message."""
    text = str(value)
    if not text.strip():
        return "(empty)"
    return text if len(text) <= SHOWN_MAX_LENGTH else text[:SHOWN_MAX_LENGTH] + "…"


def unknown(what: str, value: object, allowed: Iterable[str] | None = None) -> str:
    """"Unknown plugin: nope" or, with the allowed values, "Unknown sort: x. Use one of: a, b."
    (the value as `shown` repeats it)."""
    message = f"Unknown {what}: {shown(value)}"
    if allowed is not None:
        message += f". Use one of: {', '.join(allowed)}."
    return message


def not_a_choice(value: object) -> str:
    """A submitted choice that the field does not offer."""
    return f"“{value}” is not one of the choices."


# Sentry's API (Django REST framework) words two rules its own way; the JSON API and
# load-data keep that wording (clients match on it), pages say it in the app's words.
SENTRY_REQUIRED = "This field is required."
_SENTRY_TOO_LONG = re.compile(r"Ensure this field has no more than (\d+) characters\.")


def sentry_too_long(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def in_app_words(message: str, what: str) -> str:
    """A service message as a page shows it beside the field *what*: Sentry's "This field
    is required." → "Name is required.", "Ensure this field has no more than 64
    characters." → "Name must be at most 64 characters."; others as they are."""
    if message == SENTRY_REQUIRED:
        return required(what)
    too_long = _SENTRY_TOO_LONG.fullmatch(message)
    if too_long:
        return at_most_characters(int(too_long.group(1)), what=what)
    return message


def http_url_on_line(line: int) -> str:
    """A list of URLs, one per line: which line is not an http(s) URL."""
    return f"Line {line}: {HTTP_URL}"


def start_after_end(start: str, end: str) -> str:
    """A date range whose start is after its end."""
    return f"{start} must be on or before {end}."


def proxy_user_changed(email: str) -> str:
    """Single sign-on named another user than the session's in the middle of a form."""
    return (f"Single sign-on now signs you in as {email}: what you sent was not applied. "
            "Check this page and send it again.")


# --- Values in words: statuses and the before/after values of diffs ---------------------------

EMPTY = "—"  # the one mark of "no value" in diffs, conflicts and tables

# Stored status strings (ObjectStatus labels, install request and doc-integration states) as
# pages show them; CSV and the API keep the stored strings.
STATUS_WORDS: dict[str, str] = {
    "active": "Active",
    "disabled": "Disabled",
    "pending_deletion": "Pending deletion",
    "deletion_in_progress": "Deletion in progress",
    "removed": "Removed",
    "open": "Open",
    "done": "Done",
    "dismissed": "Dismissed",
    "draft": "Draft",
    "published": "Published",
}


def name_in_words(name: str) -> str:
    """A code name as a sentence: "pending_deletion" → "Pending deletion", "TOKEN_REVOKE" →
    "Token revoke" (one of only underscores and spaces as it is)."""
    words = name.replace("_", " ").strip().lower()
    return words[:1].upper() + words[1:] if words else name


def status_words(status: str) -> str:
    """"Pending deletion" for pending_deletion; an unknown status in words all the same."""
    return STATUS_WORDS.get(status) or name_in_words(status)


def shown_value(value: object, field: str = "") -> str:
    """A before/after value as an admin reads it: EMPTY for nothing (None, "", [] or {}),
    a status in words (field "status"), Yes/No for booleans, text as is, lists and objects
    as JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return status_words(value) if field == "status" else value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --- Who was told: the truth about notification emails ---------------------------------------

MAIL_NOT_CONFIGURED = "no email was sent because mail is not configured"


def requester_told(who: str, emailed: bool | None, mail_configured: bool) -> str:
    """How the requester of a resolved install request learns of it, after "Dismissed: …":
    by email only when one really went to an SMTP server; without MAIL_SERVER the email was
    only logged, so they see it under "Your requests" and no email is claimed. "" when
    there is nobody to tell (a former member or a deactivated user)."""
    if emailed is None:
        return ""
    if not mail_configured:
        return f"{who} will see it under “Your requests”; {MAIL_NOT_CONFIGURED}."
    if emailed:
        return f"{who} was told by email."
    return f"(The email to {who} could not be sent.) {who} will see it under “Your requests”."
