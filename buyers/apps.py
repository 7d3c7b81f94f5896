from django.apps import AppConfig


class BuyersConfig(AppConfig):
    name = "buyers"
    verbose_name = "Buyers"

    def ready(self):
        from buyers.listing_texts import LISTING_TEXTS
        from leads.bots.texts import register_default_texts

        register_default_texts(LISTING_TEXTS)
