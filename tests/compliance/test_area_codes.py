"""US area codes → state and IANA time zone (compliance.rules.area_codes)."""

from zoneinfo import ZoneInfo, available_timezones

import pytest

from compliance.rules.area_codes import AREA_CODES, area_code_of, lookup_area_code

US_STATES_AND_TERRITORIES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU", "MP", "AS",
}  # fmt: skip


@pytest.mark.parametrize(
    ("phone", "state", "zone"),
    [
        ("+19095551234", "CA", "America/Los_Angeles"),
        ("+19515551234", "CA", "America/Los_Angeles"),
        ("+16265551234", "CA", "America/Los_Angeles"),
        ("+12135551234", "CA", "America/Los_Angeles"),
        ("+18405551234", "CA", "America/Los_Angeles"),
        ("+17605551234", "CA", "America/Los_Angeles"),
        ("+13055551234", "FL", "America/New_York"),
        ("+18135551234", "FL", "America/New_York"),
        ("+18505551234", "FL", "America/Chicago"),
        ("+12125551234", "NY", "America/New_York"),
        ("+17185551234", "NY", "America/New_York"),
        ("+13125551234", "IL", "America/Chicago"),
        ("+16025551234", "AZ", "America/Phoenix"),
        ("+14805551234", "AZ", "America/Phoenix"),
        ("+18085551234", "HI", "Pacific/Honolulu"),
        ("+19075551234", "AK", "America/Anchorage"),
        ("+17025551234", "NV", "America/Los_Angeles"),
        ("+17255551234", "NV", "America/Los_Angeles"),
        ("+19155551234", "TX", "America/Denver"),
        ("+12145551234", "TX", "America/Chicago"),
        ("+13035551234", "CO", "America/Denver"),
        ("+12065551234", "WA", "America/Los_Angeles"),
        ("+14055551234", "OK", "America/Chicago"),
        ("+13135551234", "MI", "America/Detroit"),
        ("+13175551234", "IN", "America/Indiana/Indianapolis"),
        ("+12195551234", "IN", "America/Chicago"),
        ("+16155551234", "TN", "America/Chicago"),
        ("+18655551234", "TN", "America/New_York"),
        ("+12085551234", "ID", "America/Boise"),
        ("+12025551234", "DC", "America/New_York"),
        ("+17875551234", "PR", "America/Puerto_Rico"),
    ],
)
def test_area_code_maps_to_its_state_and_main_time_zone(phone, state, zone):
    found = lookup_area_code(phone)

    assert found is not None
    assert (found.state, found.timezone) == (state, zone)


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("+19095551234", "909"),
        ("19095551234", "909"),
        ("(909) 555-1234", "909"),
        ("909.555.1234", "909"),
        ("1-909-555-1234", "909"),
        ("+1 (951) 555 1234", "951"),
    ],
)
def test_area_code_is_read_from_any_common_phone_format(phone, code):
    assert area_code_of(phone) == code


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "555-1234",  # no area code
        "+442079460958",  # United Kingdom
        "+5215512345678",  # Mexico
        "+4915123456789",  # Germany, 13 digits
        "0195551234",  # NANP area codes never start with 0 or 1
        "+11095551234",
        "not a phone",
    ],
)
def test_foreign_or_malformed_numbers_have_no_area_code(phone):
    assert lookup_area_code(phone) is None


@pytest.mark.parametrize("phone", ["+18005551234", "+18885551234", "+14165551234", "+16045551234"])
def test_toll_free_and_canadian_codes_are_unknown(phone):
    assert lookup_area_code(phone) is None


def test_table_covers_every_current_us_area_code():
    # NANPA lists a little over 330 geographic codes in service for the US; the table also
    # holds the territories and overlays already assigned.
    assert len(AREA_CODES) >= 330


def test_every_state_and_dc_has_at_least_one_area_code():
    states = {entry.state for entry in AREA_CODES.values()}

    assert states == US_STATES_AND_TERRITORIES


def test_every_entry_is_a_three_digit_code_a_valid_state_and_a_real_zone():
    zones = available_timezones()
    for code, entry in AREA_CODES.items():
        assert len(code) == 3 and code.isdigit() and code[0] not in "01", code
        assert entry.state in US_STATES_AND_TERRITORIES, code
        assert entry.timezone in zones, code
        ZoneInfo(entry.timezone)


@pytest.mark.parametrize("code", ["800", "833", "844", "855", "866", "877", "888", "900", "500"])
def test_non_geographic_codes_are_absent(code):
    assert code not in AREA_CODES


def test_overlays_share_the_state_and_zone_of_the_code_they_overlay():
    pairs = [("909", "840"), ("213", "323"), ("305", "786"), ("212", "646"), ("702", "725")]
    for base, overlay in pairs:
        assert AREA_CODES[base] == AREA_CODES[overlay]
