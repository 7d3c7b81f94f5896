"""Processing stored HighLevel events: what each event does to contacts, conversations,
messages and deals; retries, dead events, the sweeper and the admin's reprocess action."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent
from leads import tasks
from leads.models import Channel, Contact, Conversation, Deal, Message, WebhookEvent
from leads.selectors import BOT_PAUSED_INDEFINITELY, is_bot_paused
from leads.services import escalation
from tests.leads.conftest import WEBHOOK_URL, load_sample
from tests.leads.factories import ContactFactory, ConversationFactory, MessageFactory

Status = WebhookEvent.Status


@pytest.fixture
def webhook_admin(staff_user, dashboard_client):
    """Jorge, allowed to see and reprocess webhook events in the back office."""
    staff_user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leads",
            codename__in=["view_webhookevent", "change_webhookevent"],
        )
    )
    return dashboard_client


@pytest.fixture(autouse=True)
def _bot_pipeline_not_under_test(inbound_handler_calls):
    """Only a recorder is registered as inbound handler: the bot's replies are tested elsewhere."""


def _sample(name: str, **overrides) -> dict:
    payload = load_sample(name)
    payload.update(overrides)
    return payload


# --- Human takeover -----------------------------------------------------------------


def _outbound_sms(**overrides) -> dict:
    defaults = {
        "contactId": "c-1",
        "conversationId": "conv-1",
        "messageId": "ghl-msg-human",
        "webhookId": "wh-out-1",
    }
    return _sample("outboundmessage-sms", **{**defaults, **overrides})


def test_message_sent_by_a_person_from_highlevel_pauses_the_bot(ghl, settings):
    settings.BOT_HUMAN_TAKEOVER_HOURS = 24
    conversation = ConversationFactory(
        contact=ContactFactory(ghl_contact_id="c-1", ghl_location_id="l1C08ntBrFjLS0elLIYU"),
        ghl_conversation_id="conv-1",
    )
    before = timezone.now()

    ghl.post(_outbound_sms(body="Hi, this is Jorge himself."))

    conversation.refresh_from_db()
    message = Message.objects.get()
    assert (message.sender, message.direction, message.body) == (
        Message.Sender.HUMAN,
        Message.Direction.OUTBOUND,
        "Hi, this is Jorge himself.",
    )
    assert conversation.status == Conversation.Status.PAUSED
    paused_until = conversation.contact.bot_paused_until
    assert before + timedelta(hours=24) <= paused_until <= timezone.now() + timedelta(hours=24)
    assert is_bot_paused(conversation=conversation)
    audit = AuditEvent.objects.get(action="bot.paused_for_human")
    assert audit.subject_id == str(conversation.pk)
    assert audit.data["message_id"] == message.pk


def test_takeover_hours_zero_pauses_until_a_person_resumes(ghl, settings, staff_user):
    settings.BOT_HUMAN_TAKEOVER_HOURS = 0

    ghl.post(_outbound_sms())

    conversation = Conversation.objects.get()
    assert conversation.contact.bot_paused_until == BOT_PAUSED_INDEFINITELY
    assert is_bot_paused(conversation=conversation, at=timezone.now() + timedelta(days=3650))

    escalation.resume_bot(conversation=conversation, user=staff_user)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE
    assert conversation.contact.bot_paused_until is None
    assert not is_bot_paused(conversation=conversation)
    assert AuditEvent.objects.filter(action="bot.resumed", actor_label="jorge").exists()


def test_echo_of_our_own_message_updates_its_status_and_does_not_pause(ghl):
    ours = MessageFactory(
        conversation=ConversationFactory(ghl_conversation_id="conv-1"),
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.SENT,
        ghl_message_id="ghl-msg-ours",
        body="Thanks! When are you hoping to move?",
    )

    ghl.post(_outbound_sms(messageId="ghl-msg-ours", status="delivered", source="api"))

    ours.refresh_from_db()
    assert ours.status == Message.Status.DELIVERED
    assert Message.objects.count() == 1
    assert ours.conversation.status == Conversation.Status.ACTIVE
    assert ours.conversation.contact.bot_paused_until is None
    assert not AuditEvent.objects.filter(action="bot.paused_for_human").exists()


def test_echo_arriving_before_our_send_returned_its_id_is_still_ours(ghl):
    contact = ContactFactory(ghl_contact_id="c-1", ghl_location_id="l1C08ntBrFjLS0elLIYU")
    ours = MessageFactory(
        conversation=ConversationFactory(contact=contact, ghl_conversation_id="conv-1"),
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.QUEUED,
        body="Thanks! When are you hoping to move?",
    )

    ghl.post(_outbound_sms(body="Thanks! When are you hoping to move?", messageId="ghl-new"))

    ours.refresh_from_db()
    assert (ours.ghl_message_id, ours.status) == ("ghl-new", Message.Status.DELIVERED)
    assert Message.objects.count() == 1
    assert ours.conversation.contact.bot_paused_until is None


def test_the_echo_of_jorges_dashboard_reply_before_its_id_came_back_is_not_a_second_message(ghl):
    contact = ContactFactory(ghl_contact_id="c-1", ghl_location_id="l1C08ntBrFjLS0elLIYU")
    ours = MessageFactory(
        conversation=ConversationFactory(contact=contact, ghl_conversation_id="conv-1"),
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.HUMAN,
        status=Message.Status.QUEUED,
        body="Jorge here, I'll call you at 5.",
    )

    ghl.post(_outbound_sms(body="Jorge here, I'll call you at 5.", messageId="ghl-new"))

    ours.refresh_from_db()
    assert (ours.ghl_message_id, ours.status) == ("ghl-new", Message.Status.DELIVERED)
    assert Message.objects.count() == 1
    assert not AuditEvent.objects.filter(action="bot.paused_for_human").exists()


def test_late_sent_status_never_downgrades_delivered(ghl):
    ours = MessageFactory(
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        status=Message.Status.DELIVERED,
        ghl_message_id="ghl-msg-ours",
    )

    ghl.post(_outbound_sms(messageId="ghl-msg-ours", status="sent"))

    ours.refresh_from_db()
    assert ours.status == Message.Status.DELIVERED


def test_message_sent_by_a_highlevel_workflow_does_not_pause_the_bot(ghl):
    ghl.post(_outbound_sms(source="workflow"))

    message = Message.objects.get()
    assert message.sender == Message.Sender.SYSTEM
    assert message.conversation.status == Conversation.Status.ACTIVE
    assert message.conversation.contact.bot_paused_until is None


# --- Inbound messages ----------------------------------------------------------------


def _inbound(**overrides) -> dict:
    return _sample("inboundmessage-sms", **overrides)


def test_new_inbound_message_is_handed_to_the_registered_handlers_after_commit(
    ghl, inbound_handler_calls
):
    ghl.post(_inbound(messageId="m-1", body="Hi, I want to sell my house"))

    message = Message.objects.get()
    assert inbound_handler_calls == [message.pk]
    assert message.body == "Hi, I want to sell my house"
    assert message.conversation.ghl_conversation_id == "fcanlLgpbQgQhderivVs"
    assert message.sent_at.isoformat() == "2021-04-21T11:31:45.750000+00:00"


def test_same_message_in_two_deliveries_is_recorded_once(ghl, inbound_handler_calls):
    ghl.post(_inbound(messageId="m-1", webhookId="wh-a"))
    ghl.post(_inbound(messageId="m-1", webhookId="wh-b"))

    assert WebhookEvent.objects.filter(status=Status.PROCESSED).count() == 2
    assert Message.objects.count() == 1
    assert len(inbound_handler_calls) == 1


def test_message_without_message_id_is_recorded_once_across_deliveries(ghl, inbound_handler_calls):
    # HighLevel's own SMS example has no messageId; two deliveries differ in webhookId only.
    ghl.post(_inbound(webhookId="wh-a"))
    ghl.post(_inbound(webhookId="wh-b"))

    assert Message.objects.get().ghl_message_id == ""
    assert len(inbound_handler_calls) == 1


def test_later_message_updates_last_inbound_but_an_older_one_does_not(ghl):
    ghl.post(_inbound(messageId="m-2", dateAdded="2026-05-01T10:00:00Z"))
    ghl.post(_inbound(messageId="m-1", dateAdded="2026-04-01T10:00:00Z"))

    assert Conversation.objects.get().last_inbound_at.isoformat() == "2026-05-01T10:00:00+00:00"


@pytest.mark.parametrize(
    ("message_type", "channel", "answered"),
    [
        ("WhatsApp", Channel.WHATSAPP, True),
        ("Live Chat", Channel.LIVE_CHAT, True),
        ("TYPE_CUSTOM_PROVIDER_SMS", Channel.SMS, True),
        ("GMB", Channel.OTHER, False),
    ],
)
def test_channel_decides_whether_the_bot_is_told(
    ghl, inbound_handler_calls, message_type, channel, answered
):
    ghl.post(_inbound(messageId="m-1", messageType=message_type))

    message = Message.objects.get()
    assert message.channel == channel
    assert (inbound_handler_calls == [message.pk]) is answered


def test_inbound_message_for_an_opted_out_contact_is_still_recorded(ghl, inbound_handler_calls):
    ContactFactory(
        ghl_contact_id="cI08i1Bls3iTB9bKgFJh",
        ghl_location_id="l1C08ntBrFjLS0elLIYU",
        opted_out=True,
        opted_out_at=timezone.now(),
    )

    ghl.post(_inbound(messageId="m-1"))

    contact = Contact.objects.get()
    assert contact.opted_out is True
    assert Message.objects.get().conversation.contact == contact


# --- Contacts -----------------------------------------------------------------------


def _contact_event(event_type="ContactUpdate", **overrides) -> dict:
    payload = _sample("contactcreate", type=event_type, dnd=False)
    payload.update(overrides)
    return payload


def test_contact_dnd_flag_from_highlevel_is_mirrored_with_when_and_why(ghl):
    ghl.post(_contact_event(dnd=True, webhookId="a"))

    contact = Contact.objects.get()
    assert contact.dnd is True and contact.dnd_at is not None
    assert contact.dnd_reason == "DND on all channels in HighLevel"
    assert not contact.can_receive_automated
    assert AuditEvent.objects.filter(action="contact.dnd_on", subject_id=str(contact.pk)).exists()

    ghl.post(_contact_event(dnd=False, webhookId="b"))

    contact.refresh_from_db()
    assert (contact.dnd, contact.dnd_at, contact.dnd_reason) == (False, None, "")
    assert AuditEvent.objects.filter(action="contact.dnd_off").exists()


def test_sms_dnd_in_channel_settings_counts_as_dnd(ghl):
    settings_ = {"SMS": {"status": "active", "message": "STOP received", "code": "21610"}}

    ghl.post(_contact_event("ContactDndUpdate", dnd=False, dndSettings=settings_))

    contact = Contact.objects.get()
    assert contact.dnd is True
    assert "SMS DND" in contact.dnd_reason and "21610" in contact.dnd_reason


def test_email_only_dnd_leaves_sms_allowed(ghl):
    settings_ = {"SMS": {"status": "inactive"}, "Email": {"status": "active"}}

    ghl.post(_contact_event("ContactDndUpdate", dnd=False, dndSettings=settings_))

    assert Contact.objects.get().dnd is False


def test_highlevel_sync_never_clears_our_opt_out(ghl):
    ContactFactory(
        ghl_contact_id="nmFmQEsNgz6AVpgLVUJ0",
        ghl_location_id="ve9EPM428h8vShlRW1KT",
        opted_out=True,
        opted_out_at=timezone.now(),
        opted_out_reason="STOP",
    )

    ghl.post(_contact_event(dnd=False))

    contact = Contact.objects.get()
    assert (contact.opted_out, contact.opted_out_reason) == (True, "STOP")


def test_update_writes_only_the_fields_present(ghl):
    ContactFactory(
        ghl_contact_id="c-9", ghl_location_id="loc", first_name="Ana", phone="+19095550123"
    )

    ghl.post({"type": "ContactTagUpdate", "locationId": "loc", "id": "c-9", "tags": ["seller"]})

    contact = Contact.objects.get()
    assert (contact.first_name, contact.phone, contact.tags) == ("Ana", "+19095550123", ["seller"])


def test_unusable_phone_and_email_are_not_stored(ghl):
    ghl.post(_contact_event("ContactCreate", phone="call me maybe", email="not-an-email"))

    contact = Contact.objects.get()
    assert (contact.phone, contact.email) == ("", "")


def test_contact_deleted_in_highlevel_is_kept_silenced_and_its_conversations_closed(ghl):
    contact = ContactFactory(ghl_contact_id="c-del", ghl_location_id="loc")
    ConversationFactory(contact=contact)
    deal = Deal.objects.create(contact=contact, name="Sale", side=Deal.Side.SELL)

    ghl.post({"type": "ContactDelete", "locationId": "loc", "id": "c-del"})

    contact.refresh_from_db()
    assert contact.dnd is True and contact.dnd_reason == "Deleted in HighLevel"
    assert set(contact.conversations.values_list("status", flat=True)) == {"closed"}
    assert Deal.objects.filter(pk=deal.pk).exists()
    assert AuditEvent.objects.filter(action="contact.deleted_in_ghl").exists()
    assert WebhookEvent.objects.get().contact == contact


# --- Opportunities, appointments, tasks --------------------------------------------------


def test_opportunity_fan_out_makes_one_deal_and_closes_it_when_won(ghl):
    base = _sample("opportunitycreate")
    ghl.post(base)
    ghl.post({**base, "type": "OpportunityUpdate"})  # fan-out copy of the create
    won = {**base, "monetaryValue": 525000, "status": "won"}
    ghl.post({**won, "type": "OpportunityStatusUpdate"})
    ghl.post({**won, "type": "OpportunityUpdate"})  # fan-out copy

    deal = Deal.objects.get()
    assert (deal.stage, deal.value) == (Deal.Stage.CLOSED_WON, 525000)
    assert deal.closed_at is not None
    assert WebhookEvent.objects.filter(status=Status.PROCESSED).count() == 4


def test_seller_contact_gets_a_sell_side_deal(ghl):
    ContactFactory(
        ghl_contact_id="cJAWDskpkJHbRbhAT7bs",
        ghl_location_id="ve9EPM428h8vShlRW1KT",
        intent="seller",
    )

    ghl.post(_sample("opportunitycreate"))

    assert Deal.objects.get().side == Deal.Side.SELL


def test_deleted_opportunity_closes_the_deal_as_lost(ghl):
    ghl.post(_sample("opportunitycreate"))
    ghl.post(_sample("opportunitycreate", type="OpportunityDelete"))

    assert Deal.objects.get().stage == Deal.Stage.CLOSED_LOST
    assert AuditEvent.objects.filter(action="deal.deleted_in_ghl").exists()


def test_task_without_contact_is_kept_unlinked(ghl):
    payload = _sample("taskcreate")
    del payload["contactId"], payload["body"]

    ghl.post(payload)

    event = WebhookEvent.objects.get()
    assert (event.status, event.contact) == (Status.PROCESSED, None)
    assert "not linked" in event.last_error


def test_message_event_without_contact_is_ignored_with_a_reason(ghl):
    payload = _inbound()
    del payload["contactId"]

    ghl.post(payload)

    event = WebhookEvent.objects.get()
    assert (event.status, event.last_error) == (Status.IGNORED, "No contactId.")


# --- Failures, retries, the sweeper, the admin ------------------------------------------


def _refuse_message_inserts(execute, sql, params, many, context):
    # A database fault injected where Django hands SQL to the driver.
    if sql.lstrip().upper().startswith("INSERT") and "leads_message" in sql.split("(")[0]:
        raise OperationalError("disk I/O error")
    return execute(sql, params, many, context)


def test_failing_event_is_retried_then_marked_dead_and_visible(ghl, settings, webhook_admin):
    settings.GHL_WEBHOOK_MAX_ATTEMPTS = 3

    with connection.execute_wrapper(_refuse_message_inserts):
        response = ghl.post(_inbound(messageId="m-1"))

    assert response.status_code == 200  # stored: HighLevel has nothing to redeliver
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == (Status.DEAD, 3)
    assert "disk I/O error" in event.last_error
    assert not Message.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.dead", subject_id=str(event.pk)).exists()
    page = webhook_admin.get(reverse("admin:leads_webhookevent_changelist") + "?status=dead")
    assert page.status_code == 200
    assert f"/admin/leads/webhookevent/{event.pk}/change/" in page.content.decode()


def test_admin_reprocess_action_revives_a_dead_event(
    ghl, settings, webhook_admin, django_capture_on_commit_callbacks
):
    settings.GHL_WEBHOOK_MAX_ATTEMPTS = 2
    with connection.execute_wrapper(_refuse_message_inserts):
        ghl.post(_inbound(messageId="m-1"))
    event = WebhookEvent.objects.get()
    assert event.status == Status.DEAD

    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_admin.post(
            reverse("admin:leads_webhookevent_changelist"),
            {"action": "reprocess", "_selected_action": [event.pk]},
            follow=True,
        )

    assert "1 events queued for reprocessing" in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.attempts) == (Status.PROCESSED, 1)
    assert Message.objects.count() == 1
    audit = AuditEvent.objects.get(action="webhook.reprocess")
    assert (audit.actor, audit.actor_label) == ("human", "jorge")


def test_admin_reprocess_skips_rejected_events(
    ghl, webhook_admin, django_capture_on_commit_callbacks
):
    ghl.post(_inbound(), scheme=None)
    rejected = WebhookEvent.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_admin.post(
            reverse("admin:leads_webhookevent_changelist"),
            {"action": "reprocess", "_selected_action": [rejected.pk]},
            follow=True,
        )

    assert "0 events queued" in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.status == Status.REJECTED


def _store_without_enqueue(ghl, django_capture_on_commit_callbacks, payload) -> WebhookEvent:
    # The process died between COMMIT and publishing the task: the callback never ran.
    body = json.dumps(payload).encode()
    with django_capture_on_commit_callbacks(execute=False):
        ghl.client.post(
            WEBHOOK_URL, data=body, content_type="application/json", **ghl.signer.headers(body)
        )
    return WebhookEvent.objects.get()


def test_sweeper_enqueues_an_event_that_was_stored_but_never_enqueued(
    ghl, django_capture_on_commit_callbacks
):
    event = _store_without_enqueue(
        ghl, django_capture_on_commit_callbacks, _inbound(messageId="m-1")
    )
    assert event.status == Status.RECEIVED

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_stuck_webhook_events_task() == 0  # too young: maybe still in the queue
    WebhookEvent.objects.filter(pk=event.pk).update(
        updated_at=timezone.now() - timedelta(minutes=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_stuck_webhook_events_task() == 1

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "age", "swept"),
    [
        (Status.PROCESSING, timedelta(seconds=30), False),  # may still be running
        (Status.PROCESSING, timedelta(seconds=90), True),  # its worker died (time limit 45 s)
        (Status.FAILED, timedelta(minutes=5), False),  # its own retry is pending
        (Status.FAILED, timedelta(minutes=12), True),  # the retry was lost
        (Status.PROCESSED, timedelta(days=1), False),
        (Status.DEAD, timedelta(days=1), False),
        (Status.REJECTED, timedelta(days=1), False),
    ],
)
def test_sweeper_picks_only_events_that_are_overdue(
    ghl, django_capture_on_commit_callbacks, status, age, swept
):
    event = _store_without_enqueue(
        ghl, django_capture_on_commit_callbacks, _inbound(messageId="m-1")
    )
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=status, attempts=1, updated_at=timezone.now() - age
    )

    with django_capture_on_commit_callbacks(execute=True):
        count = tasks.sweep_stuck_webhook_events_task()

    assert count == int(swept)
    event.refresh_from_db()
    assert (event.status == Status.PROCESSED) is (swept or status == Status.PROCESSED)


def test_event_whose_workers_keep_dying_is_marked_dead_not_looped(
    ghl, settings, django_capture_on_commit_callbacks
):
    settings.GHL_WEBHOOK_MAX_ATTEMPTS = 3
    event = _store_without_enqueue(
        ghl, django_capture_on_commit_callbacks, _inbound(messageId="m-1")
    )
    # Three attempts were counted and none finished (SIGKILL, OOM): Celery redelivers it.
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=Status.PROCESSING, attempts=3, updated_at=timezone.now() - timedelta(minutes=10)
    )

    assert tasks.process_webhook_event_task.delay(event.pk).get() == Status.DEAD

    event.refresh_from_db()
    assert event.status == Status.DEAD
    assert not Message.objects.exists()


def test_processing_an_event_twice_changes_nothing(ghl, inbound_handler_calls):
    ghl.post(_inbound(messageId="m-1"))
    event = WebhookEvent.objects.get()

    assert tasks.process_webhook_event_task.delay(event.pk).get() == Status.PROCESSED

    event.refresh_from_db()
    assert event.attempts == 1
    assert Message.objects.count() == 1
    assert len(inbound_handler_calls) == 1


def test_retry_countdown_stays_far_below_the_visibility_timeout(settings):
    countdowns = [tasks.webhook_retry_countdown(retries) for retries in range(25)]

    assert max(countdowns) <= 600 < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert countdowns[0] < countdowns[3]
    assert tasks.process_webhook_event_task.acks_late is True
    assert tasks.process_webhook_event_task.reject_on_worker_lost is True
    schedule = settings.CELERY_BEAT_SCHEDULE["leads.sweep_stuck_webhook_events"]
    assert schedule == {"task": "leads.tasks.sweep_stuck_webhook_events_task", "schedule": 60.0}
