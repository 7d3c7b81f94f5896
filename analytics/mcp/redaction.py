"""What the MCP tools hand an outside AI: no phone number, email address or sensitive data.

Message text goes through the compliance redactor (SSNs, cards, bank details, birth dates:
compliance.rules.privacy) and then has phone numbers and email addresses masked too, since a
lead often texts them; a contact's own phone and email are masked to what identifies them to
Jorge (the last four digits, the first letter and the domain).
"""

import re

from compliance.rules.privacy import redact_sensitive

_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+[\w-]{2,}")
# Ten or more digits (a US number; dates and prices have fewer), maybe split by spaces, dots,
# dashes or brackets, maybe after a "+".
_PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s.()-]*\d){9,14}(?![\w])")


def mask_phone(phone: str) -> str:
    """``+17145550100`` → ``•••-0100`` (empty stays empty)."""
    digits = re.sub(r"\D", "", phone or "")
    return f"•••-{digits[-4:]}" if digits else ""


def mask_email(email: str) -> str:
    """``maria@example.com`` → ``m•••@example.com`` (empty stays empty)."""
    if not email or "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}•••@{domain}"


def redact_text(text: str) -> str:
    """Message or ticket text without sensitive data, phone numbers or email addresses."""
    text = redact_sensitive(text or "")
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
