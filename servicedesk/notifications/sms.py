"""SMS backends. The default logs the message; a real gateway implements ``send``."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("servicedesk.sms")


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send one message or raise."""


class LoggingSmsBackend:
    """Writes each message to the log (development, demo, tests)."""

    sent: list[tuple[str, str]] = []  # kept for tests, like Django's locmem e-mail outbox

    def send(self, phone: str, text: str) -> None:
        # Log the number masked: phones are customer personal data (ORG-02).
        logger.info("SMS to %s****%s: %s", phone[:3], phone[-4:], text)
        LoggingSmsBackend.sent.append((phone, text))


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
