"""login-lockouts list|clear: an admin sees who is locked out and lifts it, by email, by
address or all at once; the lifted pair can log in again."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import LoginAttempt, utcnow
from webapp.services.login_throttle import start_attempt

ANN, BOB = "ann@example.com", "bob@example.com"
HOME, ELSEWHERE = "198.51.100.7", "203.0.113.66"
WINDOW = timedelta(minutes=15)


def fail(limits, email, address, times):
    for _ in range(times):
        start_attempt(email, address, limits)


def attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(LoginAttempt))


def locked_out_app(app_factory):
    """Ann locked out from ELSEWHERE, ELSEWHERE locked out for every account, Bob counted
    at HOME but not locked out."""
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3, LOGIN_LIMIT_PER_ADDRESS=4)
    limits = app.extensions["login_limits"]
    with app.app_context():
        factories.make_user(email=ANN)
        db.session.commit()
        fail(limits, ANN, ELSEWHERE, 3)
        fail(limits, BOB, ELSEWHERE, 1)
        fail(limits, BOB, HOME, 2)
        db.session.remove()
    return app


def test_list_shows_every_lockout_in_force(app_factory):
    before = utcnow().replace(microsecond=0)
    app = locked_out_app(app_factory)
    after = utcnow()
    result = app.test_cli_runner().invoke(args=["login-lockouts", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        f"{ANN} from {ELSEWHERE}", f"any account from {ELSEWHERE}"]
    assert "3 failed, locked until" in lines[0] and "4 failed, locked until" in lines[1]
    for line in lines:
        until = datetime.strptime(line.split("locked until ")[1], "%Y-%m-%d %H:%M:%S UTC")
        assert before + WINDOW <= until.replace(tzinfo=UTC) <= after + WINDOW


def test_list_says_when_there_is_none(runner):
    result = runner.invoke(args=["login-lockouts", "list"])
    assert result.exit_code == 0
    assert result.output == "No login lockouts.\n"


def test_clear_by_email_lets_the_owner_in_again(app_factory):
    app = locked_out_app(app_factory)
    result = app.test_cli_runner().invoke(args=["login-lockouts", "clear", "--email", "ANN@example.com"])
    assert result.exit_code == 0, result.output
    assert result.output == "Forgot 3 failed logins.\n"
    client = app.test_client()
    response = client.post("/login/", data={"email": ANN, "password": factories.PASSWORD},
                           environ_base={"REMOTE_ADDR": ELSEWHERE})
    assert response.status_code == 302
    with app.app_context():
        assert attempts() == 3  # Bob's
        db.session.remove()


def test_clear_by_address_and_by_pair(app_factory):
    app = locked_out_app(app_factory)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["login-lockouts", "clear", "--email", BOB, "--address", HOME])
    assert result.output == "Forgot 2 failed logins.\n"
    result = runner.invoke(args=["login-lockouts", "clear", "--address", ELSEWHERE])
    assert result.exit_code == 0, result.output
    assert result.output == "Forgot 4 failed logins.\n"
    assert runner.invoke(args=["login-lockouts", "list"]).output == "No login lockouts.\n"


def test_clear_all(app_factory):
    app = locked_out_app(app_factory)
    result = app.test_cli_runner().invoke(args=["login-lockouts", "clear", "--all"])
    assert result.exit_code == 0, result.output
    assert result.output == "Forgot 6 failed logins.\n"
    with app.app_context():
        assert attempts() == 0
        db.session.remove()


def test_clear_needs_a_filter_or_all_but_not_both(app_factory):
    app = locked_out_app(app_factory)
    runner = app.test_cli_runner()
    for args in ([], ["--all", "--email", ANN]):
        result = runner.invoke(args=["login-lockouts", "clear", *args])
        assert result.exit_code == 2
        assert "Give --email and/or --address, or --all." in result.output
    with app.app_context():
        assert attempts() == 6
        db.session.remove()
