"""Saved views (SPEC §7.6): save, list, apply, delete; ownership; validation; the migration."""

import uuid
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from bs4 import BeautifulSoup
from flask_migrate import downgrade, upgrade

from tests import factories
from tests.conftest import PG_URL, USING_PG
from webapp.extensions import db
from webapp.models import SavedView
from webapp.services.audit import record_audit
from webapp.services.errors import NotFound, ValidationFailed
from webapp.services.saved_views import (
    clean_query_string,
    delete_saved_view,
    list_saved_views,
    save_view,
)

AUDIT = "/settings/acme/audit-log/"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def flashes(response):
    region = soup(response).find(attrs={"role": "status"})
    return [div.get_text(" ", strip=True) for div in region.find_all("div", class_="alert")]


def menu(response):
    return soup(response).find("details", class_="saved-views")


def menu_links(response):
    items = menu(response).find("ul", class_="saved-views-list")
    return {a.get_text(strip=True): a["href"] for a in items.find_all("a")} if items else {}


def post_save(client, name, query_string="event=INTEGRATION_EDIT", list_key="audit", org="acme",
              next_url=AUDIT + "?event=INTEGRATION_EDIT", **extra):
    data = {"list_key": list_key, "org": org, "name": name, "query_string": query_string,
            "next": next_url, **extra}
    return client.post("/saved-views/", data=data)


@pytest.fixture
def audit_entries(org):
    owner = factories.make_user(email="olga@example.com", name="Olga Owner")
    factories.make_member(org, owner, "owner")
    for event in ("INTEGRATION_EDIT", "INTEGRATION_EDIT", "INTEGRATION_DISABLE"):
        record_audit(event=event, actor=owner, organization=org, target_object="Slack")
    db.session.commit()
    return owner


# --- save, list, apply, delete through the pages -------------------------------------------------

def test_save_strips_paging_and_returns_to_the_list(client, login_as, audit_entries, org):
    user = login_as("admin")
    response = post_save(client, "  Edits   only ",
                         query_string="?event=INTEGRATION_EDIT&page=3&format=csv&csrf_token=x&per_page=50&actor=",
                         next_url=AUDIT + "?event=INTEGRATION_EDIT&page=3")
    assert response.status_code == 302
    assert response.headers["Location"] == AUDIT + "?event=INTEGRATION_EDIT&page=3"
    view = db.session.scalars(sa.select(SavedView)).one()
    assert (view.user_id, view.organization_id, view.list_key) == (user.id, org.id, "audit")
    assert view.name == "Edits only"
    assert view.query_string == "event=INTEGRATION_EDIT&per_page=50"
    page = client.get(response.headers["Location"])
    assert "Saved view “Edits only” created." in flashes(page)


def test_saved_view_is_listed_and_its_link_reproduces_the_filters(client, login_as, audit_entries):
    login_as("admin")
    post_save(client, "Disables", query_string="event=INTEGRATION_DISABLE&per_page=10")
    post_save(client, "edits", query_string="event=INTEGRATION_EDIT")
    response = client.get(AUDIT)
    links = menu_links(response)
    assert list(links) == ["Disables", "edits"]  # by name, case-insensitive
    assert links["Disables"] == AUDIT + "?event=INTEGRATION_DISABLE&per_page=10"
    assert "(2)" in menu(response).find("summary").get_text()
    applied = client.get(links["Disables"])
    assert applied.status_code == 200
    events = [cell["data-event"] for cell in soup(applied).select("table.audit-log tbody .audit-event")]
    assert events == ["INTEGRATION_DISABLE"]
    chosen = soup(applied).find("select", attrs={"name": "event"}).find("option", selected=True)
    assert chosen["value"] == "INTEGRATION_DISABLE"
    # On the applied view, the menu marks it as the current one.
    current = menu(applied).find("a", attrs={"aria-current": "true"})
    assert current.get_text(strip=True) == "Disables"


def test_delete_removes_the_view_and_returns(client, login_as, audit_entries):
    login_as("admin")
    post_save(client, "Edits")
    view = db.session.scalars(sa.select(SavedView)).one()
    form = menu(client.get(AUDIT)).find("form", action=f"/saved-views/{view.id}/delete/")
    assert form is not None and "Delete" in form.find("button").get_text()
    response = client.post(f"/saved-views/{view.id}/delete/", data={"next": AUDIT + "?actor=system"})
    assert response.status_code == 302 and response.headers["Location"] == AUDIT + "?actor=system"
    assert db.session.scalars(sa.select(SavedView)).all() == []
    page = client.get(AUDIT)
    assert "Saved view “Edits” deleted." in flashes(page)
    assert menu_links(page) == {}
    assert "No saved views of this list yet." in menu(page).get_text()


def test_other_users_neither_see_nor_delete_a_view(client, login_as, audit_entries, org):
    owner = audit_entries
    view = save_view(owner, org, "audit", "Mine", "event=INTEGRATION_EDIT")
    db.session.commit()
    login_as("admin")
    assert menu_links(client.get(AUDIT)) == {}
    response = client.post(f"/saved-views/{view.id}/delete/", data={"next": AUDIT})
    assert response.status_code == 404
    assert db.session.get(SavedView, view.id) is not None


def test_views_are_kept_per_org(client, login_as, audit_entries, org):
    user = login_as("admin")
    other = factories.make_org(slug="other")
    factories.make_member(other, user, "owner")
    db.session.commit()
    post_save(client, "Edits")
    assert list(menu_links(client.get(AUDIT))) == ["Edits"]
    assert menu_links(client.get("/settings/other/audit-log/")) == {}
    # The same name is free in another org.
    response = post_save(client, "Edits", org="other", next_url="/settings/other/audit-log/")
    assert "created" in flashes(client.get(response.headers["Location"]))[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 2


# --- validation ---------------------------------------------------------------------------------

def refusal(response) -> tuple[str, str]:
    """(the error beside the name field, the error summary) of a refused save's 400 page."""
    page = soup(response)
    beside = page.find(id="name-error")
    summary = page.find(id="error-summary")
    return (beside.get_text(" ", strip=True) if beside else "",
            summary.get_text(" ", strip=True) if summary else "")


@pytest.mark.parametrize("name, message", [
    ("", "Name is required."),
    ("   ", "Name is required."),
    ("x" * 101, "Name must be at most 100 characters."),
])
def test_a_bad_name_is_400_with_the_message_beside_it_and_nothing_is_saved(
        client, login_as, audit_entries, name, message):
    login_as("admin")
    response = post_save(client, name)
    assert response.status_code == 400
    beside, summary = refusal(response)
    assert beside == message and message in summary
    page = soup(response)
    assert page.find("input", id="name")["value"] == name  # as typed
    hidden = {i["name"]: i.get("value", "") for i in page.find_all("input", type="hidden")}
    assert hidden["query_string"] == "event=INTEGRATION_EDIT" and hidden["list_key"] == "audit"
    assert page.find("a", string="Back to the list")["href"] == AUDIT + "?event=INTEGRATION_EDIT"
    assert db.session.scalars(sa.select(SavedView)).all() == []


def test_the_refusal_page_saves_once_the_name_is_corrected(client, login_as, audit_entries):
    login_as("admin")
    form = soup(post_save(client, "")).find("form", class_="saved-view-form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    data["name"] = "Edits only"
    response = client.post(form["action"], data=data)
    assert response.status_code == 302 and response.headers["Location"] == AUDIT + "?event=INTEGRATION_EDIT"
    assert db.session.scalars(sa.select(SavedView.name)).all() == ["Edits only"]


def test_duplicate_name_is_refused_case_insensitively(client, login_as, audit_entries):
    login_as("admin")
    post_save(client, "Edits", query_string="event=INTEGRATION_EDIT")
    response = post_save(client, "EDITS", query_string="event=INTEGRATION_DISABLE")
    assert response.status_code == 400
    assert refusal(response)[0] == "You already have a view named EDITS."
    assert [v.query_string for v in db.session.scalars(sa.select(SavedView))] == ["event=INTEGRATION_EDIT"]


def test_unknown_list_and_org_rules(client, login_as, audit_entries, org):
    user = login_as("admin")
    response = post_save(client, "X", list_key="users")
    assert response.status_code == 400 and "List: Unknown list: users" in refusal(response)[1]
    response = post_save(client, "X", org="")
    assert response.status_code == 400 and "This list belongs to an organization" in refusal(response)[1]
    # An org the user is not in: 404, as for every org page.
    factories.make_org(slug="secret")
    db.session.commit()
    assert post_save(client, "X", org="secret").status_code == 404
    assert post_save(client, "X", org="missing").status_code == 404
    assert list_saved_views(user, org, "audit") == []


def test_unsafe_next_falls_back_to_the_list(client, login_as, audit_entries):
    login_as("admin")
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""):
        response = post_save(client, f"View {bad}", next_url=bad)
        assert response.status_code == 302
        assert response.headers["Location"] == AUDIT
    view = db.session.scalars(sa.select(SavedView)).first()
    response = client.post(f"/saved-views/{view.id}/delete/", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_login_required_and_post_only(client, org):
    response = client.post("/saved-views/", data={"list_key": "audit", "org": "acme", "name": "x"})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert client.get("/saved-views/").status_code in (302, 405)
    assert db.session.scalars(sa.select(SavedView)).all() == []


def test_get_is_not_allowed(client, login_as):
    login_as("admin")
    assert client.get("/saved-views/").status_code == 405
    assert client.get("/saved-views/1/delete/").status_code == 405


def test_csrf_is_required_when_enabled(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = factories.make_org(slug="acme")
        user = factories.make_user()
        factories.make_member(org, user, "admin")
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        response = client.post("/saved-views/", data={"list_key": "audit", "org": "acme", "name": "x",
                                                       "next": AUDIT})
        assert response.status_code == 400
        assert db.session.scalars(sa.select(SavedView)).all() == []
        # With the token from the page's own form, it works.
        page = soup(client.get(AUDIT))
        form = page.find("details", class_="saved-views").find("form", action="/saved-views/")
        data = {i["name"]: i.get("value", "") for i in form.find_all("input")}
        data["name"] = "With token"
        response = client.post("/saved-views/", data=data)
        assert response.status_code == 302
        assert db.session.scalars(sa.select(SavedView.name)).all() == ["With token"]
        db.session.remove()


# --- the service directly (the API will call the same functions) ---------------------------------

def test_clean_query_string_drops_paging_format_csrf_next_and_blanks():
    assert clean_query_string("?a=1&page=2&format=csv&csrf_token=t&next=/x&b=&c=%3Cx%3E") == "a=1&c=%3Cx%3E"
    assert clean_query_string("features=a&features=b") == "features=a&features=b"
    assert clean_query_string(None) == ""


def test_service_rules(app, org):
    user = factories.make_user()
    other = factories.make_user()
    view = save_view(user, org, "integrations", "Slack", "provider_key=slack")
    db.session.commit()
    assert [v.name for v in list_saved_views(user, org, "integrations")] == ["Slack"]
    assert list_saved_views(user, org, "audit") == []
    assert list_saved_views(other, org, "integrations") == []
    assert list_saved_views(user, org, "nonsense") == []
    # Global lists keep org NULL whatever org is passed.
    global_view = save_view(user, org, "doc_integrations", "Drafts", "is_draft=1")
    assert global_view.organization_id is None
    assert [v.name for v in list_saved_views(user, None, "doc_integrations")] == ["Drafts"]
    with pytest.raises(ValidationFailed) as exc:
        save_view(user, None, "doc_integrations", "drafts", "")
    assert exc.value.field_errors == {"name": ["You already have a view named drafts."]}
    with pytest.raises(ValidationFailed) as exc:
        save_view(user, org, "audit", "Long", "q=" + "x" * 2100)
    assert exc.value.field_errors == {"query_string": ["These filters are too long to save."]}
    with pytest.raises(NotFound):
        delete_saved_view(other, view.id)
    with pytest.raises(NotFound):
        delete_saved_view(user, 999999)
    delete_saved_view(user, view.id)
    db.session.commit()
    assert list_saved_views(user, org, "integrations") == []


def test_at_most_50_views_per_list(app, org):
    user = factories.make_user()
    for i in range(50):
        save_view(user, org, "audit", f"v{i}", f"event=E{i}")
    with pytest.raises(ValidationFailed) as exc:
        save_view(user, org, "audit", "one more", "")
    assert "at most 50 views" in exc.value.field_errors["name"][0]
    save_view(user, org, "integrations", "another list is fine", "")


def test_menu_works_without_javascript_and_labels_its_field(client, login_as, audit_entries):
    login_as("admin")
    details = menu(client.get(AUDIT + "?actor=system&page=1"))
    assert details.name == "details" and details.find("summary") is not None
    form = details.find("form", action="/saved-views/")
    assert form["method"] == "post"
    assert form.find("input", attrs={"name": "query_string"})["value"] == "actor=system"
    assert form.find("input", attrs={"name": "next"})["value"] == AUDIT + "?actor=system&page=1"
    name = form.find("input", attrs={"name": "name"})
    assert details.find("label", attrs={"for": name["id"]}) is not None
    assert form.find("button", string="Save current view") is not None


# --- the migration ------------------------------------------------------------------------------

@pytest.fixture
def scratch_db_url(tmp_path):
    """A brand-new empty database (SQLite file, or a PostgreSQL database dropped afterwards)."""
    if not USING_PG:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"scratch_saved_views_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.engine.make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migration_0002_upgrades_downgrades_and_matches_the_model(app_factory, scratch_db_url):
    app = app_factory(SQLALCHEMY_DATABASE_URI=scratch_db_url)
    with app.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        assert "saved_view" in inspector.get_table_names()
        indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("saved_view")}
        assert indexes["ix_saved_view_user_list"] == ["user_id", "list_key"]
        uniques = [u["column_names"] for u in inspector.get_unique_constraints("saved_view")]
        assert ["user_id", "organization_id", "list_key", "name"] in uniques
        fks = {fk["referred_table"]: fk["options"].get("ondelete") for fk in inspector.get_foreign_keys("saved_view")}
        assert {k: (v or "").upper() for k, v in fks.items()} == {"user": "CASCADE", "organization": "CASCADE"}
        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLite cannot reflect the expression index on user
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "saved_view" in repr(d)] == []
        downgrade(revision="0001")
        assert "saved_view" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert "saved_view" in sa.inspect(db.engine).get_table_names()
        db.session.remove()


def test_the_current_view_survives_repeated_keys_and_stray_escapes(client, login_as):
    """The menu's current filters come from the parsed args, as the page's own links do:
    a view saved from `?status=active&q=x&status=disabled` is still current on page 2
    (whose link groups the repeated key), and `q=%FF` is saved as the text on screen."""
    login_as("member")
    url = "/settings/acme/integrations/?status=active&q=x&status=disabled"
    saved_qs = menu(client.get(url)).find("input", attrs={"name": "query_string"})["value"]
    assert saved_qs == "status=active&status=disabled&q=x"
    post_save(client, "Two statuses", query_string=saved_qs, list_key="integrations",
              next_url=url)
    page_two = client.get("/settings/acme/integrations/?status=active&status=disabled&q=x&page=2")
    current = menu(page_two).find("a", attrs={"aria-current": "true"})
    assert current is not None and current.get_text(strip=True) == "Two statuses"
    stray = menu(client.get("/settings/acme/integrations/?q=%FF"))
    assert stray.find("input", attrs={"name": "query_string"})["value"] == "q=%25FF"
