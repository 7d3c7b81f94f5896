"""``manage.py simulate_inbound``: a lead's text through the real webhook path, reported."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from leads.models import Contact, Message, WebhookEvent


@pytest.fixture(autouse=True)
def _bot_pipeline_not_under_test(inbound_handler_calls):
    """Only a recorder is registered as inbound handler: the bot's replies are tested elsewhere."""


def _simulate(**options) -> str:
    out = StringIO()
    call_command("simulate_inbound", stdout=out, wait=0, **options)
    return out.getvalue()


# Real commits, so processing runs on commit as in ``manage.py`` and the report sees it.
@pytest.mark.django_db(transaction=True)
def test_simulated_text_goes_through_the_signed_endpoint_and_is_reported(inbound_handler_calls):
    output = _simulate(phone="+19095550100", text="Hi, I want to sell my house", name="Maria Lopez")

    events = list(WebhookEvent.objects.order_by("pk"))
    assert [(e.event_type, e.status, e.signature_scheme) for e in events] == [
        ("ContactCreate", "processed", "ed25519"),
        ("InboundMessage", "processed", "ed25519"),
    ]
    contact = Contact.objects.get()
    assert (contact.full_name, contact.phone) == ("Maria Lopez", "+19095550100")
    message = Message.objects.get()
    assert message.body == "Hi, I want to sell my house"
    assert inbound_handler_calls == [message.pk]
    assert "InboundMessage → HTTP 200" in output
    assert f"event #{events[1].pk}: processed, attempts 1" in output
    assert "Maria Lopez · +19095550100" in output
    assert "[inbound · contact · received] Hi, I want to sell my house" in output
    assert "Outbox (HighLevel calls captured, no GHL_API_TOKEN): 0" in output


@pytest.mark.django_db(transaction=True)
def test_second_text_from_the_same_phone_continues_the_conversation():
    _simulate(phone="+19095550100", text="Hello")
    output = _simulate(phone="+19095550100", text="Are you there?")

    assert Contact.objects.count() == 1
    assert Message.objects.filter(conversation__contact__phone="+19095550100").count() == 2
    assert "ContactCreate" not in output
    assert "Are you there?" in output and "Hello" not in output.split("Conversation #")[1]


def test_the_simulation_key_is_trusted_only_while_the_command_runs(db):
    before = settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY

    _simulate(phone="+19095550100", text="Hi")

    assert before == settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY


def test_phone_must_be_e164(db):
    with pytest.raises(CommandError, match=r"E\.164"):
        _simulate(phone="909-555-0100", text="Hi")
