"""The visitor's token (which conversation is theirs) and staff's "try the bot" pass, both
signed with the site's secret key: nothing to store, nothing a visitor can forge."""

from datetime import timedelta

from django.conf import settings
from django.core import signing

VISITOR_SALT = "webchat.visitor"
TRY_SALT = "webchat.try-the-bot"
TRY_PASS_MAX_AGE = timedelta(hours=12)


def visitor_token(*, conversation_id: int) -> str:
    """The token the widget keeps for the visitor: their conversation's id, signed."""
    return signing.dumps({"conversation": conversation_id}, salt=VISITOR_SALT, compress=True)


def conversation_id_from_token(token: str) -> int | None:
    """The conversation a token names, or None when it is forged, garbled or expired."""
    try:
        data = signing.loads(
            token, salt=VISITOR_SALT, max_age=timedelta(days=settings.WEBCHAT_VISITOR_DAYS)
        )
    except signing.BadSignature:
        return None
    conversation_id = data.get("conversation") if isinstance(data, dict) else None
    return conversation_id if isinstance(conversation_id, int) else None


def try_the_bot_pass(*, user_id: int) -> str:
    """A pass the demo page gives staff: conversations started with it are tests."""
    return signing.dumps({"staff": user_id}, salt=TRY_SALT)


def is_valid_try_pass(value: str) -> bool:
    try:
        data = signing.loads(value, salt=TRY_SALT, max_age=TRY_PASS_MAX_AGE)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and isinstance(data.get("staff"), int)
