"""What text the databases can store: no NUL characters (PostgreSQL refuses them) and no
lone surrogates (not encodable as UTF-8). Used by the HTML guard and the API alike. And the
one rule for an optional free-text note (`clean_note`)."""

from webapp import messages


def is_storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_unstorable_text(value) -> bool:
    """True when any string in a JSON-like value (keys included) cannot be stored. Any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def has_control_characters(text: str, allowed: str = "\t\n\r") -> bool:
    """NUL and other control characters (PostgreSQL refuses NUL in text and JSON)."""
    return any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in text)


def clean_note(value: object, what: str, max_length: int) -> tuple[str, str | None]:
    """An optional free-text note (a request's message, a dismissal's reason, a policy's
    reason): (the text trimmed, None) or ("", the message for the field *what*). None counts
    as empty. Line breaks and tabs are kept; other control characters are refused (notes are
    emailed and shown on pages)."""
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", messages.must_be(what, "text")
    text = value.strip()
    if len(text) > max_length:
        return "", messages.at_most_characters(max_length, len(text), what)
    if not is_storable_text(text) or has_control_characters(text):
        return "", messages.no_control_characters(what)
    return text, None
