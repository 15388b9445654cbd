"""Doc-integration rows and images for the API tests (plain functions, as tests/factories)."""

import io
import itertools

from PIL import Image

from webapp.extensions import db
from webapp.models import (
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
)

_seq = itertools.count(1)


def image_bytes(width=300, height=300, fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def make_doc(name=None, *, is_draft=False, features=(), logo=False, resources=None,
             popularity=1) -> DocIntegration:
    n = next(_seq)
    name = name or f"Doc {n}"
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") + f"-{n}"
    doc = DocIntegration(name=name, slug=slug, author="Acme", description=f"About {name}.",
                         url="https://example.com", popularity=popularity, is_draft=is_draft,
                         resources=resources or [])
    db.session.add(doc)
    db.session.flush()
    for feature in features:
        db.session.add(IntegrationFeature(target_type=IntegrationFeatureTarget.DOC_INTEGRATION,
                                          target_id=doc.id, feature=feature))
    if logo:
        doc.logo = DocIntegrationLogo(content_type="image/png", data=image_bytes(), width=300,
                                      height=300)
    db.session.flush()
    return doc
