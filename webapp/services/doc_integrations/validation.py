"""Doc-integration field rules (SPEC §7.2): the slug made from a name, and the check of every
field a create or an update sends, shared by the pages, the API and `load-data`."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from collections.abc import Mapping

from sqlalchemy import select

from webapp import messages
from webapp.catalog.features import FEATURES
from webapp.extensions import db
from webapp.models import DocIntegration
from webapp.services.errors import ValidationFailed
from webapp.services.fields import is_http_url
from webapp.services.ids import parse_id

NAME_MAX = 64
SLUG_MAX = 64
AUTHOR_MAX = 255
URL_MAX = 200
RESOURCE_TITLE_MAX = 255
RESOURCE_URL_MAX = 2000
POPULARITY_MIN, POPULARITY_MAX = 0, 32767
POPULARITY_DEFAULT = 1

# Messages (SPEC §7.2 wording where the SPEC gives one).
REQUIRED = messages.SENTRY_REQUIRED  # the API's wording; pages show messages.in_app_words
URL_SCHEME = "URL must start with http[s]://"
NAME_NO_SLUG = "Name must contain at least one letter or digit."
PUBLISH_NEEDS_LOGO = "A logo is required for publishing."
POPULARITY_RANGE = f"Popularity must be a whole number from {POPULARITY_MIN} to {POPULARITY_MAX}."

# Slugs that would collide with the pages' own paths (/doc-integrations/new/).
RESERVED_SLUGS = frozenset({"new"})


def _too_long(limit: int) -> str:
    return messages.sentry_too_long(limit)


# --------------------------------------------------------------------------- slugs

_SLUG_DROP = re.compile(r"[^\w\s-]", re.ASCII)
_SLUG_COLLAPSE = re.compile(r"[-\s]+")


def slugify_name(name: str) -> str:
    """ASCII slug of a name (SPEC §7.2); an all-digit slug gets "-" and 3 random letters."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _SLUG_DROP.sub("", text.lower())
    slug = _SLUG_COLLAPSE.sub("-", text).strip("-_")
    if slug.isdigit():
        suffix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(3))
        slug = f"{slug}-{suffix}"
    return slug


# --------------------------------------------------------------------------- validation


def _text(data: Mapping, key: str, errors: dict, *, limit: int | None, required: bool = True) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(key, []).append("Must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors.setdefault(key, []).append(REQUIRED)
    elif limit is not None and len(value) > limit:
        errors.setdefault(key, []).append(_too_long(limit))
    return value


def _popularity(value, errors: dict) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,6}\s*", value):
        number = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        number = None
    if number is None or not POPULARITY_MIN <= number <= POPULARITY_MAX:
        errors.setdefault("popularity", []).append(POPULARITY_RANGE)
        return None
    return number


def _resources(value, errors: dict) -> tuple[list[dict], dict[int, dict[str, list[str]]]]:
    """Clean resource rows; returns (rows, {submitted index: {"title"|"url": [msgs]}})."""
    if value is None:
        return [], {}
    if not isinstance(value, list | tuple):
        errors.setdefault("resources", []).append("Expected a list of resources.")
        return [], {}
    cleaned: list[dict] = []
    row_errors: dict[int, dict[str, list[str]]] = {}
    messages: list[str] = []

    def fail(index: int, field: str, message: str) -> None:
        row_errors.setdefault(index, {}).setdefault(field, []).append(message)
        messages.append(f"Row {index + 1}: {message}")

    for index, row in enumerate(value):
        if not isinstance(row, Mapping):
            fail(index, "title", "must be an object with a title and a url.")
            continue
        title, url = row.get("title"), row.get("url")
        title = "" if title is None else title
        url = "" if url is None else url
        if not isinstance(title, str) or not isinstance(url, str):
            fail(index, "title" if not isinstance(title, str) else "url", "title and url must be text.")
            continue
        title, url = title.strip(), url.strip()
        if not title and not url:
            continue  # an empty row is dropped
        ok = True
        if not title:
            fail(index, "title", "title is required.")
            ok = False
        elif len(title) > RESOURCE_TITLE_MAX:
            fail(index, "title", f"title must be at most {RESOURCE_TITLE_MAX} characters.")
            ok = False
        if not url:
            fail(index, "url", "url is required.")
            ok = False
        elif len(url) > RESOURCE_URL_MAX:
            fail(index, "url", f"url must be at most {RESOURCE_URL_MAX} characters.")
            ok = False
        elif not is_http_url(url):
            fail(index, "url", URL_SCHEME)
            ok = False
        if ok:
            cleaned.append({"title": title, "url": url})
    if messages:
        errors["resources"] = messages
    return cleaned, row_errors


def _features(value, errors: dict) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors.setdefault("features", []).append("Expected a list of feature ids.")
        return []
    ids: set[int] = set()
    for item in value:
        feature_id = None
        if isinstance(item, int) and not isinstance(item, bool):
            feature_id = item
        elif isinstance(item, str):
            feature_id = parse_id(item)
        if feature_id is None or feature_id not in FEATURES:
            errors.setdefault("features", []).append(f"Unknown feature: {item}")
            continue
        ids.add(feature_id)
    return sorted(ids)


def _name_and_slug(data: Mapping, instance: DocIntegration | None, errors: dict) -> tuple[str, str | None]:
    name = _text(data, "name", errors, limit=NAME_MAX)
    if "name" in errors or instance is not None:
        return name, None
    slug = slugify_name(name)
    if not slug:
        errors["name"] = [NAME_NO_SLUG]
    elif len(slug) > SLUG_MAX:
        errors["name"] = [f"Generated slug '{slug}' is too long, please use a shorter name."]
    elif slug in RESERVED_SLUGS or db.session.scalar(
        select(DocIntegration.id).where(DocIntegration.slug == slug)
    ) is not None:
        errors["name"] = [f"Name '{name}' is already taken, please use another."]
    return name, slug


def validate_doc_integration(
    data: Mapping, *, instance: DocIntegration | None = None, has_logo: bool = False
) -> dict:
    """Check a doc integration's values (create when `instance` is None); the cleaned dict.

    Keys: name, author, description, url, popularity, is_draft, resources, features, and
    slug on create. Raises ValidationFailed({field: [msgs]}); resource messages name their
    row, and the exception's `resource_rows` maps a submitted row index to its field errors.
    """
    errors: dict[str, list[str]] = {}
    name, slug = _name_and_slug(data, instance, errors)
    cleaned: dict = {
        "name": name,
        "author": _text(data, "author", errors, limit=AUTHOR_MAX),
        "description": _text(data, "description", errors, limit=None),
    }
    url = _text(data, "url", errors, limit=URL_MAX)
    if url and "url" not in errors and not is_http_url(url):
        errors["url"] = [URL_SCHEME]
    cleaned["url"] = url

    if "popularity" in data:
        cleaned["popularity"] = _popularity(data["popularity"], errors)
    else:
        cleaned["popularity"] = instance.popularity if instance is not None else POPULARITY_DEFAULT

    if data.get("is_draft") is None:
        is_draft = instance.is_draft if instance is not None else True
    elif isinstance(data["is_draft"], bool):
        is_draft = data["is_draft"]
    else:
        errors.setdefault("is_draft", []).append("Must be true or false.")
        is_draft = instance.is_draft if instance is not None else True
    cleaned["is_draft"] = is_draft

    resources, resource_rows = _resources(data.get("resources"), errors)
    cleaned["resources"] = resources
    cleaned["features"] = _features(data.get("features"), errors)

    logo_present = has_logo or (instance is not None and instance.logo is not None)
    if not is_draft and not logo_present:
        errors.setdefault("avatar", []).append(PUBLISH_NEEDS_LOGO)

    if errors:
        raise ValidationFailed(errors, resource_rows)
    if instance is None:
        cleaned["slug"] = slug
    return cleaned
