"""The escalation signals as an inbound guard: a lead who asks for a person, is angry or
threatens legal action, or asks the same question again gets a short acknowledgement in
their language and a person (``leads.services.escalation``), not the next bot question."""

from django.utils import timezone

from leads import selectors
from leads.intelligence.escalation_signals import (
    ANGER_OR_COMPLAINT,
    ASKED_FOR_PERSON,
    BOT_FAILED,
    detect_escalation,
    is_question,
)
from leads.intelligence.replies import detect_language
from leads.models import Message
from leads.services.escalation import is_on_call
from leads.services.pipeline import GuardFinding

_ACKNOWLEDGEMENT = {
    ASKED_FOR_PERSON: "escalation_ack_person",
    ANGER_OR_COMPLAINT: "escalation_ack_complaint",
    BOT_FAILED: "escalation_ack_repeat",
}


def escalation_inbound_guard(message, contact) -> GuardFinding | None:
    """Hand the lead to a person when their message says they need one."""
    previous = None
    if is_question(message.body):
        # Only a question can go unanswered; the read is skipped for everything else.
        previous = selectors.previous_lead_message_answered(message=message)
    signal = detect_escalation(message.body, previous=previous)
    if signal is None:
        return None
    key = _ACKNOWLEDGEMENT[signal.reason]
    answered = Message.objects.filter(
        conversation_id=message.conversation_id, direction=Message.Direction.OUTBOUND
    )
    if not answered.exists():
        key = "greeting+" + key  # our first words to them still say who is writing
    if not is_on_call(at=timezone.now()):
        key += "+escalation_holding"  # the same message says when a person will answer
    language = detect_language(message.body) or contact.language
    return GuardFinding(
        rule=f"escalation:{signal.rule}",
        reply=selectors.reply_text(key=key, language=language, first_name=contact.first_name),
        hand_to_human=True,
        escalation_reason=signal.reason,
        data={"signal": signal.rule},
    )
