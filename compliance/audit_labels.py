"""The audit trail in words a person reads: every action code and the names the code signs
its rows with (``bot.turn``, ``send_message_once``), as the back office shows them.

The codes stay what they are in the database (tests and queries use them); only their display
changes. A new code gets its label here: ``tests/compliance/test_audit_labels.py`` finds every
code in the source and fails on one without a label.
"""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst

ACTION_LABELS = {
    # The bot's turn
    "bot.turn": "Bot answered a message",
    "bot.turn_failed": "Bot's turn failed",
    "bot.turn_redone": "Bot's turn run again",
    "bot.turn_retried": "Failed turn queued to run again",
    "bot.handoff": "Bot handed the lead to another bot",
    "bot.paused_for_human": "Bot paused for a person",
    "bot.resumed": "Bot resumed",
    "bots.kill_switch": "Kill switch changed (bots on/off)",
    "bots.settings_changed": "Bot settings changed",
    "agent.profile_changed": "Agent profile changed (name, licence, phone, photo)",
    "keyword.help": "Answered HELP",
    "guard.inbound": "Incoming message stopped by a rule",
    "guard.outbound": "Bot's draft stopped by a rule",
    "reply.dropped": "Reply dropped (the conversation changed meanwhile)",
    "reply.skipped": "Reply not sent (no longer needed)",
    "reply.repeat_blocked": "Repeated reply blocked",
    # Messages out
    "message.queued": "Message queued",
    "message.deferred": "Message held for quiet hours",
    "message.blocked": "Message blocked by a sending rule",
    "message.sent": "Message sent",
    "message.human_reply": "Jorge replied from the dashboard",
    "webchat.started": "Web chat started by a visitor",
    "webchat.contact_linked": "Web-chat visitor linked to a HighLevel contact",
    "conversation.stage_changed": "Conversation moved to the next stage",
    "business.settings_changed": "Business settings changed",
    # API access
    "api_token.issued": "API token issued",
    "api_token.revoked": "API token revoked",
    "message.send_failed": "Message failed to send",
    "message.send_unknown": "Message outcome unknown (not resent)",
    "message.send_skipped": "Message already sent (not sent twice)",
    "message.send_reconciled": "Message outcome read back from HighLevel",
    "message.attachment_fallback": "Attachment sent as a link",
    "followup.stopped": "Follow-ups stopped",
    # Contacts and consent
    "consent.recorded": "Consent recorded",
    "contact.opted_out": "Contact opted out",
    "contact.opted_in": "Contact opted back in",
    "contact.dnd_on": "Do not disturb: on",
    "contact.dnd_off": "Do not disturb: off",
    "contact.deleted_in_ghl": "Contact deleted in HighLevel",
    "deal.deleted_in_ghl": "Deal deleted in HighLevel",
    "lead.qualification_updated": "Lead's answers recorded",
    "lead.call_booked": "Call with Jorge booked (HighLevel updated)",
    "lead_model.trained": "Lead-score model trained",
    # Booking calls
    "booking.offered": "Call times offered",
    "booking.no_slots": "No free call times to offer",
    "booking.clarified": "Asked which time the lead meant",
    "booking.booked": "Call booked",
    "booking.slot_taken": "Picked time no longer free",
    "booking.failed": "Call not booked",
    "booking.unknown": "Booking outcome unknown (check HighLevel)",
    "booking.handed_over": "Booking handed to Jorge",
    # Escalations
    "escalation.opened": "Escalation ticket opened",
    "escalation.repeated": "Escalation came up again",
    "escalation.notified": "On-call person told",
    "escalation.holding_skipped": "Holding message not sent",
    "escalation.assigned": "Escalation ticket assigned",
    "escalation.resolved": "Escalation ticket resolved",
    # Compliance
    "compliance.ticket_opened": "Compliance ticket opened",
    "compliance.ticket_assigned": "Compliance ticket assigned",
    "compliance.ticket_resolved": "Compliance ticket resolved",
    "compliance.officer_notified": "Compliance officer emailed",
    "compliance.officer_not_notified": "Compliance officer not emailed (no address set)",
    "compliance.bot_resumed": "Bot resumed after compliance review",
    # Buyers
    "buyer.profile_created": "Buyer profile started",
    "buyer.answers_recorded": "Buyer's answers recorded",
    "buyer.stage_changed": "Buyer moved to the next stage",
    "buyer.hot": "Buyer is hot",
    "buyer.matches_sent": "Matching homes sent",
    "buyer.financial_assessment": "Financial readiness assessed",
    "listing_alert.run": "New-listing alerts run",
    "listing_alert.queued": "New-listing alert queued",
    "listing_alert.held_back": "New-listing alert held back",
    # Sellers, homes and CMAs
    "seller.answers_recorded": "Seller's answers recorded",
    "seller.stage_changed": "Seller moved to the next stage",
    "seller.hot": "Seller is hot",
    "seller.stall": "Seller stalled",
    "seller.opportunity_created": "HighLevel opportunity created",
    "seller.opportunity_skipped": "HighLevel opportunity skipped (no pipeline set)",
    "seller.cma_not_requested": "CMA not requested",
    "seller.cma_request_failed": "CMA request failed",
    "seller.cma_offered_by_email": "CMA offered by email",
    "seller.cma_emailed": "CMA emailed",
    "cma.requested": "CMA requested",
    "cma.reused": "Existing CMA reused",
    "cma.pending": "CMA being generated",
    "cma.ready": "CMA ready",
    "cma.insufficient": "CMA: too few comparable sales",
    "cma.failed": "CMA failed",
    "property.saved": "Home saved",
    "property.imported": "Home imported from CSV",
    # HighLevel webhooks
    "webhook.rejected": "Webhook rejected (not authentic)",
    "webhook.unprocessable": "Webhook kept but unreadable (not applied)",
    "webhook.dead": "Webhook given up on",
    "webhook.reprocess": "Webhook queued to process again",
}

# The names the code signs automated rows with (``actor_label``), as a person says them.
ACTOR_LABELS = {
    "lead": "Lead bot",
    "lead_bot": "Lead bot",
    "buyer": "Buyer bot",
    "buyer_bot": "Buyer bot",
    "seller": "Seller bot",
    "seller_bot": "Seller bot",
    "pipeline": "Bot pipeline",
    "keywords": "Keyword rules (STOP/HELP)",
    "outbound_guards": "Sending rules",
    "compliance_check": "Compliance check",
    "send": "Sender",
    "send_message_once": "Sender (at most once)",
    "nurture": "Follow-ups",
    "escalation:holding": "Escalations · holding message",
    "attachment_fallback": "Sender (attachment as a link)",
    "listing_alert": "New-listing alerts",
    "booking": "Booking",
    "cma": "CMA generator",
    "escalation": "Escalations",
    "on_call": "On-call notifier",
    "notify": "Compliance notifier",
    "financial_assessment": "Financial assessment",
    "listing_alerts": "New-listing alerts",
    "ghl": "HighLevel",
    "ghl_workflow": "HighLevel workflow",
    "train_lead_model": "Lead-score training",
    "web_chat": "Web chat",
    "analysis:offline": "Lead analysis (offline engine)",
    "analysis:claude": "Lead analysis (Claude)",
}

_GROUP_NAMES = {
    "bot": "Bot",
    "bots": "Bots",
    "message": "Message",
    "contact": "Contact",
    "escalation": "Escalation",
    "compliance": "Compliance",
    "seller": "Seller",
    "buyer": "Buyer",
    "cma": "CMA",
    "booking": "Booking",
    "webhook": "Webhook",
    "webchat": "Web chat",
}


def action_label(code: str) -> str:
    """``bot.turn`` → "Bot answered a message"; an unknown code still reads as words."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    group, _, rest = code.partition(".")
    words = rest.replace("_", " ") if rest else ""
    name = _GROUP_NAMES.get(group, group.replace("_", " ").capitalize())
    return f"{name}: {words}" if words else name


# Labels made of a name and a detail (``lead:ask_budget``, ``nurture:step2``, ``keyword:STOP``).
_ACTOR_PREFIXES = {
    **ACTOR_LABELS,
    "keyword": "Keyword rule",
    "guard": "Sending guard",
    "analysis": "Lead analysis",
}


def actor_label(label: str) -> str:
    """``send_message_once`` → "Sender (at most once)", ``lead:ask_budget`` → "Lead bot ·
    ask budget"; usernames and rule names stay as they are."""
    if label in ACTOR_LABELS:
        return ACTOR_LABELS[label]
    head, sep, detail = label.partition(":")
    if sep and head in _ACTOR_PREFIXES:
        return f"{_ACTOR_PREFIXES[head]} · {detail.replace('_', ' ')}"
    return label


def subject_kind_label(subject_type: str) -> str:
    """``leads.conversation`` → "Conversation"."""
    try:
        model = apps.get_model(subject_type)
    except (LookupError, ValueError):
        return subject_type
    return capfirst(model._meta.verbose_name)


def subject_label(subject_type: str, subject_id: str) -> str:
    """``leads.conversation``, ``42`` → "Conversation #42"."""
    return f"{subject_kind_label(subject_type)} #{subject_id}"


def subject_admin_url(subject_type: str, subject_id: str) -> str | None:
    """The back-office page of the row an audit event is about, if it has one."""
    app_label, _, model_name = subject_type.partition(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_change", args=[subject_id])
    except NoReverseMatch:
        return None
