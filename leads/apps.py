from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and conversations"

    def ready(self):
        from leads import checks  # noqa: F401 (registers the system checks)
        from leads.bots.base import register_bot
        from leads.bots.lead import lead_bot
        from leads.services.inbound import register_inbound_handler
        from leads.tasks import enqueue_turn

        register_bot(lead_bot)
        # Every new inbound message goes to the bot pipeline.
        register_inbound_handler(enqueue_turn)
