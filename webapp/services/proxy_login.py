"""A trusted single-sign-on proxy (oauth2-proxy, Authelia, Keycloak Gatekeeper, Apache or
nginx with Kerberos) authenticates people and passes who they are in request headers.

Only the proxy may say so: the headers count on a request whose *direct peer* is one of
TRUSTED_PROXY_ADDRESSES, and are ignored on any other (any client can write a header). The
direct peer is the address that opened the TCP connection, as the WSGI server saw it,
before PROXY_FIX_X_FOR replaced it from X-Forwarded-For: that header is written by clients
and proxies alike, so it could name the proxy's address for a client that is not it.
"""

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from webapp.models import AuthSource, User
from webapp.services.external_accounts import ExternalAccount, GroupRoles, sign_in_external

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ProxyIdentity:
    """Who the proxy says made the request."""

    email: str
    name: str
    groups: tuple[str, ...]

    @property
    def key(self) -> str:
        """Changes when the proxy names someone else or other groups: the session keeps it,
        and a new key logs the request in again (groups applied again)."""
        return "\n".join((self.email.casefold(), *sorted(self.groups)))


@dataclass(frozen=True)
class TrustedProxy:
    """The TRUSTED_PROXY_* settings, checked once at start-up (webapp/config.py)."""

    networks: tuple[IpNetwork, ...]
    user_header: str
    name_header: str | None
    groups_header: str | None
    group_roles: GroupRoles
    logout_url: str | None

    @classmethod
    def from_config(cls, config: Mapping) -> "TrustedProxy | None":
        """The settings, or None when TRUSTED_PROXY_AUTH is off; ValueError naming the
        setting when one is wrong."""
        if not config.get("TRUSTED_PROXY_AUTH"):
            return None
        user_header = str(config.get("REMOTE_USER_HEADER") or "").strip()
        if not user_header:
            raise ValueError("REMOTE_USER_HEADER is required with TRUSTED_PROXY_AUTH, "
                             "e.g. X-Forwarded-Email")
        networks = parse_networks(config.get("TRUSTED_PROXY_ADDRESSES"))
        if not networks:
            raise ValueError("TRUSTED_PROXY_ADDRESSES is required with TRUSTED_PROXY_AUTH: "
                             "the proxy's addresses, e.g. [\"10.0.0.5\"]")
        return cls(
            networks=networks, user_header=user_header,
            name_header=config.get("TRUSTED_PROXY_NAME_HEADER") or None,
            groups_header=config.get("TRUSTED_PROXY_GROUPS_HEADER") or None,
            group_roles=GroupRoles.parse(config.get("TRUSTED_PROXY_GROUP_ROLES") or {},
                                         "TRUSTED_PROXY_GROUP_ROLES"),
            logout_url=config.get("PROXY_LOGOUT_URL") or None,
        )

    def trusts(self, peer_address: str | None) -> bool:
        """Whether the request's direct peer is one of the proxy's addresses."""
        try:
            address = ipaddress.ip_address((peer_address or "").strip())
        except ValueError:
            return False  # no address (a Unix socket) or not one: not the proxy
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def identity(self, peer_address: str | None, header: Callable[[str], str | None]
                 ) -> ProxyIdentity | None:
        """Who the proxy says this request is from (`header(name)` reads a request header):
        None unless the peer is the proxy and the user header is set."""
        if not self.trusts(peer_address):
            return None
        email = header_text(header(self.user_header)).strip()
        if not email:
            return None
        name = header_text(header(self.name_header)).strip() if self.name_header else ""
        raw_groups = header_text(header(self.groups_header)) if self.groups_header else ""
        groups = tuple(g.strip() for g in raw_groups.split(",") if g.strip())
        return ProxyIdentity(email, name, groups)


def header_text(value: str | None) -> str:
    """A header's text as the proxy wrote it: WSGI hands header bytes over as Latin-1, and
    proxies send names in UTF-8 ("JosÃ©" is "José"); bytes that are not UTF-8 stay Latin-1."""
    if not value:
        return ""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def parse_networks(value: object) -> tuple[IpNetwork, ...]:
    """Addresses and networks from a list, or a string separated by commas or spaces (as an
    environment variable gives it); ValueError naming the bad one."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value or []
    if not isinstance(items, list | tuple):
        raise ValueError("TRUSTED_PROXY_ADDRESSES must be a list of addresses or networks")
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXY_ADDRESSES: {item!r} is not an IP address or "
                             "network") from None
    return tuple(networks)


def sign_in_from_proxy(proxy: TrustedProxy, identity: ProxyIdentity,
                       ip_address: str | None = None) -> User | None:
    """The local user the proxy names (created at first sight, groups applied), or None
    (deactivated, or not a usable email). The caller commits."""
    account = ExternalAccount(identity.email, identity.name, identity.groups, AuthSource.PROXY)
    return sign_in_external(account, proxy.group_roles, ip_address)
