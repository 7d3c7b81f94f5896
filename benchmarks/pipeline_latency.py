"""Pipeline latency: a signed InboundMessage webhook received → the reply sent, offline engine.

    python benchmarks/pipeline_latency.py [--leads 200]

Runs on the embedded default (a throw-away SQLite file, tasks in-process), so one POST
covers the whole path: signature check, storing the event, processing it, the bot
pipeline (analysis, guards, the lead bot, the sending rules) and the send through the
HighLevel client into the outbox. Set DATABASE_URL to measure on PostgreSQL instead.
A bare Django view (/healthz) through the same client is the baseline, so the ratio
stays fair on a noisy machine.
"""

import argparse
import base64
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _timing import LEAD_TEXTS, lead_timezone, summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402

KEY = ed25519.Ed25519PrivateKey.generate()
os.environ["GHL_WEBHOOK_ED25519_PUBLIC_KEY"] = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.pop("REDIS_URL", None)  # in-process tasks: the POST covers the whole pipeline
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["GHL_WEBHOOK_LOCATION_IDS"] = "bench"  # the payloads' location: applied, not ignored
# New leads have no phone: their quiet hours are DEFAULT_TIMEZONE's, so pick one where it is day.
os.environ.setdefault("DEFAULT_TIMEZONE", lead_timezone("auto"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from leads.models import Message, OutboxMessage  # noqa: E402

TEXTS = LEAD_TEXTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    client = Client()
    for _ in range(20):  # warm-up: imports, caches, connections
        client.get("/healthz")

    baseline = []
    for _ in range(args.leads):
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        baseline.append(time.perf_counter() - started)

    pipeline, replied = [], 0
    run = int(time.time())
    for n in range(args.leads):
        payload = {
            "type": "InboundMessage",
            "locationId": "bench",
            "contactId": f"bench-{run}-{n}",
            "conversationId": f"bench-conv-{run}-{n}",
            "messageId": f"bench-msg-{run}-{n}",
            "webhookId": f"bench-wh-{run}-{n}",
            "body": TEXTS[n % len(TEXTS)],
            "direction": "inbound",
            "messageType": "SMS",
            "dateAdded": datetime.now(UTC).isoformat(),
        }
        body = json.dumps(payload).encode()
        signature = base64.b64encode(KEY.sign(body)).decode()
        started = time.perf_counter()
        response = client.post(
            "/webhooks/ghl/",
            data=body,
            content_type="application/json",
            HTTP_X_GHL_SIGNATURE=signature,
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content
        pipeline.append(elapsed)
        replied += Message.objects.filter(
            conversation__ghl_conversation_id=payload["conversationId"],
            direction="outbound",
            status="sent",
        ).exists()

    sent = OutboxMessage.objects.filter(
        operation="send_message", ghl_contact_id__startswith=f"bench-{run}-"
    ).count()
    rows = [
        summary("bare Django view (/healthz)", baseline),
        summary("webhook → reply sent (offline engine)", pipeline),
    ]
    print(
        f"machine: {platform.node()} · {platform.platform()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    )
    print(
        f"database: {django.db.connection.vendor} · leads: {args.leads} · replies sent: {replied} · outbox sends: {sent}"
    )
    print(f"{'measure':42} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for row in rows:
        print(
            f"{row['name']:42} {row['n']:>5} {row['p50']:>8.2f} {row['p95']:>8.2f} {row['mean']:>8.2f}"
        )
    print(
        f"ratio p50: {rows[1]['p50'] / rows[0]['p50']:.1f}x · ratio p95: {rows[1]['p95'] / rows[0]['p95']:.1f}x"
    )
    if replied != args.leads:
        sys.exit(f"only {replied} of {args.leads} leads got a reply")


if __name__ == "__main__":
    main()
