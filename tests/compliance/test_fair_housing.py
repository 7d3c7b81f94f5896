"""Fair-housing guard for inbound questions and outbound bot text (compliance.rules.fair_housing)."""

import pytest

from compliance.rules.fair_housing import (
    detect_protected_topic,
    fair_housing_reply,
    find_prohibited_phrases,
)

FLAGGED_QUESTIONS = [
    ("what's the racial makeup of Fontana?", "race_color"),
    ("are there a lot of Hispanics in that area?", "national_origin"),
    ("Is it a mostly white neighborhood?", "race_color"),
    ("are there many Asian families on that street?", "race_color"),
    ("any immigrants around there?", "national_origin"),
    ("¿hay muchos latinos en esa zona?", "national_origin"),
    ("¿es un barrio latino?", "national_origin"),
    ("¿vive gente blanca ahí?", "race_color"),
    ("are there many churches/mosques?", "religion"),
    ("Is there a Jewish community nearby?", "religion"),
    ("are there a lot of Muslims there", "religion"),
    ("¿hay muchas iglesias cerca?", "religion"),
    ("is it a gay friendly area?", "sexual_orientation_gender_identity"),
    ("lots of single women in the complex?", "sex"),
    ("is there a group home on the block?", "disability"),
    ("are there disabled people living next door?", "disability"),
    ("do people there speak English?", "primary_language"),
    ("is it a Spanish speaking neighborhood?", "primary_language"),
    ("¿la gente habla español ahí?", "primary_language"),
    ("any section 8 nearby?", "source_of_income"),
    ("is the area good for families with kids?", "familial_status"),
    ("is it family friendly?", "familial_status"),
    ("Are there other kids in the neighborhood?", "familial_status"),
    ("lots of retirees there?", "familial_status"),
    ("is it a good neighborhood for kids", "familial_status"),
    ("¿es buena zona para familias?", "familial_status"),
    ("¿hay niños en la zona?", "familial_status"),
    ("what kind of people live there", "area_demographics"),
    ("who lives on that street?", "area_demographics"),
    ("what are the neighbors like?", "area_demographics"),
    ("would we fit in there?", "area_demographics"),
    ("what are the demographics", "area_demographics"),
    ("¿qué tipo de gente vive ahí?", "area_demographics"),
    ("is it a safe neighborhood?", "neighborhood_safety"),
    ("Is it a good area?", "neighborhood_safety"),
    ("is the area safe?", "neighborhood_safety"),
    ("is it safe there at night?", "neighborhood_safety"),
    ("how safe is Rialto?", "neighborhood_safety"),
    ("what's the crime rate?", "neighborhood_safety"),
    ("any gangs around there?", "neighborhood_safety"),
    ("¿es un barrio seguro?", "neighborhood_safety"),
    ("¿Es seguro?", "neighborhood_safety"),
    ("¿es una zona peligrosa?", "neighborhood_safety"),
    ("¿hay mucha delincuencia?", "neighborhood_safety"),
]

NOT_FLAGGED = [
    "how many bedrooms?",
    "is there a pool",
    "is it close to the 210 freeway",
    "what's the HOA fee",
    "near a bus stop?",
    # Objective school data is allowed when given to everyone alike [F10]: the bot points
    # every lead to the same public source instead of treating this as protected.
    "how are the schools rated?",
    "what school district is it in?",
    "does it have black granite countertops?",
    "white cabinets or wood?",
    "are there good Mexican restaurants nearby?",
    "¿hay restaurantes mexicanos cerca?",
    "is the house wheelchair accessible?",
    "do you speak Spanish?",
    "¿habla español?",
    "is it safe to make an offer without an inspection?",
    "I have 3 kids, we need 4 bedrooms",
    "can I bring my kids to the showing?",
    "¿tiene cuartos para niños?",
    "is the family room big?",
    "Is this a 55+ community?",
    "how far is the commute to LA?",
    "what's the price per square foot",
    "is the garage attached?",
    "¿cuántos baños tiene?",
    "¿está cerca de la escuela?",
    "the bus stop is close",
]


@pytest.mark.parametrize(("text", "topic"), FLAGGED_QUESTIONS)
def test_questions_about_protected_classes_or_area_character_are_flagged(text, topic):
    flag = detect_protected_topic(text)

    assert flag is not None
    assert flag.topic == topic
    assert flag.matched


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_questions_about_the_home_itself_are_not_flagged(text):
    assert detect_protected_topic(text) is None


PROHIBITED = [
    ("It's a safe neighborhood!", "safe neighborhood"),
    ("Very good neighborhood, close to everything", "good neighborhood"),
    ("Such a nice area.", "nice area"),
    ("a family-friendly community", "family friendly"),
    ("It's perfect for a young couple", "perfect for a young couple"),
    ("great for families", "great for families"),
    ("good schools for your kids", "good schools for your kids"),
    ("The building is adults only", "adults only"),
    ("no kids, sorry", "no kids"),
    ("You'd fit in great there", "youd fit in"),
    ("lots of people like you live there", "people like you"),
    ("a vibrant ethnic neighborhood", "ethnic neighborhood"),
    ("It's a mostly Hispanic area", "mostly hispanic"),
    ("an exclusive community", "exclusive"),
    ("a private community on the hill", "private community"),
    ("low-crime area", "low crime"),
    ("walking distance to church", "walking distance to church"),
    ("steps from St. Mary's church", "steps from st marys church"),
    ("no Section 8", "section 8"),
    ("able-bodied tenants preferred", "able bodied"),
    ("Es un barrio seguro", "barrio seguro"),
    ("Ideal para familias", "ideal para familias"),
    ("Perfecta para una pareja joven", "perfecta para una pareja joven"),
    ("Viven muchas parejas jóvenes ahí", "parejas jovenes"),
    ("Hay mucha gente como usted", "gente como usted"),
    ("Es una zona exclusiva", "exclusiva"),
    ("Es una buena zona", "buena zona"),
    ("una comunidad latina muy unida", "comunidad latina"),
    ("solo adultos", "solo adultos"),
    ("cerca de la iglesia", "cerca de la iglesia"),
]

ACCEPTABLE = [
    # HUD's 1995 guidance names these as acceptable [F3][F4][F14].
    "Spacious master bedroom",
    "Walking distance to bus stop",
    "The community has a chapel",
    "Happy Easter from Jorge's team!",
    "Mother-in-law suite over the garage",
    "Cute bachelor apartment downtown",
    # Facts about the home.
    "3 bedrooms, 2 baths, close to the 210 freeway",
    "The family room opens to the backyard",
    "Private backyard with a pool",
    "Traditional floor plan with a formal dining room",
    "It's an exclusive listing of ours",
    "The home is wheelchair accessible",
    "The HOA fee is $150 a month",
    "Jorge can show it to you on Saturday at 10",
    "Hablo español y con gusto le ayudo",
    "La casa tiene 4 recámaras y alberca",
    "For school information, the California School Dashboard has ratings for every school.",
]


@pytest.mark.parametrize(("text", "phrase"), PROHIBITED)
def test_outbound_text_with_steering_phrases_is_caught(text, phrase):
    assert phrase in find_prohibited_phrases(text)


@pytest.mark.parametrize("text", ACCEPTABLE)
def test_outbound_text_about_the_home_is_clean(text):
    assert find_prohibited_phrases(text) == []


def test_every_prohibited_phrase_is_reported_once_in_order():
    text = "Safe neighborhood, family-friendly, safe neighborhood, and you'd fit in."

    assert find_prohibited_phrases(text) == ["safe neighborhood", "family friendly", "youd fit in"]


def test_a_phrase_inside_a_longer_one_is_not_reported_twice():
    assert find_prohibited_phrases("perfect for a young couple") == ["perfect for a young couple"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_fair_housing_reply_is_short_clean_and_points_to_objective_sources(language):
    reply = fair_housing_reply(language)

    assert len(reply) <= 320
    assert find_prohibited_phrases(reply) == []
    assert "California School Dashboard" in reply
    assert "Jorge" in reply
    # The bot links only to our own pages.
    assert "http" not in reply and "www." not in reply


def test_fair_housing_reply_speaks_the_leads_language():
    assert "police" in fair_housing_reply("en")
    assert "policía" in fair_housing_reply("es")
    assert fair_housing_reply("es-MX") == fair_housing_reply("es")


@pytest.mark.parametrize("language", ["", "fr", "EN", None])
def test_fair_housing_reply_falls_back_to_english(language):
    assert fair_housing_reply(language) == fair_housing_reply("en")
