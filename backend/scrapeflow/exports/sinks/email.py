"""Email: the same notice as Slack's, through the server's SMTP relay (SMTP_HOST)."""

from __future__ import annotations

import asyncio
import smtplib
import time
from email.message import EmailMessage

from scrapeflow.config import Settings
from scrapeflow.exports.outbound import Answer, DeliveryError
from scrapeflow.exports.sinks import Shipment, headline


def _send(settings: Settings, message: EmailMessage) -> str:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.webhook_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        refused = smtp.send_message(message)
        return f"refused: {', '.join(refused)}" if refused else "accepted"


async def send(shipment: Shipment) -> Answer:
    settings = shipment.settings
    if not settings.smtp_host:
        raise DeliveryError("Email is not configured on this server (SMTP_HOST).", retryable=False)
    subject, text = headline(shipment.event, shipment.summary)
    message = EmailMessage()
    message["Subject"] = f"[ScrapeFlow] {subject}"
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(shipment.config["to"])
    message["Message-ID"] = f"<{shipment.message_id}@scrapeflow>"
    message.set_content(f"{text}\n\n{shipment.summary['url']}\n")
    started = time.monotonic()
    try:
        outcome = await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"The SMTP server refused or failed: {type(exc).__name__}: {exc}"[:300]) from None
    return Answer(250, outcome, int((time.monotonic() - started) * 1000))
