"""Writes of the analytics app: pushing events to the live dashboard, the business rules."""

import asyncio
import logging
import time
from datetime import UTC, datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from analytics.models import BusinessSettings, LeadTally, PerformanceBucket
from analytics.selectors import forget_current_rules
from config.performance import HOUR_SECONDS, Aggregate, Key

from . import cache as tiers
from .channel_layer import SQLiteChannelLayer

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"
_SEQUENCE_KEY = "dashboard:sequence"


def _shared_layer():
    # The embedded default: the local-memory cache is per process, so the counter lives in
    # the channel layer's file that every process shares.
    layer = get_channel_layer()
    return layer if isinstance(layer, SQLiteChannelLayer) else None


def _next_sequence() -> int:
    # A gap in the sequence tells a client it missed an event and must resync.
    if (layer := _shared_layer()) is not None:
        return layer.next_sequence(_SEQUENCE_KEY)
    try:
        return cache.incr(_SEQUENCE_KEY)
    except ValueError:
        cache.add(_SEQUENCE_KEY, 0, timeout=None)
        return cache.incr(_SEQUENCE_KEY)


def current_sequence() -> int:
    """The sequence number of the latest dashboard event (0 before the first)."""
    if (layer := _shared_layer()) is not None:
        return layer.current_sequence(_SEQUENCE_KEY)
    return cache.get(_SEQUENCE_KEY, 0)


# A push waits at most this long for the channel layer (a hung Redis); after a failed push
# the next ones are skipped for BROADCAST_PAUSE_SECONDS instead of each waiting again. The
# pipeline that sends them never waits on the dashboard, which resyncs from the database.
BROADCAST_TIMEOUT_SECONDS = 2.0
BROADCAST_PAUSE_SECONDS = 15.0
_layer_down_until = 0.0


async def _group_send(message: dict) -> None:
    await asyncio.wait_for(
        get_channel_layer().group_send(DASHBOARD_GROUP, message), BROADCAST_TIMEOUT_SECONDS
    )


def _send(kind: str, data: dict) -> None:
    global _layer_down_until
    payload = {
        "kind": kind,
        "seq": None,
        "at": timezone.now().isoformat(),
        "data": data,
    }
    try:
        # What the event changed is stale in the cache tiers from now on (analytics/cache.py).
        tiers.invalidate_for_event(kind)
        payload["seq"] = _next_sequence()
        if time.monotonic() < _layer_down_until:
            logger.info("dashboard broadcast of %s skipped: the channel layer is down", kind)
            return
        async_to_sync(_group_send)({"type": "dashboard.event", "payload": payload})
    except Exception:  # the dashboard resyncs from the database; a lost push is not fatal
        _layer_down_until = time.monotonic() + BROADCAST_PAUSE_SECONDS
        logger.exception("dashboard broadcast of %s failed", kind)


def broadcast_dashboard_event(*, kind: str, data: dict) -> None:
    """Send ``kind`` to every open dashboard once the current transaction commits."""
    transaction.on_commit(lambda: _send(kind, data))


def update_business_settings(
    *, settings_row: BusinessSettings, changed: list[str], user: AbstractBaseUser | None
) -> BusinessSettings:
    """Save staff's change to the business rules (rate, splits, odds, goal), audited."""
    from compliance.services import audit  # compliance.services imports this module

    with transaction.atomic():
        settings_row.full_clean()
        settings_row.save()
        audit(
            action="business.settings_changed",
            subject=settings_row,
            user=user,
            data={field: str(getattr(settings_row, field)) for field in changed},
        )
        # Every page reads the new rules as soon as they are committed.
        transaction.on_commit(forget_current_rules)
    return settings_row


def save_performance_samples(samples: dict[Key, Aggregate]) -> None:
    """Merge a process's hourly aggregates into ``PerformanceBucket`` (the tracker's sink).

    One short transaction, no network inside: the rows of these hours and metrics are read
    under a row lock, added to, and the new ones created. Two processes creating the same row
    at once: the loser's insert fails on the unique key and it merges again into that row.
    """
    hours = {key: datetime.fromtimestamp(key[2] * HOUR_SECONDS, tz=UTC) for key in samples}
    for attempt in range(2):
        try:
            with transaction.atomic():
                existing = {
                    (row.metric, row.label, row.hour): row
                    for row in PerformanceBucket.objects.select_for_update().filter(
                        hour__in=set(hours.values()), metric__in={key[0] for key in samples}
                    )
                }
                changed, created = [], []
                for key, aggregate in samples.items():
                    metric, label, _ = key
                    row = existing.get((metric, label, hours[key]))
                    if row is None:
                        row = PerformanceBucket(metric=metric, label=label, hour=hours[key])
                        created.append(row)
                    else:
                        changed.append(row)
                    row.count += aggregate.count
                    row.total += aggregate.total
                    histogram = {int(index): n for index, n in row.histogram.items()}
                    for index, n in aggregate.histogram.items():
                        histogram[index] = histogram.get(index, 0) + n
                    row.histogram = {str(index): n for index, n in sorted(histogram.items())}
                PerformanceBucket.objects.bulk_update(changed, ["count", "total", "histogram"])
                PerformanceBucket.objects.bulk_create(created)
            return
        except IntegrityError:
            if attempt:
                raise


# --- Lead tallies (analytics.models.LeadTally) ----------------------------------------------


def compact_lead_tallies() -> int:
    """Fold the tally journal into one row per value; returns the rows it removed.

    DELETE … RETURNING takes exactly the rows it removes (on PostgreSQL not the uncommitted
    rows of a lead being written now, nor those a concurrent compaction already took), and
    their sums go back in the same transaction: every count is unchanged, whatever runs
    beside it. Idempotent; a compaction with nothing to fold writes nothing."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM analytics_leadtally RETURNING dimension, value, delta")
            removed = cursor.fetchall()
        sums: dict[tuple[str, str], int] = {}
        for dimension, value, delta in removed:
            sums[dimension, value] = sums.get((dimension, value), 0) + delta
        LeadTally.objects.bulk_create(
            LeadTally(dimension=dimension, value=value, delta=total)
            for (dimension, value), total in sums.items()
            if total
        )
    return len(removed)


def rebuild_lead_tallies() -> None:
    """Recount the tallies from every contact (a repair: the triggers keep them exact)."""
    from leads.models import Contact

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # No contact may change between the delete and the recount.
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE leads_contact IN SHARE MODE")
        LeadTally.objects.all().delete()
        leads = Contact.objects.filter(is_test=False).order_by()
        rows = []
        for dimension in LeadTally.Dimension.values:
            field = "budget_max" if dimension == LeadTally.Dimension.BUDGET else dimension
            for value, count in (
                leads.values_list(field).annotate(n=Count("id")).values_list(field, "n")
            ):
                rows.append(
                    LeadTally(
                        dimension=dimension, value="" if value is None else str(value), delta=count
                    )
                )
        LeadTally.objects.bulk_create(rows)
