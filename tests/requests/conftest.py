"""Fixtures of the install-request tests: a local SMTP server (aiosmtpd) and an app that
sends its email there."""

import pytest
from aiosmtpd.controller import Controller

from tests.requests.helpers import Collector, free_port
from webapp.extensions import db


@pytest.fixture
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, collector
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app_factory, smtp_server):
    controller, _ = smtp_server
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_DEFAULT_SENDER="admin-bot@example.com")
    with app.app_context():
        yield app
        db.session.remove()
