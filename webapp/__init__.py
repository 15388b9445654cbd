"""Integrations Admin: the application factory."""

import importlib
import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp import config as default_config
from webapp.extensions import bootstrap, csrf, db, login_manager, migrate
from webapp.services.ids import MAX_ID

BLUEPRINT_MODULES = (
    "webapp.blueprints.main",
    "webapp.blueprints.auth",
    "webapp.blueprints.account",
    "webapp.blueprints.integrations",
    "webapp.blueprints.doc_integrations",
    "webapp.blueprints.directory",
    "webapp.blueprints.plugins",
    "webapp.blueprints.requests",
    "webapp.blueprints.policy",
    "webapp.blueprints.audit",
    "webapp.blueprints.saved_views",
    "webapp.blueprints.api",
)

# Settings of the per-process login throttle that the database-backed one replaced.
OBSOLETE_SETTINGS = {
    "RATELIMIT_STORAGE_URI": "login attempts are counted in the database",
    "LOGIN_LIMIT_PER_ACCOUNT": "see LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS",
    "LOGIN_LIMIT_PER_IP": "see LOGIN_LIMIT_PER_ADDRESS",
}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment, then test_config."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "WEBAPP_INSTANCE_PATH"
    ) or str(
        Path(__file__).resolve().parent.parent / "instance"
    )
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    # JSON keys in the order the serializers write them (Sentry's order), not re-sorted on
    # every response: sorting was a fifth of the encoding time of a 100-item list.
    app.json.sort_keys = False  # type: ignore[attr-defined]  # typed as the base JSONProvider
    _load_config(app, test_config)
    _register_extensions(app)
    _trust_proxies(app)
    _register_blueprints(app)
    from webapp.web import register_web

    register_web(app)
    from webapp.blueprints.auth.proxy import register_trusted_proxy

    register_trusted_proxy(app)
    from webapp.cli import register_cli

    register_cli(app)
    return app


def _load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(default_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        "sqlite:///" + str(Path(app.instance_path) / "webapp.sqlite3"),
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and \
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] == default_config.SQLALCHEMY_ENGINE_OPTIONS:
        # A file database never drops the connection and plans in microseconds: no ping
        # before each request's query, no PostgreSQL connection options.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _instance_secret_key(app: Flask) -> str:
    """A random key generated once into instance/secret_key (never a hard-coded default)."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    bootstrap.init_app(app)
    from webapp.services.directory_login import LdapSettings
    from webapp.services.login_throttle import LoginLimits
    from webapp.services.proxy_login import TrustedProxy

    app.extensions["login_limits"] = LoginLimits.from_config(app.config)
    app.extensions["directory_login"] = LdapSettings.from_config(app.config)
    app.extensions["trusted_proxy"] = TrustedProxy.from_config(app.config)
    for old, new in OBSOLETE_SETTINGS.items():
        if old in app.config:
            logging.getLogger(__name__).warning("%s is no longer read: %s", old, new)


def _trust_proxies(app: Flask) -> None:
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


class RecordIdConverter(IntegerConverter):
    """`<int:…>` in every route: at most the largest id a column can hold (else 404, not 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RecordIdConverter
    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).bp)
