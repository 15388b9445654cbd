"""/api/0/doc-integrations/… (SPEC §7.2, §8), ported from Sentry's DocIntegrationsEndpoint,
DocIntegrationDetailsEndpoint and DocIntegrationAvatarEndpoint tests, with SPEC §8's fixes."""

import base64

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.api.doc_helpers import image_bytes, make_doc
from webapp.extensions import db
from webapp.models import AuditLogEntry, DocIntegration, DocIntegrationLogo, IntegrationFeature

LIST = "/api/0/doc-integrations/"
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}
DOC_KEYS = {"name", "slug", "author", "description", "url", "popularity", "isDraft", "features",
            "avatar"}


def payload(**overrides) -> dict:
    return factories.doc_integration_data(**overrides)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def feature_ids(doc) -> list[int]:
    return sorted(db.session.scalars(select(IntegrationFeature.feature)
                                     .where(IntegrationFeature.target_id == doc.id)))


# -- list -------------------------------------------------------------------------------------


def test_list_staff_sees_drafts_others_published_only(api_as, org):
    make_doc("Beta", is_draft=True)
    make_doc("alpha", features=[0, 3], logo=True,
             resources=[{"title": "Guide", "url": "https://g.example"}])
    make_doc("Gamma")
    db.session.commit()
    staff = api_as("staff").get(LIST)
    assert staff.status_code == 200
    assert [d["name"] for d in staff.json] == ["alpha", "Beta", "Gamma"]
    member = api_as("member").get(LIST)
    assert [d["name"] for d in member.json] == ["alpha", "Gamma"]
    alpha = member.json[0]
    assert set(alpha) == DOC_KEYS | {"resources"}
    assert alpha["isDraft"] is False
    assert alpha["resources"] == [{"title": "Guide", "url": "https://g.example"}]
    assert alpha["features"] == [
        {"featureId": 0, "featureGate": "integrations-api",
         "description": "alpha can **utilize the API** to pull data or update resources "
                        "(with permissions granted, of course)."},
        {"featureId": 3, "featureGate": "integrations-event-hooks",
         "description": "alpha allows organizations to **forward events to another service**."},
    ]
    assert alpha["avatar"]["avatarType"] == "upload"
    assert alpha["avatar"]["avatarUrl"].startswith("http://localhost/doc-integration-logo/")
    assert alpha["avatar"]["avatarUuid"] in alpha["avatar"]["avatarUrl"]
    assert "resources" not in member.json[1]
    assert member.json[1]["avatar"] is None


def test_list_state_and_query_for_staff(api_as, org):
    make_doc("Draft one", is_draft=True)
    make_doc("Published one")
    db.session.commit()
    staff = api_as("staff")
    assert [d["name"] for d in staff.get(LIST, query_string={"state": "draft"}).json] == ["Draft one"]
    assert [d["name"] for d in staff.get(LIST, query_string={"query": "publ"}).json] == ["Published one"]
    bad = staff.get(LIST, query_string={"state": "secret"})
    assert bad.status_code == 400
    assert "state" in bad.json


def test_list_pagination(api_as, org):
    for i in range(5):
        make_doc(f"d{i}")
    db.session.commit()
    api = api_as()
    first = api.get(LIST, query_string={"per_page": 2})
    assert [d["name"] for d in first.json] == ["d0", "d1"]
    assert 'rel="next"; results="true"' in first.headers["Link"]
    last = api.get(LIST, query_string={"per_page": 2, "cursor": "0:4:0"})
    assert [d["name"] for d in last.json] == ["d4"]
    assert 'rel="next"; results="false"' in last.headers["Link"]


def test_list_query_count_is_constant(api_as, org, count_queries):
    api = api_as("staff")
    for i in range(2):
        make_doc(f"a{i}", features=[1, 2], logo=True)
    db.session.commit()
    api.get(LIST)  # the token's first use writes last_used (at most once a minute)
    with count_queries() as small:
        assert len(api.get(LIST).json) == 2
    for i in range(60):
        make_doc(f"b{i}", features=[0, 1, 4], logo=i % 2 == 0, is_draft=i % 3 == 0)
    db.session.commit()
    with count_queries() as large:
        assert len(api.get(LIST).json) == 62
    assert large.count == small.count
    assert small.count <= 6


def test_list_needs_credentials(client, org):
    assert client.get(LIST).status_code == 401


# -- create -----------------------------------------------------------------------------------


def test_create_is_201_and_always_a_draft(api_as, org):
    api = api_as("staff")
    response = api.post(LIST, json=payload(is_draft=False))
    assert response.status_code == 201
    body = response.json
    assert body["slug"] == "acme-tracker"
    assert body["isDraft"] is True
    assert [f["featureId"] for f in body["features"]] == [1, 2]
    assert body["resources"] == [{"title": "Docs", "url": "https://docs.example.com"}]
    assert body["avatar"] is None
    doc = db.session.scalars(select(DocIntegration)).one()
    assert feature_ids(doc) == [1, 2]
    assert db.session.scalar(select(AuditLogEntry.event)) == "DOC_INTEGRATION_ADD"


@pytest.mark.parametrize("resources", [None, []])
def test_saved_without_resources_is_serialized_without_the_key(api_as, org, resources):
    """Sentry's test_create_empty_metadata: no resources, no `resources` key — in the
    create answer, the detail and the list (a page save of empty rows stores [] too)."""
    api = api_as("staff")
    body = payload()
    del body["resources"]
    if resources is not None:
        body["resources"] = resources
    response = api.post(LIST, json=body)
    assert response.status_code == 201
    assert "resources" not in response.json
    assert set(response.json) == DOC_KEYS
    assert "resources" not in api.get(f"{LIST}{response.json['slug']}/").json
    assert all("resources" not in doc for doc in api.get(LIST).json)


@pytest.mark.parametrize("role", ["member", "owner"])
def test_create_is_staff_only(api_as, org, role):
    response = api_as(role).post(LIST, json=payload())
    assert response.status_code == 403
    assert response.json == PERMISSION_DENIED
    assert count(DocIntegration) == 0


def test_create_taken_name(api_as, org):
    api = api_as("staff")
    api.post(LIST, json=payload())
    response = api.post(LIST, json=payload())
    assert response.status_code == 400
    assert response.json == {"name": ["Name 'Acme Tracker' is already taken, please use another."]}


def test_create_slug_too_long(api_as, org):
    name = "\ufb03" * 22  # the "ﬃ" ligature: 22 characters, a slug of 66 ("ffi" × 22)
    response = api_as("staff").post(LIST, json=payload(name=name))
    assert response.status_code == 400
    assert response.json == {"name": [f"Generated slug '{'ffi' * 22}' is too long, please use a shorter name."]}


def test_create_validation_messages(api_as, org):
    response = api_as("staff").post(LIST, json={
        "name": "***", "author": "", "url": "ftp://x", "popularity": 99999,
        "features": [1, 10, "x"], "resources": [{"title": "", "url": "https://x.example"}],
    })
    assert response.status_code == 400
    errors = response.json
    assert errors["name"] == ["Name must contain at least one letter or digit."]
    assert errors["author"] == ["This field is required."]
    assert errors["description"] == ["This field is required."]
    assert errors["url"] == ["URL must start with http[s]://"]
    assert "popularity" in errors
    assert errors["features"] == ["Unknown feature: 10", "Unknown feature: x"]
    assert errors["resources"] and "title" in errors["resources"][0]
    assert count(DocIntegration) == 0


def test_create_bad_resource_url_is_under_resources(api_as, org):
    response = api_as("staff").post(LIST, json=payload(resources=[{"title": "T", "url": "javascript:x"}]))
    assert response.status_code == 400
    assert list(response.json) == ["resources"]


@pytest.mark.parametrize("body", ["[]", "nope", "1"])
def test_create_body_must_be_an_object(api_as, org, body):
    response = api_as("staff").post(LIST, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"detail": "Request body must be a JSON object."}


# -- detail, update, delete -------------------------------------------------------------------


def url(doc, suffix="") -> str:
    return f"/api/0/doc-integrations/{doc.slug}/{suffix}"


def test_detail_by_slug_and_id(api_as, org):
    doc = make_doc("Shown", features=[2])
    db.session.commit()
    api = api_as()
    by_slug = api.get(url(doc))
    assert by_slug.status_code == 200
    assert by_slug.json["name"] == "Shown"
    assert by_slug.headers["ETag"] == f'"{doc.version}"'
    assert api.get(f"/api/0/doc-integrations/{doc.id}/").json == by_slug.json


def test_draft_is_403_for_non_staff_and_visible_to_staff(api_as, org):
    doc = make_doc("Secret", is_draft=True)
    db.session.commit()
    response = api_as("owner").get(url(doc))
    assert response.status_code == 403
    assert response.json == PERMISSION_DENIED
    assert api_as("owner").get(url(doc, "avatar/")).status_code == 403
    assert api_as("staff").get(url(doc)).json["isDraft"] is True


def test_unknown_doc_integration_is_404(api_as, org):
    response = api_as().get("/api/0/doc-integrations/nope/")
    assert response.status_code == 404
    assert "detail" in response.json


def test_update_replaces_fields_and_features_keeps_slug(api_as, org):
    doc = make_doc("Old name", is_draft=True, features=[1, 2])
    db.session.commit()
    slug = doc.slug
    response = api_as("staff").put(url(doc), json=payload(name="New name", features=[2, 5]))
    assert response.status_code == 200
    assert response.json["name"] == "New name"
    assert response.json["slug"] == slug
    assert response.json["isDraft"] is True  # no is_draft: kept
    assert [f["featureId"] for f in response.json["features"]] == [2, 5]
    assert feature_ids(doc) == [2, 5]
    assert db.session.scalar(select(AuditLogEntry.event)) == "DOC_INTEGRATION_EDIT"


def test_update_features_empty_list_clears_absent_keeps(api_as, org):
    doc = make_doc("Feat", features=[1, 2], logo=True, resources=[{"title": "R", "url": "https://r.example"}])
    db.session.commit()
    api = api_as("staff")
    body = {k: v for k, v in payload(name="Feat").items() if k not in ("features", "resources")}
    kept = api.put(url(doc), json=body)
    assert kept.status_code == 200
    assert [f["featureId"] for f in kept.json["features"]] == [1, 2]
    assert kept.json["resources"] == [{"title": "R", "url": "https://r.example"}]
    cleared = api.put(url(doc), json={**body, "features": [], "resources": []})
    assert cleared.json["features"] == []
    assert "resources" not in cleared.json
    assert feature_ids(doc) == []


def test_update_is_a_full_update(api_as, org):
    doc = make_doc("Full", logo=True)
    db.session.commit()
    response = api_as("staff").put(url(doc), json={"name": "Full"})
    assert response.status_code == 400
    assert set(response.json) == {"author", "description", "url"}


def test_publish_without_logo_is_refused_and_changes_nothing(api_as, org):
    doc = make_doc("Draft", is_draft=True, features=[1])
    db.session.commit()
    version = doc.version
    response = api_as("staff").put(url(doc), json=payload(name="Renamed", is_draft=False, features=[3]))
    assert response.status_code == 400
    assert response.json == {"avatar": ["A logo is required for publishing."]}
    db.session.expire_all()
    doc = db.session.get(DocIntegration, doc.id)
    assert (doc.name, doc.is_draft, doc.version) == ("Draft", True, version)
    assert feature_ids(doc) == [1]


def test_publish_with_logo(api_as, org):
    doc = make_doc("Ready", is_draft=True, logo=True)
    db.session.commit()
    response = api_as("staff").put(url(doc), json=payload(name="Ready", is_draft=False))
    assert response.status_code == 200
    assert response.json["isDraft"] is False


def test_update_non_staff_is_403(api_as, org):
    doc = make_doc("Pub")
    db.session.commit()
    response = api_as("owner").put(url(doc), json=payload(name="Hacked"))
    assert response.status_code == 403
    db.session.refresh(doc)
    assert doc.name == "Pub"


def test_update_if_match_stale_is_409(api_as, org):
    doc = make_doc("Versioned", logo=True)
    db.session.commit()
    api = api_as("staff")
    etag = api.get(url(doc)).headers["ETag"]
    assert api.put(url(doc), json=payload(name="V2"), headers={"If-Match": etag}).status_code == 200
    stale = api.put(url(doc), json=payload(name="V3"), headers={"If-Match": etag})
    assert stale.status_code == 409
    assert stale.json["changes"]["name"] == {"yours": "V3", "current": "V2"}


def test_delete_removes_features_and_logo(api_as, org):
    doc = make_doc("Gone", features=[1, 2], logo=True)
    db.session.commit()
    response = api_as("staff").delete(url(doc))
    assert response.status_code == 204
    assert count(DocIntegration) == 0
    assert count(IntegrationFeature) == 0
    assert count(DocIntegrationLogo) == 0
    assert db.session.scalar(select(AuditLogEntry.event)) == "DOC_INTEGRATION_REMOVE"


@pytest.mark.parametrize("is_draft", [True, False])
def test_delete_non_staff_is_403(api_as, org, is_draft):
    doc = make_doc("Stays", is_draft=is_draft)
    db.session.commit()
    response = api_as("owner").delete(url(doc))
    assert response.status_code == 403
    assert count(DocIntegration) == 1


# -- avatar -----------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_avatar_get_returns_the_doc_integration(api_as, org):
    doc = make_doc("Logo", logo=True)
    db.session.commit()
    response = api_as().get(url(doc, "avatar/"))
    assert response.status_code == 200
    assert response.json["slug"] == doc.slug
    assert response.json["avatar"]["avatarUuid"] == doc.logo.uuid


def test_avatar_put_sets_and_replaces_logo(api_as, org, client):
    doc = make_doc("Logo")
    db.session.commit()
    api = api_as("staff")
    first = api.put(url(doc, "avatar/"), json={"avatar_photo": b64(image_bytes()), "avatar_type": "upload"})
    assert first.status_code == 200
    uuid = first.json["avatar"]["avatarUuid"]
    image = client.get(first.json["avatar"]["avatarUrl"].replace("http://localhost", ""))
    assert image.status_code == 200  # a published doc integration's logo is public
    assert image.data == image_bytes()
    wrapped = base64.encodebytes(image_bytes(512, 512, "JPEG")).decode()  # with line breaks
    second = api.put(url(doc, "avatar/"), json={"avatar_photo": wrapped, "avatar_type": "upload"})
    assert second.status_code == 200
    assert second.json["avatar"]["avatarUuid"] != uuid
    assert count(DocIntegrationLogo) == 1
    assert db.session.scalar(select(DocIntegrationLogo.content_type)) == "image/jpeg"


@pytest.mark.parametrize(("body", "errors"), [
    ({"avatar_photo": "!!!not base64!!!", "avatar_type": "upload"},
     {"avatar_photo": ["Invalid base64 data."]}),
    ({"avatar_photo": b64(b"GIF89a not really"), "avatar_type": "upload"},
     {"avatar_photo": ["Invalid image format."]}),
    ({"avatar_photo": b64(image_bytes(100, 100)), "avatar_type": "upload"},
     {"avatar_photo": ["Invalid image dimensions."]}),
    ({"avatar_type": "upload"}, {"avatar_photo": ["A logo is required."]}),
    ({"avatar_photo": 12, "avatar_type": "upload"},
     {"avatar_photo": ["Send the image as a base64 string."]}),
    ({"avatar_photo": b64(image_bytes()), "avatar_type": "letter_avatar"},
     {"avatar_type": ['"letter_avatar" is not a valid choice.']}),
])
def test_avatar_put_validation(api_as, org, body, errors):
    doc = make_doc("Logo", is_draft=True)
    db.session.commit()
    response = api_as("staff").put(url(doc, "avatar/"), json=body)
    assert response.status_code == 400
    assert response.json == errors
    assert count(DocIntegrationLogo) == 0


def test_avatar_put_too_large(api_as, org):
    doc = make_doc("Logo", is_draft=True)
    db.session.commit()
    big = b64(b"\x89PNG" + b"\0" * (1024 * 1024 + 10))
    response = api_as("staff").put(url(doc, "avatar/"), json={"avatar_photo": big, "avatar_type": "upload"})
    assert response.status_code == 400
    assert response.json == {"avatar_photo": ["Image too large"]}  # Sentry's words, no detail


def test_avatar_put_over_the_request_limit_is_413_json(api_as, org):
    """The logo form answers an oversized upload beside its field; the API keeps its
    documented 413 (a JSON body over MAX_CONTENT_LENGTH is not read)."""
    doc = make_doc("Logo", is_draft=True)
    db.session.commit()
    big = b64(b"\x89PNG" + b"\0" * (2 * 1024 * 1024))
    response = api_as("staff").put(url(doc, "avatar/"), json={"avatar_photo": big, "avatar_type": "upload"})
    assert response.status_code == 413
    assert response.is_json and set(response.json) == {"detail"}
    assert count(DocIntegrationLogo) == 0


def test_avatar_put_non_staff_is_403_before_the_body_is_read(api_as, org):
    doc = make_doc("Logo")
    db.session.commit()
    response = api_as("owner").put(url(doc, "avatar/"), json={"avatar_photo": "!!", "avatar_type": "x"})
    assert response.status_code == 403
    assert response.json == PERMISSION_DENIED
