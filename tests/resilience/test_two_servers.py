"""Two hosts behind a load balancer, one PostgreSQL (issue 21, "Beyond one machine").

Two gunicorn servers (2 workers each, different ports, each with its own instance folder:
no shared disk) serve one private database with the same FLASK_SECRET_KEY, and nothing
else in common. A session made on one is good on the other, failed logins are counted
across both, a stale edit is refused across both, and `run-deletions` started on both hosts
at once deletes every row exactly once (the test holds the table until both jobs wait for
it, so they really run together).
"""

import re
import subprocess
import sys
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from tests import factories
from tests.conftest import USING_PG
from tests.resilience.servers import REPO, Browser, app_env, gunicorn, private_database
from webapp import create_app
from webapp.extensions import db
from webapp.models import ObjectStatus

pytestmark = pytest.mark.skipif(
    not USING_PG,
    reason="two servers on one database need a database server: run with "
           "DATABASE_URL=postgresql+psycopg://… (SQLite is one file on one host)",
)

SECRET = "two-hosts-one-secret"
LIMIT = 4  # failed passwords per (account, address), set on both servers
SETTINGS = {"FLASK_LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": str(LIMIT)}
ORG = "two-hosts"
ADMIN = "admin@two-hosts.example"
TARGET = "target@two-hosts.example"  # the account whose password is guessed
ORG_PAGE = f"/settings/{ORG}/integrations/"


def _seed() -> None:
    org = factories.make_org(slug=ORG, name="Two Hosts Org")
    factories.make_member(org, factories.make_user(email=ADMIN), "admin")
    factories.make_member(org, factories.make_user(email=TARGET), "member")
    integration = factories.make_integration(provider="slack", external_id="T-HOSTS",
                                             name="Hosts Workspace")
    factories.install(org, integration, config={"default_channel": "#general"})
    db.session.commit()


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """The one database both hosts use: its URL."""
    with private_database("test_hosts", tmp_path_factory.mktemp("hosts-setup"), _seed) as (_, url):
        yield url


@pytest.fixture(scope="module")
def servers(database, tmp_path_factory):
    """Host A's and host B's base URLs."""
    folder_a, folder_b = tmp_path_factory.mktemp("host-a"), tmp_path_factory.mktemp("host-b")
    with gunicorn(app_env(database, folder_a, SECRET, **SETTINGS), folder_a) as a, \
            gunicorn(app_env(database, folder_b, SECRET, **SETTINGS), folder_b) as b:
        yield a.url, b.url


def _text(body: str) -> str:
    return BeautifulSoup(body, "html.parser").get_text(" ", strip=True)


def test_a_session_made_on_one_server_works_on_the_other(servers):
    a, b = servers
    assert Browser(b).request(ORG_PAGE)[0] == 302  # no cookie: off to the login page
    user = Browser(a)
    # The login form comes from A (its CSRF token in the session cookie); B accepts it.
    token = user.csrf_token("/login/")
    status, _, body = user.at(b).request(
        "/login/", {"csrf_token": token, "email": ADMIN, "password": factories.PASSWORD})
    assert status == 302, _text(body)[:300]
    for server in (a, b, a):
        status, _, body = user.at(server).request(ORG_PAGE)
        assert status == 200, (server, body[:300])
        assert "Hosts Workspace" in body


def test_failed_logins_are_counted_across_both_servers(servers):
    a, b = servers
    guesser = Browser(a)
    for attempt in range(LIMIT):  # A, B, A, B: each server saw only half of the limit
        status, _, body = guesser.at(servers[attempt % 2]).log_in(TARGET, f"wrong {attempt}")
        assert status == 400, (attempt, body[:300])
        assert "Invalid email or password." in body
    # The next attempt is refused wherever it lands, even with the right password.
    for server, password in ((a, "wrong again"), (b, factories.PASSWORD)):
        status, headers, body = guesser.at(server).log_in(TARGET, password)
        assert status == 429, (server, body[:300])
        assert 0 < int(headers["Retry-After"]) <= 15 * 60
        assert "Too many failed login attempts." in body


def _form_fields(body: str, action: str) -> dict[str, list[str]]:
    """What a browser would post from the form with this action (checked boxes only)."""
    form = BeautifulSoup(body, "html.parser").find("form", attrs={"method": "post", "action": action})
    assert form is not None, f"no form posting to {action}"
    fields: dict[str, list[str]] = defaultdict(list)
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.has_attr("disabled"):
            continue
        if element.name == "select":
            fields[name] += [option.get("value", option.text)
                             for option in element.find_all("option", selected=True)]
        elif element.name == "textarea":
            fields[name].append(element.text)
        elif element.get("type") not in ("checkbox", "radio") or element.has_attr("checked"):
            fields[name].append(element.get("value", "on"))
    return dict(fields)


def test_a_stale_edit_is_refused_across_both_servers(servers, database):
    a, b = servers
    detail = f"{ORG_PAGE}slack/{_integration_id(database, 'T-HOSTS')}/"
    admin = Browser(a)
    assert admin.log_in(ADMIN, factories.PASSWORD)[0] == 302
    forms = {}
    for server in (a, b):  # the same page open on two hosts, at version 1
        status, _, body = admin.at(server).request(detail)
        assert status == 200, body[:300]
        forms[server] = _form_fields(body, detail)
        assert forms[server]["version"] == ["1"]
        assert forms[server]["default_channel"] == ["#general"]

    status, _, body = admin.at(a).request(detail, {**forms[a], "default_channel": ["#from-a"]})
    assert status == 302, _text(body)[:300]
    status, _, body = admin.at(b).request(detail, {**forms[b], "default_channel": ["#from-b"]})
    assert status == 409, _text(body)[:300]
    text = _text(body)
    assert "Someone else changed this installation" in text
    assert "default_channel #from-b #from-a" in text  # yours (not saved), current

    for server in (b, a):  # nothing overwritten, on either host
        fields = _form_fields(admin.at(server).request(detail)[2], detail)
        assert (fields["version"], fields["default_channel"]) == (["2"], ["#from-a"])
    assert _scalar(database, "SELECT count(*) FROM audit_log_entry WHERE event = 'INTEGRATION_EDIT'") == 1


def _scalar(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(sa.text(sql), params)
    engine.dispose()
    return found


def _integration_id(url: str, external_id: str) -> int:
    return _scalar(url, "SELECT id FROM integration WHERE external_id = :id", id=external_id)


PENDING = 200


def _seed_deletions(url: str, instance, status: ObjectStatus) -> tuple[set[int], set[int]]:
    """PENDING installations with this status over 4 orgs and 2 providers, next to 4
    active ones: the ids to be deleted, and those to keep."""
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": str(instance)})
    with app.app_context():
        orgs = [factories.make_org() for _ in range(4)]
        going = {factories.install(orgs[n % 4], factories.make_integration(
                     provider=("slack", "github")[n % 2]), status=status).id
                 for n in range(PENDING)}
        staying = {factories.install(org).id for org in orgs}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return going, staying


def _waiting_for(conn: sa.Connection, table: str) -> int:
    """How many backends wait for a lock on `table`."""
    return conn.scalar(sa.text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = CAST(:table AS regclass) "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ), {"table": table})


# Pending deletion: the usual case. Deletion in progress: rows left by interrupted runs,
# which both jobs go on to delete at once.
@pytest.mark.parametrize("status", [ObjectStatus.PENDING_DELETION, ObjectStatus.DELETION_IN_PROGRESS])
def test_run_deletions_on_both_hosts_at_once_deletes_each_row_once(database, tmp_path, status):
    going, staying = _seed_deletions(database, tmp_path / "seed", status)
    engine = sa.create_engine(database)
    with engine.connect() as holder:
        # Hold the table so that both jobs start, block at their first write, and go on
        # together the moment it is released: a real overlap, not a lucky one.
        holder.execute(sa.text("LOCK TABLE organization_integration IN EXCLUSIVE MODE"))
        jobs = [subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "webapp", "run-deletions"],
            env=app_env(database, tmp_path / host, SECRET), cwd=REPO,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for host in "ab"]
        deadline = time.monotonic() + 30
        while _waiting_for(holder, "organization_integration") < 2:
            assert time.monotonic() < deadline, [job.poll() for job in jobs]
            assert all(job.poll() is None for job in jobs), [job.communicate() for job in jobs]
            time.sleep(0.05)
        holder.rollback()  # releases the lock
    outputs = [job.communicate(timeout=30)[0] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], outputs
    counts = []
    for output in outputs:
        found = re.search(r"Deleted (\d+) installations? pending deletion\.", output)
        assert found, output
        counts.append(int(found.group(1)))
    assert sum(counts) == PENDING, counts  # none deleted twice, none left out

    with engine.connect() as conn:
        left = set(conn.scalars(sa.text("SELECT id FROM organization_integration")))
        assert not going & left and staying <= left
        assert not conn.scalar(sa.text("SELECT count(*) FROM organization_integration WHERE status IN "
                                       f"({int(ObjectStatus.PENDING_DELETION)}, "
                                       f"{int(ObjectStatus.DELETION_IN_PROGRESS)})"))
        # The trigger-kept counts saw each deletion once: they match the rows, none negative.
        counted = conn.execute(sa.text(
            "SELECT organization_id, provider, status, count FROM organization_integration_count "
            "WHERE count <> 0 ORDER BY 1, 2, 3")).all()
        actual = conn.execute(sa.text(
            "SELECT organization_id, integration_provider, status, count(*) "
            "FROM organization_integration GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")).all()
    engine.dispose()
    assert counted == actual
