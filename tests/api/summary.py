"""Lines the API tests leave for pytest's terminal summary (tests/api/conftest.py prints them).

A module of its own: pytest imports conftest.py under another name than `tests.api.conftest`,
so a key defined there would not be the key a test imports.
"""

import pytest

SUMMARY_LINES = pytest.StashKey[list[str]]()


def add_summary_line(config: pytest.Config, line: str) -> None:
    config.stash.setdefault(SUMMARY_LINES, []).append(line)
