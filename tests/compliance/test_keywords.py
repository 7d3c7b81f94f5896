"""Opt-out, opt-in and HELP keywords of inbound SMS (compliance.rules.keywords)."""

import pytest

from compliance.rules.keywords import classify_keyword, match_keyword

STANDARD_OPT_OUTS = [
    "STOP",
    "stop",
    "Stop!",
    " stop. ",
    "STOP 🛑",
    "STOPALL",
    "Stop all",
    "UNSUBSCRIBE",
    "Cancel",
    "END",
    "quit",
    "Revoke",
    "OPTOUT",
    "opt out",
    "Opt-Out",
    "OPT OUT!!!",
    "ALTO",
    "¡Alto!",
    "PARAR",
    "Cancelar.",
    "stop please",
    "Please STOP",
    "STOP STOP STOP",
    "stop now!!",
    "Stop, thank you",
    "alto por favor",
    "BAJA",
    "¡Basta!",
    "“Stop”",
]

PLAIN_LANGUAGE_OPT_OUTS = [
    "please stop texting me",
    # No negation guard: "if you don't stop texting me" is an ultimatum that means stop.
    "if you don't stop texting me I'll report you",
    "Stop messaging me.",
    "stop contacting me, I bought already",
    "Stop sending me texts",
    "remove me from your list",
    "Please remove my number from your list",
    "take me off your list",
    "delete my number",
    "don't text me anymore",
    "Don’t text me again",
    "do not contact me",
    "unsubscribe me",
    "please opt me out",
    "I want to opt out",
    "how do I unsubscribe?",
    "I don't want these messages",
    "No more texts please",
    "leave me alone",
    "wrong number",
    "no me escriba más",
    "no me escribas mas",
    "No me escriban",
    "ya no me manden mensajes",
    "bórrenme de su lista",
    "Bórreme de su lista por favor",
    "no más mensajes",
    "No más",
    "no me vuelvas a escribir",
    "dejen de escribirme",
    "ya no quiero recibir mensajes",
    "quiero darme de baja",
    "borren mi número",
]

NOT_KEYWORDS = [
    "stop by the house tomorrow?",
    "can we end the call early",
    "I want to cancel my showing",
    "don't stop sending listings",
    "the bus stop is close",
    "no more than 500k",
    "no más de 500 mil",
    "yes",
    "Yes!",
    "YES please",
    "can you help me find a house?",
    "I need help with my loan",
    "when can we start looking?",
    "start the process next month",
    "where does the street end?",
    "I quit my job, can I still buy?",
    "no me escribas en inglés",
    "no me llames, escríbeme",
    "don't text me before 9am",
    "I dont want more messages about condos, only houses",
    "no más mensajes de condominios por favor, solo casas",
    "hello",
    "",
    "   ",
    "🛑",
    "stopper",
    "unstoppable",
]


@pytest.mark.parametrize("text", STANDARD_OPT_OUTS)
def test_standard_keyword_as_whole_message_is_an_exact_opt_out(text):
    found = match_keyword(text)

    assert found is not None
    assert (found.kind, found.exact) == ("opt_out", True)


@pytest.mark.parametrize("text", PLAIN_LANGUAGE_OPT_OUTS)
def test_plain_language_request_to_stop_is_an_opt_out(text):
    found = match_keyword(text)

    assert found is not None
    assert found.kind == "opt_out"
    assert found.matched


@pytest.mark.parametrize("text", NOT_KEYWORDS)
def test_ordinary_conversation_is_not_a_keyword(text):
    assert classify_keyword(text) is None


@pytest.mark.parametrize(
    "text", ["START", "start", "Start.", "UNSTOP", "unstop!", "INICIAR", "Iniciar por favor"]
)
def test_start_unstop_and_iniciar_re_subscribe(text):
    assert classify_keyword(text) == "opt_in"


@pytest.mark.parametrize("text", ["HELP", "help", "Help?", "INFO", "info.", "AYUDA", "¡Ayuda!"])
def test_help_words_as_whole_message_ask_for_help(text):
    assert classify_keyword(text) == "help"


@pytest.mark.parametrize("text", ["HELP STOP", "stop help", "START STOP", "info alto"])
def test_stop_wins_over_any_other_keyword_in_the_same_message(text):
    assert classify_keyword(text) == "opt_out"


def test_exact_match_reports_the_normalised_keyword():
    assert match_keyword("Opt-Out!").matched == "optout"
    assert match_keyword("¡ALTO!").matched == "alto"


def test_plain_language_match_is_not_exact_and_names_the_words():
    found = match_keyword("Hi, please remove me from your list. Thanks")

    assert found.exact is False
    assert found.matched == "remove me from"


# Written so they look like STOP on a phone but are not the four letters: zero-width and other
# format characters inside or around the word, fullwidth and other compatibility forms.
DISGUISED_OPT_OUTS = [
    "S\u200bTOP",  # zero-width space
    "\ufeffstop",  # byte-order mark
    "ＳＴＯＰ",  # fullwidth
    "ｓｔｏｐ",
    "S\u200dT\u200cO\u2060P",  # zero-width joiner, non-joiner, word joiner
    "st\u00adop",  # soft hyphen
    "\u202eSTOP\u202c",  # direction override and pop
    "S\u3164TOP",  # Hangul filler, shown as nothing
    "Un\u200bsubscribe",
    "ＡＬＴＯ",
    "stop tex\u200bting me",
]


@pytest.mark.parametrize("text", DISGUISED_OPT_OUTS)
def test_stop_disguised_with_invisible_or_fullwidth_characters_is_an_opt_out(text):
    assert classify_keyword(text) == "opt_out"


@pytest.mark.parametrize("text", ["S\u200bTART", "ＨＥＬＰ"])
def test_other_keywords_are_read_through_the_same_disguises(text):
    assert classify_keyword(text) in ("opt_in", "help")
