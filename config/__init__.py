# First: in multiprocess mode the Prometheus series must know their file names before any
# exists (config/metrics.py), and every process (web, worker, beat, manage.py) imports this.
from . import metrics  # noqa: F401

# Load the Celery app whenever Django starts so @shared_task binds to it.
from .celery import app as celery_app

__all__ = ["celery_app"]
