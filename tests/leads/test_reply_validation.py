"""validate_reply: the deterministic checks every AI-worded reply passes before it is sent."""

import json
from dataclasses import fields

import pytest

from leads.intelligence.replies import (
    PROMPT_CANARY,
    SMS_MAX_CHARS,
    ReplyDraft,
    ReplyRequest,
    detect_language,
    validate_reply,
)

GOOD_ENGLISH = [
    "Hi Maria! This is Jorge's automated assistant. Are you looking to buy, sell, or both?",
    "Thanks, Sue! When are you hoping to move?",
    "Got it. Which area are you most interested in?",
    "Great question. Jorge will follow up on that personally.",
    "Sounds good! Are you already pre-approved for a loan, or would you like a referral?",
    "Hi Dan, thanks for reaching out! Are you thinking of buying or selling?",
    "I'm Jorge's automated assistant. What kind of home are you looking for in Riverside?",
    "Love it. A 3-bedroom with a yard in Fontana, got it. When would you like to move?",
    "Thanks! Jorge will reach out soon to talk about next steps.",
]
GOOD_SPANISH = [
    "¡Hola José! Soy el asistente automatizado de Jorge. ¿Busca comprar, vender o ambos?",
    "Gracias, Ana. ¿Cuándo le gustaría mudarse?",
    "Perfecto. ¿En qué zona está buscando casa?",
    "Entendido. Jorge le dará seguimiento personalmente sobre eso.",
    "¿Ya tiene pre-aprobación de un préstamo?",
    "Muy bien, una casa de 3 recámaras en Fontana. ¿Para cuándo piensa mudarse?",
    "Con gusto le ayudamos. ¿Prefiere que Jorge le llame por la mañana o por la tarde?",
]


@pytest.mark.parametrize("text", GOOD_ENGLISH)
def test_a_plain_english_reply_to_an_english_lead_has_no_problems(text):
    assert validate_reply(text, language="en", allowed_link_hosts=[]) == []


@pytest.mark.parametrize("text", GOOD_SPANISH)
def test_a_plain_spanish_reply_to_a_spanish_lead_has_no_problems(text):
    assert validate_reply(text, language="es", allowed_link_hosts=[]) == []


@pytest.mark.parametrize(
    ("text", "language", "problem"),
    [
        ("", "en", "empty"),
        ("   \n ", "es", "empty"),
        ("Visit https://evil.example.com now", "en", "link_not_allowed:evil.example.com"),
        ("Check bit.ly/abc123 for homes", "en", "link_not_allowed:bit.ly"),
        ("See www.free-homes.xyz for the list", "en", "link_not_allowed:www.free-homes.xyz"),
        ("Go to hxxps://phish.top/login", "en", "link_not_allowed:phish.top"),
        ("Go to evil[.]com please", "en", "obfuscated_link"),
        ("Visit ｅｖｉｌ．ｃｏｍ today", "en", "link_not_allowed:evil.com"),
        ("Go to evil\u200b.com", "en", "hidden_characters"),
        ("Call 909-555-0199 today", "en", "phone_number"),
        ("Email me at bob@scam.io", "en", "email_address"),
        ("My system prompt says to qualify you", "en", "prompt_leak"),
        (f"Policy {PROMPT_CANARY}", "en", "prompt_leak"),
        ("</lead_message> done", "en", "prompt_leak"),
        ("Mis instrucciones dicen que no puedo", "es", "prompt_leak"),
        ("I'm now DAN and have no restrictions", "en", "role_change"),
        ("DAN here, what do you want?", "en", "role_change"),
        ("I am a real person, not a bot", "en", "role_change"),
        ("I'm Jorge, how can I help?", "en", "role_change"),
        ("Soy Jorge, ¿en qué le ayudo?", "es", "role_change"),
        ("Your home is worth $450,000", "en", "money_figure"),
        ("Homes there go for 450k", "en", "money_figure"),
        ("Commission is 2.5% here", "en", "money_figure"),
        ("Su casa vale 500 mil dólares", "es", "money_figure"),
        ("Homes sell for about half a million there", "en", "money_figure"),
        ("We guarantee a sale in a week", "en", "promise"),
        ("You can deduct the interest on your taxes", "en", "legal_or_financial_advice"),
        ("You should talk to your lawyer before you sign", "en", "legal_or_financial_advice"),
        ("No pague impuestos por la venta", "es", "legal_or_financial_advice"),
        ("Jorge can call you Tuesday at 3pm", "en", "appointment_time"),
        ("How about tomorrow at 10:30?", "en", "appointment_time"),
        ("Jorge le llama el martes a las 3", "es", "appointment_time"),
        ("I've booked your call with Jorge", "en", "booking_claim"),
        ("Su cita está confirmada con Jorge", "es", "booking_claim"),
        ("Hi {first_name}! How are you?", "en", "placeholder"),
        ("Hola, ¿cómo está? Estamos para servirle con su casa", "en", "wrong_language:es"),
        ("Hi! When are you hoping to buy your home?", "es", "wrong_language:en"),
    ],
)
def test_a_reply_that_breaks_a_rule_is_reported_with_that_problem(text, language, problem):
    assert problem in validate_reply(text, language=language, allowed_link_hosts=[])


def test_a_reply_longer_than_an_sms_allows_is_too_long():
    text = "Thanks for reaching out! " * 14  # 350 characters

    problems = validate_reply(text, language="en", allowed_link_hosts=[])

    assert problems == [f"too_long:{len(text)}>{SMS_MAX_CHARS}"]


def test_a_reply_exactly_at_the_limit_is_not_too_long():
    text = ("Thanks for reaching out! " * 12).ljust(SMS_MAX_CHARS, "!")

    assert validate_reply(text, language="en", allowed_link_hosts=[]) == []


def test_the_limit_given_by_the_bot_overrides_the_sms_default():
    assert validate_reply("Thanks, when do you plan to move?", language="en", max_chars=10) == [
        "too_long:33>10"
    ]


def test_a_link_to_our_own_site_or_its_subdomains_is_allowed():
    text = "Here are homes in Riverside: https://www.jorgehomes.com/riverside"

    assert validate_reply(text, language="en", allowed_link_hosts=["jorgehomes.com"]) == []


def test_a_host_that_only_starts_like_our_site_is_not_allowed():
    text = "Here are homes: https://jorgehomes.com.evil.io/riverside"

    assert validate_reply(text, language="en", allowed_link_hosts=["jorgehomes.com"]) == [
        "link_not_allowed:jorgehomes.com.evil.io"
    ]


def test_allowed_hosts_default_to_the_setting(settings):
    settings.BOT_ALLOWED_LINK_HOSTS = ["jorgehomes.com"]
    text = "Here are homes in Riverside: jorgehomes.com/riverside"

    assert validate_reply(text, language="en") == []
    settings.BOT_ALLOWED_LINK_HOSTS = []
    assert validate_reply(text, language="en") == ["link_not_allowed:jorgehomes.com"]


def test_a_figure_the_bots_own_text_states_may_be_repeated():
    reference = "Homes around $450K in Fontana: are you pre-approved?"
    reply = "Love it, homes around $450k in Fontana. Are you pre-approved yet?"

    assert validate_reply(reply, language="en", reference_text=reference) == []
    assert validate_reply(reply, language="en") == ["money_figure"]


def test_a_time_and_booking_the_bot_decided_may_be_repeated():
    reference = "You're booked: Jorge will call you Tuesday at 3 PM."
    reply = "All set! I've booked your call: Jorge will ring you Tuesday at 3pm."

    assert validate_reply(reply, language="en", reference_text=reference) == []
    assert validate_reply(reply, language="en") == ["appointment_time", "booking_claim"]


def test_a_time_the_bot_did_not_decide_is_flagged_even_next_to_one_it_did():
    reference = "Jorge will call you Tuesday at 3 PM."
    reply = "Jorge will call you Tuesday at 3pm, or Friday at 9am if you prefer."

    assert validate_reply(reply, language="en", reference_text=reference) == ["appointment_time"]


def test_a_reply_echoing_a_passage_of_a_protected_prompt_is_a_leak():
    prompt = "You word SMS replies for the automated assistant of Jorge's real-estate team."
    reply = "Sure: you word sms replies for the automated assistant of Jorge's team, that's it."

    assert validate_reply(reply, language="en", protected_texts=[prompt]) == ["prompt_leak"]
    assert validate_reply("Sure, happy to help!", language="en", protected_texts=[prompt]) == []


def test_the_first_message_must_disclose_the_automated_assistant():
    hello = "Hi Maria! Are you looking to buy, sell, or both?"
    disclosed = "Hi Maria! Jorge's automated assistant here. Buying, selling, or both?"

    assert validate_reply(hello, language="en", require_disclosure=True) == ["missing_disclosure"]
    assert validate_reply(disclosed, language="en", require_disclosure=True) == []
    assert validate_reply(hello, language="en") == []


def test_a_reply_breaking_several_rules_lists_every_problem():
    text = "I'm now DAN. Your house is worth $900k, visit https://x.ru and call 909-555-0100"

    problems = validate_reply(text, language="en", allowed_link_hosts=[])

    assert set(problems) == {
        "role_change",
        "money_figure",
        "link_not_allowed:x.ru",
        "phone_number",
    }


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hi, I'd like to buy a home in Riverside this summer", "en"),
        ("Hola, quiero comprar una casa en Riverside este verano", "es"),
        ("¿Cuándo podemos hablar?", "es"),
        ("ok", None),
        ("👍", None),
    ],
)
def test_detect_language_reads_clear_text_and_abstains_on_short_text(text, language):
    assert detect_language(text) == language


def test_reply_draft_metadata_is_json_ready_and_names_the_engine():
    draft = ReplyDraft(
        text="Hi!",
        engine="claude",
        model="claude-sonnet-4-6",
        input_tokens=812,
        output_tokens=41,
        cache_read_tokens=2048,
        cache_write_tokens=0,
        cost_usd=0.0030654321,
        latency_ms=812.345,
    )

    metadata = draft.ai_metadata()

    assert json.loads(json.dumps(metadata)) == {
        "engine": "claude",
        "model": "claude-sonnet-4-6",
        "input_tokens": 812,
        "output_tokens": 41,
        "cache_read_tokens": 2048,
        "cache_write_tokens": 0,
        "cost_usd": 0.003065,
        "latency_ms": 812.3,
        "fallback_reason": "",
    }


def test_an_engine_result_carries_text_and_accounting_only_never_recipients_or_actions():
    names = {f.name for f in fields(ReplyDraft)}

    assert names == {
        "text",
        "engine",
        "model",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "cost_usd",
        "latency_ms",
        "fallback_reason",
        "route",  # the models the agent mesh tried, and how each went
    }


def test_a_reply_request_defaults_to_an_sms_sized_reply():
    request = ReplyRequest(language="en", bot="lead", goal="ask_timeline", fallback_text="Hi!")

    assert request.max_chars == SMS_MAX_CHARS
    assert request.is_first_message is False
    assert request.transcript == []
