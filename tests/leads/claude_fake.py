"""A fake Anthropic Messages API at the SDK's HTTP transport, shared by the Claude tests."""

import json

import httpx2

from leads.intelligence import claude


class FakeAnthropic:
    """The Messages API at the transport: records requests, answers from a script."""

    def __init__(self):
        self.requests: list[httpx2.Request] = []
        self.script: list = []

    def answer(self, *items):
        self.script.extend(items)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        return item

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


def tool_answer(
    name,
    tool_input,
    *,
    model="claude-sonnet-4-6",
    input_tokens=900,
    output_tokens=60,
    cache_read=0,
    cache_write=0,
    stop_reason="tool_use",
):
    return httpx2.Response(
        200,
        json={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": tool_input}],
            "stop_reason": stop_reason,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_read_input_tokens": cache_read,
                "cache_creation_input_tokens": cache_write,
            },
        },
    )


def reply_answer(text, **kwargs):
    return tool_answer(claude.REPLY_TOOL_NAME, {"text": text}, **kwargs)


def analysis_answer(**overrides):
    data = {
        "intent": "buyer",
        "budget": {"min": None, "max": 450_000},
        "timeline": "asap",
        "pre_approved": True,
        "language": "en",
        "area": "Riverside",
        "opt_out": False,
        "reasons": ["pre-approved for 450k", "wants to move asap"],
    }
    data.update(overrides)
    return tool_answer(claude.ANALYSIS_TOOL_NAME, data, model="claude-haiku-4-5-20251001")


def error_answer(status, *, retry_after_ms="1"):
    return httpx2.Response(
        status,
        headers={"retry-after-ms": retry_after_ms},
        json={"type": "error", "error": {"type": "api_error", "message": "Internal error"}},
    )
