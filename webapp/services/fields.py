"""Checks of single values shared by the services: an http(s) URL, and the formats a config
schema's text field may name (catalog ``ConfigField.format``: one URL, URLs one per line, a
whole number). One implementation for the pages, the API and load-data; the wording comes
from webapp.messages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from webapp import messages
from webapp.catalog.providers import ConfigField

_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,18}")


def is_http_url(value: str) -> bool:
    """An absolute http:// or https:// URL with a host, without white space or control
    characters (`javascript:…`, `//host`, `https:///x` are not)."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and bool(parts.hostname)


def check_text_format(config_field: ConfigField, text: str) -> tuple[str, str | None]:
    """(the text as stored, error message or None) for a non-empty, stripped text value of
    *config_field*, by its ``format``: "url" one http(s) URL; "urls" http(s) URLs one per
    line (blank lines dropped, each line stripped); "integer" a whole number within
    ``min_value``–``max_value``, stored as its digits."""
    if config_field.format == "url":
        return text, (None if is_http_url(text) else messages.HTTP_URL)
    if config_field.format == "urls":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            if not is_http_url(line):
                return text, messages.http_url_on_line(number)
        return "\n".join(lines), None
    if config_field.format == "integer":
        return _check_integer(config_field, text)
    return text, None


def _check_integer(config_field: ConfigField, text: str) -> tuple[str, str | None]:
    label, low, high = config_field.label, config_field.min_value, config_field.max_value
    if not _WHOLE_NUMBER.fullmatch(text):
        return text, messages.whole_number(label)
    number = int(text)
    if low is not None and high is not None and not low <= number <= high:
        return text, messages.between(label, low, high)
    if low is not None and number < low:
        return text, messages.at_least(label, low)
    if high is not None and number > high:
        return text, messages.at_most(label, high)
    return str(number), None
