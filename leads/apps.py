from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and conversations"

    def ready(self):
        from django.db.models.signals import post_migrate

        from config.search import ensure_search_indexes
        from leads import checks  # noqa: F401 (registers the system checks)
        from leads.bots.base import register_bot
        from leads.bots.lead import lead_bot
        from leads.guards import escalation_inbound_guard
        from leads.services.inbound import register_inbound_handler
        from leads.services.pipeline import register_inbound_guard
        from leads.tasks import enqueue_turn

        register_bot(lead_bot)
        # After the compliance guards (rank 0): their vetted answer wins over an acknowledgement.
        register_inbound_guard(escalation_inbound_guard, rank=10)
        # Every new inbound message goes to the bot pipeline.
        register_inbound_handler(enqueue_turn)
        # SQLite's ALTER rebuilds a table and drops its triggers: put the search's back.
        post_migrate.connect(ensure_search_indexes, sender=self)
