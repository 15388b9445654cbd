"""Helpers of the install-request tests: the page's parts, logging in as another user, and
a local SMTP server's collected messages (aiosmtpd)."""

import email
import email.policy
import socket

from bs4 import BeautifulSoup
from flask import g
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import AuditLogEntry, IntegrationRequest

URL = "/settings/acme/integration-requests/"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def log_in(client, user):
    """Switch the test client's session to `user` (and drop Flask-Login's cached user: the
    test's app context, and so `g`, outlives each request)."""
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def make_member(org, role, **fields):
    user = factories.make_user(**fields)
    factories.make_member(org, user, role)
    db.session.commit()
    return user


def submit(client, provider_type="first_party", provider_slug="slack", message=""):
    return client.post(URL, data={"provider_type": provider_type, "provider_slug": provider_slug,
                                  "message": message})


def requests_in_db():
    return list(db.session.scalars(select(IntegrationRequest).order_by(IntegrationRequest.id)))


def audit_events(event):
    return list(db.session.scalars(select(AuditLogEntry).where(AuditLogEntry.event == event)
                                 .order_by(AuditLogEntry.id)))


def queue_rows(response):
    table = soup(response).find("table", class_="request-queue")
    return [] if table is None else table.find("tbody").find_all("tr")


def field_error(response, field):
    node = soup(response).find(id=f"{field}-error")
    return node.get_text(" ", strip=True) if node else None


def parse(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
