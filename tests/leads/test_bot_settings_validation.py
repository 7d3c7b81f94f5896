"""Bot settings refuse values the bots cannot run on: a follow-up day like "a" used to save
"successfully" and then every new lead's turn failed, so nobody got a reply."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from compliance.models import AuditEvent
from leads import selectors
from leads.models import BotSettings, Message
from leads.services.bot_config import update_bot_settings
from tests.factories import UserFactory
from tests.leads.factories import ContactFactory, receive_sms

pytestmark = pytest.mark.django_db

URL = "/admin/leads/botsettings/1/change/"
VALID = {
    "bots_enabled": "on",
    "someone_on_call": "on",
    "max_unanswered_automated": 6,
    "followup_days": "1, 3, 7, 14, 30",
    "email_followup_day": 14,
    "speed_to_lead_seconds": 300,
}


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="maria", is_staff=True, is_superuser=True))
    selectors.bot_settings()
    return client


def _post(client, **changes):
    return client.post(URL, {**VALID, **changes})


def _errors(response) -> str:
    return " ".join(str(e) for e in response.context["adminform"].form.errors.values())


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ('["a"]', "“a” is not a whole number of days"),
        ("a", "“a” is not a whole number of days"),
        ("1, 3, tomorrow", "“tomorrow” is not a whole number of days"),
        ("1.5", "“1.5” is not a whole number of days"),
        ("7, 3", "Each day must come after the one before"),
        ("1, 3, 3", "Each day must come after the one before"),
        ("0, 3", "0 is out of range"),
        ("1, 400", "400 is out of range"),
    ],
)
def test_follow_up_days_the_bots_cannot_use_are_refused_with_a_clear_message(
    staff_client, typed, says
):
    response = _post(staff_client, followup_days=typed)

    assert response.status_code == 200  # the form again, not a redirect
    assert says in _errors(response)
    assert says in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert BotSettings.objects.get().followup_days == [1, 3, 7, 14, 30]
    assert not AuditEvent.objects.filter(action__startswith="bots.").exists()


def test_follow_up_days_typed_with_commas_are_saved_as_days_and_shown_the_same_way(
    staff_client,
):
    response = _post(staff_client, followup_days="2, 5, 10", email_followup_day=10)

    assert response.status_code == 302
    assert BotSettings.objects.get().followup_days == [2, 5, 10]
    assert 'value="2, 5, 10"' in staff_client.get(URL).content.decode()


def test_no_follow_up_days_at_all_is_allowed(staff_client):
    response = _post(staff_client, followup_days="", email_followup_day=0)

    assert response.status_code == 302
    assert BotSettings.objects.get().followup_days == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("max_unanswered_automated", 0, "greater than or equal to 1"),
        ("max_unanswered_automated", 500, "less than or equal to 20"),
        ("speed_to_lead_seconds", 0, "greater than or equal to 30"),
        ("email_followup_day", 10, "Day 10 is not one of the follow-up days"),
    ],
)
def test_numbers_out_of_their_range_are_refused(staff_client, field, value, says):
    response = _post(staff_client, **{field: value})

    assert response.status_code == 200
    assert says in _errors(response)
    saved = BotSettings.objects.get()
    assert getattr(saved, field) == VALID[field]


def test_after_a_refused_change_a_new_lead_still_gets_a_reply(
    staff_client, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-05-05T18:00:00+00:00", tick=False)  # 11:00 in California
    _post(staff_client, followup_days='["a"]')

    ContactFactory(ghl_contact_id="c-1", ghl_location_id="loc")
    with django_capture_on_commit_callbacks(execute=True):
        receive_sms("c-1", "Hi, I want to buy a house", conversation_id="v-1")

    inbound = Message.objects.get(direction="inbound")
    assert inbound.turn_outcome == Message.TurnOutcome.REPLIED
    assert Message.objects.filter(direction="outbound").count() == 1


def test_the_service_refuses_invalid_settings_from_any_caller():
    row = selectors.bot_settings()
    row.followup_days = ["a"]

    with pytest.raises(ValidationError):
        update_bot_settings(settings_row=row, changed=["followup_days"], user=UserFactory())

    assert BotSettings.objects.get().followup_days == [1, 3, 7, 14, 30]
    assert not AuditEvent.objects.exists()


def test_the_migration_repairs_a_row_saved_before_the_checks_existed():
    migration = importlib.import_module("leads.migrations.0013_bot_settings_validation")
    BotSettings.objects.create(
        pk=1,
        followup_days=["a"],
        max_unanswered_automated=0,
        speed_to_lead_seconds=0,
        email_followup_day=14,
    )

    migration.repair_bot_settings(apps, None)

    row = BotSettings.objects.get()
    assert row.followup_days == [1, 3, 7, 14, 30]
    assert (row.max_unanswered_automated, row.speed_to_lead_seconds) == (1, 30)
    assert row.email_followup_day == 14
    row.full_clean()  # what is left is valid
