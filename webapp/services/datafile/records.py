"""Field-by-field checks of the file's records, collecting every fault with its JSON path."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from webapp.services.datafile.schema import CREATE, KEY, BadValue
from webapp.services.text import is_storable_text


def printable(text: str) -> str:
    """`text` on one printable line: NUL, lone surrogates and control characters (a key or a
    value may hold them) written as JSON escapes, as in the file."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else json.dumps(ch)[1:-1] for ch in text)


def unstorable_fault(text: str) -> str:
    """Why no database can store `text` (see `services.text.is_storable_text`)."""
    if "\x00" in text:
        return "must not contain NUL (\\u0000) characters"
    return "must not contain lone surrogates (\\ud800–\\udfff): not valid Unicode"


class RecordChecker:
    """Collects faults as "<json path>: <message>" while checking records against a spec."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        """Note a fault at a JSON path, e.g. `users[0].email`."""
        self.errors.append(printable(f"{path}: {message}"))

    def _list(self, container: dict, key: str, path: str) -> list:
        value = container.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        return value

    def _record(self, item, path: str, spec: dict) -> dict | None:
        """Check one object's fields; the cleaned present fields, or None if its key is bad.

        "required" for missing key fields is reported here; create-only requirements are
        reported by `_require_for_create` once we know whether the record exists.
        """
        if not isinstance(item, dict):
            self.error(path, "must be an object")
            return None
        for key in item:
            if key not in spec:
                self.error(f"{path}.{key}", f"unknown field (allowed: {', '.join(spec)})")
        cleaned: dict = {}
        key_ok = True
        for name, (check, required) in spec.items():
            if name not in item:
                if required == KEY:
                    self.error(f"{path}.{name}", "required")
                    key_ok = False
                continue
            if check is None:
                continue
            try:
                cleaned[name] = check(item[name])
            except BadValue as exc:
                self.error(f"{path}.{name}", str(exc))
                if required == KEY:
                    key_ok = False
        return cleaned if key_ok else None

    def _require_for_create(self, item: dict, path: str, spec: dict) -> None:
        for name, (_check, required) in spec.items():
            if required == CREATE and name not in item:
                self.error(f"{path}.{name}", "required")

    def _unique_records(self, items: list, section: str, spec: dict, *,
                        key: Callable[[dict], Hashable], what: str,
                        key_field: str | None = None) -> Iterator[tuple[str, dict, dict, Any]]:
        """(path, raw item, cleaned, natural key) of the section's valid records, one by one.

        Bad records and repeated keys are reported at their JSON path (`key_field`'s, or the
        record's for a key of several fields) and left out. Lazy, so the faults a caller
        reports for one record come before those of the next, as in the file.
        """
        seen: dict = {}
        for index, item in enumerate(items):
            path = f"{section}[{index}]"
            cleaned = self._record(item, path, spec)
            if cleaned is None:
                continue
            natural_key = key(cleaned)
            at = f"{path}.{key_field}" if key_field else path
            if self._duplicate(seen, natural_key, at, what):
                continue
            yield path, item, cleaned, natural_key

    def _duplicate(self, seen: dict, key, path: str, what: str) -> bool:
        if key in seen:
            self.error(path, f"duplicate {what} (also at {seen[key]})")
            return True
        seen[key] = path
        return False

    def _find_unstorable(self, value, path: str) -> None:
        """Text no database can store (NUL: PostgreSQL refuses it; lone surrogates: not
        UTF-8), anywhere in the file, keys included. The other checks still run: lookups
        leave such text out (`plan.chunks`), and a file with faults writes nothing."""
        if isinstance(value, str):
            if not is_storable_text(value):
                self.error(path, unstorable_fault(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                sub = f"{path}.{key}" if path else key
                if not is_storable_text(key):
                    self.error(path or "(file)", f"keys {unstorable_fault(key)}")
                self._find_unstorable(item, sub)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self._find_unstorable(item, f"{path}[{index}]")
