"""Prompt tokens per reply, with and without ENABLE_PROGRESSIVE_SKILLS, over the seeded conversations.

    python benchmarks/prompt_tokens.py [--conversations 300]

Seeds the demo data (``seed_demo``) into a throw-away SQLite file, which plays the live demo
leads through the real webhooks and bots, then plays every seeded conversation's lead
messages again, as new leads, through the same path. Every reply the bots ask an engine to
word is captured (the ``ReplyRequest``) and its instruction prefix is built both ways: the
system prompt (core rules plus the whole playbook, or plus only the turn's skills) and the
reply tool's definition. Both are counted with one tokenizer, ``approx-bpe-v1``
(leads/intelligence/tokens.py), and with the four-characters-per-token rule as a cross-check.
The lead-specific user message (draft, facts, transcript) is the same either way; its size
is printed so the whole request's saving can be read too. No request leaves the process:
the offline engine words every reply (no Anthropic key).

The bare Django view baseline the other benchmarks time is timed here as well, with the
prompt assembly, so the cost of choosing skills per turn is visible.
"""

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _timing import lead_timezone, summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "true"  # seed_demo refuses to run with DEBUG off
os.environ.pop("REDIS_URL", None)  # in-process tasks: each delivery runs the whole turn
os.environ["ANTHROPIC_API_KEY"] = ""
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ["LOG_LEVEL"] = "ERROR"
os.environ["ALLOWED_HOSTS"] = "testserver"
# The replayed leads have no phone: their quiet hours are DEFAULT_TIMEZONE's; pick daytime.
os.environ["DEFAULT_TIMEZONE"] = lead_timezone("auto")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from leads.intelligence import claude, engine, tokens  # noqa: E402
from leads.intelligence.skills import skills_for  # noqa: E402
from leads.models import Conversation, Message, WebhookEvent  # noqa: E402
from leads.services import pipeline  # noqa: E402
from leads.services.inbound import store_webhook_event  # noqa: E402

CAPTURED = []


def _capture(request):
    CAPTURED.append(request)
    return engine.compose_reply(request)


def _deliver(webhook_id: str, payload: dict) -> None:
    body = json.dumps(payload).encode()
    store_webhook_event(
        source=WebhookEvent.Source.GHL,
        body=body,
        payload=payload,
        headers={"content-type": "application/json"},
        signature_scheme="demo",
        event_type=payload["type"],
        location_id=payload["locationId"],
        webhook_id=webhook_id,
        known_event=True,
    )


def _replay_seeded(limit: int) -> int:
    """Each seeded conversation's lead messages, texted again by a new lead (the bots answer)."""
    conversations = Conversation.objects.filter(ghl_conversation_id__startswith="demo-conv-")
    played = 0
    for conversation in conversations.order_by("pk")[:limit]:
        texts = list(
            Message.objects.filter(conversation=conversation, direction=Message.Direction.INBOUND)
            .order_by("sent_at")
            .values_list("body", flat=True)
        )
        key = f"bench-{conversation.pk}"
        for n, text in enumerate(texts, start=1):
            _deliver(
                f"{key}-{n}",
                {
                    "type": "InboundMessage",
                    "locationId": settings.GHL_LOCATION_ID,
                    "contactId": key,
                    "conversationId": f"{key}-conv",
                    "messageId": f"{key}-msg-{n}",
                    "body": text,
                    "direction": "inbound",
                    "messageType": "SMS",
                    "dateAdded": timezone.now().isoformat(),
                },
            )
        played += 1
    return played


def _prefix(request, *, progressive: bool) -> str:
    return claude.reply_system_prompt(request, progressive=progressive) + json.dumps(
        claude.REPLY_TOOL
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    pipeline.compose_reply = _capture  # every reply the bots ask for, as the pipeline builds it
    started = time.perf_counter()
    call_command("seed_demo", allow_production=True, verbosity=0, stdout=io.StringIO())
    live = len(CAPTURED)
    celery_app.conf.task_always_eager = True
    replayed = _replay_seeded(args.conversations)
    played_s = time.perf_counter() - started

    by_stage = defaultdict(
        lambda: [0, 0, 0, 0, 0]
    )  # turns, full, progressive, full chars, prog chars
    user_tokens = 0
    assembly = []
    for request in CAPTURED:
        skills = "+".join(
            s.name for s in skills_for(goal=request.goal, is_first_message=request.is_first_message)
        )
        full = _prefix(request, progressive=False)
        t0 = time.perf_counter()
        progressive = _prefix(request, progressive=True)
        assembly.append(time.perf_counter() - t0)
        row = by_stage[skills or "(core only)"]
        row[0] += 1
        row[1] += tokens.count_tokens(full)
        row[2] += tokens.count_tokens(progressive)
        row[3] += len(full)
        row[4] += len(progressive)
        user_tokens += tokens.count_tokens(claude._reply_prompt(request))

    client = Client()
    for _ in range(20):
        client.get("/healthz")
    baseline = []
    for _ in range(200):
        t0 = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        baseline.append(time.perf_counter() - t0)

    print(
        f"machine: {platform.node()} · {platform.platform()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )
    print(f"tokenizer: {tokens.NAME} (leads/intelligence/tokens.py), cross-check: characters / 4")
    print(
        f"replies captured: {len(CAPTURED)} ({live} from seed_demo's live leads, the rest from "
        f"{replayed} seeded conversations replayed) in {played_s:.0f} s"
    )
    print(
        f"{'skills sent (by the turn goal)':34} {'turns':>6} {'whole':>7} {'skills':>7} {'saved':>7}"
    )
    totals = [0, 0, 0, 0, 0]
    for name, row in sorted(by_stage.items(), key=lambda item: -item[1][0]):
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(
            f"{name:34} {row[0]:>6} {row[1] / row[0]:>7.0f} {row[2] / row[0]:>7.0f} "
            f"{1 - row[2] / row[1]:>7.1%}"
        )
    turns, full, prog, full_chars, prog_chars = totals
    print(
        f"{'total (tokens per reply, mean)':34} {turns:>6} {full / turns:>7.0f} {prog / turns:>7.0f} "
        f"{1 - prog / full:>7.1%}"
    )
    print(
        f"instruction tokens over all replies: whole playbook {full:,} · progressive {prog:,} · "
        f"reduction {1 - prog / full:.1%} ({tokens.NAME}); "
        f"{1 - prog_chars / full_chars:.1%} by characters / 4"
    )
    print(
        f"with the lead-specific user message ({user_tokens / turns:.0f} tokens per reply, the "
        f"same both ways): whole request {1 - (prog + user_tokens) / (full + user_tokens):.1%} "
        "fewer input tokens"
    )
    rows = [summary("bare Django view (/healthz)", baseline)]
    rows.append(summary("assemble the progressive prompt", assembly))
    print(f"{'measure':42} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for row in rows:
        print(
            f"{row['name']:42} {row['n']:>5} {row['p50']:>8.3f} {row['p95']:>8.3f} {row['mean']:>8.3f}"
        )
    if not CAPTURED:
        sys.exit("no reply was captured")


if __name__ == "__main__":
    main()
