"""create-user, add-member, create-token (SPEC §9, §9.2): they work, and bad input gets a
clear message and a non-zero exit."""

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import ApiToken, OrganizationMember, User
from webapp.services.tokens import authenticate_token, hash_token


def test_create_user_with_password_option(runner):
    result = runner.invoke(args=["create-user", "Dana@Example.com", "--password", "a good password",
                                 "--staff", "--name", "Dana"])
    assert result.exit_code == 0, result.output
    assert "Created user Dana@Example.com (staff)" in result.output
    user = db.session.scalar(select(User).where(User.email == "Dana@Example.com"))
    assert user.is_staff and not user.is_superuser and user.name == "Dana"
    assert user.password_hash != "a good password" and user.check_password("a good password")


def test_create_user_prompts_for_the_password_twice(runner):
    result = runner.invoke(args=["create-user", "eve@example.com", "--superuser"],
                           input="secret password\nsecret password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "eve@example.com"))
    assert user.is_superuser and user.check_password("secret password")


def test_create_user_rejects_bad_input(runner):
    factories.make_user(email="taken@example.com")
    db.session.commit()
    cases = [
        (["create-user", "not-an-email", "--password", "long enough pw"], "Enter a valid email address."),
        (["create-user", "TAKEN@example.com", "--password", "long enough pw"],
         "A user with email TAKEN@example.com already exists."),
        (["create-user", "new@example.com", "--password", "short"],
         "Password must be at least 8 characters."),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_add_member_adds_and_changes_roles(runner, org):
    factories.make_user(email="fay@example.com")
    db.session.commit()
    result = runner.invoke(args=["add-member", "acme", "FAY@example.com", "admin"])
    assert result.exit_code == 0, result.output
    assert "is now admin of acme" in result.output
    result = runner.invoke(args=["add-member", "acme", "fay@example.com", "owner"])
    assert result.exit_code == 0
    roles = db.session.scalars(select(OrganizationMember.role)).all()
    assert roles == ["owner"]


def test_add_member_rejects_bad_input(runner, org):
    factories.make_user(email="gus@example.com")
    db.session.commit()
    result = runner.invoke(args=["add-member", "nowhere", "gus@example.com", "admin"])
    assert result.exit_code == 1 and "Organization nowhere not found" in result.output
    result = runner.invoke(args=["add-member", "acme", "ghost@example.com", "admin"])
    assert result.exit_code == 1 and "User ghost@example.com not found" in result.output
    result = runner.invoke(args=["add-member", "acme", "gus@example.com", "boss"])
    assert result.exit_code == 2 and "'boss' is not one of" in result.output
    assert db.session.scalar(select(func.count()).select_from(OrganizationMember)) == 0


def test_create_token_prints_the_plaintext_alone_on_the_last_line(runner):
    user = factories.make_user(email="hal@example.com")
    db.session.commit()
    result = runner.invoke(args=["create-token", "hal@example.com", "--name", "deploy script"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.rstrip("\n").splitlines()[-1]
    assert plaintext == plaintext.strip() and " " not in plaintext
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hash_token(plaintext) and token.name == "deploy script"
    assert plaintext not in (token.token_hash, token.name)
    assert authenticate_token(plaintext).id == user.id


def test_create_token_rejects_bad_input(runner):
    result = runner.invoke(args=["create-token", "nobody@example.com"])
    assert result.exit_code == 1 and "User nobody@example.com not found" in result.output
    factories.make_user(email="ida@example.com")
    db.session.commit()
    result = runner.invoke(args=["create-token", "ida@example.com", "--name", "  "])
    assert result.exit_code == 1 and "Name is required." in result.output
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
