"""A private OpenLDAP server for the directory-login tests: Debian's slapd, started once per
run on a free loopback port from a slapd.conf in a temp folder, with test people and groups
loaded by `ldapadd`, stopped at the end. Without slapd (make test installs it as root) the
tests that need it are skipped with a message, never faked.

The tree: dc=example,dc=com with ou=people (inetOrgPerson entries) and ou=groups
(groupOfNames); the memberof overlay keeps each person's memberOf, as Active Directory
does, so both ways of reading groups are tested. A read-only search account, cn=reader,
and the root account (cn=admin) that tests use to change entries.
"""

import itertools
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
LDAPADD = shutil.which("ldapadd") or "/usr/bin/ldapadd"
LDAPMODIFY = shutil.which("ldapmodify") or "/usr/bin/ldapmodify"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")

SUFFIX = "dc=example,dc=com"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
READER_DN, READER_PASSWORD = f"cn=reader,{SUFFIX}", "reader-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
ADMINS = f"cn=integration-admins,{GROUPS}"  # the tests map it to owner of acme
USERS = f"cn=integration-users,{GROUPS}"  # member of acme
STAFF = f"cn=staff,{GROUPS}"  # staff

SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
modulepath {modules}
moduleload back_mdb
moduleload memberof

database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/data
overlay memberof
access to attrs=userPassword by self read by anonymous auth by * none
access to * by * read
"""
# With openssl at hand: a test CA, and a certificate for localhost that it signed.
SLAPD_TLS_CONF = """\
TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server.key
"""


@dataclass(frozen=True)
class Person:
    """A directory entry the tests log in as."""

    uid: str
    email: str
    name: str
    password: str

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


ALICE = Person("alice", "alice@corp.example", "Alice Liddell", "alice-directory-pass")
BOB = Person("bob", "bob@corp.example", "Bob Builder", "bob-directory-pass")
# The same email on two entries: the directory cannot say who it is.
TWIN_EMAIL = "twin@corp.example"

_people = itertools.count(1)


def _person_ldif(person: Person) -> str:
    return (f"dn: {person.dn}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
            f"cn: {person.name}\nsn: {person.name.split()[-1]}\nmail: {person.email}\n"
            f"userPassword: {person.password}\n")


def _group_ldif(dn: str, members: list[str]) -> str:
    cn = dn.split(",")[0].split("=")[1]
    return (f"dn: {dn}\nobjectClass: groupOfNames\ncn: {cn}\n"
            + "".join(f"member: {member}\n" for member in members))


def _initial_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
        "o: Example Corp\n",
        f"dn: {READER_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
        f"cn: reader\nuserPassword: {READER_PASSWORD}\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        _person_ldif(ALICE),
        _person_ldif(BOB),
        _person_ldif(Person("twin1", TWIN_EMAIL, "Twin One", "twin-pass")),
        _person_ldif(Person("twin2", TWIN_EMAIL, "Twin Two", "twin-pass")),
        # groupOfNames needs a member: the reader stands in for an empty group.
        _group_ldif(ADMINS, [ALICE.dn]),
        _group_ldif(USERS, [BOB.dn, READER_DN]),
        _group_ldif(STAFF, [ALICE.dn]),
    ]
    return "\n".join(entries)


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Slapd:
    """One slapd process serving the test tree on ldap://127.0.0.1:<port>/."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "data").mkdir()
        self.conf = folder / "slapd.conf"
        self.ca_file = _make_certificates(folder)  # None without openssl: no TLS tests
        tls = SLAPD_TLS_CONF.format(folder=folder) if self.ca_file else ""
        self.conf.write_text(tls + SLAPD_CONF.format(
            schema=SCHEMA, folder=folder, modules=MODULES, suffix=SUFFIX, root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD))
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}/"
        self.ldaps_port = free_port()
        self.ldaps_url = f"ldaps://127.0.0.1:{self.ldaps_port}/" if self.ca_file else None
        # The certificate's name, for the TLS tests.
        self.tls_url = f"ldap://localhost:{self.port}/"
        self.tls_ldaps_url = f"ldaps://localhost:{self.ldaps_port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.folder / "slapd.log", "ab")  # closed in stop()
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.conf), "-h", " ".join(filter(None, (self.url, self.ldaps_url))),
             "-d", "0"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self._log = log
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {(self.folder / 'slapd.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening within 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self._log.close()

    def _run(self, tool: str, ldif: str) -> None:
        subprocess.run([tool, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
                       input=ldif.encode(), check=True, capture_output=True, timeout=30)

    def ldapadd(self, ldif: str) -> None:
        self._run(LDAPADD, ldif)

    def ldapmodify(self, ldif: str) -> None:
        self._run(LDAPMODIFY, ldif)

    def add_person(self, groups: tuple[str, ...] = ()) -> Person:
        """A new entry of the test's own (tests never change the shared people), in `groups`."""
        n = next(_people)
        person = Person(f"person{n}", f"person{n}@corp.example", f"Person Number{n}",
                        f"person-{n}-pass")
        self.ldapadd(_person_ldif(person))
        for group in groups:
            self.set_member(group, person, True)
        return person

    def set_member(self, group: str, person: Person, member: bool) -> None:
        change = "add" if member else "delete"
        self.ldapmodify(f"dn: {group}\nchangetype: modify\n{change}: member\nmember: {person.dn}\n")

    def settings(self, **overrides) -> dict:
        """App config for this directory: search as the reader, groups by group search."""
        return {
            "LDAP_URL": self.url,
            "LDAP_BIND_DN": READER_DN,
            "LDAP_BIND_PASSWORD": READER_PASSWORD,
            "LDAP_USER_SEARCH_BASE": PEOPLE,
            "LDAP_GROUP_SEARCH_BASE": GROUPS,
            "LDAP_TIMEOUT": 3,
            "LDAP_GROUP_ROLES": {ADMINS: "acme:owner", USERS: ["acme:member"], STAFF: "staff"},
            **overrides,
        }


def _make_certificates(folder: Path) -> Path | None:
    """A CA (ca.pem) and the server's key and certificate for the name localhost (not for
    the address 127.0.0.1, so that a URL naming the address is a wrong name);
    None when openssl is not installed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    (folder / "san.cnf").write_text("subjectAltName=DNS:localhost\n")
    for args in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "2", "-subj", "/CN=Integrations Admin test CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf"],
    ):
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True, timeout=60)
    return folder / "ca.pem"


def slapd_missing() -> str | None:
    """Why the real-directory tests cannot run here, or None when they can."""
    for path in (SLAPD, LDAPADD, LDAPMODIFY, str(SCHEMA / "inetorgperson.schema")):
        if not os.path.exists(path):
            return (f"{path} is missing: install Debian's slapd and ldap-utils "
                    "(make test does, as root) to run the directory-login tests")
    return None


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """The run's private slapd, loaded with the test people and groups (skips without it)."""
    missing = slapd_missing()
    if missing:
        pytest.skip(missing)
    server = Slapd(tmp_path_factory.mktemp("slapd"))
    server.start()
    try:
        server.ldapadd(_initial_ldif())
        yield server
    finally:
        server.stop()
