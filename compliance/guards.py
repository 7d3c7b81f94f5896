"""The compliance checks the bot pipeline runs on every message (registered in apps.py)."""

from compliance.rules.fair_housing import (
    detect_protected_topic,
    fair_housing_reply,
    find_prohibited_phrases,
)
from leads.services.pipeline import GuardFinding


def fair_housing_inbound_guard(message, contact) -> GuardFinding | None:
    """A question about who lives in an area, or how safe it is, gets the vetted answer."""
    flag = detect_protected_topic(message.body)
    if flag is None:
        return None
    return GuardFinding(
        rule=f"fair_housing:{flag.topic}",
        reply=fair_housing_reply(contact.language),
        data={"matched": flag.matched},
    )


def fair_housing_outbound_guard(text: str, language: str) -> list[str]:
    """Steering or discriminatory phrases a bot reply must never contain."""
    return [f"fair housing: {phrase}" for phrase in find_prohibited_phrases(text)]
