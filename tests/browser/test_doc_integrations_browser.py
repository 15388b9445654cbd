"""Doc integrations in headless Chromium: staff create (two resource rows, three features),
upload a logo, publish, find it in the list; a member sees it published and never a draft.
Screenshots land in screenshots/doc-*.png."""

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import DocIntegration

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def write_png(path: Path) -> Path:
    image = Image.new("RGB", (320, 320), (30, 110, 200))
    for x in range(80, 240):
        for y in range(80, 240):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_staff_publishes_and_member_sees_only_published(page, live_server, browser_login, org, tmp_path):
    factories.make_user(email="staff@example.com", name="Stella Staff", is_staff=True)
    member = factories.make_user(email="member@example.com", name="Mo Member")
    factories.make_member(org, member, "member")
    db.session.add(DocIntegration(name="Hidden Draft", slug="hidden-draft", author="Nobody",
                                  description="Not ready.", url="https://draft.example", resources=[]))
    db.session.commit()
    SHOTS.mkdir(exist_ok=True)
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server) else None)

    browser_login("staff@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/doc-integrations/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Doc integrations").click()
    page.get_by_role("link", name="New doc integration").click()
    expect(page).to_have_title(re.compile(r"^New doc integration"))

    # A bad first try: errors beside the fields, the summary takes focus, values kept.
    page.get_by_label("Author", exact=True).fill("Acme Inc.")
    page.get_by_label("URL", exact=True).fill("acme.example.com")
    page.get_by_role("button", name="Create draft").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#name-error").inner_text() == "This field is required."
    assert page.locator("#url-error").inner_text() == "URL must start with http[s]://"
    assert page.get_by_label("Author", exact=True).input_value() == "Acme Inc."
    page.screenshot(path=str(SHOTS / "doc-form-errors.png"), full_page=True)

    page.get_by_label("Name", exact=True).fill("Acme Tracker")
    page.get_by_label("URL", exact=True).fill("https://acme.example.com")
    page.get_by_label("Description").fill("Tracks <b>everything</b>.\nSecond line.")
    page.get_by_label("Popularity").fill("42")
    page.get_by_label("Title of resource 1").fill("Documentation")
    page.get_by_label("URL of resource 1").fill("https://docs.acme.example.com")
    page.get_by_role("button", name="Add resource row").click()  # a real POST, no JavaScript needed
    assert page.get_by_label("Title of resource 1").input_value() == "Documentation"
    page.get_by_label("Title of resource 2").fill("Support")
    page.get_by_label("URL of resource 2").fill("https://help.acme.example.com")
    for feature_id in (1, 5, 7):
        page.locator(f"#features-{feature_id}").check()
    page.get_by_role("button", name="Create draft").click()

    assert page.get_by_role("heading", name="Acme Tracker", exact=True).is_visible()
    assert page.get_by_text("created as a draft").is_visible()
    assert page.locator(".feature-list li").count() == 3
    assert page.get_by_role("link", name="Support").get_attribute("rel") == "noopener noreferrer"

    # Upload a logo.
    page.get_by_role("link", name="Upload logo").first.click()
    page.get_by_label("Logo image").set_input_files(str(write_png(tmp_path / "acme.png")))
    page.get_by_role("button", name="Upload logo").click()
    assert page.get_by_text("Logo of “Acme Tracker” saved.").is_visible()
    assert page.get_by_role("img", name="Acme Tracker logo").evaluate("img => img.naturalWidth") == 320

    # Publish: untick Draft in the edit form.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Draft").uncheck()
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_text("saved and published").is_visible()
    assert page.locator(".doc-facts").get_by_text("Published").is_visible()
    page.screenshot(path=str(SHOTS / "doc-detail.png"), full_page=True)

    page.goto(f"{live_server}/doc-integrations/")
    rows = page.locator("table.doc-integrations tbody tr")
    assert rows.count() == 2
    assert rows.filter(has_text="Acme Tracker").get_by_text("Published", exact=True).is_visible()
    assert rows.filter(has_text="Hidden Draft").get_by_text("Draft", exact=True).is_visible()
    page.screenshot(path=str(SHOTS / "doc-list.png"), full_page=True)

    db.session.expire_all()
    doc = db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "acme-tracker"))
    assert doc.is_draft is False and doc.logo is not None and len(doc.resources) == 2

    # A member: the published one only; the draft is a 404.
    page.context.clear_cookies()
    browser_login("member@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/doc-integrations/")
    assert page.locator("table.doc-integrations").get_by_text("Acme Tracker").is_visible()
    assert page.get_by_text("Hidden Draft").count() == 0
    assert page.get_by_role("link", name="New doc integration").count() == 0
    page.get_by_role("link", name="Acme Tracker").click()
    assert page.get_by_role("img", name="Acme Tracker logo").evaluate("img => img.naturalWidth") == 320
    assert page.get_by_role("link", name="Edit", exact=True).count() == 0
    response = page.goto(f"{live_server}/doc-integrations/hidden-draft/")
    assert response.status == 404
    page.screenshot(path=str(SHOTS / "doc-member-list.png"), full_page=True)
    assert external == []
