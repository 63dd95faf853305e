"""Real servers on 127.0.0.1 for the alert tests: an SMTP server (aiosmtpd) that can refuse
mail temporarily, and an HTTP receiver that verifies webhook signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # one INFO line per SMTP command otherwise


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPHandler:
    """Keeps every accepted message; refuses the first ``refuse`` DATA commands with a 451."""

    def __init__(self, refuse: int = 0, delay: float = 0.0, rcpt_delay: float = 0.0, on_rcpt=None) -> None:
        self.messages: list = []
        self.on_rcpt = on_rcpt  # called with the number accepted so far, while a RCPT is held
        self.refused = 0
        self.refuse = refuse
        self.delay = delay
        self.rcpt_delay = rcpt_delay
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            time.sleep(self.rcpt_delay)  # slow before the message is handed over: nothing accepted yet
        if self.on_rcpt:
            with self.lock:
                accepted = len(self.messages)
            self.on_rcpt(accepted)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Try again later"
        if self.delay:
            time.sleep(self.delay)  # blocks the server loop: a slow server, on purpose
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]

    def delivery_ids(self) -> list[str]:
        with self.lock:
            return [m["X-Alert-Delivery"] for m in self.messages if m["X-Alert-Delivery"]]


class SMTPServer:
    def __init__(self, **kwargs) -> None:
        self.handler = SMTPHandler(**kwargs)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class WebhookReceiver:
    """Answers ``fail`` requests with 500, then 200; records each body with whether its
    HMAC-SHA256 signature matched the shared secret."""

    def __init__(self, secret: str, fail: int = 0, status: int = 500) -> None:
        self.secret = secret
        self.fail = fail
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers.get("X-Raretrack-Signature", "")
                stamp = dict(p.split("=", 1) for p in header.split(",") if "=" in p).get("t", "")
                mac = hmac.new(receiver.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                ok = stamp.isdigit() and hmac.compare_digest(f"t={stamp},v1={mac}", header)
                receiver.requests.append({
                    "body": json.loads(body), "signature_ok": ok,
                    "timestamp": self.headers.get("X-Raretrack-Timestamp"),
                    "event": self.headers.get("X-Raretrack-Event"),
                })
                failing = len(receiver.requests) <= receiver.fail
                self.send_response(receiver.status if failing else (200 if ok else 401))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
