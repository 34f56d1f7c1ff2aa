"""Local receivers that speak the outside services' side: a webhook endpoint (that can be down, hang, redirect
forever or answer a huge body), which also serves as a Slack incoming webhook, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """`mode`: ok, hang, redirect (to itself, forever) or huge (a 50 MB answer). The first `fail_first`
    requests get 503. Like an idempotent receiver it processes each webhook-id once, answering 200 to repeats."""

    mode: str = "ok"
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    processed: Counter[str] = field(default_factory=Counter)
    answered_ok: Counter[str] = field(default_factory=Counter)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        message_id = handler.headers.get("webhook-id", "")
        with self.lock:
            self.requests.append(Received({k.lower(): v for k, v in handler.headers.items()}, body))
            failing = len(self.requests) <= self.fail_first
        if failing:
            return self._answer(handler, 503, b"down for maintenance")
        if self.mode == "hang":
            time.sleep(5)
            return self._answer(handler, 200, b"late")
        if self.mode == "redirect":
            handler.send_response(302)
            handler.send_header("Location", self.url)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if self.mode == "huge":
            return self._huge(handler)
        with self.lock:
            if message_id and not self.processed[message_id]:
                self.processed[message_id] += 1
            self.answered_ok[message_id] += 1
        return self._answer(handler, 200, b"ok")

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _huge(handler: BaseHTTPRequestHandler) -> None:
        chunk = b"x" * 65536
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(chunk) * 800))
        handler.end_headers()
        try:
            for _ in range(800):
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should


@contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver.handle(self)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class Mailbox:
    """aiosmtpd's handler: every message the SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
