"""Login throttling in the database: shared by every process (two apps on one database
stand in for two gunicorn workers), keyed by account + client address and by address, so
an attacker elsewhere cannot lock the owner out; refusals are 429 with Retry-After."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from tests import factories
from webapp.extensions import db
from webapp.models import LoginAttempt, utcnow
from webapp.services.login_throttle import (
    LoginLimits,
    LoginThrottled,
    list_lockouts,
    start_attempt,
)

OWNER = "owner@example.com"
ATTACKER_ADDRESS = "203.0.113.66"
OWNER_ADDRESS = "198.51.100.7"
TOO_MANY = "Too many failed login attempts."


def log_in(client, email, password="wrong password", address=ATTACKER_ADDRESS, **headers):
    return client.post("/login/", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(LoginAttempt))


def make_owner(app):
    with app.app_context():
        factories.make_user(email=OWNER)
        db.session.commit()
        db.session.remove()


def test_two_app_instances_share_one_count(app_factory):
    worker_a = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3)
    worker_b = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3)
    make_owner(worker_a)
    a, b = worker_a.test_client(), worker_b.test_client()
    assert [log_in(client, OWNER).status_code for client in (a, b, a)] == [400, 400, 400]
    assert log_in(b, OWNER).status_code == 429
    assert log_in(a, OWNER).status_code == 429


def test_the_wrong_password_after_the_limit_is_refused_with_retry_after(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3, LOGIN_LIMIT_WINDOW_SECONDS=600)
    make_owner(app)
    client = app.test_client()
    for _ in range(3):
        response = log_in(client, OWNER)
        assert response.status_code == 400
        assert "Retry-After" not in response.headers
    refused = log_in(client, OWNER)
    assert refused.status_code == 429
    assert 590 <= int(refused.headers["Retry-After"]) <= 600
    assert TOO_MANY + " Try again in 10 minutes." in refused.get_data(as_text=True)
    # The right password is refused too from this address: it is not checked at all.
    assert log_in(client, OWNER, factories.PASSWORD).status_code == 429
    with app.app_context():
        assert attempts() == 3  # refusals take no slot
        db.session.remove()


def test_the_refusal_is_the_same_whether_or_not_the_account_exists(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=2)
    make_owner(app)
    client = app.test_client()
    pages = {}
    for email in (OWNER, "ghost@example.com"):
        for _ in range(2):
            assert log_in(client, email).status_code == 400
        refused = log_in(client, email)
        assert refused.status_code == 429
        pages[email] = refused.get_data(as_text=True).replace(email, "EMAIL")
    assert pages[OWNER] == pages["ghost@example.com"]


def test_the_owner_logs_in_from_their_own_address_while_attacked_from_others(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3, LOGIN_LIMIT_PER_ADDRESS=5)
    make_owner(app)
    attacker, owner = app.test_client(), app.test_client()
    statuses = [log_in(attacker, OWNER, address=address).status_code
                for address in ("203.0.113.1", "203.0.113.2") for _ in range(6)]
    assert statuses == [400] * 3 + [429] * 3 + [400] * 3 + [429] * 3
    assert log_in(owner, OWNER, "a typo", address=OWNER_ADDRESS).status_code == 400
    response = log_in(owner, OWNER, factories.PASSWORD, address=OWNER_ADDRESS)
    assert response.status_code == 302
    assert log_in(attacker, OWNER, factories.PASSWORD, address="203.0.113.1").status_code == 429


def test_a_successful_login_forgets_its_own_failures_only(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=3)
    make_owner(app)
    client = app.test_client()
    log_in(client, OWNER, address=ATTACKER_ADDRESS)
    for _ in range(2):
        assert log_in(client, OWNER, address=OWNER_ADDRESS).status_code == 400
    assert log_in(client, OWNER, factories.PASSWORD, address=OWNER_ADDRESS).status_code == 302
    client.post("/logout/")
    with app.app_context():
        assert db.session.scalars(select(LoginAttempt.address)).all() == [ATTACKER_ADDRESS]
        db.session.remove()
    for _ in range(3):
        assert log_in(client, OWNER, address=OWNER_ADDRESS).status_code == 400
    assert log_in(client, OWNER, address=OWNER_ADDRESS).status_code == 429


def test_an_address_is_throttled_across_accounts(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_ADDRESS=4)
    client = app.test_client()
    for n in range(4):
        assert log_in(client, f"x{n}@example.com").status_code == 400
    refused = log_in(client, "fresh@example.com")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert log_in(client, "fresh@example.com", address=OWNER_ADDRESS).status_code == 400


def test_x_forwarded_for_is_ignored_unless_a_proxy_is_configured(app_factory):
    """Without PROXY_FIX_X_FOR a client cannot pick its address (and so its count) with
    the header; with it, clients behind the proxy are counted by their forwarded address."""
    direct = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=2)
    make_owner(direct)
    client = direct.test_client()
    for n in range(2):
        assert log_in(client, OWNER, **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code == 400
    assert log_in(client, OWNER, **{"X-Forwarded-For": "192.0.2.99"}).status_code == 429

    behind_proxy = app_factory(LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS=2, PROXY_FIX_X_FOR=1)
    proxied, proxy, client_address = behind_proxy.test_client(), "10.0.0.5", "198.18.0.9"
    for _ in range(2):
        assert log_in(proxied, OWNER, address=proxy,
                      **{"X-Forwarded-For": client_address}).status_code == 400
    assert log_in(proxied, OWNER, address=proxy,
                  **{"X-Forwarded-For": client_address}).status_code == 429
    assert log_in(proxied, OWNER, factories.PASSWORD, address=proxy,
                  **{"X-Forwarded-For": OWNER_ADDRESS}).status_code == 302
    with behind_proxy.app_context():
        assert set(db.session.scalars(select(LoginAttempt.address))) == {
            ATTACKER_ADDRESS, client_address}
        db.session.remove()


LIMITS = LoginLimits(per_account_and_address=2, per_address=10, window=timedelta(minutes=15))


def test_failures_leave_the_count_when_the_window_has_passed(app):
    start = utcnow()
    start_attempt(OWNER, ATTACKER_ADDRESS, LIMITS, now=start)
    start_attempt(OWNER, ATTACKER_ADDRESS, LIMITS, now=start + timedelta(minutes=5))
    try:
        start_attempt(OWNER, ATTACKER_ADDRESS, LIMITS, now=start + timedelta(minutes=6))
    except LoginThrottled as exc:
        assert exc.retry_after == 9 * 60  # until the first failure is 15 minutes old
    else:
        raise AssertionError("not throttled")
    start_attempt(OWNER, ATTACKER_ADDRESS, LIMITS, now=start + timedelta(minutes=15, seconds=1))
    # Each insert deletes what has left the window: the first failure is gone.
    assert attempts() == 2
    assert [lockout.until for lockout in list_lockouts(LIMITS, now=start + timedelta(minutes=16))] \
        == [start + timedelta(minutes=20)]


def test_concurrent_attempts_from_two_apps_check_at_most_the_limit(app_factory):
    """Twelve attempts at once, from two apps with their own connection pools: no more
    than the limit are let through to the password check, however they interleave."""
    limits = LoginLimits(per_account_and_address=3, per_address=100, window=timedelta(minutes=15))
    apps = [app_factory(), app_factory()]
    checked, refused = [], []
    barrier = threading.Barrier(12)

    def attempt(app):
        with app.app_context():
            barrier.wait()
            try:
                start_attempt(OWNER, ATTACKER_ADDRESS, limits)
                checked.append(1)
            except LoginThrottled:
                refused.append(1)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(apps[n % 2],)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) + len(refused) == 12
    assert len(checked) <= 3  # in a close race all may be refused, never more checked
    with apps[0].app_context():
        assert attempts() == len(checked)
        db.session.remove()
