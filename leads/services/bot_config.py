"""Staff's settings of the bots: the kill switch, caps, cadence and reply wording."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from compliance.services import audit
from config.queueing import publish_on_commit
from leads.bots.texts import DEFAULT_TEXTS
from leads.models import AgentProfile, BotSettings, Language, ReplyTemplate


def update_bot_settings(
    *, settings_row: BotSettings, changed: list[str], user: AbstractBaseUser
) -> BotSettings:
    """Save staff's change to the bot settings, audited (the kill switch above all).

    Raises ``ValidationError`` for a value the bots could not run on (nothing is saved).
    """
    settings_row.full_clean()
    with transaction.atomic():
        settings_row.save()
        if "bots_enabled" in changed and settings_row.bots_enabled:
            from leads.tasks import answer_held_messages_task

            # Leads who wrote while the bots were stopped get their answer now.
            publish_on_commit(answer_held_messages_task)
        audit(
            action="bots.kill_switch" if "bots_enabled" in changed else "bots.settings_changed",
            subject=settings_row,
            user=user,
            data={field: getattr(settings_row, field) for field in changed},
        )
    return settings_row


def update_agent_profile(
    *, profile: AgentProfile, changed: list[str], user: AbstractBaseUser
) -> AgentProfile:
    """Save staff's change to the agent's profile (what the CMA prints), audited."""
    profile.full_clean()
    with transaction.atomic():
        profile.save()
        audit(
            action="agent.profile_changed",
            subject=profile,
            user=user,
            # The photo by its file name: the audit trail holds no images.
            data={field: str(getattr(profile, field)) for field in changed},
        )
    return profile


def ensure_reply_templates() -> int:
    """Give every bot message a row per language with its default wording; returns rows added."""
    existing = set(ReplyTemplate.objects.values_list("key", "language"))
    missing = [
        ReplyTemplate(key=key, language=language, body=texts.get(language) or texts["en"])
        for key, texts in DEFAULT_TEXTS.items()
        for language in Language.values
        if (key, language) not in existing
    ]
    ReplyTemplate.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
