"""How the back office writes money, rates, durations, phones and JSON for a person."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from config.backoffice import duration, money, percent, phone, readable_data


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (725000, "$725,000"),
        (Decimal("725000.00"), "$725,000"),
        (Decimal("725000.50"), "$725,000.50"),
        (Decimal("18125"), "$18,125"),
        (None, "—"),
    ],
)
def test_money_reads_as_dollars_with_thousands_separators(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (Decimal("0.0250"), "2.5%"),
        (Decimal("0.0600"), "6%"),
        (Decimal("0.0275"), "2.75%"),
        (Decimal("0.95"), "95%"),
        (None, "—"),
    ],
)
def test_rates_read_as_percentages(rate, shown):
    assert percent(rate) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(4.2, "4.2 s"), (12.0, "12 s"), (200, "3 min 20 s"), (7500, "2 h 5 min"), (None, "—")],
)
def test_durations_read_in_seconds_minutes_or_hours(seconds, shown):
    assert duration(seconds) == shown


def test_north_american_phones_read_as_people_write_them():
    assert phone("+19095550123") == "(909) 555-0123"
    assert phone("+447911123456") == "+447911123456"
    assert phone("") == "—"


def test_json_reads_as_labelled_values_with_local_times_and_yes_no():
    html = str(
        readable_data(
            {
                "handed_off_to": "buyer",
                "qualified_sent": False,
                "asked": ["financing", "budget"],
                "booking": {"offered_at": datetime(2026, 7, 1, 19, 30, tzinfo=UTC).isoformat()},
                "note": "<script>",
            }
        )
    )

    assert "<dt>Handed off to</dt><dd>buyer</dd>" in html
    assert "<dt>Qualified sent</dt><dd>No</dd>" in html
    assert "<dd>financing, budget</dd>" in html
    assert "Jul 1, 2026, 12:30 p.m. PDT" in html  # 19:30 UTC, in California
    assert "&lt;script&gt;" in html and "<script>" not in html  # escaped
    assert "{" not in html and '":' not in html  # no raw JSON left
