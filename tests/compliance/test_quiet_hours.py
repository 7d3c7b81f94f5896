"""Quiet hours, state windows and the Florida cap (compliance.rules.quiet_hours)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from compliance.rules.quiet_hours import (
    FEDERAL_WINDOW,
    SENDING_WINDOWS,
    contact_state,
    contact_timezone,
    daily_cap,
    is_within_quiet_hours,
    next_allowed_send_time,
    sending_window,
    strictest_window,
)

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")
PHOENIX = ZoneInfo("America/Phoenix")
HONOLULU = ZoneInfo("Pacific/Honolulu")


def local(tz, *args):
    return datetime(*args, tzinfo=tz)


# --- Where the lead is -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "timezone_name", "expected"),
    [
        ("+19095551234", "America/Chicago", "America/Chicago"),  # HighLevel wins
        ("+19095551234", " America/New_York ", "America/New_York"),
        ("+19095551234", "", "America/Los_Angeles"),  # area code
        ("+13055551234", "", "America/New_York"),
        ("+18505551234", "", "America/Chicago"),
        ("+16025551234", "Not/AZone", "America/Phoenix"),  # invalid → area code
        ("+16025551234", "../../etc/passwd", "America/Phoenix"),
        ("+16025551234", "UTC", "America/Phoenix"),  # placeless default → area code
        ("+16025551234", "Etc/GMT+5", "America/Phoenix"),
        ("+442079460958", "", "America/Denver"),  # foreign → default
        ("", "", "America/Denver"),
        ("+18005551234", "", "America/Denver"),  # toll-free → default
    ],
)
def test_contact_timezone_prefers_highlevel_then_area_code_then_default(
    phone, timezone_name, expected
):
    tz = contact_timezone(phone=phone, timezone_name=timezone_name, default="America/Denver")

    assert tz == ZoneInfo(expected)


def test_an_invalid_default_time_zone_fails_loudly():
    with pytest.raises(ZoneInfoNotFoundError):
        contact_timezone(phone="", default="Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("phone", "state"),
    [("+19095551234", "CA"), ("+18505551234", "FL"), ("+14055551234", "OK"), ("+4420794609", None)],
)
def test_contact_state_comes_from_the_area_code(phone, state):
    assert contact_state(phone=phone) == state


# --- The table -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "start", "end", "cap"),
    [
        ("CA", time(8), time(21), None),
        ("NY", time(8), time(21), None),
        (None, time(8), time(21), None),
        ("", time(8), time(21), None),
        ("FL", time(8), time(20), 3),
        ("fl", time(8), time(20), 3),
        ("OK", time(8), time(20), None),
        ("WA", time(8), time(20), None),
    ],
)
def test_sending_window_per_state(state, start, end, cap):
    window = sending_window(state=state)

    assert (window.start, window.end, window.daily_cap) == (start, end, cap)
    assert daily_cap(state) == cap


def test_every_window_cites_its_source():
    assert all(w.source for w in [FEDERAL_WINDOW, *SENDING_WINDOWS.values()])


def test_strictest_window_takes_the_narrowest_hours_and_the_smallest_cap():
    window = strictest_window(states=["CA", "FL"])

    assert (window.start, window.end, window.daily_cap) == (time(8), time(20), 3)
    assert strictest_window(states=[]) == FEDERAL_WINDOW


# --- Quiet or not ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "tz", "state", "quiet"),
    [
        (local(LA, 2025, 6, 10, 7, 59, 59), LA, "CA", True),
        (local(LA, 2025, 6, 10, 8, 0), LA, "CA", False),
        (local(LA, 2025, 6, 10, 12, 0), LA, "CA", False),
        (local(LA, 2025, 6, 10, 20, 59, 59), LA, "CA", False),
        (local(LA, 2025, 6, 10, 21, 0), LA, "CA", True),
        (local(LA, 2025, 6, 10, 23, 0), LA, "CA", True),
        (local(LA, 2025, 6, 10, 0, 30), LA, "CA", True),
        (local(NY, 2025, 6, 10, 19, 59), NY, "FL", False),
        (local(NY, 2025, 6, 10, 20, 0), NY, "FL", True),
        (local(NY, 2025, 6, 10, 20, 30), NY, "NY", False),
        (local(CHICAGO, 2025, 6, 10, 19, 30), CHICAGO, "FL", False),
        (local(CHICAGO, 2025, 6, 10, 20, 15), CHICAGO, "FL", True),
        (local(LA, 2025, 6, 10, 20, 30), LA, "WA", True),
        # 20:30 in Los Angeles is 23:30 in New York: the lead's zone decides.
        (local(LA, 2025, 6, 10, 20, 30), NY, "NY", True),
        # 05:30 in Honolulu (HST) is 08:30 in Los Angeles (PDT).
        (local(LA, 2025, 6, 10, 8, 30), HONOLULU, "HI", True),
        (datetime(2025, 6, 10, 16, 0, tzinfo=UTC), LA, "CA", False),  # 09:00 PDT
    ],
)
def test_quiet_hours_in_the_leads_zone(moment, tz, state, quiet):
    assert is_within_quiet_hours(now=moment, tz=tz, state=state) is quiet


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        is_within_quiet_hours(now=datetime(2025, 6, 10, 12, 0), tz=LA, state="CA")  # noqa: DTZ001
    with pytest.raises(ValueError):
        next_allowed_send_time(now=datetime(2025, 6, 10, 12, 0), tz=LA, state="CA")  # noqa: DTZ001


# --- When it may go out ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "tz", "state", "expected"),
    [
        # 23:00 → 08:00 the next day
        (local(LA, 2025, 6, 10, 23, 0), LA, "CA", local(LA, 2025, 6, 11, 8, 0)),
        # 06:30 → 08:00 the same day
        (local(LA, 2025, 6, 10, 6, 30), LA, "CA", local(LA, 2025, 6, 10, 8, 0)),
        (local(LA, 2025, 6, 10, 21, 0), LA, "CA", local(LA, 2025, 6, 11, 8, 0)),
        (local(LA, 2025, 6, 10, 0, 0), LA, "CA", local(LA, 2025, 6, 10, 8, 0)),
        # Florida closes at 20:00
        (local(NY, 2025, 6, 10, 20, 0), NY, "FL", local(NY, 2025, 6, 11, 8, 0)),
        # Year end
        (local(LA, 2025, 12, 31, 22, 0), LA, "CA", local(LA, 2026, 1, 1, 8, 0)),
        # Given in UTC: 06:00 UTC is 23:00 PDT the day before
        (datetime(2025, 6, 11, 6, 0, tzinfo=UTC), LA, "CA", local(LA, 2025, 6, 11, 8, 0)),
    ],
)
def test_next_allowed_send_time_is_the_next_window_opening(now, tz, state, expected):
    result = next_allowed_send_time(now=now, tz=tz, state=state)

    assert result == expected
    assert result.tzinfo == tz
    assert result.astimezone(tz).time() == time(8, 0)


@pytest.mark.parametrize(
    "now",
    [local(LA, 2025, 6, 10, 8, 0), local(LA, 2025, 6, 10, 14, 5), local(LA, 2025, 6, 10, 20, 59)],
)
def test_inside_the_window_a_message_goes_out_now(now):
    assert next_allowed_send_time(now=now, tz=LA, state="CA") is now


def test_spring_forward_night_is_one_hour_shorter():
    # 9 March 2025: Los Angeles jumps from 02:00 PST to 03:00 PDT.
    now = local(LA, 2025, 3, 8, 23, 0)

    result = next_allowed_send_time(now=now, tz=LA, state="CA")

    assert result == datetime(2025, 3, 9, 15, 0, tzinfo=UTC)  # 08:00 PDT
    # Same-zone subtraction in Python is wall-clock time; elapsed time needs UTC.
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=8)


def test_fall_back_night_is_one_hour_longer():
    # 2 November 2025: Los Angeles falls back from 02:00 PDT to 01:00 PST.
    now = local(LA, 2025, 11, 1, 22, 0)

    result = next_allowed_send_time(now=now, tz=LA, state="CA")

    assert result == datetime(2025, 11, 2, 16, 0, tzinfo=UTC)  # 08:00 PST
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=11)


def test_east_coast_dst_day_opens_at_0800_local():
    now = local(NY, 2025, 3, 9, 1, 30)  # 30 minutes before the jump

    result = next_allowed_send_time(now=now, tz=NY, state="NY")

    assert result == datetime(2025, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT


@pytest.mark.parametrize(
    ("utc_now", "expected_utc"),
    [
        # Arizona keeps MST all year: 08:00 is 15:00 UTC in January and in July.
        (datetime(2025, 1, 15, 5, 0, tzinfo=UTC), datetime(2025, 1, 15, 15, 0, tzinfo=UTC)),
        (datetime(2025, 7, 15, 5, 0, tzinfo=UTC), datetime(2025, 7, 15, 15, 0, tzinfo=UTC)),
    ],
)
def test_arizona_has_no_daylight_saving(utc_now, expected_utc):
    assert next_allowed_send_time(now=utc_now, tz=PHOENIX, state="AZ") == expected_utc


def test_arizona_and_denver_differ_only_in_summer():
    summer = datetime(2025, 7, 15, 4, 30, tzinfo=UTC)  # 21:30 MST, 22:30 MDT

    assert next_allowed_send_time(now=summer, tz=DENVER, state="CO") == datetime(
        2025, 7, 15, 14, 0, tzinfo=UTC
    )
    assert next_allowed_send_time(now=summer, tz=PHOENIX, state="AZ") == datetime(
        2025, 7, 15, 15, 0, tzinfo=UTC
    )


def test_panhandle_lead_on_central_time_gets_the_florida_window():
    tz = contact_timezone(phone="+18505551234", default="America/Los_Angeles")
    state = contact_state(phone="+18505551234")
    now = local(CHICAGO, 2025, 6, 10, 20, 5)

    assert is_within_quiet_hours(now=now, tz=tz, state=state)
    assert next_allowed_send_time(now=now, tz=tz, state=state) == local(CHICAGO, 2025, 6, 11, 8)


# --- Florida: at most 3 automated messages per rolling 24 hours ------------------------


def test_florida_cap_allows_a_third_message_within_24_hours():
    now = local(NY, 2025, 6, 10, 15, 0)
    sent = [local(NY, 2025, 6, 10, 9, 0), local(NY, 2025, 6, 10, 12, 0)]

    assert next_allowed_send_time(now=now, tz=NY, state="FL", recent_sends=sent) is now


def test_florida_cap_waits_until_the_oldest_of_three_leaves_the_24_hours():
    now = local(NY, 2025, 6, 10, 15, 0)
    sent = [
        local(NY, 2025, 6, 10, 12, 0),
        local(NY, 2025, 6, 10, 9, 30),
        local(NY, 2025, 6, 10, 14, 0),
    ]

    result = next_allowed_send_time(now=now, tz=NY, state="FL", recent_sends=sent)

    assert result == local(NY, 2025, 6, 11, 9, 30)


def test_florida_cap_release_outside_the_window_waits_for_the_next_opening():
    now = local(NY, 2025, 6, 10, 19, 30)
    sent = [
        local(NY, 2025, 6, 9, 19, 45),
        local(NY, 2025, 6, 10, 10, 0),
        local(NY, 2025, 6, 10, 18, 0),
    ]

    # The first send leaves the 24 hours at 19:45 today, but Florida closes at 20:00, so
    # 19:45 is still fine.
    assert next_allowed_send_time(now=now, tz=NY, state="FL", recent_sends=sent) == local(
        NY, 2025, 6, 10, 19, 45
    )

    sent[0] = local(NY, 2025, 6, 9, 20, 30)  # would free up at 20:30: quiet hours by then
    assert next_allowed_send_time(now=now, tz=NY, state="FL", recent_sends=sent) == local(
        NY, 2025, 6, 11, 8, 0
    )


def test_florida_cap_counts_only_the_last_24_hours():
    now = local(NY, 2025, 6, 10, 15, 0)
    sent = [local(NY, 2025, 6, 9, 14, 0), local(NY, 2025, 6, 9, 15, 0), local(NY, 2025, 6, 10, 9)]

    # The 15:00 send of yesterday is exactly 24 hours old and no longer counts.
    assert next_allowed_send_time(now=now, tz=NY, state="FL", recent_sends=sent) is now


def test_florida_cap_with_many_sends_waits_for_enough_of_them_to_expire():
    now = local(NY, 2025, 6, 10, 12, 0)
    sent = [local(NY, 2025, 6, 10, hour) for hour in (8, 9, 10, 11)]

    # Four in the last 24 hours: two must expire → 09:00 tomorrow.
    result = next_allowed_send_time(now=now, tz=NY, state="FL", recent_sends=sent)

    assert result == local(NY, 2025, 6, 11, 9, 0)


def test_states_without_a_cap_ignore_earlier_sends():
    now = local(LA, 2025, 6, 10, 12, 0)
    sent = [local(LA, 2025, 6, 10, hour) for hour in (8, 9, 10, 11)]

    assert next_allowed_send_time(now=now, tz=LA, state="CA", recent_sends=sent) is now


def test_an_explicit_window_overrides_the_state():
    now = local(LA, 2025, 6, 10, 20, 30)
    window = strictest_window(states=["CA", "WA"])

    assert next_allowed_send_time(now=now, tz=LA, state="CA", window=window) == local(
        LA, 2025, 6, 11, 8, 0
    )
    assert is_within_quiet_hours(now=now, tz=LA, state="CA") is False
