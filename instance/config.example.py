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
