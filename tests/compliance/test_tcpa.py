"""Disputed consent and TCPA threats in, opt-out obstruction and bot impersonation out."""

import pytest

from compliance.rules.tcpa import detect_inbound_tcpa_risk, find_outbound_tcpa_problems, tcpa_reply

INBOUND = [
    ("I never signed up for this, who gave you my number?", "consent_dispute"),
    ("I didn't give you permission to text me", "consent_dispute"),
    ("Who is this? I never opted in to any texts", "consent_dispute"),
    ("Yo nunca me registré para esto", "consent_dispute"),
    ("yo no le di mi número a nadie, ¿de dónde lo sacaron?", "consent_dispute"),
    ("this is a violation of the TCPA", "litigation_threat"),
    ("I'm on the do not call list", "litigation_threat"),
    ("I'm going to sue you for these texts", "litigation_threat"),
    ("voy a reportarlos a la FCC", "litigation_threat"),
    ("Los voy a demandar por tantos mensajes", "litigation_threat"),
]
INBOUND_CLEAN = [
    "Is this Jorge's number?",
    "I signed up on your website for listings in Fontana",
    "sí, me registré en su página",
    "my lawyer will review the contract",
    "we never agreed on a price with the seller",
    "I never asked for a discount, just the price",
    "I never got the listing you mentioned",
    "my friend gave me your number",
    # A question, not a dispute: the seller bot answers it with the lead's source and STOP.
    "how did you get my number?",
    "¿Quién le dio mi número?",
]


@pytest.mark.parametrize(("text", "category"), INBOUND)
def test_disputed_consent_and_tcpa_threats_are_flagged(text, category):
    assert category in [flag.category for flag in detect_inbound_tcpa_risk(text)]


@pytest.mark.parametrize("text", INBOUND_CLEAN)
def test_ordinary_messages_about_numbers_and_sign_ups_are_not_flagged(text):
    assert detect_inbound_tcpa_risk(text) == []


OUTBOUND = [
    ("Please don't reply STOP, Jorge really wants to help you!", "opt_out_obstruction"),
    ("You can't unsubscribe from these updates.", "opt_out_obstruction"),
    ("No responda STOP, por favor.", "opt_out_obstruction"),
    ("I'm not a bot, I'm a real person on Jorge's team.", "bot_impersonation"),
    ("Hi, this is Jorge himself!", "bot_impersonation"),
    ("No soy un robot, soy Jorge.", "bot_impersonation"),
]
OUTBOUND_CLEAN = [
    "Reply STOP at any time to opt out.",
    "Responda STOP para darse de baja.",
    "Hi Ana! This is Jorge's automated assistant with Jorge's real-estate team.",
    "Soy el asistente automático de Jorge.",
    "Jorge will call you himself tomorrow morning.",
]


@pytest.mark.parametrize(("text", "category"), OUTBOUND)
def test_a_draft_that_obstructs_opting_out_or_poses_as_a_person_is_caught(text, category):
    assert [flag.category for flag in find_outbound_tcpa_problems(text)] == [category]


@pytest.mark.parametrize("text", OUTBOUND_CLEAN)
def test_disclosed_automated_messages_with_opt_out_wording_pass(text):
    assert find_outbound_tcpa_problems(text) == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_tcpa_reply_offers_stop_and_passes_its_own_check(language):
    reply = tcpa_reply(language)

    assert "STOP" in reply
    assert find_outbound_tcpa_problems(reply) == []
