"""Sign in with the company directory (LDAP / Active Directory), through ldap3.

The login form's email is looked up in the directory first (as the search account, or
anonymously), in LDAP_USER_SEARCH_BASE with LDAP_USER_FILTER; the email goes into the filter
escaped by ldap3's `escape_filter_chars`, so `*`, `(`, `)` and `\\` in it match only
themselves. Then:

- **found**: the password is checked by binding as the user's entry; right, and the local
  user is created or refreshed from the entry's email, name and groups
  (services/external_accounts.py); wrong, and the login fails, as a local one does. The
  local password of that email is never tried: the directory decides for its users.
- **not found**: the local password login (services/accounts.authenticate).
- **directory unreachable** (refused, timed out, TLS failure, search account refused): the
  local password login; when it fails too, DirectoryUnavailable, whose message the form
  shows. Local accounts still work; the message never says whether the account exists.

Nothing is kept open between logins: each one opens its connections and closes them.
"""

import logging
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from webapp.models import AuthSource, User
from webapp.services.accounts import authenticate
from webapp.services.external_accounts import (
    ExternalAccount,
    GroupRoles,
    is_valid_email,
    sign_in_external,
)

log = logging.getLogger(__name__)

DIRECTORY_UNAVAILABLE = ("The company directory cannot be reached right now, so directory "
                         "accounts cannot log in. Try again in a few minutes; local accounts "
                         "still work.")
RESULT_SUCCESS, RESULT_SIZE_LIMIT_EXCEEDED = 0, 4


class DirectoryUnavailable(Exception):
    """The directory could not answer (down, too slow, TLS refused, search account refused)."""


@dataclass(frozen=True)
class LdapSettings:
    """The LDAP_* settings, checked once at start-up (webapp/config.py says what each is)."""

    url: str
    bind_dn: str | None
    bind_password: str | None
    user_search_base: str
    user_filter: str
    email_attribute: str
    name_attribute: str
    group_search_base: str | None
    group_filter: str
    groups_attribute: str
    start_tls: bool
    ca_file: str | None
    timeout: int
    group_roles: GroupRoles

    @classmethod
    def from_config(cls, config: Mapping) -> "LdapSettings | None":
        """The settings, or None when LDAP_URL is unset (directory login off); ValueError
        naming the setting when one is wrong."""
        url = config.get("LDAP_URL")
        if not url:
            return None
        if not isinstance(url, str) or not url.lower().startswith(("ldap://", "ldaps://")):
            raise ValueError("LDAP_URL must start with ldap:// or ldaps://")
        settings = cls(
            url=url.strip().rstrip("/"), bind_dn=config.get("LDAP_BIND_DN") or None,
            bind_password=config.get("LDAP_BIND_PASSWORD") or None,
            user_search_base=str(config.get("LDAP_USER_SEARCH_BASE") or ""),
            user_filter=str(config.get("LDAP_USER_FILTER") or ""),
            email_attribute=str(config.get("LDAP_EMAIL_ATTRIBUTE") or "mail"),
            name_attribute=str(config.get("LDAP_NAME_ATTRIBUTE") or "cn"),
            group_search_base=config.get("LDAP_GROUP_SEARCH_BASE") or None,
            group_filter=str(config.get("LDAP_GROUP_FILTER") or ""),
            groups_attribute=str(config.get("LDAP_GROUPS_ATTRIBUTE") or "memberOf"),
            start_tls=bool(config.get("LDAP_START_TLS")),
            ca_file=config.get("LDAP_CA_FILE") or None,
            timeout=_whole_seconds(config.get("LDAP_TIMEOUT")),
            group_roles=GroupRoles.parse(config.get("LDAP_GROUP_ROLES") or {}, "LDAP_GROUP_ROLES"),
        )
        settings._check()
        return settings

    def _check(self) -> None:
        if not self.user_search_base:
            raise ValueError("LDAP_USER_SEARCH_BASE is required with LDAP_URL, "
                             "e.g. ou=people,dc=example,dc=com")
        if "{email}" not in self.user_filter:
            raise ValueError("LDAP_USER_FILTER must contain {email}, e.g. (mail={email})")
        if self.group_search_base and "{user_dn}" not in self.group_filter:
            raise ValueError("LDAP_GROUP_FILTER must contain {user_dn}, e.g. (member={user_dn})")
        if self.bind_dn and not self.bind_password:
            raise ValueError("LDAP_BIND_PASSWORD is required with LDAP_BIND_DN")
        if self.uses_ldaps and self.start_tls:
            raise ValueError("LDAP_START_TLS is for ldap:// URLs; ldaps:// is TLS already")
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ValueError(f"LDAP_CA_FILE: no file at {self.ca_file}")
        if not 1 <= self.timeout <= 60:
            raise ValueError("LDAP_TIMEOUT must be a whole number of seconds from 1 to 60")
        try:
            _server(self)
        except LDAPException as exc:
            raise ValueError(f"LDAP_URL: {exc}") from None

    @property
    def uses_ldaps(self) -> bool:
        return self.url.lower().startswith("ldaps://")


def _whole_seconds(value: object) -> int:
    """LDAP_TIMEOUT as whole seconds (ldap3 sets the socket's receive timeout in them)."""
    try:
        return int(str(value))
    except ValueError:
        return 0  # refused by _check, with the setting's name


@dataclass(frozen=True)
class DirectoryAccount:
    """A directory entry whose password was right."""

    dn: str
    email: str
    name: str
    groups: tuple[str, ...]


class DirectoryAnswer(NamedTuple):
    """Whether the email names one directory entry, and its account when the password was
    right (found with account None: wrong password)."""

    found: bool
    account: DirectoryAccount | None


def sign_in(email: str, password: str, directory: LdapSettings | None,
            ip_address: str | None = None) -> User | None:
    """The login form: the user of this email and password, from the directory or local
    (see the module docstring), or None whatever was wrong; DirectoryUnavailable when the
    directory cannot answer and no local account matches. The caller commits."""
    if directory is None:
        return authenticate(email, password)
    try:
        answer = check_directory_password(directory, email, password)
    except DirectoryUnavailable:
        user = authenticate(email, password)
        if user is None:
            raise
        return user
    if not answer.found:
        return authenticate(email, password)
    if answer.account is None:
        return None
    account = answer.account
    return sign_in_external(
        ExternalAccount(account.email, account.name, account.groups, AuthSource.LDAP),
        directory.group_roles, ip_address)


def check_directory_password(settings: LdapSettings, email: str,
                             password: str) -> DirectoryAnswer:
    """Look the email up in the directory and check the password by binding as its entry.
    DirectoryUnavailable when the directory cannot answer."""
    email = (email or "").strip()
    try:
        server = _server(settings)
        with _connection(settings, server, settings.bind_dn, settings.bind_password) as search:
            if not search.bind():
                log.error("LDAP: the search account %s was refused: %s",
                          settings.bind_dn or "(anonymous)", search.result.get("description"))
                raise DirectoryUnavailable("search account refused")
            entries = _find_user(settings, search, email)
            if not entries:
                return DirectoryAnswer(found=False, account=None)
            if len(entries) > 1:
                log.warning("LDAP: %s names several entries; login refused", email)
                return DirectoryAnswer(found=True, account=None)
            dn, attributes = entries[0]
            if not password or not _password_is_right(settings, server, dn, password):
                return DirectoryAnswer(found=True, account=None)
            groups = _groups(settings, search, dn, attributes)
    except LDAPException as exc:
        log.warning("LDAP directory unavailable (%s): %s", settings.url, exc)
        raise DirectoryUnavailable(str(exc)) from exc
    directory_email = _first(attributes, settings.email_attribute)
    return DirectoryAnswer(found=True, account=DirectoryAccount(
        dn=dn, email=directory_email if is_valid_email(directory_email) else email,
        name=_first(attributes, settings.name_attribute), groups=groups))


def _server(settings: LdapSettings) -> Server:
    tls = None
    if settings.uses_ldaps or settings.start_tls:
        # Certificate and host name checked against LDAP_CA_FILE (else the system's CAs).
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ca_file)
    return Server(settings.url, use_ssl=settings.uses_ldaps, tls=tls, get_info=NONE,
                  connect_timeout=settings.timeout)


@contextmanager
def _connection(settings: LdapSettings, server: Server, user: str | None,
                password: str | None) -> Iterator[Connection]:
    """A connection, opened (and switched to TLS with LDAP_START_TLS), always closed."""
    connection = Connection(server, user=user, password=password, read_only=True,
                            auto_referrals=False, receive_timeout=settings.timeout,
                            raise_exceptions=False)
    try:
        connection.open()
        if settings.start_tls and not connection.start_tls():
            raise DirectoryUnavailable("StartTLS refused")
        yield connection
    finally:
        try:
            connection.unbind()
        except LDAPException:
            pass  # the connection is gone already
        if connection.socket is not None:  # ldap3 leaves a socket that failed to connect
            connection.socket.close()


def _find_user(settings: LdapSettings, search: Connection,
               email: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The entries (dn, attributes) the filter finds for this email, at most two: one email
    must name one person, and two are refused as a wrong password is."""
    query = settings.user_filter.replace("{email}", escape_filter_chars(email))
    attributes = [settings.email_attribute, settings.name_attribute]
    if not settings.group_search_base:
        attributes.append(settings.groups_attribute)
    search.search(settings.user_search_base, query, SUBTREE, attributes=attributes,
                  size_limit=2)
    _check_result(search, allowed=(RESULT_SUCCESS, RESULT_SIZE_LIMIT_EXCEEDED))
    return _entries(search)


def _password_is_right(settings: LdapSettings, server: Server, dn: str, password: str) -> bool:
    with _connection(settings, server, dn, password) as as_user:
        return bool(as_user.bind())


def _groups(settings: LdapSettings, search: Connection, dn: str,
            attributes: Mapping[str, Any]) -> tuple[str, ...]:
    """The user's group DNs: searched (LDAP_GROUP_SEARCH_BASE), else the user's attribute."""
    if not settings.group_search_base:
        return tuple(_values(attributes, settings.groups_attribute))
    query = settings.group_filter.replace("{user_dn}", escape_filter_chars(dn))
    search.search(settings.group_search_base, query, SUBTREE, attributes=[])
    _check_result(search, allowed=(RESULT_SUCCESS,))
    return tuple(group_dn for group_dn, _ in _entries(search))


def _check_result(connection: Connection, allowed: tuple[int, ...]) -> None:
    """A search the server refused (wrong base, no access…) is a configuration fault: the
    directory cannot be used, and the log says why."""
    result = connection.result or {}
    if result.get("result") not in allowed:
        log.error("LDAP search refused: %s %s", result.get("description"), result.get("message"))
        raise DirectoryUnavailable(str(result.get("description")))


def _entries(connection: Connection) -> list[tuple[str, Mapping[str, Any]]]:
    """The search's entries (not Active Directory's referrals) as (dn, attributes)."""
    return [(item["dn"], item.get("attributes") or {}) for item in connection.response or []
            if item.get("type") == "searchResEntry"]


def _values(attributes: Mapping[str, Any], name: str) -> list[str]:
    """An attribute's values as text. ldap3 gives bytes for what is not UTF-8 (a value in
    another encoding): its other bytes read as U+FFFD, never a failed login."""
    value = attributes.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item.decode(errors="replace") if isinstance(item, bytes) else str(item)
            for item in items]


def _first(attributes: Mapping[str, Any], name: str) -> str:
    values = _values(attributes, name)
    return values[0].strip() if values else ""

