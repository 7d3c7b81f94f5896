from celery import shared_task

from leads.ghl.exceptions import GHLError
from webchat import services


@shared_task(bind=True, acks_late=True, max_retries=3)
def link_visitor_to_highlevel_task(self, contact_id: int) -> str:
    """Create or match the web-chat visitor's contact in HighLevel (an upsert: safe to repeat)."""
    try:
        return services.link_visitor_to_highlevel(contact_id=contact_id)
    except GHLError as exc:
        raise self.retry(exc=exc, countdown=60 * (self.request.retries + 1)) from exc
