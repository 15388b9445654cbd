"""Parsing record ids typed into URLs, forms and query args (and an id with the version of
the record that a page or a dry run saw).

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


def parse_version_pair(record_id: object, version: object) -> tuple[int, int] | None:
    """(id, version) when `record_id` names an id and `version` a version (1 or more), each
    an int or its digits; else None."""
    iid, number = parse_id(record_id), parse_id(version)
    return (iid, number) if iid is not None and number else None
