"""Writes of the compliance app."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from .models import AuditEvent


def audit(
    *,
    action: str,
    subject: models.Model,
    actor: str = AuditEvent.Actor.SYSTEM,
    user: AbstractBaseUser | None = None,
    data: dict | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Record an automated or human decision about ``subject``; call it inside the change's transaction."""
    if user is not None:
        actor, actor_label = AuditEvent.Actor.HUMAN, user.get_username()
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor_label,
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
    )
