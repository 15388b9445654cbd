"""Default configuration; overridden by instance/config.py, then FLASK_* / DATABASE_URL, then test_config."""

from datetime import timedelta

# Bootstrap and its icons are served from the app itself (intranet: no CDN).
BOOTSTRAP_SERVE_LOCAL = True
BOOTSTRAP_BOOTSWATCH_THEME = None

# PostgreSQL: test each pooled connection before use (survives a server restart), and
# plan repeated statements once: psycopg prepares a statement after its 5th run on a
# connection, and `force_generic_plan` keeps PostgreSQL from planning it again on every run
# (the list page's query costs ~1 ms to plan, ~0.3 ms to run). Every hot query reads an
# org's rows through an index whatever the values, so one plan serves all. SQLite takes
# none of this (its file connections do not drop; it plans in microseconds).
SQLALCHEMY_ENGINE_OPTIONS = {
    "pool_pre_ping": True,
    "connect_args": {"options": "-c plan_cache_mode=force_generic_plan"},
}

# Request bodies larger than this are refused with 413 (logo uploads are ≤ 1 MB).
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_DURATION = timedelta(days=14)

WTF_CSRF_TIME_LIMIT = None  # tied to the session; a long-open form still submits

# Login throttling, counted in the database (every process and host shares it): failed
# passwords allowed within the window per (account, client address) and per client address.
LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = 5
LOGIN_LIMIT_PER_ADDRESS = 30
LOGIN_LIMIT_WINDOW_SECONDS = 15 * 60

# Lists.
PER_PAGE_DEFAULT = 25
PER_PAGE_MAX = 100

# Outgoing mail for install-request notifications; unset = written to the log.
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "integrations-admin@localhost"

# Behind N reverse proxies / load balancers, trust N X-Forwarded-For/-Proto hops so login
# throttling and audit entries see the client's address (0 = direct connections: the
# headers are ignored, as any client can send them).
PROXY_FIX_X_FOR = 0

# Sign in with the company directory (LDAP / Active Directory): off while LDAP_URL is None.
# docs/deployment.md "Sign in with the company directory" has an OpenLDAP and an Active
# Directory example. The login form looks the email up in the directory first; a user found
# there signs in with their directory password, others with their local one.
LDAP_URL = None  # "ldap://ldap.internal" (with LDAP_START_TLS) or "ldaps://ldap.internal"
LDAP_BIND_DN = None  # the account that searches for users; None = anonymous bind
LDAP_BIND_PASSWORD = None
LDAP_USER_SEARCH_BASE = ""  # e.g. "ou=people,dc=example,dc=com"
LDAP_USER_FILTER = "(mail={email})"  # {email}: the typed email, escaped
LDAP_EMAIL_ATTRIBUTE = "mail"
LDAP_NAME_ATTRIBUTE = "cn"  # Active Directory: "displayName"
# A user's groups: searched under LDAP_GROUP_SEARCH_BASE with LDAP_GROUP_FILTER ({user_dn}:
# the user's DN, escaped), or, without a group search base, read from the user's
# LDAP_GROUPS_ATTRIBUTE (Active Directory's and OpenLDAP's memberof overlay: memberOf).
LDAP_GROUP_SEARCH_BASE = None
LDAP_GROUP_FILTER = "(member={user_dn})"
LDAP_GROUPS_ATTRIBUTE = "memberOf"
LDAP_START_TLS = False
LDAP_CA_FILE = None  # PEM file of the CA that signed the directory's certificate
LDAP_TIMEOUT = 5  # seconds to connect, and to wait for each answer
# Group DN → what its members get at each login: "staff", or "<org slug>:<role>" (role:
# member, admin, manager, owner), or a list of those. In the organizations (and for the
# staff flag) the mapping names, a directory user has exactly what their groups grant.
LDAP_GROUP_ROLES: dict = {}

# A trusted single-sign-on proxy (oauth2-proxy, Authelia, Apache/nginx with Kerberos…) in
# front of the app: a request from one of TRUSTED_PROXY_ADDRESSES (addresses or networks,
# checked against the direct peer, before PROXY_FIX_X_FOR) carrying REMOTE_USER_HEADER
# is logged in as that email. The header from any other address is ignored.
TRUSTED_PROXY_AUTH = False
REMOTE_USER_HEADER = "X-Forwarded-Email"
TRUSTED_PROXY_ADDRESSES: list = []  # e.g. ["10.0.0.5", "10.0.1.0/24"]
TRUSTED_PROXY_NAME_HEADER = None  # optional: the user's display name, e.g. "X-Forwarded-User"
TRUSTED_PROXY_GROUPS_HEADER = None  # optional: comma-separated groups, e.g. "X-Forwarded-Groups"
TRUSTED_PROXY_GROUP_ROLES: dict = {}  # group name → grants, as LDAP_GROUP_ROLES
PROXY_LOGOUT_URL = None  # where "Log out" sends proxy users, e.g. "/oauth2/sign_out"
