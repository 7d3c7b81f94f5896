"""Every time the back office shows is in the business's time zone (BUSINESS_TIMEZONE),
not UTC: Jorge is in California."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from leads.models import Appointment
from tests.leads.factories import ContactFactory, MessageFactory

pytestmark = pytest.mark.django_db

# 19:30 UTC on July 1st is 12:30 in the afternoon in California (PDT, UTC-7).
SUMMER_AFTERNOON = datetime(2026, 7, 1, 19, 30, tzinfo=UTC)


def test_the_default_business_time_zone_is_california_and_django_shows_times_in_it():
    assert settings.BUSINESS_TIMEZONE == "America/Los_Angeles"
    assert settings.TIME_ZONE == settings.BUSINESS_TIMEZONE


def test_the_message_list_shows_when_a_message_came_in_local_time(admin_client):
    MessageFactory(sent_at=SUMMER_AFTERNOON, body="Is the house on Magnolia still for sale?")

    page = admin_client.get("/admin/leads/message/").content.decode()

    assert "12:30 p.m." in page
    assert "7:30 p.m." not in page


def test_the_message_page_shows_its_times_in_local_time(admin_client):
    message = MessageFactory(sent_at=SUMMER_AFTERNOON)

    page = admin_client.get(f"/admin/leads/message/{message.pk}/change/").content.decode()

    assert "12:30 p.m." in page or "12:30:00" in page
    assert "19:30" not in page


def test_an_appointment_names_its_start_in_the_business_time_zone():
    appointment = Appointment(
        contact=ContactFactory(first_name="Ana", last_name="Ruiz"),
        calendar="local",
        start=SUMMER_AFTERNOON,
        end=SUMMER_AFTERNOON + timedelta(minutes=30),
    )

    assert str(appointment) == "Ana Ruiz · 2026-07-01 12:30 PDT · Booked"
