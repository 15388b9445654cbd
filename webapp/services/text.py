"""What text the databases can store: no NUL characters (PostgreSQL refuses them) and no
lone surrogates (not encodable as UTF-8). Used by the HTML guard and the API alike."""


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
