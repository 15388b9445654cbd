"""Values every bad-input test sends (the product rule: a clear message beside the field,
400, nothing written, never a 500), and the check of the one answer every HTML form gives
to a NUL character (webapp.web.refuse_nul_characters: 400, the page says why)."""

from bs4 import BeautifulSoup

TOO_LONG = "x" * 10_000
NUL = "bad\x00value"
NON_ASCII = "Zürich — 東京 ✓"
CONTROL = "bell\x07escape\x1b[31m"
HUGE = "99999999999999999999"
NUL_MESSAGE = "What you sent contains a NUL character, which cannot be stored."


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_beside(response, field: str) -> str | None:
    """The text of the message the form shows beside `field` (None: no message there)."""
    node = soup(response).find(id=f"{field}-error")
    return node.get_text(" ", strip=True) if node is not None else None


def assert_nul_refused(response) -> None:
    assert response.status_code == 400
    assert NUL_MESSAGE in soup(response).get_text(" ", strip=True)


def csrf_token(client, url: str) -> str:
    """The CSRF token of the first form on `url` that carries one."""
    return soup(client.get(url)).find("input", attrs={"name": "csrf_token"})["value"]
