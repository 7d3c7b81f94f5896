"""How hot a buyer is, by the rules in docs/bots.md ("The buyer bot")."""

import pytest

from buyers.services.profile import buyer_temperature

TEMPERATURES = [
    # (pre-approval, cash, budget max, timeline) → temperature
    ("pre_approved", None, 450_000, "1_3_months", "hot"),
    ("", True, 600_000, "asap", "hot"),
    ("pre_approved", None, None, "asap", "warm"),  # no budget yet
    ("pre_approved", None, 450_000, "3_6_months", "warm"),  # ready, but not within 90 days
    ("pre_approved", None, 450_000, "12_plus_months", "warm"),  # ready with a budget
    ("prequalified", None, 450_000, "asap", "warm"),  # pre-qualified is not pre-approved
    ("not_yet", None, 450_000, "1_3_months", "warm"),
    ("not_yet", None, 450_000, "6_12_months", "cold"),
    ("", None, None, "unknown", "cold"),
    ("", False, 450_000, "asap", "warm"),  # "not paying cash": financing still unknown
]


@pytest.mark.parametrize(("status", "cash", "budget", "timeline", "expected"), TEMPERATURES)
def test_a_buyers_temperature_follows_financing_budget_and_timeline(
    status, cash, budget, timeline, expected
):
    result = buyer_temperature(
        preapproval_status=status,
        cash_buyer=cash,
        budget_min=None,
        budget_max=budget,
        timeline=timeline,
    )

    assert result.temperature == expected


def test_the_reasons_say_what_decided_it():
    result = buyer_temperature(
        preapproval_status="pre_approved",
        cash_buyer=None,
        budget_min=400_000,
        budget_max=450_000,
        timeline="asap",
    )

    assert result.reasons == ["pre-approved", "budget $400,000–$450,000", "timeline within 90 days"]
