"""Writes of the compliance app."""

import contextlib
import contextvars
from collections.abc import Iterator

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils import timezone

from .models import AuditEvent

# Rows audited inside ``audit_batch()``, written together when it ends.
_batch: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar(
    "audit_batch", default=None
)


@contextlib.contextmanager
def audit_batch() -> Iterator[None]:
    """Write the audit rows of a block in one INSERT when it ends (the bot turn's hot path).

    Use it inside the transaction of the change: the rows commit, or roll back, with it.
    A block that raises writes nothing (its transaction is rolled back anyway).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_batch must run inside a transaction")
    if _batch.get() is not None:  # nested: the outer batch writes them
        yield
        return
    rows: list[AuditEvent] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    if rows:
        AuditEvent.objects.bulk_create(rows)


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
    event = AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_label=actor_label,
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(event)
    else:
        event.save()
    return event
