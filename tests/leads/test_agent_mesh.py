"""ENABLE_AGENT_MESH: each AI task routed to a model, health per model, circuit breakers, and
fallback to the next model and then to the offline engine. Claude is faked at the HTTP
transport; the fake answers per model, so a model can be down while another is up."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from leads.intelligence import engine, mesh
from leads.intelligence.replies import ReplyRequest
from leads.models import Conversation
from tests.leads.claude_fake import analysis_answer, error_answer, reply_answer
from tests.leads.factories import ContactFactory, receive_sms

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"
FALLBACK = "Thanks! When are you hoping to move?"


def reply_request() -> ReplyRequest:
    return ReplyRequest(
        language="en",
        bot="lead",
        goal="ask_timeline",
        first_name="Maria",
        transcript=[("lead", "Buying, in Riverside")],
        fallback_text=FALLBACK,
    )


class Models:
    """Answers each request by the model it names: a reply or analysis, or an error."""

    def __init__(self, fake_claude):
        self.fake = fake_claude
        self.down: set[str] = set()
        fake_claude.answer(self.answer)

    def answer(self, request):
        body = json.loads(request.content)
        model = body["model"]
        if model in self.down:
            return error_answer(529)
        if body["tools"][0]["name"] == "reply_text":
            return reply_answer("Thanks Maria! When are you hoping to move?", model=model)
        # A buyer who has said nothing else yet: the bot asks its next question.
        return analysis_answer(
            budget={"min": None, "max": None}, timeline="unknown", pre_approved=None
        )

    @property
    def asked(self) -> list[str]:
        return [body["model"] for body in self.fake.bodies]


@pytest.fixture
def models(fake_claude, settings):
    settings.ENABLE_AGENT_MESH = True
    settings.ANTHROPIC_MAX_RETRIES = 0  # the SDK's own retry is another test's subject
    settings.AGENT_MESH_BREAKER_FAILURES = 3
    settings.AGENT_MESH_BREAKER_COOLDOWN_SECONDS = 60
    return Models(fake_claude)


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(mesh, "clock", lambda: now["t"])
    return now


def test_extraction_goes_to_the_cheapest_model_and_replies_to_the_reply_model(models):
    engine.analyze_lead(message="Pre-approved for 450k, buying in Riverside asap")
    draft = engine.compose_reply(reply_request())

    assert models.asked == [HAIKU, SONNET]
    assert draft.engine == "claude"
    assert draft.ai_metadata()["route"] == {
        "task": "reply",
        "tried": [{"model": SONNET, "outcome": "ok"}],
        "model": SONNET,
    }


def test_a_model_that_is_down_is_passed_over_for_the_next(models):
    models.down = {SONNET}

    draft = engine.compose_reply(reply_request())

    assert models.asked == [SONNET, HAIKU]
    assert draft.engine == "claude"
    assert draft.model == HAIKU
    assert [t["outcome"] for t in draft.route["tried"]] == ["api_error:529", "ok"]


def test_after_three_failures_the_breaker_opens_and_the_model_is_not_asked(models, clock):
    models.down = {SONNET}
    for _ in range(3):
        engine.compose_reply(reply_request())
    models.fake.requests.clear()

    draft = engine.compose_reply(reply_request())

    assert models.asked == [HAIKU]
    assert draft.route["tried"][0] == {"model": SONNET, "outcome": "circuit_open"}
    assert mesh.health(SONNET).breaker == "open"


def test_after_the_cool_down_one_trial_call_closes_the_breaker(models, clock):
    models.down = {SONNET}
    for _ in range(3):
        engine.compose_reply(reply_request())
    models.down = set()
    clock["t"] += 61
    models.fake.requests.clear()

    draft = engine.compose_reply(reply_request())

    assert models.asked == [SONNET]
    assert draft.model == SONNET
    assert mesh.health(SONNET).breaker == "closed"


def test_a_failed_trial_call_opens_the_breaker_again(models, clock):
    models.down = {SONNET}
    for _ in range(3):
        engine.compose_reply(reply_request())
    clock["t"] += 61

    engine.compose_reply(reply_request())  # the trial fails: haiku answers

    assert mesh.health(SONNET).breaker == "open"


def test_every_model_down_sends_the_template_from_the_offline_engine(models):
    models.down = {SONNET, HAIKU}

    draft = engine.compose_reply(reply_request())
    analysis = engine.analyze_lead(message="Pre-approved for 450k, buying in Riverside asap")

    assert draft.text == FALLBACK
    assert draft.engine == "offline"
    assert draft.fallback_reason == "api_error:529"
    assert [t["model"] for t in draft.route["tried"]] == [SONNET, HAIKU]
    assert analysis.engine == "offline"


def test_health_counts_calls_errors_and_latency_per_model(models):
    models.down = {SONNET}

    engine.compose_reply(reply_request())
    engine.compose_reply(reply_request())

    sonnet, haiku = mesh.health(SONNET), mesh.health(HAIKU)
    assert (sonnet.calls, sonnet.errors, sonnet.error_rate) == (2, 2, 1.0)
    assert (haiku.calls, haiku.errors) == (2, 0)
    assert haiku.mean_latency_ms is not None


def test_a_model_slower_than_the_latency_budget_is_tried_last(models, settings):
    settings.AGENT_MESH_LATENCY_BUDGET_MS = 500
    mesh.record_call(SONNET, ok=True, latency_ms=9_000)

    draft = engine.compose_reply(reply_request())

    assert models.asked == [HAIKU]
    assert draft.model == HAIKU


def test_without_the_flag_there_is_no_routing(models, settings):
    settings.ENABLE_AGENT_MESH = False
    models.down = {SONNET}

    draft = engine.compose_reply(reply_request())

    assert models.asked == [SONNET]
    assert draft.engine == "offline"
    assert "route" not in draft.ai_metadata()


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 6, 10, 17, 0, tzinfo=UTC), tick=False)  # 10:00 in Riverside
def test_a_conversation_records_what_its_analysis_and_reply_cost(
    models, django_capture_on_commit_callbacks
):
    ContactFactory(
        ghl_contact_id="c-1", phone="+19095550100", timezone="America/Los_Angeles", language="en"
    )

    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-1", "Hi, I want to buy a house in Riverside", conversation_id="cv")

    conversation = Conversation.objects.get(ghl_conversation_id="cv")
    reply = conversation.messages.get(direction="outbound")
    # Haiku: 900 input at $1 + 60 output at $5 per MTok; Sonnet: 900 at $3 + 60 at $15.
    assert conversation.ai_cost_usd == Decimal("0.001200") + Decimal("0.003600")
    assert reply.ai_metadata["route"]["model"] == SONNET
