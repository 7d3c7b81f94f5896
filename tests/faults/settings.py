"""Settings of the app processes the fault tests start (gunicorn, Celery workers, the sweeps):
the deployment's own (``config.settings.base``, from the environment the test gives them),
with the waits that are minutes in production shortened to seconds, so that a test of a lost
task or a dead worker waits for the sweeps seconds, not minutes. Nothing else changes."""

from config.settings.base import *  # noqa: F403

GHL_WEBHOOK_SWEEP_AFTER_SECONDS = 1
GHL_WEBHOOK_STUCK_PROCESSING_SECONDS = 3
BOT_TURN_OVERDUE_SECONDS = 1
BOT_TURN_STALE_SECONDS = 4
SEND_RECONCILE_AFTER_SECONDS = 1
SEND_PENDING_STALE_SECONDS = 3
# The location the fault tests' webhooks come from (another location's events are not applied).
GHL_WEBHOOK_LOCATION_IDS = ["loc-faults", "loc-1"]
SEND_RECONCILE_GIVE_UP_SECONDS = 3
