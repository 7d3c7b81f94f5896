"""Stall detection in English and Spanish, and the strategy each stall calls for."""

import pytest

from sellers.stalls import MAX_STALLS, STRATEGIES, detect_stall, stall_of_kind

STALLS = [
    ("let me think about it", "thinking"),
    ("I'll think about it and get back to you", "thinking"),
    ("need to sleep on it", "thinking"),
    ("déjame pensarlo", "thinking"),
    ("lo voy a pensar", "thinking"),
    ("just curious", "just_curious"),
    ("Just curious what it's worth", "just_curious"),
    ("solo estoy viendo", "just_curious"),
    ("nomás por curiosidad", "just_curious"),
    ("not now", "not_now"),
    ("not right now thanks", "not_now"),
    ("maybe later", "not_now"),
    ("ahorita no", "not_now"),
    ("más adelante", "not_now"),
    ("I need to talk to my spouse", "spouse"),
    ("let me talk it over with my wife", "spouse"),
    ("I have to check with my husband first", "spouse"),
    ("tengo que hablarlo con mi esposa", "spouse"),
    ("déjame consultarlo con mi esposo", "spouse"),
    ("how did you get my number?", "how_got_number"),
    ("Who gave you my number", "how_got_number"),
    ("who is this?", "how_got_number"),
    ("¿cómo consiguió mi número?", "how_got_number"),
    ("¿De dónde sacaron mi número?", "how_got_number"),
    ("not interested", "not_interested"),
    ("I don't want to sell", "not_interested"),
    ("no me interesa", "not_interested"),
    ("ya no quiero vender", "not_interested"),
]

NOT_STALLS = [
    "1234 Magnolia Ave, Riverside",
    "We're relocating to Texas",
    "within 2 months",
    "sure, go ahead",
    "I want to sell later this year",
    "I don't want to sell for less than 600k",
    "no quiero venderla por menos de 600 mil",
    "nos mudamos en 3 meses",
    "it needs some work",
]


@pytest.mark.parametrize(("text", "kind"), STALLS)
def test_stalls_are_recognised_in_both_languages(text, kind):
    stall = detect_stall(text)

    assert stall is not None and stall.kind == kind
    assert stall.strategy == STRATEGIES[kind]


@pytest.mark.parametrize("text", NOT_STALLS)
def test_answers_are_not_stalls(text):
    assert detect_stall(text) is None


def test_each_stall_has_its_strategy():
    assert STRATEGIES == {
        "how_got_number": "hand_to_agent",
        "not_interested": "follow_up_later",
        "spouse": "offer_cma",
        "not_now": "follow_up_later",
        "thinking": "offer_cma",
        "just_curious": "offer_cma",
        "evasive": "offer_cma",
        "declined": "follow_up_later",
    }
    assert stall_of_kind("evasive").strategy == "offer_cma"
    assert MAX_STALLS == 3
