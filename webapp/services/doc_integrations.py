"""Doc integrations (SPEC §7.2): the one place for their validation rules, queries and changes.

Used by the HTML pages, `load-data` and the JSON API alike, so every function takes plain
Python values and raises domain errors (`ValidationFailed`, `NotFound`, `Forbidden`,
`StaleEdit`). Changes add their audit entry to the caller's transaction; the caller commits.
"""

from __future__ import annotations

import io
import re
import secrets
import string
import unicodedata
import uuid as uuid_lib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Select, delete, func, null, or_, select
from sqlalchemy.orm import joinedload

from webapp.catalog.features import FEATURES
from webapp.extensions import begin_streamed_read, db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
    User,
    utcnow,
)
from webapp.services.audit import diff_values, record_audit
from webapp.services.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from webapp.services.ids import parse_id

TARGET_TYPE = "doc_integration"

NAME_MAX = 64
SLUG_MAX = 64
AUTHOR_MAX = 255
URL_MAX = 200
RESOURCE_TITLE_MAX = 255
RESOURCE_URL_MAX = 2000
POPULARITY_MIN, POPULARITY_MAX = 0, 32767
POPULARITY_DEFAULT = 1

LOGO_MIN_SIDE, LOGO_MAX_SIDE = 256, 1024
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}

# Messages (SPEC §7.2 wording where the SPEC gives one).
REQUIRED = "This field is required."
URL_SCHEME = "URL must start with http[s]://"
NAME_NO_SLUG = "Name must contain at least one letter or digit."
PUBLISH_NEEDS_LOGO = "A logo is required for publishing."
POPULARITY_RANGE = f"Popularity must be a whole number from {POPULARITY_MIN} to {POPULARITY_MAX}."
LOGO_BAD_FORMAT = "Invalid image format."
LOGO_BAD_DIMENSIONS = "Invalid image dimensions."
LOGO_TOO_LARGE = "Image too large"

# Slugs that would collide with the pages' own paths (/doc-integrations/new/).
RESERVED_SLUGS = frozenset({"new"})

STATES = ("draft", "published")
SORTS = ("name", "-name", "popularity", "-popularity", "date_added", "-date_added")
DEFAULT_SORT = "name"

# Fields compared for audit diffs and stale-edit reports, in display order.
VALUE_FIELDS = ("name", "author", "description", "url", "popularity", "is_draft", "resources", "features")


def _too_long(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


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


def _is_http_url(value: str) -> bool:
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and bool(parts.hostname)


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
        elif not _is_http_url(url):
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
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
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
    if url and "url" not in errors and not _is_http_url(url):
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
        exc = ValidationFailed(errors)
        exc.resource_rows = resource_rows
        raise exc
    if instance is None:
        cleaned["slug"] = slug
    return cleaned


@dataclass(frozen=True)
class LogoImage:
    """What a checked logo is: its MIME type, size in pixels and Pillow format name."""

    content_type: str
    width: int
    height: int
    format: str


def validate_logo(data: bytes) -> LogoImage:
    """Check a logo by decoding it: PNG/JPEG/GIF, 256–1024 px each side, at most 1 MB."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValidationFailed({"logo": [LOGO_BAD_FORMAT]})
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed({"logo": [LOGO_TOO_LARGE]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                width, height = image.size
                if image_format not in LOGO_FORMATS:
                    raise ValidationFailed({"logo": [LOGO_BAD_FORMAT]})
                if not (LOGO_MIN_SIDE <= width <= LOGO_MAX_SIDE and LOGO_MIN_SIDE <= height <= LOGO_MAX_SIDE):
                    raise ValidationFailed({"logo": [LOGO_BAD_DIMENSIONS]})
                image.load()  # decode fully: a truncated or corrupt file fails here
        except ValidationFailed:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ValidationFailed({"logo": [LOGO_BAD_DIMENSIONS]}) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise ValidationFailed({"logo": [LOGO_BAD_FORMAT]}) from None
    return LogoImage(content_type=LOGO_FORMATS[image_format], width=width, height=height,
                     format=image_format)


# --------------------------------------------------------------------------- reading


def is_staff(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_privileged)


def features_for(doc_integrations: Iterable[DocIntegration | int]) -> dict[int, list[IntegrationFeature]]:
    """Feature rows of many doc integrations in one query: {id: [rows by feature id]}."""
    ids = [item if isinstance(item, int) else item.id for item in doc_integrations]
    result: dict[int, list[IntegrationFeature]] = {doc_id: [] for doc_id in ids}
    if not ids:
        return result
    rows = db.session.scalars(
        select(IntegrationFeature)
        .where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
            IntegrationFeature.target_id.in_(ids),
        )
        .order_by(IntegrationFeature.target_id, IntegrationFeature.feature)
    )
    for row in rows:
        result[row.target_id].append(row)
    return result


def doc_integration_values(instance: DocIntegration, features: Iterable[IntegrationFeature | int]) -> dict:
    """The comparable values of a record (audit diffs, stale reports, serializers)."""
    feature_ids = sorted(f if isinstance(f, int) else f.feature for f in features)
    return {
        "name": instance.name,
        "author": instance.author,
        "description": instance.description,
        "url": instance.url,
        "popularity": instance.popularity,
        "is_draft": instance.is_draft,
        "resources": list(instance.resources or []),
        "features": feature_ids,
    }


def _audit_changes(before: dict, after: dict) -> dict:
    """diff_values with feature ids shown as their gates (what an admin reads in the log)."""
    def readable(values: dict) -> dict:
        if "features" not in values:
            return values
        return {**values, "features": [FEATURES[f].gate if f in FEATURES else f for f in values["features"]]}

    return diff_values(readable(before), readable(after))


def get_doc_integration(user: User | None, id_or_slug: int | str, *, for_api: bool = False) -> DocIntegration:
    """One doc integration by id or slug, logo loaded; a draft is NotFound (HTML) or
    Forbidden (API) for anyone but staff."""
    query = select(DocIntegration).options(joinedload(DocIntegration.logo).defer(DocIntegrationLogo.data))
    record_id = parse_id(id_or_slug)
    if record_id is not None:
        query = query.where(DocIntegration.id == record_id)
    elif isinstance(id_or_slug, int) or (isinstance(id_or_slug, str) and id_or_slug.strip().isdigit()):
        raise NotFound("Doc integration not found.")  # a number no id can have
    else:
        query = query.where(DocIntegration.slug == str(id_or_slug))
    instance = db.session.scalar(query)
    if instance is None:
        raise NotFound("Doc integration not found.")
    if instance.is_draft and not is_staff(user):
        if for_api:
            raise Forbidden()
        raise NotFound("Doc integration not found.")
    return instance


def doc_integrations_query(user: User | None, q: str | None = None, state: str | None = None,
                           sort: str | None = None) -> Select:
    """The filtered, sorted select behind the list page, its CSV and the API.

    Non-staff only ever see published records (the `state` filter is then ignored).
    Raises ValidationFailed for an unknown state or sort.
    """
    errors: dict[str, list[str]] = {}
    if state not in (None, "", *STATES):
        errors["state"] = [f"Unknown state: {state}. Use draft or published."]
    sort = sort or DEFAULT_SORT
    if sort not in SORTS:
        errors["sort"] = [f"Unknown sort: {sort}."]
    if errors:
        raise ValidationFailed(errors)

    query = select(DocIntegration).where(*_conditions(user, q, state))
    column = {
        "name": func.lower(DocIntegration.name),  # what people expect: "beta" between "Alpha" and "Gamma"
        "popularity": DocIntegration.popularity,
        "date_added": DocIntegration.date_added,
    }[sort.lstrip("-")]
    if sort.startswith("-"):
        order = column.desc().nulls_last()
        tiebreak = DocIntegration.id.desc()
    else:
        order = column.asc().nulls_last()
        tiebreak = DocIntegration.id.asc()
    return query.order_by(order, tiebreak)


def _conditions(user: User | None, q: str | None, state: str | None) -> list:
    """WHERE clauses: drafts only for staff, the state filter, the search."""
    conditions = []
    if not is_staff(user):
        conditions.append(DocIntegration.is_draft.is_(False))
    elif state:
        conditions.append(DocIntegration.is_draft.is_(state == "draft"))
    if q and q.strip():
        pattern = "%" + _escape_like(q.strip().lower()) + "%"
        conditions.append(
            or_(
                func.lower(DocIntegration.name).like(pattern, escape="\\"),
                func.lower(DocIntegration.slug).like(pattern, escape="\\"),
                func.lower(DocIntegration.author).like(pattern, escape="\\"),
            )
        )
    return conditions


def state_counts(user: User | None, q: str | None = None) -> dict[str, int]:
    """How many records each state filter would give with this search (one query)."""
    counts = {state: 0 for state in STATES}
    rows = db.session.execute(
        select(DocIntegration.is_draft, func.count(DocIntegration.id))
        .where(*_conditions(user, q, None))
        .group_by(DocIntegration.is_draft)
    )
    for is_draft, count in rows:
        counts["draft" if is_draft else "published"] = count
    return counts


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class DocIntegrationPage:
    """One page of doc integrations with their features (pager-compatible)."""

    items: list[DocIntegration]
    total: int
    page: int
    per_page: int
    features: dict[int, list[IntegrationFeature]]
    state_counts: dict[str, int]


def list_doc_integrations(user: User | None, q: str | None = None, state: str | None = None,
                          sort: str | None = None, page: int = 1, per_page: int = 25) -> DocIntegrationPage:
    """A page of the list (three queries: counts per state, rows with logo, features).

    `state_counts` holds how many rows each state filter gives with this search (facets);
    the page's total comes from them, so no separate count query is needed.
    """
    page = max(1, int(page))
    per_page = max(1, min(100, int(per_page)))
    query = doc_integrations_query(user, q, state, sort)
    counts = state_counts(user, q)
    total = counts[state] if (state and is_staff(user)) else sum(counts.values())
    items = list(
        db.session.scalars(
            query.options(joinedload(DocIntegration.logo).defer(DocIntegrationLogo.data))
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return DocIntegrationPage(items=items, total=total, page=page, per_page=per_page,
                              features=features_for(items) if items else {}, state_counts=counts)


def iter_doc_integrations_export(user: User | None, q: str | None = None, state: str | None = None,
                                 sort: str | None = None):
    """All matching records with their features for CSV: yields (instance, has_logo, [ids]).

    Two queries whatever the size: the features of every match, then the rows streamed.
    """
    query = doc_integrations_query(user, q, state, sort)
    ids = query.with_only_columns(DocIntegration.id).order_by(None).subquery()
    features: dict[int, list[int]] = {}
    for target_id, feature in db.session.execute(
        select(IntegrationFeature.target_id, IntegrationFeature.feature)
        .where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
            IntegrationFeature.target_id.in_(select(ids.c.id)),
        )
        .order_by(IntegrationFeature.target_id, IntegrationFeature.feature)
    ):
        features.setdefault(target_id, []).append(feature)
    begin_streamed_read()
    rows = db.session.execute(
        query.add_columns(DocIntegrationLogo.uuid)
        .outerjoin(DocIntegrationLogo, DocIntegrationLogo.doc_integration_id == DocIntegration.id)
        .execution_options(yield_per=500)
    )
    for instance, logo_uuid in rows:
        yield instance, logo_uuid is not None, features.get(instance.id, [])


def get_logo(user: User | None, uuid: str) -> DocIntegrationLogo:
    """A logo by uuid with its image; a draft's logo only for staff (else NotFound)."""
    logo = db.session.scalar(
        select(DocIntegrationLogo)
        .options(joinedload(DocIntegrationLogo.doc_integration))
        .where(DocIntegrationLogo.uuid == uuid)
    )
    if logo is None or (logo.doc_integration.is_draft and not is_staff(user)):
        raise NotFound("Logo not found.")
    return logo


# --------------------------------------------------------------------------- changes


def _require_staff(actor: User | None) -> None:
    if not is_staff(actor):
        raise Forbidden()


def _replace_features(instance: DocIntegration, wanted: list[int],
                      current: list[IntegrationFeature]) -> None:
    """Make the feature rows equal `wanted`; surviving rows (and their date_added) stay."""
    wanted_set = set(wanted)
    existing = {row.feature for row in current}
    for row in current:
        if row.feature not in wanted_set:
            db.session.delete(row)
    for feature_id in sorted(wanted_set - existing):
        db.session.add(IntegrationFeature(
            target_type=IntegrationFeatureTarget.DOC_INTEGRATION,
            target_id=instance.id,
            feature=feature_id,
        ))


def create_doc_integration(actor: User, data: Mapping, ip_address: str | None = None) -> DocIntegration:
    """Staff: create a doc integration (always a draft) with its features; audit DOC_INTEGRATION_ADD."""
    _require_staff(actor)
    cleaned = validate_doc_integration({**data, "is_draft": True})
    instance = DocIntegration(
        name=cleaned["name"], slug=cleaned["slug"], author=cleaned["author"],
        description=cleaned["description"], url=cleaned["url"],
        # None would make the ORM fire the column default (1); null() stores a real NULL.
        popularity=null() if cleaned["popularity"] is None else cleaned["popularity"],
        is_draft=True, resources=cleaned["resources"],
    )
    db.session.add(instance)
    db.session.flush()
    _replace_features(instance, cleaned["features"], [])
    db.session.flush()
    after = doc_integration_values(instance, cleaned["features"])
    record_audit(event="DOC_INTEGRATION_ADD", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": _audit_changes({}, after), "slug": instance.slug},
                 ip_address=ip_address)
    return instance


def _stale_changes(instance: DocIntegration, data: Mapping, current: dict) -> dict[str, tuple]:
    """{field: (what the stale form holds, what is stored now)} for fields that differ."""
    changes: dict[str, tuple] = {}
    for field in VALUE_FIELDS:
        if field not in data:
            continue
        mine = data[field]
        theirs = current[field]
        if field == "features" and isinstance(mine, list | tuple):
            try:
                mine = sorted({int(x) for x in mine})
            except (TypeError, ValueError):
                pass
        elif field == "resources" and isinstance(mine, list | tuple):
            mine = [
                {"title": (r.get("title") or "").strip(), "url": (r.get("url") or "").strip()}
                for r in mine if isinstance(r, Mapping) and ((r.get("title") or "").strip() or (r.get("url") or "").strip())
            ]
        elif field == "popularity" and isinstance(mine, str):
            mine = parse_id(mine) if parse_id(mine) is not None else (mine.strip() or None)
        elif isinstance(mine, str):
            mine = mine.strip()
        if mine != theirs:
            changes[field] = (mine, theirs)
    return changes


def update_doc_integration(actor: User, instance: DocIntegration, data: Mapping,
                           expected_version: int | None, ip_address: str | None = None) -> DocIntegration:
    """Staff: update fields and replace the feature set, all or nothing; audit DOC_INTEGRATION_EDIT.

    A stale `expected_version` raises StaleEdit(changes) before anything is written;
    `is_draft` absent keeps the current state; the slug never changes.
    """
    _require_staff(actor)
    current_rows = features_for([instance])[instance.id]
    before = doc_integration_values(instance, current_rows)
    if expected_version is not None and expected_version != instance.version:
        raise StaleEdit(_stale_changes(instance, data, before))
    cleaned = validate_doc_integration(data, instance=instance)
    for field in ("name", "author", "description", "url", "popularity", "is_draft", "resources"):
        setattr(instance, field, cleaned[field])
    instance.date_updated = utcnow()  # always an UPDATE, so the version moves on every save
    _replace_features(instance, cleaned["features"], current_rows)
    db.session.flush()
    after = doc_integration_values(instance, cleaned["features"])
    record_audit(event="DOC_INTEGRATION_EDIT", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": _audit_changes(before, after)}, ip_address=ip_address)
    return instance


@dataclass
class DeleteImpact:
    """What deleting a doc integration takes with it (for the confirmation page)."""

    features: list[IntegrationFeature]
    logo: DocIntegrationLogo | None


def delete_impact(instance: DocIntegration) -> DeleteImpact:
    return DeleteImpact(features=features_for([instance])[instance.id], logo=instance.logo)


def delete_doc_integration(actor: User, instance: DocIntegration, ip_address: str | None = None) -> dict:
    """Staff: delete the record, its feature rows and logo together; audit DOC_INTEGRATION_REMOVE.

    Returns what went: {"features": n, "logo": bool}.
    """
    _require_staff(actor)
    rows = features_for([instance])[instance.id]
    before = doc_integration_values(instance, rows)
    had_logo = instance.logo is not None
    if had_logo:
        before["logo"] = instance.logo.uuid
    result = {"features": len(rows), "logo": had_logo}
    record_audit(event="DOC_INTEGRATION_REMOVE", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": _audit_changes(before, {}), "slug": instance.slug,
                       "deleted": result},
                 ip_address=ip_address)
    db.session.execute(
        delete(IntegrationFeature).where(
            IntegrationFeature.target_type == IntegrationFeatureTarget.DOC_INTEGRATION,
            IntegrationFeature.target_id == instance.id,
        )
    )
    db.session.delete(instance)  # the logo goes with it (delete-orphan cascade)
    db.session.flush()
    return result


def set_logo(actor: User, instance: DocIntegration, data: bytes, ip_address: str | None = None) -> DocIntegrationLogo:
    """Staff: check and store a logo, replacing any old one under a new uuid; audit DOC_INTEGRATION_LOGO."""
    _require_staff(actor)
    checked = validate_logo(data)
    old_uuid = instance.logo.uuid if instance.logo is not None else None
    if instance.logo is not None:
        db.session.delete(instance.logo)
        db.session.flush()
    logo = DocIntegrationLogo(
        uuid=uuid_lib.uuid4().hex, content_type=checked.content_type, data=bytes(data),
        width=checked.width, height=checked.height,
    )
    instance.logo = logo
    instance.date_updated = utcnow()
    db.session.flush()
    record_audit(event="DOC_INTEGRATION_LOGO", actor=actor, target_type=TARGET_TYPE,
                 target_id=instance.id, target_object=instance.name,
                 data={"changes": diff_values({"logo": old_uuid}, {"logo": logo.uuid}),
                       "content_type": checked.content_type,
                       "width": checked.width, "height": checked.height},
                 ip_address=ip_address)
    return logo
