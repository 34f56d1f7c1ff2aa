"""Sinks: how a shipment (an event, an execution's summary and its rows) reaches each type of destination."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from scrapeflow.config import Settings
from scrapeflow.exports.outbound import Answer, Outbound
from scrapeflow.exports.rows import RowSource

Progress = Callable[[int, int], Awaitable[None]]
"""Called after each webhook batch the receiver accepted, with (batches sent, rows sent) so far."""


@dataclass
class Shipment:
    message_id: str
    """`msg_<delivery id>`: the same for every attempt, so receivers can drop what they already processed."""
    event: str
    summary: dict[str, Any]
    rows: RowSource
    config: dict[str, Any]
    secrets: dict[str, Any]
    settings: Settings
    outbound: Outbound
    batches_sent: int = 0
    rows_sent: int = 0
    progress: Progress | None = None
    link: Callable[[], str] | None = None
    """Makes a signed, expiring download link to the rows (webhooks over EXPORT_LINK_ABOVE_ROWS rows)."""


Sink = Callable[[Shipment], Awaitable[Answer]]


def headline(event: str, summary: dict[str, Any]) -> tuple[str, str]:
    """A notice's subject and sentence (Slack, email), with the counts; each sink adds the link."""
    bot = summary.get("bot_name") or "A bot"
    counts = f"{summary['rows_count']} row(s) ({summary['new']} new, {summary['changed']} changed)"
    pages = f"{summary['pages_done']} page(s)" + (
        f", {summary['pages_failed']} failed" if summary["pages_failed"] else ""
    )
    if event == "execution.failed":
        subject = f"{bot} failed"
        text = f"{bot} failed: {summary.get('error_message') or summary.get('error_code') or 'see the execution'}."
    elif event == "rows.changed":
        subject = f"{bot}: {summary['new']} new, {summary['changed']} changed"
        text = f"{bot} found {summary['new']} new and {summary['changed']} changed row(s) in {pages}."
    else:
        subject = f"{bot} finished: {summary['rows_count']} row(s)"
        text = f"{bot} finished: {counts} from {pages}."
    return subject, text
