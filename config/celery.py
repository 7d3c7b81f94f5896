"""The Celery app. Settings come from Django's (``CELERY_*``); tasks are autodiscovered."""

import os

from celery import Celery
from celery.signals import setup_logging

from config import logs, metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("jorge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task's id on its log lines, and every task counted (config/logs.py, config/metrics.py).
logs.connect_celery_signals()
metrics.connect_celery_signals()


@setup_logging.connect(weak=False)
def use_django_logging(**kwargs):
    """Workers and beat log like the web processes (settings.LOGGING, LOG_FORMAT and
    LOG_LEVEL), instead of Celery's own handlers: one format for the whole platform."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
