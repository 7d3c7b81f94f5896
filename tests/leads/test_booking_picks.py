"""Reading which offered call time a lead picked, in English and Spanish, and how the times are
worded back to them."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from leads.bots.booking import format_slot, zone_name
from leads.bots.picks import read_pick

PACIFIC = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # Wednesday 10:00 Pacific
OFFERED = [
    datetime(2026, 6, 10, 12, 0, tzinfo=PACIFIC),  # 1) Wednesday noon
    datetime(2026, 6, 10, 15, 0, tzinfo=PACIFIC),  # 2) Wednesday 3 PM
    datetime(2026, 6, 16, 10, 0, tzinfo=PACIFIC),  # 3) next Tuesday 10 AM
]


def pick(text, slots=OFFERED):
    return read_pick(text, slots=slots, zone=PACIFIC, now=NOW)


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("2", 1),
        ("2.", 1),
        ("#3", 2),
        ("option 1", 0),
        ("the second", 1),
        ("the first one works", 0),
        ("The third one please", 2),
        ("Tuesday at 10", 2),
        ("tuesday 10am", 2),
        ("3pm works for me", 1),
        ("noon", 0),
        ("the last one", 2),
        ("any of them is fine", 0),
        ("Sure, 2 works, no problem", 1),
        ("June 16", 2),
        ("the 16th", 2),
        ("10", 2),  # no option 10 offered: ten o'clock
        ("el martes a las 10", 2),
        ("El martes a las diez", 2),
        ("la primera", 0),
        ("la segunda opción me funciona", 1),
        ("la 3", 2),
        ("dos", 1),
        ("a las 3 de la tarde", 1),
        ("el 16 de junio", 2),
        ("cualquiera", 0),
        ("2 por favor", 1),
        ("Tuesday at 10 works great, my husband will be home from work by then", 2),
        ("I'll take the first one, thank you so much for your help today", 0),
        ("el martes a las 10 me queda bien porque mi esposo sale temprano", 2),
    ],
)
def test_a_pick_names_one_offered_time(text, index):
    assert pick(text).index == index


@pytest.mark.parametrize(
    "text",
    [
        "none work",
        "None of those times work for me",
        "those don't work",
        "no",
        "nope",
        "Can we do another day?",
        "something later?",
        "ninguno",
        "ninguno me funciona",
        "no me queda ninguno",
        "no puedo",
        "¿tiene otro horario?",
        "la próxima semana",
    ],
)
def test_none_of_them_works(text):
    result = pick(text)
    assert result.none and result.index is None


@pytest.mark.parametrize(
    "text",
    [
        "yes",  # to three times: which one?
        "ok thanks",
        "1 or 2",
        "Wednesday",  # two Wednesday times
        "this afternoon",  # noon and 3 PM are both afternoon
        "not the second",
        "4",  # no option 4, no time at 4
        "can we do 4pm instead?",  # a time that was not offered
        "sí",
        "Thanks!",
        "gracias",
        # Long, and nothing in it picks: asked, not booked.
        "Thanks for sending those, my husband wants to see the house first",
        "My husband is off on Tuesday so we were thinking of driving by the house",
    ],
)
def test_an_answer_that_names_no_single_time_is_unclear(text):
    result = pick(text)
    assert result.unclear and result.answers


@pytest.mark.parametrize(
    "text",
    [
        "actually make that 600k",
        "What's the HOA fee on that house?",
        "I don't have an agent yet",
        "We have 3 kids and need 4 bedrooms",
        "my husband wants to see the house before we talk",
        "",
    ],
)
def test_a_message_about_something_else_is_not_an_answer(text):
    result = pick(text)
    assert not result.answers and result.index is None and not result.none


def test_yes_picks_the_only_time_offered():
    assert pick("yes", slots=OFFERED[:1]).index == 0
    assert pick("Sí, perfecto", slots=OFFERED[:1]).index == 0


def test_times_are_read_in_the_leads_zone():
    eastern = ZoneInfo("America/New_York")
    # Offered to a lead in New York, noon and 3 PM Pacific read 3 PM and 6 PM there.
    assert read_pick("6pm", slots=OFFERED, zone=eastern, now=NOW).index == 1
    assert read_pick("3pm", slots=OFFERED, zone=eastern, now=NOW).index == 0


@pytest.mark.parametrize(
    ("language", "short", "text"),
    [
        ("en", False, "Tuesday, June 16 at 10 AM"),
        ("en", True, "Tue Jun 16, 10 AM"),
        ("es", False, "martes 16 de junio a las 10:00 a. m."),
        ("es", True, "mar 16 jun, 10:00 a. m."),
    ],
)
def test_a_time_is_worded_in_the_leads_language(language, short, text):
    assert format_slot(OFFERED[2], zone=PACIFIC, language=language, short=short) == text


def test_one_oclock_in_spanish_is_a_la_una():
    one_pm = datetime(2026, 6, 10, 13, 30, tzinfo=PACIFIC)
    assert format_slot(one_pm, zone=PACIFIC, language="es").endswith("a la 1:30 p. m.")
    assert format_slot(one_pm, zone=PACIFIC, language="en").endswith("at 1:30 PM")


def test_the_zone_is_named_in_the_leads_language():
    assert zone_name(PACIFIC, language="en") == "Pacific time"
    assert zone_name(ZoneInfo("America/New_York"), language="es") == "hora del Este"
