"""Every webhook event and every message leads sent, with its final state; anything a person
must look at is flagged, and the command then exits with status 1 (for a cron job or a check
after an outage). No message text is printed: leads are named by their HighLevel id.

    python manage.py reconciliation_report                 # the last 24 hours
    python manage.py reconciliation_report --since 2h      # or 30m, 7d, 2026-06-10, an ISO time
    python manage.py reconciliation_report --flagged-only
"""

import re
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from leads import selectors

_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, *, now: datetime) -> datetime:
    """``30m``/``2h``/``7d`` before ``now``, or a date or ISO time (the business's zone if naive)."""
    value = value.strip()
    if match := _DURATION.match(value):
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        raise CommandError(f"--since {value!r}: give 30m, 2h, 7d, a date or an ISO time.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "List every webhook event and inbound message since --since with its final state; "
        "exit 1 when something is flagged (unanswered, not processed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", default="24h", help="30m, 2h, 7d, a date or an ISO time.")
        parser.add_argument(
            "--flagged-only", action="store_true", help="List only what is flagged."
        )

    def handle(self, *args, since: str, flagged_only: bool, **options):
        now = timezone.now()
        start = parse_since(since, now=now)
        events = selectors.webhook_event_states(since=start, now=now)
        messages = selectors.inbound_message_states(since=start, now=now)
        local = timezone.localtime
        self.stdout.write(f"Reconciliation report since {local(start):%Y-%m-%d %H:%M %Z}")

        self.stdout.write(f"\nWebhook events ({len(events)})")
        for e in events:
            if flagged_only and not e.flag:
                continue
            mark = "FLAGGED" if e.flag else "ok"
            self.stdout.write(
                f"  {mark:7} event {e.id:<7} {local(e.received_at):%m-%d %H:%M:%S} "
                f"{e.event_type:<24} {e.state}{f' — {e.flag}' if e.flag else ''}"
            )
        self.stdout.write(f"\nInbound messages ({len(messages)})")
        for m in messages:
            if flagged_only and not m.flag:
                continue
            mark = "FLAGGED" if m.flag else "ok"
            self.stdout.write(
                f"  {mark:7} message {m.id:<7} {local(m.received_at):%m-%d %H:%M:%S} "
                f"{m.lead:<24} {m.channel:<9} {m.state}{f' — {m.flag}' if m.flag else ''}"
            )

        flagged = [e for e in events if e.flag] + [m for m in messages if m.flag]
        counts = {}
        for m in messages:
            key = "flagged" if m.flag else m.state.split(" (")[0].split(":")[0]
            counts[key] = counts.get(key, 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        self.stdout.write(
            f"\n{len(events)} webhook events ({sum(1 for e in events if e.flag)} flagged); "
            f"{len(messages)} inbound messages: {summary}."
        )
        if flagged:
            raise CommandError(
                f"{len(flagged)} flagged: see the lines marked FLAGGED.", returncode=1
            )
        self.stdout.write("Nothing flagged: every event was processed and every lead answered.")
