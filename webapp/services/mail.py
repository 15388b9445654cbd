"""Outgoing email (stdlib smtplib + email.message).

With MAIL_SERVER set, messages go through that SMTP server (MAIL_PORT, MAIL_USE_TLS for
STARTTLS, MAIL_USERNAME / MAIL_PASSWORD when it needs a login, MAIL_DEFAULT_SENDER as From,
MAIL_TIMEOUT seconds, default 10). Without it, each message is written to the
"webapp.mail" logger at INFO instead. Sending never raises: a failure is logged at ERROR
and reported by the return value, so a mail problem can never undo the caller's work.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

log = logging.getLogger("webapp.mail")


def _header_safe(text: str) -> str:
    """Header values on one line (a name with a newline must not inject headers)."""
    return " ".join(str(text).split())


def build_message(recipient: str, subject: str, body: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = _header_safe(sender)
    message["To"] = _header_safe(recipient)
    message["Subject"] = _header_safe(subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def mail_configured() -> bool:
    """Whether messages go to an SMTP server (MAIL_SERVER set) rather than only to the log,
    so pages can say truthfully whether someone was emailed."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send_email(recipients: Iterable[str], subject: str, body: str) -> bool:
    """Send one message per recipient (nobody sees the others' addresses).

    Returns True when every message was handed to the SMTP server (or logged, without
    MAIL_SERVER); False after logging the error when the server could not be used.
    """
    config = current_app.config
    sender = config.get("MAIL_DEFAULT_SENDER") or "integrations-admin@localhost"
    messages = [build_message(to, subject, body, sender) for to in dict.fromkeys(recipients)]
    if not messages:
        return True
    if not mail_configured():
        for message in messages:
            log.info(
                "MAIL_SERVER is not set; email logged instead of sent:\n"
                "From: %s\nTo: %s\nSubject: %s\n\n%s",
                message["From"], message["To"], message["Subject"], body,
            )
        return True
    server: str = config["MAIL_SERVER"]
    port = int(config.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(server, port, timeout=float(config.get("MAIL_TIMEOUT") or 10)) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for message in messages:
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception(
            "Could not send email %r to %s through %s:%s",
            _header_safe(subject), ", ".join(m["To"] for m in messages), server, port,
        )
        return False
    log.info("Sent email %r to %s", _header_safe(subject), ", ".join(m["To"] for m in messages))
    return True
