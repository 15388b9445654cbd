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
    page.goto(f"{live_server}/account/tokens/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Doc integrations").click()
    page.wait_for_url(f"{live_server}/doc-integrations/")
    page.get_by_role("link", name="New doc integration").click()
    expect(page).to_have_title(re.compile(r"^New doc integration"))

    # A bad first try: errors beside the fields, the summary takes focus, values kept.
    page.get_by_label("Author", exact=True).fill("Acme Inc.")
    page.get_by_label("URL", exact=True).fill("acme.example.com")
    page.get_by_role("button", name="Create draft").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#name-error")).to_have_text("Name is required.", use_inner_text=True)
    expect(page.locator("#url-error")).to_have_text("URL must start with http[s]://", use_inner_text=True)
    expect(page.get_by_label("Author", exact=True)).to_have_value("Acme Inc.")
    page.screenshot(path=str(SHOTS / "doc-form-errors.png"), full_page=True)

    page.get_by_label("Name", exact=True).fill("Acme Tracker")
    page.get_by_label("URL", exact=True).fill("https://acme.example.com")
    page.get_by_label("Description").fill("Tracks <b>everything</b>.\nSecond line.")
    page.get_by_label("Popularity").fill("42")
    page.get_by_label("Title of resource 1").fill("Documentation")
    page.get_by_label("URL of resource 1").fill("https://docs.acme.example.com")
    page.get_by_role("button", name="Add resource row").click()  # a real POST, no JavaScript needed
    expect(page.get_by_label("Title of resource 2")).to_be_visible()  # the re-rendered form
    expect(page.get_by_label("Title of resource 1")).to_have_value("Documentation")
    page.get_by_label("Title of resource 2").fill("Support")
    page.get_by_label("URL of resource 2").fill("https://help.acme.example.com")
    for feature_id in (1, 5, 7):
        page.locator(f"#features-{feature_id}").check()
    page.get_by_role("button", name="Create draft").click()

    expect(page.get_by_role("heading", name="Acme Tracker", exact=True)).to_be_visible()
    expect(page.get_by_text("created as a draft")).to_be_visible()
    expect(page.locator(".feature-list li")).to_have_count(3)
    expect(page.get_by_role("link", name="Support")).to_have_attribute("rel", "noopener noreferrer")

    # Upload a logo.
    page.get_by_role("link", name="Upload logo").first.click()
    page.get_by_label("Logo image").set_input_files(str(write_png(tmp_path / "acme.png")))
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_text("Logo of “Acme Tracker” saved.")).to_be_visible()
    expect(page.get_by_role("img", name="Acme Tracker logo")).to_have_js_property("naturalWidth", 320)

    # Publish: untick Draft in the edit form.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.wait_for_url(re.compile(r"/doc-integrations/acme-tracker/edit/"))
    page.get_by_label("Draft").uncheck()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("saved and published")).to_be_visible()
    expect(page.locator(".doc-facts").get_by_text("Published")).to_be_visible()
    page.screenshot(path=str(SHOTS / "doc-detail.png"), full_page=True)

    page.goto(f"{live_server}/doc-integrations/")
    rows = page.locator("table.doc-integrations tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Acme Tracker").get_by_text("Published", exact=True)).to_be_visible()
    expect(rows.filter(has_text="Hidden Draft").get_by_text("Draft", exact=True)).to_be_visible()
    page.screenshot(path=str(SHOTS / "doc-list.png"), full_page=True)

    db.session.expire_all()
    doc = db.session.scalar(select(DocIntegration).where(DocIntegration.slug == "acme-tracker"))
    assert doc.is_draft is False and doc.logo is not None and len(doc.resources) == 2

    # A member: the published one only; the draft is a 404.
    page.context.clear_cookies()
    browser_login("member@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/doc-integrations/")
    expect(page.locator("table.doc-integrations").get_by_text("Acme Tracker")).to_be_visible()
    expect(page.get_by_text("Hidden Draft")).to_have_count(0)
    expect(page.get_by_role("link", name="New doc integration")).to_have_count(0)
    page.get_by_role("link", name="Acme Tracker").click()
    page.wait_for_url(re.compile(r"/doc-integrations/acme-tracker/"))
    expect(page.get_by_role("img", name="Acme Tracker logo")).to_have_js_property("naturalWidth", 320)
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    response = page.goto(f"{live_server}/doc-integrations/hidden-draft/")
    assert response.status == 404
    page.screenshot(path=str(SHOTS / "doc-member-list.png"), full_page=True)
    assert external == []


def test_logo_errors_show_beside_the_field_in_chromium(page, live_server, browser_login, tmp_path):
    """A logo of the wrong size, then one over the server's request limit (not read, not a
    bare 413 page): each time the logo form again, the reason beside the field, focused."""
    import os

    factories.make_user(email="staff@example.com", is_staff=True)
    db.session.add(DocIntegration(name="Acme Tracker", slug="acme-tracker", author="Acme",
                                  description="Tracks.", url="https://acme.example", resources=[]))
    db.session.commit()
    small = tmp_path / "small.png"
    Image.new("RGB", (128, 128), (30, 110, 200)).save(small, format="PNG")
    huge = tmp_path / "huge.png"
    Image.frombytes("RGB", (1024, 1024), os.urandom(1024 * 1024 * 3)).save(huge, format="PNG")
    assert huge.stat().st_size > 3 * 1024 * 1024

    browser_login("staff@example.com", factories.PASSWORD)
    page.goto(f"{live_server}/doc-integrations/acme-tracker/logo/")
    page.get_by_label("Logo image").set_input_files(str(small))
    page.get_by_role("button", name="Upload logo").click()
    expect(page.locator("#logo-error")).to_have_text(
        "Invalid image dimensions: 128×128 px; 256–1024 px each side.", use_inner_text=True)
    expect(page.locator("#error-summary")).to_be_focused()

    page.get_by_label("Logo image").set_input_files(str(huge))
    page.get_by_role("button", name="Upload logo").click()
    expect(page.locator("#logo-error")).to_have_text(
        re.compile(r"^Image too large: 3\.\d MB; at most 1 MB\.$"), use_inner_text=True)
    expect(page).to_have_title(re.compile(r"^Logo of Acme Tracker"))
    page.screenshot(path=str(SHOTS / "doc-logo-too-large.png"), full_page=True)

    page.get_by_label("Logo image").set_input_files(str(write_png(tmp_path / "good.png")))
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_text("Logo of “Acme Tracker” saved.")).to_be_visible()
