"""The load's users, for locust (run by ``benchmarks/load_test.py``; not on its own).

``LOAD_CONFIG`` names a JSON file with the stack's addresses, the credentials, the phase and
where to write the raw samples. Phases:

- ``profile``: the mix of users below, by weight;
- ``bare`` / ``webhook``: closed-loop POSTs with no think time to the bare Django view or to
  ``/webhooks/ghl/`` (signed, each its own ``webhookId``), for the acknowledgement's throughput.

Users of the profile:

- ``Texter``: a lead texting through HighLevel: signed ``InboundMessage`` webhooks of a short
  scripted conversation (a lead who has not said whether they buy or sell, a buyer, a seller),
  each sent once the bot's previous reply reached the fake HighLevel (read from its
  ``/_bench/wait``), with a human's pause between texts; a few deliveries are sent twice, as
  HighLevel redelivers;
- ``DashboardReader``: Jorge's staff on the dashboard (session cookie);
- ``ApiReader``: API clients with their own tokens;
- ``ChatVisitor``: the web chat widget: a message, then polls until the answer;
- ``SocketWatcher``: an open WebSocket on ``/ws/dashboard/`` (one of the two daphnes),
  counting the live events it receives.

Every request's outcome and time go to ``samples`` (written when locust quits), and every
text a ``Texter`` sent to ``messages``, so the harness computes exact percentiles and checks
each message against the database and the fake HighLevel's log.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import time
import urllib.request
import uuid
from datetime import UTC, datetime

import websocket
from cryptography.hazmat.primitives import serialization
from locust import FastHttpUser, between, constant, events, task

CONFIG = json.loads(open(os.environ["LOAD_CONFIG"]).read())  # noqa: SIM115
PHASE = CONFIG["phase"]
KEY = serialization.load_pem_private_key(open(CONFIG["key_file"], "rb").read(), password=None)  # noqa: SIM115
RUN = CONFIG["run_id"]
THINK = CONFIG.get("think_seconds", [8, 18])

SCRIPTS = {
    # Has not said whether they buy or sell: the lead bot asks.
    "lead": [
        [
            "Hi, I got your number from a friend. Can you help me?",
            "Not sure yet, just exploring my options",
            "Maybe sometime next year",
        ],
        [
            "Hola, me pasaron su número. ¿Me puede ayudar?",
            "Todavía no sé, solo estoy viendo opciones",
            "Tal vez el próximo año",
        ],
    ],
    "buyer": [
        [
            "Hi, I want to buy a house in Riverside",
            "Yes, pre-approved with Chase for 600k",
            "around 550k",
            "20% down",
        ],
        [
            "Hola, quiero comprar una casa en Fontana",
            "Sí, tengo preaprobación por 500 mil",
            "unos 450 mil",
        ],
    ],
    "seller": [
        [
            "Hi, I want to sell my house",
            "1234 Magnolia Ave, Riverside",
            "we're relocating for work",
            "in about 2 months",
        ],
        [
            "Hola, quiero vender mi casa",
            "mi casa está en 5678 Calle Sol, Fontana",
            "nos mudamos a Texas por trabajo",
        ],
    ],
}
KIND_WEIGHTS = [("lead", 50), ("buyer", 30), ("seller", 20)]
CHAT_TEXTS = [
    "Hi! Do you have any 3 bedroom homes in Corona?",
    "We want to buy in the next 3 months",
    "Our budget is around 600k",
]
DASHBOARD_PAGES = [
    ("/dashboard/", "dashboard: overview"),
    ("/dashboard/overview/kpis/", "dashboard: KPI tiles"),
    ("/dashboard/overview/charts/", "dashboard: charts"),
    ("/dashboard/overview/activity/", "dashboard: activity"),
    ("/dashboard/leads/", "dashboard: leads explorer"),
    ("/dashboard/conversations/", "dashboard: conversations"),
    ("/dashboard/commission/", "dashboard: commission"),
]
API_READS = [
    ("/api/v1/contacts", "api: contacts"),
    ("/api/v1/conversations", "api: conversations"),
    ("/api/v1/deals", "api: deals"),
    ("/api/v1/analytics/overview", "api: analytics overview"),
    ("/api/v1/analytics/pipeline", "api: pipeline"),
]

samples: list[tuple] = []  # (type, name, ms, ok, t, note)
messages: list[dict] = []
socket_events = {"received": 0, "connects": 0, "drops": 0}
_ids = itertools.count()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kw):
    note = ""
    if exception is not None:
        note = str(exception)[:200]
    samples.append((request_type, name, response_time, exception is None, time.time(), note))


@events.quitting.add_listener
def _dump(environment, **kw):
    with open(CONFIG["samples_file"], "w") as out:
        json.dump({"samples": samples, "messages": messages, "sockets": socket_events}, out)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def signed(payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {
        "Content-Type": "application/json",
        "X-GHL-Signature": base64.b64encode(KEY.sign(body)).decode(),
    }


def inbound_payload(*, contact: str, text: str, message_type: str = "SMS") -> dict:
    n = next(_ids)
    return {
        "type": "InboundMessage",
        "locationId": CONFIG["location_id"],
        "attachments": [],
        "body": text,
        "contactId": contact,
        "contentType": "text/plain",
        "conversationId": f"{contact}-conv",
        "dateAdded": _now_iso(),
        "direction": "inbound",
        "messageType": message_type,
        "messageId": f"{contact}-m{n}",
        "status": "delivered",
        "webhookId": f"{RUN}-{uuid.uuid4()}",
        "timestamp": _now_iso(),
    }


class _Base(FastHttpUser):
    abstract = True
    host = CONFIG["http_url"]
    connection_timeout = 30.0
    network_timeout = 60.0


if PHASE == "profile":

    class Texter(_Base):
        """A lead texting in through HighLevel, one scripted conversation after another."""

        weight = CONFIG["mix"]["texter"]
        wait_time = between(*THINK)

        def on_start(self):
            self.rng = random.Random()
            self.ghl = CONFIG["ghl_url"]
            self.script: list[str] = []

        def new_conversation(self):
            kind = self.rng.choices([k for k, _ in KIND_WEIGHTS], [w for _, w in KIND_WEIGHTS])[0]
            self.kind = kind
            self.script = list(self.rng.choice(SCRIPTS[kind]))
            self.contact = f"{RUN}-{kind}-{uuid.uuid4().hex[:12]}"
            self.sent = 0

        @task
        def text(self):
            if not self.script:
                self.new_conversation()
            body, headers = signed(inbound_payload(contact=self.contact, text=self.script.pop(0)))
            record = {"contact": self.contact, "kind": self.kind, "t0": time.time()}
            with self.client.post(
                "/webhooks/ghl/",
                data=body,
                headers=headers,
                name="webhook: InboundMessage (ack)",
                catch_response=True,
            ) as response:
                record["ack_status"] = response.status_code
                if response.status_code != 200 or response.json().get("duplicate"):
                    response.failure(f"HTTP {response.status_code}")
            messages.append(record)
            if record["ack_status"] != 200:
                self.script = []
                return
            self.sent += 1
            if self.rng.random() < CONFIG["duplicate_share"]:
                with self.client.post(
                    "/webhooks/ghl/",
                    data=body,
                    headers=headers,
                    name="webhook: redelivery (ack)",
                    catch_response=True,
                ) as again:
                    if again.status_code != 200 or not again.json().get("duplicate"):
                        again.failure(f"redelivery not a duplicate: HTTP {again.status_code}")
                record["redelivered"] = True
            self.wait_for_reply(record)

        def wait_for_reply(self, record):
            started = record["t0"]
            timeout = CONFIG["reply_timeout"]
            deadline = time.time() + timeout
            sends: list = []
            while time.time() < deadline:
                left = max(1.0, deadline - time.time())
                sends = self.sends_seen(
                    f"{self.ghl}/_bench/wait?contact={self.contact}&count={self.sent}"
                    f"&timeout={min(left, 30):.1f}"
                )
                if len(sends) >= self.sent:
                    break
            if len(sends) >= self.sent:
                reply_at = sends[self.sent - 1]["t"]
                record["reply_t"] = reply_at
                events.request.fire(
                    request_type="BOT",
                    name=f"reply: webhook → send ({self.kind})",
                    response_time=(reply_at - started) * 1000,
                    response_length=0,
                    exception=None,
                    context={},
                )
            else:
                record["reply_t"] = None
                events.request.fire(
                    request_type="BOT",
                    name=f"reply: webhook → send ({self.kind})",
                    response_time=timeout * 1000,
                    response_length=0,
                    exception=TimeoutError(f"no reply within {timeout:.0f} s: {self.contact}"),
                    context={},
                )
                self.script = []  # a lead left unanswered starts over as a new one

        @staticmethod
        def sends_seen(url) -> list:
            # The fake HighLevel's bench endpoint: not the app, so not a sample.
            with urllib.request.urlopen(url, timeout=40) as answer:  # noqa: S310 (loopback)
                return json.loads(answer.read())["sends"] if answer.status == 200 else []

    class DashboardReader(_Base):
        """Jorge's staff on the dashboard: a page, then the tiles and charts htmx refreshes."""

        weight = CONFIG["mix"]["dashboard"]
        wait_time = between(2, 5)

        def on_start(self):
            session = random.choice(CONFIG["sessions"])
            self.headers = {"Cookie": f"sessionid={session}"}

        @task
        def read(self):
            path, name = random.choice(DASHBOARD_PAGES)
            with self.client.get(
                path, headers=self.headers, name=name, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")

    class ApiReader(_Base):
        """An API client with its own token, reading lists and one conversation at a time."""

        weight = CONFIG["mix"]["api"]
        wait_time = between(1, 3)
        tokens = itertools.cycle(CONFIG["api_tokens"])

        def on_start(self):
            self.headers = {"Authorization": f"Bearer {next(self.tokens)}"}

        @task(5)
        def lists(self):
            path, name = random.choice(API_READS)
            self._get(path, name)

        @task(2)
        def conversation(self):
            pk = random.choice(CONFIG["conversations"])
            self._get(f"/api/v1/conversations/{pk}/messages", "api: conversation messages")

        def _get(self, path, name):
            with self.client.get(
                path, headers=self.headers, name=name, catch_response=True
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")

    class ChatVisitor(_Base):
        """A web chat visitor: a message, then polls (every 2 s, as the widget) for the answer."""

        weight = CONFIG["mix"]["chat"]
        wait_time = between(5, 15)

        def on_start(self):
            self.new_visitor()

        def new_visitor(self):
            n = next(_ids)
            # Documentation addresses (TEST-NET): only a header, each visitor its own.
            self.headers = {
                "Origin": CONFIG["http_url"],
                "X-Forwarded-For": f"198.51.{(n // 250) % 250}.{n % 250 + 1}",
            }
            self.token = ""
            self.texts = list(CHAT_TEXTS)

        @task
        def chat(self):
            if not self.texts:
                self.new_visitor()
            body = {"text": self.texts.pop(0)}
            if self.token:
                body["token"] = self.token
            started = time.time()
            with self.client.post(
                "/api/v1/chat/",
                json=body,
                headers=self.headers,
                name="chat: message",
                catch_response=True,
            ) as response:
                if response.status_code != 201:
                    response.failure(f"HTTP {response.status_code}")
                    self.texts = []
                    return
                data = response.json()
            self.token = data["token"]
            after = data["message"]["id"]
            answered = any(m["role"] == "assistant" for m in data.get("messages", []))
            deadline = started + CONFIG["reply_timeout"]
            while not answered and time.time() < deadline:
                time.sleep(2)
                with self.client.get(
                    f"/api/v1/chat/{self.token}/messages?after={after}",
                    headers={"X-Forwarded-For": self.headers["X-Forwarded-For"]},
                    name="chat: poll",
                    catch_response=True,
                ) as poll:
                    if poll.status_code != 200:
                        poll.failure(f"HTTP {poll.status_code}")
                        continue
                    answered = any(m["role"] == "assistant" for m in poll.json()["messages"])
            events.request.fire(
                request_type="BOT",
                name="chat: answer seen (2 s polls)",
                response_time=(time.time() - started) * 1000,
                response_length=0,
                exception=None if answered else TimeoutError("no chat answer"),
                context={},
            )
            if not answered:
                self.texts = []

    class SocketWatcher(_Base):
        """An open dashboard WebSocket (one of the daphnes), counting the live events."""

        weight = CONFIG["mix"]["socket"]
        wait_time = constant(0)
        urls = itertools.cycle(CONFIG["ws_urls"])

        def on_start(self):
            self.url = next(self.urls)
            self.session = random.choice(CONFIG["sessions"])
            self.ws = None

        def connect(self):
            started = time.time()
            try:
                self.ws = websocket.create_connection(
                    f"{self.url}/ws/dashboard/",
                    cookie=f"sessionid={self.session}",
                    # The page's own origin: behind one proxy the dashboard and its socket
                    # share it; here the daphne is reached directly, so its own address.
                    origin=self.url.replace("ws://", "http://", 1),
                    timeout=30,
                )
                hello = json.loads(self.ws.recv())
                error = None if hello.get("kind") == "hello" else ValueError(f"no hello: {hello}")
            except Exception as exc:  # a refused or dropped socket is a failed sample
                self.ws, error = None, exc
            events.request.fire(
                request_type="WS",
                name="websocket: connect + hello",
                response_time=(time.time() - started) * 1000,
                response_length=0,
                exception=error,
                context={},
            )
            if error is None:
                socket_events["connects"] += 1

        @task
        def listen(self):
            if self.ws is None:
                self.connect()
                if self.ws is None:
                    time.sleep(1)
                    return
            self.ws.settimeout(5)
            try:
                self.ws.recv()
                socket_events["received"] += 1
            except websocket.WebSocketTimeoutException:
                pass
            except (websocket.WebSocketException, OSError):
                socket_events["drops"] += 1
                self.ws = None

        def on_stop(self):
            if self.ws is not None:
                self.ws.close()

else:

    def _call_delivery() -> tuple[bytes, dict]:
        # A call recorded for the humans: stored and processed like any message, with no
        # bot turn and no HighLevel request (the profile measures those).
        payload = inbound_payload(
            contact=f"{RUN}-ack-{next(_ids) % 500}", text="", message_type="CALL"
        )
        payload.update({"callDuration": 30, "callStatus": "completed", "status": "completed"})
        return signed(payload)

    # Signed before the clock starts: the client's signing is not what is measured.
    DELIVERIES = [_call_delivery() for _ in range(CONFIG.get("presigned", 0))]

    class Saturate(_Base):
        """Closed loop, no think time: the bare view, or the webhook with a fresh delivery."""

        wait_time = constant(0)

        @task
        def post(self):
            if PHASE == "bare":
                body = CONFIG["bare_body"].encode()
                headers = {"Content-Type": "application/json"}
                path, name = "/bench/bare/", "bare Django view (POST)"
            else:
                body, headers = DELIVERIES.pop() if DELIVERIES else _call_delivery()
                path, name = "/webhooks/ghl/", "webhook ack (POST)"
            with self.client.post(
                path, data=body, headers=headers, name=name, catch_response=True
            ) as r:
                if r.status_code != 200:
                    r.failure(f"HTTP {r.status_code}")
