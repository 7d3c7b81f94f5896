"""ENABLE_AGENT_MESH's other two tasks: the hand-over summary of an escalated conversation and
the compliance second opinion on a bot reply. Claude is faked at the HTTP transport, per
model and per tool, so one model can be down while another is up."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from compliance.models import AuditEvent, ComplianceTicket
from leads.intelligence import claude, engine, mesh
from leads.intelligence.summaries import SummaryRequest
from leads.models import Conversation, EscalationTicket, Message
from leads.services.escalation import escalate_to_human
from leads.services.summaries import conversation_summary, write_handover_summary
from tests.leads.claude_fake import analysis_answer, error_answer, reply_answer, tool_answer
from tests.leads.factories import (
    ContactFactory,
    ConversationFactory,
    EscalationTicketFactory,
    MessageFactory,
    bot_texts,
    receive_sms,
)

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"
SUMMARY = "Buyer in Riverside, pre-approved for about 450k, wants to move within a month."
# First replies: each says who writes (validate_reply's disclosure rule) and asks one question.
STEERING = (
    "Hi! This is Jorge's automated assistant. The east side neighborhood would suit you "
    "better, the people there are more your crowd. Are you pre-approved yet?"
)
CLEAN_TOPIC = (
    "Hi! This is Jorge's automated assistant. Jorge can share public school ratings for any "
    "neighborhood. Are you pre-approved yet?"
)
PLAIN = "Hi! This is Jorge's automated assistant. Are you pre-approved yet?"


class Models:
    """Answers each request by its model and tool: down models answer 529."""

    def __init__(self, fake_claude):
        self.fake = fake_claude
        self.down: set[str] = set()
        self.opinion_down: set[str] = set()  # down for the second opinion only
        self.summary = SUMMARY
        self.reply = PLAIN
        self.opinion = {"violation": False, "type": "none", "reason": "Neutral public sources."}
        fake_claude.answer(self.answer)

    def answer(self, request):
        body = json.loads(request.content)
        model, tool = body["model"], body["tools"][0]["name"]
        if model in self.down:
            return error_answer(529)
        if tool == claude.SUMMARY_TOOL_NAME:
            return tool_answer(tool, {"text": self.summary}, model=model)
        if tool == claude.SECOND_OPINION_TOOL_NAME:
            if model in self.opinion_down:
                return error_answer(529)
            return tool_answer(tool, self.opinion, model=model, input_tokens=500, output_tokens=40)
        if tool == claude.REPLY_TOOL_NAME:
            return reply_answer(self.reply, model=model)
        return analysis_answer(
            budget={"min": None, "max": None}, timeline="unknown", pre_approved=None
        )

    def asked(self, tool: str) -> list[str]:
        return [b["model"] for b in self.fake.bodies if b["tools"][0]["name"] == tool]


@pytest.fixture
def models(fake_claude, settings):
    settings.ENABLE_AGENT_MESH = True
    settings.ANTHROPIC_MAX_RETRIES = 0
    settings.AGENT_MESH_BREAKER_FAILURES = 3
    settings.AGENT_MESH_BREAKER_COOLDOWN_SECONDS = 60
    return Models(fake_claude)


# --- The hand-over summary -------------------------------------------------------------------


def _escalated_conversation(django_capture_on_commit_callbacks) -> EscalationTicket:
    conversation = ConversationFactory(
        contact__intent="buyer", contact__area="Riverside", contact__budget_max=450_000
    )
    MessageFactory(conversation=conversation, body="Pre-approved for 450k, Riverside, asap")
    MessageFactory(conversation=conversation, body="Can I talk to Jorge himself?")
    with django_capture_on_commit_callbacks(execute=True):
        return escalate_to_human(
            conversation=conversation, reason="asked_for_person", summary="asked for Jorge"
        )


@pytest.mark.django_db
def test_a_new_ticket_gets_a_summary_from_the_cheapest_model_and_its_cost(
    models, django_capture_on_commit_callbacks
):
    ticket = _escalated_conversation(django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    assert models.asked(claude.SUMMARY_TOOL_NAME) == [HAIKU]
    assert ticket.handover_summary == SUMMARY
    assert ticket.summary == "asked for Jorge"  # the one-line reason is untouched
    assert ticket.context["handover_summary"]["engine"] == "claude"
    # Haiku: 900 input tokens at $1 + 60 output at $5 per million.
    assert Conversation.objects.get(pk=ticket.conversation_id).ai_cost_usd == Decimal("0.001200")
    assert conversation_summary(conversation=ticket.conversation) == SUMMARY


@pytest.mark.django_db
def test_the_summary_falls_back_to_the_next_model_then_to_the_rules(
    models, django_capture_on_commit_callbacks
):
    models.down = {HAIKU}
    ticket = _escalated_conversation(django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert models.asked(claude.SUMMARY_TOOL_NAME) == [HAIKU, SONNET]
    assert ticket.handover_summary == SUMMARY

    models.down = {HAIKU, SONNET}
    other = _escalated_conversation(django_capture_on_commit_callbacks)
    other.refresh_from_db()
    assert other.handover_summary.startswith("Buyer, budget up to $450,000")
    assert "needs a person: asked for Jorge" in other.handover_summary
    assert other.context["handover_summary"]["fallback_reason"] == "api_error:529"


@pytest.mark.django_db
def test_an_open_breaker_skips_the_model_for_summaries(models, django_capture_on_commit_callbacks):
    models.down = {HAIKU}
    for _ in range(3):
        engine.summarize_conversation(SummaryRequest(reason="", facts={}, transcript=[]))
    models.fake.requests.clear()

    summary = engine.summarize_conversation(SummaryRequest(reason="", facts={}, transcript=[]))

    assert models.asked(claude.SUMMARY_TOOL_NAME) == [SONNET]
    assert summary.route["tried"][0] == {"model": HAIKU, "outcome": "circuit_open"}
    assert mesh.health(HAIKU).breaker == "open"


@pytest.mark.django_db
def test_a_summary_with_sensitive_data_or_breaking_a_rule_is_not_used(models):
    request = SummaryRequest(reason="asked for Jorge", facts={"intent": "buyer"}, transcript=[])
    models.summary = "Buyer; sent SSN 123-45-6789 for the pre-approval."

    with_ssn = engine.summarize_conversation(request)

    assert "123-45-6789" not in with_ssn.text
    assert with_ssn.engine == "offline"
    assert with_ssn.fallback_reason == "invalid_summary:privacy:ssn"

    models.summary = "Buyer, would fit in best in a neighborhood with young couples like him."
    refused = engine.summarize_conversation(request)

    assert refused.engine == "offline"
    assert refused.fallback_reason.startswith("invalid_summary:fair_housing")
    assert refused.text == "Buyer. 0 messages from the lead; needs a person: asked for Jorge."
    assert refused.cost_usd > 0  # the call was paid for even though its text is not used


@pytest.mark.django_db
def test_a_summary_longer_than_the_bound_is_not_used(models):
    models.summary = "x" * (claude.MAX_SUMMARY_CHARS + 1)

    summary = engine.summarize_conversation(SummaryRequest(reason="", facts={}, transcript=[]))

    assert summary.engine == "offline"
    assert summary.fallback_reason == "invalid_output:text"


@pytest.mark.django_db
def test_without_the_flag_or_a_key_no_model_writes_summaries(
    models, settings, django_capture_on_commit_callbacks
):
    settings.ENABLE_AGENT_MESH = False
    ticket = _escalated_conversation(django_capture_on_commit_callbacks)
    ticket.refresh_from_db()
    assert ticket.handover_summary == ""
    assert models.fake.requests == []
    # What is shown instead is the rule-based summary.
    assert conversation_summary(conversation=ticket.conversation).startswith("Buyer")

    settings.ENABLE_AGENT_MESH, settings.ANTHROPIC_API_KEY = True, ""
    assert write_handover_summary(ticket_id=EscalationTicketFactory().pk) == "offline"
    assert models.fake.requests == []


# --- The compliance second opinion -----------------------------------------------------------


def _turn(django_capture_on_commit_callbacks) -> Conversation:
    ContactFactory(
        ghl_contact_id="c-1", phone="+19095550100", timezone="America/Los_Angeles", language="en"
    )
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-1", "Hi, I want to buy a house in Riverside", conversation_id="cv")
    return Conversation.objects.get(ghl_conversation_id="cv")


TEN_AM = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in Riverside


@pytest.mark.django_db
@time_machine.travel(TEN_AM, tick=False)
def test_a_yes_blocks_a_reply_the_rules_passed_and_opens_a_compliance_ticket(
    models, django_capture_on_commit_callbacks
):
    models.reply = STEERING
    models.opinion = {
        "violation": True,
        "type": "fair_housing",
        "reason": "Steers the lead to an area by who lives there.",
    }

    conversation = _turn(django_capture_on_commit_callbacks)

    assert models.asked(claude.SECOND_OPINION_TOOL_NAME) == [HAIKU]
    assert STEERING not in bot_texts()
    blocked = conversation.messages.get(status=Message.Status.BLOCKED)
    assert blocked.body == STEERING
    assert blocked.ai_metadata["second_opinion"]["violation"] is True
    ticket = ComplianceTicket.objects.get(conversation=conversation)
    assert (ticket.type, ticket.category) == ("fair_housing", "second_opinion")
    assert "Steers the lead to an area by who lives there." in ticket.evidence
    audit = AuditEvent.objects.get(action="guard.outbound")
    assert audit.data["problems"] == [
        "second_opinion: fair_housing: Steers the lead to an area by who lives there."
    ]
    # Reply (Sonnet 900/60) + analysis (Haiku 900/60) + opinion (Haiku 500 at $1, 40 at $5).
    assert conversation.ai_cost_usd == Decimal("0.003600") + Decimal("0.001200") + Decimal(
        "0.000700"
    )


@pytest.mark.django_db
@time_machine.travel(TEN_AM, tick=False)
def test_a_no_lets_a_reply_on_a_sensitive_topic_through(models, django_capture_on_commit_callbacks):
    models.reply = CLEAN_TOPIC

    conversation = _turn(django_capture_on_commit_callbacks)

    assert models.asked(claude.SECOND_OPINION_TOOL_NAME) == [HAIKU]
    assert CLEAN_TOPIC in bot_texts()
    reply = conversation.messages.get(direction="outbound")
    assert reply.ai_metadata["second_opinion"]["violation"] is False
    assert not ComplianceTicket.objects.exists()


@pytest.mark.django_db
@time_machine.travel(TEN_AM, tick=False)
def test_a_reply_on_no_sensitive_topic_is_not_shown_to_a_model(
    models, django_capture_on_commit_callbacks
):
    conversation = _turn(django_capture_on_commit_callbacks)

    assert models.asked(claude.SECOND_OPINION_TOOL_NAME) == []
    assert "second_opinion" not in conversation.messages.get(direction="outbound").ai_metadata


@pytest.mark.django_db
@time_machine.travel(TEN_AM, tick=False)
def test_with_every_model_down_the_rules_alone_decide_and_the_reply_goes(
    models, django_capture_on_commit_callbacks
):
    models.reply = STEERING  # the rules pass it; no model is up to say otherwise
    models.opinion_down = {HAIKU, SONNET}

    conversation = _turn(django_capture_on_commit_callbacks)

    assert models.asked(claude.SECOND_OPINION_TOOL_NAME) == [HAIKU, SONNET]
    assert STEERING in bot_texts()
    opinion = conversation.messages.get(direction="outbound").ai_metadata["second_opinion"]
    assert (opinion["violation"], opinion["fallback_reason"]) == (False, "api_error:529")
    assert [t["model"] for t in opinion["route"]["tried"]] == [HAIKU, SONNET]
    assert not ComplianceTicket.objects.exists()


@pytest.mark.django_db
def test_an_open_breaker_passes_the_second_opinion_to_the_next_model(models):
    models.down = {HAIKU}
    for _ in range(3):
        engine.second_opinion(text=CLEAN_TOPIC, language="en")
    models.fake.requests.clear()

    opinion = engine.second_opinion(text=CLEAN_TOPIC, language="en")

    assert models.asked(claude.SECOND_OPINION_TOOL_NAME) == [SONNET]
    assert opinion.model == SONNET
    assert opinion.route["tried"][0] == {"model": HAIKU, "outcome": "circuit_open"}


@pytest.mark.django_db
def test_an_answer_that_does_not_validate_leaves_the_rules_alone(models):
    models.opinion = {"violation": True, "type": "none", "reason": "?"}

    opinion = engine.second_opinion(text=STEERING, language="en")

    assert opinion.violation is False
    assert opinion.fallback_reason == "invalid_output:type"


@pytest.mark.django_db
@time_machine.travel(TEN_AM, tick=False)
def test_without_the_flag_no_second_opinion_is_asked_and_the_reply_goes(
    models, settings, django_capture_on_commit_callbacks
):
    settings.ENABLE_AGENT_MESH = False
    models.reply = STEERING

    _turn(django_capture_on_commit_callbacks)

    assert models.asked(claude.SECOND_OPINION_TOOL_NAME) == []
    assert STEERING in bot_texts()
