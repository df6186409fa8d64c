"""Real peers for the alert tests: an HTTP webhook receiver that checks signatures and fails on
purpose, an SMTP server (aiosmtpd), and database helpers (a user, cached bars, rules)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, text

from ml.alerts.store import check_rule, create_rule
from ml.db import write_transaction
from ml.db.schema import bars as bars_table
from workers.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature

SECRET = "test-secret-0123456789"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status in ``script`` (then 200) and records it."""

    secret: str = SECRET
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    event: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        ok = verify_signature(self.secret, headers.get(TIMESTAMP_HEADER, ""), body,
                              headers.get(SIGNATURE_HEADER, ""))
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            if not ok:
                status = 401
            self.received.append(Received(path, headers, body, status, ok))
            if status == 200:
                self.event.set()
        return status

    def delivered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.status == 200]


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = receiver.handle(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class SmtpInbox:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[SmtpInbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port, collecting messages."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from ops.redis_server import free_port

    inbox = SmtpInbox("127.0.0.1", free_port())

    class Collect(Message):
        def handle_message(self, message: Any) -> None:
            inbox.messages.append(message)

    controller = Controller(Collect(), hostname=inbox.host, port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


def make_user(engine: Engine, username: str = "alice") -> int:
    """A user row (the owner every rule needs); the hash is a placeholder, nobody logs in."""
    from ml.db.schema import users

    with write_transaction(engine) as connection:
        return int(connection.execute(insert(users).values(
            username=username, password_hash="!", role="viewer",
            created_at=datetime.now(UTC))).inserted_primary_key[0])


def store_bars(engine: Engine, symbol: str, interval: str, frame: pd.DataFrame) -> None:
    """Put bars into the cache table the alert engine reads (as the data refresh does)."""
    rows = [{"symbol": symbol, "interval": interval, "ts": int(ts.timestamp()),
             "open": float(r.open), "high": float(r.high), "low": float(r.low),
             "close": float(r.close), "volume": float(r.volume)}
            for ts, r in zip(frame.index, frame.itertuples(index=False), strict=True)]
    with write_transaction(engine) as connection:
        connection.execute(text("DELETE FROM bars WHERE symbol = :s AND interval = :i AND "
                                "ts >= :t"), {"s": symbol, "i": interval,
                                              "t": rows[0]["ts"]})
        connection.execute(insert(bars_table), rows)


def bar_frame(closes: list[float], start: str = "2024-01-01", freq: str = "1D"
              ) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(closes), freq=freq, tz="UTC", name="timestamp")
    frame = pd.DataFrame({"close": closes}, index=index, dtype=float)
    frame["open"] = frame["close"]
    frame["high"] = frame["close"] * 1.001
    frame["low"] = frame["close"] * 0.999
    frame["volume"] = 1000.0
    return frame[["open", "high", "low", "close", "volume"]]


def add_rule(engine: Engine, owner_id: int, *, symbol: str = "TEST", interval: str = "1d",
             rule_type: str = "price", params: dict[str, Any] | None = None,
             channels: tuple[str, ...] = ("in_app",), cooldown_s: int = 0,
             one_shot: bool = False, created: datetime | None = None,
             expires_at: datetime | None = None) -> int:
    values, errors = check_rule({
        "symbol": symbol, "interval": interval, "rule_type": rule_type,
        "params": params or {"condition": "above", "level": 100},
        "channels": list(channels), "cooldown_s": cooldown_s, "one_shot": one_shot,
        "expires_at": expires_at})
    assert values is not None, errors
    return create_rule(engine, owner_id, values, now=created or datetime(2000, 1, 1, tzinfo=UTC))
