import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics import cache as tiers
from analytics.demo import load_demo_data
from analytics.demo_activity import load_demo_activity
from analytics.demo_outcomes import load_demo_outcomes
from analytics.demo_scale import load_scale_data
from analytics.services import compact_lead_tallies
from config import performance
from leads import selectors as lead_selectors
from leads.models import Contact, Message
from leads.services.lead_score import LeadModelError, rescore_contacts, train_lead_model


class Command(BaseCommand):
    help = "Load the deterministic demo data set and the demo login (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=None, help="Demo login password (default: DEMO_PASSWORD)."
        )
        parser.add_argument(
            "--allow-production", action="store_true", help="Load demo data even with DEBUG off."
        )
        parser.add_argument(
            "--contacts",
            type=int,
            default=0,
            help="Then add bulk contacts until there are this many (e.g. 10000).",
        )
        parser.add_argument(
            "--messages",
            type=int,
            default=0,
            help="With --contacts: the messages their conversations hold in all (e.g. 100000).",
        )

    def handle(
        self, *args, password=None, allow_production=False, contacts=0, messages=0, **options
    ):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to load demo data with DEBUG off; pass --allow-production."
            )
        summary = load_demo_data(password=password or settings.DEMO_PASSWORD)
        self.stdout.write(
            f"Demo data: {summary.contacts_created} contacts, {summary.conversations_created} "
            f"conversations, {summary.messages_created} messages, {summary.deals_created} deals and "
            f"{summary.properties_created} properties created (existing rows left alone)."
        )
        self._train_lead_model()
        user = get_user_model().objects.get(username=summary.username)
        activity = load_demo_activity(user=user)
        self.stdout.write(
            f"Recent activity: {activity.webhooks} webhook deliveries played through the bots, "
            f"{activity.new_listings} new listing, {activity.cma_reports} CMA reports, "
            f"{activity.ticket_steps} ticket steps by "
            f"{summary.username} (already there: left alone)."
        )
        if contacts:
            started = time.monotonic()
            scale = load_scale_data(contacts=contacts, messages=messages)
            self.stdout.write(
                f"Bulk data: {scale.contacts} contacts, {scale.messages} messages, "
                f"{scale.deals} deals and {scale.tickets} tickets added in "
                f"{time.monotonic() - started:.0f} s (now {Contact.objects.count()} contacts, "
                f"{Message.objects.count()} messages)."
            )
        # The Performance page shows the demo's timings at once (not after this process
        # exits), and a running server forgets what it cached of the data before the seed.
        performance.tracker.flush()
        compact_lead_tallies()  # the journal of every lead just written, in one row per value
        tiers.invalidate_everything()
        site = settings.SITE_URL.rstrip("/")  # dev.py run: the address it serves
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at {site}/admin/ as {summary.username} / {summary.password}"
            )
        )

    def _train_lead_model(self) -> None:
        """The past leads' outcomes, and a lead-score model learned from them, so the first run
        shows learned scores (the recent activity is then scored live)."""
        past = load_demo_outcomes()
        if not past and lead_selectors.active_lead_score_model() is not None:
            return  # seeded before: the model trained then stays
        try:
            report = train_lead_model()
        except LeadModelError as exc:
            self.stdout.write(f"Past leads: {past} created; no lead-score model: {exc.message}")
            return
        metrics = report.model.metrics
        rescored = rescore_contacts()
        self.stdout.write(
            f"Past leads: {past} created (already there: left alone). Lead-score model "
            f"v{report.model.version} trained on {metrics['rows']} outcomes: AUC "
            f"{metrics['auc_model']:.3f} (the rules: {metrics['auc_rules']:.3f}); "
            f"{rescored} leads scored."
        )
