"""The logged-in user and their orgs are read as summaries (plain values in one Core
statement), not ORM objects: what every page loads first costs no ORM work, and what pages
read of them is the same as the models hold."""

from flask import g

from tests import factories
from webapp.extensions import db
from webapp.models import User
from webapp.services.permissions import (
    OrganizationSummary,
    UserSummary,
    get_org_access,
    load_user_and_organizations,
    user_organizations,
)


def test_user_and_orgs_are_summaries_and_no_orm_objects(app, org):
    other = factories.make_org(slug="zeta", name="Aardvark Ltd")  # sorts first by name
    user = factories.make_user(email="ann@example.com", name="Ann")
    factories.make_member(org, user, "admin")
    factories.make_member(other, user, "member")
    db.session.commit()
    user_id, org_id, other_id = user.id, org.id, other.id
    db.session.expunge_all()

    loaded, orgs = load_user_and_organizations(user_id)

    assert isinstance(loaded, UserSummary)
    assert (loaded.id, loaded.email, loaded.name, loaded.display_name) == (
        user_id, "ann@example.com", "Ann", "Ann")
    assert loaded.is_active and loaded.is_authenticated and not loaded.is_anonymous
    assert loaded.get_id() == str(user_id) and not loaded.is_privileged
    assert orgs == [(OrganizationSummary(other_id, "zeta", "Aardvark Ltd"), "member"),
                    (OrganizationSummary(org_id, "acme", "Acme Corp"), "admin")]
    assert len(db.session.identity_map) == 0  # nothing for the ORM to build, track or close


def test_staff_unknown_and_inactive_users(app, org):
    staff = factories.make_user(is_staff=True)
    staff.name = ""
    gone = factories.make_user(is_active=False)
    db.session.commit()

    loaded, orgs = load_user_and_organizations(staff.id)
    assert loaded.is_privileged and orgs is None  # staff may open every org
    assert loaded.display_name == staff.email  # no name: the email, as User says
    assert [o.slug for o, _role in user_organizations(loaded)] == ["acme"]
    assert load_user_and_organizations(gone.id)[0].is_active is False
    assert load_user_and_organizations(10**9) == (None, None)


def test_org_access_gives_a_summary_with_or_without_the_list(app, org):
    user = factories.make_user()
    factories.make_member(org, user, "manager")
    staff = factories.make_user(is_staff=True)
    db.session.commit()
    summary = OrganizationSummary(org.id, "acme", "Acme Corp")

    from_list = get_org_access(user, "acme", orgs=user_organizations(user))
    from_statement = get_org_access(user, str(org.id))
    as_staff = get_org_access(staff, "acme")
    assert (from_list.organization, from_list.role) == (summary, "manager")
    assert (from_statement.organization, from_statement.role) == (summary, "manager")
    assert (as_staff.organization, as_staff.role) == (summary, None)


def test_pages_see_the_summary_and_login_still_sees_the_model(app, client, login_as):
    user = login_as("owner", name="Olivia Owner")
    response = client.get("/settings/acme/integrations/")
    assert response.status_code == 200
    assert "Olivia Owner" in response.get_data(as_text=True)  # the user menu
    assert isinstance(g._login_user, UserSummary) and g._login_user.id == user.id

    g.pop("_login_user", None)
    response = app.test_client().post("/login/", data={"email": user.email,
                                                       "password": factories.PASSWORD})
    assert response.status_code == 302
    assert isinstance(g._login_user, User)  # logging in changes the model (last_login)
