"""Sensitive data in messages (compliance.rules.privacy): found, redacted, never kept."""

import pytest

from compliance.rules.privacy import (
    PLACEHOLDERS,
    aba_routing_valid,
    asks_for_sensitive_data,
    card_number_valid,
    claims_sharing_sensitive_data,
    find_sensitive_data,
    privacy_notice,
    redact_sensitive,
    redact_sensitive_data,
    redacted_kinds,
    without_sensitive_sentences,
)

# (text, the kinds found in order, the text as stored)
FOUND = [
    ("my SSN is 123-45-6789", ["ssn"], "my SSN is [SSN removed]"),
    ("SSN 123 45 6789", ["ssn"], "SSN [SSN removed]"),
    ("my social is 123456789", ["ssn"], "my social is [SSN removed]"),
    ("mi seguro social es 123-45-6789", ["ssn"], "mi seguro social es [SSN removed]"),
    ("my ITIN is 912-70-1234", ["ssn"], "my ITIN is [SSN removed]"),
    ("card 4111 1111 1111 1111", ["card_number"], "card [card number removed]"),
    ("card 4111-1111-1111-1111 thanks", ["card_number"], "card [card number removed] thanks"),
    ("amex 3782 822463 10005", ["card_number"], "amex [card number removed]"),
    ("tarjeta 5555555555554444", ["card_number"], "tarjeta [card number removed]"),
    (
        "4111 1111 1111 1111 cvv 123",
        ["card_number", "card_security_code"],
        "[card number removed] cvv [security code removed]",
    ),
    (
        "código de seguridad: 456",
        ["card_security_code"],
        "código de seguridad: [security code removed]",
    ),
    (
        "routing 021000021 account 1234567890",
        ["routing_number", "bank_account"],
        "routing [routing number removed] account [account number removed]",
    ),
    (
        "número de cuenta: 0012345678 y ruta 121000358",
        ["bank_account", "routing_number"],
        "número de cuenta: [account number removed] y ruta [routing number removed]",
    ),
    (
        "acct 00123456789 at Wells Fargo",
        ["bank_account"],
        "acct [account number removed] at Wells Fargo",
    ),
    (
        "DOB 03/04/1985 ssn 123 45 6789",
        ["date_of_birth", "ssn"],
        "DOB [date of birth removed] ssn [SSN removed]",
    ),
    (
        "Ana Lopez 03/15/1982 123-45-6789",
        ["date_of_birth", "ssn"],
        "Ana Lopez [date of birth removed] [SSN removed]",
    ),
    (
        "mi fecha de nacimiento es 4 de marzo de 1985",
        ["date_of_birth"],
        "mi fecha de nacimiento es [date of birth removed]",
    ),
    ("date of birth: March 4, 1985", ["date_of_birth"], "date of birth: [date of birth removed]"),
]


@pytest.mark.parametrize(("text", "kinds", "stored"), FOUND)
def test_each_kind_of_sensitive_data_is_found_and_replaced_by_its_placeholder(text, kinds, stored):
    assert [m.kind for m in find_sensitive_data(text)] == kinds
    assert redact_sensitive(text) == stored


LOOK_ALIKES = [
    "call me at 909-555-1234",
    "(909) 555-1234",
    "+1 909 555 1234",
    "my budget is 450000",
    "zip code 92335, looking in Fontana",
    "MLS #IV24123456",
    "MLS 123456789",
    "the APN is 0234-123-45-0000",
    "APN 1234-567-89-1234",
    "Riverside APN 123-456-789",
    "we want to close by 06/30/2026",
    "born and raised in Fontana, closing 06/30/2026",
    "my son was born 01/02/2024",
    "we have 60k saved in our savings account",
    "savings 250000 for the down payment",
    "tenemos en cuenta 250000 para el enganche",
    "my account is 4 years old",
    "4111111111111112",  # fails the Luhn check
    "1234567890123",  # no card network starts with 1
    "routing 123456789",  # fails the ABA checksum
    "the invoice is 021000021",  # ABA-valid, but nothing here is about a bank
    "my social is 000-12-3456",  # never issued
    "ref 12-3456-789",
    "already redacted: [SSN removed]",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_numbers_that_only_look_sensitive_are_left_alone(text):
    assert find_sensitive_data(text) == []
    assert redact_sensitive(text) == text


def test_the_luhn_check_decides_a_card_number():
    assert card_number_valid("4111111111111111")
    assert not card_number_valid("4111111111111112")
    assert card_number_valid("378282246310005")  # Amex, 15 digits


def test_the_aba_checksum_decides_a_routing_number():
    assert aba_routing_valid("021000021")
    assert aba_routing_valid("121000358")
    assert not aba_routing_valid("021000022")
    assert not aba_routing_valid("991000021")  # no Federal Reserve prefix 99


def test_redaction_is_idempotent_and_leaves_ordinary_text_untouched():
    text = "Hi! 3 bed in Fontana, around 450k, call 909-555-1234. SSN 123-45-6789"
    once = redact_sensitive(text)

    assert redact_sensitive(once) == once
    assert once.startswith("Hi! 3 bed in Fontana, around 450k, call 909-555-1234.")
    assert "6789" not in once


def test_json_values_are_redacted_in_every_string_and_keep_their_shape():
    payload = {
        "type": "InboundMessage",
        "body": "my ssn 123-45-6789",
        "attachments": ["card 4111 1111 1111 1111"],
        "count": 3,
        "nested": {"note": "DOB 01/02/1980", "ok": True},
    }

    assert redact_sensitive_data(payload) == {
        "type": "InboundMessage",
        "body": "my ssn [SSN removed]",
        "attachments": ["card [card number removed]"],
        "count": 3,
        "nested": {"note": "DOB [date of birth removed]", "ok": True},
    }


def test_placeholders_say_what_a_stored_message_carried():
    stored = redact_sensitive("ssn 123-45-6789 and 4111 1111 1111 1111, ssn 987-65-4321")

    assert redacted_kinds(stored) == ["ssn", "card_number"]
    assert redacted_kinds("nothing here") == []
    assert set(PLACEHOLDERS) == {
        "ssn",
        "card_number",
        "card_security_code",
        "bank_account",
        "routing_number",
        "date_of_birth",
    }


def test_a_sentence_carrying_sensitive_data_is_not_read_for_qualification():
    text = "I'm pre-approved with Chase. Here is my SSN for the pre-approval 123-45-6789"

    assert without_sensitive_sentences(text) == "I'm pre-approved with Chase."
    assert without_sensitive_sentences(redact_sensitive(text)) == "I'm pre-approved with Chase."
    assert without_sensitive_sentences("buying in Fontana") == "buying in Fontana"


ASKS = [
    "Please send me your SSN",
    "To get you pre-approved, please text me your SSN and date of birth.",
    "Can you send your card number for the deposit?",
    "What is your date of birth?",
    "Could you share your bank account number?",
    "Envíeme su número de seguro social, por favor",
    "¿Cuál es su fecha de nacimiento?",
]
DOES_NOT_ASK = [
    "Please don't send your SSN or card numbers by text",
    "Jorge will never ask for your card number by text.",
    "I'll send you Jorge's business card.",
    "Follow us on social media for new listings!",
    "No envíe por mensaje números de seguro social",
    "Your lender will ask for documents during pre-approval.",
]


@pytest.mark.parametrize("text", ASKS)
def test_a_draft_that_asks_for_sensitive_data_is_caught(text):
    assert asks_for_sensitive_data(text)


@pytest.mark.parametrize("text", DOES_NOT_ASK)
def test_a_draft_that_warns_about_sensitive_data_or_means_something_else_passes(text):
    assert asks_for_sensitive_data(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "I've shared your SSN with Jorge",
        "Thanks! I've sent your bank details to Jorge.",
        "Ya le pasé su número de tarjeta a Jorge.",
    ],
)
def test_a_draft_that_says_it_passed_on_sensitive_data_is_caught(text):
    assert claims_sharing_sensitive_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks! I've shared this with Jorge, who will follow up with options that fit.",
        "¡Gracias! Ya le pasé esto a Jorge.",
    ],
)
def test_passing_on_the_conversation_is_not_passing_on_sensitive_data(text):
    assert claims_sharing_sensitive_data(text) == ""


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_privacy_notice_warns_without_asking_or_claiming_to_share(language):
    notice = privacy_notice(language)

    assert len(notice) <= 320
    assert asks_for_sensitive_data(notice) == ""
    assert claims_sharing_sensitive_data(notice) == ""
    assert "Jorge" in notice


def test_the_privacy_notice_speaks_the_leads_language():
    assert "security" in privacy_notice("en")
    assert "seguridad" in privacy_notice("es")
    assert privacy_notice("fr") == privacy_notice("en")
