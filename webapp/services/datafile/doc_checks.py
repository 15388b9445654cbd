"""Validation of the file's `doc_integrations` section, by the doc integration pages' own rules.

Each record goes through `services.doc_integrations.validate_doc_integration` (fields the file
leaves out keep their stored values); the logo is decoded from base64 and checked like an upload.
"""

from __future__ import annotations

import base64
import binascii
import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import DocIntegration, IntegrationFeatureTarget
from webapp.services import doc_integrations as docs
from webapp.services.datafile.plan import Entry, Plan, chunks, features_of
from webapp.services.datafile.records import RecordChecker
from webapp.services.datafile.schema import DOC_INTEGRATION_KEYS
from webapp.services.errors import ValidationFailed


class DocIntegrationChecks(RecordChecker):
    """Checks the doc_integrations section into `plan.doc_integrations`."""

    plan: Plan  # set by the validator that runs these checks

    def _doc_integrations(self, items: list) -> None:
        seen: dict = {}
        prepared = []
        for index, item in enumerate(items):
            path = f"doc_integrations[{index}]"
            if not isinstance(item, dict):
                self.error(path, "must be an object")
                continue
            for key in item:
                if key not in DOC_INTEGRATION_KEYS:
                    self.error(f"{path}.{key}",
                               f"unknown field (allowed: {', '.join(DOC_INTEGRATION_KEYS)})")
            explicit = "slug" in item
            if explicit:
                slug = item["slug"]
                if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9_-]{1,64}", slug):
                    self.error(f"{path}.slug", "must be 1–64 characters: a-z, 0-9, '-' and '_'")
                    continue
                if slug.isdigit():
                    self.error(f"{path}.slug", "must not be all digits")
                    continue
                if slug in docs.RESERVED_SLUGS:
                    self.error(f"{path}.slug", f"'{slug}' is reserved")
                    continue
            else:
                name = item.get("name")
                if not isinstance(name, str) or not name.strip():
                    self.error(f"{path}.name", "required (the slug is generated from it)")
                    continue
                slug = docs.slugify_name(name.strip())
                if not slug or len(slug) > docs.SLUG_MAX:
                    # Let the shared validator word the fault (no letters, or too long).
                    slug = None
            if slug is not None and self._duplicate(seen, slug, f"{path}.slug", "slug"):
                continue
            prepared.append((path, item, slug, explicit))
        slugs = [slug for _, _, slug, _ in prepared if slug]
        existing: dict[str, DocIntegration] = {}
        for chunk in chunks(slugs):
            for doc in db.session.scalars(
                select(DocIntegration).options(selectinload(DocIntegration.logo))
                .where(DocIntegration.slug.in_(chunk))
            ):
                existing[doc.slug] = doc
        current = features_of(IntegrationFeatureTarget.DOC_INTEGRATION,
                               [d.id for d in existing.values()])
        for path, item, slug, explicit in prepared:
            instance = existing.get(slug) if slug else None
            self._doc_integration(path, item, slug, explicit, instance,
                                  current.get(instance.id, []) if instance else [])

    def _doc_integration(self, path: str, item: dict, slug: str | None, explicit: bool,
                         instance: DocIntegration | None, features: list[int]) -> None:
        logo_action, has_logo = None, instance is not None and instance.logo is not None
        if "logo" in item:
            logo_action = self._logo(item["logo"], f"{path}.logo")
            # A faulty logo is reported already; do not add "a logo is required" on top.
            has_logo = logo_action != "remove"
        data = {k: v for k, v in item.items() if k not in ("slug", "logo")}
        if instance is not None:
            # Fields the file leaves out keep their stored values.
            current = docs.doc_integration_values(instance, features)
            data = {**current, **data}
        probe = instance
        if instance is None and explicit:
            # The file names the slug, so the slug the name would generate does not matter
            # (it may be taken by another record): validate as a new record with that slug.
            probe = DocIntegration(popularity=docs.POPULARITY_DEFAULT, is_draft=True)
        try:
            cleaned = docs.validate_doc_integration(data, instance=probe, has_logo=has_logo)
        except ValidationFailed as exc:
            self._doc_errors(path, exc)
            return
        if not cleaned["is_draft"] and logo_action == "remove":
            self.error(f"{path}.logo", docs.PUBLISH_NEEDS_LOGO)
            return
        if logo_action == "bad":
            return
        if instance is None:
            cleaned["slug"] = slug
        self.plan.doc_integrations.append(
            Entry(path, cleaned, instance, {"features": features, "logo": logo_action})
        )

    def _doc_errors(self, path: str, exc: ValidationFailed) -> None:
        rows = exc.resource_rows
        for name, messages in exc.field_errors.items():
            target = {"avatar": "logo"}.get(name, name)
            if name == "resources" and rows:
                for index in sorted(rows):
                    for sub, sub_messages in rows[index].items():
                        for message in sub_messages:
                            self.error(f"{path}.resources[{index}].{sub}", message)
                continue
            for message in messages:
                self.error(f"{path}.{target}", message)

    def _logo(self, value, path: str):
        """("set", bytes, LogoImage) | "remove" | "bad" (errors reported)."""
        if value is None:
            return "remove"
        if not isinstance(value, dict):
            self.error(path, "must be an object with content_type and data_base64, or null")
            return "bad"
        ok = True
        for key in value:
            if key not in ("content_type", "data_base64"):
                self.error(f"{path}.{key}", "unknown field (allowed: content_type, data_base64)")
                ok = False
        encoded = value.get("data_base64")
        if encoded is None:
            self.error(f"{path}.data_base64", "required")
            return "bad"
        try:
            raw = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            self.error(f"{path}.data_base64", "must be base64 text")
            return "bad"
        try:
            checked = docs.validate_logo(raw)
        except ValidationFailed as exc:
            for messages in exc.field_errors.values():
                for message in messages:
                    self.error(path, message)
            return "bad"
        content_type = value.get("content_type")
        if content_type is not None and content_type != checked.content_type:
            self.error(f"{path}.content_type",
                       f"does not match the image (it is {checked.content_type})")
            ok = False
        return ("set", raw, checked) if ok else "bad"
