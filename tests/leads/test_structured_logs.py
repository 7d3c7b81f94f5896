"""A lead's text through the real webhook: the log lines of its processing say which
request, webhook event, Celery task and conversation they belong to."""

import logging
from datetime import UTC, datetime

import pytest
import time_machine

from leads.models import Conversation, WebhookEvent
from tests.config.test_logs import CapturedLog

MORNING = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California


@time_machine.travel(MORNING, tick=False)
@pytest.mark.django_db(transaction=True)
def test_the_lines_of_a_bot_turn_carry_every_id(ghl):
    log = CapturedLog("json")
    logging.getLogger().addHandler(log.handler)
    try:
        response = ghl.post(
            {
                "type": "InboundMessage",
                "locationId": "loc-1",
                "contactId": "lead-logs",
                "conversationId": "conv-logs",
                "messageId": "logs-sms-1",
                "webhookId": "logs-wh-1",
                "body": "Hi, I want to sell my house, my SSN is 123-45-6789",
                "direction": "inbound",
                "messageType": "SMS",
                "dateAdded": MORNING.isoformat().replace("+00:00", "Z"),
            }
        )
    finally:
        logging.getLogger().removeHandler(log.handler)

    [first_response] = [
        line for line in log.json_lines() if line["message"].startswith("First response")
    ]
    assert first_response["request_id"] == response["X-Request-ID"]
    assert first_response["webhook_event_id"] == WebhookEvent.objects.get().pk
    assert first_response["conversation_id"] == Conversation.objects.get().pk
    assert first_response["celery_task_id"]  # the bot turn's task
    assert not [line for line in log.lines if "123-45-6789" in line]
