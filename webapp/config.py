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
