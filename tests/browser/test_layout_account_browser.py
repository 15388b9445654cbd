"""Layout with long values on the login page with directory sign-in on, and on the account
page of a directory user whose name, email and groups are long (SPEC §10 "Layout"), in
headless Chromium at 1366×768 and 390×844 against the run's real slapd, with the checks of
test_layout_browser.py (the page no wider than the window, sideways scrolling only inside
focusable named regions, row actions on screen), and axe-core's rules on every state shown.
"""

import base64

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.long_values import LONG_WORD, ORG_NAME
from tests.browser.test_layout_browser import VIEWPORTS, assert_on_screen_across
from tests.browser.test_layout_settings_browser import AxeVisitor as Visitor
from tests.slapd import GROUPS, PEOPLE, Person
from webapp.extensions import db
from webapp.services.directory_login import DIRECTORY_UNAVAILABLE

# A directory entry at the limits the app keeps: a 200-character name (non-ASCII, one
# unbroken run), a 254-character email (mail is ASCII in LDAP).
LONG_PERSON = Person(
    "longname", ("o" * 64 + "@" + "corp-" + "e" * 175 + ".example")[:254],
    ("Ólafur Þórðarson-" + "Łęczycka" * 30)[:200], "long-directory-pass")
# Groups with long DNs, each naming an org with a long name: the account lists them all.
ORG_NAMES = [ORG_NAME, LONG_WORD * 3, "Σ" * 200, "Überwachung & Compliance " + "ж" * 170,
             "Acme Corp"]
GROUP_DNS = [f"cn={'g' * 60}{n},{GROUPS}" for n in range(len(ORG_NAMES))]
STAFF_GROUP = f"cn={'s' * 60},{GROUPS}"
UNREACHABLE = {"LDAP_URL": "ldap://127.0.0.1:1/", "LDAP_USER_SEARCH_BASE": PEOPLE, "LDAP_TIMEOUT": 1}


def _ldif_value(name: str, value: str) -> str:
    """An LDIF line; non-ASCII values base64-encoded, as LDIF wants."""
    if value.isascii():
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


@pytest.fixture(scope="module")
def long_person(slapd):
    """LONG_PERSON in the run's slapd, in the long groups (their own: the shared groups and
    people stay as the other tests know them)."""
    slapd.ldapadd(
        f"dn: {LONG_PERSON.dn}\nobjectClass: inetOrgPerson\nuid: {LONG_PERSON.uid}\n"
        + _ldif_value("cn", LONG_PERSON.name) + _ldif_value("sn", "Łęczycka")
        + f"mail: {LONG_PERSON.email}\nuserPassword: {LONG_PERSON.password}\n")
    for dn in (*GROUP_DNS, STAFF_GROUP):
        slapd.ldapadd(f"dn: {dn}\nobjectClass: groupOfNames\ncn: {dn[3:].split(',')[0]}\n"
                      f"member: {LONG_PERSON.dn}\n")
    return LONG_PERSON


@pytest.fixture
def directory_settings(slapd, long_person):
    """The run's slapd, mapping the long groups to owner or member of the long-named orgs."""
    roles = {dn: f"long{n}:{'owner' if n % 2 else 'member'}" for n, dn in enumerate(GROUP_DNS)}
    return slapd.settings(LDAP_GROUP_ROLES={**roles, STAFF_GROUP: "staff"})


@pytest.fixture
def app(app_factory, directory_settings):
    """This test's app (live_server serves it) using the directory, with the long orgs."""
    app = app_factory(**directory_settings)
    with app.app_context():
        for n, name in enumerate(ORG_NAMES):
            factories.make_org(slug=f"long{n}", name=name)
        # A membership set by hand, beside those from the directory.
        hand = factories.make_org(slug="h" * 50, name="Hand-made " + "Ä" * 190)
        local = factories.make_user(email="local@corp.example", name="Local " + "L" * 190)
        factories.make_member(hand, local, "admin")
        factories.make_user(email="alone@corp.example", name="Alone " + "Ø" * 190)
        db.session.commit()
        yield app
        db.session.remove()


def login(visitor: Visitor, base: str, email: str, password: str):
    page = visitor.page
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Log in").click()
    return navigation.value


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda size: f"{size[0]}px")
def test_login_and_account_of_a_long_directory_user_fit(browser, live_server, size):
    problems: list[str] = []
    width = size[0]
    visitor = Visitor(browser, live_server, size, "directory user", problems)
    page = visitor.visit("/login/", "login-directory")
    expect(page.get_by_text("Use your company email and password.")).to_be_visible()

    # A wrong password with the longest email: the message, the email kept whole in its box.
    response = login(visitor, live_server, LONG_PERSON.email, "not the password")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    expect(page.get_by_label("Email")).to_have_value(LONG_PERSON.email)
    assert_on_screen_across(page.get_by_role("button", name="Log in"), width)
    visitor.check("login-directory-error")

    response = login(visitor, live_server, LONG_PERSON.email, LONG_PERSON.password)
    assert response.status == 200
    page = visitor.visit("/account/", "account-directory")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    profile = page.locator(".account-profile")
    expect(profile).to_contain_text(LONG_PERSON.name)
    expect(profile).to_contain_text(LONG_PERSON.email)
    expect(profile).to_contain_text("Company directory (LDAP)")
    rows = page.get_by_role("region", name="Your organizations").locator("tbody tr")
    expect(rows).to_have_count(len(ORG_NAMES))
    for name in ORG_NAMES:
        row = rows.filter(has=page.get_by_role("link", name=name, exact=True))
        expect(row.get_by_text("from directory")).to_be_visible()
        # The whole row is on screen, not scrolled out of its box, even on a phone.
        assert_on_screen_across(row.get_by_role("link", name=name, exact=True), width)
        assert_on_screen_across(row.get_by_text("from directory"), width)
    assert_on_screen_across(page.get_by_role("link", name="API tokens"), width)
    visitor.close()

    # A local account with one membership set by hand.
    local = Visitor(browser, live_server, size, "local user", problems)
    assert login(local, live_server, "local@corp.example", factories.PASSWORD).status == 200
    page = local.visit("/account/", "account-local")
    expect(page.get_by_role("region", name="Your organizations")).to_contain_text("an administrator")
    local.close()

    # A local account in no organization: the empty state says what to do.
    alone = Visitor(browser, live_server, size, "user without orgs", problems)
    assert login(alone, live_server, "alone@corp.example", factories.PASSWORD).status == 200
    page = alone.visit("/account/", "account-no-orgs")
    expect(page.get_by_role("heading", name="No organizations yet")).to_be_visible()
    expect(page.get_by_text("Ask an owner of your organization to add you.")).to_be_visible()
    alone.close()

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("directory_settings", [UNREACHABLE], ids=["unreachable"])
@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda size: f"{size[0]}px")
def test_login_when_the_directory_is_down_fits(browser, live_server, size):
    problems: list[str] = []
    visitor = Visitor(browser, live_server, size, "anyone", problems)
    visitor.visit("/login/", "login-directory-plain")
    response = login(visitor, live_server, "someone@corp.example", "a password")
    assert response.status == 503
    expect(visitor.page.get_by_role("alert")).to_have_text(DIRECTORY_UNAVAILABLE)
    assert_on_screen_across(visitor.page.get_by_role("button", name="Log in"), size[0])
    visitor.check("login-directory-down")
    visitor.close()
    assert not problems, "\n".join(problems)
