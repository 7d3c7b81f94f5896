"""A fake Anthropic Messages API on 127.0.0.1 that takes 1–3 s per call, for load runs.

    .venv/bin/python benchmarks/fake_claude.py --port 0 [--min-seconds 1 --max-seconds 3]

``POST /v1/messages`` sleeps a uniform 1–3 s (a model's latency), then answers with the one
tool call the request forces (``tool_choice``):

- ``record_lead_analysis``: the project's offline analysis of the tagged lead messages in
  the prompt, in the tool's schema, so qualification moves as it would with the real model;
- ``reply_text``: the ``<draft_reply>`` the software decided on, unchanged, so the reply
  passes validation and every turn still answers with one message;
- any other tool (the agent mesh's summary or second opinion): a neutral, valid input.

The app reaches it through ``ANTHROPIC_BASE_URL``. Counts calls by tool; ``GET /_bench/stats``
returns them. Prints ``listening on PORT`` when ready. Only loopback.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TAG = re.compile(r"<(latest_lead_message|lead_message|draft_reply)>(.*?)</\1>", re.S)


def _tagged(prompt: str, tag: str) -> list[str]:
    return [html.unescape(text) for name, text in TAG.findall(prompt) if name == tag]


def tool_input(tool: str, prompt: str) -> dict:
    if tool == "reply_text":
        drafts = _tagged(prompt, "draft_reply")
        return {"text": drafts[-1] if drafts else "Thanks! Jorge will be in touch."}
    if tool == "record_lead_analysis":
        from leads.intelligence.offline import analyze_offline

        latest = _tagged(prompt, "latest_lead_message")
        analysis = analyze_offline(
            message=latest[-1] if latest else "", history=_tagged(prompt, "lead_message")
        )
        return {
            "intent": analysis.intent,
            "budget": {"min": analysis.budget.min, "max": analysis.budget.max},
            "timeline": analysis.timeline,
            "pre_approved": analysis.pre_approved,
            "language": analysis.language,
            "area": analysis.area[:100],
            "opt_out": analysis.opt_out,
            "reasons": [r[:200] for r in analysis.reasons[:6]],
        }
    if tool == "compliance_opinion":
        return {"violation": False, "type": "none", "reason": "Neutral wording."}
    return {"summary": "The lead asked to talk to Jorge."}


class FakeClaude(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, port: int, low: float, high: float):
        super().__init__(("127.0.0.1", port), Handler)
        self.low, self.high = low, high
        self.lock = threading.Lock()
        self.calls: Counter = Counter()
        self.busy = 0
        self.most_busy = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeClaude

    def _reply(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path == "/_bench/stats":
            with self.server.lock:
                self._reply(
                    200, {"calls": dict(self.server.calls), "most_busy": self.server.most_busy}
                )
            return
        self._reply(404, {"type": "error", "error": {"type": "not_found_error", "message": "?"}})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith("/v1/messages"):
            self._reply(
                404, {"type": "error", "error": {"type": "not_found_error", "message": "?"}}
            )
            return
        request = json.loads(raw)
        tool = (request.get("tool_choice") or {}).get("name") or request["tools"][0]["name"]
        prompt = "".join(
            part if isinstance(part, str) else part.get("text", "")
            for message in request.get("messages", [])
            for part in (
                [message["content"]] if isinstance(message["content"], str) else message["content"]
            )
        )
        with self.server.lock:
            self.server.calls[tool] += 1
            self.server.busy += 1
            self.server.most_busy = max(self.server.most_busy, self.server.busy)
        try:
            time.sleep(random.uniform(self.server.low, self.server.high))
            data = tool_input(tool, prompt)
        finally:
            with self.server.lock:
                self.server.busy -= 1
        self._reply(
            200,
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": request.get("model", "claude"),
                "content": [
                    {
                        "type": "tool_use",
                        "id": f"toolu_{uuid.uuid4().hex[:20]}",
                        "name": tool,
                        "input": data,
                    }
                ],
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": max(1, len(prompt) // 4),
                    "output_tokens": 60,
                    "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                },
            },
        )

    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=3.0)
    args = parser.parse_args()
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()  # the offline analysis reads the project's settings
    server = FakeClaude(args.port, args.min_seconds, args.max_seconds)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
