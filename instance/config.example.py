"""Example instance/config.py: copy to instance/config.py and edit. Environment variables win.

Every key here can also be set as FLASK_<KEY> in the environment (e.g. FLASK_MAIL_SERVER).
"""

# PostgreSQL in production (DATABASE_URL in the environment overrides this):
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://integrations:secret@db.internal:5432/integrations"

# Set a fixed secret when several processes or hosts serve the app (all must share it):
# SECRET_KEY = "a long random string"

# Behind HTTPS:
# SESSION_COOKIE_SECURE = True
# REMEMBER_COOKIE_SECURE = True

# Login throttling (counted in the database, shared by every process and host):
# LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = 5
# LOGIN_LIMIT_PER_ADDRESS = 30
# LOGIN_LIMIT_WINDOW_SECONDS = 900

# Behind N load balancers / reverse proxies, trust N hops of X-Forwarded-For (default 0):
# PROXY_FIX_X_FOR = 1

# Install-request notifications:
# MAIL_SERVER = "smtp.internal"
# MAIL_PORT = 25
# MAIL_DEFAULT_SENDER = "integrations-admin@example.com"

# Sign in with the company directory (LDAP / Active Directory): docs/deployment.md has an
# OpenLDAP and an Active Directory example.
# LDAP_URL = "ldap://ldap.example.com"
# LDAP_START_TLS = True
# LDAP_CA_FILE = "/etc/ssl/certs/example-root-ca.pem"
# LDAP_BIND_DN = "cn=integrations-admin,ou=services,dc=example,dc=com"
# LDAP_BIND_PASSWORD = "…"
# LDAP_USER_SEARCH_BASE = "ou=people,dc=example,dc=com"
# LDAP_GROUP_SEARCH_BASE = "ou=groups,dc=example,dc=com"
# LDAP_GROUP_ROLES = {"cn=integration-admins,ou=groups,dc=example,dc=com": "demo:owner",
#                     "cn=staff,ou=groups,dc=example,dc=com": "staff"}

# Behind a single-sign-on proxy (docs/deployment.md "Behind a single-sign-on proxy"):
# TRUSTED_PROXY_AUTH = True
# TRUSTED_PROXY_ADDRESSES = ["10.0.0.5"]
# REMOTE_USER_HEADER = "X-Forwarded-Email"
# TRUSTED_PROXY_GROUPS_HEADER = "X-Forwarded-Groups"
# TRUSTED_PROXY_GROUP_ROLES = {"integration-admins": "demo:owner"}
# PROXY_LOGOUT_URL = "/oauth2/sign_out?rd=%2F"
