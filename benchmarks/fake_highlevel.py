"""A fake HighLevel API v2 on 127.0.0.1 that enforces HighLevel's burst limit, for load runs.

    .venv/bin/python benchmarks/fake_highlevel.py --port 0 --log /tmp/ghl.jsonl

- Answers the operations our client uses (``leads/ghl/client.py``) with HighLevel's shapes:
  sends, contacts, tags, notes, tasks, opportunities, free slots, appointments.
- Enforces 100 requests per rolling 10 s per location (one token = one location, as with
  HighLevel's location tokens) and answers **429** past it, with the ``X-RateLimit-*``
  headers HighLevel sends. Every 429 is a violation: the app's shared limiter should never
  let one happen.
- Appends one JSON line per request to ``--log`` (time, method, path, operation, contact,
  status, the text of a send) and keeps the sends in memory, so the load harness can check
  that every inbound message was answered exactly once.

Bench-only endpoints (no token): ``GET /_bench/wait?contact=ID&count=N&timeout=S`` blocks
until the contact has N sends (or the timeout) and returns them with their arrival times;
``GET /_bench/stats`` returns the counters. It prints ``listening on PORT`` when ready.
Only loopback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LIMIT = 100
WINDOW = 10.0

# (method, path pattern) -> operation, as leads/ghl/client.py names them.
ROUTES = [
    ("POST", re.compile(r"^/conversations/messages/upload$"), "upload_attachment"),
    ("POST", re.compile(r"^/conversations/messages$"), "send_message"),
    ("POST", re.compile(r"^/contacts/upsert$"), "upsert_contact"),
    ("POST", re.compile(r"^/contacts/?$"), "create_contact"),
    ("GET", re.compile(r"^/contacts/(?P<id>[^/]+)$"), "get_contact"),
    ("PUT", re.compile(r"^/contacts/(?P<id>[^/]+)$"), "update_contact"),
    ("POST", re.compile(r"^/contacts/(?P<id>[^/]+)/tags$"), "add_tags"),
    ("DELETE", re.compile(r"^/contacts/(?P<id>[^/]+)/tags$"), "remove_tags"),
    ("POST", re.compile(r"^/contacts/(?P<id>[^/]+)/notes$"), "add_note"),
    ("POST", re.compile(r"^/contacts/(?P<id>[^/]+)/tasks$"), "create_task"),
    ("POST", re.compile(r"^/opportunities/?$"), "create_opportunity"),
    ("PUT", re.compile(r"^/opportunities/(?P<id>[^/]+)(/status)?$"), "update_opportunity"),
    ("GET", re.compile(r"^/calendars/(?P<id>[^/]+)/free-slots$"), "free_slots"),
    ("POST", re.compile(r"^/calendars/events/appointments$"), "create_appointment"),
]


def route(method: str, path: str) -> tuple[str, str]:
    for verb, pattern, operation in ROUTES:
        match = pattern.match(path)
        if verb == method and match:
            return operation, match.groupdict().get("id") or ""
    return "unknown", ""


def answer(operation: str, path_id: str, body: dict) -> tuple[int, dict]:
    """HighLevel's answer to ``operation`` (shapes from its OpenAPI specs)."""
    contact_id = path_id or str(body.get("contactId") or "")
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    new_id = uuid.uuid4().hex[:20]
    if operation == "send_message":
        return 200, {
            "conversationId": f"ghl-conv-{contact_id}",
            "messageId": f"ghl-msg-{new_id}",
            "msg": "Message queued",
            "status": "pending",
        }
    if operation == "get_contact":
        # No phone: message webhooks' leads stay in DEFAULT_TIMEZONE (the harness sets it).
        return 200, {"contact": {"id": contact_id, "locationId": "", "tags": []}}
    if operation in {"upsert_contact", "create_contact"}:
        return 201, {"new": True, "contact": {**body, "id": f"ghl-contact-{new_id}"}}
    if operation == "update_contact":
        return 200, {"succeded": True, "contact": {**body, "id": contact_id}}
    if operation in {"add_tags", "remove_tags"}:
        tags = body.get("tags", []) if operation == "add_tags" else []
        return (201 if operation == "add_tags" else 200), {"tags": tags}
    if operation == "add_note":
        return 201, {"note": {**body, "id": new_id, "contactId": contact_id, "dateAdded": now}}
    if operation == "create_task":
        return 201, {"task": {**body, "id": new_id, "contactId": contact_id}}
    if operation == "create_opportunity":
        return 201, {"opportunity": {**body, "id": new_id, "createdAt": now}}
    if operation == "update_opportunity":
        return 200, {"opportunity": {**body, "id": path_id, "updatedAt": now}}
    if operation == "free_slots":
        return 200, {}
    if operation == "create_appointment":
        return 200, {**body, "id": new_id, "dateAdded": now}
    if operation == "upload_attachment":
        return 200, {"uploadedFiles": {}}
    return 404, {"statusCode": 404, "message": "Not found"}


class FakeHighLevel(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, log_path: str):
        super().__init__(("127.0.0.1", port), Handler)
        self.lock = threading.Condition()
        self.log = open(log_path, "a", buffering=1)  # noqa: SIM115 (open for the server's life)
        self.recent: dict[str, deque] = defaultdict(deque)
        self.busiest: dict[str, int] = defaultdict(int)
        self.operations: Counter = Counter()
        self.statuses: Counter = Counter()
        self.sends: dict[str, list[dict]] = defaultdict(list)
        self.started = time.time()

    def stats(self) -> dict:
        with self.lock:
            sends = sum(len(v) for v in self.sends.values())
            return {
                "requests": sum(self.operations.values()),
                "operations": dict(self.operations),
                "statuses": {str(k): v for k, v in self.statuses.items()},
                "violations_429": self.statuses.get(429, 0),
                "busiest_10s": dict(self.busiest),
                "sends": sends,
                "sends_by_contact": {k: len(v) for k, v in self.sends.items()},
                "seconds": time.time() - self.started,
            }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as HighLevel's edge does
    server: FakeHighLevel

    def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _bench(self, url) -> None:
        query = parse_qs(url.query)
        if url.path == "/_bench/stats":
            self._reply(200, self.server.stats())
            return
        if url.path == "/_bench/wait":
            contact = query.get("contact", [""])[0]
            count = int(query.get("count", ["1"])[0])
            deadline = time.monotonic() + min(float(query.get("timeout", ["30"])[0]), 120.0)
            with self.server.lock:
                while len(self.server.sends[contact]) < count:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self.server.lock.wait(left)
                sends = list(self.server.sends[contact])
            self._reply(200, {"sends": sends})
            return
        self._reply(404, {"message": "unknown bench endpoint"})

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith("/_bench/"):
            self._bench(url)
            return
        server = self.server
        operation, path_id = route(self.command, url.path)
        try:
            body = json.loads(raw) if raw and "json" in self.headers.get("Content-Type", "") else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        token = self.headers.get("Authorization", "")
        now = time.time()
        with server.lock:
            recent = server.recent[token]
            while recent and recent[0] <= now - WINDOW:
                recent.popleft()
            allowed = len(recent) < LIMIT
            if allowed:
                recent.append(now)
                server.busiest[token[-6:]] = max(server.busiest[token[-6:]], len(recent))
            remaining = LIMIT - len(recent)
            retry_after = max(0.0, recent[0] + WINDOW - now) if recent and not allowed else 0.0
        status, data = answer(operation, path_id, body) if allowed else (429, {})
        if not allowed:
            data = {"statusCode": 429, "message": "Too Many Requests - Rate limit exceeded"}
        contact = path_id or str(body.get("contactId") or "")
        entry = {
            "t": now,
            "method": self.command,
            "path": url.path,
            "operation": operation,
            "contact": contact,
            "status": status,
        }
        if operation == "send_message":
            entry["message"] = str(body.get("message") or "")
            entry["message_id"] = data.get("messageId", "")
        with server.lock:
            server.operations[operation] += 1
            server.statuses[status] += 1
            if operation == "send_message" and status == 200:
                server.sends[contact].append(
                    {"t": now, "message": entry["message"], "message_id": entry["message_id"]}
                )
                server.lock.notify_all()
            server.log.write(json.dumps(entry) + "\n")
        headers = {
            "X-RateLimit-Max": str(LIMIT),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Interval-Milliseconds": str(int(WINDOW * 1000)),
            "X-RateLimit-Limit-Daily": "200000",
        }
        if not allowed:
            headers["Retry-After"] = str(max(1, round(retry_after)))
        self._reply(status, data, headers)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", required=True, help="JSON-lines file of every request")
    args = parser.parse_args()
    server = FakeHighLevel(args.port, args.log)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
