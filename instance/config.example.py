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

# Login throttling storage shared by all processes:
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"

# Install-request notifications:
# MAIL_SERVER = "smtp.internal"
# MAIL_PORT = 25
# MAIL_DEFAULT_SENDER = "integrations-admin@example.com"
