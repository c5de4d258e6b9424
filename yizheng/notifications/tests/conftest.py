"""The proposals test world (every party a proposal meets, a fixed clock) plus a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from yizheng.proposals.tests.conftest import clock, world  # noqa: F401  (fixtures)


class Mailbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m, e in zip(self.messages, self.envelopes, strict=True) if address in e.rcpt_tos]


def subject(message) -> str:
    """The subject as mail clients show it: encoded words decoded, folding whitespace dropped."""
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"]))).strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_settings(settings):
    """Point Django's SMTP backend at a loopback port (no server yet)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.YIZHENG_SITE_URL = "https://yizheng.example.cn"
    return settings


@pytest.fixture
def start_smtp(smtp_settings):
    """start_smtp() runs a real SMTP server (aiosmtpd) on the configured port and returns its mailbox."""
    controllers = []

    def start() -> Mailbox:
        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
        controller.start()
        controllers.append(controller)
        return mailbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mailbox(start_smtp) -> Mailbox:
    return start_smtp()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): service(...)` — run the after-commit callbacks (event subscribers, email queue) as a
    real commit would."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block
