"""ENABLE_PROGRESSIVE_SKILLS: a reply request carries only the playbook skills its turn needs.

Claude is faked at the HTTP transport (tests/leads/claude_fake.py); what is checked is the
system prompt that leaves the process, and that the reply checks still hold.
"""

import pytest

from leads.intelligence import claude, engine, tokens
from leads.intelligence.replies import ReplyRequest
from leads.intelligence.skills import SKILLS
from tests.leads.claude_fake import reply_answer

FALLBACK = "Are you already pre-approved for a loan, or paying cash?"


def financing_request(**overrides) -> ReplyRequest:
    values = {
        "language": "en",
        "bot": "buyer",
        "goal": "buyer_ask_financing",
        "first_name": "Maria",
        "transcript": [("lead", "Hi, I want to buy in Riverside")],
        "fallback_text": FALLBACK,
    }
    values.update(overrides)
    return ReplyRequest(**values)


def sent_system(fake_claude) -> str:
    return fake_claude.bodies[-1]["system"][0]["text"]


def titles_in(system: str) -> set[str]:
    return {skill.title for skill in SKILLS if f"## Skill: {skill.title}\n" in system}


@pytest.fixture
def progressive(settings):
    settings.ENABLE_PROGRESSIVE_SKILLS = True


def test_without_the_flag_every_reply_carries_the_whole_playbook(fake_claude, settings):
    settings.ENABLE_PROGRESSIVE_SKILLS = False
    fake_claude.answer(reply_answer("So Jorge can focus on homes that fit, are you pre-approved?"))

    engine.compose_reply(financing_request())

    assert titles_in(sent_system(fake_claude)) == {skill.title for skill in SKILLS}


def test_with_the_flag_a_financing_question_carries_only_the_financing_skill(
    fake_claude, progressive
):
    fake_claude.answer(reply_answer("So Jorge can focus on homes that fit, are you pre-approved?"))

    draft = engine.compose_reply(financing_request())

    system = sent_system(fake_claude)
    assert titles_in(system) == {"financing and budget"}
    assert system.startswith(claude.REPLY_SYSTEM_PROMPT)  # the core rules always go
    assert draft.engine == "claude"


def test_with_the_flag_a_first_message_also_carries_the_greeting(fake_claude, progressive):
    fake_claude.answer(reply_answer("Hi Maria, I'm Jorge's automated assistant. Pre-approved?"))

    engine.compose_reply(financing_request(is_first_message=True))

    assert titles_in(sent_system(fake_claude)) == {"first message", "financing and budget"}


@pytest.mark.parametrize(
    ("goal", "title"),
    [
        ("seller_stall_thinking", "objection handling"),
        ("book_call", "offering a call"),
        ("buyer_ask_areas", "fair housing reminder"),
        ("seller_ask_price", "home value and the CMA"),
        ("followup_2", "follow-ups"),
        ("handoff_to_human", "handing over to Jorge"),
    ],
)
def test_with_the_flag_each_kind_of_turn_gets_its_own_skill(fake_claude, progressive, goal, title):
    fake_claude.answer(reply_answer("Of course, no rush at all."))

    engine.compose_reply(financing_request(goal=goal))

    assert titles_in(sent_system(fake_claude)) == {title}


def test_with_the_flag_two_leads_at_the_same_turn_share_a_cacheable_prompt(
    fake_claude, progressive
):
    fake_claude.answer(reply_answer("Are you pre-approved, or paying cash?"))

    engine.compose_reply(financing_request(first_name="Maria"))
    engine.compose_reply(financing_request(first_name="José", language="es", transcript=[]))

    first, second = fake_claude.bodies
    assert first["system"] == second["system"]
    assert first["tools"] == second["tools"]


def test_with_the_flag_a_reply_echoing_a_skill_rule_gets_the_template(fake_claude, progressive):
    leaked = "Never suggest a budget, a down payment, a loan type, a rate or a lender, ok?"
    fake_claude.answer(reply_answer(leaked))

    draft = engine.compose_reply(financing_request())

    assert draft.text == FALLBACK
    assert "prompt_leak" in draft.fallback_reason


def test_with_the_flag_a_reply_breaking_a_rule_left_out_of_the_prompt_is_still_refused(
    fake_claude, progressive
):
    # The booking skill is not sent with a financing question; the check in code still holds.
    fake_claude.answer(reply_answer("Great, I've booked your call with Jorge for tomorrow at 3pm!"))

    draft = engine.compose_reply(financing_request())

    assert draft.text == FALLBACK
    assert "booking_claim" in draft.fallback_reason or "appointment_time" in draft.fallback_reason


def test_a_single_skill_turn_sends_at_least_75_percent_fewer_instruction_tokens():
    request = financing_request()

    whole = tokens.count_tokens(claude.reply_system_prompt(request, progressive=False))
    progressive = tokens.count_tokens(claude.reply_system_prompt(request, progressive=True))

    assert progressive <= whole * 0.25


def test_the_token_counter_counts_long_words_as_several_tokens():
    assert tokens.count_tokens("Hi there") == 2
    assert tokens.count_tokens("pre-approval") == 4  # "pre", "-", then 8 letters: 2
    assert tokens.count_tokens("450,000") == 3
