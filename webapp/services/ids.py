"""Parsing record ids typed into URLs, forms and query args.

Ids are 32-bit integers on PostgreSQL; anything else ("²", "1e3", 2**40) is simply "not an
id" here, so callers answer 404 or a field error instead of a database error.
"""

import re

MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value: object) -> int | None:
    """The id `value` names (an int, or a string of ASCII digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 0 <= number <= MAX_ID else None
