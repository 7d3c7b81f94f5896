"""The rule-based escalation signals, message by message, in English and Spanish, with the
ordinary messages that look like them and must not reach a person."""

import pytest

from leads.intelligence.escalation_signals import detect_escalation

ASKS_FOR_PERSON = [
    # English
    "Can I talk to Jorge?",
    "I want a real person, not a bot",
    "is this a real person?",
    "Are you a bot?",
    "am I texting a robot?",
    "Have Jorge call me please",
    "can i speak with someone",
    "I'd rather talk to a human",
    "agent please",
    # Spanish
    "Quiero hablar con alguien",
    "¿Puedo hablar con una persona?",
    "prefiero hablar con una persona real",
    "con una persona por favor",
    "¿Eres un robot?",
    "Que Jorge me llame por favor",
    "Pásame con Jorge",
    "no quiero hablar con un robot",
]

ANGRY_OR_LEGAL = [
    # English
    ("This is ridiculous", "anger_or_complaint"),
    ("This is unacceptable!", "anger_or_complaint"),
    ("You people are useless", "anger_or_complaint"),
    ("worst service ever", "anger_or_complaint"),
    ("stop harassing me", "anger_or_complaint"),
    ("I want to file a complaint", "anger_or_complaint"),
    ("I'll sue you", "legal_threat"),
    ("I'm calling my lawyer", "legal_threat"),
    ("I'll report you to the BBB", "legal_threat"),
    # Spanish
    ("Estoy harto de estos mensajes", "anger_or_complaint"),
    ("ya estoy harta", "anger_or_complaint"),
    ("Esto es una estafa", "anger_or_complaint"),
    ("pésimo servicio", "anger_or_complaint"),
    ("estoy muy enojado con ustedes", "anger_or_complaint"),
    ("Voy a llamar a mi abogado", "legal_threat"),
    ("Necesito un abogado para esto", "legal_threat"),
    ("Les voy a poner una demanda", "legal_threat"),
    ("los voy a demandar", "legal_threat"),
]

LOOK_ALIKES = [
    "vivo con una persona mayor, necesitamos una recámara en planta baja",
    # English
    "Tell me about Jorge's listing on Main",
    "I'm a real estate agent too",
    "I'm angry about prices",  # at the market, not at us: the bot can still help
    "These prices are ridiculous",
    "My lawyer will review the purchase contract",
    "my attorney handles the closing",
    "Talk to my wife first",
    "Can we meet in person?",
    "I'll report back with my budget",
    "I talked to Jorge yesterday",
    "Is this a good time to buy?",
    "I can't complain",
    "a person from my work recommended you",
    "Jorge is great",
    # Spanish
    "¿Hay mucha demanda en Riverside?",  # "demanda" is also market demand
    "la demanda está alta",
    "Mi abogado va a revisar el contrato",
    "Los precios están ridículos",
    "El precio es ridículo",
    "Somos una familia de cuatro personas",
    "Estoy enojado con los precios",
    "¿Cuántas recámaras tiene?",
]


@pytest.mark.parametrize("text", ASKS_FOR_PERSON)
def test_a_lead_asking_for_a_person_is_recognised(text):
    signal = detect_escalation(text)

    assert signal is not None and signal.reason == "asked_for_person"


@pytest.mark.parametrize(("text", "rule"), ANGRY_OR_LEGAL)
def test_anger_complaints_and_legal_threats_are_recognised(text, rule):
    signal = detect_escalation(text)

    assert signal is not None
    assert (signal.reason, signal.rule) == ("anger_or_complaint", rule)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_ordinary_messages_that_look_alike_are_left_to_the_bot(text):
    assert detect_escalation(text) is None


@pytest.mark.parametrize(
    "question",
    ["Do you work on weekends?", "¿Trabajan los fines de semana?", "how long does escrow take"],
)
def test_the_same_question_asked_again_after_our_answer_means_the_bot_failed(question):
    signal = detect_escalation(question, previous=question)

    assert signal is not None and signal.reason == "bot_failed"


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("ok thanks", "ok thanks"),  # not a question
        ("why?", "why?"),  # too short to be a question the bot failed
        ("Do you work on weekends?", "Do you work on Sundays?"),  # a different question
    ],
)
def test_a_repeated_message_that_is_no_unanswered_question_is_not_a_failure(text, previous):
    assert detect_escalation(text, previous=previous) is None
