"""check_message: one function, every rule, redacted evidence."""

import pytest

from compliance.checks import check_message
from compliance.rules import fair_housing, privacy, tcpa
from leads.bots.texts import DEFAULT_TEXTS


def test_a_clean_message_has_no_violations():
    assert check_message("Hi, I want to buy a 3 bedroom home in Fontana", "inbound") == []
    assert check_message("When are you hoping to make a move?", "outbound") == []


def test_an_inbound_fair_housing_question_is_one_violation_with_its_class():
    [violation] = check_message("are there a lot of Muslims there?", "inbound")

    assert (violation.type, violation.category, violation.severity) == (
        "fair_housing",
        "religion",
        "medium",
    )
    assert violation.evidence == "muslims"


def test_a_safety_question_is_the_least_serious_fair_housing_violation():
    [violation] = check_message("is it a safe neighborhood?", "inbound")

    assert (violation.category, violation.severity) == ("neighborhood_safety", "low")


def test_an_outbound_steering_draft_is_a_high_severity_violation_per_category():
    violations = check_message("Great for families, and mostly Hispanic neighbors!", "outbound")

    assert {(v.type, v.category, v.severity) for v in violations} == {
        ("fair_housing", "familial_status", "high"),
        ("fair_housing", "national_origin", "high"),
    }


def test_privacy_evidence_never_carries_the_number():
    violations = check_message(
        "for the loan: ssn 123-45-6789, card 4111 1111 1111 1111 cvv 123", "inbound"
    )

    assert [v.category for v in violations] == ["ssn", "card_number", "card_security_code"]
    for violation in violations:
        assert violation.type == "privacy"
        assert violation.severity == "high"
        for secret in ("123-45-6789", "4111", "1111", " 123"):
            assert secret not in violation.evidence
    assert "[SSN removed]" in violations[0].evidence


def test_a_stored_message_still_reports_the_data_it_carried():
    stored = privacy.redact_sensitive("my social is 123-45-6789")

    [violation] = check_message(stored, "inbound")

    assert (violation.type, violation.category, violation.evidence) == (
        "privacy",
        "ssn",
        "my social is [SSN removed]",
    )


def test_several_types_in_one_message_are_all_reported():
    violations = check_message("I never signed up for this. my ssn is 123-45-6789", "inbound")

    assert {(v.type, v.category) for v in violations} == {
        ("privacy", "ssn"),
        ("tcpa", "consent_dispute"),
    }


def test_the_direction_decides_which_rules_run():
    asking = "Please text me your SSN so Jorge can start."

    assert [v.category for v in check_message(asking, "outbound")] == ["requests_sensitive_data"]
    assert check_message(asking, "inbound") == []


def test_an_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        check_message("hello", "sideways")


def test_every_default_bot_message_and_vetted_reply_passes_the_outbound_check():
    texts = [text for langs in DEFAULT_TEXTS.values() for text in langs.values()]
    for language in ("en", "es"):
        texts += [
            fair_housing.fair_housing_reply(language),
            privacy.privacy_notice(language),
            tcpa.tcpa_reply(language),
        ]

    assert [t for t in texts if check_message(t, "outbound")] == []
