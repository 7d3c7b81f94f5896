from django.apps import AppConfig


class BuyersConfig(AppConfig):
    name = "buyers"
    verbose_name = "Buyers"

    def ready(self):
        from buyers.bot import BUYER_TEXTS, buyer_bot
        from buyers.listing_texts import LISTING_TEXTS
        from leads.bots.base import register_bot
        from leads.bots.texts import register_default_texts

        register_default_texts(BUYER_TEXTS)
        register_default_texts(LISTING_TEXTS)
        register_bot(buyer_bot)
