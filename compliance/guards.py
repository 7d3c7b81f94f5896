"""The compliance check in the bot pipeline (registered in apps.py).

Every inbound message and every outbound draft goes through ``check_message``. A lead's
message that breaks a rule gets one vetted answer and a ticket per violation; a draft that
breaks one is blocked (kept, never sent) and gets its tickets. A ticket pauses the bot
until a reviewer resumes it (``compliance.services.open_compliance_tickets``).
"""

from functools import partial

from compliance import selectors
from compliance.checks import Violation, check_message
from compliance.rules.fair_housing import fair_housing_reply
from compliance.rules.privacy import privacy_notice
from compliance.rules.tcpa import tcpa_reply
from leads.services.pipeline import GuardFinding


def _answer(violations: list[Violation], message, language: str) -> tuple[str, str]:
    """The rule a reply answers and its vetted wording ("" when the bot should say nothing).

    The privacy notice comes first, once per conversation: a lead who texts an SSN must
    learn not to; then the fair-housing answer, then the TCPA apology.
    """
    by_type = {}
    for violation in violations:
        by_type.setdefault(violation.type, violation)
    privacy = by_type.get("privacy")
    if privacy and not selectors.privacy_notice_sent(conversation_id=message.conversation_id):
        return f"privacy:{privacy.category}", privacy_notice(language)
    if "fair_housing" in by_type:
        return f"fair_housing:{by_type['fair_housing'].category}", fair_housing_reply(language)
    if "tcpa" in by_type:
        return f"tcpa:{by_type['tcpa'].category}", tcpa_reply(language)
    # Sensitive data again, after the notice: no second notice, and no answer that could
    # read as taking it (a reviewer follows up).
    return f"privacy:{privacy.category}", ""


def _escalate_inbound(*, conversation, contact, message, violations) -> None:
    from compliance.services import open_compliance_tickets

    open_compliance_tickets(
        violations=violations,
        direction="inbound",
        contact=contact,
        conversation=conversation,
        message=message,
    )


def compliance_inbound_guard(message, contact) -> GuardFinding | None:
    """A lead's message that breaks a rule: the vetted answer, and a ticket per violation."""
    violations = check_message(message.body, "inbound")
    if not violations:
        return None
    rule, reply = _answer(violations, message, contact.language)
    return GuardFinding(
        rule=rule,
        reply=reply,
        data={"violations": [v.as_dict() for v in violations]},
        escalate=partial(_escalate_inbound, message=message, violations=violations),
    )


def compliance_outbound_guard(text: str, language: str) -> list[str]:
    """What a bot draft must not say: each violation, with its (redacted) evidence."""
    return [f"{v.type}: {v.category}: {v.evidence}" for v in check_message(text, "outbound")]


def _second_opinion_violations(message) -> list[Violation]:
    """The violation a model found in a draft the rules passed (``ENABLE_AGENT_MESH``)."""
    opinion = (message.ai_metadata or {}).get("second_opinion") or {}
    if not opinion.get("violation"):
        return []
    return [
        Violation(
            type=opinion["type"],
            category="second_opinion",
            evidence=f"{opinion.get('model', '')}: {opinion.get('reason', '')}",
            severity="high",
        )
    ]


def escalate_blocked_draft(*, conversation, contact, message) -> None:
    """A blocked draft: a ticket per compliance violation in it, the rules' or else a model's
    second opinion (other guards' blocks get none)."""
    from compliance.services import open_compliance_tickets

    violations = check_message(message.body, "outbound") or _second_opinion_violations(message)
    if violations:
        open_compliance_tickets(
            violations=violations,
            direction="outbound",
            contact=contact,
            conversation=conversation,
            message=message,
        )
