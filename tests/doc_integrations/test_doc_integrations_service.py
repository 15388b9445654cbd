"""Doc-integration service functions: create, update (stale, all-or-nothing, features), delete,
logos, reading rules and the list query."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.doc_integrations.test_doc_integrations_validation import image_bytes, valid
from webapp.extensions import db
from webapp.models import AuditLogEntry, DocIntegration, DocIntegrationLogo, IntegrationFeature
from webapp.services import doc_integrations as svc
from webapp.services.errors import Forbidden, NotFound, StaleEdit, ValidationFailed


@pytest.fixture
def staff(app):
    user = factories.make_user(is_staff=True, name="Stella Staff")
    db.session.commit()
    return user


@pytest.fixture
def member(app, org):
    user = factories.make_user(name="Mo Member")
    factories.make_member(org, user, "member")
    db.session.commit()
    return user


def feature_rows(doc) -> dict[int, IntegrationFeature]:
    return {row.feature: row for row in svc.features_for([doc])[doc.id]}


def audit(event) -> list[AuditLogEntry]:
    return list(db.session.scalars(select(AuditLogEntry).where(AuditLogEntry.event == event)))


def create(staff, **overrides) -> DocIntegration:
    doc = svc.create_doc_integration(staff, valid(**overrides), ip_address="10.0.0.1")
    db.session.commit()
    return doc


def test_create_is_a_draft_with_features_and_audit(app, staff):
    doc = svc.create_doc_integration(staff, valid(is_draft=False, features=[3, 1, 1]), ip_address="10.0.0.1")
    db.session.commit()
    assert doc.is_draft is True and doc.slug == "acme-tracker" and doc.version == 1
    assert sorted(feature_rows(doc)) == [1, 3]
    (entry,) = audit("DOC_INTEGRATION_ADD")
    assert entry.actor_id == staff.id and entry.ip_address == "10.0.0.1"
    assert entry.target_type == "doc_integration" and entry.target_id == doc.id
    assert entry.organization_id is None
    assert entry.data["changes"]["name"] == {"before": None, "after": "Acme Tracker"}
    assert entry.data["changes"]["features"] == {
        "before": None, "after": ["integrations-issue-link", "integrations-event-hooks"]}


def test_only_staff_change_anything(app, staff, member):
    with pytest.raises(Forbidden):
        svc.create_doc_integration(member, valid())
    doc = create(staff)
    with pytest.raises(Forbidden):
        svc.update_doc_integration(member, doc, valid(), doc.version)
    with pytest.raises(Forbidden):
        svc.delete_doc_integration(member, doc)
    with pytest.raises(Forbidden):
        svc.set_logo(member, doc, image_bytes())
    with pytest.raises(Forbidden):
        svc.create_doc_integration(None, valid())


def test_update_changes_fields_bumps_version_and_audits_diff(app, staff):
    doc = create(staff)
    svc.update_doc_integration(staff, doc, valid(name="Renamed", popularity="5", features=[1, 2]),
                               expected_version=1, ip_address="10.0.0.2")
    db.session.commit()
    assert doc.name == "Renamed" and doc.slug == "acme-tracker" and doc.popularity == 5
    assert doc.version == 2
    (entry,) = audit("DOC_INTEGRATION_EDIT")
    assert entry.data["changes"] == {"name": {"before": "Acme Tracker", "after": "Renamed"},
                                     "popularity": {"before": 10, "after": 5}}
    assert entry.ip_address == "10.0.0.2"


def test_feature_only_change_still_bumps_version(app, staff):
    doc = create(staff)
    svc.update_doc_integration(staff, doc, valid(features=[0]), expected_version=1)
    db.session.commit()
    assert doc.version == 2 and sorted(feature_rows(doc)) == [0]


def test_feature_replace_keeps_date_added_of_survivors(app, staff):
    doc = create(staff, features=[1, 2, 3])
    rows = feature_rows(doc)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    for row in rows.values():
        row.date_added = old
    db.session.commit()
    svc.update_doc_integration(staff, doc, valid(features=[2, 3, 5]), doc.version)
    db.session.commit()
    db.session.expire_all()
    after = feature_rows(doc)
    assert sorted(after) == [2, 3, 5]
    assert after[2].id == rows[2].id and after[2].date_added == old
    assert after[3].date_added == old
    assert after[5].date_added > old + timedelta(days=365)
    svc.update_doc_integration(staff, doc, valid(features=[]), doc.version)
    db.session.commit()
    assert feature_rows(doc) == {}


def test_stale_version_refused_with_changes_and_nothing_written(app, staff):
    doc = create(staff, features=[1])
    svc.update_doc_integration(staff, doc, valid(author="Someone else", features=[1, 2]), 1)
    db.session.commit()
    with pytest.raises(StaleEdit) as info:
        svc.update_doc_integration(staff, doc, valid(name="Mine", features=["1"]), expected_version=1)
    db.session.rollback()
    assert info.value.changes == {
        "name": ("Mine", "Acme Tracker"),
        "author": ("Acme Inc.", "Someone else"),
        "features": ([1], [1, 2]),
    }
    db.session.expire_all()
    assert doc.name == "Acme Tracker" and doc.version == 2 and sorted(feature_rows(doc)) == [1, 2]
    assert len(audit("DOC_INTEGRATION_EDIT")) == 1


def test_refused_publish_changes_nothing(app, staff):
    doc = create(staff, features=[1])
    with pytest.raises(ValidationFailed) as info:
        svc.update_doc_integration(staff, doc, valid(name="New name", is_draft=False, features=[4, 5]), 1)
    db.session.rollback()
    assert info.value.field_errors == {"avatar": ["A logo is required for publishing."]}
    db.session.expire_all()
    assert doc.name == "Acme Tracker" and doc.is_draft and doc.version == 1
    assert sorted(feature_rows(doc)) == [1]
    assert audit("DOC_INTEGRATION_EDIT") == []


def test_publish_after_logo_and_is_draft_absent_keeps_state(app, staff):
    doc = create(staff)
    svc.set_logo(staff, doc, image_bytes())
    db.session.commit()
    svc.update_doc_integration(staff, doc, valid(is_draft=False), doc.version)
    db.session.commit()
    assert doc.is_draft is False
    data = valid(name="Still published")
    data.pop("is_draft", None)
    svc.update_doc_integration(staff, doc, data, None)
    db.session.commit()
    assert doc.is_draft is False and doc.name == "Still published"


def test_set_logo_gives_new_uuid_each_time_and_audits(app, staff):
    doc = create(staff)
    first = svc.set_logo(staff, doc, image_bytes(300, 300, "PNG"), ip_address="10.0.0.3")
    db.session.commit()
    first_uuid = first.uuid
    second = svc.set_logo(staff, doc, image_bytes(512, 256, "JPEG"))
    db.session.commit()
    assert second.uuid != first_uuid and re.fullmatch(r"[0-9a-f]{32}", second.uuid)
    assert (second.content_type, second.width, second.height) == ("image/jpeg", 512, 256)
    assert db.session.scalar(select(func.count()).select_from(DocIntegrationLogo)) == 1
    entries = audit("DOC_INTEGRATION_LOGO")
    assert len(entries) == 2
    changes = sorted((e.data["changes"]["logo"]["before"] or "", e.data["changes"]["logo"]["after"]) for e in entries)
    assert ("", first_uuid) in changes and (first_uuid, second.uuid) in changes
    assert doc.version == 3


def test_set_logo_refuses_bad_image_and_keeps_old(app, staff):
    doc = create(staff)
    logo = svc.set_logo(staff, doc, image_bytes())
    db.session.commit()
    with pytest.raises(ValidationFailed):
        svc.set_logo(staff, doc, b"not an image")
    db.session.rollback()
    db.session.expire_all()
    assert doc.logo.uuid == logo.uuid


def test_delete_takes_features_and_logo_in_one_go(app, staff):
    doc = create(staff, features=[1, 2, 3])
    svc.set_logo(staff, doc, image_bytes())
    other = create(staff, name="Other", features=[1])
    db.session.commit()
    doc_id = doc.id
    result = svc.delete_doc_integration(staff, doc, ip_address="10.0.0.4")
    db.session.commit()
    assert result == {"features": 3, "logo": True}
    assert db.session.get(DocIntegration, doc_id) is None
    assert db.session.scalar(select(func.count()).select_from(DocIntegrationLogo)) == 0
    assert svc.features_for([doc_id]) == {doc_id: []}
    assert sorted(feature_rows(other)) == [1]
    (entry,) = audit("DOC_INTEGRATION_REMOVE")
    assert entry.target_id == doc_id and entry.data["deleted"] == {"features": 3, "logo": True}
    assert entry.data["changes"]["name"] == {"before": "Acme Tracker", "after": None}


def test_get_by_id_or_slug_and_draft_visibility(app, staff, member):
    doc = create(staff)
    assert svc.get_doc_integration(staff, doc.slug) is doc
    assert svc.get_doc_integration(staff, doc.id) is doc
    assert svc.get_doc_integration(staff, str(doc.id)) is doc
    with pytest.raises(NotFound):
        svc.get_doc_integration(member, doc.slug)
    with pytest.raises(Forbidden):
        svc.get_doc_integration(member, doc.slug, for_api=True)
    with pytest.raises(NotFound):
        svc.get_doc_integration(None, doc.slug)
    with pytest.raises(NotFound):
        svc.get_doc_integration(staff, "missing")
    doc.is_draft = False
    db.session.commit()
    assert svc.get_doc_integration(member, doc.slug) is doc


def test_list_filters_sorts_and_hides_drafts(app, staff, member):
    a = create(staff, name="Alpha", author="Zed", popularity=5)
    create(staff, name="beta_50%", popularity=None)
    c = create(staff, name="Gamma", popularity=9)
    for doc in (a, c):
        svc.set_logo(staff, doc, image_bytes())
        svc.update_doc_integration(staff, doc, valid(name=doc.name, author=doc.author, popularity=doc.popularity,
                                                     is_draft=False), None)
    db.session.commit()

    def names(user, **filters):
        return [d.name for d in svc.list_doc_integrations(user, svc.DocIntegrationFilters(**filters)).items]

    assert names(staff) == ["Alpha", "beta_50%", "Gamma"]
    assert names(member) == ["Alpha", "Gamma"]
    assert names(member, state="draft") == ["Alpha", "Gamma"]  # non-staff: published only
    assert names(staff, state="draft") == ["beta_50%"]
    assert names(staff, state="published") == ["Alpha", "Gamma"]
    assert names(staff, q="ZED") == ["Alpha"]
    assert names(staff, q="50%") == ["beta_50%"]
    assert names(staff, q="alph_") == []  # _ is literal, not a wildcard
    assert names(staff, q="a_5") == ["beta_50%"]
    assert names(staff, sort="-name") == ["Gamma", "beta_50%", "Alpha"]
    assert names(staff, sort="popularity") == ["Alpha", "Gamma", "beta_50%"]  # empty last
    assert names(staff, sort="-popularity") == ["Gamma", "Alpha", "beta_50%"]
    page = svc.list_doc_integrations(staff, svc.DocIntegrationFilters(), page=2, per_page=2)
    assert page.total == 3 and [d.name for d in page.items] == ["Gamma"]


def test_logo_visibility(app, staff, member):
    doc = create(staff)
    logo = svc.set_logo(staff, doc, image_bytes())
    db.session.commit()
    assert svc.get_logo(staff, logo.uuid).data == image_bytes()
    with pytest.raises(NotFound):
        svc.get_logo(member, logo.uuid)
    with pytest.raises(NotFound):
        svc.get_logo(staff, "0" * 32)


@pytest.mark.parametrize("name", [
    # What load-data, the API schema, the pages and the tests reach through the module.
    "AUTHOR_MAX", "DEFAULT_SORT", "DocIntegrationFilters", "NAME_MAX", "POPULARITY_DEFAULT", "POPULARITY_MAX",
    "POPULARITY_MIN", "PUBLISH_NEEDS_LOGO", "RESERVED_SLUGS", "RESOURCE_TITLE_MAX",
    "RESOURCE_URL_MAX", "SLUG_MAX", "SORTS", "STATES", "TARGET_TYPE", "URL_MAX", "VALUE_FIELDS",
    "LogoImage", "create_doc_integration", "delete_doc_integration", "delete_impact",
    "doc_integration_values", "doc_integrations_query", "features_for", "get_doc_integration",
    "get_logo", "is_staff", "iter_doc_integrations_export", "list_doc_integrations", "set_logo",
    "slugify_name", "update_doc_integration", "validate_doc_integration", "validate_logo",
])
def test_module_keeps_the_names_its_callers_use(name):
    assert hasattr(svc, name)
