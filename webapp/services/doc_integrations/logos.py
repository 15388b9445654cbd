"""Doc-integration logos: the image check (decoded, PNG/JPEG/GIF, 256–1024 px, 1 MB at most),
reading a logo for serving, and storing a new one with its audit entry.

A refused logo raises LogoRejected: the SPEC's message under `logo` (the API and load-data
answer it as it is, as Sentry words it) and what was uploaded against what is allowed
("128×128 px; 256–1024 px each side"), which the logo form shows beside its field."""

from __future__ import annotations

import io
import uuid as uuid_lib
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import DocIntegration, DocIntegrationLogo, User, utcnow
from webapp.services.actors import UserLike
from webapp.services.audit import diff_values, record_audit
from webapp.services.doc_integrations.records import TARGET_TYPE, is_staff, require_staff
from webapp.services.errors import NotFound, ValidationFailed

LOGO_MIN_SIDE, LOGO_MAX_SIDE = 256, 1024
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}

# Messages (SPEC §7.2 wording).
LOGO_BAD_FORMAT = "Invalid image format."
LOGO_BAD_DIMENSIONS = "Invalid image dimensions."
LOGO_TOO_LARGE = "Image too large"
MEGABYTE = 1024 * 1024
ALLOWED_FORMATS = "PNG, JPEG or GIF"
ALLOWED_SIDES = f"{LOGO_MIN_SIDE}–{LOGO_MAX_SIDE} px each side"


class LogoRejected(ValidationFailed):
    """A logo that fails a check: `message` is the SPEC's wording (the field error under
    `logo`), `detail` what was uploaded against what is allowed."""

    def __init__(self, message: str, detail: str):
        super().__init__({"logo": [message]})
        self.detail = detail

    @property
    def explained(self) -> str:
        """The message with its detail, as the logo form shows it:
        "Image too large: 3.1 MB; at most 1 MB." """
        return f"{self.field_errors['logo'][0].rstrip('.')}: {self.detail}."


def _megabytes(size: int) -> str:
    """A size as the logo messages write it: "3.1 MB" (1 MB = 1,048,576 bytes)."""
    return f"{size / MEGABYTE:.1f} MB"


def _limit(size: int) -> str:
    """A limit as the logo messages write it: "1 MB", "2 MB"."""
    return _megabytes(size).replace(".0 MB", " MB")


def logo_too_large(size: int | None, at_least: int | None = None) -> LogoRejected:
    """The refusal of a logo of `size` bytes (None: unknown, only that it is more than
    `at_least`, when the server refused to read a body that large)."""
    limit = _limit(LOGO_MAX_BYTES)
    if size is None:
        detail = f"more than {_limit(at_least or LOGO_MAX_BYTES)}; at most {limit}"
    elif _megabytes(size) == _megabytes(LOGO_MAX_BYTES):  # just over: rounding would hide it
        detail = f"{size:,} bytes; at most {LOGO_MAX_BYTES:,} bytes ({limit})"
    else:
        detail = f"{_megabytes(size)}; at most {limit}"
    return LogoRejected(LOGO_TOO_LARGE, detail)


@dataclass(frozen=True)
class LogoImage:
    """What a checked logo is: its MIME type, size in pixels and Pillow format name."""

    content_type: str
    width: int
    height: int
    format: str


def validate_logo(data: bytes) -> LogoImage:
    """Check a logo by decoding it: PNG/JPEG/GIF, 256–1024 px each side, at most 1 MB;
    LogoRejected (a ValidationFailed) says what is wrong."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise LogoRejected(LOGO_BAD_FORMAT, f"an empty file; {ALLOWED_FORMATS}")
    if len(data) > LOGO_MAX_BYTES:
        raise logo_too_large(len(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                width, height = image.size
                if image_format not in LOGO_FORMATS:
                    raise LogoRejected(LOGO_BAD_FORMAT, f"a {image_format} image; {ALLOWED_FORMATS}")
                if not (LOGO_MIN_SIDE <= width <= LOGO_MAX_SIDE and LOGO_MIN_SIDE <= height <= LOGO_MAX_SIDE):
                    raise LogoRejected(LOGO_BAD_DIMENSIONS, f"{width}×{height} px; {ALLOWED_SIDES}")
                image.load()  # decode fully: a truncated or corrupt file fails here
        except ValidationFailed:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise LogoRejected(LOGO_BAD_DIMENSIONS,
                               f"too many pixels to open; {ALLOWED_SIDES}") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise LogoRejected(LOGO_BAD_FORMAT,
                               f"not a readable image; {ALLOWED_FORMATS}") from None
    return LogoImage(content_type=LOGO_FORMATS[image_format], width=width, height=height,
                     format=image_format)


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


def set_logo(actor: UserLike, instance: DocIntegration, data: bytes, ip_address: str | None = None) -> DocIntegrationLogo:
    """Staff: check and store a logo, replacing any old one under a new uuid; audit DOC_INTEGRATION_LOGO."""
    require_staff(actor)
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
