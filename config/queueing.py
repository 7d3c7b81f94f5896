"""Handing work to Celery without letting a broker outage fail the caller.

The database is the source of truth: work that must not be lost (webhook events, bot turns,
queued sends) is stored first and has a sweep that finds what was stored but never queued
(``leads.tasks.sweep_*``). So when Redis is down or hung, a publish gives up within about two
seconds (the broker's socket timeouts and ``CELERY_TASK_PUBLISH_RETRY_POLICY`` in settings),
is logged and counted (``jorge_celery_publish_failures``), and the caller carries on: a
webhook is still answered 200, and the sweep queues its event once the broker is back.

Use ``publish_on_commit`` for work a transaction just stored, never ``transaction.on_commit(
partial(task.delay, ...), robust=True)``: Django's error log for a robust callback reads the
callable's ``__qualname__``, which a ``partial`` lacks, so the outage became an HTTP 500.
"""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from config import metrics

logger = logging.getLogger(__name__)

# What a publish raises when the broker is down, refuses the connection, or does not answer.
BROKER_ERRORS = (BrokerError, RedisError, OSError)


def publish(task, *args) -> bool:
    """Queue ``task(*args)``; False (logged and counted) when the broker cannot take it."""
    try:
        task.apply_async(args=args)
    except BROKER_ERRORS as exc:
        logger.warning(
            "could not queue %s%r (broker unavailable: %s); its sweep queues it when it is back",
            task.name,
            args,
            exc,
        )
        metrics.record_publish_failure(task.name)
        return False
    return True


def publish_on_commit(task, *args) -> None:
    """Queue ``task(*args)`` once the current transaction commits; never raises for the broker."""
    transaction.on_commit(lambda: publish(task, *args))
