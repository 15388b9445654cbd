"""Doc-integration pages: permissions, the form (errors, resource rows without JS, stale edits),
logos, detail, delete, list (filters, sort, CSV) and query counts."""

import csv
import io
import re

import pytest
from bs4 import BeautifulSoup
from flask import g
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests import factories
from tests.doc_integrations.test_doc_integrations_validation import image_bytes
from webapp.blueprints.doc_integrations.forms import DocIntegrationFilterForm
from webapp.extensions import db
from webapp.models import (
    AuditLogEntry,
    DocIntegration,
    DocIntegrationLogo,
    IntegrationFeature,
    IntegrationFeatureTarget,
)
from webapp.services import doc_integrations as svc

# ----------------------------------------------------------------------------- helpers


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def make_doc(name="Acme Tracker", *, is_draft=True, logo=False, features=(), resources=None,
             author="Acme Inc.", popularity=1, description="Tracks things.") -> DocIntegration:
    doc = DocIntegration(name=name, slug=svc.slugify_name(name), author=author, description=description,
                         url="https://acme.example.com", popularity=popularity, is_draft=is_draft,
                         resources=resources if resources is not None else [])
    if logo:
        doc.logo = DocIntegrationLogo(content_type="image/png", data=image_bytes(), width=300, height=300)
    db.session.add(doc)
    db.session.flush()
    for feature in features:
        db.session.add(IntegrationFeature(target_type=IntegrationFeatureTarget.DOC_INTEGRATION,
                                          target_id=doc.id, feature=feature))
    db.session.commit()
    return doc


def form_data(**overrides) -> dict:
    """The valid record of factories.doc_integration_data, as the HTML form posts it."""
    valid = factories.doc_integration_data()
    data = {key: valid[key] for key in ("name", "author", "description", "url")}
    data["popularity"] = str(valid["popularity"])
    data["features"] = [str(feature) for feature in valid["features"]]
    for n, resource in enumerate(valid["resources"]):
        data[f"resources-{n}-title"], data[f"resources-{n}-url"] = resource["title"], resource["url"]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(doc, **overrides) -> dict:
    return form_data(version=str(doc.version), is_draft="y" if doc.is_draft else None, **overrides)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audit_events() -> list[str]:
    return list(db.session.scalars(select(AuditLogEntry.event).order_by(AuditLogEntry.id)))


def feature_ids(doc) -> list[int]:
    return [row.feature for row in svc.features_for([doc.id])[doc.id]]


def sign_in(client, user) -> None:
    """Log `user` in on another test client (several users in one test)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    # The test keeps one app context for all requests, and Flask-Login caches the user in g.
    g.pop("_login_user", None)


def field_error(page, field_id) -> str:
    """The error text shown beside a field (aria-describedby points at it)."""
    node = page.find(id=f"{field_id}-error")
    return " ".join(node.get_text(" ").split()) if node else ""


# ----------------------------------------------------------------------------- permissions


def test_anonymous_is_sent_to_login(client, app):
    doc = make_doc(is_draft=False)
    for path in ("/doc-integrations/", f"/doc-integrations/{doc.slug}/", "/doc-integrations/new/",
                 f"/doc-integrations/{doc.slug}/edit/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert client.post("/doc-integrations/new/", data=form_data()).status_code == 302
    assert count(DocIntegration) == 1


def test_member_sees_published_only_and_cannot_change(client, login_as):
    login_as("member")
    published = make_doc("Public One", is_draft=False, logo=True)
    draft = make_doc("Secret Draft")
    response = client.get("/doc-integrations/")
    assert response.status_code == 200
    assert "Public One" in text(response) and "Secret Draft" not in text(response)
    assert "New doc integration" not in text(response)
    assert client.get("/doc-integrations/?state=draft").get_data(as_text=True).count("Secret Draft") == 0
    assert client.get(f"/doc-integrations/{published.slug}/").status_code == 200
    assert client.get(f"/doc-integrations/{draft.slug}/").status_code == 404
    assert client.get(f"/doc-integration-logo/{published.logo.uuid}/").status_code == 200
    assert client.get("/doc-integrations/new/").status_code == 403
    assert client.post("/doc-integrations/new/", data=form_data(name="Other")).status_code == 403
    for action in ("edit", "delete", "logo"):
        assert client.get(f"/doc-integrations/{published.slug}/{action}/").status_code == 403
        assert client.get(f"/doc-integrations/{draft.slug}/{action}/").status_code == 404
    assert client.post(f"/doc-integrations/{published.slug}/edit/",
                       data=edit_data(published, name="Hacked")).status_code == 403
    assert client.post(f"/doc-integrations/{published.slug}/delete/").status_code == 403
    assert client.post(f"/doc-integrations/{draft.slug}/delete/").status_code == 404
    db.session.expire_all()
    assert count(DocIntegration) == 2 and db.session.get(DocIntegration, published.id).name == "Public One"
    assert audit_events() == []


def test_nav_entry_only_for_staff(app, client, login_as, org):
    login_as("staff")
    nav = soup(client.get("/doc-integrations/")).find("nav", attrs={"aria-label": "Main"})
    link = nav.find("a", string=re.compile("Doc integrations"))
    assert link is not None and link.get("aria-current") == "page"
    owner = factories.make_user()
    factories.make_member(org, owner, "owner")
    db.session.commit()
    owner_client = app.test_client()
    sign_in(owner_client, owner)
    response = owner_client.get("/settings/acme/")
    assert response.status_code == 200
    nav = soup(response).find("nav", attrs={"aria-label": "Main"})
    assert nav is not None and nav.find("a", string=re.compile("Doc integrations")) is None


# ----------------------------------------------------------------------------- create


def test_staff_creates_a_draft(client, login_as):
    staff = login_as("staff")
    page = soup(client.get("/doc-integrations/new/"))
    for name in ("name", "author", "description", "url", "popularity", "resources-0-title",
                 "resources-0-url"):
        field = page.find(attrs={"name": name})
        assert field is not None and page.find("label", attrs={"for": field["id"]}) is not None
    assert len(page.find_all("input", attrs={"name": "features"})) == 12
    assert page.find(attrs={"name": "is_draft"}) is None
    assert page.find("input", attrs={"name": "popularity"})["value"] == "1"  # the default
    # Each feature shows its description (bold kept).
    assert page.find("label", attrs={"for": "features-0"}).find("strong").get_text() == "utilize the API"

    response = client.post("/doc-integrations/new/", data=form_data(
        **{"resources-1-title": "Support", "resources-1-url": "https://help.example.com",
           "features": ["1", "2", "2", "12"]}))
    assert response.status_code == 302 and response.headers["Location"].endswith("/doc-integrations/acme-tracker/")
    doc = db.session.scalar(select(DocIntegration))
    assert (doc.name, doc.slug, doc.is_draft, doc.popularity) == ("Acme Tracker", "acme-tracker", True, 10)
    assert doc.resources == [{"title": "Docs", "url": "https://docs.example.com"},
                             {"title": "Support", "url": "https://help.example.com"}]
    assert feature_ids(doc) == [1, 2, 12]
    entry = db.session.scalar(select(AuditLogEntry))
    assert entry.event == "DOC_INTEGRATION_ADD" and entry.actor_id == staff.id
    assert entry.ip_address == "127.0.0.1"
    assert "created as a draft" in text(client.get(response.headers["Location"]))


def test_empty_popularity_is_stored_as_none(client, login_as):
    login_as("staff")
    client.post("/doc-integrations/new/", data=form_data(popularity=""))
    assert db.session.scalar(select(DocIntegration)).popularity is None


def test_popularity_left_out_of_the_post_defaults_then_is_kept(client, login_as):
    login_as("staff")
    client.post("/doc-integrations/new/", data=form_data(popularity=None))
    doc = db.session.scalar(select(DocIntegration))
    assert doc.popularity == 1
    doc.popularity = 77
    db.session.commit()
    assert client.post(f"/doc-integrations/{doc.slug}/edit/",
                       data=edit_data(doc, popularity=None, name="Renamed")).status_code == 302
    db.session.expire_all()
    assert db.session.get(DocIntegration, doc.id).popularity == 77


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # The page says the API's (Sentry's) "This field is required." in the app's words.
        ({"name": ""}, "name", "Name is required."),
        ({"name": "x" * 65}, "name", "Name must be at most 64 characters."),
        ({"name": "!!!"}, "name", "Name must contain at least one letter or digit."),
        ({"name": "9" * 62}, "name", "is too long, please use a shorter name."),
        ({"name": "New"}, "name", "Name 'New' is already taken, please use another."),
        ({"author": ""}, "author", "Author is required."),
        ({"author": "a" * 256}, "author", "Author must be at most 255 characters."),
        ({"description": "  "}, "description", "Description is required."),
        ({"url": ""}, "url", "URL is required."),
        ({"url": "ftp://acme.example.com"}, "url", "URL must start with http[s]://"),
        ({"url": "acme.example.com"}, "url", "URL must start with http[s]://"),
        ({"popularity": "-1"}, "popularity", "Popularity must be a whole number from 0 to 32767."),
        ({"popularity": "32768"}, "popularity", "Popularity must be a whole number from 0 to 32767."),
        ({"popularity": "lots"}, "popularity", "Popularity must be a whole number from 0 to 32767."),
        ({"features": ["10"]}, "features", "Unknown feature: 10"),
        ({"features": ["x"]}, "features", "Unknown feature: x"),
    ],
)
def test_invalid_create_rerenders_with_message_beside_field(client, login_as, overrides, field, message):
    login_as("staff")
    response = client.post("/doc-integrations/new/", data=form_data(**overrides))
    assert response.status_code == 400
    page = soup(response)
    assert message in field_error(page, field)
    summary = page.find(id="error-summary")
    assert summary is not None and message in summary.get_text() and summary.get("tabindex") == "-1"
    assert summary.find("a", href=f"#{field}") is not None and page.find(id=field) is not None
    # Values are kept.
    assert page.find("input", attrs={"name": "resources-0-title"})["value"] == "Docs"
    if field not in ("author", "popularity"):
        assert page.find("input", attrs={"name": "author"})["value"] == "Acme Inc."
    assert count(DocIntegration) == 0 and audit_events() == []


def test_taken_name_is_refused(client, login_as):
    login_as("staff")
    make_doc("Acme Tracker")
    response = client.post("/doc-integrations/new/", data=form_data(name="ACME tracker"))
    assert response.status_code == 400
    assert field_error(soup(response), "name") == "Name 'ACME tracker' is already taken, please use another."


def test_all_digit_name_gets_a_random_suffix(client, login_as):
    login_as("staff")
    response = client.post("/doc-integrations/new/", data=form_data(name="1234"))
    assert response.status_code == 302
    assert re.fullmatch(r"1234-[a-z]{3}", db.session.scalar(select(DocIntegration.slug)))


def test_resource_row_errors_beside_their_row(client, login_as):
    login_as("staff")
    response = client.post("/doc-integrations/new/", data=form_data(**{
        "resources-1-title": "", "resources-1-url": "https://no-title.example",
        "resources-2-title": "", "resources-2-url": "",
        "resources-3-title": "Bad", "resources-3-url": "javascript:alert(1)",
    }))
    assert response.status_code == 400
    page = soup(response)
    assert field_error(page, "resources-1-title") == "title is required."
    assert field_error(page, "resources-3-url") == "URL must start with http[s]://"
    assert field_error(page, "resources-0-title") == ""
    summary = page.find(id="error-summary").get_text(" ")
    assert "Row 2: title is required." in summary and "Row 4: URL must start with http[s]://" in summary
    assert page.find("input", attrs={"name": "resources-3-url"})["value"] == "javascript:alert(1)"
    assert count(DocIntegration) == 0


def test_add_and_remove_resource_rows_without_javascript(client, login_as):
    login_as("staff")
    data = form_data(**{"resources-1-title": "Second", "resources-1-url": "https://two.example",
                        "add_resource": "Add resource row", "name": ""})
    response = client.post("/doc-integrations/new/", data=data)
    assert response.status_code == 200  # not a save, no errors shown
    page = soup(response)
    assert page.find(id="error-summary") is None
    assert [i["value"] for i in page.find_all("input", attrs={"name": re.compile(r"resources-\d+-title")})] == [
        "Docs", "Second", ""]
    assert page.find("input", attrs={"name": "resources-2-title"}).has_attr("autofocus")
    assert page.find("input", attrs={"name": "author"})["value"] == "Acme Inc."
    assert sorted(i["value"] for i in page.find_all("input", attrs={"name": "features"}, checked=True)) == ["1", "2"]

    data = form_data(**{"resources-1-title": "Second", "resources-1-url": "https://two.example",
                        "resources-2-title": "Third", "resources-2-url": "https://three.example",
                        "resources-0-remove": "Remove"})
    page = soup(client.post("/doc-integrations/new/", data=data))
    titles = [(i["name"], i["value"]) for i in page.find_all("input", attrs={"name": re.compile(r"resources-\d+-title")})]
    assert titles == [("resources-0-title", "Second"), ("resources-1-title", "Third")]
    # Removing the only row leaves one empty row.
    page = soup(client.post("/doc-integrations/new/", data=form_data(**{"resources-0-remove": "Remove"})))
    assert [i.get("value", "") for i in page.find_all("input", attrs={"name": re.compile(r"resources-\d+-title")})] == [""]
    assert count(DocIntegration) == 0
    # The first submit button of the form is a Save (what Enter in a text field presses).
    first = page.find("form", class_="doc-integration-form").find(["button", "input"], attrs={"type": "submit"})
    assert first.get("name") is None


# ----------------------------------------------------------------------------- edit


def test_edit_form_is_prefilled_and_saves(client, login_as):
    login_as("staff")
    doc = make_doc(features=[1, 3], resources=[{"title": "Docs", "url": "https://d.example"}])
    page = soup(client.get(f"/doc-integrations/{doc.slug}/edit/"))
    assert page.find("input", attrs={"name": "name"})["value"] == "Acme Tracker"
    assert page.find("input", attrs={"name": "version"})["value"] == "1"
    assert page.find("input", attrs={"name": "is_draft"}).has_attr("checked")
    assert sorted(i["value"] for i in page.find_all("input", attrs={"name": "features"}, checked=True)) == ["1", "3"]
    assert page.find("input", attrs={"name": "resources-0-url"})["value"] == "https://d.example"

    response = client.post(f"/doc-integrations/{doc.slug}/edit/?next=/doc-integrations/%3Fq%3Dacme",
                           data=edit_data(doc, name="Renamed", features=["3", "4"]))
    assert response.status_code == 302 and response.headers["Location"] == "/doc-integrations/?q=acme"
    db.session.expire_all()
    doc = db.session.get(DocIntegration, doc.id)
    assert (doc.name, doc.slug, doc.version) == ("Renamed", "acme-tracker", 2)
    assert feature_ids(doc) == [3, 4]
    entry = db.session.scalar(select(AuditLogEntry).where(AuditLogEntry.event == "DOC_INTEGRATION_EDIT"))
    assert entry.data["changes"]["name"] == {"before": "Acme Tracker", "after": "Renamed"}
    assert entry.data["changes"]["features"] == {
        "before": ["integrations-issue-link", "integrations-event-hooks"],
        "after": ["integrations-event-hooks", "integrations-project-management"]}


def test_unsafe_next_is_ignored(client, login_as):
    login_as("staff")
    doc = make_doc()
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(f"/doc-integrations/{doc.slug}/edit/", query_string={"next": bad},
                               data=edit_data(db.session.get(DocIntegration, doc.id)))
        assert response.status_code == 302
        assert response.headers["Location"] == f"/doc-integrations/{doc.slug}/"


def test_publish_without_logo_is_refused_and_changes_nothing(client, login_as):
    login_as("staff")
    doc = make_doc(features=[1])
    response = client.post(f"/doc-integrations/{doc.slug}/edit/",
                           data=form_data(version="1", name="Changed", features=["5"]))  # is_draft unticked
    assert response.status_code == 400
    page = soup(response)
    assert field_error(page, "is_draft") == "A logo is required for publishing."
    assert "Upload a logo" in page.get_text()
    db.session.expire_all()
    doc = db.session.get(DocIntegration, doc.id)
    assert (doc.name, doc.is_draft, doc.version) == ("Acme Tracker", True, 1)
    assert feature_ids(doc) == [1]
    assert audit_events() == []


def test_publish_with_logo(client, login_as):
    login_as("staff")
    doc = make_doc(logo=True)
    response = client.post(f"/doc-integrations/{doc.slug}/edit/", data=form_data(version="1"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DocIntegration, doc.id).is_draft is False
    assert "saved and published" in text(client.get(response.headers["Location"]))


def test_stale_edit_gives_409_with_changes_and_writes_nothing(client, login_as):
    login_as("staff")
    doc = make_doc(features=[1])
    assert client.post(f"/doc-integrations/{doc.slug}/edit/",
                       data=edit_data(doc, author="Bob", features=["1", "2"])).status_code == 302
    response = client.post(f"/doc-integrations/{doc.slug}/edit/",
                           data=form_data(version="1", is_draft="y", name="Mine", features=["1"]))
    assert response.status_code == 409
    table = soup(response).find("table", class_="conflict-changes")
    rows = {tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in table.tbody.find_all("tr")}
    assert rows["name"] == ["Mine", "Acme Tracker"]
    assert rows["author"] == ["Acme Inc.", "Bob"]
    assert rows["features"] == ["integrations-issue-link", "integrations-issue-link , integrations-stacktrace-link"]
    assert "Nothing you sent was saved" in text(response)
    db.session.expire_all()
    doc = db.session.get(DocIntegration, doc.id)
    assert (doc.name, doc.author, doc.version) == ("Acme Tracker", "Bob", 2)
    assert feature_ids(doc) == [1, 2]
    assert audit_events() == ["DOC_INTEGRATION_EDIT"]


def test_edit_without_version_is_refused(client, login_as):
    login_as("staff")
    doc = make_doc()
    response = client.post(f"/doc-integrations/{doc.slug}/edit/", data=form_data(is_draft="y", name="X"))
    assert response.status_code == 400
    assert "no valid version" in soup(response).find(id="error-summary").get_text()
    db.session.expire_all()
    assert db.session.get(DocIntegration, doc.id).name == "Acme Tracker"


def test_edit_row_buttons_keep_version_and_draft(client, login_as):
    login_as("staff")
    doc = make_doc()
    page = soup(client.post(f"/doc-integrations/{doc.slug}/edit/",
                            data=edit_data(doc, add_resource="Add resource row")))
    assert page.find("input", attrs={"name": "version"})["value"] == "1"
    assert page.find("input", attrs={"name": "is_draft"}).has_attr("checked")
    assert page.find("input", attrs={"name": "resources-1-title"}) is not None


# ----------------------------------------------------------------------------- escaping

XSS = "<script>alert(1)</script>"


def test_script_is_shown_as_text_everywhere(client, login_as):
    login_as("staff")
    response = client.post("/doc-integrations/new/", data=form_data(
        name=f"X {XSS}", author=XSS, description=XSS,
        url="https://acme.example.com/<script>", **{"resources-0-title": XSS, "features": ["0", "3"]}))
    assert response.status_code == 302
    doc = db.session.scalar(select(DocIntegration))
    pages = [client.get("/doc-integrations/"), client.get(f"/doc-integrations/{doc.slug}/"),
             client.get(f"/doc-integrations/{doc.slug}/edit/"), client.get(f"/doc-integrations/{doc.slug}/delete/"),
             client.get(f"/doc-integrations/{doc.slug}/logo/"),
             client.post("/doc-integrations/new/", data=form_data(name=XSS, author=XSS, description=XSS,
                                                                  url=XSS, popularity=XSS,
                                                                  **{"resources-0-title": XSS, "resources-0-url": XSS}))]
    for response in pages:
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html, response.request.path
        assert "&lt;script&gt;" in html
    detail = soup(pages[1])
    feature = detail.find("ul", class_="feature-list").find("li")
    assert feature.find("strong").get_text() == "utilize the API"
    assert f"X {XSS} can" in feature.get_text()  # the name is escaped text, not markup
    assert not detail.find_all("script", string=re.compile("alert"))


# ----------------------------------------------------------------------------- detail


def test_detail_shows_everything_and_history_for_staff(client, login_as):
    staff = login_as("staff")
    client.post("/doc-integrations/new/", data=form_data(**{"features": ["0", "5"],
                                                             "resources-1-title": "Help",
                                                             "resources-1-url": "http://help.example"}))
    doc = db.session.scalar(select(DocIntegration))
    page = soup(client.get(f"/doc-integrations/{doc.slug}/"))
    assert page.title.get_text().startswith("Acme Tracker")
    links = page.find("ul", class_="resource-list").find_all("a")
    assert [(a.get_text(), a["href"], a["rel"]) for a in links] == [
        ("Docs", "https://docs.example.com", ["noopener", "noreferrer"]),
        ("Help", "http://help.example", ["noopener", "noreferrer"]),
    ]
    features = page.find("ul", class_="feature-list").get_text(" ")
    assert "Manage incidents and outages by sending notifications to Acme Tracker." in " ".join(features.split())
    history = page.find("table", class_="history")
    assert "Doc integration added" in history.get_text() and staff.display_name in history.get_text()
    assert history.find(class_="audit-event")["data-event"] == "DOC_INTEGRATION_ADD"
    assert "Draft." in text(client.get(f"/doc-integrations/{doc.slug}/"))


def test_member_detail_has_no_history_or_buttons(client, login_as):
    login_as("member")
    doc = make_doc(is_draft=False, logo=True, features=[1])
    page = soup(client.get(f"/doc-integrations/{doc.slug}/"))
    assert page.find("table", class_="history") is None
    assert page.find("a", string=re.compile("Edit")) is None
    assert page.find("img", src=f"/doc-integration-logo/{doc.logo.uuid}/") is not None


# ----------------------------------------------------------------------------- logo


def upload(client, doc, data: bytes, filename="logo.png", query=""):
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"logo": FileStorage(io.BytesIO(data), filename=filename)})
    return client.post(f"/doc-integrations/{doc.slug}/logo/{query}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_logo_upload_checks_say_what_was_uploaded_and_what_is_allowed(client, login_as):
    login_as("staff")
    doc = make_doc()
    just_over = image_bytes(1000, 600, "PNG", noise=True)[: 1024 * 1024 + 10]
    cases = [
        (b"just some text, named like an image\n",
         "Invalid image format: not a readable image; PNG, JPEG or GIF."),
        (image_bytes(300, 300, "BMP"), "Invalid image format: a BMP image; PNG, JPEG or GIF."),
        (image_bytes(128, 128), "Invalid image dimensions: 128×128 px; 256–1024 px each side."),
        (image_bytes(300, 1100), "Invalid image dimensions: 300×1100 px; 256–1024 px each side."),
        (just_over, "Image too large: 1,048,586 bytes; at most 1,048,576 bytes (1 MB)."),
        (image_bytes(1024, 1024, "PNG", noise=True)[: 1536 * 1024],
         "Image too large: 1.5 MB; at most 1 MB."),
    ]
    for data, message in cases:
        response = upload(client, doc, data)
        assert response.status_code == 400
        assert field_error(soup(response), "logo") == message
    response = client.post(f"/doc-integrations/{doc.slug}/logo/", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and field_error(soup(response), "logo") == "Choose an image file to upload."
    assert count(DocIntegrationLogo) == 0 and audit_events() == []


def test_logo_over_the_request_limit_is_an_error_beside_the_field_not_a_413_page(client, login_as):
    """A body over MAX_CONTENT_LENGTH (2 MB) is refused before it is read: the logo form
    comes back (400) with the size of what was sent, the current logo and the way back."""
    login_as("staff")
    doc = make_doc(logo=True)
    big = image_bytes(1024, 1024, "PNG", noise=True)
    assert len(big) > 2 * 1024 * 1024
    back = "/doc-integrations/?q=acme"
    response = upload(client, doc, big, query=f"?next={back}")
    assert response.status_code == 400
    page = soup(response)
    message = re.fullmatch(r"Image too large: ([0-9.]+) MB; at most 1 MB\.", field_error(page, "logo"))
    assert message is not None, field_error(page, "logo")
    assert abs(float(message[1]) - len(big) / 1024 / 1024) < 0.06  # the body's size, rounded
    assert page.title.get_text().startswith("Logo of Acme Tracker")
    assert page.find("input", attrs={"type": "file", "name": "logo"})["aria-describedby"]
    assert page.find("img", alt="Current logo of Acme Tracker") is not None
    assert page.find("a", string="Cancel")["href"] == back
    assert "Request too large" not in page.get_text()
    db.session.expire_all()
    assert count(DocIntegrationLogo) == 1 and audit_events() == []


def test_other_oversized_bodies_keep_the_413_page(client, login_as):
    login_as("staff")
    doc = make_doc()
    response = client.post(f"/doc-integrations/{doc.slug}/edit/",
                           data=edit_data(doc, description="x" * (3 * 1024 * 1024)))
    assert response.status_code == 413
    assert "Request too large" in text(response)


def test_logo_over_the_request_limit_is_still_staff_only(client, login_as):
    login_as("member")
    big = image_bytes(1024, 1024, "PNG", noise=True)
    assert upload(client, make_doc("Public", is_draft=False), big).status_code == 403
    assert upload(client, make_doc("Hidden draft"), big).status_code == 404


def test_logo_upload_serve_and_replace(client, login_as):
    login_as("staff")
    doc = make_doc()
    png = image_bytes(300, 300)
    response = upload(client, doc, png, "whatever.bin")
    assert response.status_code == 302 and response.headers["Location"] == f"/doc-integrations/{doc.slug}/"
    logo = db.session.scalar(select(DocIntegrationLogo))
    image = client.get(f"/doc-integration-logo/{logo.uuid}/")
    assert image.status_code == 200 and image.data == png and image.mimetype == "image/png"
    assert image.headers["ETag"] == f'"{logo.uuid}"'
    cache = image.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "private" in cache  # still a draft
    assert client.get(f"/doc-integration-logo/{logo.uuid}/",
                      headers={"If-None-Match": f'"{logo.uuid}"'}).status_code == 304

    jpeg = image_bytes(400, 256, "JPEG")
    assert upload(client, doc, jpeg, "x.png").status_code == 302
    db.session.expire_all()
    new = db.session.scalar(select(DocIntegrationLogo))
    assert new.uuid != logo.uuid and count(DocIntegrationLogo) == 1
    assert client.get(f"/doc-integration-logo/{logo.uuid}/").status_code == 404
    assert client.get(f"/doc-integration-logo/{new.uuid}/").mimetype == "image/jpeg"
    assert audit_events() == ["DOC_INTEGRATION_LOGO", "DOC_INTEGRATION_LOGO"]


def test_published_logo_is_public_and_draft_logo_is_not(client, app):
    published = make_doc("Pub", is_draft=False, logo=True)
    draft = make_doc("Draft", logo=True)
    response = client.get(f"/doc-integration-logo/{published.logo.uuid}/")
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    assert client.get(f"/doc-integration-logo/{draft.logo.uuid}/").status_code == 404


# ----------------------------------------------------------------------------- delete


def test_delete_confirmation_lists_impact_then_deletes(client, login_as):
    login_as("staff")
    doc = make_doc(logo=True, features=[1, 2, 7])
    other = make_doc("Other", features=[1])
    next_url = "/doc-integrations/?q=acme&sort=-name"
    page = soup(client.get(f"/doc-integrations/{doc.slug}/delete/", query_string={"next": next_url}))
    impact = page.find("ul", class_="delete-impact").get_text(" ")
    assert "3 feature rows" in impact and "integrations-alert-rule" in impact
    assert "its logo (300 × 300 px, image/png)" in " ".join(impact.split())
    assert count(DocIntegration) == 2  # GET changes nothing
    response = client.post(f"/doc-integrations/{doc.slug}/delete/", query_string={"next": next_url})
    assert response.status_code == 302 and response.headers["Location"] == next_url
    assert count(DocIntegration) == 1 and count(DocIntegrationLogo) == 0
    assert count(IntegrationFeature) == 1 and feature_ids(other) == [1]
    assert audit_events() == ["DOC_INTEGRATION_REMOVE"]
    assert "deleted, with 3 feature rows and its logo" in text(client.get(next_url))


def test_delete_from_detail_page_returns_to_list(client, login_as):
    login_as("staff")
    doc = make_doc()
    response = client.post(f"/doc-integrations/{doc.slug}/delete/",
                           query_string={"next": f"/doc-integrations/{doc.slug}/"})
    assert response.headers["Location"] == "/doc-integrations/"


# ----------------------------------------------------------------------------- list


def row_names(response) -> list[str]:
    table = soup(response).find("table", class_="doc-integrations")
    if table is None:
        return []
    return [tr.find_all("td")[1].find("a").get_text() for tr in table.tbody.find_all("tr")]


def test_list_search_filter_sort_and_pages(client, login_as):
    login_as("staff")
    make_doc("Alpha", is_draft=False, logo=True, popularity=3, author="Zed")
    make_doc("beta", popularity=9)
    make_doc("Gamma", is_draft=False, logo=True, popularity=None)
    assert row_names(client.get("/doc-integrations/")) == ["Alpha", "beta", "Gamma"]
    assert row_names(client.get("/doc-integrations/?q=zed")) == ["Alpha"]
    assert row_names(client.get("/doc-integrations/?state=draft")) == ["beta"]
    assert row_names(client.get("/doc-integrations/?state=published&sort=-name")) == ["Gamma", "Alpha"]
    assert row_names(client.get("/doc-integrations/?sort=-popularity")) == ["beta", "Alpha", "Gamma"]
    response = client.get("/doc-integrations/?per_page=2&page=2")
    assert row_names(response) == ["Gamma"] and "Showing 3–3 of 3" in text(response)
    page = soup(client.get("/doc-integrations/?q=a"))
    options = [o.get_text() for o in page.find("select", attrs={"name": "state"}).find_all("option")]
    assert options == ["All (3)", "Draft (1)", "Published (2)"]
    assert page.find("a", string=re.compile("Clear filters")) is not None
    assert page.find("details", class_="saved-views") is not None
    th = page.find("th", attrs={"aria-sort": "ascending"})
    assert th is not None and "Name" in th.get_text()
    # Edit links carry the filtered list back.
    edit = page.find("a", href=re.compile(r"/doc-integrations/alpha/edit/"))
    assert "next=/doc-integrations/?q%3Da" in edit["href"] or "next=%2Fdoc-integrations%2F%3Fq%3Da" in edit["href"]


@pytest.mark.parametrize("query", ["sort=slug", "state=gone", "per_page=500", "page=0", "page=x"])
def test_list_bad_filters_are_form_errors(client, login_as, query):
    login_as("staff")
    make_doc("Alpha")
    response = client.get(f"/doc-integrations/?{query}")
    assert response.status_code == 400
    assert soup(response).find(id="error-summary") is not None
    assert row_names(response) == ["Alpha"]


def test_filter_form_refuses_unknown_state_and_sort_and_leaves_them_out():
    form = DocIntegrationFilterForm.from_args(MultiDict({"q": " acme ", "sort": "slug", "state": "gone"}))
    assert not form.validate()
    assert form.errors == {"state": ["Unknown state: gone. Use one of: draft, published."],
                           "sort": ["Unknown sort: slug. Use one of: name, -name, popularity, "
                                    "-popularity, date_added, -date_added."]}
    assert form.filters() == svc.DocIntegrationFilters(q="acme", state=None, sort="name")
    api = DocIntegrationFilterForm.from_args(MultiDict([("query", "x"), ("q", "y"), ("sort", "-name")]))
    assert api.validate() and api.filters() == svc.DocIntegrationFilters(q="x", sort="-name")


def test_list_empty_states(client, login_as):
    login_as("staff")
    assert "No doc integrations yet" in text(client.get("/doc-integrations/"))
    make_doc("Alpha")
    response = client.get("/doc-integrations/?q=nothing")
    assert "Nothing matches these filters" in text(response)
    response = client.get("/doc-integrations/?page=5&q=alp")
    assert response.status_code == 200 and "past the end of the list" in text(response)
    assert soup(response).find("a", string="Go to the first page")["href"] == "/doc-integrations/?q=alp"


def test_member_empty_state(client, login_as):
    login_as("member")
    make_doc("Draft only")
    assert "No published doc integrations yet" in text(client.get("/doc-integrations/"))


def test_csv_export_uses_filters_and_is_audited(client, login_as):
    login_as("staff")
    make_doc("Alpha", is_draft=False, logo=True, features=[1, 2],
             resources=[{"title": "D", "url": "https://d.example"}])
    make_doc("=Beta", features=[3])
    response = client.get("/doc-integrations/?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:7] == ["name", "slug", "author", "url", "popularity", "state", "features"]
    assert [r[0] for r in rows[1:]] == ["'=Beta", "Alpha"]
    alpha = rows[2]
    assert alpha[5:9] == ["published", "integrations-issue-link integrations-stacktrace-link",
                          "https://d.example", "yes"]
    rows = list(csv.reader(io.StringIO(client.get("/doc-integrations/?format=csv&state=draft").get_data(as_text=True))))
    assert [r[0] for r in rows[1:]] == ["'=Beta"]
    entries = list(db.session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id)))
    assert [e.event for e in entries] == ["EXPORT_CSV", "EXPORT_CSV"]
    assert entries[1].data == {"list": "doc_integrations", "filters": {"state": "draft", "sort": "name"}}
    assert "Export CSV" in text(client.get("/doc-integrations/"))


def test_member_csv_has_no_drafts(client, login_as):
    login_as("member")
    make_doc("Alpha", is_draft=False, logo=True)
    make_doc("Secret")
    body = client.get("/doc-integrations/?format=csv&state=draft").get_data(as_text=True)
    assert "Alpha" in body and "Secret" not in body


# ----------------------------------------------------------------------------- query counts


def bulk_docs(n: int, start: int = 0) -> None:
    docs = []
    for i in range(start, start + n):
        doc = DocIntegration(name=f"Doc {i:04d}", slug=f"doc-{i:04d}", author="A", description="D",
                             url="https://x.example", is_draft=i % 3 == 0, resources=[])
        if i % 2:
            doc.logo = DocIntegrationLogo(content_type="image/png", data=b"x", width=300, height=300)
        docs.append(doc)
    db.session.add_all(docs)
    db.session.flush()
    db.session.add_all(IntegrationFeature(target_type=1, target_id=doc.id, feature=f)
                       for doc in docs for f in (1, 2, 3))
    db.session.commit()


def queries_for(client, count_queries, path) -> int:
    db.session.expire_all()
    g.pop("_login_user", None)  # count loading the user too, as in a real request
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count


def counter_statements(client, count_queries) -> list[str]:
    g.pop("_login_user", None)
    with count_queries() as counter:
        client.get("/doc-integrations/")
    return counter.statements


def test_list_and_detail_query_counts_are_constant(app, client, login_as, count_queries):
    login_as("staff")
    bulk_docs(5)
    small = {path: queries_for(client, count_queries, path)
             for path in ("/doc-integrations/", "/doc-integrations/?q=doc&state=published&sort=-popularity",
                          "/doc-integrations/doc-0001/")}
    bulk_docs(495, start=5)
    large = {path: queries_for(client, count_queries, path) for path in small}
    assert small == large
    assert all(n <= 6 for n in large.values()), (large, counter_statements(client, count_queries))
    assert len(row_names(client.get("/doc-integrations/?per_page=100"))) == 100
    # A member's list costs the same.
    member = factories.make_user()
    db.session.commit()
    member_client = app.test_client()
    sign_in(member_client, member)
    assert queries_for(member_client, count_queries, "/doc-integrations/") <= 6


# ----------------------------------------------------------------------------- CSRF


def test_every_change_needs_the_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        staff = factories.make_user(is_staff=True)
        db.session.commit()
        client = app.test_client()
        sign_in(client, staff)
        assert client.post("/doc-integrations/new/", data=form_data()).status_code == 400
        token = soup(client.get("/doc-integrations/new/")).find("input", attrs={"name": "csrf_token"})["value"]
        # The row buttons re-render the form with a token that still works.
        page = soup(client.post("/doc-integrations/new/", data=form_data(csrf_token=token, add_resource="Add")))
        token = page.find("input", attrs={"name": "csrf_token"})["value"]
        response = client.post("/doc-integrations/new/", data=form_data(csrf_token=token))
        assert response.status_code == 302
        doc = db.session.scalar(select(DocIntegration))
        assert client.post(f"/doc-integrations/{doc.slug}/delete/").status_code == 400
        assert upload(client, doc, image_bytes()).status_code == 400
        page = soup(client.get(f"/doc-integrations/{doc.slug}/delete/"))
        token = page.find("input", attrs={"name": "csrf_token"})["value"]
        assert client.post(f"/doc-integrations/{doc.slug}/delete/", data={"csrf_token": token}).status_code == 302
        assert count(DocIntegration) == 0
        db.session.remove()
