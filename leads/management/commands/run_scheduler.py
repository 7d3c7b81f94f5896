"""Celery beat's schedule, run in-process: for the embedded default, which has no broker.

``python3 dev.py run`` starts it beside the web server. With REDIS_URL set, run the real
``celery beat`` (exactly one) and a worker instead.
"""

import logging
import time

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process (no broker needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run every periodic task once and exit."
        )

    def handle(self, *args, once=False, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        next_run = dict.fromkeys(schedule, 0.0)
        self.stdout.write(f"Scheduler running {len(schedule)} periodic tasks in-process.")
        while True:
            now = time.monotonic()
            for name, entry in schedule.items():
                if now < next_run[name]:
                    continue
                next_run[name] = now + float(entry["schedule"])
                try:
                    result = current_app.tasks[entry["task"]].apply().get(propagate=True)
                except Exception:  # one failing task must not stop the others
                    logger.exception("periodic task %s failed", name)
                else:
                    if result:
                        logger.info("periodic task %s: %s", name, result)
            if once:
                return
            time.sleep(max(0.5, min(next_run.values()) - time.monotonic()))
